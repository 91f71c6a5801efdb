import type { MikroORM } from '@mikro-orm/postgresql';
import type pg from 'pg';
import { UserError } from '../errors.ts';

/** The tables of the demo model, in dependency order (parents first). */
export const demoTables = ['users', 'profiles', 'teams', 'user_team', 'memberships', 'categories', 'posts', 'post_categories', 'comments'] as const;

/**
 * MikroORM gives a pivot table without an entity class no index of its own beyond the
 * primary key (user_id, team_id); the seeds advise one on every FK, so team_id gets one.
 */
const extraDdl = ['create index if not exists "user_team_team_id_index" on "user_team" ("team_id")'];

export type DemoSchemaState = 'created' | 'present' | 'recreated';

export async function listUserTables(client: pg.ClientBase): Promise<string[]> {
  const { rows } = await client.query<{ name: string }>(`
    select n.nspname || '.' || c.relname as name
      from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
     where c.relkind in ('r', 'p') and n.nspname not in ('pg_catalog', 'information_schema', 'pg_toast')
       and n.nspname not like 'pg_temp%' and n.nspname not like 'pg_toast_temp%'
     order by 1`);
  return rows.map((r) => r.name);
}

/**
 * Creates the demo schema. It never touches a non-empty database that is not already the
 * demo unless `reset` is given, and even then it drops only the demo model's own tables.
 */
export async function ensureDemoSchema(orm: MikroORM, client: pg.ClientBase, options: { reset?: boolean } = {}): Promise<DemoSchemaState> {
  const existing = await listUserTables(client);
  const demo = demoTables.map((t) => `public.${t}`);
  const hasAllDemo = demo.every((t) => existing.includes(t));
  if (existing.length === 0) {
    await createDemo(orm, client);
    return 'created';
  }
  if (options.reset) {
    await orm.schema.drop();
    await createDemo(orm, client);
    return 'recreated';
  }
  if (hasAllDemo) return 'present';
  const shown = existing.slice(0, 5).join(', ') + (existing.length > 5 ? `, … (${existing.length} in all)` : '');
  throw new UserError(`This database already has tables (${shown}); relscope will not create the demo schema in it. Use an empty database, or pass --reset to drop and recreate only the demo tables (${demoTables.join(', ')}).`);
}

async function createDemo(orm: MikroORM, client: pg.ClientBase): Promise<void> {
  await orm.schema.create();
  for (const sql of extraDdl) await client.query(sql);
}
