import { Hono } from 'hono';
import type { AppContext } from '../context.ts';
import { countRowsOf } from '../demo/seed.ts';
import { demoTables, listUserTables } from '../demo/schema.ts';

/** Rows are counted exactly for up to this many tables; a larger database gets planner estimates. */
const exactCountLimit = 60;

export function healthRoutes(ctx: AppContext): Hono {
  const app = new Hono();
  app.get('/health', async (c) => {
    const body = await ctx.withClient(async (client) => {
      const version = (await client.query<{ server_version: string }>('show server_version')).rows[0]!.server_version;
      const tables = await listUserTables(client);
      let rows: Record<string, number>;
      let rowsAre: 'exact' | 'estimated';
      if (tables.length <= exactCountLimit) {
        const quoted = tables.map((t) => t.split('.').map((part) => `"${part.replace(/"/g, '""')}"`).join('.'));
        const counts = await countRowsOf(client, quoted);
        rows = Object.fromEntries(tables.map((t, i) => [t, counts[i]!]));
        rowsAre = 'exact';
      } else {
        const { rows: est } = await client.query<{ name: string; n: string }>(`
          select n.nspname || '.' || c.relname as name, greatest(c.reltuples, 0)::bigint as n
            from pg_class c join pg_namespace n on n.oid = c.relnamespace
           where c.relkind in ('r','p') and n.nspname not in ('pg_catalog','information_schema','pg_toast')
           order by 1`);
        rows = Object.fromEntries(est.map((r) => [r.name, Number(r.n)]));
        rowsAre = 'estimated';
      }
      return { version, rows, rowsAre, tables };
    });
    return c.json({
      ok: true,
      project: ctx.projectLabel,
      database: { kind: ctx.target.kind, display: ctx.target.display, label: ctx.target.label ?? ctx.target.display, serverVersion: body.version },
      rowsAre: body.rowsAre,
      tables: body.rows,
      // What drift compares the database with: the page labels (or turns off) drift against
      // the built-in demo model when there is no project, and the database lacks its tables.
      orm: { model: ctx.ormModel, label: ctx.projectLabel, databaseHasModel: ctx.ormModel === 'project' || demoTables.every((t) => body.tables.includes(`public.${t}`)) },
    });
  });
  return app;
}
