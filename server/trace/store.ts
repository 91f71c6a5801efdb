/**
 * The requests that tracers (relscope/trace) sent to this server: validated on the way in,
 * kept in memory (the newest 500), pushed to open pages as they arrive. Nothing is written
 * anywhere, and no query runs: this is the app's own SQL, shown as it was.
 */
import type { CallSite, TraceBatch, TraceFinding, TraceScope, TraceStatement, TracedRequest, TracedRequestsState } from '../../common/trace-types.ts';
import { UserError } from '../errors.ts';

export const traceLimits = {
  /** Requests kept by the server; older ones are let go of and counted. */
  keep: 500,
  bodyBytes: 4 * 1024 * 1024,
  scopesPerBatch: 200,
  statementsPerScope: 5000,
  findingsPerScope: 500,
  sqlChars: 20_000,
  textChars: 2000,
} as const;

function fail(field: string, expected: string): never {
  throw new UserError(`Invalid trace batch: ${field} must be ${expected} (sent by relscope/trace; upgrade the app's relscope to match this server).`, { status: 400 });
}

function obj(value: unknown, field: string): Record<string, unknown> {
  if (!value || typeof value !== 'object' || Array.isArray(value)) fail(field, 'an object');
  return value as Record<string, unknown>;
}

function str(value: unknown, field: string, max: number = traceLimits.textChars): string {
  if (typeof value !== 'string') fail(field, 'a string');
  return value.length > max ? `${value.slice(0, max)}…` : value;
}

function num(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) fail(field, 'a non-negative number');
  return value;
}

function optStr(value: unknown, field: string): string | undefined {
  return value === undefined ? undefined : str(value, field);
}

function arr(value: unknown, field: string, max: number): unknown[] {
  if (!Array.isArray(value)) fail(field, 'an array');
  if (value.length > max) fail(field, `at most ${max} items long`);
  return value;
}

function callSite(value: unknown, field: string): CallSite | undefined {
  if (value === undefined) return undefined;
  const o = obj(value, field);
  return { file: str(o.file, `${field}.file`), line: num(o.line, `${field}.line`), column: num(o.column, `${field}.column`) };
}

const vias = new Set(['Reference.load', 'wrap.init', 'Collection.init', 'Collection.load', 'Collection.loadCount', 'populate', 'find', 'flush', 'execute', 'connect']);
const kinds = new Set(['n-plus-one', 'duplicate', 'unused-eager']);

function statement(value: unknown, field: string): TraceStatement {
  const o = obj(value, field);
  const s: TraceStatement = {
    seq: num(o.seq, `${field}.seq`),
    sql: str(o.sql, `${field}.sql`, traceLimits.sqlChars),
    fingerprint: str(o.fingerprint, `${field}.fingerprint`, traceLimits.sqlChars),
    paramCount: num(o.paramCount, `${field}.paramCount`),
    startMs: num(o.startMs, `${field}.startMs`),
    ms: num(o.ms, `${field}.ms`),
    rows: o.rows === null ? null : num(o.rows, `${field}.rows`),
  };
  if (o.params !== undefined) s.params = arr(o.params, `${field}.params`, 10_000).map((p) => (typeof p === 'string' && p.length > traceLimits.textChars ? `${p.slice(0, traceLimits.textChars)}…` : p));
  const site = callSite(o.callSite, `${field}.callSite`);
  if (site) s.callSite = site;
  const relation = optStr(o.relation, `${field}.relation`);
  if (relation) s.relation = relation;
  // A load path this server does not know (a newer relscope/trace) is left out, as for findings: it
  // only labels the statement, and refusing it would lose the whole batch.
  if (o.via !== undefined && o.via !== null && typeof o.via !== 'string') fail(`${field}.via`, `one of ${[...vias].join(', ')}`);
  if (typeof o.via === 'string' && vias.has(o.via)) s.via = o.via as TraceStatement['via'];
  const error = optStr(o.error, `${field}.error`);
  if (error) s.error = error;
  return s;
}

