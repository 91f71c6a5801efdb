/**
 * One load of a comparison under one strategy, on a fresh EntityManager fork (so the
 * identity map hides nothing), with every statement captured; and a canonical snapshot of
 * the object graph it hydrated, so that strategies can be checked against each other.
 *
 * - select-in / joined / balanced: `em.find(entity, where, { populate, strategy })`.
 * - select: the lazy pattern MikroORM has no strategy for, built by hand: the roots without
 *   populate, then, level by level, one Collection.init() / entity init() per parent and
 *   relation, awaited one after the other (the N+1 loop).
 * - dataloader: the same loop, but each level's loads are started together with
 *   `{ dataloader: true }`, which MikroORM batches into one query per relation and level.
 *
 * Note on `autoJoinOneToOneOwner` (on by default): every query for an entity with an inverse
 * 1:1 side (User.profile) LEFT JOINs the owner table for its key, without any populate. So the
 * lazy roots query already knows which users have a profile; `select` then loads only the
 * existing profiles, one query each (users without one need none).
 */
// The entities, Collections and References a load hydrates come from the project's copy of
// @mikro-orm/core, which need not be relscope's (see server/project/orm-module.ts). So nothing
// here tests class identity: Collection.isCollection / Reference.isReference read markers
// MikroORM registers with Symbol.for (shared by every copy, 7.2.1 on), helper() reads the
// entity's own `__helper`, and loads go through the project's objects' own methods.
import { Collection, Reference, helper, type EntityManager, type EntityMetadata, type MikroORM } from '@mikro-orm/core';
import { budgetError, capture, type CapturedStatement, type CaptureSession, type RunLimits } from './capture.ts';
import { levels, type PathNode } from './request.ts';
import { compareLimits, type CompareRequest, type StopReason, type StrategyName } from '../../common/lab-types.ts';

export interface LoadSpec {
  meta: EntityMetadata;
  request: Pick<CompareRequest, 'where' | 'orderBy' | 'limit' | 'offset' | 'populate' | 'maxStatementsPerRun'
    | 'maxRowsPerRun' | 'populateWhere' | 'populateOrderBy' | 'fields' | 'exclude' | 'filters' | 'eager'>;
  tree: PathNode[];
}

/** The graph a run hydrated, in a form that compares across strategies. */
export interface GraphSnapshot {
  /** Root keys in result order. */
  roots: string[];
  /** Per populate path: parent key -> sorted child keys. */
  edges: Map<string, Map<string, string[]>>;
  /** Distinct entities, roots included, keyed "Entity#pk". */
  entities: Set<string>;
}

export interface RunOutcome {
  strategy: StrategyName;
  statements: CapturedStatement[];
  /** End-to-end time of the load (statements and hydration). */
  wallMs: number;
  /** Part of wallMs spent in relscope's capture wrapper. */
  captureMs: number;
  roots: number;
  graph?: GraphSnapshot;
  capped: boolean;
  /** Why a capped run stopped. */
  cappedReason?: string;
  stoppedBy?: StopReason;
  error?: string;
  /** The error itself (a lost connection answers 503, not a report full of errors). */
  cause?: unknown;
  /** The load failed only because the project lacks this optional package (see missingPackage). */
  missingPackage?: string;
}

/** Raised inside the lazy loop when a run must stop early; the message says why. */
class RunCapped extends Error {
  constructor(message: string, readonly reason: StopReason) {
    super(message);
  }
}

type AnyEntity = Record<string, unknown>;

function keyOf(entity: object): string {
  const wrapped = helper(entity);
  return `${wrapped.__meta.className}#${wrapped.getSerializedPrimaryKey()}`;
}

/** The request's loading options (item 7 of issue 12) as MikroORM find options. */
function loadingOptions(spec: LoadSpec, lazy: boolean): Record<string, unknown> {
  const r = spec.request;
  const out: Record<string, unknown> = {};
  if (r.filters) out.filters = r.filters;
  if (lazy) {
    // The lazy loop loads each relation itself: only the root-level fields apply to the roots query.
    const rootOnly = (list?: string[]) => list?.filter((f) => !f.includes('.'));
    if (r.fields?.length) out.fields = rootOnly(r.fields);
    if (r.exclude?.length) out.exclude = rootOnly(r.exclude);
    if (r.eager === 'override') out.populate = false;
    return out;
  }
  if (r.populateWhere !== undefined) out.populateWhere = r.populateWhere;
  if (r.populateOrderBy) out.populateOrderBy = r.populateOrderBy;
  if (r.fields?.length) out.fields = r.fields;
  if (r.exclude?.length) out.exclude = r.exclude;
  return out;
}

