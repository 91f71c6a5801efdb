/**
 * Issue 14, part 2: the cascade preview (server/cascade/preview.ts). Its counts must equal
 * what a real DELETE does: each root is deleted for real in a throwaway copy of the data
 * (a scratch database this test creates and seeds) inside a transaction that is rolled back,
 * and the rows that disappeared (or were nulled) per table are compared with the preview.
 * The preview itself changes nothing (fingerprint before and after), and bad input names the
 * API field or the CLI argument.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { ScratchDatabases, fingerprint, fixturesRoot, relscope, setupFixtureDatabase } from './fixtures/tools/harness.ts';
import { createContext, prepareDemo, type AppContext } from '../server/context.ts';
import { previewCascade } from '../server/cascade/preview.ts';
import { createApi } from '../server/api.ts';
import { formatCascadeText, type CascadeReport } from '../common/cascade-types.ts';
import { MikroORM } from '@mikro-orm/postgresql';
import { UserError } from '../server/errors.ts';

const dbs = new ScratchDatabases();
const folder = mkdtempSync(join(tmpdir(), 'relscope-cascade-'));
afterAll(async () => {
  await dbs.close();
  rmSync(folder, { recursive: true, force: true });
});

async function context(kind: 'embedded' | 'server', url: string, entities?: unknown): Promise<AppContext> {
  const base = { target: { kind: kind === 'server' ? 'external' as const : 'embedded' as const, url, display: kind, close: async () => {} } };
  return createContext(entities ? { ...base, entities: entities as never } : base);
}

/** Row counts of every table, with the given extra counts. */
async function counts(client: pg.ClientBase, extra: Record<string, string> = {}): Promise<Record<string, number>> {
  const { rows } = await client.query<{ id: string }>(`select n.nspname || '.' || c.relname as id from pg_class c join pg_namespace n on n.oid = c.relnamespace where c.relkind = 'r' and n.nspname = 'public' order by 1`);
  const out: Record<string, number> = {};
  for (const { id } of rows) out[id] = Number((await client.query(`select count(*) as n from ${id}`)).rows[0].n);
  for (const [name, sql] of Object.entries(extra)) out[name] = Number((await client.query(sql)).rows[0].n);
  return out;
}

/** A real DELETE inside a transaction that is rolled back: rows gone per table, or the error. */
async function realDelete(url: string, sql: string, params: unknown[], extra: Record<string, string> = {}): Promise<{ gone: Record<string, number>; error: string | null }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('begin');
    const before = await counts(client, extra);
    let error: string | null = null;
    try {
      await client.query(sql, params);
    } catch (e) {
      error = (e as Error).message;
    }
    const after = error ? before : await counts(client, extra);
    await client.query('rollback');
    const gone: Record<string, number> = {};
    for (const k of Object.keys(before)) if (before[k] !== after[k]) gone[k] = Math.abs(before[k]! - after[k]!);
    return { gone, error };
  } finally {
    await client.end();
  }
}

const deletedOf = (r: CascadeReport) => Object.fromEntries(r.totals.filter((t) => t.deleted).map((t) => [t.table, t.deleted]));