function finding(value: unknown, field: string): TraceFinding {
  const o = obj(value, field);
  if (typeof o.kind !== 'string' || !kinds.has(o.kind)) fail(`${field}.kind`, `one of ${[...kinds].join(', ')}`);
  const f: TraceFinding = {
    kind: o.kind as TraceFinding['kind'],
    scope: str(o.scope, `${field}.scope`),
    count: num(o.count, `${field}.count`),
    totalMs: num(o.totalMs, `${field}.totalMs`),
    message: str(o.message, `${field}.message`),
    fingerprint: str(o.fingerprint, `${field}.fingerprint`, traceLimits.sqlChars),
    statements: arr(o.statements, `${field}.statements`, traceLimits.statementsPerScope).map((n, i) => num(n, `${field}.statements[${i}]`)),
  };
  const relation = optStr(o.relation, `${field}.relation`);
  if (relation) f.relation = relation;
  const site = callSite(o.callSite, `${field}.callSite`);
  if (site) f.callSite = site;
  const fix = optStr(o.fix, `${field}.fix`);
  if (fix) f.fix = fix;
  if (typeof o.via === 'string' && vias.has(o.via)) f.via = o.via as TraceFinding['via'];
  const causedBy = optStr(o.causedBy, `${field}.causedBy`);
  if (causedBy) f.causedBy = causedBy;
  if (o.lab !== undefined) {
    const lab = obj(o.lab, `${field}.lab`);
    f.lab = { root: str(lab.root, `${field}.lab.root`, 200), populate: arr(lab.populate, `${field}.lab.populate`, 20).map((p, i) => str(p, `${field}.lab.populate[${i}]`, 500)) };
  }
  return f;
}

function scope(value: unknown, field: string): TraceScope {
  const o = obj(value, field);
  if (o.kind !== 'scope' && o.kind !== 'fork') fail(`${field}.kind`, '"scope" or "fork"');
  const s: TraceScope = {
    id: str(o.id, `${field}.id`, 100),
    name: str(o.name, `${field}.name`, 500),
    kind: o.kind,
    startedAt: num(o.startedAt, `${field}.startedAt`),
    durationMs: num(o.durationMs, `${field}.durationMs`),
    statements: arr(o.statements, `${field}.statements`, traceLimits.statementsPerScope).map((x, i) => statement(x, `${field}.statements[${i}]`)),
    statementsDropped: num(o.statementsDropped, `${field}.statementsDropped`),
    findings: arr(o.findings, `${field}.findings`, traceLimits.findingsPerScope).map((x, i) => finding(x, `${field}.findings[${i}]`)),
  };
  if (o.status !== undefined) s.status = num(o.status, `${field}.status`);
  return s;
}

/** Checks a POST /api/trace body field by field; the error names the field. */
export function parseTraceBatch(body: unknown): TraceBatch {
  const o = obj(body, 'the body');
  if (o.v !== 1) fail('v', '1');
  const source = obj(o.source, 'source');
  return {
    v: 1,
    source: { pid: num(source.pid, 'source.pid'), app: str(source.app, 'source.app', 200) },
    dropped: num(o.dropped, 'dropped'),
    scopes: arr(o.scopes, 'scopes', traceLimits.scopesPerBatch).map((x, i) => scope(x, `scopes[${i}]`)),
  };
}

type Listener = (event: { type: 'request'; request: TracedRequest } | { type: 'dropped'; dropped: TracedRequestsState['dropped'] }) => void;

export class RequestStore {
  private requests: TracedRequest[] = [];
  private n = 0;
  private byServer = 0;
  /** Each tracer's own dropped count (it sends its running total), by source. */
  private byTracer = new Map<string, number>();
  private listeners = new Set<Listener>();

  add(batch: TraceBatch): number {
    const key = `${batch.source.pid}:${batch.source.app}`;
    const before = this.dropped();
    this.byTracer.set(key, Math.max(this.byTracer.get(key) ?? 0, batch.dropped));
    const receivedAt = Date.now();
    for (const s of batch.scopes) {
      const request: TracedRequest = { ...s, n: ++this.n, source: batch.source, receivedAt };
      this.requests.push(request);
      while (this.requests.length > traceLimits.keep) {
        this.requests.shift();
        this.byServer++;
      }
      this.emit({ type: 'request', request });
    }
    const after = this.dropped();
    if (after.byServer !== before.byServer || after.byTracers !== before.byTracers) this.emit({ type: 'dropped', dropped: after });
    return batch.scopes.length;
  }

  dropped(): TracedRequestsState['dropped'] {
    return { byTracers: [...this.byTracer.values()].reduce((a, b) => a + b, 0), byServer: this.byServer };
  }

  state(options: { findingsOnly?: boolean; limit?: number } = {}): TracedRequestsState {
    let list = options.findingsOnly ? this.requests.filter((r) => r.findings.length > 0) : this.requests;
    if (options.limit !== undefined) list = list.slice(-options.limit);
    return { requests: list, dropped: this.dropped() };
  }

  get(n: number): TracedRequest | undefined {
    return this.requests.find((r) => r.n === n);
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(event: Parameters<Listener>[0]): void {
    for (const l of this.listeners) {
      try {
        l(event);
      } catch {
        // a broken page connection must not stop the others
      }
    }
  }
}
