/**
 * EXPLAIN of captured statements, safely.
 *
 * - Only a plain read-only SELECT is explained (checkReadOnly); anything else is refused
 *   and reported, never sent.
 * - EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) executes the statement, so it runs inside
 *   BEGIN READ ONLY ... ROLLBACK with SET LOCAL statement_timeout: on a real server the server
 *   cancels it at the timeout.
 * - The embedded database (PGlite) ignores statement_timeout and cancel requests, so there a
 *   watchdog kills the EmbeddedPostgres process at the timeout and starts it again (same port,
 *   so every URL stays valid); the statement is reported as timed out and the comparison goes on.
 * - When ANALYZE fails (or timed out) plain EXPLAIN (FORMAT JSON) gives the estimated plan;
 *   when that fails too the statement is reported with its error.
 *
 * One pooled connection at a time and short transactions: on the embedded database an open
 * transaction on one connection blocks every other.
 */
import type pg from 'pg';
import type { EmbeddedPostgres } from '../db/embedded.ts';
import { errorMessage } from '../errors.ts';
import { uncaptured } from './capture.ts';
import { parseExplain, summarizePlan } from './plan.ts';
import { checkReadOnly } from './sql.ts';
import type { ExplainResult } from '../../common/lab-types.ts';

/** The watchdog's two operations on the embedded database's process. */
export type EmbeddedControl = Pick<EmbeddedPostgres, 'kill' | 'start'>;

export interface ExplainTarget {
  pool: pg.Pool;
  kind: 'embedded' | 'external';
  /** Present on the embedded database: what the watchdog kills and restarts. */
  embedded?: EmbeddedControl;
}

export interface ExplainOptions {
  timeoutMs: number;
  /**
   * Cancel: a real server cancels the running statement (pg_cancel_backend on its backend);
   * the embedded database ignores cancel, so the watchdog kills and restarts it.
   */
  signal?: AbortSignal;
  /** False: plain EXPLAIN only (nothing is executed). */
  analyze?: boolean;
}

/** ANALYZE ran into the timeout (server-side cancel or watchdog). */
class StatementTimeout extends Error {
  constructor(readonly method: 'statement_timeout' | 'watchdog', readonly ms: number, readonly restartMs?: number) {
    super(method === 'watchdog'
      ? `stopped by the watchdog after ${ms} ms (the embedded database ignores statement_timeout; it was killed and restarted)`
      : `canceled by statement_timeout after ${ms} ms`);
  }
}

const timedOutMarker = Symbol('timed out');
const abortedMarker = Symbol('aborted');

/** The client went away while a statement was being explained. */
class ExplainCancelled extends Error {
  constructor() {
    super('cancelled: the client went away');
    this.name = 'AbortError';
  }
}

/**
 * Runs `work` on one pooled client inside BEGIN READ ONLY ... ROLLBACK with a statement
 * timeout; on the embedded database a watchdog enforces the timeout by restarting it.
 */
async function readOnly<T>(target: ExplainTarget, timeoutMs: number, work: (client: pg.PoolClient) => Promise<T>, signal?: AbortSignal): Promise<T> {
  if (signal?.aborted) throw new ExplainCancelled();
  const client = await target.pool.connect();
  let broken = false;
  let onAbort: (() => void) | undefined;
  try {
    await client.query('begin transaction read only');
    await client.query(`set local statement_timeout = ${Math.round(timeoutMs)}`);
    let value: T;
    const running = work(client);
    running.catch(() => {}); // observed below; never an unhandled rejection after a kill
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      running,
      // The embedded database ignores statement_timeout: the watchdog enforces it.
      ...(target.embedded ? [new Promise<typeof timedOutMarker>((resolve) => { timer = setTimeout(() => resolve(timedOutMarker), timeoutMs); })] : []),
      ...(signal ? [new Promise<typeof abortedMarker>((resolve) => { onAbort = () => resolve(abortedMarker); signal.addEventListener('abort', onAbort, { once: true }); })] : []),
    ]).finally(() => {
      clearTimeout(timer);
      if (onAbort) signal?.removeEventListener('abort', onAbort);
    });
    if (outcome === timedOutMarker || (outcome === abortedMarker && target.embedded)) {
      broken = true;
      const started = performance.now();
      await target.embedded!.kill();
      await running.catch(() => {});
      await target.embedded!.start();
      if (outcome === abortedMarker) throw new ExplainCancelled();
      throw new StatementTimeout('watchdog', timeoutMs, performance.now() - started);
    }
    if (outcome === abortedMarker) {
      // A real server: cancel the statement on its backend, then let the rollback below run.
      // The embedded database without its watchdog (a context that does not own the process):
      // wait for the statement. Never a second connection there: PGlite is one session, which
      // this client holds until its transaction ends, so that query would wait for this one
      // and this one for it (every later client of the database waited too).
      const pid = (client as unknown as { processID?: number }).processID;
      if (pid && target.kind !== 'embedded') await target.pool.query('select pg_cancel_backend($1)', [pid]).catch(() => {});
      await running.catch(() => {});
      throw new ExplainCancelled();
    }
    value = outcome as T;
    await client.query('rollback');
    return value;
  } catch (error) {
    if ((error as { code?: string }).code === '57014') error = new StatementTimeout('statement_timeout', timeoutMs);
    if (!broken) {
      try {
        await client.query('rollback');
      } catch {
        broken = true;
      }
    }
    throw error;
  } finally {
    // A broken connection is destroyed, not returned to the pool.
    client.release(broken ? true : undefined);
  }
}

