/**
 * One scope per request, named `METHOD /route/pattern` (the pattern the framework matched, so
 * that /orders/1 and /orders/2 are the same route). The scope opens before the handlers run
 * and ends when the response is done; the name is read at the end, once routing has happened.
 * Structural types only: relscope does not depend on any of these frameworks.
 */
import type { OpenScope } from './index.ts';

interface ScopeOpener {
  open(name: string): OpenScope;
}

/** Hono: `app.use(tracer.hono())`. */
export type HonoLikeMiddleware = (c: HonoLikeContext, next: () => Promise<void>) => Promise<void>;
interface HonoLikeContext {
  req: { method: string; path: string; routePath?: string; matchedRoutes?: { method: string; path: string }[] };
  res?: { status: number };
}

export function honoMiddleware(tracer: ScopeOpener): HonoLikeMiddleware {
  return async (c, next) => {
    const scope = tracer.open(`${c.req.method} ${c.req.path}`);
    try {
      await scope.run(next);
    } finally {
      const routes = c.req.matchedRoutes ?? [];
      // The last matched route that is not a middleware (method ALL) is the handler's pattern.
      let pattern: string | undefined;
      for (let i = routes.length - 1; i >= 0 && pattern === undefined; i--) if (routes[i]!.method !== 'ALL') pattern = routes[i]!.path;
      if (pattern !== undefined) scope.rename(`${c.req.method} ${pattern}`);
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
    const scope = tracer.open(`${req.method} ${path}`);
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
    const scope = tracer.open(`${ctx.method} ${ctx.path}`);
    try {
      await scope.run(next);
    } finally {
      const pattern = typeof ctx._matchedRoute === 'string' ? ctx._matchedRoute : ctx.routerPath;
      if (pattern) scope.rename(`${ctx.method} ${pattern}`);
      scope.end(ctx.status);
    }
  };
}
