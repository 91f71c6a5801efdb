/**
 * relscope/trace's overhead on request latency (issue 13): examples/blog twice, in two child
 * processes on the same database, one with the tracer attached (sending to `relscope serve`, a
 * third child process) and one without; requests alternate between them one at a time (the
 * order flips every round), and every pair of answers must be byte-identical.
 *
 * Run: npm run bench:trace [-- --rounds 300 --warmup 50 --seconds 20]
 * Database: a database of its own on the server at $DATABASE_URL (default 127.0.0.1:5432),
 * relscope_bench_trace (--database NAME for another), seeded with the demo model at scale 0.2 and dropped afterwards.
 * Writes bench/results/trace.md (and prints it).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { createContext, prepareDemo } from '../server/context.ts';
import { startBlog, stopChild } from '../test/helpers/blog.ts';
import { MikroORM } from '@mikro-orm/postgresql';
import { demoEntities, User } from '../entities/index.ts';
import { attach } from '../trace/index.ts';
import { createBlogApp } from '../examples/blog/app.ts';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '300' }, warmup: { type: 'string', default: '50' }, seconds: { type: 'string', default: '20' }, out: { type: 'string', default: 'bench/results/trace.md' }, database: { type: 'string', default: 'relscope_bench_trace' }, 'in-process': { type: 'string' } } });
const rounds = Number(values.rounds);
/**
 * Each endpoint gets at least --rounds rounds, and more while they fit in --seconds: a 2 ms
 * endpoint then gets thousands (a median of 300 such requests moved by ±5% between runs on this
 * 2-core machine, as much as the effect measured), a 70 ms one keeps --rounds.
 */
const secondsPerEndpoint = Number(values.seconds);
const warmup = Number(values.warmup);
const serverUrl = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
// A database of its own (created and dropped here); --database names it when that name is taken.
const dbName = values.database;
if (!/^[a-z_][a-z0-9_]*$/.test(dbName)) throw new Error(`bench/trace: --database "${dbName}" must be a plain lower-case identifier (letters, digits, _).`);
const endpoints = ['/feed?limit=10', '/feed/fixed?limit=10', '/posts/1', '/users/2'];

