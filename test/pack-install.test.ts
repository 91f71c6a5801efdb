/**
 * Issue 11, "done when": the same installed tarball then runs every command (export in each
 * format and source, check, lint, compare, serve) in copies of the fixture projects of issue 11
 * (NestJS-style CommonJS with legacy decorators, with entities required one by one and through
 * an index file; a project whose every loading strategy fails), each on a database of its own,
 * left unchanged. One install serves them all: the copies sit inside the scratch project, so
 * their imports resolve to its node_modules.
 *
 * Issue 6, "done when": `npm pack` this repository, install the tarball into a scratch folder
 * that holds a MikroORM project of its own (legacy decorators + reflect-metadata, its own
 * TypeScript 5 and MikroORM 7.2.1, nothing from this repository), create its schema in a
 * fresh database, then `npx relscope export --format markdown` and `npx relscope serve`
 * against it, and prove the database is unchanged (catalog + rows fingerprint).
 *
 * Needs the npm registry (for the scratch project's dependencies; the npm cache is preferred).
 * Skips, saying so, only when the registry cannot be reached.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import pg from 'pg';
import { cpSync } from 'node:fs';
import mermaid from 'mermaid';
import { ScratchDatabases, cleanEnv, fingerprint, fixturesRoot, repoRoot, run, serve, setupFixtureDatabase, type RunResult, type ScratchDatabase } from './fixtures/tools/harness.ts';

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';
let work = '';
let project = '';
const dbs = new ScratchDatabases();
let registry: { ok: boolean; why: string } = { ok: false, why: 'not checked' };

/** A user's project: nothing in it comes from this repository but the tarball. */
const files: Record<string, string> = {
  'tsconfig.json': JSON.stringify({
    compilerOptions: {
      target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, isolatedModules: true,
      experimentalDecorators: true, emitDecoratorMetadata: true, skipLibCheck: true, outDir: 'dist',
    },
    include: ['src'],
  }, null, 2),
  'src/mikro-orm.config.ts': `import 'reflect-metadata';
import { defineConfig } from '@mikro-orm/postgresql';
import { ReflectMetadataProvider } from '@mikro-orm/decorators/legacy';
import { Author } from './entities/author.js';
import { Book } from './entities/book.js';
import { Tag } from './entities/tag.js';

export default defineConfig({
  dbName: 'library_dev',
  entities: [Author, Book, Tag],
  metadataProvider: ReflectMetadataProvider,
});
`,
  'src/entities/author.ts': `import { Collection } from '@mikro-orm/core';
import { Entity, OneToMany, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { Book } from './book.js';

@Entity()
export class Author {
  @PrimaryKey()
  id!: number;

  @Property()
  name!: string;

  @OneToMany(() => Book, (book) => book.author)
  books = new Collection<Book>(this);
}
`,
  'src/entities/book.ts': `import { Collection, type Rel } from '@mikro-orm/core';
import { Entity, ManyToMany, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { Author } from './author.js';
import { Tag } from './tag.js';

@Entity()
export class Book {
  @PrimaryKey()
  id!: number;

  @Property()
  title!: string;

  @ManyToOne(() => Author)
  author!: Rel<Author>;

  @ManyToMany(() => Tag)
  tags = new Collection<Tag>(this);
}
`,
  'src/entities/tag.ts': `import { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

@Entity()
export class Tag {
  @PrimaryKey()
  id!: number;

  @Property()
  label!: string;
}
`,
};

/** The schema MikroORM creates for these entities (written out, so no tool of this repository makes it). */
const ddl = `
create table "author" ("id" serial primary key, "name" varchar(255) not null);
create table "tag" ("id" serial primary key, "label" varchar(255) not null);
create table "book" ("id" serial primary key, "title" varchar(255) not null, "author_id" int not null references "author" ("id") on update cascade);
create table "book_tags" ("book_id" int not null references "book" ("id") on update cascade on delete cascade,
  "tag_id" int not null references "tag" ("id") on update cascade on delete cascade, primary key ("book_id", "tag_id"));
insert into "author" ("name") values ('Ursula'), ('Italo');
insert into "tag" ("label") values ('fantasy'), ('classic');
insert into "book" ("title", "author_id") values ('Earthsea', 1), ('Invisible Cities', 2), ('The Dispossessed', 1);
insert into "book_tags" values (1, 1), (2, 2), (3, 2);
`;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'relscope-pack-'));
  project = join(work, 'library');
  const ping = await run(['ping', '--loglevel=error'], { cwd: work, command: [npm], env: cleanEnv(), timeoutMs: 30_000 }).catch((e: Error) => ({ code: -1, stdout: '', stderr: e.message }));
  registry = ping.code === 0 ? { ok: true, why: '' } : { ok: false, why: `the npm registry is unreachable (npm ping: ${ping.stderr.trim().split('\n').pop()})` };
});

