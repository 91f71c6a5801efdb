import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Hono, type Context } from 'hono';
import { serveStatic } from '@hono/node-server/serve-static';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { AppContext } from './context.ts';
import { UserError, errorMessage, isConnectionError } from './errors.ts';
import { healthRoutes } from './routes/health.ts';
import { schemaRoutes } from './routes/schema.ts';
import { labRoutes } from './routes/lab.ts';
import { requestsRoutes } from './routes/requests.ts';
import { cascadeRoutes } from './routes/cascade.ts';
import { limitBody, localOnly } from './security.ts';
import { viewOfPath } from '../common/page-paths.ts';

/**
 * The HTTP API: thin routes over the schema and lab modules. Errors a user can cause
 * (bad parameters, database down) answer with their status and one readable line.
 */
export function createApi(ctx: AppContext): Hono {
  const api = new Hono();
  api.route('/', healthRoutes(ctx));
  api.route('/', schemaRoutes(ctx));
  api.route('/', labRoutes(ctx));
  api.route('/', requestsRoutes(ctx));
  api.route('/', cascadeRoutes(ctx));
  api.notFound((c) => c.json({ error: `No API endpoint ${c.req.method} ${c.req.path}.` }, 404));
  api.onError((error, c) => {
    if (error instanceof UserError) return c.json({ error: error.message }, error.status as ContentfulStatusCode);
    if (isConnectionError(error)) {
      return c.json({ error: `The database is unavailable: ${errorMessage(error)}. relscope keeps serving and recovers when it returns.` }, 503);
    }
    console.error(`relscope: ${c.req.method} ${c.req.path} failed:`, error);
    return c.json({ error: `Internal error: ${errorMessage(error)}` }, 500);
  });
  return api;
}

/** The API under /api plus the built page (dist/web) for everything else. */
export interface AppOptions {
  /** The built page (dist/web); without it only the API is served. */
  webRoot?: string;
  /** Host names accepted besides the loopback ones (the --host address). */
  extraHosts?: string[];
  /** Largest request body in bytes (default 1 MiB); larger ones get 413. */
  maxBodyBytes?: number;
}

export function createApp(ctx: AppContext, options: AppOptions = {}): Hono {
  const app = new Hono();
  app.use('*', localOnly({ extraHosts: options.extraHosts }));
  app.use('/api/*', limitBody(options.maxBodyBytes));
  app.route('/api', createApi(ctx));
  // Unknown API paths (and known paths with another method) are JSON 404s, never the page.
  const apiNotFound = (c: Context) => c.json({ error: `No API endpoint ${c.req.method} ${c.req.path}; see the API list in README.md.` }, 404);
  app.all('/api', apiNotFound);
  app.all('/api/*', apiNotFound);
  const webRoot = options.webRoot;
  if (webRoot) {
    // Mounted only when the page is built (Hono warns on stderr about a missing root); until
    // then every page path answers the one-line hint below.
    if (existsSync(webRoot)) app.use('/*', serveStatic({ root: webRoot }));
    // The page routes itself from the URL: its paths get index.html, and so does any other
    // path that is no file, but with status 404 (the page then shows its own 404 view).
    app.get('*', (c) => {
      const index = join(webRoot, 'index.html');
      if (!existsSync(index)) return c.text('The web page is not built: run `npm run build` (npm start does it for you).', 503);
      return c.html(readFileSync(index, 'utf8'), viewOfPath(c.req.path) === 'notfound' ? 404 : 200);
    });
  }
  return app;
}
