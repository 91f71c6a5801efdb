/**
 * Schema introspection benchmark (`npm run bench:schema`): relscope's `db` source against
 * pg-introspection, extract-pg-schema and MikroORM's DatabaseSchema.create, and a floor of five
 * plain pg_catalog queries in parallel, on a generated 1,000-table schema in a real PostgreSQL.
 *
 *   BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres tsx bench/introspection.ts [--rebuild] [--runs N] [--skip-extract]
 *
 * The scratch database `relscope_bench` is created next to the one the URL names (default:
 * $DATABASE_URL, else postgresql://postgres@127.0.0.1:5432/postgres) and kept for the next run.
 * Each tool runs in its own process (bench/introspection-worker.ts) so its peak RSS is its own.
 * Figures go to stdout and bench/results/schema.md.
 */
import { spawnSync } from 'node:child_process';
import { prng } from './prng.ts';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const args = process.argv.slice(2);
const rebuild = args.includes('--rebuild');
const skipExtract = args.includes('--skip-extract');
const runsIndex = args.indexOf('--runs');
const runs = runsIndex >= 0 ? Number(args[runsIndex + 1]) : 9;
const tables = 1000;
const dbName = 'relscope_bench';

const baseUrl = process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const benchUrl = (() => {
  const u = new URL(baseUrl);
  u.pathname = `/${dbName}`;
  return u.toString();
})();


import { schemaSql } from './generated-schema.ts';
export { schemaSql };

async function ensureDatabase(): Promise<string> {
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  try {
    const exists = (await admin.query('select 1 from pg_database where datname = $1', [dbName])).rowCount === 1;
    if (exists && !rebuild) {
      const client = new pg.Client({ connectionString: benchUrl });
      await client.connect();
      const n = Number((await client.query(`select count(*) as n from pg_class c join pg_namespace ns on ns.oid = c.relnamespace where ns.nspname = 'public' and c.relkind = 'r'`)).rows[0].n);
      await client.end();
      if (n === tables) return 'reused';
    }
    await admin.query(`drop database if exists ${dbName} with (force)`);
    await admin.query(`create database ${dbName}`);
  } finally {
    await admin.end();
  }
  const client = new pg.Client({ connectionString: benchUrl });
  await client.connect();
  try {
    await client.query(`begin; ${schemaSql(tables)} commit; analyze;`);
  } finally {
    await client.end();
  }
  return 'created';
}

interface WorkerResult {
  tool: string;
  runs: number[];
  /** pair only: the floor's times, measured alternately with relscope's. */
  floor?: number[];
  maxRssMiB: number;
  detail: string;
}

const worker = fileURLToPath(new URL('./introspection-worker.ts', import.meta.url));