function findOptions(spec: LoadSpec, extra: Record<string, unknown>, lazy = false): Record<string, unknown> {
  const { orderBy, limit, offset } = spec.request;
  return { orderBy, limit, offset, ...loadingOptions(spec, lazy), ...extra };
}

/**
 * populate entries that keep eager relations (`eager: true`) from being loaded when the
 * request overrides them: MikroORM skips an eager relation populated as `name:ref` (only its
 * reference, which a to-one has from its FK anyway).
 */
export function eagerOverrides(meta: EntityMetadata, tree: PathNode[]): string[] {
  const out: string[] = [];
  const visit = (m: EntityMetadata, prefix: string, nodes: PathNode[], depth: number) => {
    if (depth > 5) return;
    for (const prop of m.relations) {
      const node = nodes.find((n) => n.prop === prop.name);
      if (node) visit(prop.targetMeta!, `${prefix}${prop.name}.`, node.children, depth + 1);
      else if (prop.eager) out.push(`${prefix}${prop.name}:ref`);
    }
  };
  visit(meta, '', tree, 0);
  return out;
}

/**
 * The ORM's find. Entity, where and populate come from a request validated against the
 * metadata, so they are typed loosely here; MikroORM's generics cannot follow a runtime path.
 */
async function find(em: EntityManager, spec: LoadSpec, options: Record<string, unknown>): Promise<AnyEntity[]> {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- runtime entity and options (validated), see above
  return (await em.find(spec.meta.class as any, spec.request.where as any, options as any)) as AnyEntity[];
}

function allPaths(tree: PathNode[]): string[] {
  return tree.flatMap((node) => [node.path, ...allPaths(node.children)]);
}

/** The related entities of `parent` through `prop`, loaded if needed (one query, or one dataloader call). */
async function loadRelation(parent: AnyEntity, node: PathNode, dataloader: boolean, init: Record<string, unknown> = {}): Promise<AnyEntity[]> {
  const value = parent[node.prop];
  if (value === null || value === undefined) return [];
  if (node.toMany) {
    const collection = value as Collection<object>;
    // Explicit both ways: a project may enable the dataloader globally (`dataloader: true` in its config).
    if (!collection.isInitialized()) await collection.init({ ...init, dataloader });
    return collection.getItems() as AnyEntity[];
  }
  const target = Reference.unwrapReference(value as object) as AnyEntity;
  if (!helper(target).__initialized) {
    // The entity's own toReference(): a Reference of the project's copy (Reference.create
    // would only delegate to it, through relscope's copy).
    if (dataloader) await helper(target).toReference().load({ dataloader: true });
    else await helper(target).init(); // never batched
  }
  return [target];
}

/** The lazy loop, level by level; `dataloader` starts each level's loads together. */
/** A relation's own condition and order in the lazy loop, from populateWhere / populateOrderBy keyed by path. */
function initOptions(spec: LoadSpec, node: PathNode): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const pick = (obj: unknown): unknown => node.path.split('.').reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), obj);
  const where = typeof spec.request.populateWhere === 'object' ? pick(spec.request.populateWhere) : undefined;
  if (where && typeof where === 'object' && !Array.isArray(where)) out.where = where;
  const orderBy = pick(spec.request.populateOrderBy);
  if (orderBy && typeof orderBy === 'object') out.orderBy = orderBy;
  if (spec.request.filters) out.filters = spec.request.filters;
  return out;
}

/** Each node's parent in the populate tree (null for a top-level path). */
function parentsOf(tree: PathNode[]): Map<PathNode, PathNode | null> {
  const parentOf = new Map<PathNode, PathNode | null>();
  const mark = (nodes: PathNode[], parent: PathNode | null) => nodes.forEach((n) => { parentOf.set(n, parent); mark(n.children, n); });
  mark(tree, null);
  return parentOf;
}