async function runExplain(target: ExplainTarget, sql: string, params: unknown[], analyze: boolean, timeoutMs: number, signal?: AbortSignal): Promise<unknown> {
  const prefix = analyze ? 'explain (analyze, buffers, format json) ' : 'explain (format json) ';
  return readOnly(target, timeoutMs, async (client) => {
    const res = await client.query<{ 'QUERY PLAN': unknown }>(prefix + sql, params.length ? params : undefined);
    return res.rows[0]?.['QUERY PLAN'];
  }, signal);
}

function withPlan(result: ExplainResult, raw: unknown): ExplainResult {
  const explain = parseExplain(raw);
  const summary = summarizePlan(explain);
  result.raw = raw;
  result.plan = summary.plan;
  result.nodeCount = summary.nodeCount;
  if (summary.planningMs !== undefined) result.planningMs = summary.planningMs;
  if (summary.executionMs !== undefined) result.executionMs = summary.executionMs;
  if (summary.buffers) result.buffers = summary.buffers;
  if (summary.slowestNode) result.slowestNode = summary.slowestNode;
  return result;
}

/** Explains one captured statement; never throws (failures are reported in the result). */
export function explainStatement(target: ExplainTarget, sql: string, params: unknown[], options: ExplainOptions): Promise<ExplainResult> {
  return uncaptured(async () => {
    const started = performance.now();
    const done = (result: ExplainResult): ExplainResult => ({ ...result, tookMs: performance.now() - started });
    const check = checkReadOnly(sql);
    if (!check.ok) return done({ status: 'refused', error: `not explained: ${check.reason}; relscope only runs plain read-only SELECTs` });

    let analyzeError: string | undefined;
    let timeout: ExplainResult['timeout'];
    if (options.analyze !== false) {
      try {
        return done(withPlan({ status: 'analyzed' }, await runExplain(target, sql, params, true, options.timeoutMs, options.signal)));
      } catch (error) {
        if (error instanceof ExplainCancelled) return done({ status: 'skipped', error: 'not explained: cancelled' });
        if (error instanceof StatementTimeout) {
          timeout = { ms: error.ms, method: error.method };
          if (error.restartMs !== undefined) timeout.restartMs = error.restartMs;
        }
        analyzeError = errorMessage(error);
      }
    }
    try {
      const raw = await runExplain(target, sql, params, false, options.timeoutMs, options.signal);
      const result: ExplainResult = { status: timeout ? 'timed-out' : 'estimated' };
      if (analyzeError) result.error = `EXPLAIN ANALYZE ${timeout ? '' : 'failed: '}${analyzeError}; estimated plan shown`;
      if (timeout) result.timeout = timeout;
      return done(withPlan(result, raw));
    } catch (error) {
      if (error instanceof ExplainCancelled) return done({ status: 'skipped', error: 'not explained: cancelled' });
      const result: ExplainResult = {
        status: timeout ? 'timed-out' : 'error',
        error: analyzeError ? `EXPLAIN ANALYZE: ${analyzeError}; EXPLAIN: ${errorMessage(error)}` : errorMessage(error),
      };
      if (timeout) result.timeout = timeout;
      return done(result);
    }
  });
}
