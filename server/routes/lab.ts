import { Hono } from 'hono';
import type { AppContext } from '../context.ts';
import { DatabaseUnavailableError, UserError, errorMessage, isConnectionError } from '../errors.ts';
import { compare, validateCompare, type CompareOptions } from '../lab/compare.ts';
import { queued } from '../lab/queue.ts';
import { describeEntities, strategyList } from '../lab/request.ts';
import { compareLimits, ndjsonType, type CompareEvent, type CompareReport, type EntitiesResponse } from '../../common/lab-types.ts';

/**
 * The strategy lab's API:
 * - GET /entities: each entity's relations and populate paths (EntitiesResponse), so a page can
 *   offer paths without typing;
 * - POST /compare: body CompareRequestInput, answer CompareReport (400 with { error } for an
 *   invalid request, nothing executed; 503 when the database is unavailable, also when it is
 *   lost mid-comparison). With `Accept: application/x-ndjson` the answer streams one
 *   CompareEvent per line as the work happens, ending with `report` or `error`.
 *
 * Either way the comparison stops when the client goes away (the request's signal aborts):
 * a queued one is dropped, a running one stops its loads, loop, sweep and EXPLAINs.
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
    const signal = c.req.raw.signal;
    if ((c.req.header('accept') ?? '').includes(ndjsonType)) {
      // An invalid request still answers 400 with { error } before any stream starts.
      await validateCompare(ctx, input);
      return streamed(ctx, input, signal);
    }
    const report: CompareReport = await runCompare(ctx, input, { signal });
    return c.json(report);
  });

  return routes;
}

/**
 * Runs a comparison in the context's lab worker (validated here first: an invalid request
 * answers 400 and nothing is queued; the one-at-a-time queue of the embedded database stays
 * in this thread), or in this thread when the context has no worker.
 */
async function runCompare(ctx: AppContext, input: unknown, options: CompareOptions): Promise<CompareReport> {
  const worker = ctx.labWorker();
  if (!worker) return compare(ctx, input, options);
  await validateCompare(ctx, input);
  return queued(ctx, options, () => worker.run(input, options));
}

/** The status a plain request would have answered for `error` (see server/api.ts). */
function statusOf(error: unknown): number {
  if (error instanceof UserError) return error.status;
  if (isConnectionError(error)) return 503;
  return 500;
}

function streamed(ctx: AppContext, input: unknown, requestSignal: AbortSignal): Response {
  const encoder = new TextEncoder();
  // Aborted when the client goes away: the request's own signal, or the stream being cancelled.
  const controller = new AbortController();
  const onRequestAbort = () => controller.abort();
  requestSignal.addEventListener('abort', onRequestAbort, { once: true });
  const body = new ReadableStream<Uint8Array>({
    start(stream) {
      const send = (event: CompareEvent) => {
        if (controller.signal.aborted) return;
        try {
          stream.enqueue(encoder.encode(`${JSON.stringify(event)}\n`));
        } catch {
          controller.abort();
        }
      };
      runCompare(ctx, input, { signal: controller.signal, onEvent: send })
        .then((report) => send({ type: 'report', report }))
        .catch((error: unknown) => {
          if (controller.signal.aborted) return;
          const status = statusOf(error);
          const message = status === 503 && (error instanceof DatabaseUnavailableError || !(error instanceof UserError))
            ? `The database is unavailable: ${errorMessage(error)}. relscope keeps serving and recovers when it returns.`
            : status === 500 ? `Internal error: ${errorMessage(error)}` : errorMessage(error);
          if (status === 500) console.error('relscope: POST /api/compare (stream) failed:', error);
          send({ type: 'error', status, error: message });
        })
        .finally(() => {
          requestSignal.removeEventListener('abort', onRequestAbort);
          try {
            stream.close();
          } catch {
            // already closed by a cancel
          }
        });
    },
    cancel() {
      controller.abort();
    },
  });
  return new Response(body, { headers: { 'content-type': `${ndjsonType}; charset=utf-8`, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' } });
}