describe.each(dbs.kinds())('cascade preview on the demo (%s database)', (kind) => {
  it('counts what a real DELETE removes, for plain, self-referencing, pivot and composite-key roots, and changes nothing', async () => {
    const db = await dbs.fresh(kind, 'cascade-demo');
    const ctx = await context(kind, db.url);
    try {
      await prepareDemo(ctx, { reset: true, scale: 0.02 });
      const client = new pg.Client({ connectionString: db.url });
      await client.connect();
      const one = async (sql: string) => (await client.query(sql)).rows[0];
      const topAuthor = (await one('select user_id as id from posts group by user_id order by count(*) desc, user_id limit 1')).id;
      const busyPost = (await one('select post_id as id from comments group by post_id order by count(*) desc, post_id limit 1')).id;
      const threadRoot = (await one('select c.id from comments c join comments r on r.parent_id = c.id where c.parent_id is null group by c.id order by count(*) desc, c.id limit 1')).id;
      const membership = await one('select user_id, team_id from memberships order by 1, 2 limit 1');
      await client.end();

      const before = await fingerprint(db.url);
      const cases: { entity: string; id: string; sql: string; params: unknown[] }[] = [
        { entity: 'User', id: String(topAuthor), sql: 'delete from users where id = $1', params: [topAuthor] },
        { entity: 'Post', id: String(busyPost), sql: 'delete from posts where id = $1', params: [busyPost] },
        { entity: 'Comment', id: String(threadRoot), sql: 'delete from comments where id = $1', params: [threadRoot] },
        { entity: 'Team', id: '1', sql: 'delete from teams where id = 1', params: [] },
        { entity: 'Category', id: '1', sql: 'delete from categories where id = 1', params: [] },
        { entity: 'Membership', id: JSON.stringify({ user: membership.user_id, team: membership.team_id }), sql: 'delete from memberships where user_id = $1 and team_id = $2', params: [membership.user_id, membership.team_id] },
      ];
      const reports: CascadeReport[] = [];
      for (const c of cases) reports.push(await previewCascade(ctx, { entity: c.entity, id: c.id }));
      // Composite keys in the other spellings give the same report.
      for (const id of [`user=${membership.user_id},team=${membership.team_id}`, `[${membership.user_id},${membership.team_id}]`, `user_id=${membership.user_id},team_id=${membership.team_id}`]) {
        expect(deletedOf(await previewCascade(ctx, { entity: 'membership', id }))).toEqual(deletedOf(reports[5]!));
      }
      expect(await fingerprint(db.url), 'the preview changed the database').toEqual(before);

      for (const [i, c] of cases.entries()) {
        const real = await realDelete(db.url, c.sql, c.params);
        expect(real.error, c.entity).toBeNull();
        expect(deletedOf(reports[i]!), `${c.entity} ${c.id}`).toEqual(real.gone);
        expect(reports[i]!.blocked).toEqual([]);
      }
      // The user's tree is the case: comments go by the database only, posts by both.
      const user = reports[0]!;
      expect(user.totals.find((t) => t.table === 'public.comments')!.deleted).toBeGreaterThan(10);
      const viaUser = user.root.children.find((n) => n.table === 'public.comments' && n.via!.columns[0] === 'user_id')!;
      expect(viaUser).toMatchObject({ by: 'database', database: 'cascade', orm: 'none', via: { inverseProperty: 'comments' } });
      expect(viaUser.disagreement).toMatch(/User\.comments declares no remove cascade/);
      expect(user.root.children.find((n) => n.table === 'public.posts')).toMatchObject({ by: 'both', orm: 'remove', disagreement: null });
      expect(user.disagreements).toBe(2); // User.comments and User.profile, as lint says
      expect(reports[5]!.disagreements).toBe(0);
    } finally {
      await ctx.close();
    }
  });
});