function pctl(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function timedGet(url: string): Promise<{ ms: number; body: string }> {
  const started = performance.now();
  const response = await fetch(url);
  const body = await response.text();
  return { ms: performance.now() - started, body };
}

/** The tracer's CPU cost, measured in this process (inProcessFigures runs it in a process of its own); `url` is the seeded database. */
async function measureInProcess(url: string): Promise<{ inProcess: string; perRequest: string }> {
  const init = () => MikroORM.init({ entities: demoEntities, clientUrl: url, pool: { min: 0, max: 4 }, allowGlobalContext: false, ensureDatabase: false });
  // The process's CPU time (process.threadCpuUsage would leave the helper threads out, but
  // counts in 4 ms ticks here; this process is small, so they add little).
  const cpuOf = async (work: () => Promise<unknown>) => {
    const c = process.cpuUsage();
    await work();
    const d = process.cpuUsage(c);
    return (d.user + d.system) / 1000;
  };
  // Per request on the ~2 ms endpoints: two copies of the blog app on two ORMs, one with the
  // tracer's middleware and hooks, requests alternating; CPU time of the request plus the next
  // turn of the event loop, where the tracer finishes the scope (stacks, relations, findings).
  // Delivery is left out here (send: false): it is one POST at most every 250 ms. Measured
  // before the /feed rounds below, which attach and detach 300 tracers.
  const ormPlain = await init();
  const ormTraced = await init();
  const requestTracer = attach(ormTraced, { send: false, keep: 1 });
  const apps = { off: createBlogApp(ormPlain), on: createBlogApp(ormTraced, { use: [requestTracer.hono()] }) };
  const requestRows: string[] = [];
  for (const endpoint of ['/posts/1', '/users/2']) {
    const cpu = { on: [] as number[], off: [] as number[] };
    for (let i = 0; i < warmup + rounds * 4; i++) {
      for (const which of i % 2 === 0 ? (['on', 'off'] as const) : (['off', 'on'] as const)) {
        const ms = await cpuOf(async () => {
          await (await apps[which].request(endpoint)).text();
          await new Promise((next) => setImmediate(next));
        });
        if (i >= warmup) cpu[which].push(ms);
      }
    }
    const off = pctl(cpu.off, 50);
    const on = pctl(cpu.on, 50);
    const diffUs = Math.round((on - off) * 1000);
    requestRows.push(`\`${endpoint}\` ${off.toFixed(3)} -> ${on.toFixed(3)} ms (${diffUs >= 0 ? '+' : ''}${diffUs} µs, ${(((on / off) - 1) * 100).toFixed(1)}%)`);
  }
  requestTracer.detach();
  await Promise.all([ormPlain.close(), ormTraced.close()]);
  const perRequest = `In-process, per request (${rounds * 4} each way, alternating, tracer finishing included, delivery not): median CPU time ${requestRows.join(', ')}.`;
  // In-process: the tracer's CPU cost on the real /feed load (11 statements), alternating a
  // traced scope and the same load with the tracer detached; CPU time (user + system), which a
  // loaded machine inflates far less than wall time.
  const orm = await init();
  const feed = async () => {
    const em = orm.em.fork();
    const users = await em.find(User, {}, { orderBy: { id: 'asc' }, limit: 10 });
    for (const user of users) await user.posts.load({ orderBy: { id: 'asc' } });
  };
  const cpuOn: number[] = [];
  const cpuOff: number[] = [];
  const cpuFinish: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const tracer = attach(orm, { send: false, keep: 1 });
    cpuOn.push(await cpuOf(() => tracer.scope(`r${i}`, feed)));
    cpuFinish.push(await cpuOf(async () => tracer.scopes()));
    tracer.detach();
    cpuOff.push(await cpuOf(feed));
  }
  await orm.close();
  const on50 = pctl(cpuOn, 50);
  const off50 = pctl(cpuOff, 50);
  const fin50 = pctl(cpuFinish, 50);
  const inProcess = `In-process, the /feed load (11 statements) ${rounds} times each way, alternating: median CPU time per load ${off50.toFixed(2)} ms without the tracer, ${on50.toFixed(2)} ms with its hooks (${(((on50 / off50) - 1) * 100).toFixed(1)}%, ${(((on50 - off50) / 11) * 1000).toFixed(0)} µs per statement), plus ${fin50.toFixed(2)} ms to finish the scope (stacks, relations, findings), which runs after the request, off its path (${((fin50 / off50) * 100).toFixed(1)}% more CPU in all).`;
  return { inProcess, perRequest };
}

/** Runs measureInProcess in a child process (`--in-process URL`) and reads its answer. */
async function inProcessFigures(url: string): Promise<{ inProcess: string; perRequest: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--in-process', url, '--rounds', String(rounds), '--warmup', String(warmup)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const code = await new Promise<number | null>((done) => child.once('exit', done));
  if (code !== 0) throw new Error(`bench/trace: the in-process measurement exited with ${code}`);
  return JSON.parse(out) as { inProcess: string; perRequest: string };
}

if (values['in-process']) {
  process.stdout.write(JSON.stringify(await measureInProcess(values['in-process'])));
  process.exit(0);
}

const admin = new pg.Client(serverUrl);
await admin.connect();
await admin.query(`drop database if exists ${dbName} with (force)`);
await admin.query(`create database ${dbName}`);
await admin.end();
const dbUrl = new URL(serverUrl);
dbUrl.pathname = `/${dbName}`;

// The traced app imports relscope/trace (dist/trace): build it from the sources measured here.
execFileSync(process.execPath, ['tools/build-trace.mjs'], { stdio: 'inherit' });
const ctx = await createContext({ dbUrl: dbUrl.toString() });
let relscopeServe: { child: ChildProcess; url: string } | undefined;

