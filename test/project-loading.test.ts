/**
 * Issue 6, parts 1 and "bad input": finding the user's MikroORM config the way MikroORM's CLI
 * does, reading tsconfig files, pointing the config at another database safely, and one clear
 * line (file + cause, non-zero exit) for every kind of broken project, before anything starts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliSettings, configTemplates, findConfig, templateHint } from '../server/project/discover.ts';
import { parseJsonc, readTsConfig, wantsDecoratorMetadata } from '../server/project/tsconfig.ts';
import { connectionUrlOf, loadProject, optionsForUrl, type LoadedProject } from '../server/project/load.ts';
import { createContext, prepareDemo } from '../server/context.ts';
import { UserError } from '../server/errors.ts';
import { assertNodeForProject, nodeIsSupported } from '../server/project/node-version.ts';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Options } from '@mikro-orm/postgresql';
import { targets } from './helpers/targets.ts';
import { cleanEnv, fixturesRoot, relscope, repoRoot, run, serve } from './fixtures/tools/harness.ts';

let root: string;
let n = 0;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'relscope-project-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A fresh folder with these files (paths relative to it). */
function folder(files: Record<string, string>): string {
  const dir = join(root, `p${n++}`);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  mkdirSync(dir, { recursive: true });
  return dir;
}

const cfg = 'export default {};\n';

describe('finding the config like MikroORM’s CLI', () => {
  it('finds nothing in a folder without a config', () => {
    expect(findConfig(folder({ 'package.json': '{}' }), undefined, {})).toBeNull();
  });

  it('prefers ./src/mikro-orm.config.ts, then ./mikro-orm.config.ts, then the .js forms', () => {
    const all = folder({ 'src/mikro-orm.config.ts': cfg, 'mikro-orm.config.ts': cfg, 'src/mikro-orm.config.js': cfg, 'mikro-orm.config.js': cfg });
    expect(findConfig(all, undefined, {})).toEqual({ path: join(all, 'src/mikro-orm.config.ts'), via: 'convention' });
    const rootTs = folder({ 'mikro-orm.config.ts': cfg, 'mikro-orm.config.js': cfg });
    expect(findConfig(rootTs, undefined, {})?.path).toBe(join(rootTs, 'mikro-orm.config.ts'));
    const js = folder({ 'src/mikro-orm.config.js': cfg, 'mikro-orm.config.js': cfg });
    expect(findConfig(js, undefined, {})?.path).toBe(join(js, 'src/mikro-orm.config.js'));
  });

  it('looks for the compiled .js config in dist/ (else build/) when that folder exists, as MikroORM does', () => {
    const dist = folder({ 'dist/mikro-orm.config.js': cfg, 'src/mikro-orm.config.js': cfg });
    expect(findConfig(dist, undefined, {})?.path).toBe(join(dist, 'dist/mikro-orm.config.js'));
    const build = folder({ 'build/mikro-orm.config.js': cfg });
    expect(findConfig(build, undefined, {})?.path).toBe(join(build, 'build/mikro-orm.config.js'));
  });

  it('names a config template (src/mikro-orm.config.ts.example) without loading it, and says where to copy it', () => {
    const withTemplate = folder({ 'package.json': '{}', 'src/mikro-orm.config.ts.example': cfg, 'mikro-orm.config.js.dist': cfg });
    expect(findConfig(withTemplate, undefined, {})).toBeNull();
    expect(configTemplates(withTemplate, {})).toEqual([
      { template: './src/mikro-orm.config.ts.example', copyTo: './src/mikro-orm.config.ts' },
      { template: './mikro-orm.config.js.dist', copyTo: './mikro-orm.config.js' },
    ]);
    expect(templateHint(withTemplate, {})).toBe(' ./src/mikro-orm.config.ts.example looks like a config template: copy it to ./src/mikro-orm.config.ts, with your database\'s connection, to see your project.');
    expect(templateHint(folder({ 'package.json': '{}' }), {})).toBe('');
  });

  it('takes package.json "mikro-orm".configPaths before the conventional paths, first existing one', () => {
    const dir = folder({
      'package.json': JSON.stringify({ 'mikro-orm': { configPaths: ['./missing.ts', './config/orm.ts'] } }),
      'config/orm.ts': cfg,
      'mikro-orm.config.ts': cfg,
    });
    expect(findConfig(dir, undefined, {})).toEqual({ path: join(dir, 'config/orm.ts'), via: 'package.json' });
  });

  it('takes $MIKRO_ORM_CLI_CONFIG before package.json, and --config before both', () => {
    const dir = folder({ 'package.json': JSON.stringify({ 'mikro-orm': { configPaths: ['./a.ts'] } }), 'a.ts': cfg, 'b.ts': cfg, 'c.ts': cfg });
    expect(findConfig(dir, undefined, { MIKRO_ORM_CLI_CONFIG: 'b.ts' })).toEqual({ path: join(dir, 'b.ts'), via: 'MIKRO_ORM_CLI_CONFIG' });
    expect(findConfig(dir, 'c.ts', { MIKRO_ORM_CLI_CONFIG: 'b.ts' })).toEqual({ path: join(dir, 'c.ts'), via: '--config' });
  });

  it('names the missing file when --config or $MIKRO_ORM_CLI_CONFIG points nowhere', () => {
    const dir = folder({ 'mikro-orm.config.ts': cfg });
    expect(() => findConfig(dir, 'nope.ts', {})).toThrow(/--config nope\.ts: no such file/);
    expect(() => findConfig(dir, undefined, { MIKRO_ORM_CLI_CONFIG: 'gone.ts' })).toThrow(/MIKRO_ORM_CLI_CONFIG names gone\.ts, which does not exist/);
    expect(() => findConfig(dir, 'nope.ts', {})).toThrow(UserError);
  });

  it('reads the CLI settings from the nearest package.json, with the MIKRO_ORM_CLI_* overrides', () => {
    const dir = folder({ 'package.json': JSON.stringify({ 'mikro-orm': { preferTs: false, tsConfigPath: './tsconfig.build.json' } }), 'sub/x.txt': '' });
    expect(cliSettings(join(dir, 'sub'), {})).toMatchObject({ preferTs: false, tsConfigPath: './tsconfig.build.json', packageJson: join(dir, 'package.json') });
    expect(cliSettings(dir, { MIKRO_ORM_CLI_PREFER_TS: 'true', MIKRO_ORM_CLI_TS_CONFIG_PATH: 'other.json' })).toMatchObject({ preferTs: true, tsConfigPath: 'other.json' });
    expect(() => cliSettings(folder({ 'package.json': '{ nope' }), {})).toThrow(/package\.json is not valid JSON/);
  });
});

