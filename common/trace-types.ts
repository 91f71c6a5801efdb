/**
 * What relscope's tracer (relscope/trace) records in a user's running app and sends to
 * `relscope serve`: scopes (one per request, test or `tracer.scope()` call), each with its
 * statements and findings. Browser-safe: types only, shared by the tracer, the server's
 * ingest endpoint and the Requests view.
 */

export interface CallSite {
  file: string;
  line: number;
  column: number;
}

/** How the ORM came to send a statement, read from the stack frames of the statement. */
export type LoadVia = 'Reference.load' | 'wrap.init' | 'Collection.init' | 'Collection.load' | 'Collection.loadCount' | 'populate' | 'find' | 'flush' | 'execute' | 'connect';

export interface TraceStatement {
  /** Order within the scope, from 0. */
  seq: number;
  /** The SQL as the ORM built it, with ? placeholders (values are in `params`, never inlined). */
  sql: string;
  /** Literal-free shape of the statement (server/lab/sql.ts fingerprint): same shape, same string. */
  fingerprint: string;
  /** The values, when the tracer was attached with `params: true`; otherwise absent. */
  params?: unknown[];
  /** How many values the statement had (always present, also when the values are redacted). */
  paramCount: number;
  /** Milliseconds from the scope's start to the statement's start (performance.now()). */
  startMs: number;
  /** Client wall time around the driver call (performance.now(), sub-millisecond). */
  ms: number;
  /** Rows returned (SELECT) or affected (writes); null when the driver did not say. */
  rows: number | null;
  callSite?: CallSite;
  /** What loaded it: 'Order.customer' when the ORM loaded that relation. */
  relation?: string;
  via?: LoadVia;
  error?: string;
}

export type TraceFindingKind = 'n-plus-one' | 'duplicate' | 'unused-eager';

export interface TraceFinding {
  kind: TraceFindingKind;
  scope: string;
  relation?: string;
  count: number;
  totalMs: number;
  callSite?: CallSite;
  fix?: string;
  /** One sentence naming the cause and the fix, in the lab's wording. */
  message: string;
  fingerprint: string;
  /** The statements (seq) the finding is about. */
  statements: number[];
  via?: LoadVia;
  /** For n-plus-one of an eager relation: the N+1 ('Entity.property') whose loads bring it along; `fix` is that loop's. */
  causedBy?: string;
  /** For n-plus-one: the lab load that reproduces it (root entity and populate paths). */
  lab?: { root: string; populate: string[] };
}

export interface TraceScope {
  /** Unique within the sending process. */
  id: string;
  name: string;
  /** 'scope' (tracer.scope / middleware) or 'fork' (grouped by the EntityManager fork). */
  kind: 'scope' | 'fork';
  /** Wall-clock start, ms since the epoch. */
  startedAt: number;
  durationMs: number;
  statements: TraceStatement[];
  /** Statements beyond the per-scope bound that were not kept (counted only). */
  statementsDropped: number;
  findings: TraceFinding[];
  status?: number;
}

/** The body of POST /api/trace: one batch from one tracer. */
export interface TraceBatch {
  v: 1;
  source: { pid: number; app: string };
  /** Scopes the tracer dropped (oldest first) since it started because its buffer was full. */
  dropped: number;
  scopes: TraceScope[];
}

/** A scope as the server keeps and shows it. */
export interface TracedRequest extends TraceScope {
  /** Server-side sequence number. */
  n: number;
  source: { pid: number; app: string };
  receivedAt: number;
}

export interface TracedRequestsState {
  requests: TracedRequest[];
  /** Scopes dropped by tracers (their own count) plus those the server let go of (its bound). */
  dropped: { byTracers: number; byServer: number };
}