/** Workers run on plain Node (its built-in type stripping), so no loader's memory counts. */
function measure(tool: string, n: number): WorkerResult {
  const result = spawnSync(process.execPath, [worker, tool, benchUrl, String(n)], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`${tool} failed: ${result.stderr || result.stdout}`);
  const line = result.stdout.trim().split('\n').pop()!;
  return JSON.parse(line) as WorkerResult;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

const started = Date.now();
const loadBefore = loadavg()[0]!;
const state = await ensureDatabase();
const version = await (async () => {
  const c = new pg.Client({ connectionString: benchUrl });
  await c.connect();
  const v = (await c.query('show server_version')).rows[0].server_version as string;
  const counts = (await c.query(`select (select count(*) from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'public' and c.relkind = 'r' and a.attnum > 0) as columns,
    (select count(*) from pg_constraint where contype = 'f' and connamespace = 'public'::regnamespace) as fks,
    (select count(*) from pg_index i join pg_class c on c.oid = i.indrelid join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'public') as indexes`)).rows[0];
  await c.end();
  return { v: v.split(' ')[0], ...counts };
})();
console.log(`relscope_bench: ${state}; PostgreSQL ${version.v}; ${tables} tables, ${version.columns} columns, ${version.fks} FKs, ${version.indexes} indexes (incl. PKs)`);

const plan: [string, number][] = [
  ['pair', runs * 2],
  ['floor', runs],
  ['relscope', runs],
  ['relscope-1conn', runs],
  ['pg-introspection', runs],
  ['mikro-orm', runs],
  ['mermaid', 15],
];
if (!skipExtract) plan.push(['extract-pg-schema', 1]);

const results: WorkerResult[] = [];
for (const [tool, n] of plan) {
  process.stdout.write(`${tool.padEnd(18)} `);
  const r = measure(tool, n);
  // Peak RSS of one run in a fresh process: what a single `relscope export` holds at its peak.
  if (n > 1 && tool !== 'pair') r.maxRssMiB = measure(tool, 1).maxRssMiB;
  results.push(r);
  if (r.floor) {
    console.log(`relscope ${median(r.runs).toFixed(1)} ms vs floor ${median(r.floor).toFixed(1)} ms, alternating, ${r.runs.length} runs each: ${(median(r.runs) / median(r.floor)).toFixed(2)}x`);
    continue;
  }
  console.log(`median ${median(r.runs).toFixed(1)} ms over ${r.runs.length}, peak RSS ${r.maxRssMiB.toFixed(0)} MiB — ${r.detail}`);
}

const floor = median(results.find((r) => r.tool === 'floor')!.runs);
const pair = results.find((r) => r.tool === 'pair')!;
const pairRatio = median(pair.runs) / median(pair.floor!);
const label: Record<string, string> = {
  floor: 'floor: 5 plain pg_catalog queries in parallel (5 connections)',
  relscope: 'relscope `db` source (modelFromDatabase, 5 connections)',
  'relscope-1conn': 'relscope `db` source on 1 connection (as on the embedded database)',
  'pg-introspection': 'pg-introspection 1.0.1 (query + parse)',
  'mikro-orm': 'MikroORM 7.2.1 DatabaseSchema.create',
  'extract-pg-schema': 'extract-pg-schema 5.8.2 (schema public)',
  mermaid: 'Mermaid erDiagram text, all 1,000 tables with columns',
};
const rows = results.filter((r) => r.tool !== 'pair').map((r) => {
  const m = median(r.runs);
  const ratio = r.tool === 'mermaid' ? '—' : `${(m / floor).toFixed(2)}x`;
  return `| ${label[r.tool] ?? r.tool} | ${m < 100 ? m.toFixed(1) : m.toFixed(0)} ms | ${ratio} | ${r.maxRssMiB.toFixed(0)} MiB | ${r.runs.length} |`;
});
const relscope = median(results.find((r) => r.tool === 'relscope')!.runs);
const relscopeRss = results.find((r) => r.tool === 'relscope')!.maxRssMiB;
const mermaid = median(results.find((r) => r.tool === 'mermaid')!.runs);
const md = `# Schema introspection and Mermaid benchmark

\`npm run bench:schema\` (bench/introspection.ts); ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.versions.node}, PostgreSQL ${version.v} on the same machine; load average ${loadBefore.toFixed(1)} at the start and ${loadavg()[0]!.toFixed(1)} at the end (other work was running: absolute times are inflated, ratios measured alternately much less so).
Schema: ${tables} generated tables in database \`${dbName}\`: ${version.columns} columns, ${version.fks} foreign keys, ${version.indexes} indexes including primary keys.
Each tool runs in its own Node process (plain Node, no TypeScript loader); times are medians of the runs in one process and include opening the connections; peak RSS is that of a fresh process doing one run (Node itself included, about 45 MiB).

| what | median | vs floor | peak RSS | runs |
|---|---|---|---|---|
${rows.join('\n')}

Measured alternately in one process (so machine load hits both alike): floor ${median(pair.floor!).toFixed(1)} ms, relscope ${median(pair.runs).toFixed(1)} ms, **${pairRatio.toFixed(2)}x** (${pair.runs.length} runs each).

Goals: relscope within 1.3x of the floor — **${pairRatio.toFixed(2)}x** alternating (${(relscope / floor).toFixed(2)}x from the separate runs above); under 150 MiB peak RSS — **${relscopeRss.toFixed(0)} MiB**; Mermaid text for 1,000 tables under 50 ms — **${mermaid.toFixed(1)} ms**.

Details:
${results.map((r) => `- ${r.tool}: ${r.detail}`).join('\n')}
`;
mkdirSync(fileURLToPath(new URL('./results/', import.meta.url)), { recursive: true });
writeFileSync(fileURLToPath(new URL('./results/schema.md', import.meta.url)), md);
console.log(`\nwrote bench/results/schema.md in ${((Date.now() - started) / 1000).toFixed(0)} s`);
