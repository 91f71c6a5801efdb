/**
 * A comparison end to end, in phases (each a function below, with a small typed interface):
 *
 *   validate (nothing runs for an invalid request)
 *   → queue (one at a time on the embedded database; a client that leaves while waiting is dropped)
 *   → measure: cheap strategies first, each streamed the moment it is measured (summarise);
 *     the lazy N+1 `select` loop last, its round trips predicted from select-in's graph first;
 *     adaptive repeats (a slow first run is the measurement; fast ones repeat until their runs
 *     agree, `repeat` is reached or their budget is spent)
 *   → check graphs (every strategy must hydrate the reference graph)
 *   → explain each distinct statement once → optional sweep → notes → one CompareReport.
 *
 * Budgets: every run stops at the request's statement and row budgets and at the comparison's
 * time budget, inside the load (capture.ts checks them on the wire, before MikroORM hydrates a
 * result); the rest of a comparison that ran out of time is reported as not run. Cancel: the
 * `signal` (the HTTP request closing, Ctrl-C) reaches every run, the lazy loop, the sweep and
 * the EXPLAINs; the comparison then ends with an AbortError.
 *
 * On the embedded database comparisons run one at a time: PGlite serialises every statement
 * anyway (two at once would only distort each other's timings), and the EXPLAIN watchdog may
 * restart it, which would break a concurrent comparison's loads. On a real server they run
 * concurrently; the capture sessions keep their statements apart.
 *
 * Where it runs: the server's POST /api/compare validates and queues here, then runs the comparison
 * in its lab worker thread (lab-worker.ts, worker.ts call compareNow there); `relscope compare`,
 * the benches and the tests call compare() in their own thread.
 */
import type pg from 'pg';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { AppContext } from '../context.ts';
import { isConnectionError } from '../errors.ts';
import { dbModel } from '../schema/load.ts';
import { instrumentPool } from './capture.ts';
import { explainStatement, type EmbeddedControl, type ExplainTarget } from './explain.ts';
import {
  buildAdvice, buildVerdict, duplicationByType, foreignKeysFromModel, groupStatements, maxStatementsListed, median,
  relationCosts, round, serverTotals, timeStats, type ForeignKeyColumn, type TableTypes,
} from './report.ts';
import { configuredStrategies, entityStyle, projectBaseDir, tableTypes } from './project-style.ts';
import { demoEntities } from '../../entities/index.ts';
import { withoutJitDumps } from './jit-noise.ts';
import { abortError, queued } from './queue.ts';
import { resolveRequest, type FieldNamer, type PathNode, type ResolvedRequest } from './request.ts';
import { configuredEquivalent, configuredLoad, diffGraphs, expectedLazyRoundTrips, runStrategy, type LoadSpec, type RunOptions, type RunOutcome } from './strategies.ts';
import {
  compareLimits, measureOrder, strategyDescriptions,
  type CompareEvent, type CompareReport, type CompareRequest, type ExplainResult, type GraphDifference, type RunPlan,
  type StrategyName, type StrategyResult, type SweepPoint, type SweepResult,
} from '../../common/lab-types.ts';

export interface CompareOptions {
  /** How fields are named in validation messages (`--limit` on the CLI). */
  fieldNames?: FieldNamer;
  /** One line per phase, for a terminal. */
  onProgress?: (message: string) => void;
  /** Every event of the NDJSON stream (queued, running, strategy, explain, sweep), as it happens. */
  onEvent?: (event: CompareEvent) => void;
  /** Aborting stops the comparison within about a second (waiting, runs, EXPLAINs, sweep). */
  signal?: AbortSignal;
  /**
   * What the EXPLAIN watchdog kills and restarts on the embedded database (default: the
   * target's own process; in the lab worker, a request to the main thread, which owns it).
   */
  embedded?: EmbeddedControl;
}


// ---- Entry points -----------------------------------------------------------------------------

/** Validates a request against the context's entities; throws a UserError for a bad one. */
export async function validateCompare(ctx: AppContext, input: unknown, fieldNames?: FieldNamer): Promise<ResolvedRequest> {
  const orm = await ctx.orm();
  const filters = Object.keys((orm.config.get('filters') as Record<string, unknown> | undefined) ?? {});
  return resolveRequest(orm.getMetadata(), input, fieldNames, { filters });
}

/** Validates and runs a comparison in this thread, after the comparisons ahead of it (queued). */
export async function compare(ctx: AppContext, input: unknown, options: CompareOptions = {}): Promise<CompareReport> {
  const resolved = await validateCompare(ctx, input, options.fieldNames);
  return queued(ctx, options, () => runResolved(ctx, resolved, options));
}