describe('tsconfig.json', () => {
  it('parses comments and trailing commas but leaves strings alone', () => {
    expect(parseJsonc('{\n // c\n "a": "http://x//y", /* b */ "b": [1, 2,],\n}')).toEqual({ a: 'http://x//y', b: [1, 2] });
    expect(parseJsonc('{"s": "a,}"}')).toEqual({ s: 'a,}' });
  });

  it('applies "extends" (a path or a list), the file’s own options winning', () => {
    const dir = folder({
      'base.json': '{ "compilerOptions": { "experimentalDecorators": true, "target": "ES2020" } }',
      'meta.json': '{ "compilerOptions": { "emitDecoratorMetadata": true } }',
      'tsconfig.json': '{ "extends": ["./base.json", "./meta"], "compilerOptions": { "target": "ES2022", }, }',
    });
    const read = readTsConfig(join(dir, 'tsconfig.json'));
    expect(read.compilerOptions).toEqual({ experimentalDecorators: true, emitDecoratorMetadata: true, target: 'ES2022' });
    expect(wantsDecoratorMetadata(read.compilerOptions)).toBe(true);
    expect(wantsDecoratorMetadata({ emitDecoratorMetadata: true })).toBe(false);
  });
});

describe('pointing the config at a database', () => {
  it('computes the connection the config names, as MikroORM does', () => {
    expect(connectionUrlOf({ dbName: 'shop' } as Options)).toBe('postgresql://postgres@127.0.0.1:5432/shop');
    expect(connectionUrlOf({ clientUrl: 'postgres://app:s3cr%40t@db.internal:6543/shop' } as Options)).toBe('postgresql://app:s3cr%40t@db.internal:6543/shop');
    expect(connectionUrlOf({ clientUrl: 'postgresql://a@h/one', dbName: 'two', port: 7000, user: 'u', password: 'p w' } as Options)).toBe('postgresql://u:p%20w@h:7000/two');
    expect(connectionUrlOf({} as Options)).toBeNull();
  });

  it('keeps the entities and settings but takes every connection field from the URL and turns off what writes', () => {
    const user = {
      dbName: 'prod', host: 'prod.example', user: 'app', password: 'x', clientUrl: 'postgresql://prod.example/prod',
      replicas: [{ host: 'replica.example' }], preferReadReplicas: true, ensureDatabase: { create: true, clear: true }, ensureIndexes: true,
      preferEnvVars: true, entities: ['./src/entities'], schema: 'app', debug: true, pool: { max: 50, idleTimeoutMillis: 5 },
    } as unknown as Options;
    const o = optionsForUrl(user, 'postgresql://reader:pw@127.0.0.1:5432/copy', 4) as Record<string, unknown>;
    expect(o).toMatchObject({
      clientUrl: 'postgresql://reader:pw@127.0.0.1:5432/copy', host: '127.0.0.1', port: 5432, user: 'reader', password: 'pw', dbName: 'copy',
      ensureDatabase: false, ensureIndexes: false, preferEnvVars: false, debug: false, preferTs: true,
      entities: ['./src/entities'], schema: 'app', pool: { max: 4, min: 0, idleTimeoutMillis: 5 },
    });
    expect(o.replicas).toBeUndefined();
    expect(o.preferReadReplicas).toBeUndefined();
    expect((o.driver as { name: string }).name).toBe('PostgreSqlDriver');
  });
});

