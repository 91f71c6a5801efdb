import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { targets, contextFor, seedScale } from './helpers/targets.ts';
import type { AppContext } from '../server/context.ts';
import { createContext, prepareDemo } from '../server/context.ts';
import { createApp } from '../server/api.ts';
import { demoTables } from '../server/demo/schema.ts';
import { User, Post, Profile, Comment } from '../entities/index.ts';

/** A fingerprint of every seeded row, equal wherever the seed is deterministic. */
async function seedFingerprint(client: pg.ClientBase): Promise<string> {
  const { rows } = await client.query<{ f: string }>(`select md5(
      (select string_agg(id || ':' || email || ':' || coalesce(name, '-'), ',' order by id) from users) ||
      (select string_agg(id || ':' || user_id, ',' order by id) from profiles) ||
      (select string_agg(id || ':' || user_id || ':' || created_at::text, ',' order by id) from posts) ||
      (select string_agg(id || ':' || post_id || ':' || user_id || ':' || coalesce(parent_id, 0), ',' order by id) from comments) ||
      (select string_agg(post_id || ':' || category_id, ',' order by post_id, category_id) from post_categories) ||
      (select string_agg(user_id || ':' || team_id || ':' || role, ',' order by user_id, team_id) from memberships) ||
      (select string_agg(user_id || ':' || team_id, ',' order by user_id, team_id) from user_team)) as f`);
  return rows[0]!.f;
}

