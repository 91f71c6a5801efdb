import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { targets } from './helpers/targets.ts';
import { createApp } from '../server/api.ts';
import { createContext } from '../server/context.ts';

const repo = join(import.meta.dirname, '..');
const secret = 'pw-Zq8-never-shown';

/** The target's URL with a password in it (trust auth and PGlite accept any password). */
function withPassword(url: string): string {
  const u = new URL(url);
  u.password = secret;
  return u.toString();
}

function cli(args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'server/cli.ts', ...args], {
    cwd: repo, encoding: 'utf8', env: { ...process.env, DATABASE_URL: '' }, timeout: 120_000,
  });
}

describe.each(targets)('the database password on $name', (target) => {
  it('never appears in API answers', async () => {
    const ctx = await createContext({ dbUrl: withPassword(target.url) });
    try {
      const app = createApp(ctx);
      const requests: [string, RequestInit?][] = [
        ['/api/health'], ['/api/schema?source=db'], ['/api/schema?source=orm'], ['/api/diagram?source=db'], ['/api/diagram?source=db&format=text'],
        ['/api/drift'], ['/api/lint?source=db'], ['/api/entities'], ['/api/diagram?focus=no_such_table'],
        ['/api/compare', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ entity: 'User', populate: ['profile'], limit: 2, repeat: 1, strategies: ['select-in'] }) }],
        ['/api/compare', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"entity": "Nope"}' }],
      ];
      for (const [path, init] of requests) {
        const res = await app.request(`http://127.0.0.1:5177${path}`, init);
        const body = await res.text();
        expect(res.status, `${path}: ${body.slice(0, 200)}`).toBeLessThan(500);
        expect(body, path).not.toContain(secret);
      }
    } finally {
      await ctx.close();
    }
  });

  it('never appears in exported files or command output', () => {
    for (const format of ['json', 'markdown', 'mermaid']) {
      const run = cli(['export', '--source', 'db', '--format', format, '--db', withPassword(target.url)]);
      expect(run.status, run.stderr).toBe(0);
      expect(run.stdout.length).toBeGreaterThan(100);
      expect(run.stdout + run.stderr, format).not.toContain(secret);
    }
    const lint = cli(['lint', '--db', withPassword(target.url)]);
    expect(lint.stdout + lint.stderr).not.toContain(secret);
  });
});

describe('a database that cannot be reached at start', () => {
  it('gives one line naming host, port and the fix, exit 1, and no password', () => {
    for (const command of [['serve', '--port', '0'], ['export', '--source', 'db'], ['lint'], ['compare', 'User', '--populate', 'posts']]) {
      const run = cli([...command, '--db', `postgresql://someone:${secret}@127.0.0.1:1/app`]);
      expect(run.status, command.join(' ')).toBe(1);
      const lines = run.stderr.trim().split('\n').filter((l) => !/^npm warn|ExperimentalWarning|--trace-warnings/.test(l));
      expect(lines, command.join(' ')).toHaveLength(1);
      expect(lines[0]).toMatch(/^relscope: Cannot connect to PostgreSQL at 127\.0\.0\.1:1 \(database app\): connection refused/);
      expect(lines[0]).toMatch(/--db|DATABASE_URL/);
      expect(run.stdout + run.stderr).not.toContain(secret);
      expect(run.stderr).not.toMatch(/\n\s+at /); // no stack trace
    }
  });
});
