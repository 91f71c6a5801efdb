/**
 * One scope per request, named `METHOD /route/pattern` (the pattern the framework matched, so
 * that /orders/1 and /orders/2 are the same route). The scope opens before the handlers run
 * and ends when the response is done; the name is read at the end, once routing has happened.
 * Structural types only: relscope does not depend on any of these frameworks.
 */
import type { OpenScope } from './index.ts';

interface ScopeOpener {
  /** `route` keys the call sites the tracer learns for the statements of this request's route. */
  open(name: string, route?: string): OpenScope;
}

/** Hono: `app.use(tracer.hono())`. */
export type HonoLikeMiddleware = (c: HonoLikeContext, next: () => Promise<void>) => Promise<void>;
interface HonoLikeContext {
  req: { method: string; path: string; routePath?: string; matchedRoutes?: { method: string; path: string }[] };
  res?: { status: number };
}

/** The last matched route that is not a middleware (method ALL): the handler's pattern. Hono matches every route before the first middleware runs. */
function honoPattern(c: HonoLikeContext): string | undefined {
  const routes = c.req.matchedRoutes ?? [];
  for (let i = routes.length - 1; i >= 0; i--) if (routes[i]!.method !== 'ALL') return routes[i]!.path;
  return undefined;
}

export function honoMiddleware(tracer: ScopeOpener): HonoLikeMiddleware {
  return async (c, next) => {
    const pattern = honoPattern(c);
    const name = `${c.req.method} ${pattern ?? c.req.path}`;
    const scope = tracer.open(name, name);
    try {
      await scope.run(next);
    } finally {
      const found = pattern ?? honoPattern(c);
      if (found !== undefined) scope.rename(`${c.req.method} ${found}`);
      scope.end(c.res?.status);
    }
  };
}

/** Express (4, 5) and NestJS on Express: `app.use(tracer.express())`. */
export type ExpressLikeMiddleware = (req: ExpressLikeRequest, res: ExpressLikeResponse, next: (error?: unknown) => void) => void;
interface ExpressLikeRequest {
  method: string;
  path?: string;
  url?: string;
  baseUrl?: string;
  originalUrl?: string;
  route?: { path?: string | RegExp };
}
interface ExpressLikeResponse {
  statusCode: number;
  once(event: 'finish' | 'close', listener: () => void): unknown;
}

export function expressMiddleware(tracer: ScopeOpener): ExpressLikeMiddleware {
  return (req, res, next) => {
    const path = (req.originalUrl ?? req.url ?? '/').split('?')[0]!;
    // The pattern (req.route) is known only in the handler: the path keys the learned call sites.
    const scope = tracer.open(`${req.method} ${path}`, `${req.method} ${path}`);
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      const pattern = req.route?.path;
      if (typeof pattern === 'string') scope.rename(`${req.method} ${(req.baseUrl ?? '') + pattern}`);
      scope.end(res.statusCode);
    };
    res.once('finish', end);
    res.once('close', end);
    scope.run(() => next());
  };
}

/** Koa (with @koa/router or koa-router for the pattern): `app.use(tracer.koa())`. */
export type KoaLikeMiddleware = (ctx: KoaLikeContext, next: () => Promise<unknown>) => Promise<void>;
interface KoaLikeContext {
  method: string;
  path: string;
  status: number;
  _matchedRoute?: string | RegExp;
  routerPath?: string;
}

export function koaMiddleware(tracer: ScopeOpener): KoaLikeMiddleware {
  return async (ctx, next) => {
    const scope = tracer.open(`${ctx.method} ${ctx.path}`, `${ctx.method} ${ctx.path}`);
    try {
      await scope.run(next);
    } finally {
      const pattern = typeof ctx._matchedRoute === 'string' ? ctx._matchedRoute : ctx.routerPath;
      if (pattern) scope.rename(`${ctx.method} ${pattern}`);
      scope.end(ctx.status);
    }
  };
}
