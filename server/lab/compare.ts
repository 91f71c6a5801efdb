/**
 * A comparison end to end: validate (nothing runs for an invalid request) → run the load
 * once per strategy as a warm-up, then `repeat` times round-robin, each on a fresh fork with
 * its statements captured → check that every strategy hydrated the same graph → EXPLAIN
 * each distinct statement once → optional scaling sweep → one CompareReport.
 *
 * On the embedded database comparisons run one at a time: PGlite serialises every statement
 * anyway (two at once would only distort each other's timings), and the EXPLAIN watchdog may
 * restart it, which would break a concurrent comparison's loads. On a real server they run
 * concurrently; the capture sessions keep their statements apart.
 */
import type pg from 'pg';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { AppContext } from '../context.ts';
import { instrumentPool, uncaptured } from './capture.ts';
import { explainStatement, type ExplainTarget } from './explain.ts';
import {
  buildAdvice, buildVerdict, duplicationByType, foreignKeysFromModel, groupStatements, maxStatementsListed, median,
  relationCosts, round, serverTotals, timeStats, type ForeignKeyColumn,
} from './report.ts';
import { configuredStrategies, entityStyle, projectBaseDir, tableTypes } from './project-style.ts';
import { demoEntities } from '../../entities/index.ts';
import { dbModel } from '../schema/load.ts';
import { withoutJitDumps } from './jit-noise.ts';
import { resolveRequest, type FieldNamer, type PathNode, type ResolvedRequest } from './request.ts';
import { diffGraphs, runStrategy, type LoadSpec, type RunOutcome } from './strategies.ts';
import {
  compareLimits, strategyDescriptions, type CompareReport, type ExplainResult, type GraphDifference, type StrategyName,
  type StrategyResult, type SweepPoint, type SweepResult,
} from '../../common/lab-types.ts';

export interface CompareOptions {
  /** How fields are named in validation messages (`--limit` on the CLI). */
  fieldNames?: FieldNamer;
  /** One line per phase, for a terminal. */
  onProgress?: (message: string) => void;
}

const locks = new WeakMap<object, Promise<unknown>>();

/** Runs `work` after every earlier comparison on the same embedded database has finished. */
async function serialised<T>(ctx: AppContext, work: () => Promise<T>): Promise<T> {
  const key = ctx.target.embedded;
  if (!key) return work();
  const previous = locks.get(key) ?? Promise.resolve();
  const mine = previous.catch(() => {}).then(work);
  locks.set(key, mine);
  return mine;
}

/** Validates a request against the context's entities; throws a UserError for a bad one. */
export async function validateCompare(ctx: AppContext, input: unknown, fieldNames?: FieldNamer): Promise<ResolvedRequest> {
  const orm = await ctx.orm();
  return resolveRequest(orm.getMetadata(), input, fieldNames);
}

/** Validates and runs a comparison. */
export async function compare(ctx: AppContext, input: unknown, options: CompareOptions = {}): Promise<CompareReport> {
  const resolved = await validateCompare(ctx, input, options.fieldNames);
  // MikroORM's JIT code dumps (console.error) are held back: a failed strategy is reported in one line.
  return serialised(ctx, async () => (await withoutJitDumps(() => runComparison(ctx, resolved, options))).value);
}

async function nativePool(orm: MikroORM): Promise<pg.Pool> {
  return orm.em.getConnection().getNativeClient();
}

async function serverVersion(pool: pg.Pool): Promise<string> {
  return uncaptured(async () => {
    const { rows } = await pool.query<{ server_version: string }>('show server_version');
    return (rows[0]?.server_version ?? '?').split(' ')[0]!;
  });
}

/** Foreign keys and their covering indexes from the cached schema model (the rule lint uses). */
async function catalog(ctx: AppContext, pool: pg.Pool): Promise<{ version: string; foreignKeys: ForeignKeyColumn[] }> {
  const [version, model] = await Promise.all([serverVersion(pool), uncaptured(() => dbModel(ctx))]);
  return { version, foreignKeys: foreignKeysFromModel(model) };
}

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