afterAll(async () => {
  await dbs.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the packed tarball in a project of its own', () => {
  let tarball: string;
  let db: ScratchDatabase;

  it('packs with bin, the server sources and the built page, and nothing from the tests', async (context) => {
    if (!registry.ok) context.skip(registry.why);
    // Pack a copy of the checkout (its files as git sees them, node_modules linked), so that the
    // prepack build writes the copy's dist/web, not the one other tests may be serving.
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
    const paths = info!.files.map((f) => f.path);
    for (const required of ['package.json', 'bin/relscope.js', 'server/cli.ts', 'server/db/embedded-child.mjs', 'server/project/metadata-hooks.mjs', 'entities/index.ts']) {
      expect(paths, required).toContain(required);
    }
    if (existsSync(join(repoRoot, 'vite.config.ts'))) expect(paths, 'the built page (prepack runs vite build)').toContain('dist/web/index.html');
    expect(paths.filter((p) => p.startsWith('test/') || p.startsWith('web/') || p.startsWith('bench/') || p.startsWith('node_modules/'))).toEqual([]);
  }, 300_000);

  it('installs next to the project’s own MikroORM 7.2.1, without a copy of its own', async (context) => {
    if (!registry.ok || !tarball) context.skip(registry.ok ? 'packing failed' : registry.why);
    mkdirSync(project, { recursive: true });
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(join(project, path, '..'), { recursive: true });
      writeFileSync(join(project, path), text);
    }
    writeFileSync(join(project, 'package.json'), JSON.stringify({
      name: 'library', private: true, type: 'module',
      dependencies: { '@mikro-orm/core': '7.2.1', '@mikro-orm/postgresql': '7.2.1', '@mikro-orm/decorators': '7.2.1', 'reflect-metadata': '0.2.2' },
      devDependencies: { relscope: `file:${tarball}`, typescript: '5.9.3' },
    }, null, 2));
    const installed = await run(['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: project, command: [npm], env: cleanEnv(), timeoutMs: 240_000 });
    expect(installed.code, installed.stderr).toBe(0);
    expect(existsSync(join(project, 'node_modules/.bin/relscope'))).toBe(true);
    // One @mikro-orm/core for the project's entities and relscope alike (peer dependencies).
    const nested = join(project, 'node_modules/relscope/node_modules');
    expect(existsSync(nested) ? readdirSync(nested).filter((d) => d === '@mikro-orm') : []).toEqual([]);
  }, 300_000);

  it('`npx relscope export --format markdown` and `npx relscope serve` read the project’s database and leave it unchanged', async (context) => {
    if (!registry.ok || !existsSync(join(project, 'node_modules/.bin/relscope'))) context.skip(registry.ok ? 'installing failed' : registry.why);
    db = await dbs.fresh(dbs.kinds().includes('server') ? 'server' : 'embedded', 'pack');
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    await client.query(ddl);
    await client.end();
    const before = await fingerprint(db.url);

    // The connection through DATABASE_URL, as a user would set it.
    const exported = await run(['relscope', 'export', '--format', 'markdown'], { cwd: project, command: [npx], env: cleanEnv({ DATABASE_URL: db.url }), timeoutMs: 120_000 });
    expect(exported.code, exported.stderr).toBe(0);
    // (npx itself may warn about the machine's npm configuration; relscope prints nothing)
    expect(exported.stderr.split('\n').filter((l) => l && !l.startsWith('npm warn'))).toEqual([]);
    expect(exported.stdout).toMatch(/^%% relscope export|^<!-- relscope export/);
    expect(exported.stdout).toContain('erDiagram');
    for (const table of ['author', 'book', 'book_tags', 'tag']) expect(exported.stdout).toContain(table);

    // The project's emitDecoratorMetadata entities went through its own TypeScript 5 (transpileModule).
    const debug = await run(['relscope', 'export', '--source', 'orm', '--format', 'json'], { cwd: project, command: [npx], env: cleanEnv({ DATABASE_URL: db.url, RELSCOPE_DEBUG: '1' }), timeoutMs: 120_000 });
    expect(debug.code, debug.stderr).toBe(0);
    expect(debug.stderr).toContain("relscope: loaded src/mikro-orm.config.ts (found by convention) with the project's own TypeScript 5.9.3 (tsconfig.json)");
    const ormModel = JSON.parse(debug.stdout) as { relations: { kind: string; from: string; to: string }[] };
    expect(ormModel.relations.map((r) => `${r.from} ${r.kind} ${r.to}`)).toEqual(expect.arrayContaining(['public.book m:1 public.author', 'public.book m:n public.tag']));

    const server = await serve(['--db', db.url], { cwd: project, command: [npx, 'relscope'], timeoutMs: 120_000 });
    let health: { ok: boolean; project: string; tables: Record<string, number> };
    let page: Response;
    let entities: Response;
    let compared: Response;
    try {
      health = (await (await fetch(`${server.baseUrl}/api/health`)).json()) as typeof health;
      entities = await fetch(`${server.baseUrl}/api/entities`);
      page = await fetch(`${server.baseUrl}/`);
      // The comparison runs in the lab worker (dist/node/lab-worker.js), which loads the project again in its own thread.
      compared = await fetch(`${server.baseUrl}/api/compare`, {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ entity: 'Book', populate: ['author', 'tags'], strategies: ['select-in', 'joined'], repeat: 1 }),
      });
    } finally {
      // Ctrl-C: relscope shuts down cleanly (npx itself dies of the signal, as in a terminal).
      const stopped = await server.stop();
      expect(stopped.code === 0 || stopped.signal === 'SIGINT', `${stopped.code} ${stopped.signal} ${stopped.stderr}`).toBe(true);
      expect(stopped.stderr.split('\n').filter((l) => l && !l.startsWith('npm warn'))).toEqual([]);
    }
    await expect(fetch(`${server.baseUrl}/api/health`), 'the server is gone after Ctrl-C').rejects.toThrow();
    expect(health.ok).toBe(true);
    expect(health.project).toBe('src/mikro-orm.config.ts (found by convention)');
    expect(health.tables).toEqual({ 'public.author': 2, 'public.book': 3, 'public.book_tags': 3, 'public.tag': 2 });
    expect(entities.status).toBe(200);
    expect(compared.status).toBe(200);
    const report = (await compared.json()) as { strategies: { strategy: string; status: string; entities: number }[]; correctness: { consistent: boolean } };
    expect(report.strategies.map((s) => [s.strategy, s.status, s.entities])).toEqual([['select-in', 'ok', 7], ['joined', 'ok', 7]]);
    expect(report.correctness.consistent).toBe(true);
    expect(((await entities.json()) as { entities: { name: string }[] }).entities.map((e) => e.name).sort()).toEqual(expect.arrayContaining(['Author', 'Book', 'Tag']));
    if (existsSync(join(repoRoot, 'vite.config.ts'))) {
      expect(page.status).toBe(200);
      expect(await page.text()).toMatch(/<html/i);
    }

    const after = await fingerprint(db.url);
    expect(after).toEqual(before);
  }, 300_000);

  it('run from an install of its own (npx without a local install, a global install), it uses the project’s MikroORM', async (context) => {
    if (!registry.ok || !db) context.skip(registry.ok ? 'the previous step failed' : registry.why);
    const tool = join(work, 'tool');
    mkdirSync(tool, { recursive: true });
    writeFileSync(join(tool, 'package.json'), JSON.stringify({ name: 'tool', private: true }));
    // What npx puts in its cache: relscope with peer dependencies of its own (pinned here to
    // 7.2.1, the release whose packages are all in the registry).
    const installed = await run(['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', tarball, '@mikro-orm/core@7.2.1', '@mikro-orm/postgresql@7.2.1'], { cwd: tool, command: [npm], env: cleanEnv(), timeoutMs: 240_000 });
    expect(installed.code, installed.stderr).toBe(0);
    const before = await fingerprint(db.url);
    const result = await run(['export', '--format', 'mermaid', '--source', 'orm'], { cwd: project, command: [process.execPath, join(tool, 'node_modules/relscope/bin/relscope.js')], env: cleanEnv({ DATABASE_URL: db.url, RELSCOPE_DEBUG: '1' }), timeoutMs: 120_000 });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(`relscope: using the project's own MikroORM (${join(project, 'node_modules/@mikro-orm/postgresql/index.js')})`);
    expect(result.stdout).toMatch(/e\d+\["book"\]/);
    expect(await fingerprint(db.url)).toEqual(before);
  }, 300_000);
});

