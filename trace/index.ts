/**
 * relscope/trace: statements, call sites and N+1 findings from a running MikroORM 7 app.
 *
 *   import { attach } from 'relscope/trace';
 *   const tracer = attach(orm);                 // after MikroORM.init()
 *   app.use(tracer.hono());                     // or .express(), .koa(), tracer.scope(name, fn)
 *
 * How it hooks in (no patching of the user's code, no query of its own):
 * - MikroORM's `onQuery` option (called just before each statement is sent): the tracer wraps
 *   whatever function was configured, returns its result unchanged, and notes the time
 *   (performance.now()), the scope (AsyncLocalStorage) and a stack (Error.captureStackTrace,
 *   formatted later, off the statement's path);
 * - the ORM's logger (`logQuery`, called after each statement with the row count): the tracer
 *   wraps the logger instance's method and then calls the original, so `debug` logging works
 *   as before. The two calls are paired by the statement's own parameter array.
 * `detach()` puts both back.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { dirname, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MikroORM } from '@mikro-orm/core';
import type { CallSite, TraceFinding, TraceScope, TraceStatement } from '../common/trace-types.ts';
import { fingerprint } from '../server/lab/sql.ts';
import { analyze, type AnalyzedStatement } from './analyze.ts';
import { Delivery, type DeliveryOptions } from './delivery.ts';
import { RelationResolver } from './relation.ts';
import { callSiteOf, readStack, sourceLine, stackVia, userFrameIndex, type CapturedStack } from './stack.ts';
import { expressMiddleware, honoMiddleware, koaMiddleware, type ExpressLikeMiddleware, type HonoLikeMiddleware, type KoaLikeMiddleware } from './middleware.ts';

export type { CallSite, TraceFinding, TraceScope, TraceStatement, TraceFindingKind, LoadVia } from '../common/trace-types.ts';
export { expectNoNPlusOne, formatFindings } from './expect.ts';

export interface AttachOptions extends DeliveryOptions {
  /** Keep statement parameter values (default false: only their count). */
  params?: boolean;
  /** Send scopes to `relscope serve` (default true; false keeps everything in this process). */
  send?: boolean;
  /** Finished scopes kept for `tracer.findings()` / `tracer.scopes()` (default 100). */
  keep?: number;
  /** Statements kept per scope; more are counted, not kept (default 2000). */
  maxStatementsPerScope?: number;
  /** How long an EntityManager fork without a scope stays open after its last statement (default 200 ms). */
  forkIdleMs?: number;
}

interface PendingStatement {
  start: number;
  sql: string;
  params: unknown[];
  scope: ScopeState;
  origin: StatementOrigin;
}

/** What a statement's stack says about it (see complete()). */
type Attribution = Pick<AnalyzedStatement, 'via' | 'callSite' | 'relation' | 'owner' | 'property' | 'toMany' | 'eager'>;

/** A call site learned for one statement of one route (see Tracer.before()). */
interface LearnedSite {
  attribution: Attribution;
  /** Captures that agreed with it. */
  agreements: number;
  /** A capture disagreed: this statement's stack is always captured from now on. */
  unstable: boolean;
  uses: number;
}

/**
 * Where a statement's attribution comes from: its captured stack (learned from under `learnAs`
 * in a request scope), or a learned site that stands in for the stack.
 */
type StatementOrigin = { stack: CapturedStack; learnAs?: string } | { reused: LearnedSite };

/**
 * Request routes repeat the same code path: after learnAfter captures of a statement (same
 * route, same SQL text, same ordinal among that route's statements with that text) agreed on
 * its call site, relation and load path, that attribution is reused instead of capturing the
 * stack (Error.captureStackTrace is the tracer's largest cost on a request's path, and reading
 * the stack its largest after it). Every recheckEvery-th use captures again; a disagreement
 * (the same statement now sent from another line) ends the reuse for that statement for good.
 */
const learnAfter = 3;
const recheckEvery = 8;
const maxLearned = 5_000;

interface ScopeState {
  id: string;
  name: string;
  kind: 'scope' | 'fork';
  startedAt: number;
  started: number;
  ended?: number;
  statements: AnalyzedStatement[];
  origins: StatementOrigin[];
  values: unknown[][];
  dropped: number;
  /** Request scopes (middlewares): the route the learned call sites are kept under. */
  route?: string;
  /** Per SQL text, how many statements with it this scope has sent so far. */
  ordinals?: Map<string, number>;
  status?: number;
  done?: TraceScope;
  idleTimer?: NodeJS.Timeout;
}

