import { Hono } from 'hono';
import type { AppContext } from '../context.ts';
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
    };
    return c.json(body);
  });
  return app;
}
