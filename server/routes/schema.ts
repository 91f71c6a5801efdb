import { Hono } from 'hono';
import type { AppContext } from '../context.ts';

/** GET /schema, /diagram, /drift: filled in by the schema work (issue 3). */
export function schemaRoutes(_ctx: AppContext): Hono {
  return new Hono();
}