async function lazyLoad(spec: LoadSpec, roots: AnyEntity[], tree: PathNode[], dataloader: boolean, session: CaptureSession, budget: number): Promise<void> {
  const reached = new Map<PathNode | null, AnyEntity[]>([[null, roots]]);
  const parentOf = parentsOf(tree);
  for (const level of levels(tree)) {
    for (const node of level) {
      const parents = reached.get(parentOf.get(node) ?? null) ?? [];
      session.path = node.path;
      const children = new Set<AnyEntity>();
      if (dataloader) {
        if (session.statements.length >= budget) throw new RunCapped(`stopped after ${budget.toLocaleString('en-US')} statements (maxStatementsPerRun)`, 'statements');
        if (node.toMany && parents.length > compareLimits.dataloaderMaxParents) {
          throw new RunCapped(`stopped before loading ${node.path} for ${parents.length.toLocaleString('en-US')} parents: MikroORM's collection dataloader maps each collection by filtering the whole batch result, O(parents × children), so beyond ${compareLimits.dataloaderMaxParents.toLocaleString('en-US')} parents per level it can take minutes`, 'dataloader');
        }
        const results = await Promise.all(parents.map((p) => loadRelation(p, node, true, initOptions(spec, node))));
        results.flat().forEach((c) => children.add(c));
      } else {
        for (const parent of parents) {
          if (session.statements.length >= budget) throw new RunCapped(`stopped after ${budget.toLocaleString('en-US')} statements (maxStatementsPerRun)`, 'statements');
          for (const child of await loadRelation(parent, node, false, initOptions(spec, node))) children.add(child);
        }
      }
      reached.set(node, [...children]);
    }
  }
}

/** Walks the populated tree of a finished run; touches only initialized relations. */
export function snapshotGraph(roots: AnyEntity[], tree: PathNode[]): GraphSnapshot {
  const snapshot: GraphSnapshot = { roots: roots.map(keyOf), edges: new Map(), entities: new Set(roots.map(keyOf)) };
  const visit = (parents: AnyEntity[], nodes: PathNode[]) => {
    for (const node of nodes) {
      const edges = snapshot.edges.get(node.path) ?? new Map<string, string[]>();
      snapshot.edges.set(node.path, edges);
      const next = new Map<string, AnyEntity>();
      for (const parent of parents) {
        const parentKey = keyOf(parent);
        if (edges.has(parentKey)) continue;
        const value = parent[node.prop];
        let children: AnyEntity[] = [];
        // Not instanceof: a project with its own copy of @mikro-orm/core (relscope run from a
        // checkout or npx) hydrates its own Collection class; isCollection checks a shared symbol.
        if (Collection.isCollection(value)) {
          children = value.isInitialized() ? (value.getItems() as AnyEntity[]) : [];
        } else if (value) {
          const target = Reference.unwrapReference(value as object) as AnyEntity;
          children = helper(target).__initialized ? [target] : [];
        }
        const keys = children.map(keyOf).sort();
        edges.set(parentKey, keys);
        for (const child of children) {
          const key = keyOf(child);
          snapshot.entities.add(key);
          next.set(key, child);
        }
      }
      visit([...next.values()], node.children);
    }
  };
  visit(roots, tree);
  return snapshot;
}

/**
 * A failed load's error for the report. MikroORM's "X is not found, make sure `pkg` package is
 * installed in your project's dependencies." (the dataloader strategy in a project without the
 * optional `dataloader` package: the project's MikroORM imports it from the project's folder)
 * is restated as what it is, a package the project lacks, with the fix; others are kept as
 * thrown, without a final period (the report's sentences add their own).
 */
export function loadErrorLine(error: unknown): string {
  const pkg = missingPackage(error);
  if (pkg) return `\`${pkg}\` is not installed in the project (its MikroORM needs it for this strategy; the others do not): run npm install ${pkg} in the project to compare it`;
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/\.+$/, '');
}