/** An open scope, for framework middlewares that learn the route pattern only at the end. */
export interface OpenScope {
  run<T>(fn: () => T): T;
  rename(name: string): void;
  end(status?: number): void;
}

const here = dirname(fileURLToPath(import.meta.url));
const distMark = `${sep}dist${sep}trace${sep}`;
/** relscope's own files: the call site is the first frame outside these and node_modules. */
const packageRoot = here.includes(distMark) ? here.slice(0, here.indexOf(distMark) + 1) : `${dirname(here)}${sep}`;
// The compiled files, and their sources as a source map names them (tsx, --enable-source-maps).
const ownDirs = [`${packageRoot}dist${sep}trace${sep}`, `${packageRoot}trace${sep}`, `${packageRoot}server${sep}lab${sep}`];

let scopeCounter = 0;
const idPrefix = `${process.pid}-`;

function sameAttribution(a: Attribution, b: Attribution): boolean {
  return a.via === b.via && a.relation === b.relation && a.owner === b.owner && a.property === b.property && a.toMany === b.toMany && a.eager === b.eager
    && a.callSite?.file === b.callSite?.file && a.callSite?.line === b.callSite?.line && a.callSite?.column === b.callSite?.column;
}

export class Tracer {
  private readonly storage = new AsyncLocalStorage<ScopeState>();
  private readonly pending = new WeakMap<object, PendingStatement[]>();
  private readonly forks = new Map<string | number, ScopeState>();
  private readonly finished: ScopeState[] = [];
  private readonly toFinish: ScopeState[] = [];
  private readonly learned = new Map<string, LearnedSite>();
  /** Stacks captured so far (statements that reused a learned call site took none). */
  stacksCaptured = 0;
  private finishScheduled = false;
  private readonly resolver: RelationResolver;
  private readonly delivery: Delivery | undefined;
  private readonly restore: (() => void)[] = [];
  private readonly options: Required<Pick<AttachOptions, 'params' | 'keep' | 'maxStatementsPerScope' | 'forkIdleMs'>>;
  private attached = true;

  constructor(readonly orm: MikroORM, options: AttachOptions = {}) {
    this.options = {
      params: options.params ?? false,
      keep: options.keep ?? 100,
      maxStatementsPerScope: options.maxStatementsPerScope ?? 2000,
      forkIdleMs: options.forkIdleMs ?? 200,
    };
    this.resolver = new RelationResolver(orm);
    if (options.send !== false) {
      this.delivery = new Delivery(options);
      if (this.delivery.problem) console.warn(this.delivery.problem);
    }
    this.hook();
  }

  private hook(): void {
    const config = this.orm.config;
    const originalOnQuery = config.get('onQuery') as (sql: string, params: readonly unknown[]) => string;
    const onQuery = (sql: string, params: readonly unknown[]): string => {
      const out = originalOnQuery(sql, params);
      if (this.attached) this.before(out, params as unknown[], onQuery);
      return out;
    };
    config.set('onQuery', onQuery);
    this.restore.push(() => {
      if (config.get('onQuery') === onQuery) config.set('onQuery', originalOnQuery);
    });

    const logger = config.getLogger() as unknown as Record<string, unknown> & { logQuery(context: Record<string, unknown>): void };
    const hadOwn = Object.prototype.hasOwnProperty.call(logger, 'logQuery');
    const originalOwn = logger.logQuery;
    const originalLog = logger.logQuery;
    const tracer = this;
    const logQuery = function (this: unknown, context: Record<string, unknown>) {
      if (tracer.attached) {
        try {
          tracer.after(context);
        } catch {
          // the tracer never breaks a query
        }
      }
      return originalLog.call(this, context);
    };
    logger.logQuery = logQuery;
    this.restore.push(() => {
      if (logger.logQuery !== logQuery) return;
      if (hadOwn) logger.logQuery = originalOwn;
      else delete (logger as { logQuery?: unknown }).logQuery;
    });
  }

