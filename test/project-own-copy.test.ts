/**
 * A project with its own copy of MikroORM: the usual case when relscope runs from a checkout,
 * `npx relscope` or a global install, where the project's node_modules holds @mikro-orm/*
 * packages that are not relscope's. Its entities, EntityManager, Collections and References
 * are then instances of the project's classes, and anything relscope checks with its own
 * classes (instanceof, static caches) silently misreads them: `compare --populate
 * books.tags,books.publisher` once failed every to-many populate with "Cannot read
 * properties of undefined (reading '__initialized')" (a Collection read as a reference).
 *
 * The project is built at test time inside the repository (under .relscope/, gitignored) so
 * that pg, kysely and the rest still resolve by walking up to the repository's node_modules,
 * while its node_modules/@mikro-orm/* are real copies (cp, not symlinks: a symlink resolves to
 * the same file, hence the same module instance) of relscope's. It is loaded exactly as a user
 * runs relscope (a child process of bin/relscope.js in the project's folder).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import type { CompareReport } from '../common/lab-types.ts';
import type { SchemaModel } from '../common/schema-model.ts';
import { ScratchDatabases, cleanEnv, relscope, repoRoot, serve, type ScratchDatabase } from './fixtures/tools/harness.ts';

const projectDir = join(repoRoot, '.relscope', `own-copy-${process.pid}`);
const dbs = new ScratchDatabases();
let db: ScratchDatabase;

/** Author 1:m Book, Book m:1 Publisher (nullable), Book m:n Tag: a to-many, a to-one and a pivot. */
const config = `import { defineEntity, p } from '@mikro-orm/core';
import { defineConfig } from '@mikro-orm/postgresql';

export const Author = defineEntity({
  name: 'Author',
  properties: {
    id: p.integer().primary(),
    name: p.string(),
    books: () => p.oneToMany(Book).mappedBy('author'),
  },
});

export const Publisher = defineEntity({
  name: 'Publisher',
  properties: { id: p.integer().primary(), name: p.string() },
});

export const Tag = defineEntity({
  name: 'Tag',
  properties: { id: p.integer().primary(), name: p.string() },
});

export const Book = defineEntity({
  name: 'Book',
  properties: {
    id: p.integer().primary(),
    title: p.string(),
    author: () => p.manyToOne(Author),
    publisher: () => p.manyToOne(Publisher).nullable(),
    tags: () => p.manyToMany(Tag),
  },
});

export default defineConfig({ dbName: 'own_copy_fixture', entities: [Author, Publisher, Tag, Book] });
`;

const schemaSql = `
create table author (id int primary key, name varchar(255) not null);
create table publisher (id int primary key, name varchar(255) not null);
create table tag (id int primary key, name varchar(255) not null);
create table book (
  id int primary key, title varchar(255) not null,
  author_id int not null references author (id),
  publisher_id int null references publisher (id)
);
create table book_tags (
  book_id int not null references book (id) on delete cascade,
  tag_id int not null references tag (id) on delete cascade,
  primary key (book_id, tag_id)
);
insert into author select i, 'author ' || i from generate_series(1, 6) i;
insert into publisher select i, 'publisher ' || i from generate_series(1, 3) i;
insert into tag select i, 'tag ' || i from generate_series(1, 5) i;
insert into book select i, 'book ' || i, 1 + i % 6, case when i % 4 = 0 then null else 1 + i % 3 end from generate_series(1, 24) i;
insert into book_tags select b, t from generate_series(1, 24) b, generate_series(1, 5) t where (b + t) % 3 = 0;
analyze;
`;

/** A package that cannot be imported: stands for `dataloader` missing from the project's dependencies. */
function shadowDataloader(): void {
  const dir = join(projectDir, 'node_modules', 'dataloader');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'dataloader', version: '0.0.0-missing', main: 'not-installed.js' }));
}

const env = () => cleanEnv({ RELSCOPE_DEBUG: '1' });

