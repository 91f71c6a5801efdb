/**
 * Captures every statement a load sends, at the pg client: the SQL exactly as sent (MikroORM 7
 * inlines parameters before it reaches the driver), the client wall time around the driver
 * call with performance.now() (the ORM logger's `took` is whole milliseconds from Date.now()),
 * rows returned and bytes on the wire.
 *
 * How: each pooled pg client's `query` is wrapped the first time the pool hands it out (the
 * pool's 'acquire' event fires on every checkout, so clients created before we looked are
 * covered too). The wrapper records only inside a capture session, which lives in an
 * AsyncLocalStorage: two comparisons running at once each see only their own statements,
 * because the session follows the async chain from `em.find()` / `.load()` down to
 * `client.query()`; statements of anyone else on the same pool pass through untouched.
 *
 * Inside a session the wrapper also refuses, before sending, any statement that is not a
 * plain read-only SELECT: a load that would write never reaches the server. Transaction
 * control (BEGIN, ROLLBACK, ...) passes, so that an ORM that tried to flush can still roll
 * back and return its connection.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type pg from 'pg';
import { checkReadOnly, isTransactionControl } from './sql.ts';

export interface CapturedStatement {
  sql: string;
  params: unknown[];
  ms: number;
  rows: number;
  bytesReceived: number;
  bytesSent: number;
  /** What the session was doing when it was sent (the lazy loop's populate path, '' for roots). */
  path?: string;
  error?: string;
}

export interface CaptureSession {
  statements: CapturedStatement[];
  /** Set by the lazy loop before each level, copied onto every statement. */
  path?: string;
  /** Time spent in the capture wrapper itself (read-only check, bookkeeping): relscope's share of a load. */
  overheadMs?: number;
  /** Budgets enforced on the wire, inside the load (see RunLimits). */
  limits?: RunLimits;
  /** Rows received so far in this session. */
  rows?: number;
  /** The budget a statement of this session stopped at (MikroORM wraps what the driver threw). */
  stopped?: BudgetExceeded;
}

/**
 * Budgets of one run, enforced by the capture wrapper: before a statement is sent (cancel,
 * deadline, statement count) and when its rows arrive, before MikroORM hydrates them (row
 * count): a runaway load stops inside the ORM, not after it.
 */
export interface RunLimits {
  signal?: AbortSignal;
  /** performance.now() after which no statement is sent. */
  deadline?: number;
  maxStatements?: number;
  maxRows?: number;
}

/** A run stopped at one of its budgets (or because its client went away). */
export class BudgetExceeded extends Error {
  constructor(readonly reason: 'statements' | 'rows' | 'time' | 'cancelled', message: string) {
    super(message);
    this.name = 'BudgetExceeded';
  }
}

/** The BudgetExceeded inside `error` (MikroORM may wrap what a driver call threw), if any. */
export function budgetError(error: unknown): BudgetExceeded | null {
  for (let e = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof BudgetExceeded) return e;
  }
  return null;
}

function stop(session: CaptureSession, reason: BudgetExceeded['reason'], message: string): BudgetExceeded {
  const error = new BudgetExceeded(reason, message);
  session.stopped ??= error;
  return error;
}

function checkBefore(session: CaptureSession): void {
  const limits = session.limits;
  if (!limits) return;
  if (limits.signal?.aborted) throw stop(session, 'cancelled', 'stopped: the client went away (cancelled)');
  if (limits.deadline !== undefined && performance.now() > limits.deadline) throw stop(session, 'time', 'stopped at the time budget (timeBudgetMs)');
  if (limits.maxStatements !== undefined && session.statements.length >= limits.maxStatements) {
    throw stop(session, 'statements', `stopped after ${limits.maxStatements.toLocaleString('en-US')} statements (maxStatementsPerRun)`);
  }
}

/** Lets timers and other requests run between statements: a long load never holds the event loop. */
const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A statement that a capture session refused to send. */
export class RefusedStatementError extends Error {
  readonly sql: string;
  constructor(sql: string, reason: string) {
    super(`relscope refused to send a statement that is not a plain read-only SELECT (${reason}): ${sql.slice(0, 200)}`);
    this.name = 'RefusedStatementError';
    this.sql = sql;
  }
}

const storage = new AsyncLocalStorage<CaptureSession>();
const instrumentedPools = new WeakSet<object>();
const instrumentedClients = new WeakSet<object>();

