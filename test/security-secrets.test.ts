import { describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { targets } from './helpers/targets.ts';
import { createApp } from '../server/api.ts';
import { createContext } from '../server/context.ts';
import { connectionUrl, redactUrl } from '../server/db/connect.ts';

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

describe.each(targets)('a password in any URL form on $name', (target) => {
  it('?password= is redacted in answers and the serving line, and reaches the ORM and pg as a string', async () => {
    const url = new URL(target.url);
    url.searchParams.set('password', secret);
    const ctx = await createContext({ dbUrl: url.toString() });
    try {
      expect(ctx.target.display).not.toContain(secret);
      const orm = await ctx.orm();
      // MikroORM reads the password from the URL's userinfo only; `?password=` used to reach it as "".
      expect(orm.em.getConnection().getConnectionOptions().password).toBe(secret);
      const app = createApp(ctx);
      for (const [path, init] of [
        ['/api/health'],
        ['/api/compare', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ entity: 'User', populate: ['profile'], limit: 2, repeat: 1, strategies: ['select-in'], explain: false }) }],
      ] as [string, RequestInit?][]) {
        const res = await app.request(`http://127.0.0.1:5177${path}`, init);
        const body = await res.text();
        expect(res.status, `${path}: ${body.slice(0, 300)}`).toBe(200);
        expect(body, path).not.toContain(secret);
      }
    } finally {
      await ctx.close();
    }
  });

  it('PGPASSWORD and ?password= end up where every client reads them; no form is ever displayed', () => {
    const plain = new URL(target.url);
    plain.password = '';
    const fromEnv = connectionUrl(plain.toString(), { PGPASSWORD: secret });
    expect(new URL(fromEnv).password).toBe(secret);
    const fromQuery = connectionUrl(`${plain.toString()}${plain.search ? '&' : '?'}password=${encodeURIComponent(secret)}`, {});
    expect(decodeURIComponent(new URL(fromQuery).password)).toBe(secret);
    expect(new URL(fromQuery).searchParams.has('password')).toBe(false);
    // The URL's own password wins over PGPASSWORD, as libpq does.
    expect(new URL(connectionUrl(withPassword(target.url), { PGPASSWORD: 'other' })).password).toBe(secret);
    for (const form of [withPassword(target.url), fromEnv, fromQuery, `postgresql://u@h/db?password=${secret}&sslpassword=${secret}&application_name=x`]) {
      expect(redactUrl(form), form).not.toContain(secret);
    }
    expect(redactUrl(`postgresql://u@h/db?application_name=x&password=${secret}`)).toBe('postgresql://u@h/db?application_name=x&password=***');
  });

  it('is not printed by serve when given as ?password=', async () => {
    const url = new URL(target.url);
    url.searchParams.set('password', secret);
    const child = spawn(process.execPath, ['--import', 'tsx', 'server/cli.ts', 'serve', '--port', '0', '--db', url.toString()], {
      cwd: repo, env: { ...process.env, DATABASE_URL: '' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
    try {
      const deadline = Date.now() + 120_000;
      while (!/serving http/.test(out) && child.exitCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(out).toMatch(/serving http:\/\/127\.0\.0\.1:\d+ on /);
      expect(out).not.toContain(secret);
    } finally {
      child.kill('SIGINT');
      await new Promise((r) => child.on('exit', r));
    }
  });
});