beforeAll(async () => {
  rmSync(projectDir, { recursive: true, force: true });
  const scoped = join(projectDir, 'node_modules', '@mikro-orm');
  mkdirSync(scoped, { recursive: true });
  // Real copies of every @mikro-orm package relscope has (core, sql, postgresql, ...).
  for (const name of readdirSync(join(repoRoot, 'node_modules', '@mikro-orm'))) {
    cpSync(join(repoRoot, 'node_modules', '@mikro-orm', name), join(scoped, name), { recursive: true, dereference: true });
  }
  // The copy says a version of its own, so that what relscope reports can be told from its own copy's.
  const utils = join(scoped, 'core', 'utils', 'Utils.js');
  const source = readFileSync(utils, 'utf8');
  const patched = source.replace(/(#ORM_VERSION = ')([^']+)'/, `$1$2-own-copy'`);
  if (patched === source) throw new Error(`${utils} no longer holds #ORM_VERSION: update this test`);
  writeFileSync(utils, patched);
  writeFileSync(join(projectDir, 'package.json'), JSON.stringify({ name: 'own-copy-fixture', private: true, type: 'module' }));
  writeFileSync(join(projectDir, 'mikro-orm.config.js'), config);
  db = await dbs.fresh(dbs.serverUrl ? 'server' : 'embedded', 'own_copy');
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    await client.query(schemaSql);
  } finally {
    await client.end();
  }
}, 120_000);

afterAll(async () => {
  rmSync(projectDir, { recursive: true, force: true });
  await dbs.close();
});

describe('a project with its own copy of @mikro-orm/core and @mikro-orm/postgresql', () => {
  it('compares every strategy over a to-many, a many-to-many and a to-one, and the graphs agree', async () => {
    const result = await relscope(['compare', 'Author', '--populate', 'books.tags,books.publisher', '--repeat', '1', '--no-explain', '--format', 'json', '--db', db.url], projectDir, env());
    // The project's copy was used, not relscope's (otherwise this test proves nothing).
    expect(result.stderr).toContain(`using the project's own MikroORM (${join(projectDir, 'node_modules', '@mikro-orm', 'postgresql')}`);
    expect(result.stdout, result.stderr).toMatch(/^\{/);
    const report = JSON.parse(result.stdout) as CompareReport;
    const byStrategy = Object.fromEntries(report.strategies.map((s) => [s.strategy, s]));
    for (const s of report.strategies) expect({ strategy: s.strategy, status: s.status, error: s.error }).toEqual({ strategy: s.strategy, status: 'ok', error: undefined });
    expect(Object.keys(byStrategy).sort()).toEqual(['as-configured', 'balanced', 'dataloader', 'joined', 'select', 'select-in']);
    expect(report.correctness.consistent).toBe(true);
    expect(report.correctness.differences).toEqual([]);
    expect(report.correctness.unchecked ?? []).toEqual([]);
    // 6 authors, 24 books, 3 publishers, 5 tags: the whole graph was hydrated under every strategy.
    for (const s of report.strategies) expect(s.entities, s.strategy).toBe(6 + 24 + 3 + 5);
    expect(result.code, result.stderr).toBe(0);
  }, 180_000);

  it('names the project’s MikroORM version as the ORM model’s origin, not relscope’s', async () => {
    const server = await serve(['--db', db.url], { cwd: projectDir, env: env() });
    try {
      const response = await fetch(`${server.baseUrl}/api/schema?source=orm`);
      const model = (await response.json()) as SchemaModel;
      expect(model.origin).toMatch(/^MikroORM \d+\.\d+\.\d+\S*-own-copy$/);
      expect(model.tables.map((t) => t.id).sort()).toEqual(['public.author', 'public.book', 'public.book_tags', 'public.publisher', 'public.tag']);
      // Read through markers every copy shares (EntitySchema.REGISTRY lives on globalThis), not relscope's statics.
      expect(new Set(model.entities!.map((e) => e.style))).toEqual(new Set(['defineEntity']));
    } finally {
      await server.stop();
    }
  }, 120_000);

  it('reports a dataloader missing from the project as one line about the project, the other strategies unaffected; a failure only when named', async () => {
    shadowDataloader();
    try {
      const result = await relscope(['compare', 'Author', '--populate', 'books.tags,books.publisher', '--strategies', 'select-in,dataloader', '--repeat', '1', '--no-explain', '--db', db.url], projectDir, env());
      expect(result.code).toBe(1); // a strategy failed
      // The table's row for it: one line, saying the project lacks a package (not a relscope failure).
      const row = result.stdout.split('\n').filter((l) => l.startsWith('dataloader '));
      expect(row, result.stdout).toEqual([expect.stringMatching(/^dataloader\s+error: `dataloader` is not installed in the project/)]);
      expect(result.stdout).not.toMatch(/\.\./); // no doubled period where a sentence quotes the error
      const json = await relscope(['compare', 'Author', '--populate', 'books.tags,books.publisher', '--strategies', 'select-in,dataloader', '--repeat', '1', '--no-explain', '--format', 'json', '--db', db.url], projectDir, env());
      const report = JSON.parse(json.stdout) as CompareReport;
      const dataloader = report.strategies.find((s) => s.strategy === 'dataloader')!;
      expect(dataloader.status).toBe('error');
      expect(dataloader.error).not.toContain('\n');
      expect(dataloader.error).toBe('`dataloader` is not installed in the project (its MikroORM needs it for this strategy; the others do not): run npm install dataloader in the project to compare it');
      expect(dataloader.missingPackage).toBe('dataloader');
      expect(report.strategies.find((s) => s.strategy === 'select-in')!.status).toBe('ok');
      // Not named in --strategies: the project cannot use it, so it is said on stderr and not a failure.
      const unnamed = await relscope(['compare', 'Author', '--populate', 'books.tags', '--repeat', '1', '--no-explain', '--db', db.url], projectDir, env());
      expect(unnamed.code, unnamed.stderr).toBe(0);
      expect(unnamed.stderr).toMatch(/^relscope: dataloader not measured: the project does not have dataloader installed; not counted as a failure/m);
    } finally {
      rmSync(join(projectDir, 'node_modules', 'dataloader'), { recursive: true, force: true });
    }
  }, 180_000);
});
