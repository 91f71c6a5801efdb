/**
 * Strategy-lab figures (issue 4), on the embedded PGlite and on the PostgreSQL server at
 * $DATABASE_URL (default 127.0.0.1:5432):
 * - relscope's own overhead in `compare User --populate posts.comments --limit 100` on demo
 *   data at --scale (default 10);
 * - the time of the default comparison and of a scaling sweep on the demo at --demo-scale
 *   (default 1, what `relscope serve` seeds).
 *
 * - with --goals (issue 12 item 2), on the page's default request (User, populate posts.comments,
 *   limit 20) at --demo-scale through the real HTTP server and its NDJSON stream, on a warm
 *   server: the time from Run to the first strategy event, and the whole comparison (no sweep)
 *   against the floor of a plain script running the same five loads once each, alternately
 *   (--rounds, default 3), plus the worst /api/health latency polled every 50 ms meanwhile.
 *
 * Run: npm run bench:lab [-- --scale 10 --demo-scale 1 --targets server,embedded --keep]
 *      npm run bench:lab -- --goals [--rounds 3 --targets server,embedded]
 * Writes bench/results/lab.md (and prints it). Server databases are relscope_bench_lab_s<scale>,
 * created and dropped here (kept with --keep, and then reused when their row counts match).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { createContext, prepareDemo, type AppContext } from '../server/context.ts';
import { compare } from '../server/lab/compare.ts';
import { compareLimits, type CompareReport } from '../common/lab-types.ts';
import { monitorEventLoopDelay } from 'node:perf_hooks';

const { values } = parseArgs({
  options: {
    scale: { type: 'string', default: '10' },
    'demo-scale': { type: 'string', default: '1' },
    targets: { type: 'string', default: 'server,embedded' },
    keep: { type: 'boolean', default: false },
    out: { type: 'string' },
    goals: { type: 'boolean', default: false },
    rounds: { type: 'string', default: '3' },
  },
});
values.out ??= values.goals ? 'bench/results/lab-goals.md' : 'bench/results/lab.md';
const scale = Number(values.scale);
const demoScale = Number(values['demo-scale']);
const serverUrl = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const fmt = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`);
const pct = (part: number, whole: number) => `${((part / whole) * 100).toFixed(1)}%`;

interface Figures {
  name: string;
  overhead: { wallMs: number; report: CompareReport };
  defaultCompare: { wallMs: number; report: CompareReport };
  sweep: { wallMs: number; report: CompareReport };
  concurrent?: { wallMs: number; singleMs: number };
}

async function timed<T>(work: () => Promise<T>): Promise<{ wallMs: number; value: T }> {
  const started = performance.now();
  const value = await work();
  return { wallMs: performance.now() - started, value };
}

async function measure(name: string, big: AppContext, ctx: AppContext): Promise<Figures> {
  const log = (m: string) => process.stderr.write(`[${name}] ${m}\n`);
  log(`overhead run at scale ${scale}: User posts.comments limit 100, repeat 5`);
  const overhead = await timed(() => compare(big, { entity: 'User', populate: 'posts.comments', limit: 100 }));
  log(`  ${fmt(overhead.wallMs)}`);
  log(`at scale ${demoScale}:`);
  log('default compare: User posts.comments limit 20');
  const defaultCompare = await timed(() => compare(ctx, { entity: 'User', populate: 'posts.comments' }));
  log(`  ${fmt(defaultCompare.wallMs)}`);
  log('sweep 1,10,100,1000 (limit 20, repeat 5, sweep repeat 1)');
  const sweep = await timed(() => compare(ctx, { entity: 'User', populate: 'posts.comments', sweep: true }));
  log(`  ${fmt(sweep.wallMs)}`);
  const figures: Figures = {
    name,
    overhead: { wallMs: overhead.wallMs, report: overhead.value },
    defaultCompare: { wallMs: defaultCompare.wallMs, report: defaultCompare.value },
    sweep: { wallMs: sweep.wallMs, report: sweep.value },
  };
  if (ctx.target.kind === 'external') {
    log('two comparisons at once (User posts, Post comments; limit 20, select-in + joined)');
    const one = { entity: 'User', populate: 'posts', strategies: 'select-in,joined' };
    const two = { entity: 'Post', populate: 'comments', strategies: 'select-in,joined' };
    const single = await timed(async () => { await compare(ctx, one); await compare(ctx, two); });
    const both = await timed(() => Promise.all([compare(ctx, one), compare(ctx, two)]));
    figures.concurrent = { wallMs: both.wallMs, singleMs: single.wallMs };
  }
  return figures;
}

async function serverContext(scale: number): Promise<{ ctx: AppContext; done: () => Promise<void> }> {
  // $BENCH_LAB_DB: a database of your own to create and seed instead (e.g. on a shared server).
  const dbName = process.env.BENCH_LAB_DB ?? `relscope_bench_lab_s${String(scale).replace('.', '_')}`;
  const admin = new pg.Client(serverUrl);
  await admin.connect();
  const exists = (await admin.query('select 1 from pg_database where datname = $1', [dbName])).rowCount;
  if (!exists) await admin.query(`create database ${dbName}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${dbName}`;
  const ctx = await createContext({ dbUrl: url.toString() });
  const { rows } = await prepareDemo(ctx, {});
  if (rows.users !== Math.round(1000 * scale)) {
    process.stderr.write(`[server] seeding scale ${scale} into ${dbName}\n`);
    await prepareDemo(ctx, { reset: true, scale });
  }
  return {
    ctx,
    done: async () => {
      await ctx.close();
      if (values.keep) return;
      const drop = new pg.Client(serverUrl);
      await drop.connect();
      await drop.query(`drop database if exists ${dbName} with (force)`);
      await drop.end();
    },
  };
}

async function embeddedContext(scale: number): Promise<{ ctx: AppContext; done: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'relscope-bench-lab-'));
  const ctx = await createContext({ dataDir: join(dir, 'pgdata') });
  process.stderr.write(`[embedded] seeding scale ${scale}\n`);
  await prepareDemo(ctx, { scale });
  return { ctx, done: async () => { await ctx.close(); rmSync(dir, { recursive: true, force: true }); } };
}

function strategyLine(report: CompareReport): string {
  return report.strategies.map((s) => `${s.strategy} ${s.roundTrips.toLocaleString('en-US')}${s.status === 'capped' ? '+' : ''} trip${s.roundTrips === 1 ? '' : 's'} / ${fmt(s.wallMs.median)}`).join('; ');
}

function render(all: Figures[]): string {
  const lines: string[] = [];
  lines.push('## Strategy lab (bench/lab.ts)', '');
  const volume = (n: number) => `${(1000 * n).toLocaleString('en-US')} users, ${(10_000 * n).toLocaleString('en-US')} posts, ${(30_000 * n).toLocaleString('en-US')} comments`;
  lines.push(`Measured ${new Date().toISOString().slice(0, 10)} on this machine (${(globalThis.navigator?.hardwareConcurrency ?? '?')} cores, shared with other work: load average ${loadAverage()}), Node ${process.versions.node}. One run each. Overhead on demo data at scale ${scale} (${volume(scale)}; the first 100 users are the top authors: ${firstHundred}); responsiveness at scale ${demoScale} (${volume(demoScale)}).`, '');
  lines.push('### Overhead: `compare User --populate posts.comments --limit 100` (5 strategies, warm-up + 5 runs, EXPLAIN ANALYZE of every distinct statement)', '');
  lines.push('| | ' + all.map((f) => f.name).join(' | ') + ' |');
  lines.push('|---|' + all.map(() => '---:').join('|') + '|');
  const row = (label: string, get: (f: Figures) => string) => lines.push(`| ${label} | ${all.map(get).join(' | ')} |`);
  row('end to end', (f) => fmt(f.overhead.wallMs));
  row('statements (client wall time, all runs)', (f) => fmt(f.overhead.report.timing.statementsMs));
  row('EXPLAINs (incl. BEGIN/SET/ROLLBACK)', (f) => `${fmt(f.overhead.report.timing.explainMs)} (${f.overhead.report.timing.statementsExplained})`);
  row('MikroORM inside the loads (hydration, unit of work)', (f) => fmt(f.overhead.report.timing.loadsMs - f.overhead.report.timing.statementsMs));
  row('relscope capture wrapper (inside the loads)', (f) => fmt(f.overhead.report.timing.captureMs));
  row('relscope outside the loads (catalog, grouping, plans, graph check, advice)', (f) => fmt(f.overhead.report.timing.overheadMs - f.overhead.report.timing.captureMs));
  row('**relscope overhead / end to end**', (f) => `**${pct(f.overhead.report.timing.overheadMs, f.overhead.wallMs)}**`);
  row('(end to end − statements − EXPLAINs) / end to end, ORM included', (f) => pct(f.overhead.wallMs - f.overhead.report.timing.statementsMs - f.overhead.report.timing.explainMs, f.overhead.wallMs));
  row('strategies', (f) => strategyLine(f.overhead.report));
  lines.push('');
  lines.push(`### Responsiveness (scale ${demoScale})`, '');
  lines.push('| | ' + all.map((f) => f.name).join(' | ') + ' |');
  lines.push('|---|' + all.map(() => '---:').join('|') + '|');
  row('default compare (`--populate posts.comments`, limit 20)', (f) => fmt(f.defaultCompare.wallMs));
  row('same + `--sweep 1,10,100,1000` (sweep repeat 1)', (f) => fmt(f.sweep.wallMs));
  row('of which the sweep', (f) => fmt(f.sweep.report.sweep!.tookMs));
  for (const size of [1, 10, 100, 1000]) {
    row(`sweep at ${size}: trips / ms`, (f) => f.sweep.report.sweep!.series.map((s) => {
      const p = s.points.find((x) => x.pageSize === size)!;
      return `${s.strategy} ${p.roundTrips.toLocaleString('en-US')}${p.status === 'capped' ? '+' : ''}/${fmt(p.wallMs)}`;
    }).join(', '));
  }
  const concurrent = all.filter((f) => f.concurrent);
  if (concurrent.length) row('two comparisons at once vs one after the other', (f) => (f.concurrent ? `${fmt(f.concurrent.wallMs)} vs ${fmt(f.concurrent.singleMs)}` : 'serialised'));
  lines.push('');
  lines.push('`+`: capped, a lower bound: `select` stopped at maxStatementsPerRun (10,000); `dataloader` stopped before a to-many level of more than 2,000 parents (MikroORM\'s collection dataloader maps children to parents in O(parents × children)). "relscope overhead" counts what relscope adds: its capture wrapper inside the loads plus everything outside the loads and EXPLAINs. MikroORM\'s own hydration inside each load is what the comparison measures, so it is shown separately; the issue\'s literal ratio (which counts it) is the row below.');
  return lines.join('\n');
}

let firstHundred = '';
function loadAverage(): string {
  return os.loadavg().map((l) => l.toFixed(1)).join(', ');
}

// ---- Goals of issue 12 item 2 -------------------------------------------------------------------

const goalRequest = { entity: 'User', populate: ['posts.comments'], limit: 20 };

/** The floor: the five loads of the comparison, once each, in a plain script (fresh fork, flushMode 'commit'). */
async function plainLoads(ctx: AppContext): Promise<number> {
  const orm = await ctx.orm();
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a plain script on the demo entities
  const User = orm.getMetadata().getByClassName('User').class as any;
  const fork = () => orm.em.fork({ clear: true, useContext: false, flushMode: 'commit' });
  const options: Record<string, unknown> = { orderBy: { id: 'asc' }, limit: 20 };
  const started = performance.now();
  for (const strategy of ['select-in', 'joined', 'balanced'] as const) {
    const populate = ['posts.comments'] as never;
    await fork().find(User, {}, { ...options, populate, strategy, populateHints: { posts: { strategy }, 'posts.comments': { strategy } } } as never);
  }
  // dataloader: each level's loads started together; like relscope's run, it stops before a to-many
  // level of more than dataloaderMaxParents parents (MikroORM's collection dataloader is O(parents × children)).
  {
    const users = (await fork().find(User, {}, options as never)) as { posts: { load: (o: object) => Promise<{ getItems: () => unknown[] }> } }[];
    const posts = (await Promise.all(users.map((u: { posts: { load: (o: object) => Promise<{ getItems: () => unknown[] }> } }) => u.posts.load({ dataloader: true })))).flatMap((c) => c.getItems());
    if (posts.length <= compareLimits.dataloaderMaxParents) {
      await Promise.all(posts.map((p) => (p as { comments: { load: (o: object) => Promise<unknown> } }).comments.load({ dataloader: true })));
    }
  }
  // select: the N+1 loop, one load after the other
  {
    const users: unknown[] = await fork().find(User, {}, options as never);
    for (const u of users as { posts: { init: () => Promise<{ getItems: () => unknown[] }> } }[]) {
      for (const p of (await u.posts.init()).getItems() as { comments: { init: () => Promise<unknown> } }[]) await p.comments.init();
    }
  }
  return performance.now() - started;
}

