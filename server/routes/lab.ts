import { Hono } from 'hono';
import type { AppContext } from '../context.ts';
import { UserError } from '../errors.ts';
import { compare } from '../lab/compare.ts';
import { describeEntities, strategyList } from '../lab/request.ts';
import { compareLimits, type CompareReport, type EntitiesResponse } from '../../common/lab-types.ts';

/**
 * The strategy lab's API:
 * - GET /entities: each entity's relations and populate paths (EntitiesResponse), so a page can
 *   offer paths without typing;
 * - POST /compare: body CompareRequestInput, answer CompareReport (400 with { error } for an
 *   invalid request, nothing executed; 503 when the database is unavailable).
 */
export function labRoutes(ctx: AppContext): Hono {
  const routes = new Hono();

  routes.get('/entities', async (c) => {
    const orm = await ctx.orm();
    const body: EntitiesResponse = { entities: describeEntities(orm.getMetadata()), strategies: strategyList(), limits: compareLimits };
    return c.json(body);
  });

  routes.post('/compare', async (c) => {
    let input: unknown;
    try {
      input = await c.req.json();
    } catch {
      throw new UserError('The request body must be JSON, e.g. {"entity": "User", "populate": ["posts.comments"], "limit": 20}.');
    }
    const report: CompareReport = await compare(ctx, input);
    return c.json(report);
  });

  return routes;
}