/** The optional package MikroORM could not import for this load (`dataloader`), if that is why it failed. */
export function missingPackage(error: unknown): string | undefined {
  const message = error instanceof Error ? error.message : String(error);
  return /is not found, make sure `([^`]+)` package is installed in your project's dependencies/.exec(message)?.[1];
}

/** Runs the load once under `strategy` on a fresh fork and captures what it sent. */
export interface RunOptions {
  /** Page size instead of the request's limit (the sweep). */
  limit?: number;
  /** False: no graph snapshot (warm-up and sweep runs). */
  snapshot?: boolean;
  /** Cancel and the time budget; statement and row budgets come from the request. */
  limits?: Pick<RunLimits, 'signal' | 'deadline'>;
}

export async function runStrategy(orm: MikroORM, spec: LoadSpec, strategy: StrategyName, options: RunOptions = {}): Promise<RunOutcome> {
  // flushMode 'commit': with MikroORM's default 'auto', every query first computes change sets over the
  // whole identity map, which makes a lazy loop quadratic (743 lazy loads: 10 s instead of 1.2 s).
  // Nothing is ever flushed here, so that work would only measure the unit of work, not the strategy.
  const em = orm.em.fork({ clear: true, useContext: false, flushMode: 'commit' });
  const request = options.limit === undefined ? spec : { ...spec, request: { ...spec.request, limit: options.limit } };
  const lazy = strategy === 'select' || strategy === 'dataloader';
  // Only the lazy loop knows which relation a statement loads ('' = the roots query).
  const budget = spec.request.maxStatementsPerRun;
  const limits: RunLimits = { ...options.limits, maxStatements: budget };
  if (spec.request.maxRowsPerRun) limits.maxRows = spec.request.maxRowsPerRun;
  const session: CaptureSession = lazy ? { statements: [], path: '', limits } : { statements: [], limits };
  let roots: AnyEntity[] = [];
  let capped = false;
  let cappedReason: string | undefined;
  let stoppedBy: StopReason | undefined;
  let error: string | undefined;
  let cause: unknown;
  let absentPackage: string | undefined;
  const populate = [...spec.request.populate, ...(spec.request.eager === 'override' ? eagerOverrides(spec.meta, spec.tree) : [])];
  const started = performance.now();
  await capture(async () => {
    try {
      if (lazy) {
        roots = await find(em, request, findOptions(request, {}, true));
        await lazyLoad(request, roots, spec.tree, strategy === 'dataloader', session, budget);
      } else if (strategy === 'as-configured') {
        // Exactly what the user's code would run: populate only; each relation's own strategy,
        // eager relations and the config's default loadStrategy decide.
        roots = await find(em, request, findOptions(request, { populate }));
      } else {
        // A relation's own `strategy` option outranks the query's; a populate hint outranks both.
        const populateHints = Object.fromEntries(allPaths(spec.tree).map((path) => [path, { strategy }]));
        roots = await find(em, request, findOptions(request, { populate, strategy, populateHints }));
      }
    } catch (e) {
      const stopped = budgetError(e) ?? session.stopped;
      if (e instanceof RunCapped) {
        capped = true;
        cappedReason = e.message;
        stoppedBy = e.reason;
      } else if (stopped) {
        capped = true;
        cappedReason = stopped.message;
        stoppedBy = stopped.reason;
      } else {
        error = loadErrorLine(e);
        cause = e;
        absentPackage = missingPackage(e);
      }
    }
  }, session);
  const wallMs = performance.now() - started;
  const outcome: RunOutcome = { strategy, statements: session.statements, wallMs, captureMs: session.overheadMs ?? 0, roots: roots.length, capped };
  if (error) {
    outcome.error = error;
    outcome.cause = cause;
    if (absentPackage) outcome.missingPackage = absentPackage;
  }
  if (cappedReason) outcome.cappedReason = cappedReason;
  if (stoppedBy) outcome.stoppedBy = stoppedBy;
  if (!error && !capped && options.snapshot !== false) outcome.graph = snapshotGraph(roots, spec.tree);
  em.clear();
  return outcome;
}

export interface GraphDiff {
  path: string;
  message: string;
}

/** Differences between two snapshots, at most `max` of them, most telling first. */
export function diffGraphs(actual: GraphSnapshot, expected: GraphSnapshot, max = 5): GraphDiff[] {
  const diffs: GraphDiff[] = [];
  if (actual.roots.join(',') !== expected.roots.join(',')) {
    const missing = expected.roots.filter((k) => !actual.roots.includes(k));
    const extra = actual.roots.filter((k) => !expected.roots.includes(k));
    diffs.push({
      path: '',
      message: missing.length || extra.length
        ? `roots differ: ${actual.roots.length} vs ${expected.roots.length}${missing.length ? `, missing ${missing.slice(0, 5).join(' ')}` : ''}${extra.length ? `, extra ${extra.slice(0, 5).join(' ')}` : ''}`
        : 'roots in a different order',
    });
  }
  for (const [path, edges] of expected.edges) {
    const mine = actual.edges.get(path) ?? new Map<string, string[]>();
    for (const [parent, children] of edges) {
      const got = mine.get(parent);
      if (got === undefined) {
        if (children.length) diffs.push({ path, message: `${parent}.${path.split('.').pop()} not loaded (expected ${children.length})` });
      } else if (got.join(',') !== children.join(',')) {
        const missing = children.filter((k) => !got.includes(k));
        const extra = got.filter((k) => !children.includes(k));
        diffs.push({ path, message: `${parent}.${path.split('.').pop()}: ${got.length} vs ${children.length}${missing.length ? `, missing ${missing.slice(0, 3).join(' ')}` : ''}${extra.length ? `, extra ${extra.slice(0, 3).join(' ')}` : ''}` });
      }
      if (diffs.length >= max) return diffs;
    }
  }
  return diffs;
}

/**
 * The round trips the lazy `select` loop will send, known from another strategy's graph
 * before the loop runs: the roots query, then per relation and level one query per parent
 * for a collection, and one per distinct not-yet-loaded target for a to-one (loaded entities
 * are in the identity map; a null reference needs none). Exact for the same graph and
 * identity-map rules lazyLoad follows.
 */
export function expectedLazyRoundTrips(graph: GraphSnapshot, tree: PathNode[]): number {
  let trips = 1;
  const loaded = new Set(graph.roots);
  const reached = new Map<PathNode | null, string[]>([[null, [...new Set(graph.roots)]]]);
  const parentOf = parentsOf(tree);
  for (const level of levels(tree)) {
    for (const node of level) {
      const parents = reached.get(parentOf.get(node) ?? null) ?? [];
      const edges = graph.edges.get(node.path) ?? new Map<string, string[]>();
      const children = new Set<string>();
      for (const parent of parents) {
        const keys = edges.get(parent) ?? [];
        if (node.toMany) trips++;
        else for (const key of keys) if (!loaded.has(key)) trips++;
        for (const key of keys) { children.add(key); loaded.add(key); }
      }
      reached.set(node, [...children]);
    }
  }
  return trips;
}

/**
 * The named strategy that sends exactly what as-configured sends, or null. That is provable when
 * the config's default loadStrategy is one of the named ones and no relation of the tree sets a
 * different `strategy` of its own: the named run passes that strategy (as query option and as a
 * populate hint per path), which is what MikroORM would pick anyway; eager relations outside the
 * tree resolve the same way in both (their own strategy, else the same default). The lab then
 * runs that load once for both rows (test/lab-as-configured-shared.test.ts checks the statements
 * match on both databases).
 */
export function configuredEquivalent(orm: MikroORM, spec: LoadSpec): StrategyName | null {
  const { defaultStrategy, relations } = configuredLoad(orm, spec);
  const named: readonly string[] = ['select-in', 'joined', 'balanced'];
  if (!named.includes(defaultStrategy)) return null;
  return relations.every((r) => r.configured === null || r.configured === defaultStrategy) ? (defaultStrategy as StrategyName) : null;
}

/** How the user's configuration loads the tree: config default, each relation's own strategy, eager relations. */
export function configuredLoad(orm: MikroORM, spec: LoadSpec): { defaultStrategy: string; relations: { path: string; configured: string | null; effective: string }[]; eager: string[] } {
  const defaultStrategy = String(orm.config.get('loadStrategy') ?? 'balanced');
  const relations: { path: string; configured: string | null; effective: string }[] = [];
  const walk = (meta: EntityMetadata, nodes: PathNode[]) => {
    for (const node of nodes) {
      const prop = meta.properties[node.prop];
      const configured = prop?.strategy ? String(prop.strategy) : null;
      const base = configured ?? defaultStrategy;
      // 'balanced': joined for to-one, select-in for to-many.
      const effective = base === 'balanced' ? (node.toMany ? 'select-in' : 'joined') : base;
      relations.push({ path: node.path, configured, effective });
      if (prop?.targetMeta) walk(prop.targetMeta, node.children);
    }
  };
  walk(spec.meta, spec.tree);
  const eager = eagerOverrides(spec.meta, spec.tree).map((p) => p.replace(/:ref$/, ''));
  return { defaultStrategy, relations, eager };
}
