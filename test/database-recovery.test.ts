import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp } from '../server/api.ts';
import { createContext } from '../server/context.ts';

/**
 * A real PostgreSQL server of the test's own (initdb in a temp dir, its own port), stopped
 * and started again under a running relscope: 503 with the reason while it is down, and
 * answers again once it is back, without restarting relscope.
 */
function postgresBin(): string | null {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  for (const version of readdirSync(root).sort().reverse()) {
    const bin = join(root, version, 'bin');
    if (existsSync(join(bin, 'initdb')) && existsSync(join(bin, 'pg_ctl'))) return bin;
  }
  return null;
}

const bin = postgresBin();
const isRoot = process.getuid?.() === 0;
let postgresUid: number | null = null;
if (isRoot) {
  try {
    postgresUid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
  } catch {
    postgresUid = null;
  }
}
const usable = bin !== null && (!isRoot || postgresUid !== null);
const why = bin === null ? ' (skipped: no PostgreSQL server binaries under /usr/lib/postgresql)' : !usable ? ' (skipped: running as root without a postgres user)' : '';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

function asPostgres(command: string, args: string[]): void {
  // PostgreSQL refuses to run as root: as root, run its tools as the postgres user.
  if (isRoot) execFileSync('runuser', ['-u', 'postgres', '--', command, ...args], { stdio: 'pipe' });
  else execFileSync(command, args, { stdio: 'pipe' });
}

describe.skipIf(!usable)(`a real server that goes away while relscope serves${why}`, () => {
  it('answers 503 with the reason while it is down and recovers without a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'relscope-realpg-'));
    if (isRoot) chownSync(dir, postgresUid!, postgresUid!);
    const data = join(dir, 'data');
    const port = await freePort();
    const pgCtl = (action: string) => asPostgres(join(bin!, 'pg_ctl'), ['-D', data, '-w', '-t', '60', '-m', 'fast', '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1`, '-l', join(dir, 'log'), action]);
    asPostgres(join(bin!, 'initdb'), ['-D', data, '-A', 'trust', '-U', 'postgres']);
    pgCtl('start');
    const ctx = await createContext({ dbUrl: `postgresql://postgres@127.0.0.1:${port}/postgres` });
    try {
      const app = createApp(ctx);
      const get = async (path: string) => {
        const res = await app.request(path);
        return { status: res.status, body: await res.json() as { error?: string } };
      };
      expect((await get('/api/health')).status).toBe(200);
      expect((await get('/api/schema?source=db')).status).toBe(200);

      pgCtl('stop');
      await new Promise((r) => setTimeout(r, 1100)); // past the catalog fingerprint's one-second reuse
      for (const path of ['/api/health', '/api/schema?source=db', '/api/diagram?source=db']) {
        const down = await get(path);
        expect(down.status, path).toBe(503);
        expect(down.body.error, path).toMatch(new RegExp(`127\\.0\\.0\\.1:${port}|unavailable`));
      }
      // The ORM's metadata needs no database: that source keeps answering.
      expect((await get('/api/schema?source=orm')).status).toBe(200);

      pgCtl('start');
      await new Promise((r) => setTimeout(r, 1100));
      expect((await get('/api/health')).status).toBe(200);
      expect((await get('/api/schema?source=db')).status).toBe(200);
    } finally {
      await ctx.close();
      try { pgCtl('stop'); } catch { /* already stopped */ }
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
