import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { targets, contextFor } from './helpers/targets.ts';
import { createApp } from '../server/api.ts';
import { createContext, type AppContext } from '../server/context.ts';
import { EmbeddedPostgres } from '../server/db/embedded.ts';
import { dbModel } from '../server/schema/load.ts';

const repo = join(import.meta.dirname, '..');

describe('local-only guard', () => {
  let ctx: AppContext;
  beforeAll(async () => { ctx = await contextFor(targets[0]!); });
  afterAll(async () => { await ctx.close(); });

  it('refuses a foreign Host header (DNS rebinding) and accepts loopback names', async () => {
    const app = createApp(ctx);
    const evil = await app.request('http://evil.example:5177/api/health', { headers: { host: 'evil.example:5177' } });
    expect(evil.status).toBe(403);
    expect((await evil.json() as { error: string }).error).toMatch(/Host "evil.example:5177"/);
    for (const host of ['127.0.0.1:5177', 'localhost:5177', '[::1]:5177', 'LOCALHOST']) {
      const ok = await app.request('http://x/api/health', { headers: { host } });
      expect(ok.status, host).toBe(200);
    }
  });

  it('refuses query-running requests from a foreign origin or cross-site', async () => {
    const app = createApp(ctx);
    const post = (headers: Record<string, string>) => app.request('http://127.0.0.1:5177/api/compare', {
      method: 'POST', headers: { host: '127.0.0.1:5177', 'content-type': 'text/plain', ...headers }, body: '{}',
    });
    expect((await post({ origin: 'https://evil.example' })).status).toBe(403);
    expect((await post({ origin: 'null' })).status).toBe(403);
    expect((await post({ 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    // Its own page (same origin) gets through the guard to the route itself.
    expect((await post({ origin: 'http://127.0.0.1:5177', 'sec-fetch-site': 'same-origin' })).status).not.toBe(403);
  });

  it('accepts the --host address when one is given', async () => {
    const app = createApp(ctx, { extraHosts: ['192.168.1.20'] });
    expect((await app.request('http://192.168.1.20:5177/api/health', { headers: { host: '192.168.1.20:5177' } })).status).toBe(200);
    expect((await app.request('http://10.0.0.9:5177/api/health', { headers: { host: '10.0.0.9:5177' } })).status).toBe(403);
  });
});

describe('embedded database faults', () => {
  let dir: string;
  beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'relscope-faults-')); });
  afterAll(() => { rmSync(dir, { recursive: true, force: true }); });

  it('answers 503 while the database is gone and recovers when it returns, without a restart', async () => {
    const embedded = new EmbeddedPostgres(join(dir, 'lost'));
    const info = await embedded.start();
    const ctx = await createContext({ target: { kind: 'embedded', url: info.url, display: 'embedded', embedded, close: () => embedded.stop() } });
    try {
      const app = createApp(ctx);
      expect((await app.request('/api/health')).status).toBe(200);
      await embedded.kill();
      const down = await app.request('/api/health');
      expect(down.status).toBe(503);
      expect((await down.json() as { error: string }).error).toMatch(/Cannot connect|unavailable/);
      await embedded.start();
      expect((await app.request('/api/health')).status).toBe(200);
    } finally {
      await ctx.close();
    }
  });

  it('caches the database model until the schema changes', async () => {
    const embedded = new EmbeddedPostgres(join(dir, 'cache'));
    const info = await embedded.start();
    const ctx = await createContext({ target: { kind: 'embedded', url: info.url, display: 'embedded', embedded, close: () => embedded.stop() } });
    try {
      await pgQuery(info.url, 'create table cached_t (a int primary key)');
      const first = await dbModel(ctx);
      expect(await dbModel(ctx)).toBe(first); // same object: served from the cache
      await pgQuery(info.url, 'analyze cached_t; insert into cached_t values (1)'); // statistics and rows are not schema
      await pastFingerprintTtl();
      expect(await dbModel(ctx)).toBe(first);
      await pgQuery(info.url, 'alter table cached_t add column b text');
      await pastFingerprintTtl();
      const second = await dbModel(ctx);
      expect(second).not.toBe(first);
      expect(second.tables.find((t) => t.name === 'cached_t')!.columns.map((c) => c.name)).toEqual(['a', 'b']);
      await pgQuery(info.url, "comment on table cached_t is 'now documented'");
      await pastFingerprintTtl();
      expect((await dbModel(ctx)).tables.find((t) => t.name === 'cached_t')!.comment).toBe('now documented');
    } finally {
      await ctx.close();
    }
  });

  it('restarts a supervised database that crashed', async () => {
    const embedded = new EmbeddedPostgres(join(dir, 'crash'));
    await embedded.start();
    embedded.supervise();
    const pid = embedded.pid!;
    process.kill(pid, 'SIGKILL');
    const deadline = Date.now() + 30_000;
    while (!(embedded.running && embedded.pid !== pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(embedded.running).toBe(true);
    await pgQuery(embedded.url, 'select 1');
    await embedded.stop();
  });

  it('takes over a stale lock and keeps committed data after a kill -9 in the middle of a write', async () => {
    const dataDir = join(dir, 'stale');
    const embedded = new EmbeddedPostgres(dataDir);
    await embedded.start();
    await pgQuery(embedded.url, 'create table kept (n int); insert into kept select generate_series(1, 1000)');
    // A long write in flight when the process dies: it must vanish, the committed rows stay.
    const client = new pg.Client(embedded.url);
    await client.connect();
    client.on('error', () => {});
    const inFlight = client.query('insert into kept select generate_series(1, 3000000)').catch(() => 'killed');
    await new Promise((r) => setTimeout(r, 300));
    process.kill(embedded.pid!, 'SIGKILL');
    expect(await inFlight).toBe('killed');
    await client.end().catch(() => {});
    while (embedded.running) await new Promise((r) => setTimeout(r, 50));

    // A lock left by a process that no longer exists, as after a crash of relscope itself.
    const dead = spawn(process.execPath, ['-e', '0']);
    await new Promise((r) => dead.on('exit', r));
    writeFileSync(`${dataDir}.lock`, String(dead.pid));
    const again = new EmbeddedPostgres(dataDir);
    await again.start();
    const rows = await pgQuery(again.url, 'select count(*)::int as n from kept');
    expect(rows[0]!.n).toBe(1000);
    await again.stop();
  });

  it('refuses a data directory held by a live relscope process, naming it', async () => {
    const dataDir = join(dir, 'busy');
    writeFileSync(`${dataDir}.lock`, String(process.ppid)); // a live process that is not us
    const embedded = new EmbeddedPostgres(dataDir);
    await expect(embedded.start()).rejects.toThrow(/in use by another relscope process \(pid \d+\)/);
    rmSync(`${dataDir}.lock`);
  });
});

describe('serve process', () => {
  it('stops cleanly on Ctrl-C and leaves no embedded database behind', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'relscope-serve-'));
    try {
      const child = spawn(process.execPath, ['--import', 'tsx', 'server/cli.ts', 'serve', '--port', '0', '--data-dir', join(dir, 'pgdata')], {
        cwd: repo, env: { ...process.env, DATABASE_URL: '' }, stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
      child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
      const url = await waitFor(() => /serving (http:\/\/\S+)/.exec(out)?.[1], 120_000, () => out);
      const health = await fetch(`${url}/api/health`);
      expect(health.status).toBe(200);
      const lock = join(dir, 'pgdata.lock');
      expect(existsSync(lock)).toBe(true);
      const dbPids = embeddedPidsFor(join(dir, 'pgdata'));
      expect(dbPids.length).toBe(1);

      child.kill('SIGINT');
      const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
      expect(code).toBe(0);
      expect(embeddedPidsFor(join(dir, 'pgdata'))).toEqual([]);
      expect(existsSync(lock)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** The catalog fingerprint is reused for a second (a burst of requests shares one read). */
const pastFingerprintTtl = () => new Promise((r) => setTimeout(r, 1100));

async function pgQuery(url: string, sql: string): Promise<Record<string, number>[]> {
  const client = new pg.Client(url);
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

async function waitFor<T>(probe: () => T | undefined, timeoutMs: number, describe: () => string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out; output so far:\n${describe()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** PIDs of embedded-database children serving this data directory (read from /proc). */
function embeddedPidsFor(dataDir: string): number[] {
  const out = execFileSync('sh', ['-c', 'for p in /proc/[0-9]*; do if tr "\\0" "\\n" < $p/environ 2>/dev/null | grep -qx "RELSCOPE_PGLITE_DIR=$0"; then basename $p; fi; done', dataDir]).toString();
  return out.split('\n').filter(Boolean).map(Number);
}