/** Validates and runs a comparison at once, without the queue (the lab worker: its queue is the main thread's). */
export async function compareNow(ctx: AppContext, input: unknown, options: CompareOptions = {}): Promise<CompareReport> {
  return runResolved(ctx, await validateCompare(ctx, input, options.fieldNames), options);
}

async function runResolved(ctx: AppContext, resolved: ResolvedRequest, options: CompareOptions): Promise<CompareReport> {
  // MikroORM's JIT code dumps (console.error) are held back: a failed strategy is reported in one line.
  return (await withoutJitDumps(() => runComparison(ctx, resolved, options))).value;
}

// ---- Shared state of one comparison ------------------------------------------------------------

/** What every phase reads: the request, the ORM, the budget and the running totals. */
interface Lab {
  ctx: AppContext;
  orm: MikroORM;
  pool: pg.Pool;
  spec: LoadSpec;
  request: CompareRequest;
  signal?: AbortSignal;
  embedded?: EmbeddedControl;
  /** performance.now() at which the time budget is spent. */
  deadline: number;
  emit: (event: CompareEvent) => void;
  progress: (message: string) => void;
  totals: { loadsMs: number; statementsMs: number; captureMs: number; explainMs: number; statementsExplained: number };
  /** Set when the time budget ran out: what was left out. */
  stopped?: CompareReport['stopped'];
  /** The measure phase's runs, once it is done. */
  measured?: Map<StrategyName, Measured>;
}

function runOnce(lab: Lab, strategy: StrategyName, opts: RunOptions = {}): Promise<RunOutcome> {
  return runStrategy(lab.orm, lab.spec, strategy, { ...opts, limits: { signal: lab.signal, deadline: lab.deadline } }).then((outcome) => {
    lab.totals.loadsMs += outcome.wallMs;
    lab.totals.captureMs += outcome.captureMs;
    lab.totals.statementsMs += outcome.statements.reduce((sum, s) => sum + s.ms, 0);
    checkOutcome(lab, outcome);
    return outcome;
  });
}

/** Cancel ends the comparison; a lost database ends it as unavailable (503), not as a report of errors. */
function checkOutcome(lab: Lab, outcome: RunOutcome): void {
  if (lab.signal?.aborted || outcome.stoppedBy === 'cancelled') throw abortError(lab.signal);
  if (outcome.error && isConnectionError(outcome.cause)) throw outcome.cause;
  if (outcome.stoppedBy === 'time') {
    lab.stopped ??= { reason: 'time', message: `The comparison stopped at its time budget of ${lab.request.timeBudgetMs!.toLocaleString('en-US')} ms (timeBudgetMs): ${outcome.strategy} was stopped in its run; what came after was not run.` };
  }
}

function outOfTime(lab: Lab, what: string): boolean {
  if (performance.now() <= lab.deadline) return false;
  lab.stopped ??= { reason: 'time', message: `The comparison stopped at its time budget of ${lab.request.timeBudgetMs!.toLocaleString('en-US')} ms (timeBudgetMs): ${what}.` };
  return true;
}

// ---- Phase: measure ----------------------------------------------------------------------------

/** One strategy's runs: the first one (statements and graph) and the measured ones (times). */
interface Measured {
  strategy: StrategyName;
  first: RunOutcome;
  measured: RunOutcome[];
  plan: RunPlan;
  expectedRoundTrips?: number;
  /** True when the time budget ran out before it could run at all. */
  notRun?: boolean;
  /** as-configured, whose runs these are (see RunPlan.sharedWith): nothing of its own is run or repeated. */
  runsOf?: Measured;
}

/** A strategy served by as-configured's runs: the same statements, so the same measurement. */
function sharedMeasurement(owner: Measured, strategy: StrategyName): Measured {
  owner.plan.sharedWith = strategy;
  return { strategy, first: { ...owner.first, strategy }, measured: owner.measured, plan: { ...owner.plan, sharedWith: owner.strategy }, runsOf: owner };
}

const spreadOf = (xs: number[]) => (xs.length < 2 ? 0 : (Math.max(...xs) - Math.min(...xs)) / Math.max(median(xs), 1e-6));

/**
 * The loads (root entity and populate paths) each ORM has already run in a comparison. The
 * warm-up absorbs what only a first load pays (MikroORM compiling its hydrators and queries for
 * these entities, V8 compiling them, the pool's first connections); the lab worker's ORM lives
 * for the whole server, so a load it ran before is warm and its warm-up would only cost time.
 */
const warmLoads = new WeakMap<object, Set<string>>();

