/**
 * Bounded load on loopback (issue 7): a real `relscope serve` on a private embedded
 * database in its own process, driven from this process with autocannon:
 *   1. 50 concurrent clients for 30 s on GET /api/schema and GET /api/diagram;
 *   2. 4 concurrent comparisons (POST /api/compare) repeated for 30 s.
 * Records requests/s, p50/p99 latency, errors, and the server's RSS before and after.
 * Run: npm run bench:load   (writes bench/results/load.md). LOAD_SECONDS=N shortens it.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// autocannon ships no types; the fields used below are documented in its README.
// @ts-expect-error no type declarations
import autocannon from 'autocannon';

interface Result {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number; max: number };
  errors: number;
  timeouts: number;
  non2xx: number;
  statusCodeStats: Record<string, { count: number }>;
}

const seconds = Number(process.env.LOAD_SECONDS ?? 30);
const dir = mkdtempSync(join(tmpdir(), 'relscope-load-'));
const server = spawn(process.execPath, ['--import', 'tsx', 'server/cli.ts', 'serve', '--port', '0', '--data-dir', join(dir, 'pgdata')], {
  env: { ...process.env, DATABASE_URL: '' }, stdio: ['ignore', 'pipe', 'pipe'],
});
let log = '';
server.stdout.on('data', (d: Buffer) => { log += d; });
server.stderr.on('data', (d: Buffer) => { log += d; });

const rssMiB = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${server.pid}/status`, 'utf8'))![1]) / 1024;

async function waitForUrl(): Promise<string> {
  const deadline = Date.now() + 180_000;
  while (Date.now() < deadline) {
    const m = /serving (http:\/\/\S+)/.exec(log);
    if (m) return m[1]!;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`server did not start:\n${log}`);
}

function run(opts: Record<string, unknown>): Promise<Result> {
  return new Promise((resolve, reject) => {
    autocannon(opts, (err: Error | null, result: Result) => (err ? reject(err) : resolve(result)));
  });
}

try {
  const base = await waitForUrl();
  const headers = { 'content-type': 'application/json' };
  // Warm the caches and the ORM once, as a user's first page load does.
  for (const path of ['/api/schema?source=db', '/api/schema?source=orm', '/api/diagram?source=db&format=mermaid', '/api/diagram?source=orm&format=mermaid']) {
    const res = await fetch(base + path);
    if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  }
  const readRequests = [
    { method: 'GET', path: '/api/schema?source=db' },
    { method: 'GET', path: '/api/diagram?source=db&format=mermaid' },
    { method: 'GET', path: '/api/schema?source=orm' },
    { method: 'GET', path: '/api/diagram?source=orm&format=mermaid' },
  ];
  const compareBody = JSON.stringify({ entity: 'User', populate: ['posts.comments'], limit: 20, repeat: 1 });
  const statuses = (r: Result) => Object.entries(r.statusCodeStats ?? {}).map(([code, v]) => `${code}: ${v.count}`).join(', ');
  const row = (name: string, r: Result) => `| ${name} | ${r.requests.total} | ${r.requests.average.toFixed(1)} | ${r.latency.p50} ms | ${r.latency.p99} ms | ${r.errors + r.timeouts} | ${statuses(r)} |`;
  const rows: string[] = [];
  const rss: string[] = [`${rssMiB().toFixed(0)} MiB after warm-up`];
  // Each phase three times: memory that keeps growing round after round is a leak; memory
  // that settles after the first is the heap finding its size.
  for (const round of [1, 2, 3]) {
    const reads = await run({ url: base, connections: 50, duration: seconds, requests: readRequests });
    rows.push(row(`round ${round}: 50 clients, GET /api/schema + /api/diagram (orm, db)`, reads));
    rss.push(`${rssMiB().toFixed(0)} MiB after reads ${round}`);
    // A fixed number of comparisons (two per client), so none is cut off at the end of a phase.
    const compares = await run({ url: base, connections: 4, amount: 8, timeout: 600, requests: [{ method: 'POST', path: '/api/compare', headers, body: compareBody }] });
    rows.push(row(`round ${round}: 4 clients, POST /api/compare (User, posts.comments, limit 20)`, compares));
    rss.push(`${rssMiB().toFixed(0)} MiB after comparisons ${round}`);
  }
  const md = `## Load (bench/load.ts)

Measured ${new Date().toISOString().slice(0, 10)} on this machine (2 cores), Node ${process.versions.node}; server and load generator are separate processes on loopback; embedded database, demo at scale 1; reads ${seconds} s and 8 comparisons (4 at a time) per round, three rounds.

| phase | requests | req/s | p50 | p99 | errors + timeouts | status codes |
|---|---|---|---|---|---|---|
${rows.join('\n')}

Server RSS (the embedded database runs in its own process and is not included): ${rss.join(', ')}.
`;
  writeFileSync('bench/results/load.md', md);
  console.log(md);
} finally {
  server.kill('SIGINT');
  await new Promise((r) => server.on('exit', r));
  rmSync(dir, { recursive: true, force: true });
}
