import { Hono } from 'hono';
import type { AppContext } from '../context.ts';

/** GET /entities, POST /compare: filled in by the strategy-lab work (issue 4). */
export function labRoutes(_ctx: AppContext): Hono {
  return new Hono();
}