/** True the first time this ORM runs this load (its first strategy then gets a warm-up run). */
function firstTimeFor(lab: Lab): boolean {
  const key = `${lab.spec.meta.className}\u0000${[...lab.spec.request.populate].sort().join(',')}`;
  const seen = warmLoads.get(lab.orm) ?? new Set<string>();
  warmLoads.set(lab.orm, seen);
  if (seen.has(key)) return false;
  seen.add(key);
  return true;
}

/**
 * First pass: one run per strategy, which is its measurement. Only the comparison's very first
 * run may be a warm-up (connections, JIT, the ORM's metadata caches): when its ORM has not run
 * this load before (firstTimeFor) and the run took less than coldWarmUpMaxMs; a slower first run
 * is kept as the measurement.
 */
async function measureOnce(lab: Lab, strategy: StrategyName, warmUp: boolean): Promise<Measured> {
  let one = await runOnce(lab, strategy, { snapshot: true });
  let warmed = false;
  if (warmUp && !one.error && !one.capped && one.wallMs < compareLimits.coldWarmUpMaxMs) {
    const graph = one.graph;
    one = await runOnce(lab, strategy, { snapshot: false });
    if (graph && !one.error && !one.capped) one.graph = graph;
    warmed = true;
  }
  const failed = Boolean(one.error || one.capped);
  return { strategy, first: one, measured: [one], plan: { measured: 1, warmUp: warmed, stoppedBecause: failed ? 'failed' : one.wallMs >= compareLimits.slowRunMs ? 'single' : 'repeat' } };
}

/**
 * Second pass (adaptive repeats): the strategies whose runs are fast are run again, round-robin
 * (so that drift hits them alike), until each has `repeat` runs or three runs agreeing within
 * tightSpread, or the refinement budget is spent: a quarter of the first pass's load time (so the
 * whole comparison stays near the floor of running each load once) but at least refineFloorMs,
 * within repeatBudgetMs per strategy and the time budget. A slow strategy (first run >= slowRunMs) keeps its single run.
 */
async function refine(lab: Lab, measured: Map<StrategyName, Measured>, firstPassMs: number): Promise<Set<StrategyName>> {
  const changed = new Set<StrategyName>();
  const budgetMs = Math.max(firstPassMs * compareLimits.refineShare, compareLimits.refineFloorMs);
  const started = performance.now();
  const spent = new Map<StrategyName, number>();
  const open = () => [...measured.values()].filter((m) => {
    if (m.runsOf || m.notRun || m.plan.stoppedBecause === 'failed' || m.plan.stoppedBecause === 'single') return false;
    const times = m.measured.map((x) => x.wallMs);
    if (m.measured.length >= lab.request.repeat) { m.plan.stoppedBecause = 'repeat'; return false; }
    if (m.measured.length >= compareLimits.minRuns && spreadOf(times) <= compareLimits.tightSpread) { m.plan.stoppedBecause = 'spread'; return false; }
    return true;
  });
  for (let candidates = open(); candidates.length; candidates = open()) {
    let ran = false;
    for (const m of candidates) {
      const next = median(m.measured.map((x) => x.wallMs));
      const elapsed = performance.now() - started;
      if (elapsed + next > budgetMs || (spent.get(m.strategy) ?? 0) + next > compareLimits.repeatBudgetMs || performance.now() + next > lab.deadline) {
        m.plan.stoppedBecause = 'budget';
        continue;
      }
      const run = await runOnce(lab, m.strategy, { snapshot: false });
      spent.set(m.strategy, (spent.get(m.strategy) ?? 0) + run.wallMs);
      changed.add(m.strategy);
      ran = true;
      if (run.error || run.capped) {
        m.plan.stoppedBecause = 'failed';
        continue;
      }
      m.measured.push(run);
      m.plan.measured = m.measured.length;
    }
    if (!ran) break;
  }
  for (const m of measured.values()) if (m.plan.stoppedBecause === 'failed' && !m.first.error && !m.first.capped) m.plan.stoppedBecause = 'budget';
  for (const m of measured.values()) {
    if (!m.runsOf) continue;
    m.plan = { ...m.runsOf.plan, sharedWith: m.runsOf.strategy };
    if (changed.has(m.runsOf.strategy)) changed.add(m.strategy);
  }
  return changed;
}

function notRun(strategy: StrategyName, reason: string): Measured {
  const outcome: RunOutcome = { strategy, statements: [], wallMs: 0, captureMs: 0, roots: 0, capped: true, cappedReason: reason, stoppedBy: 'time' };
  return { strategy, first: outcome, measured: [], plan: { measured: 0, warmUp: false, stoppedBecause: 'budget' }, notRun: true };
}