  private before(sql: string, params: unknown[], hook: (...args: never[]) => unknown): void {
    const scope = this.storage.getStore() ?? this.placeholderFork;
    if (scope.ended !== undefined) return;
    // V8 keeps the frames; they are read (unformatted) only when the scope is finished. The
    // tracer's own two frames (this method, the onQuery hook) are left out.
    let origin: StatementOrigin | undefined;
    let learnAs: string | undefined;
    if (scope.route !== undefined) {
      const ordinals = (scope.ordinals ??= new Map());
      const ordinal = ordinals.get(sql) ?? 0;
      ordinals.set(sql, ordinal + 1);
      learnAs = `${scope.route}\u0000${ordinal}\u0000${sql}`;
      const known = this.learned.get(learnAs);
      if (known && !known.unstable && known.agreements >= learnAfter && ++known.uses % recheckEvery !== 0) origin = { reused: known };
    }
    if (!origin) {
      const holder: CapturedStack = {};
      const limit = Error.stackTraceLimit;
      Error.stackTraceLimit = 32;
      Error.captureStackTrace(holder, hook);
      Error.stackTraceLimit = limit;
      this.stacksCaptured++;
      origin = learnAs === undefined ? { stack: holder } : { stack: holder, learnAs };
    }
    const entry: PendingStatement = { start: performance.now(), sql, params, scope, origin };
    const key = (params ?? []) as object;
    const list = this.pending.get(key);
    if (list) list.push(entry);
    else this.pending.set(key, [entry]);
  }

  /**
   * Statements outside any scope first land here; after() moves them to the scope of the
   * EntityManager fork (RequestContext) that sent them.
   */
  private readonly placeholderFork: ScopeState = { id: 'unscoped', name: 'unscoped', kind: 'fork', startedAt: 0, started: 0, statements: [], origins: [], values: [], dropped: 0 };

  private after(context: Record<string, unknown>): void {
    const end = performance.now();
    const params = context.params as object | undefined;
    if (!params || typeof params !== 'object') return;
    const list = this.pending.get(params);
    if (!list?.length) return;
    const entry = list.shift()!;
    if (!list.length) this.pending.delete(params);
    let scope = entry.scope;
    if (scope === this.placeholderFork) scope = this.forkFor(context.id as string | number | undefined);
    if (scope.ended !== undefined) return;
    if (scope.statements.length >= this.options.maxStatementsPerScope) {
      scope.dropped++;
      return;
    }
    const results = context.results;
    const affected = context.affected;
    const statement: AnalyzedStatement = {
      seq: scope.statements.length,
      sql: entry.sql,
      fingerprint: '',
      paramCount: entry.params.length,
      paramsKey: '',
      startMs: round(entry.start - scope.started),
      ms: round(end - entry.start),
      rows: typeof results === 'number' ? results : typeof affected === 'number' ? affected : null,
    };
    // Values are compared as text, made when the scope is finished (off the statement's path);
    // until then the ORM's own array is held, never changed.
    scope.values.push(entry.params);
    if (context.level === 'error') statement.error = 'failed';
    scope.statements.push(statement);
    scope.origins.push(entry.origin);
    if (scope.kind === 'fork') this.touchFork(scope);
  }

  private forkFor(id: string | number | undefined): ScopeState {
    const key = id ?? 'global';
    let scope = this.forks.get(key);
    if (!scope) {
      scope = this.newScope(id === undefined ? 'no EntityManager fork' : `EntityManager fork #${id}`, 'fork');
      this.forks.set(key, scope);
    }
    return scope;
  }

  private touchFork(scope: ScopeState): void {
    if (scope.idleTimer) scope.idleTimer.refresh();
    else {
      scope.idleTimer = setTimeout(() => this.endFork(scope), this.options.forkIdleMs);
      scope.idleTimer.unref();
    }
  }

  private endFork(scope: ScopeState): void {
    for (const [key, s] of this.forks) if (s === scope) this.forks.delete(key);
    this.endScope(scope);
  }

  private newScope(name: string, kind: 'scope' | 'fork'): ScopeState {
    return { id: `${idPrefix}${++scopeCounter}`, name, kind, startedAt: Date.now(), started: performance.now(), statements: [], origins: [], values: [], dropped: 0 };
  }

