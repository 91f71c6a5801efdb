import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { AppContext } from '../context.ts';
import { UserError } from '../errors.ts';
import { parseTraceBatch, RequestStore, traceLimits } from '../trace/store.ts';

const stores = new WeakMap<AppContext, RequestStore>();

/** The requests store of a server (one per context: the CLI and each test have their own). */
export function requestStore(ctx: AppContext): RequestStore {
  let store = stores.get(ctx);
  if (!store) {
    store = new RequestStore();
    stores.set(ctx, store);
  }
  return store;
}

/**
 * POST /api/trace        a batch from relscope/trace (a Node client: no Origin; JSON only)
 * GET  /api/requests     the kept requests (?findings=1 for those with findings, ?limit=N)
 * GET  /api/requests/stream  server-sent events: `state` once, then `request` and `dropped`
 */
export function requestsRoutes(ctx: AppContext): Hono {
  const app = new Hono();
  const store = requestStore(ctx);

  app.post('/trace', async (c) => {
    // JSON only: a browser cannot send application/json cross-site without a preflight, which
    // this server never grants; localOnly() has already refused foreign Hosts and Origins.
    const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'application/json') throw new UserError('POST /api/trace takes Content-Type: application/json (what relscope/trace sends).', { status: 415 });
    const length = Number(c.req.header('content-length') ?? '0');
    if (length > traceLimits.bodyBytes) throw new UserError(`A trace batch may be at most ${traceLimits.bodyBytes} bytes; this one has ${length}.`, { status: 413 });
    const text = await c.req.text();
    if (text.length > traceLimits.bodyBytes) throw new UserError(`A trace batch may be at most ${traceLimits.bodyBytes} bytes.`, { status: 413 });
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new UserError('Invalid trace batch: the body is not JSON.', { status: 400 });
    }
    const accepted = store.add(parseTraceBatch(body));
    return c.json({ accepted });
  });

  app.get('/requests', (c) => {
    const findingsOnly = c.req.query('findings') === '1' || c.req.query('findings') === 'true';
    const limitText = c.req.query('limit');
    const limit = limitText === undefined ? undefined : Number(limitText);
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) throw new UserError('limit must be a positive integer (e.g. limit=50).');
    return c.json(store.state({ findingsOnly, limit }));
  });

  app.get('/requests/stream', (c) => {
    return streamSSE(c, async (stream) => {
      let open = true;
      const queue: { event: string; data: string }[] = [];
      let wake: (() => void) | undefined;
      const unsubscribe = store.subscribe((event) => {
        queue.push(event.type === 'request' ? { event: 'request', data: JSON.stringify(event.request) } : { event: 'dropped', data: JSON.stringify(event.dropped) });
        wake?.();
      });
      stream.onAbort(() => {
        open = false;
        unsubscribe();
        wake?.();
      });
      await stream.writeSSE({ event: 'state', data: JSON.stringify(store.state({ limit: 200 })) });
      while (open) {
        if (!queue.length) {
          await new Promise<void>((resolve) => {
            wake = resolve;
            // a comment line every 15 s keeps proxies and the browser from closing an idle stream
            setTimeout(resolve, 15_000).unref();
          });
          wake = undefined;
          if (!queue.length && open) await stream.write(': keep-alive\n\n');
          continue;
        }
        const next = queue.shift()!;
        await stream.writeSSE(next);
      }
      unsubscribe();
    });
  });
  return app;
}