/** Measures every requested strategy, cheap ones first; each is summarised and streamed at once. */
async function measure(lab: Lab, onMeasured: (m: Measured) => void): Promise<Map<StrategyName, Measured>> {
  const out = new Map<StrategyName, Measured>();
  const order = measureOrder.filter((s) => lab.request.strategies.includes(s));
  const sameAsConfigured = lab.request.strategies.includes('as-configured') ? configuredEquivalent(lab.orm, lab.spec) : null;
  for (const [index, strategy] of order.entries()) {
    const owner = strategy === sameAsConfigured ? out.get('as-configured') : undefined;
    if (owner && !owner.notRun && !owner.first.error && !owner.first.capped) {
      const m = sharedMeasurement(owner, strategy);
      out.set(strategy, m);
      onMeasured(m);
      continue;
    }
    if (outOfTime(lab, `${strategy} and the strategies after it were not run`)) {
      const m = notRun(strategy, 'not run: the comparison\'s time budget (timeBudgetMs) was spent before it');
      out.set(strategy, m);
      onMeasured(m);
      continue;
    }
    let expected: { trips: number; basis: string } | undefined;
    if (strategy === 'select') {
      const donor = (['select-in', 'balanced', 'joined', 'as-configured'] as StrategyName[]).map((s) => out.get(s)).find((m) => m?.first.graph);
      if (donor) expected = { trips: expectedLazyRoundTrips(donor.first.graph!, lab.spec.tree), basis: `predicted from ${donor.strategy}'s graph` };
    }
    lab.emit({ type: 'running', strategy, ...(expected ? { expectedRoundTrips: expected.trips, basis: expected.basis } : {}) });
    lab.progress(expected ? `${strategy}: ${expected.trips.toLocaleString('en-US')} round trips expected` : strategy);
    const m = await measureOnce(lab, strategy, index === 0 && firstTimeFor(lab));
    if (expected) m.expectedRoundTrips = expected.trips;
    out.set(strategy, m);
    onMeasured(m);
  }
  return out;
}

// ---- Phase: summarise ------------------------------------------------------------------------

/** One strategy's result from its runs (explain results are filled in by the explain phase). */
function summarise(lab: Lab, tables: TableTypes, m: Measured): { result: StrategyResult; params: unknown[][] } {
  const { request } = lab;
  const { strategy, first, measured: list } = m;
  const { groups, infos, params } = groupStatements(first.statements);
  const error = first.error ?? list.find((x) => x.error)?.error;
  const rows = first.statements.reduce((s, x) => s + x.rows, 0);
  const entitiesByType: Record<string, number> = {};
  for (const key of first.graph?.entities ?? []) {
    const type = key.slice(0, key.indexOf('#'));
    entitiesByType[type] = (entitiesByType[type] ?? 0) + 1;
  }
  const entities = first.graph?.entities.size ?? 0;
  const result: StrategyResult = {
    strategy,
    description: strategyDescriptions[strategy],
    status: error ? 'error' : first.capped ? 'capped' : 'ok',
    roundTrips: first.statements.length,
    wallMs: timeStats(list.filter((x) => !x.error).map((x) => x.wallMs)),
    statementMs: round(median(list.map((x) => x.statements.reduce((s, y) => s + y.ms, 0)))),
    serverMs: null,
    serverMsEstimated: false,
    planningMs: null,
    rows,
    entities,
    entitiesByType,
    duplicationFactor: entities ? round(rows / entities, 2) : 0,
    bytesReceived: first.statements.reduce((s, x) => s + x.bytesReceived, 0),
    bytesSent: first.statements.reduce((s, x) => s + x.bytesSent, 0),
    buffers: null,
    roots: first.roots,
    groups,
    statements: infos.slice(0, maxStatementsListed),
    statementsTruncated: infos.length > maxStatementsListed,
    notes: [],
    runs: m.plan,
  };
  if (error) result.error = error;
  const absent = first.missingPackage ?? list.find((x) => x.missingPackage)?.missingPackage;
  if (error && absent) result.missingPackage = absent;
  const { meta, tree } = lab.spec;
  result.duplication = duplicationByType(first.statements, first.graph, tree, meta.className, tables);
  // The row-explosion measure: the most repeated type's rows per reference (1 = no type repeated).
  const factors = result.duplication.filter((d) => !d.upperBound).map((d) => d.factor).filter((f): f is number => f !== null);
  if (factors.length) result.duplicationFactor = Math.max(...factors);
  result.relations = relationCosts(first.statements, tree, meta.className, tables, strategy === 'select' || strategy === 'dataloader');
  if (first.stoppedBy) result.stoppedBy = first.stoppedBy;
  if (m.expectedRoundTrips !== undefined) result.expectedRoundTrips = m.expectedRoundTrips;
  if (m.notRun) result.notes.push(`Not run: the comparison's time budget (timeBudgetMs, ${request.timeBudgetMs!.toLocaleString('en-US')} ms) was spent before it.`);
  else if (first.capped) result.notes.push(`Stopped at the budget: ${first.cappedReason ?? 'stopped early'}; round trips, rows and times are lower bounds.`);
  return { result, params };
}

