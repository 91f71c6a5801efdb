/**
 * Foundation figures: embedded start (cold and warm) and seed time at scale 1 and 10,
 * embedded PGlite vs the PostgreSQL server at $DATABASE_URL (default 127.0.0.1:5432).
 * Run: npm run bench:foundation  (writes bench/results/foundation.md)
 */
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { EmbeddedPostgres } from '../server/db/embedded.ts';
import { createContext, prepareDemo } from '../server/context.ts';

const serverUrl = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2; };
const fmt = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`);

async function startTimes(runs: number) {
  const cold: number[] = [];
  const warm: number[] = [];
  for (let i = 0; i < runs; i++) {
    const dir = mkdtempSync(join(tmpdir(), 'relscope-bench-'));
    const db = new EmbeddedPostgres(join(dir, 'pgdata'));
    cold.push((await db.start()).startMs);
    await db.stop();
    warm.push((await db.start()).startMs);
    await db.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return { cold: median(cold), warm: median(warm), coldAll: cold, warmAll: warm };
}

let seededRows = 0;
async function seedTime(kind: 'embedded' | 'server', scale: number, runs: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    let dir: string | null = null;
    let dbName: string | null = null;
    let ctx;
    if (kind === 'embedded') {
      dir = mkdtempSync(join(tmpdir(), 'relscope-bench-'));
      ctx = await createContext({ dataDir: join(dir, 'pgdata') });
    } else {
      dbName = `relscope_bench_seed_${process.pid}`;
      const admin = new pg.Client(serverUrl); await admin.connect();
      await admin.query(`drop database if exists ${dbName}`); await admin.query(`create database ${dbName}`); await admin.end();
      const url = new URL(serverUrl); url.pathname = `/${dbName}`;
      ctx = await createContext({ dbUrl: url.toString() });
    }
    try {
      await prepareDemo(ctx, {}); // schema only, outside the timing
      const t = performance.now();
      const { rows } = await prepareDemo(ctx, { scale });
      times.push(performance.now() - t);
      seededRows = Object.values(rows).reduce((a, b) => a + b, 0);
    } finally {
      await ctx.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
      if (dbName) { const admin = new pg.Client(serverUrl); await admin.connect(); await admin.query(`drop database if exists ${dbName}`); await admin.end(); }
    }
  }
  return times;
}

const runs = Number(process.env.BENCH_RUNS ?? 3);
const start = await startTimes(runs);
console.log('start', start);
const rows: string[] = [];
for (const scale of [1, 10]) {
  const emb = await seedTime('embedded', scale, scale === 10 ? 1 : runs);
  const srv = await seedTime('server', scale, scale === 10 ? 1 : runs);
  console.log('seed', scale, emb, srv);
  rows.push(`| seed scale ${scale} (${seededRows.toLocaleString('en-US')} rows) | ${fmt(median(emb))} | ${fmt(median(srv))} | ${(median(emb) / median(srv)).toFixed(1)}x |`);
}
const md = `## Foundation (bench/foundation.ts)

Measured ${new Date().toISOString().slice(0, 10)} on this machine (2 cores), Node ${process.versions.node}; medians of ${runs} runs (scale 10: one run).

| what | embedded PGlite (PG 18.6) | PG server (${serverUrl.replace(/\/\/.*@/, '//')}) | embedded / server |
|---|---|---|---|
| start, new data directory (initdb) | ${fmt(start.cold)} | – | – |
| start, existing data directory | ${fmt(start.warm)} | – | – |
${rows.join('\n')}

Seed time includes ANALYZE, excludes schema creation.
`;
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/foundation.md', md);
console.log(md);
