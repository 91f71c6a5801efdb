/**
 * The embedded database's line of comparisons: PGlite runs one statement at a time, so two
 * comparisons at once would only distort each other's timings (and the EXPLAIN watchdog may
 * restart it under a neighbour). On a real server there is no line.
 *
 * Kept apart from compare.ts (which loads MikroORM) so that /api/health can ask whether the
 * embedded database is busy with a comparison without loading the lab.
 */
import type { AppContext } from '../context.ts';
import type { CompareEvent } from '../../common/lab-types.ts';

export interface QueueOptions {
  /** Told the waiter's place in line whenever it moves (0: running). */
  onEvent?: (event: CompareEvent) => void;
  /** A waiter whose signal aborts leaves the line at once. */
  signal?: AbortSignal;
}



interface Waiter {
  start: () => void;
  notify: (position: number) => void;
}

const queues = new WeakMap<object, Waiter[]>();

/**
 * Runs `work` after every earlier comparison on the same embedded database has finished,
 * telling the waiter its place in line whenever it moves; a waiter whose signal aborts leaves
 * the line at once (its work never starts).
 */
export async function queued<T>(ctx: AppContext, options: QueueOptions, work: () => Promise<T>): Promise<T> {
  const key = ctx.target.embedded;
  const notify = (position: number) => options.onEvent?.({ type: 'queued', position });
  if (!key) {
    notify(0);
    return work();
  }
  const line = queues.get(key) ?? [];
  queues.set(key, line);
  const renumber = () => line.forEach((w, i) => w.notify(i));
  await new Promise<void>((resolve, reject) => {
    const waiter: Waiter = { start: resolve, notify };
    const signal = options.signal;
    const onAbort = () => {
      const at = line.indexOf(waiter);
      if (at > 0) {
        line.splice(at, 1);
        renumber();
        reject(abortError(signal));
      }
    };
    if (signal?.aborted) return reject(abortError(signal));
    signal?.addEventListener('abort', onAbort, { once: true });
    waiter.start = () => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    };
    line.push(waiter);
    notify(line.length - 1);
    if (line.length === 1) waiter.start();
  });
  try {
    return await work();
  } finally {
    line.shift();
    renumber();
    line[0]?.start();
  }
}

export function abortError(signal?: AbortSignal): Error {
  const reason = signal?.reason as unknown;
  if (reason instanceof Error && reason.name === 'AbortError') return reason;
  const error = new Error('The comparison was cancelled: its client went away.');
  error.name = 'AbortError';
  return error;
}

/** True while a comparison runs (or waits) on this context's embedded database. */
export function embeddedBusy(ctx: Pick<AppContext, 'target'>): boolean {
  const key = ctx.target.embedded;
  return Boolean(key && (queues.get(key)?.length ?? 0) > 0);
}