describe.each(dbs.kinds())('cascade preview on the doctor fixture (%s database)', (kind) => {
  it('counts SET NULL, and says when RESTRICT or SET NULL on NOT NULL makes the DELETE fail', async () => {
    const db = await dbs.fresh(kind, 'cascade-fixture');
    const cwd = join(fixturesRoot, 'doctor-define');
    await setupFixtureDatabase(cwd, db.url);
    const { entities } = await import('./fixtures/doctor-define/entities.ts');
    const ctx = await context(kind, db.url, entities);
    try {
      // Shelf 1: its books' shelf_id is set to null (and the ORM would remove them as orphans).
      const shelf = await previewCascade(ctx, { entity: 'Shelf', id: '1' });
      const nulled = await realDelete(db.url, 'delete from shelves where id = 1', [], { 'books shelved on 1': 'select count(*) as n from books where shelf_id = 1' });
      expect(nulled.error).toBeNull();
      expect(shelf.totals.find((t) => t.table === 'public.books')!.nulled).toBe(nulled.gone['books shelved on 1']);
      expect(deletedOf(shelf)).toEqual({ 'public.shelves': nulled.gone['public.shelves'] });
      expect(shelf.root.children[0]).toMatchObject({ action: 'set null', orm: 'remove', by: 'both' });
      expect(shelf.root.children[0]!.disagreement).toMatch(/database keeps them/);

      // Author 1: books restrict it, though Author.books would remove them in the ORM.
      const author = await previewCascade(ctx, { entity: 'Author', id: '1' });
      const refused = await realDelete(db.url, 'delete from authors where id = 1', []);
      expect(refused.error).toMatch(/foreign key/);
      expect(author.blocked).toEqual([{ table: 'public.books', columns: ['author_id'], references: 'public.authors', rows: 2, rule: 'restrict' }]);
      expect(author.root.children[0]).toMatchObject({ action: 'blocks', orm: 'remove', by: 'orm' });

      // Book 2: its loan's book_id is NOT NULL with ON DELETE SET NULL.
      const book = await previewCascade(ctx, { entity: 'Book', id: '2' });
      const failed = await realDelete(db.url, 'delete from books where id = 2', []);
      expect(failed.error).toMatch(/null value|not-null/);
      expect(book.blocked.map((b) => `${b.table} ${b.rule} ${b.rows}`)).toEqual(['public.loans set null 1']);
      expect(book.totals.find((t) => t.table === 'public.loans')).toBeUndefined();

      // Book 1: reviews and their attachments by the database cascade, tallied as a DELETE does.
      const book1 = await previewCascade(ctx, { entity: 'Book', id: '1' });
      const deleted = await realDelete(db.url, 'delete from books where id = 1', []);
      expect(deleted.error).toBeNull();
      expect(deletedOf(book1)).toEqual(deleted.gone);
    } finally {
      await ctx.close();
    }
  });
});

/**
 * MikroORM's em.remove() + flush inside a transaction that is rolled back: rows gone per table,
 * or the error. Table-per-type entities are deleted from their hierarchy's root table.
 */