/** Runs `work` with statements captured into a new session; the session is returned with the result. */
export async function capture<T>(work: () => Promise<T>, session: CaptureSession = { statements: [] }): Promise<{ value: T; session: CaptureSession }> {
  const value = await storage.run(session, work);
  return { value, session };
}

/** Runs `work` outside any capture session (EXPLAIN and bookkeeping queries must not be recorded). */
export function uncaptured<T>(work: () => Promise<T>): Promise<T> {
  return storage.exit(work);
}

interface StreamHolder {
  connection?: { stream?: NodeJS.EventEmitter };
}

type QueryFn = (...args: unknown[]) => unknown;

/** Wraps the clients of a pg Pool (idempotent). */
export function instrumentPool(pool: pg.Pool): void {
  if (instrumentedPools.has(pool)) return;
  instrumentedPools.add(pool);
  pool.on('acquire', (client) => instrumentClient(client));
}

function instrumentClient(client: pg.PoolClient): void {
  if (instrumentedClients.has(client)) return;
  instrumentedClients.add(client);
  let received = 0;
  (client as unknown as StreamHolder).connection?.stream?.on('data', (chunk: Buffer) => {
    received += chunk.length;
  });
  // pg's query() has many overloads; we only intercept (text, values) without a callback, which is how Kysely calls it.
  const original = client.query.bind(client) as unknown as QueryFn;
  const wrapped: QueryFn = (...args) => {
    const session = storage.getStore();
    const [text, values, callback] = args;
    if (!session || typeof text !== 'string' || typeof callback === 'function' || typeof values === 'function') return original(...args);
    const entered = performance.now();
    const params = Array.isArray(values) ? values : [];
    const check = isTransactionControl(text) ? ({ ok: true } as const) : checkReadOnly(text);
    const path = session.path;
    if (!check.ok) {
      session.statements.push({ sql: text, params, ms: 0, rows: 0, bytesReceived: 0, bytesSent: 0, path, error: `refused: ${check.reason}` });
      return Promise.reject(new RefusedStatementError(text, check.reason));
    }
    if (!isTransactionControl(text)) {
      try {
        checkBefore(session);
      } catch (error) {
        return Promise.reject(error);
      }
    }
    const before = received;
    const started = performance.now();
    session.overheadMs = (session.overheadMs ?? 0) + (started - entered);
    let result = original(text, values) as Promise<pg.QueryResult>;
    const signal = session.limits?.signal;
    if (signal) {
      // A statement in flight when the client goes away: the load stops now; the statement
      // itself ends on the server (a read, short by the time budget) and its result is dropped.
      const sent = result;
      sent.catch(() => {});
      result = new Promise<pg.QueryResult>((resolve, reject) => {
        const onAbort = () => reject(stop(session, 'cancelled', 'stopped: the client went away (cancelled)'));
        if (signal.aborted) return onAbort();
        signal.addEventListener('abort', onAbort, { once: true });
        sent.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
      });
    }
    return result.then(
      async (res) => {
        const ended = performance.now();
        const rows = res.rows?.length ?? res.rowCount ?? 0;
        session.statements.push({ sql: text, params, ms: ended - started, rows, bytesReceived: received - before, bytesSent: Buffer.byteLength(text), path });
        session.rows = (session.rows ?? 0) + rows;
        session.overheadMs = (session.overheadMs ?? 0) + (performance.now() - ended);
        const limits = session.limits;
        if (limits?.maxRows !== undefined && session.rows > limits.maxRows) {
          throw stop(session, 'rows', `stopped after receiving ${session.rows.toLocaleString('en-US')} rows, over the budget of ${limits.maxRows.toLocaleString('en-US')} (maxRowsPerRun), before hydrating them`);
        }
        if (limits) {
          await yieldToLoop();
          if (limits.signal?.aborted) throw stop(session, 'cancelled', 'stopped: the client went away (cancelled)');
        }
        return res;
      },
      (error: unknown) => {
        const ms = performance.now() - started;
        session.statements.push({ sql: text, params, ms, rows: 0, bytesReceived: received - before, bytesSent: Buffer.byteLength(text), path, error: error instanceof Error ? error.message : String(error) });
        throw error;
      },
    );
  };
  (client as unknown as { query: QueryFn }).query = wrapped;
}