/** `relscope serve --port 0` on the bench database; resolves with its address. */
async function startServe(db: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/cli.ts', 'serve', '--port', '0', '--db', db], {
    // No lab worker: its warm-up would run during the first endpoint's rounds, and no comparison runs here.
    env: { ...process.env, RELSCOPE_LAB_WORKER: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const url = await new Promise<string>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`relscope serve did not start: ${output}`)), 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const m = /serving (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        ok(m[1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => fail(new Error(`relscope serve exited with ${code}: ${output}`)));
  });
  return { child, url };
}
const children: Awaited<ReturnType<typeof startBlog>>[] = [];
try {
  await prepareDemo(ctx, { reset: true, scale: 0.2 });
  // relscope serve in a process of its own, as a user runs it: the batches it receives are parsed
  // and stored there, not in this process, whose event loop times the requests.
  relscopeServe = await startServe(dbUrl.toString());
  const relscopeUrl = relscopeServe.url;
  const common = { DATABASE_URL: dbUrl.toString(), POOL_MAX: '4' };
  const traced = await startBlog({ ...common, RELSCOPE_URL: relscopeUrl });
  children.push(traced);
  const plain = await startBlog({ ...common, RELSCOPE_TRACE: '0' });
  children.push(plain);

  const loadBefore = os.loadavg();
  const rows: string[] = [];
  let mismatches = 0;
  let pairs = 0;
  for (const endpoint of endpoints) {
    for (let i = 0; i < warmup; i++) {
      await timedGet(traced.url + endpoint);
      await timedGet(plain.url + endpoint);
    }
    const on: number[] = [];
    const off: number[] = [];
    const measureStarted = performance.now();
    for (let i = 0; i < rounds || performance.now() - measureStarted < secondsPerEndpoint * 1000; i++) {
      const order = i % 2 === 0 ? ['on', 'off'] : ['off', 'on'];
      const bodies: Record<string, string> = {};
      for (const which of order) {
        const r = await timedGet((which === 'on' ? traced.url : plain.url) + endpoint);
        (which === 'on' ? on : off).push(r.ms);
        bodies[which] = r.body;
      }
      pairs++;
      if (bodies.on !== bodies.off) mismatches++;
    }
    const p50on = pctl(on, 50);
    const p50off = pctl(off, 50);
    rows.push(`| \`${endpoint}\` | ${on.length} + ${off.length} | ${p50off.toFixed(2)} ms | ${p50on.toFixed(2)} ms | ${(((p50on / p50off) - 1) * 100).toFixed(1)}% | ${pctl(off, 90).toFixed(2)} / ${pctl(on, 90).toFixed(2)} ms |`);
    process.stderr.write(`${endpoint}: p50 off ${p50off.toFixed(2)} ms, on ${p50on.toFixed(2)} ms\n`);
  }
  // The CPU figures, in a process of their own: this one holds relscope serve and its store,
  // whose garbage collection and event handling would land in the measured requests.
  const { inProcess, perRequest } = await inProcessFigures(dbUrl.toString());
  process.stderr.write(`${inProcess}\n${perRequest}\n`);
  const loadAfter = os.loadavg();
  const store = await (await fetch(`${relscopeUrl}/api/requests`)).json() as { requests: unknown[]; dropped: { byTracers: number; byServer: number } };
  const report = [
    `## relscope/trace overhead (bench/trace.ts, ${new Date().toISOString().slice(0, 10)})`,
    '',
    `examples/blog with the tracer attached (sending to relscope serve, a process of its own) against the same app without it, PostgreSQL ${(await ctx.withClient(async (c) => (await c.query('show server_version')).rows[0].server_version as string)).split(' ')[0]} on 127.0.0.1, demo data at scale 0.2; requests alternate one at a time, the order flipping every round, at least ${rounds} rounds per endpoint and more while they fit in ${secondsPerEndpoint} s; ${warmup} warm-up requests per app and endpoint first. Client-side latency (fetch to last byte), ms.`,
    '',
    '| endpoint | runs (off + on) | p50 without | p50 with tracer | p50 change | p90 without / with |',
    '|---|---|---|---|---|---|',
    ...rows,
    '',
    inProcess,
    '',
    perRequest,
    '',
    `Answers byte-identical in ${pairs - mismatches} of ${pairs} pairs. relscope serve received ${store.requests.length} requests (it keeps the newest 500), dropped ${store.dropped.byTracers + store.dropped.byServer}.`,
    `Load average (1/5/15 min) before: ${loadBefore.map((l) => l.toFixed(2)).join(' / ')}, after: ${loadAfter.map((l) => l.toFixed(2)).join(' / ')} (${os.cpus().length} cores, shared with other work).`,
    '',
  ].join('\n');
  mkdirSync('bench/results', { recursive: true });
  writeFileSync(values.out, report);
  console.log(report);
  if (mismatches) process.exitCode = 1;
} finally {
  for (const c of children) await stopChild(c.child);
  await stopChild(relscopeServe?.child);
  await ctx.close();
  const drop = new pg.Client(serverUrl);
  await drop.connect();
  await drop.query(`drop database if exists ${dbName} with (force)`);
  await drop.end();
}