/** After the refinement pass: the times and run counts of a strategy that got more runs. */
function updateTimes(result: StrategyResult, m: Measured): void {
  const list = m.measured.filter((x) => !x.error);
  result.wallMs = timeStats(list.map((x) => x.wallMs));
  result.statementMs = round(median(list.map((x) => x.statements.reduce((s, y) => s + y.ms, 0))));
  result.runs = { ...m.plan };
}

function runsNote(request: CompareRequest, plan: RunPlan, list: RunOutcome[]): string {
  const n = `${plan.measured} measured run${plan.measured === 1 ? '' : 's'}${plan.warmUp ? ' after a warm-up run (the comparison\'s first)' : ''}`;
  const typical = Math.round(median(list.map((x) => x.wallMs))).toLocaleString('en-US');
  switch (plan.stoppedBecause) {
    case 'single': return `${n}: one run takes about ${typical} ms (${compareLimits.slowRunMs} ms or more), so that run is the measurement; it is not repeated.`;
    case 'spread': return `${n}: repeating stopped once ${compareLimits.minRuns} runs agreed within ${compareLimits.tightSpread * 100}% (${request.repeat} allowed).`;
    case 'budget': return `${n} of ${request.repeat} allowed: repeats share ${compareLimits.refineShare * 100}% of the first pass's load time (at most ${compareLimits.repeatBudgetMs / 1000} s per strategy), so that a comparison stays close to running each load once.`;
    default: return `${n}.`;
  }
}

// ---- Phase: check graphs -----------------------------------------------------------------------

interface GraphCheck {
  differences: GraphDifference[];
  reference: StrategyName | null;
  mismatched: Set<StrategyName>;
  /** Graphs not compared and why: said once here and repeated the same way by every format. */
  unchecked: { strategy: StrategyName; reason: string }[];
}

/** Correctness: every strategy must hydrate the reference strategy's graph. */
function checkGraphs(strategies: StrategyName[], measured: Map<StrategyName, Measured>): GraphCheck {
  const differences: GraphDifference[] = [];
  const reference = strategies.find((s) => measured.get(s)?.first.graph) ?? null;
  if (reference) {
    const expected = measured.get(reference)!.first.graph!;
    for (const strategy of strategies) {
      const graph = measured.get(strategy)?.first.graph;
      if (strategy === reference || !graph) continue;
      for (const d of diffGraphs(graph, expected)) differences.push({ strategy, reference, path: d.path, message: d.message });
    }
  }
  const unchecked: { strategy: StrategyName; reason: string }[] = [];
  for (const strategy of strategies) {
    const m = measured.get(strategy);
    const run = m?.first;
    if (run?.graph && strategy !== reference) continue;
    if (strategy === reference && run?.graph) {
      if (strategies.filter((s) => measured.get(s)?.first.graph).length < 2) unchecked.push({ strategy, reason: 'the only graph hydrated: nothing to compare it with' });
      continue;
    }
    unchecked.push({
      strategy,
      reason: !run || m?.notRun ? 'it was not run' : run.error ? `it failed: ${run.error.split('\n')[0]}` : run.capped ? `it was capped (${run.cappedReason ?? 'stopped early'}) and hydrated part of the graph` : 'no graph was captured',
    });
  }
  return { differences, reference, mismatched: new Set(differences.map((d) => d.strategy)), unchecked };
}

// ---- Phase: explain ------------------------------------------------------------------------------