async function runComparison(ctx: AppContext, resolved: ResolvedRequest, options: CompareOptions): Promise<CompareReport> {
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const { request, meta, tree } = resolved;
  const progress = options.onProgress ?? (() => {});
  const orm = await ctx.orm();
  const pool = await nativePool(orm);
  instrumentPool(pool);
  const { version, foreignKeys } = await catalog(ctx, pool);
  const tables = tableTypes(orm);
  const spec: LoadSpec = { meta, request, tree };

  let loadsMs = 0;
  let statementsMs = 0;
  let captureMs = 0;
  const runOnce = async (strategy: StrategyName, opts: { limit?: number; snapshot?: boolean } = {}): Promise<RunOutcome> => {
    const outcome = await runStrategy(orm, spec, strategy, opts);
    loadsMs += outcome.wallMs;
    captureMs += outcome.captureMs;
    statementsMs += outcome.statements.reduce((sum, s) => sum + s.ms, 0);
    return outcome;
  };

  // Warm-up, then measured runs round-robin so that drift hits every strategy alike.
  // A slow strategy gets fewer measured runs (at least one) so that a comparison stays responsive.
  const failed = new Map<StrategyName, RunOutcome>();
  const wanted = new Map<StrategyName, number>();
  for (const strategy of request.strategies) {
    progress(`warm-up ${strategy}`);
    const warm = await runOnce(strategy, { snapshot: false });
    if (warm.error) failed.set(strategy, warm);
    const affordable = Math.max(1, Math.floor(compareLimits.repeatBudgetMs / Math.max(warm.wallMs, 1)));
    wanted.set(strategy, Math.min(request.repeat, affordable));
  }
  const runs = new Map<StrategyName, RunOutcome[]>(request.strategies.map((s) => [s, []]));
  for (let r = 0; r < request.repeat; r++) {
    progress(`run ${r + 1}/${request.repeat}`);
    for (const strategy of request.strategies) {
      if (failed.has(strategy) || r >= wanted.get(strategy)!) continue;
      runs.get(strategy)!.push(await runOnce(strategy, { snapshot: r === 0 }));
    }
  }

  // Per-strategy results from the first measured run (statements) and all runs (times).
  const results: StrategyResult[] = [];
  const paramsByResult = new Map<StrategyResult, unknown[][]>();
  const firstRuns = new Map<StrategyName, RunOutcome>();
  for (const strategy of request.strategies) {
    const list = runs.get(strategy)!;
    const first = list[0] ?? failed.get(strategy)!;
    firstRuns.set(strategy, first);
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
    };
    if (error) result.error = error;
    result.runs = result.wallMs.runs.length;
    result.duplication = duplicationByType(first.statements, first.graph, tree, meta.className, tables);
    // The row-explosion measure: the most repeated type's rows per reference (1 = no type repeated).
    const factors = result.duplication.filter((d) => !d.upperBound).map((d) => d.factor).filter((f): f is number => f !== null);
    if (factors.length) result.duplicationFactor = Math.max(...factors);
    result.relations = relationCosts(first.statements, tree, meta.className, tables, strategy === 'select' || strategy === 'dataloader');
    if (first.capped) result.notes.push(`Capped: ${first.cappedReason ?? 'stopped early'}; round trips, rows and times are lower bounds.`);
    if (!error && list.length < request.repeat) {
      result.notes.push(`Measured ${list.length} time${list.length === 1 ? '' : 's'} instead of ${request.repeat}: one run takes about ${Math.round(median(list.map((x) => x.wallMs))).toLocaleString('en-US')} ms, and a strategy's measured runs are kept to about ${compareLimits.repeatBudgetMs / 1000} s (repeatBudgetMs).`);
    }
    results.push(result);
    paramsByResult.set(result, params);
  }

  // Correctness: every strategy must hydrate the reference strategy's graph.
  const differences: GraphDifference[] = [];
  const reference = request.strategies.find((s) => firstRuns.get(s)?.graph);
  if (reference) {
    const expected = firstRuns.get(reference)!.graph!;
    for (const strategy of request.strategies) {
      const graph = firstRuns.get(strategy)?.graph;
      if (strategy === reference || !graph) continue;
      for (const d of diffGraphs(graph, expected)) differences.push({ strategy, reference, path: d.path, message: d.message });
    }
  }
  const mismatched = new Set(differences.map((d) => d.strategy));
  // Which graphs were not compared, said once here and repeated the same way by every format.
  const unchecked: { strategy: StrategyName; reason: string }[] = [];
  for (const strategy of request.strategies) {
    const run = firstRuns.get(strategy)!;
    if (run.graph && strategy !== reference) continue;
    if (strategy === reference && run.graph) {
      if (request.strategies.filter((s) => firstRuns.get(s)?.graph).length < 2) unchecked.push({ strategy, reason: 'the only graph hydrated: nothing to compare it with' });
      continue;
    }
    unchecked.push({ strategy, reason: run.error ? `it failed: ${run.error.split('\n')[0]}` : run.capped ? `it was capped (${run.cappedReason ?? 'stopped early'}) and hydrated part of the graph` : 'no graph was captured' });
  }
  const selectInResult = results.find((r) => r.strategy === 'select-in' && r.status === 'ok');
  for (const result of results) result.bytesDistinct = selectInResult ? selectInResult.bytesReceived : null;

  // EXPLAIN each distinct statement once (the same SQL in two strategies shares its plan).
  let explainMs = 0;
  let statementsExplained = 0;
  const target: ExplainTarget = { pool, kind: ctx.target.kind, ...(ctx.target.embedded ? { embedded: ctx.target.embedded } : {}) };
  const cache = new Map<string, ExplainResult>();
  const total = results.reduce((n, r) => n + r.groups.length, 0);
  let done = 0;
  for (const result of results) {
    const params = paramsByResult.get(result)!;
    for (const [i, group] of result.groups.entries()) {
      done++;
      if (!request.explain) {
        group.explain = { status: 'skipped' };
        continue;
      }
      const key = `${group.sql}\u0000${JSON.stringify(params[i] ?? [])}`;
      let explained = cache.get(key);
      if (!explained) {
        progress(`explain ${done}/${total}`);
        explained = await explainStatement(target, group.sql, params[i] ?? [], { timeoutMs: request.explainTimeoutMs });
        explainMs += explained.tookMs ?? 0;
        statementsExplained++;
        cache.set(key, explained);
      }
      group.explain = explained;
    }
    Object.assign(result, serverTotals(result.groups));
  }

  // Notes on what each strategy really did.
  const notes: string[] = [];
  if (request.orderByDefaulted) notes.push(`orderBy was not given: ordered by the primary key (${meta.primaryKeys.join(', ')}) so that every strategy pages over the same roots.`);
  notes.push("Every run uses a fresh em.fork() with flushMode 'commit': with the default 'auto', each query first computes change sets over the identity map, so a long lazy loop also pays a cost that grows with every entity already loaded (about 8x slower for 743 lazy loads on the demo).");
  const inverse = hasInverseOneToOne(spec, orm);
  if (inverse.length && orm.config.get('autoJoinOneToOneOwner')) {
    notes.push(`autoJoinOneToOneOwner is on (MikroORM's default): every query for ${inverse.map((p) => p.split('.')[0]).filter((v, i, a) => a.indexOf(v) === i).join(', ')} LEFT JOINs the owning side of ${inverse.join(', ')} for its key, even without populate. The lazy roots query therefore already knows which related rows exist, and 'select' loads only the existing ones (one query each); counts here include that join.`);
  }
  for (const result of results) {
    if (result.strategy === 'select') result.notes.push('MikroORM has no lazy strategy: relscope loads the roots without populate, then awaits one Collection.init() / entity init() per parent and relation, level by level. Already-loaded entities (identity map) need no query.');
    if (result.strategy === 'dataloader') {
      result.notes.push('MikroORM batches Reference.load() and Collection.load()/init() calls made in the same tick ({ dataloader: true }): one query per relation and level. It does not apply to the roots query, to em.find populate, or to loads awaited one by one; its 1:m batch query also joins the inverse side (e.g. the parent) to map children to parents.');
    }
    if (mismatched.has(result.strategy)) result.notes.push(`Hydrated a different graph than ${reference}: see correctness.`);
    const skip = unchecked.find((u) => u.strategy === result.strategy);
    if (skip && result.strategy !== reference) result.notes.push(`Its graph was not checked${reference ? ` against ${reference}` : ''}: ${skip.reason}.`);
  }

  // Scaling sweep: same load at several page sizes; fewer repeats, capped lazy runs reported.
  let sweep: SweepResult | null = null;
  if (request.sweep.length) {
    const sweepStarted = performance.now();
    const series: SweepResult['series'] = request.strategies.filter((s) => !failed.has(s)).map((strategy) => ({ strategy, points: [] }));
    for (const pageSize of request.sweep) {
      for (const line of series) {
        progress(`sweep ${line.strategy} at ${pageSize}`);
        const measured: RunOutcome[] = [];
        for (let r = 0; r < request.sweepRepeat; r++) {
          const out = await runOnce(line.strategy, { limit: pageSize, snapshot: false });
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
      }
    }
    sweep = { pageSizes: request.sweep, repeat: request.sweepRepeat, series, tookMs: round(performance.now() - sweepStarted) };
    if (series.some((s) => s.points.some((p) => p.status === 'capped'))) {
      notes.push('Sweep points marked capped were stopped early (see each point\'s error: maxStatementsPerRun, or the dataloader limit); their round trips and times are lower bounds.');
    }
  }

  const advice = buildAdvice({
    results, tree, rootEntity: meta.className, foreignKeys, differences,
    configured: configuredStrategies(orm, meta, tree), style: entityStyle(meta, projectBaseDir(orm, meta, demoEntities)),
  });
  const verdict = buildVerdict(results, mismatched);
  const totalMs = performance.now() - started;
  return {
    version: 1,
    request,
    database: { kind: ctx.target.kind, display: ctx.target.display, serverVersion: version },
    startedAt,
    strategies: results,
    // Consistent when a reference graph exists and no other differed (never when every strategy failed).
    correctness: {
      // (A capped run's graph is listed in `unchecked`, not counted against consistency.)
      consistent: Boolean(reference) && differences.length === 0,
      reference: reference ?? null,
      differences,
      ...(unchecked.length ? { unchecked } : {}),
    },
    verdict,
    advice,
    sweep,
    notes,
    timing: {
      totalMs: round(totalMs),
      loadsMs: round(loadsMs),
      statementsMs: round(statementsMs),
      explainMs: round(explainMs),
      captureMs: round(captureMs),
      overheadMs: round(totalMs - loadsMs - explainMs + captureMs),
      statementsExplained,
    },
  };
}

