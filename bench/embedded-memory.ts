/**
 * Where the embedded database child's memory goes (issue 17 item 9): RSS of a fresh PGlite child
 * on the seeded demo (scale 1) while the same comparison-like reads repeat. If the growth is the
 * buffer pool warming (shared_buffers, 128MB in PGlite 0.5.14) plus WebAssembly's high-water
 * mark, RSS stops growing once every page was read; a leak keeps growing.
 *
 *   npx tsx bench/embedded-memory.ts [--rounds 10] [--comparisons 6]
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { createContext, prepareDemo } from '../server/context.ts';
import { compare } from '../server/lab/compare.ts';

const { values } = parseArgs({ options: { rounds: { type: 'string' }, comparisons: { type: 'string' } } });
const rounds = Number(values.rounds ?? 10);
const comparisons = Number(values.comparisons ?? 6);
const dir = mkdtempSync(join(tmpdir(), 'relscope-memory-'));
const rss = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

const ctx = await createContext({ dataDir: join(dir, 'pgdata') });
try {
  await prepareDemo(ctx, { scale: 1 });
  const embedded = ctx.target.embedded!;
  await ctx.close(); // restart: measure a fresh child on the seeded directory
  const again = await createContext({ dataDir: join(dir, 'pgdata') });
  const pid = again.target.embedded!.pid!;
  const client = new pg.Client(again.target.url);
  client.on('error', () => {});
  await client.connect();
  const settings = (await client.query("select name, pg_size_pretty(setting::bigint * case unit when '8kB' then 8192 when 'kB' then 1024 else 1 end) as size from pg_settings where name in ('shared_buffers', 'work_mem')")).rows;
  const size = (await client.query('select pg_size_pretty(pg_database_size(current_database())) as size')).rows[0].size;
  const lines = [`settings: ${settings.map((r) => `${r.name} ${r.size}`).join(', ')}; database ${size}; fresh child RSS ${rss(pid).toFixed(0)} MiB`];
  const reads = [
    'select u.*, p.* from users u join posts p on p.user_id = u.id order by u.id limit 2000',
    'select p.*, c.* from posts p join comments c on c.post_id = p.id where p.user_id < 200',
    'explain (analyze, buffers, format json) select * from comments c join posts p on p.id = c.post_id order by c.id',
    'select count(*) from users, posts, comments where users.id = posts.user_id and posts.id = comments.post_id',
  ];
  for (let round = 1; round <= rounds; round++) {
    const t0 = performance.now();
    for (const sql of reads) await client.query(sql);
    await client.query('discard all');
    lines.push(`round ${round}: ${rss(pid).toFixed(0)} MiB (${(performance.now() - t0).toFixed(0)} ms)`);
  }
  await client.end();
  // Then whole comparisons (MikroORM loads with every strategy, EXPLAIN ANALYZE of each statement).
  for (let round = 1; round <= comparisons; round++) {
    const t0 = performance.now();
    await compare(again, { entity: 'User', populate: ['posts.comments'], limit: 20, repeat: 1 });
    lines.push(`comparison ${round}: ${rss(pid).toFixed(0)} MiB (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  }
  await again.close();
  lines.push(`load average at the end: ${loadavg().map((l) => l.toFixed(2)).join(', ')}`);
  console.log(lines.join('\n'));
  void embedded;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