/** EXPLAIN each distinct statement once (the same SQL in two strategies shares its plan). */
async function explainAll(lab: Lab, results: StrategyResult[], paramsOf: Map<StrategyResult, unknown[][]>): Promise<void> {
  const { ctx, pool, request } = lab;
  const target: ExplainTarget = { pool, kind: ctx.target.kind, ...(lab.embedded ? { embedded: lab.embedded } : {}) };
  const cache = new Map<string, ExplainResult>();
  const total = results.reduce((n, r) => n + r.groups.length, 0);
  let done = 0;
  for (const result of results) {
    const params = paramsOf.get(result)!;
    for (const [i, group] of result.groups.entries()) {
      done++;
      if (!request.explain) {
        group.explain = { status: 'skipped' };
        continue;
      }
      if (outOfTime(lab, 'statements after that were not explained')) {
        group.explain = { status: 'skipped', error: 'not explained: the comparison\'s time budget (timeBudgetMs) was spent' };
        continue;
      }
      const key = `${group.sql}\u0000${JSON.stringify(params[i] ?? [])}`;
      let explained = cache.get(key);
      if (!explained) {
        lab.progress(`explain ${done}/${total}`);
        const timeoutMs = Math.max(compareLimits.explainTimeoutMs.min, Math.min(request.explainTimeoutMs, lab.deadline - performance.now()));
        explained = await explainStatement(target, group.sql, params[i] ?? [], { timeoutMs, ...(lab.signal ? { signal: lab.signal } : {}) });
        if (lab.signal?.aborted) throw abortError(lab.signal);
        lab.totals.explainMs += explained.tookMs ?? 0;
        lab.totals.statementsExplained++;
        cache.set(key, explained);
      }
      group.explain = explained;
      lab.emit({ type: 'explain', strategy: result.strategy, group: group.id, explain: explained, done, total });
    }
    Object.assign(result, serverTotals(result.groups));
  }
}

// ---- Phase: sweep ----------------------------------------------------------------------------------

/** The same load at several page sizes; fewer repeats, capped lazy runs reported. */
async function sweepAll(lab: Lab, strategies: StrategyName[]): Promise<SweepResult | null> {
  const { request } = lab;
  if (!request.sweep.length) return null;
  const sweepStarted = performance.now();
  const series: SweepResult['series'] = strategies.map((strategy) => ({ strategy, points: [] }));
  // A strategy that shares as-configured's runs shares its sweep points too (the same load).
  const ownerOf = (strategy: StrategyName) => lab.measured?.get(strategy)?.runsOf?.strategy;
  for (const pageSize of request.sweep) {
    for (const line of series) {
      const owner = ownerOf(line.strategy);
      if (owner && strategies.includes(owner)) continue;
      if (outOfTime(lab, 'the rest of the sweep was not run')) break;
      lab.progress(`sweep ${line.strategy} at ${pageSize}`);
      const measured: RunOutcome[] = [];
      for (let r = 0; r < request.sweepRepeat; r++) {
        const out = await runOnce(lab, line.strategy, { limit: pageSize, snapshot: false });
        measured.push(out);
        if (out.error || out.capped) break;
      }
      const first = measured[0]!;
      const point: SweepPoint = {
        pageSize,
        roots: first.roots,
        status: first.error ? 'error' : first.capped ? 'capped' : 'ok',
        roundTrips: first.statements.length,
        wallMs: round(median(measured.map((m) => m.wallMs))),
        statementMs: round(median(measured.map((m) => m.statements.reduce((s, x) => s + x.ms, 0)))),
        rows: first.statements.reduce((s, x) => s + x.rows, 0),
      };
      if (first.error) point.error = first.error;
      if (first.cappedReason) point.error = first.cappedReason;
      line.points.push(point);
      lab.emit({ type: 'sweep', strategy: line.strategy, point });
    }
    for (const line of series) {
      const owner = series.find((o) => o.strategy === ownerOf(line.strategy));
      const point = owner?.points.find((p) => p.pageSize === pageSize);
      if (!point) continue;
      line.points.push({ ...point });
      lab.emit({ type: 'sweep', strategy: line.strategy, point });
    }
  }
  return { pageSizes: request.sweep, repeat: request.sweepRepeat, series, tookMs: round(performance.now() - sweepStarted) };
}

// ---- Phase: notes ----------------------------------------------------------------------------------

function hasInverseOneToOne(spec: LoadSpec, orm: MikroORM): string[] {
  const found: string[] = [];
  const check = (entity: string) => {
    const meta = orm.getMetadata().getByClassName(entity, false);
    meta?.relations.filter((p) => p.kind === '1:1' && !p.owner).forEach((p) => found.push(`${entity}.${p.name}`));
  };
  check(spec.meta.className);
  const walk = (nodes: PathNode[]) => nodes.forEach((n) => { check(n.targetEntity); walk(n.children); });
  walk(spec.tree);
  return [...new Set(found)];
}

