import { Hono } from 'hono';
import type { AppContext } from '../context.ts';
import { demoTables } from '../demo/schema.ts';
import { tableRows } from '../schema/service.ts';
import type { Health } from '../../common/api-types.ts';

export function healthRoutes(ctx: AppContext): Hono {
  const app = new Hono();
  app.get('/health', async (c) => {
    const { serverVersion, rowsAre, tables } = await tableRows(ctx);
    const body: Health = {
      ok: true,
      project: ctx.projectLabel,
      database: { kind: ctx.target.kind, display: ctx.target.display, label: ctx.target.label ?? ctx.target.display, serverVersion },
      rowsAre,
      tables,
      // What drift compares the database with: the page labels (or turns off) drift against
      // the built-in demo model when there is no project, and the database lacks its tables.
      orm: { model: ctx.ormModel, label: ctx.projectLabel, databaseHasModel: ctx.ormModel === 'project' || demoTables.every((t) => `public.${t}` in tables) },
    };
    return c.json(body);
  });
  return app;
}
