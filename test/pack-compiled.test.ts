/**
 * Issue 15, "done when": the packed tarball holds relscope compiled to JavaScript (built at
 * `prepack` by tools/build-node.mjs), and an installed copy runs `npx relscope --help`, an
 * export and a docs folder with no TypeScript compiler at all: tsx (and esbuild under it) are
 * deleted from the install first, so any attempt to load them fails the run.
 *
 * Needs the npm registry (for relscope's dependencies; the npm cache is preferred). Skips,
 * saying so, only when the registry cannot be reached.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import pg from 'pg';
import { ScratchDatabases, cleanEnv, repoRoot, run } from './fixtures/tools/harness.ts';
import { summaries } from '../server/cli.ts';

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';
let work = '';
const dbs = new ScratchDatabases();
let registry: { ok: boolean; why: string } = { ok: false, why: 'not checked' };

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'relscope-compiled-'));
  const ping = await run(['ping', '--loglevel=error'], { cwd: work, command: [npm], env: cleanEnv(), timeoutMs: 30_000 }).catch((e: Error) => ({ code: -1, stdout: '', stderr: e.message }));
  registry = ping.code === 0 ? { ok: true, why: '' } : { ok: false, why: `the npm registry is unreachable (npm ping: ${ping.stderr.trim().split('\n').pop()})` };
});

afterAll(async () => {
  await dbs.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('--help lists every command with its own summary', () => {
  it('matches each command module\'s exported summary (the CLI keeps a copy so that --help loads none)', async () => {
    for (const [name, summary] of Object.entries(summaries)) {
      const mod = (await import(`../server/commands/${name}.ts`)) as { summary: string };
      expect(summary, name).toBe(mod.summary);
    }
  });
});

describe('the packed tarball runs compiled', () => {
  let tarball = '';
  const tool = () => join(work, 'tool');

  it('packs dist/node (JavaScript only) built at prepack', async (context) => {
    if (!registry.ok) context.skip(registry.why);
    const listed = await run(['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: repoRoot, command: ['git'], env: cleanEnv() });
    expect(listed.code, listed.stderr).toBe(0);
    const staged = join(work, 'checkout');
    for (const path of listed.stdout.split('\0').filter(Boolean)) {
      if (/^(test|bench)\//.test(path) || !existsSync(join(repoRoot, path))) continue;
      mkdirSync(dirname(join(staged, path)), { recursive: true });
      copyFileSync(join(repoRoot, path), join(staged, path));
    }
    symlinkSync(join(repoRoot, 'node_modules'), join(staged, 'node_modules'), 'dir');
    const packed = await run(['pack', '--pack-destination', work, '--json', '--loglevel=error'], { cwd: staged, command: [npm], env: cleanEnv(), timeoutMs: 240_000 });
    expect(packed.code, packed.stderr).toBe(0);
    const [info] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as { filename: string; files: { path: string }[] }[];
    tarball = join(work, info!.filename);
    const built = info!.files.map((f) => f.path).filter((p) => p.startsWith('dist/node/'));
    expect(built).toContain('dist/node/cli.js');
    expect(built.filter((p) => !p.endsWith('.js'))).toEqual([]);
  }, 300_000);

  it('`npx relscope --help`, `export` and `docs` run with tsx and esbuild removed from the install', async (context) => {
    if (!registry.ok || !tarball) context.skip(registry.ok ? 'packing failed' : registry.why);
    mkdirSync(tool(), { recursive: true });
    writeFileSync(join(tool(), 'package.json'), JSON.stringify({ name: 'tool', private: true }));
    const installed = await run(['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', tarball], { cwd: tool(), command: [npm], env: cleanEnv(), timeoutMs: 240_000 });
    expect(installed.code, installed.stderr).toBe(0);
    const modules = join(tool(), 'node_modules');
    expect(existsSync(join(modules, 'relscope/dist/node/cli.js'))).toBe(true);
    // No TypeScript compiler for relscope's own code: take them away.
    for (const dir of ['tsx', 'esbuild', ...(existsSync(join(modules, '@esbuild')) ? readdirSync(join(modules, '@esbuild')).map((d) => `@esbuild/${d}`) : [])]) rmSync(join(modules, dir), { recursive: true, force: true });
    expect(existsSync(join(modules, 'tsx'))).toBe(false);

    const help = await run(['relscope', '--help'], { cwd: tool(), command: [npx], env: cleanEnv(), timeoutMs: 60_000 });
    expect(help.code, help.stderr).toBe(0);
    expect(help.stdout).toContain('  docs      write a docs folder');

    const db = await dbs.fresh(dbs.kinds().includes('server') ? 'server' : 'embedded', 'compiled');
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    await client.query('create table author (id integer primary key, "pen name" text); create table book (id integer primary key, author_id integer references author (id))');
    await client.end();
    const env = cleanEnv({ DATABASE_URL: db.url });
    const mermaid = await run(['relscope', 'export', '--source', 'db', '--format', 'mermaid'], { cwd: tool(), command: [npx], env, timeoutMs: 120_000 });
    expect(mermaid.code, mermaid.stderr).toBe(0);
    expect(mermaid.stdout).toContain('erDiagram');
    expect(mermaid.stdout).toContain('text pen_name "pen name"');
    const markdown = await run(['relscope', 'export', '--source', 'db', '--format', 'markdown'], { cwd: tool(), command: [npx], env, timeoutMs: 120_000 });
    expect(markdown.code, markdown.stderr).toBe(0);
    expect(markdown.stdout).toContain('```mermaid');
    const docs = await run(['relscope', 'docs', '--out', 'docs/schema'], { cwd: tool(), command: [npx], env, timeoutMs: 120_000 });
    expect(docs.code, docs.stderr).toBe(0);
    expect(readFileSync(join(tool(), 'docs/schema/README.md'), 'utf8')).toContain('(tables/public.book.md)');
    const check = await run(['relscope', 'check', 'docs/schema'], { cwd: tool(), command: [npx], env, timeoutMs: 120_000 });
    expect(check.code, check.stdout + check.stderr).toBe(0);
  }, 300_000);
});
