/**
 * Start-up benchmark (issue 15): whole processes, start included, measured alternately so that
 * a busy machine slows all of them alike.
 *
 *   tsx bench/startup.ts [--runs N] [--source-runs N]
 *
 * - floor: bench/startup-floor.mjs, plain Node: connect, five catalog queries, write a file.
 * - `relscope export --source db --format mermaid|markdown --out FILE` and `relscope --help`,
 *   compiled (dist/node, as `npm pack` ships it: RELSCOPE_COMPILED=1) and from source (tsx).
 * On a generated 100-table schema in a scratch database `relscope_bench_startup` next to the one
 * BENCH_DATABASE_URL / DATABASE_URL names (default the local PG on 127.0.0.1:5432), kept for the
 * next run. No MikroORM config in the working directory, as for a user reading a database.
 * Medians, run counts and load averages go to stdout and bench/results/startup.md.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { schemaSql } from './generated-schema.ts';

const args = process.argv.slice(2);
const opt = (name: string, fallback: number) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : fallback);
const runs = opt('--runs', 7);
const sourceRuns = opt('--source-runs', 3);
const root = fileURLToPath(new URL('..', import.meta.url));
const baseUrl = process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const dbName = 'relscope_bench_startup';
const url = (() => { const u = new URL(baseUrl); u.pathname = `/${dbName}`; return u.toString(); })();

async function prepare(): Promise<void> {
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  const exists = (await admin.query('select 1 from pg_database where datname = $1', [dbName])).rowCount;
  if (!exists) await admin.query(`create database ${dbName}`);
  await admin.end();
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const tables = Number((await client.query("select count(*) from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'public' and c.relkind = 'r'")).rows[0].count);
  if (tables !== 100) {
    await client.query('drop schema public cascade; create schema public');
    await client.query(schemaSql(100));
  }
  await client.end();
}

// Not inside the repository: no MikroORM config is found there, and relscope reads the database only.
const cwd = mkdtempSync(join(tmpdir(), 'relscope-startup-'));
const node = process.execPath;
const bin = join(root, 'bin/relscope.js');

interface Case { name: string; argv: string[]; env?: Record<string, string>; runs: number }

function once(c: Case): { ms: number; rssMiB: number } {
  const started = performance.now();
  const r = spawnSync('/usr/bin/time', ['-f', '%M', node, ...c.argv], { cwd, env: { ...process.env, DATABASE_URL: url, ...c.env }, encoding: 'utf8' });
  const ms = performance.now() - started;
  if (r.status !== 0) throw new Error(`${c.name} failed (${r.status}): ${r.stderr}`);
  const rssKiB = Number(r.stderr.trim().split('\n').pop());
  return { ms, rssMiB: rssKiB / 1024 };
}

const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2; };

async function main() {
  await prepare();
  if (!existsSync(join(root, 'dist/node/cli.js'))) spawnSync(node, [join(root, 'tools/build-node.mjs')], { stdio: 'inherit' });
  const out = (name: string) => join(cwd, name);
  const compiled = { RELSCOPE_COMPILED: '1' };
  const source = { RELSCOPE_COMPILED: '0' };
  const cases: Case[] = [
    { name: 'floor (plain Node: connect, 5 catalog queries, write)', argv: [join(root, 'bench/startup-floor.mjs'), url, out('floor.json')], runs },
    { name: 'export --format mermaid (compiled)', argv: [bin, 'export', '--source', 'db', '--format', 'mermaid', '--out', out('s.mmd')], env: compiled, runs },
    { name: 'export --format markdown (compiled)', argv: [bin, 'export', '--source', 'db', '--format', 'markdown', '--out', out('s.md')], env: compiled, runs },
    { name: '--help (compiled)', argv: [bin, '--help'], env: compiled, runs },
    { name: 'bare Node start (node -e 0), for scale', argv: ['-e', '0'], runs },
    { name: 'export --format mermaid (source, tsx)', argv: [bin, 'export', '--source', 'db', '--format', 'mermaid', '--out', out('s2.mmd')], env: source, runs: sourceRuns },
    { name: 'export --format markdown (source, tsx)', argv: [bin, 'export', '--source', 'db', '--format', 'markdown', '--out', out('s2.md')], env: source, runs: sourceRuns },
    { name: '--help (source, tsx)', argv: [bin, '--help'], env: source, runs: sourceRuns },
  ];
  for (const c of cases) once(c); // warm the file cache once
  const results = new Map<string, { ms: number[]; rss: number[] }>(cases.map((c) => [c.name, { ms: [], rss: [] }]));
  const loadBefore = loadavg()[0]!;
  for (let round = 0; round < Math.max(runs, sourceRuns); round++) {
    for (const c of cases) {
      if (round >= c.runs) continue;
      const r = once(c);
      results.get(c.name)!.ms.push(r.ms);
      results.get(c.name)!.rss.push(r.rssMiB);
    }
  }
  const loadAfter = loadavg()[0]!;
  const floor = median(results.get(cases[0]!.name)!.ms);
  const lines = [
    `Start-up, whole processes (Node ${process.version}, PostgreSQL at ${new URL(baseUrl).host}, generated 100-table schema), measured alternately;`,
    `load average (1 min) ${loadBefore.toFixed(2)} before, ${loadAfter.toFixed(2)} after. ${new Date().toISOString().slice(0, 10)}`,
    '',
    '| process | runs | median | min | max | vs floor | peak RSS (median) |',
    '|---|---:|---:|---:|---:|---:|---:|',
  ];
  for (const c of cases) {
    const r = results.get(c.name)!;
    const m = median(r.ms);
    lines.push(`| ${c.name} | ${r.ms.length} | ${(m / 1000).toFixed(2)} s | ${(Math.min(...r.ms) / 1000).toFixed(2)} s | ${(Math.max(...r.ms) / 1000).toFixed(2)} s | ${(m / floor).toFixed(2)}x | ${median(r.rss).toFixed(0)} MiB |`);
  }
  const text = lines.join('\n');
  console.log(text);
  mkdirSync(join(root, 'bench/results'), { recursive: true });
  writeFileSync(join(root, 'bench/results/startup.md'), `${text}\n`);
  rmSync(cwd, { recursive: true, force: true });
}

await main();