describe('the forms a config file exports', () => {
  const load = (files: Record<string, string>, context?: string) => {
    const dir = folder(files);
    return loadProject({ path: join(dir, 'mikro-orm.config.mjs'), via: '--config' }, dir, context);
  };

  it('an object, a promise, a factory called with the context name, an array picked by contextName', async () => {
    expect((await load({ 'mikro-orm.config.mjs': 'export default { dbName: "a" };' })).options.dbName).toBe('a');
    expect((await load({ 'mikro-orm.config.mjs': 'export default Promise.resolve({ dbName: "b" });' })).options.dbName).toBe('b');
    expect((await load({ 'mikro-orm.config.mjs': 'export default async (name) => ({ dbName: `c_${name}` });' })).options.dbName).toBe('c_default');
    const many = { 'mikro-orm.config.mjs': 'export default [{ contextName: "default", dbName: "main" }, { contextName: "reports", dbName: "olap" }];' };
    expect((await load(many)).options.dbName).toBe('main');
    expect((await load(many, 'reports')).options.dbName).toBe('olap');
    await expect(load(many, 'missing')).rejects.toThrow(/exports 2 configs and none has contextName "missing"; pass --context NAME/);
  });

  it('labels the project with the file and how it was found, and carries the config’s connection', async () => {
    const project = await load({ 'mikro-orm.config.mjs': 'export default { clientUrl: "postgresql://u@db:5433/x" };' });
    expect(project.label).toBe('mikro-orm.config.mjs (found via --config)');
    expect(project.configUrl).toBe('postgresql://u@db:5433/x');
    expect(project.loader.kind).toBe('tsx');
  });

  it('rejects a config that exports nothing usable or another database’s driver', async () => {
    await expect(load({ 'mikro-orm.config.mjs': 'export default 42;' })).rejects.toThrow(/does not export an options object \(got number\)/);
    await expect(load({ 'mikro-orm.config.mjs': 'class MongoDriver {}\nexport default { driver: MongoDriver };' })).rejects.toThrow(/uses MongoDriver; relscope reads PostgreSQL only/);
  });
});

describe('the fixture projects', () => {
  for (const name of ['legacy-shop', 'es-org', 'define-content', 'tools']) {
    it.concurrent(`${name} type-checks under its own tsconfig.json`, async ({ expect }) => {
      const result = await run(['--noEmit', '-p', join(fixturesRoot, name)], { cwd: repoRoot, command: [join(repoRoot, 'node_modules/.bin/tsc')], env: cleanEnv() });
      expect(result.stdout + result.stderr).toBe('');
      expect(result.code).toBe(0);
    });
  }
});

