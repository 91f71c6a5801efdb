/**
 * GET /cascade?entity=User&id=42: the cascade preview (common/cascade-types.ts CascadeReport).
 * `id` is the primary key, or for a composite key JSON ({"user":1,"team":2} / [1,2]) or
 * user=1,team=2. 400 names the bad parameter, 404 when no such row; nothing is deleted.
 */
import { Hono } from 'hono';
import type { AppContext } from '../context.ts';
import { UserError } from '../errors.ts';
import { previewCascade } from '../cascade/preview.ts';

export function cascadeRoutes(ctx: AppContext): Hono {
  const app = new Hono();
  app.get('/cascade', async (c) => {
    const allowed = ['entity', 'id'];
    for (const name of Object.keys(c.req.queries())) {
      if (!allowed.includes(name)) throw new UserError(`Unknown parameter "${name}"; this endpoint takes ${allowed.join(', ')}.`);
      if ((c.req.queries(name)?.length ?? 0) > 1) throw new UserError(`Parameter "${name}" is given more than once; give it once.`);
    }
    return c.json(await previewCascade(ctx, { entity: c.req.query('entity'), id: c.req.query('id') }));
  });
  return app;
}