/** Issue 11: every command of the installed tarball on copies of the new fixture projects. */
describe('the installed tarball on the fixture projects', () => {
  const cases: { name: string; compare: string[]; tables: string[]; strategiesFail?: RegExp }[] = [
    { name: 'nest-cjs', compare: ['Member', '--populate', 'articles,tweets'], tables: ['article', 'member', 'post'] },
    { name: 'nest-cjs-index', compare: ['Depot', '--populate', 'shelves.parcels'], tables: ['depot', 'parcel', 'shelf'] },
    { name: 'all-fail', compare: ['Ledger', '--populate', 'entries'], tables: ['entry', 'ledger'], strategiesFail: /currency\.toUpperCase is not a function/ },
  ];
  for (const c of cases) {
    it(`${c.name}: export (orm and db, every text format), check, lint, compare and serve work and change nothing`, async (context) => {
      const bin = join(project, 'node_modules/relscope/bin/relscope.js');
      if (!registry.ok || !existsSync(bin)) context.skip(registry.ok ? 'installing failed' : registry.why);
      // The copy sits inside the scratch project: its imports resolve to the project's MikroORM.
      const cwd = join(project, 'fixtures', c.name);
      cpSync(join(fixturesRoot, c.name), cwd, { recursive: true });
      const fixtureDb = await dbs.fresh(dbs.kinds().includes('server') ? 'server' : 'embedded', `pack_${c.name}`);
      await setupFixtureDatabase(join(fixturesRoot, c.name), fixtureDb.url);
      const before = await fingerprint(fixtureDb.url);
      const env = cleanEnv({ DATABASE_URL: fixtureDb.url });
      const relscopeIn = (args: string[]): Promise<RunResult> => run(args, { cwd, command: [process.execPath, bin], env, timeoutMs: 180_000 });

      const [ormMermaid, dbMarkdown, ormJson, lint, compare] = await Promise.all([
        relscopeIn(['export', '--source', 'orm', '--format', 'mermaid']),
        relscopeIn(['export', '--source', 'db', '--format', 'markdown', '--out', 'schema.md']),
        relscopeIn(['export', '--source', 'orm', '--format', 'json']),
        relscopeIn(['lint', '--format', 'json']),
        relscopeIn(['compare', ...c.compare, '--repeat', '1', '--format', 'json']),
      ]);
      for (const [what, r] of Object.entries({ ormMermaid, dbMarkdown, ormJson, lint })) expect(r.code, `${what}: ${r.stderr}`).toBe(0);
      await mermaid.parse(ormMermaid.stdout.slice(ormMermaid.stdout.indexOf('erDiagram')));
      expect((JSON.parse(ormJson.stdout) as { tables: { name: string; kind: string }[] }).tables.filter((t) => t.kind === 'table').map((t) => t.name).sort()).toEqual(c.tables);
      // Column types compare as PostgreSQL stores them (ArrayType's text[][] is text[]).
      expect((JSON.parse(lint.stdout) as { findings: { code: string }[] }).findings.map((f) => f.code)).not.toContain('type-mismatch');
      const check = await relscopeIn(['check', 'schema.md']);
      expect(check.code, check.stdout + check.stderr).toBe(0);
      if (c.strategiesFail) {
        // Every strategy fails; how compare reports that (exit code, verdict) is issue 11, item 4.
        const report = JSON.parse(compare.stdout) as { strategies: { strategy: string; error?: string | null }[] };
        expect(report.strategies.map((s) => s.error ?? '')).toEqual(report.strategies.map(() => expect.stringMatching(c.strategiesFail!)));
      } else {
        expect(compare.code, compare.stderr).toBe(0);
        const report = JSON.parse(compare.stdout) as { correctness: { consistent: boolean }; strategies: { strategy: string }[] };
        // as in test/project-fixtures.test.ts (as-configured came with the labrun merge)
        expect(report.strategies.map((s) => s.strategy)).toEqual(['as-configured', 'select', 'select-in', 'joined', 'balanced', 'dataloader']);
        expect(report.correctness.consistent).toBe(true);
      }

      const server = await serve([], { cwd, command: [process.execPath, bin], env, timeoutMs: 120_000 });
      let health: { ok: boolean; tables: Record<string, number> };
      let diagram: { mermaid: string; edgeLabels?: string };
      try {
        health = (await (await fetch(`${server.baseUrl}/api/health`)).json()) as typeof health;
        diagram = (await (await fetch(`${server.baseUrl}/api/diagram?source=orm`)).json()) as typeof diagram;
      } finally {
        const stopped = await server.stop();
        expect(stopped.code, stopped.stderr).toBe(0);
      }
      expect(health.ok).toBe(true);
      expect(Object.keys(health.tables).map((t) => t.replace(/^public\./, '')).sort()).toEqual(c.tables);
      await mermaid.parse(diagram.mermaid);
      expect(await fingerprint(fixtureDb.url)).toEqual(before);
    }, 600_000);
  }
});