interface GoalFigures {
  name: string;
  rounds: { floorMs: number; firstMs: number; totalMs: number; healthMaxMs: number; loopMaxMs: number }[];
  report: CompareReport;
  load: string[];
}

/** Runs `work` while /api/health is polled every 50 ms, as streamedRun does during a comparison. */
async function whilePolling<T>(base: string, work: () => Promise<T>): Promise<T> {
  let polling = true;
  const poll = (async () => {
    while (polling) {
      await fetch(`${base}/api/health`).then((r) => r.arrayBuffer());
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  try {
    return await work();
  } finally {
    polling = false;
    await poll;
  }
}

async function streamedRun(base: string): Promise<{ firstMs: number; totalMs: number; report: CompareReport; healthMaxMs: number; loopMaxMs: number }> {
  let healthMaxMs = 0;
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  let polling = true;
  const poll = (async () => {
    while (polling) {
      const t0 = performance.now();
      await fetch(`${base}/api/health`).then((r) => r.arrayBuffer());
      healthMaxMs = Math.max(healthMaxMs, performance.now() - t0);
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  const started = performance.now();
  const res = await fetch(`${base}/api/compare`, { method: 'POST', body: JSON.stringify(goalRequest), headers: { 'content-type': 'application/json', accept: 'application/x-ndjson' } });
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  let firstMs = NaN;
  let report: CompareReport | null = null;
  while (!report) {
    const { value, done } = await reader.read();
    if (value) buffer += value;
    let i: number;
    while ((i = buffer.indexOf('\n')) >= 0) {
      const event = JSON.parse(buffer.slice(0, i)) as { type: string; report?: CompareReport; error?: string };
      buffer = buffer.slice(i + 1);
      if (event.type === 'strategy' && Number.isNaN(firstMs)) firstMs = performance.now() - started;
      if (event.type === 'report') report = event.report!;
      if (event.type === 'error') throw new Error(event.error);
    }
    if (done && !report) throw new Error('stream ended without a report');
  }
  const totalMs = performance.now() - started;
  polling = false;
  await poll;
  loop.disable();
  return { firstMs, totalMs, report, healthMaxMs, loopMaxMs: loop.max / 1e6 };
}

async function goals(name: string, ctx: AppContext): Promise<GoalFigures> {
  const { createApp } = await import('../server/api.ts');
  const { serve } = await import('@hono/node-server');
  const app = createApp(ctx);
  const server = await new Promise<ReturnType<typeof serve>>((ready) => { const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => ready(s)); });
  const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const log = (m: string) => process.stderr.write(`[${name}] ${m}\n`);
  const load: string[] = [loadAverage()];
  try {
    log('warming the server (one comparison, one floor)');
    await streamedRun(base);
    await plainLoads(ctx);
    const rounds: GoalFigures['rounds'] = [];
    let report: CompareReport | null = null;
    for (let r = 0; r < Number(values.rounds); r++) {
      // The floor runs under the same /api/health polling as the comparison (every 50 ms; on a
      // real server each poll counts the demo's rows), so the ratio compares like with like.
      const floorMs = await whilePolling(base, () => plainLoads(ctx));
      const run = await streamedRun(base);
      report = run.report;
      rounds.push({ floorMs, firstMs: run.firstMs, totalMs: run.totalMs, healthMaxMs: run.healthMaxMs, loopMaxMs: run.loopMaxMs });
      log(`round ${r + 1}: floor ${fmt(floorMs)}, first strategy ${fmt(run.firstMs)}, whole ${fmt(run.totalMs)} (${(run.totalMs / floorMs).toFixed(2)}x), health max ${fmt(run.healthMaxMs)}, event-loop delay max ${fmt(run.loopMaxMs)}, load ${loadAverage()}`);
    }
    load.push(loadAverage());
    return { name, rounds, report: report!, load };
  } finally {
    await new Promise<void>((done) => server.close(() => done()));
  }
}

function renderGoals(all: GoalFigures[]): string {
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const lines = ['### Streaming goals (issue 12 item 2; `npm run bench:lab -- --goals`)', ''];
  lines.push(`Measured ${new Date().toISOString().slice(0, 10)}, Node ${process.versions.node}, demo at scale ${demoScale}: the page's default request (User, populate posts.comments, limit 20, all six strategies, EXPLAIN on, no sweep) through the HTTP server's NDJSON stream on a warm server, alternating with the floor (the five loads select-in, joined, balanced, dataloader and the select loop run once each by a plain script, the dataloader stopping where relscope's does), both under the same /api/health polling every 50 ms; medians of ${values.rounds} rounds, each figure a single run.`, '');
  lines.push('| | ' + all.map((f) => f.name).join(' | ') + ' |');
  lines.push('|---|' + all.map(() => '---:').join('|') + '|');
  const row = (label: string, get: (f: GoalFigures) => string) => lines.push(`| ${label} | ${all.map(get).join(' | ')} |`);
  row('Run → first strategy event (goal ≤ 1.5 s)', (f) => `${fmt(med(f.rounds.map((r) => r.firstMs)))} (${f.rounds.map((r) => fmt(r.firstMs)).join(', ')})`);
  row('whole comparison, no sweep', (f) => `${fmt(med(f.rounds.map((r) => r.totalMs)))} (${f.rounds.map((r) => fmt(r.totalMs)).join(', ')})`);
  row('floor: five loads once each, plain script', (f) => `${fmt(med(f.rounds.map((r) => r.floorMs)))} (${f.rounds.map((r) => fmt(r.floorMs)).join(', ')})`);
  row('**whole / floor (goal ≤ 1.3x)**', (f) => `**${(med(f.rounds.map((r) => r.totalMs / r.floorMs))).toFixed(2)}x** (${f.rounds.map((r) => `${(r.totalMs / r.floorMs).toFixed(2)}x`).join(', ')})`);
  row('worst /api/health during a comparison (polled every 50 ms)', (f) => `${fmt(Math.max(...f.rounds.map((r) => r.healthMaxMs)))}`);
  row('worst event-loop delay during a comparison (perf_hooks)', (f) => `${fmt(Math.max(...f.rounds.map((r) => r.loopMaxMs)))}`);
  row('EXPLAINs in the last comparison', (f) => `${fmt(f.report.timing.explainMs)} (${f.report.timing.statementsExplained})`);
  row('strategies (last comparison): trips / median / runs', (f) => f.report.strategies.map((s) => `${s.strategy} ${s.roundTrips.toLocaleString('en-US')}/${fmt(s.wallMs.median)}/${s.wallMs.runs.length}`).join('; '));
  row('load average before / after (1, 5, 15 min)', (f) => f.load.join(' / '));
  return lines.join('\n');
}

if (values.goals) {
  const results: GoalFigures[] = [];
  for (const name of values.targets.split(',')) {
    const open = name === 'server' ? serverContext : embeddedContext;
    const demo = await open(demoScale);
    try {
      results.push(await goals(name === 'server' ? 'server PG 15' : 'embedded PGlite', demo.ctx));
    } finally {
      await demo.done();
    }
  }
  const text = renderGoals(results);
  mkdirSync('bench/results', { recursive: true });
  writeFileSync(values.out, `${text}\n`);
  console.log(text);
  process.exit(0);
}

const figures: Figures[] = [];
for (const name of values.targets.split(',')) {
  const open = name === 'server' ? serverContext : embeddedContext;
  const big = await open(scale);
  try {
    firstHundred = await big.ctx.withClient(async (c) => {
      const { rows } = await c.query<{ posts: string; comments: string }>(`select (select count(*) from posts where user_id <= 100) posts,
        (select count(*) from comments where post_id in (select id from posts where user_id <= 100)) comments`);
      return `${Number(rows[0]!.posts).toLocaleString('en-US')} posts, ${Number(rows[0]!.comments).toLocaleString('en-US')} comments`;
    });
    const demo = await open(demoScale);
    try {
      const label = name === 'server' ? `server PG ${big.ctx.target.display.replace(/\/\/[^@]*@/, '//').replace(/\/[^/]*$/, '')}` : 'embedded PGlite';
      figures.push(await measure(label, big.ctx, demo.ctx));
    } finally {
      await demo.done();
    }
  } finally {
    await big.done();
  }
}
const text = render(figures);
mkdirSync('bench/results', { recursive: true });
writeFileSync(values.out, `${text}\n`);
console.log(text);
