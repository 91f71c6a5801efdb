/**
 * Strategy-lab figures (issue 4), on the embedded PGlite and on the PostgreSQL server at
 * $DATABASE_URL (default 127.0.0.1:5432):
 * - relscope's own overhead in `compare User --populate posts.comments --limit 100` on demo
 *   data at --scale (default 10);
 * - the time of the default comparison and of a scaling sweep on the demo at --demo-scale
 *   (default 1, what `relscope serve` seeds).
 *
 * Run: npm run bench:lab [-- --scale 10 --demo-scale 1 --targets server,embedded --keep]
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
import type { CompareReport } from '../common/lab-types.ts';

const { values } = parseArgs({
  options: {
    scale: { type: 'string', default: '10' },
    'demo-scale': { type: 'string', default: '1' },
    targets: { type: 'string', default: 'server,embedded' },
    keep: { type: 'boolean', default: false },
    out: { type: 'string', default: 'bench/results/lab.md' },
  },
});
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
  const dbName = `relscope_bench_lab_s${String(scale).replace('.', '_')}`;
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