  private endScope(scope: ScopeState): void {
    if (scope.ended !== undefined) return;
    scope.ended = performance.now();
    if (scope.idleTimer) clearTimeout(scope.idleTimer);
    this.toFinish.push(scope);
    // Stacks are read, relations resolved and findings computed after the scope's work, on the
    // next turn of the event loop (after the response is written): none of it sits on a
    // statement's or response's path. Not later: a captured stack keeps its frames' receivers
    // (the fork, its entities) alive until read, and holding them 100 ms longer to batch the
    // work measured 5-7% slower at p50 on the 2 ms endpoints of examples/blog (most likely the
    // garbage collector: a request's objects outlive the young generation instead of dying in it).
    if (!this.finishScheduled) {
      this.finishScheduled = true;
      setImmediate(() => this.finishPending());
    }
  }

  private finishPending(): void {
    this.finishScheduled = false;
    while (this.toFinish.length) {
      const scope = this.toFinish.shift()!;
      if (scope.done) continue;
      scope.done = this.complete(scope);
      this.finished.push(scope);
      while (this.finished.length > this.options.keep) this.finished.shift();
      this.delivery?.enqueue(scope.done);
    }
  }

  /** Call site, load path and relation of a statement, from its stack and its SQL. */
  private attribute(holder: CapturedStack, sql: string): Attribution {
    const out: Attribution = {};
    const stack = readStack(holder, ownDirs);
    const via = stackVia(stack);
    if (via) out.via = via;
    const userAt = userFrameIndex(stack.frames, ownDirs);
    let site: CallSite | undefined;
    if (userAt >= 0) {
      site = callSiteOf(stack, userAt);
      out.callSite = site;
    }
    const line = site ? sourceLine(site) : undefined;
    // Reference.load() returns the ORM's findOne promise without awaiting it, so V8's async
    // stack skips it: the user's frame calls findOne directly. Its source line still reads
    // `.load(` (or loadOrFail), which with a primary-key lookup on a relation target is it.
    const refLoad = via === 'find' && line !== undefined && /\.(load|loadOrFail|init)\s*\(/.test(line);
    // wrap(entity).init() also returns findOne's promise unawaited: the same case, named for what it is.
    const wrapInit = refLoad && /\bwrap\s*\(.*\)\s*\.init\s*\(/.test(line!);
    if (via && (via === 'Reference.load' || via.startsWith('Collection.') || via === 'populate' || refLoad)) {
      const guess = this.resolver.resolve(sql, line);
      if (guess && (!refLoad || !guess.toMany)) {
        if (refLoad) out.via = wrapInit ? 'wrap.init' : 'Reference.load';
        out.relation = guess.relation;
        out.owner = guess.owner;
        out.property = guess.property;
        out.toMany = guess.toMany;
        if (guess.eager) out.eager = true;
      }
    }
    return out;
  }

  /** Records what a captured stack said about a statement of a route (see learnAfter). */
  private learn(key: string, attribution: Attribution): void {
    const known = this.learned.get(key);
    if (!known) {
      if (this.learned.size >= maxLearned) this.learned.clear();
      this.learned.set(key, { attribution, agreements: 1, unstable: false, uses: 0 });
    } else if (sameAttribution(known.attribution, attribution)) known.agreements++;
    else known.unstable = true;
  }

  private complete(scope: ScopeState): TraceScope {
    for (let i = 0; i < scope.statements.length; i++) {
      const s = scope.statements[i]!;
      s.fingerprint = fingerprintOf(s.sql);
      s.paramsKey = safeJson(scope.values[i] ?? []);
      if (this.options.params) s.params = JSON.parse(s.paramsKey) as unknown[];
      const origin = scope.origins[i];
      if (!origin) continue;
      if ('reused' in origin) {
        Object.assign(s, origin.reused.attribution);
        continue;
      }
      const attribution = this.attribute(origin.stack, s.sql);
      Object.assign(s, attribution);
      if (origin.learnAs !== undefined) this.learn(origin.learnAs, attribution);
    }
    scope.origins = [];
    scope.values = [];
    const findings = analyze(scope.name, scope.statements);
    return {
      id: scope.id,
      name: scope.name,
      kind: scope.kind,
      startedAt: scope.startedAt,
      durationMs: round((scope.ended ?? performance.now()) - scope.started),
      statements: scope.statements.map(({ paramsKey: _k, owner: _o, property: _p, toMany: _t, eager: _e, ...rest }) => rest),
      statementsDropped: scope.dropped,
      findings,
      ...(scope.status !== undefined ? { status: scope.status } : {}),
    };
  }

  /** Runs `fn` in a scope named `name`; its statements and findings are kept together. */
  scope<T>(name: string, fn: () => T): T {
    const open = this.open(name);
    let result: T;
    try {
      result = open.run(fn);
    } catch (error) {
      open.end();
      throw error;
    }
    if (result && typeof (result as { then?: unknown }).then === 'function') {
      (result as unknown as Promise<unknown>).then(() => open.end(), () => open.end());
    } else {
      open.end();
    }
    return result;
  }

  /**
   * A scope that ends when told: what the framework middlewares use. `route`: the request's
   * route, under which statements' call sites are learned (see learnAfter); scopes of
   * tracer.scope() have none.
   */
  open(name: string, route?: string): OpenScope {
    const scope = this.newScope(name, 'scope');
    if (route !== undefined) scope.route = route;
    return {
      run: (fn) => this.storage.run(scope, fn),
      rename: (n) => { scope.name = n; },
      end: (status) => {
        if (status !== undefined) scope.status = status;
        this.endScope(scope);
      },
    };
  }

  /** Finished scopes (newest last), each with statements and findings. Ends idle forks first. */
  scopes(): TraceScope[] {
    for (const scope of [...this.forks.values()]) this.endFork(scope);
    this.finishPending();
    return this.finished.map((s) => s.done!);
  }

  /** Findings of every kept scope, oldest scope first. */
  findings(): TraceFinding[] {
    return this.scopes().flatMap((s) => s.findings);
  }

  /** Forgets the kept scopes (not what is waiting to be sent). */
  clear(): void {
    this.scopes();
    this.finished.length = 0;
  }

  /** Scopes dropped because the send buffer was full while relscope serve was away. */
  get dropped(): number {
    return this.delivery?.dropped ?? 0;
  }

  get delivering(): { target?: string; problem?: string; pending: number; dropped: number; sent: number; failed: number; refused: number } {
    const d = this.delivery;
    return { target: d?.target?.href, problem: d?.problem, pending: d?.pending ?? 0, dropped: d?.dropped ?? 0, sent: d?.stats.sent ?? 0, failed: d?.stats.failed ?? 0, refused: d?.stats.refused ?? 0 };
  }

  /** Sends what is waiting (resolves when sent or given up); the app never needs to call it. */
  async flush(): Promise<void> {
    this.scopes();
    await this.delivery?.flush();
  }

  hono(): HonoLikeMiddleware {
    return honoMiddleware(this);
  }

  express(): ExpressLikeMiddleware {
    return expressMiddleware(this);
  }

  koa(): KoaLikeMiddleware {
    return koaMiddleware(this);
  }

  /** Unhooks from the ORM (queries run exactly as without the tracer) and stops sending. */
  detach(): void {
    if (!this.attached) return;
    this.attached = false;
    this.scopes();
    for (const undo of this.restore.reverse()) undo();
    this.delivery?.stop();
    // Node keeps an AsyncLocalStorage that has run once in its list until disabled, and copies
    // its store into every promise the process creates: a detached tracer must cost nothing.
    this.storage.disable();
  }
}

const fingerprints = new Map<string, string>();

/** The lab's fingerprint, cached by statement text: an app sends the same few statements over and over. */
function fingerprintOf(sql: string): string {
  let print = fingerprints.get(sql);
  if (print === undefined) {
    print = fingerprint(sql);
    if (fingerprints.size > 5_000) fingerprints.clear();
    fingerprints.set(sql, print);
  }
  return print;
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

function safeJson(values: unknown[]): string {
  // Most parameters are numbers and strings: JSON.stringify without a replacer is several times faster.
  if (values.every((v) => v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean')) return JSON.stringify(values);
  try {
    return JSON.stringify(values, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? `<${v.length} bytes>` : v)) ?? '[]';
  } catch {
    return `[${values.length} values]`;
  }
}

/** Hooks a MikroORM 7 instance; see Tracer. */
export function attach(orm: MikroORM, options: AttachOptions = {}): Tracer {
  return new Tracer(orm, options);
}