/** Broken projects under test/fixtures/bad, run as a user would. */
describe('bad input: one line naming the file and the cause, non-zero exit, nothing started', () => {
  const bad = (name: string) => join(fixturesRoot, 'bad', name);
  const unreachable = 'postgresql://postgres@127.0.0.1:1/nothing_here';
  const cases: { name: string; dir: string; args?: string[]; env?: NodeJS.ProcessEnv; line: RegExp; code?: number }[] = [
    { name: 'a config that throws while loading', dir: 'throws', line: /^relscope: Could not load the MikroORM config mikro-orm\.config\.ts: SHOP_SECRET_KEY_FOR_TEST is not set \(at mikro-orm\.config\.ts:3\)\.$/ },
    { name: 'a config factory that throws', dir: 'factory-throws', line: /^relscope: The MikroORM config mikro-orm\.config\.ts threw while building its options: the vault did not answer \(at mikro-orm\.config\.ts:4\)\.$/ },
    { name: 'an entity file that throws when imported', dir: 'entity-throws', line: /^relscope: Could not load the MikroORM config mikro-orm\.config\.ts: .*JSON.* \(at entities\/broken\.ts:3\)\.$/ },
    { name: 'a syntax error in the config', dir: 'syntax', line: /^relscope: Could not load the MikroORM config mikro-orm\.config\.ts: Transform failed with 1 error: mikro-orm\.config\.ts:6:0: ERROR: Unexpected "}"\.$/ },
    { name: 'an entity that fails discovery', dir: 'discovery', line: /^relscope: Entity discovery failed for mikro-orm\.config\.ts: Author\.books has unknown 'mappedBy' reference: Book\.writer\.$/ },
    { name: 'a MySQL driver', dir: 'mysql', line: /^relscope: The MikroORM config mikro-orm\.config\.ts uses MySqlDriver; relscope reads PostgreSQL only\.$/ },
    { name: 'the in-process PGlite driver', dir: 'pglite', line: /^relscope: The MikroORM config mikro-orm\.config\.ts uses PgliteDriver; relscope reads PostgreSQL only \(in-process PGlite has no server to connect to\): point --db at a PostgreSQL server/ },
    { name: 'a config that names no database', dir: 'no-db', args: [], line: /^relscope: mikro-orm\.config\.ts \(found by convention\) names no database \(no dbName or clientUrl\); pass --db postgresql:\/\/user@host:5432\/dbname\.$/, code: 2 },
    { name: 'legacy decorators without emitDecoratorMetadata', dir: 'no-metadata', line: /^relscope: Entity discovery failed for mikro-orm\.config\.ts: Please provide either 'type' or 'entity' attribute in Note\.id\..* set "experimentalDecorators" and "emitDecoratorMetadata" in tsconfig\.json/ },
    { name: 'a type imported as a value under emitDecoratorMetadata', dir: 'type-import', line: /^relscope: Could not load the MikroORM config mikro-orm\.config\.ts: The requested module '@mikro-orm\/core' does not provide an export named 'Rel' \(at book\.ts:4\)\. .*`import type \{ Rel \}`/ },
    { name: 'entity files importing each other under ES modules (issue 11, item 12)', dir: 'circular-esm', line: /^relscope: Could not load the MikroORM config mikro-orm\.config\.ts: Cannot access 'Writer' before initialization \(at entities\/novel\.ts:\d+\)\. .*wrap the type in MikroORM's Rel<> .*`writer!: Rel<Writer>`/ },
    { name: 'a package the project declares but never installed (a fresh clone)', dir: 'uninstalled', line: /^relscope: Could not load the MikroORM config mikro-orm\.config\.ts: Cannot find package '@relscope-fixture\/never-installed' .*\. @relscope-fixture\/never-installed is in package\.json but not installed: run npm install \(or yarn \/ pnpm install\) here\.$/ },
    { name: 'a --config that does not exist', dir: 'mysql', args: ['--config', 'nope.ts'], line: /^relscope: --config nope\.ts: no such file \(looked at .*nope\.ts\)\.$/, code: 2 },
    { name: 'a MIKRO_ORM_CLI_CONFIG that does not exist', dir: 'mysql', env: { MIKRO_ORM_CLI_CONFIG: 'gone.config.ts' }, line: /^relscope: MIKRO_ORM_CLI_CONFIG names gone\.config\.ts, which does not exist/, code: 2 },
  ];

  // Each case is a child process that mostly waits on its own start-up: run them side by side.
  for (const c of cases) {
    it.concurrent(c.name, async ({ expect }) => {
      const result = await relscope(['export', '--format', 'mermaid', ...(c.args ?? ['--db', unreachable])], bad(c.dir), cleanEnv(c.env));
      expect(result.stdout).toBe('');
      expect(result.stderr.trimEnd().split('\n'), result.stderr).toHaveLength(1);
      expect(result.stderr.trimEnd()).toMatch(c.line);
      expect(result.code).toBe(c.code ?? 1);
    });
  }

  it('a connection named by the config is blamed on the config, not on --db (issue 11, item 7)', async () => {
    // nest-cjs names 127.0.0.1:5432/relscope_fixture_nest_cjs, a database no test creates.
    const result = await relscope(['export', '--source', 'db', '--format', 'mermaid'], join(fixturesRoot, 'nest-cjs'), cleanEnv({ MIKRO_ORM_PORT: '1' }));
    expect(result.code).toBe(1);
    expect(result.stderr.trimEnd().split('\n'), result.stderr).toHaveLength(1);
    expect(result.stderr).toMatch(/^relscope: Cannot connect to PostgreSQL at 127\.0\.0\.1:1 \(database relscope_fixture_nest_cjs\): .*The connection comes from src\/mikro-orm\.config\.ts: fix it there/);
    expect(result.stderr).not.toContain('embedded database');
  });

  it('export --source orm reads the metadata without any reachable database (issue 11, item 7)', async () => {
    const cwd = join(fixturesRoot, 'nest-cjs');
    const [viaConfig, viaFlag] = await Promise.all([
      relscope(['export', '--source', 'orm', '--format', 'mermaid'], cwd, cleanEnv({ MIKRO_ORM_PORT: '1' })),
      relscope(['export', '--source', 'orm', '--format', 'json', '--db', unreachable], cwd),
    ]);
    expect(viaConfig.stderr).toBe('');
    expect(viaConfig.code).toBe(0);
    expect(viaConfig.stdout).toContain('erDiagram');
    expect(viaFlag.stderr).toBe('');
    expect(viaFlag.code).toBe(0);
    expect((JSON.parse(viaFlag.stdout) as { tables: { name: string }[] }).tables.map((t) => t.name)).toContain('member');
  });

  it('--config from another folder: imports through the project\'s tsconfig paths and baseUrl resolve; entity paths that find nothing say why', async () => {
    const outside = folder({});
    const config = (name: string) => join(fixturesRoot, 'paths-alias/src', name);
    const [aliased, paths] = await Promise.all([
      relscope(['export', '--source', 'orm', '--format', 'json', '--config', config('mikro-orm.config.ts')], outside),
      relscope(['export', '--source', 'orm', '--format', 'json', '--config', config('mikro-orm.paths.config.ts')], outside),
    ]);
    // Before: "Cannot find package '@model/writer.js'": tsx read the working directory's tsconfig.
    expect(aliased.stderr).toBe('');
    expect((JSON.parse(aliased.stdout) as { tables: { name: string }[] }).tables.map((t) => t.name).sort()).toEqual(['essay', 'writer']);
    expect(paths.code).toBe(1);
    expect(paths.stderr.trimEnd().split('\n'), paths.stderr).toHaveLength(1);
    expect(paths.stderr).toMatch(/No entities were discovered\. Its entity paths \(\.\/src\/model\/\*\.ts\) are resolved from baseDir, by default the working directory \(.*\), not the project's folder: run relscope in .*paths-alias, or set baseDir in the config\.$/m);
  });

  it('serve with a broken project exits before listening', async () => {
    const started = serve(['--db', unreachable], { cwd: bad('discovery') });
    const error = (await started.then(
      () => null,
      (e: Error & { result?: { code: number; stdout: string; stderr: string } }) => e,
    ))!;
    expect(error, 'serve must not start').not.toBeNull();
    expect(error.result?.code).toBe(1);
    expect(error.result?.stdout).toBe('');
    expect(error.result?.stderr.trim()).toMatch(/^relscope: Entity discovery failed for mikro-orm\.config\.ts: Author\.books has unknown 'mappedBy' reference/);
  });

  it('without a config it says so and shows the demo model; --demo and --config exclude each other', async () => {
    const empty = folder({ 'package.json': '{}' });
    const shown = await relscope(['export', '--format', 'mermaid', '--source', 'db', '--db', targets[0]!.url], empty);
    expect(shown.code).toBe(0);
    expect(shown.stderr.trim()).toMatch(/^relscope: no MikroORM config found in .* \(looked for \.\/src\/mikro-orm\.config\.ts, \.\/mikro-orm\.config\.ts, \.\/src\/mikro-orm\.config\.js, \.\/mikro-orm\.config\.js\): showing the built-in demo model\. Pass --config PATH for your project, or --demo/);
    expect(shown.stdout).toContain('erDiagram');
    // When the database cannot be reached, the connection error is the only line.
    const result = await relscope(['export', '--format', 'mermaid', '--db', unreachable], empty);
    expect(result.stderr.trim()).toMatch(/^relscope: Cannot connect to PostgreSQL at 127\.0\.0\.1:1[^\n]*$/);
    const both = await relscope(['export', '--demo', '--config', 'x.ts'], empty);
    expect(both.stderr.trim()).toBe('relscope: --demo and --config exclude each other: the demo has its own model.');
    expect(both.code).toBe(2);
  });

  it('the demo helpers refuse a context on a user project instead of creating or dropping its tables', async () => {
    const project = { configPath: '/p/mikro-orm.config.ts', label: 'mikro-orm.config.ts (found by convention)', options: {}, configUrl: null, loader: { kind: 'tsx', tsconfig: null, detail: '' }, preferTs: true } as LoadedProject;
    const ctx = await createContext({ target: { kind: 'external', url: unreachable, display: 'nowhere', close: async () => {} }, project });
    try {
      await expect(prepareDemo(ctx, { reset: true, scale: 1 })).rejects.toThrow(/^The demo schema is made with the demo model, not with mikro-orm\.config\.ts \(found by convention\)/);
    } finally {
      await ctx.close();
    }
  });
});

/** Issue 11, item 2: a user's project needs Node >= 22.17 (MikroORM 7); say so first, in one line. */
describe('the Node version a user’s project needs', () => {
  it('accepts 22.17 and later, refuses older ones naming the version found', () => {
    for (const ok of ['22.17.0', 'v22.17.1', '22.23.5', '23.0.0', '24.1.0']) expect(nodeIsSupported(ok), ok).toBe(true);
    for (const old of ['22.16.9', '20.20.2', '18.19.0', 'v21.7.3']) expect(nodeIsSupported(old), old).toBe(false);
    expect(() => assertNodeForProject('20.20.2')).toThrow(/^Node\.js 20\.20\.2 found; loading a MikroORM 7 project needs Node\.js >= 22\.17/);
    expect(() => assertNodeForProject('22.17.0')).not.toThrow();
  });

  // This machine's Debian Node (20.20) is an older Node to run relscope with, when it is there.
  const system = ['/usr/bin/node', '/bin/node'].find((path) => existsSync(path) && path !== process.execPath);
  const systemVersion = system ? execFileSync(system, ['-p', 'process.versions.node']).toString().trim() : null;
  if (system && systemVersion && !nodeIsSupported(systemVersion)) {
    it(`on Node ${systemVersion} a CommonJS project gets one line naming the version, not MikroORM's "reading 'exports'"`, async () => {
      const result = await run(['export', '--source', 'orm', '--format', 'mermaid'], { cwd: join(fixturesRoot, 'nest-cjs'), command: [system, join(repoRoot, 'bin/relscope.js')], env: cleanEnv() });
      expect(result.stdout).toBe('');
      expect(result.stderr.trimEnd()).toBe(`relscope: Node.js ${systemVersion} found; loading a MikroORM 7 project needs Node.js >= 22.17: switch to Node 22.17 or newer (e.g. \`nvm install 22\`) and run relscope again (--demo runs on this Node).`);
      expect(result.code).toBe(1);
    });
  }
});