describe.each(targets)('foundation on $name', (target) => {
  let ctx: AppContext;
  beforeAll(async () => { ctx = await contextFor(target); });
  afterAll(async () => { await ctx.close(); });

  it('creates all nine demo tables with their primary keys', async () => {
    const rows = await ctx.withClient(async (c) => (await c.query<{ table: string; pk: string }>(`
      select t.relname as table, string_agg(a.attname, ',' order by k.ord) as pk
        from pg_constraint con
        join pg_class t on t.oid = con.conrelid
        join pg_namespace n on n.oid = t.relnamespace and n.nspname = 'public'
        cross join lateral unnest(con.conkey) with ordinality k(attnum, ord)
        join pg_attribute a on a.attrelid = t.oid and a.attnum = k.attnum
       where con.contype = 'p' group by t.relname order by 1`)).rows);
    expect(Object.fromEntries(rows.map((r) => [r.table, r.pk]))).toEqual({
      categories: 'id', comments: 'id', memberships: 'user_id,team_id', post_categories: 'post_id,category_id',
      posts: 'id', profiles: 'id', teams: 'id', user_team: 'user_id,team_id', users: 'id',
    });
  });

  it('declares every foreign key with its ON DELETE rule', async () => {
    const rows = await ctx.withClient(async (c) => (await c.query<{ fk: string }>(`
      select t.relname || '.' || a.attname || ' -> ' || rt.relname || ' on delete ' || con.confdeltype::text as fk
        from pg_constraint con
        join pg_class t on t.oid = con.conrelid
        join pg_class rt on rt.oid = con.confrelid
        join pg_attribute a on a.attrelid = t.oid and a.attnum = con.conkey[1]
       where con.contype = 'f' and con.connamespace = 'public'::regnamespace order by 1`)).rows.map((r) => r.fk));
    // 'c' is CASCADE: every FK of the demo deletes with its parent, as the seeds ask.
    expect(rows).toEqual([
      'comments.parent_id -> comments on delete c',
      'comments.post_id -> posts on delete c',
      'comments.user_id -> users on delete c',
      'memberships.team_id -> teams on delete c',
      'memberships.user_id -> users on delete c',
      'post_categories.category_id -> categories on delete c',
      'post_categories.post_id -> posts on delete c',
      'posts.user_id -> users on delete c',
      'profiles.user_id -> users on delete c',
      'user_team.team_id -> teams on delete c',
      'user_team.user_id -> users on delete c',
    ]);
  });

  it('has the unique constraints and an index leading with every foreign-key column', async () => {
    const uniques = await ctx.withClient(async (c) => (await c.query<{ u: string }>(`
      select t.relname || '(' || string_agg(a.attname, ',' order by k.ord) || ')' as u
        from pg_constraint con join pg_class t on t.oid = con.conrelid
        cross join lateral unnest(con.conkey) with ordinality k(attnum, ord)
        join pg_attribute a on a.attrelid = t.oid and a.attnum = k.attnum
       where con.contype = 'u' and con.connamespace = 'public'::regnamespace group by t.relname, con.conname order by 1`)).rows.map((r) => r.u));
    expect(uniques).toEqual(['categories(name)', 'profiles(user_id)', 'teams(name)', 'users(email)', 'users(username)']);

    const unindexed = await ctx.withClient(async (c) => (await c.query<{ fk: string }>(`
      select t.relname || '.' || a.attname as fk
        from pg_constraint con
        join pg_class t on t.oid = con.conrelid
        join pg_attribute a on a.attrelid = t.oid and a.attnum = con.conkey[1]
       where con.contype = 'f' and con.connamespace = 'public'::regnamespace
         and not exists (select 1 from pg_index i where i.indrelid = con.conrelid and i.indkey[0] = con.conkey[1])`)).rows.map((r) => r.fk));
    expect(unindexed).toEqual([]);
  });

  it('seeds the expected volume with skew', async () => {
    const rows = await ctx.withClient(async (c) => {
      const counts = (await c.query<{ users: string; posts: string; comments: string; maxdepth: number; topauthor: string; teamsizes: string }>(`
        select (select count(*) from users) users, (select count(*) from posts) posts, (select count(*) from comments) comments,
               (with recursive t(id, d) as (select id, 0 from comments where parent_id is null
                  union all select c.id, t.d + 1 from comments c join t on c.parent_id = t.id) select max(d) from t) maxdepth,
               (select max(n) from (select count(*) n from posts group by user_id) x) topauthor,
               (select min(n) || '-' || max(n) from (select count(*) n from memberships group by team_id) x) teamsizes`)).rows[0]!;
      return counts;
    });
    expect(Number(rows.users)).toBe(1000 * seedScale);
    expect(Number(rows.posts)).toBe(10_000 * seedScale);
    expect(Number(rows.comments)).toBe(30_000 * seedScale);
    expect(rows.maxdepth).toBe(3);
    // A few users write many posts: the top author has far more than the mean of 10.
    expect(Number(rows.topauthor)).toBeGreaterThan(100);
  });

  it('cascades a user delete to profile, posts and comments', async () => {
    const orm = await ctx.orm();
    const em = orm.em.fork();
    const user = em.create(User, { email: `cascade-${target.kind}@test`, username: `cascade-${target.kind}` });
    em.create(Profile, { user, bio: 'temporary' });
    const post = em.create(Post, { author: user, title: 'temporary' });
    em.create(Comment, { post, user, content: 'temporary' });
    await em.flush();
    const userId = user.id;
    const postId = post.id;

    em.remove(user);
    await em.flush();
    const left = await ctx.withClient(async (c) => (await c.query<{ n: string }>(`
      select (select count(*) from profiles where user_id = $1) + (select count(*) from posts where user_id = $1)
           + (select count(*) from comments where user_id = $1 or post_id = $2) as n`, [userId, postId])).rows[0]!.n);
    expect(Number(left)).toBe(0);
  });

  it('deletes a post removed from user.posts (orphan removal)', async () => {
    const orm = await ctx.orm();
    const em = orm.em.fork();
    const user = em.create(User, { email: `orphan-${target.kind}@test`, username: `orphan-${target.kind}` });
    const keep = em.create(Post, { author: user, title: 'keep' });
    const drop = em.create(Post, { author: user, title: 'drop' });
    await em.flush();
    const dropId = drop.id;

    const em2 = orm.em.fork();
    const loaded = await em2.findOneOrFail(User, user.id, { populate: ['posts'] });
    loaded.posts.remove(loaded.posts.getItems().find((p) => p.id === dropId)!);
    await em2.flush();
    const remaining = await ctx.withClient(async (c) => (await c.query<{ id: number }>('select id from posts where user_id = $1', [user.id])).rows.map((r) => r.id));
    expect(remaining).toEqual([keep.id]);

    em2.remove(loaded);
    await em2.flush();
  });

  it('answers GET /api/health with kind, version and row counts', async () => {
    const app = createApp(ctx);
    const res = await app.request('/api/health');
    expect(res.status).toBe(200);
    const body = await res.json() as { database: { kind: string; serverVersion: string }; tables: Record<string, number> };
    expect(body.database.kind).toBe(target.kind);
    expect(body.database.serverVersion).toMatch(/^\d+/);
    for (const table of demoTables) expect(body.tables[`public.${table}`]).toBeGreaterThan(0);
    expect(body.tables['public.users']).toBe(1000 * seedScale);
  });
});

describe('seed determinism', () => {
  it('gives the same rows on every target and in a fresh database', async () => {
    const prints: string[] = [];
    for (const target of targets) {
      const ctx = await contextFor(target);
      prints.push(await ctx.withClient(seedFingerprint));
      await ctx.close();
    }
    const dir = mkdtempSync(join(tmpdir(), 'relscope-seed-'));
    try {
      const fresh = await createContext({ dataDir: join(dir, 'pgdata') });
      try {
        await prepareDemo(fresh, { scale: seedScale });
        prints.push(await fresh.withClient(seedFingerprint));
      } finally {
        await fresh.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(new Set(prints).size).toBe(1);
  });
});