/** General notes, and per-strategy notes on what each strategy really did. */
function addNotes(lab: Lab, results: StrategyResult[], graphs: GraphCheck, sweep: SweepResult | null): string[] {
  const { request, spec, orm } = lab;
  const notes: string[] = [];
  if (request.orderByDefaulted) notes.push(`orderBy was not given: ordered by the primary key (${spec.meta.primaryKeys.join(', ')}) so that every strategy pages over the same roots.`);
  notes.push("Every run uses a fresh em.fork() with flushMode 'commit': with the default 'auto', each query first computes change sets over the identity map, so a long lazy loop also pays a cost that grows with every entity already loaded (about 8x slower for 743 lazy loads on the demo).");
  const inverse = hasInverseOneToOne(spec, orm);
  if (inverse.length && orm.config.get('autoJoinOneToOneOwner')) {
    notes.push(`autoJoinOneToOneOwner is on (MikroORM's default): every query for ${inverse.map((p) => p.split('.')[0]).filter((v, i, a) => a.indexOf(v) === i).join(', ')} LEFT JOINs the owning side of ${inverse.join(', ')} for its key, even without populate. The lazy roots query therefore already knows which related rows exist, and 'select' loads only the existing ones (one query each); counts here include that join.`);
  }
  if (request.eager === 'override') notes.push('eager relations were overridden: they load only where populated (others are kept as references).');
  if (request.fields?.length || request.exclude?.length) notes.push('Partial loading (fields / exclude): select and dataloader apply only the root-level fields to their roots query; each lazy load reads whole entities.');
  for (const result of results) {
    const m = lab.measured?.get(result.strategy);
    if (m && !m.notRun && result.status === 'ok') result.notes.unshift(runsNote(request, m.plan, m.measured));
    if (result.strategy === 'select') {
      result.notes.push('MikroORM has no lazy strategy: relscope loads the roots without populate, then awaits one Collection.init() / entity init() per parent and relation, level by level. Already-loaded entities (identity map) need no query.');
      if (result.expectedRoundTrips !== undefined && result.status === 'ok' && result.expectedRoundTrips !== result.roundTrips) {
        result.notes.push(`${result.expectedRoundTrips.toLocaleString('en-US')} round trips were predicted from another strategy's graph before the loop ran; it sent ${result.roundTrips.toLocaleString('en-US')}.`);
      }
    }
    if (result.strategy === 'dataloader') {
      result.notes.push('MikroORM batches Reference.load() and Collection.load()/init() calls made in the same tick ({ dataloader: true }): one query per relation and level. It does not apply to the roots query, to em.find populate, or to loads awaited one by one; its 1:m batch query also joins the inverse side (e.g. the parent) to map children to parents.');
    }
    if (result.strategy === 'as-configured') {
      result.notes.push('em.find with populate only: each relation\'s own strategy option, eager relations and the config\'s default loadStrategy decide, exactly as your code would load it.');
    }
    const shared = m?.plan.sharedWith;
    if (shared && result.status === 'ok') {
      const named = result.strategy === 'as-configured' ? shared : result.strategy;
      result.notes.push(`Measured once with ${shared}: your configuration loads every relation here as '${named}' (config loadStrategy '${orm.config.get('loadStrategy') ?? 'balanced'}', no relation of this request sets another strategy), so as-configured and ${named} send the same statements; the same runs serve both rows.`);
    }
    if (graphs.mismatched.has(result.strategy)) result.notes.push(`Hydrated a different graph than ${graphs.reference}: see correctness.`);
    const skip = graphs.unchecked.find((u) => u.strategy === result.strategy);
    if (skip && result.strategy !== graphs.reference) result.notes.push(`Its graph was not checked${graphs.reference ? ` against ${graphs.reference}` : ''}: ${skip.reason}.`);
  }
  if (sweep?.series.some((s) => s.points.some((p) => p.status === 'capped'))) {
    notes.push('Sweep points marked capped were stopped early (see each point\'s error: a budget of the request, or the dataloader limit); their round trips and times are lower bounds.');
  }
  if (lab.stopped) notes.push(lab.stopped.message);
  return notes;
}

// ---- Foreign keys from the schema model ------------------------------------------------------------

/**
 * Foreign keys and whether an index serves lookups by all their columns, from the cached
 * database model (the rule lint uses: report.ts foreignKeysFromModel, drift.ts indexCovers), and
 * the server version from the model's origin.
 */
async function catalogFromModel(ctx: AppContext): Promise<{ version: string; foreignKeys: ForeignKeyColumn[] }> {
  const model = await dbModel(ctx);
  return { version: model.origin.replace(/^PostgreSQL\s*/i, '').split(' ')[0] || '?', foreignKeys: foreignKeysFromModel(model) };
}