async function ormRemove(orm: MikroORM, log: string[], entity: string, id: number): Promise<{ gone: Record<string, number>; error: string | null; sql: string[] }> {
  const em = orm.em.fork();
  const tables = (await em.execute<{ id: string }[]>(`select n.nspname || '.' || c.relname as id from pg_class c join pg_namespace n on n.oid = c.relnamespace where c.relkind = 'r' and n.nspname = 'public' order by 1`)).map((r) => r.id);
  const count = async () => Object.fromEntries(await Promise.all(tables.map(async (t) => [t, Number((await em.execute<{ n: string }[]>(`select count(*) as n from ${t}`))[0]!.n)] as const)));
  await em.begin();
  const sql: string[] = [];
  let error: string | null = null;
  let before: Record<string, number> = {};
  let after: Record<string, number> = {};
  try {
    before = await count();
    const row = await em.findOneOrFail(entity as never, id) as object;
    em.remove(row);
    log.length = 0;
    try {
      await em.flush();
    } catch (e) {
      error = (e as Error).message;
    }
    sql.push(...log.filter((m) => /\bdelete\b/i.test(m)).map((m) => m.replace(/\x1b\[[0-9;]*m/g, '')));
    after = error ? before : await count();
  } finally {
    await em.rollback().catch(() => {});
  }
  const gone: Record<string, number> = {};
  for (const k of Object.keys(before)) if (before[k] !== after[k]) gone[k] = Math.abs(before[k]! - after[k]!);
  return { gone, error, sql };
}

describe.each(dbs.kinds())('cascade preview with table-per-type inheritance (%s database)', (kind) => {
  it('starts a TPT child\'s delete at its root table\'s row, as em.remove() does, and counts what it removes', async () => {
    const db = await dbs.fresh(kind, 'cascade-tpt');
    await setupFixtureDatabase(join(fixturesRoot, 'cascade-tpt'), db.url);
    const { entities } = await import('./fixtures/cascade-tpt/entities.ts');
    const ctx = await context(kind, db.url, entities);
    const log: string[] = [];
    const orm = await MikroORM.init({ entities, clientUrl: db.url, pool: { min: 0, max: 1 }, ensureDatabase: false, debug: ['query'], colors: false, logger: (m) => log.push(m) });
    try {
      const before = await fingerprint(db.url);
      const cases = [
        { entity: 'Article', id: 1 }, // content 1 and what references it: content_tags, taggable
        { entity: 'FeatureArticle', id: 2 }, // two levels up: article 2, content 2 and their dependents
        { entity: 'Content', id: 1 }, // the root, by the key of an Article: its article row by the FK's cascade
        { entity: 'Video', id: 3 },
      ];
      const reports: CascadeReport[] = [];
      for (const c of cases) reports.push(await previewCascade(ctx, { entity: c.entity, id: String(c.id) }));
      expect(await fingerprint(db.url), 'the preview changed the database').toEqual(before);
      for (const [i, c] of cases.entries()) {
        const real = await ormRemove(orm, log, c.entity, c.id);
        expect(real.error, `${c.entity} ${c.id}`).toBeNull();
        // MikroORM 7 deletes every TPT entity with one DELETE on the root table.
        expect(real.sql.map((m) => /delete from "(\w+)"/.exec(m)?.[1]), `${c.entity} ${c.id}`).toEqual(['content']);
        expect(deletedOf(reports[i]!), `${c.entity} ${c.id}`).toEqual(real.gone);
        expect(reports[i]!.blocked).toEqual([]);
      }
      expect(deletedOf(reports[0]!)).toEqual({ 'public.content': 1, 'public.article': 1, 'public.content_tags': 2, 'public.taggable': 3, 'public.citation': 2 });

      // The tree: the entity's row, its parent rows (deleted by the ORM) with their dependents under them.
      const article = reports[0]!;
      expect(article.tpt).toEqual({ table: 'public.content', entity: 'Content', key: { id: '1' }, chain: ['public.article', 'public.content'] });
      expect(article.root).toMatchObject({ table: 'public.article', entity: 'Article', rows: 1 });
      const parent = article.root.children[0]!;
      expect(parent).toMatchObject({ table: 'public.content', entity: 'Content', tpt: 'parent', action: 'delete', rows: 1, by: 'orm', orm: 'remove', database: null, disagreement: null });
      expect(parent.children.map((n) => `${n.table} ${n.rows}`)).toEqual(['public.content_tags 2', 'public.taggable 3']);
      expect(article.root.children.slice(1).map((n) => `${n.table} ${n.rows}`)).toEqual(['public.citation 2']);
      const feature = reports[1]!;
      expect(feature.tpt!.chain).toEqual(['public.feature_article', 'public.article', 'public.content']);
      expect(feature.root.children[0]).toMatchObject({ table: 'public.article', tpt: 'parent', children: [{ table: 'public.content', tpt: 'parent' }, { table: 'public.citation', rows: 1 }] });
      // The root by a child's key: the child row is the same entity's, removed through its key's cascade.
      const content = reports[2]!;
      expect(content.tpt).toBeNull();
      expect(content.root.children.find((n) => n.table === 'public.article')).toMatchObject({ tpt: 'child', action: 'delete', rows: 1, database: 'cascade', orm: 'remove', by: 'both', disagreement: null });
      expect(deletedOf(content)).toEqual(deletedOf(article));
      const text = formatCascadeText(article);
      expect(text).toMatch(/Article extends Content by table-per-type \(public\.article → public\.content\): MikroORM's em\.remove\(\) deletes the public\.content row \(id=1\)/);
      expect(text).toMatch(/public\.content \(Content\) as its TPT parent row \(id\): delete 1 row by ORM/);

      // Article 4 is pinned: the pin's RESTRICT on content refuses em.remove()'s DELETE.
      const pinned = await previewCascade(ctx, { entity: 'Article', id: '4' });
      const refused = await ormRemove(orm, log, 'Article', 4);
      expect(refused.error).toMatch(/foreign key/);
      expect(pinned.blocked).toEqual([{ table: 'public.pin', columns: ['content_id'], references: 'public.content', rows: 1, rule: 'restrict' }]);
      expect(formatCascadeText(pinned)).toMatch(/1 row\(s\) of public\.pin\(content_id\) reference public\.content \(ON DELETE RESTRICT\)/);

      // Id 3 is a Video: there is no Article 3 to remove.
      await expect(previewCascade(ctx, { entity: 'Article', id: '3' })).rejects.toThrow('No Article with id = 3 in public.article.');
      expect(await fingerprint(db.url)).toEqual(before);
    } finally {
      await orm.close(true);
      await ctx.close();
    }
  });
});

describe('cascade preview input', () => {
  it('names the API field or the CLI argument and changes nothing', async () => {
    const db = await dbs.fresh('embedded', 'cascade-input');
    const ctx = await context('embedded', db.url);
    try {
      await prepareDemo(ctx, { reset: true, scale: 0.01 });
      const api = createApi(ctx);
      const ask = async (query: string) => {
        const res = await api.request(`/cascade?${query}`);
        return { status: res.status, body: (await res.json()) as { error?: string } & Partial<CascadeReport> };
      };
      expect(await ask('entity=User&id=abc')).toMatchObject({ status: 400, body: { error: expect.stringMatching(/^id must be an integer \(integer\), got "abc"; User's primary key is \(id\), e\.g\. 42\./) } });
      expect(await ask('entity=Nobody&id=1')).toMatchObject({ status: 400, body: { error: expect.stringMatching(/^entity: unknown entity "Nobody"; entities: .*User/) } });
      expect(await ask('entity=User')).toMatchObject({ status: 400, body: { error: expect.stringMatching(/^id is required/) } });
      expect(await ask('entity=Membership&id=1')).toMatchObject({ status: 400, body: { error: expect.stringMatching(/^id must name every key column.*primary key is \(user_id, team_id\)/) } });
      expect(await ask('entity=Membership&id={"user":1}')).toMatchObject({ status: 400, body: { error: expect.stringMatching(/lacks team_id/) } });
      expect(await ask('entity=User&id=1&force=1')).toMatchObject({ status: 400, body: { error: expect.stringMatching(/Unknown parameter "force"/) } });
      expect(await ask('entity=User&id=999999')).toMatchObject({ status: 404, body: { error: 'No User with id = 999999 in public.users.' } });
      const ok = await ask('entity=User&id=1');
      expect(ok.status).toBe(200);
      expect(ok.body.root!.rows).toBe(1);
      await expect(previewCascade(ctx, { entity: 'User', id: 'x' }, { entity: '<Entity>', id: '<id>' })).rejects.toThrow(UserError);
      await expect(previewCascade(ctx, { entity: 'User', id: 'x' }, { entity: '<Entity>', id: '<id>' })).rejects.toThrow(/^<id> must be an integer/);
    } finally {
      await ctx.close();
    }
    const bad = await relscope(['cascade', 'User', 'x', '--db', db.url], folder);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/relscope: <id> must be an integer/);
    const good = await relscope(['cascade', 'User', '1', '--format', 'markdown', '--db', db.url], folder);
    expect(good.code, good.stderr).toBe(0);
    expect(good.stdout).toMatch(/^### Deleting User id=1/);
    expect(good.stdout).toMatch(/Nothing was deleted\./);
  });
});