// ---- The comparison --------------------------------------------------------------------------------

async function runComparison(ctx: AppContext, resolved: ResolvedRequest, options: CompareOptions): Promise<CompareReport> {
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const { request, meta, tree } = resolved;
  if (options.signal?.aborted) throw abortError(options.signal);
  const orm = await ctx.orm();
  const pool: pg.Pool = await orm.em.getConnection().getNativeClient();
  instrumentPool(pool);
  const lab: Lab = {
    ctx, orm, pool, request,
    spec: { meta, request, tree },
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.embedded ?? ctx.target.embedded ? { embedded: options.embedded ?? ctx.target.embedded } : {}),
    deadline: started + (request.timeBudgetMs ?? compareLimits.timeBudgetMs.default),
    emit: options.onEvent ?? (() => {}),
    progress: options.onProgress ?? (() => {}),
    totals: { loadsMs: 0, statementsMs: 0, captureMs: 0, explainMs: 0, statementsExplained: 0 },
  };

  // measure + summarise, streamed strategy by strategy
  const tables = tableTypes(orm);
  const summaries = new Map<StrategyName, { result: StrategyResult; params: unknown[][] }>();
  const measured = await measure(lab, (m) => {
    const summary = summarise(lab, tables, m);
    summaries.set(m.strategy, summary);
    lab.emit({ type: 'strategy', strategy: m.strategy, result: summary.result });
  });
  lab.measured = measured;
  const firstPassMs = lab.totals.loadsMs;
  const results = request.strategies.map((s) => summaries.get(s)!.result);
  const paramsOf = new Map(request.strategies.map((s) => [summaries.get(s)!.result, summaries.get(s)!.params]));

  // The schema model (cached; a fingerprint query checks it) is needed only for the advice: read after the
  // strategies are on screen.
  const catalog = await catalogFromModel(ctx);
  const graphs = checkGraphs(request.strategies, measured);
  const selectInResult = results.find((r) => r.strategy === 'select-in' && r.status === 'ok');
  for (const result of results) result.bytesDistinct = selectInResult ? selectInResult.bytesReceived : null;
  await explainAll(lab, results, paramsOf);
  // refine: more runs of the fast strategies, as far as the budget allows; their rows are streamed again.
  for (const strategy of await refine(lab, measured, firstPassMs)) {
    const result = summaries.get(strategy)!.result;
    updateTimes(result, measured.get(strategy)!);
    lab.emit({ type: 'strategy', strategy, result });
  }
  for (const [strategy, m] of measured) summaries.get(strategy)!.result.runs = { ...m.plan };
  const sweep = await sweepAll(lab, request.strategies.filter((s) => !measured.get(s)!.first.error && !measured.get(s)!.notRun));
  const notes = addNotes(lab, results, graphs, sweep);

  const configured = configuredLoad(orm, lab.spec);
  const asConfigured = results.find((r) => r.strategy === 'as-configured');
  const advice = buildAdvice({
    results, tree, rootEntity: meta.className, foreignKeys: catalog.foreignKeys, differences: graphs.differences,
    configured: configuredStrategies(orm, meta, tree), style: entityStyle(meta, projectBaseDir(orm, meta, demoEntities)),
  });
  const verdict = buildVerdict(results, graphs.mismatched);
  const totalMs = performance.now() - started;
  const t = lab.totals;
  const report: CompareReport = {
    version: 1,
    request,
    database: { kind: ctx.target.kind, display: ctx.target.display, serverVersion: catalog.version },
    startedAt,
    strategies: results,
    // Consistent when a reference graph exists and no other differed (never when every strategy failed);
    // a stopped run's graph is listed in `unchecked`, not counted against consistency.
    correctness: {
      consistent: Boolean(graphs.reference) && graphs.differences.length === 0,
      reference: graphs.reference,
      differences: graphs.differences,
      ...(graphs.unchecked.length ? { unchecked: graphs.unchecked } : {}),
    },
    verdict,
    advice,
    sweep,
    notes,
    configuration: { ...configured, roundTrips: asConfigured && asConfigured.status !== 'error' ? asConfigured.roundTrips : null },
    timing: {
      totalMs: round(totalMs),
      loadsMs: round(t.loadsMs),
      statementsMs: round(t.statementsMs),
      explainMs: round(t.explainMs),
      captureMs: round(t.captureMs),
      overheadMs: round(totalMs - t.loadsMs - t.explainMs + t.captureMs),
      statementsExplained: t.statementsExplained,
    },
  };
  if (lab.stopped) report.stopped = lab.stopped;
  return report;
}
