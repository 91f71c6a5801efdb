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
import { Collection, Reference, helper, type EntityManager, type EntityMetadata, type MikroORM } from '@mikro-orm/core';
import { capture, type CapturedStatement, type CaptureSession } from './capture.ts';
import { levels, type PathNode } from './request.ts';
import { compareLimits, type CompareRequest, type StrategyName } from '../../common/lab-types.ts';

export interface LoadSpec {
  meta: EntityMetadata;
  request: Pick<CompareRequest, 'where' | 'orderBy' | 'limit' | 'offset' | 'populate' | 'maxStatementsPerRun'>;
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
  error?: string;
}

/** Raised inside the lazy loop when a run must stop early; the message says why. */
class RunCapped extends Error {}

type AnyEntity = Record<string, unknown>;

function keyOf(entity: object): string {
  const wrapped = helper(entity);
  return `${wrapped.__meta.className}#${wrapped.getSerializedPrimaryKey()}`;
}

function findOptions(spec: LoadSpec, extra: Record<string, unknown>): Record<string, unknown> {
  const { orderBy, limit, offset } = spec.request;
  return { orderBy, limit, offset, ...extra };
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
async function loadRelation(parent: AnyEntity, node: PathNode, dataloader: boolean): Promise<AnyEntity[]> {
  const value = parent[node.prop];
  if (value === null || value === undefined) return [];
  if (node.toMany) {
    const collection = value as Collection<object>;
    // Explicit both ways: a project may enable the dataloader globally (`dataloader: true` in its config).
    if (!collection.isInitialized()) await collection.init({ dataloader });
    return collection.getItems() as AnyEntity[];
  }
  const target = Reference.unwrapReference(value as object) as AnyEntity;
  if (!helper(target).__initialized) {
    if (dataloader) await Reference.create(target).load({ dataloader: true });
    else await helper(target).init(); // never batched
  }
  return [target];
}

/** The lazy loop, level by level; `dataloader` starts each level's loads together. */
async function lazyLoad(roots: AnyEntity[], tree: PathNode[], dataloader: boolean, session: CaptureSession, budget: number): Promise<void> {
  const reached = new Map<PathNode | null, AnyEntity[]>([[null, roots]]);
  const parentOf = new Map<PathNode, PathNode | null>();
  const mark = (nodes: PathNode[], parent: PathNode | null) => nodes.forEach((n) => { parentOf.set(n, parent); mark(n.children, n); });
  mark(tree, null);
  for (const level of levels(tree)) {
    for (const node of level) {
      const parents = reached.get(parentOf.get(node) ?? null) ?? [];
      session.path = node.path;
      const children = new Set<AnyEntity>();
      if (dataloader) {
        if (session.statements.length >= budget) throw new RunCapped(`stopped after ${budget.toLocaleString('en-US')} statements (maxStatementsPerRun)`);
        if (node.toMany && parents.length > compareLimits.dataloaderMaxParents) {
          throw new RunCapped(`stopped before loading ${node.path} for ${parents.length.toLocaleString('en-US')} parents: MikroORM's collection dataloader maps each collection by filtering the whole batch result, O(parents × children), so beyond ${compareLimits.dataloaderMaxParents.toLocaleString('en-US')} parents per level it can take minutes`);
        }
        const results = await Promise.all(parents.map((p) => loadRelation(p, node, true)));
        results.flat().forEach((c) => children.add(c));
      } else {
        for (const parent of parents) {
          if (session.statements.length >= budget) throw new RunCapped(`stopped after ${budget.toLocaleString('en-US')} statements (maxStatementsPerRun)`);
          for (const child of await loadRelation(parent, node, false)) children.add(child);
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
        if (value instanceof Collection) {
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

/** Runs the load once under `strategy` on a fresh fork and captures what it sent. */
export async function runStrategy(orm: MikroORM, spec: LoadSpec, strategy: StrategyName, options: { limit?: number; snapshot?: boolean } = {}): Promise<RunOutcome> {
  // flushMode 'commit': with MikroORM's default 'auto', every query first computes change sets over the
  // whole identity map, which makes a lazy loop quadratic (743 lazy loads: 10 s instead of 1.2 s).
  // Nothing is ever flushed here, so that work would only measure the unit of work, not the strategy.
  const em = orm.em.fork({ clear: true, useContext: false, flushMode: 'commit' });
  const request = options.limit === undefined ? spec : { ...spec, request: { ...spec.request, limit: options.limit } };
  const lazy = strategy === 'select' || strategy === 'dataloader';
  // Only the lazy loop knows which relation a statement loads ('' = the roots query).
  const session: CaptureSession = lazy ? { statements: [], path: '' } : { statements: [] };
  const budget = spec.request.maxStatementsPerRun;
  let roots: AnyEntity[] = [];
  let capped = false;
  let cappedReason: string | undefined;
  let error: string | undefined;
  const started = performance.now();
  await capture(async () => {
    try {
      if (lazy) {
        roots = await find(em, request, findOptions(request, {}));
        await lazyLoad(roots, spec.tree, strategy === 'dataloader', session, budget);
      } else {
        // A relation's own `strategy` option outranks the query's; a populate hint outranks both.
        const populateHints = Object.fromEntries(allPaths(spec.tree).map((path) => [path, { strategy }]));
        roots = await find(em, request, findOptions(request, { populate: spec.request.populate, strategy, populateHints }));
      }
    } catch (e) {
      if (e instanceof RunCapped) {
        capped = true;
        cappedReason = e.message;
      }
      else error = e instanceof Error ? e.message : String(e);
    }
  }, session);
  const wallMs = performance.now() - started;
  const outcome: RunOutcome = { strategy, statements: session.statements, wallMs, captureMs: session.overheadMs ?? 0, roots: roots.length, capped };
  if (error) outcome.error = error;
  if (cappedReason) outcome.cappedReason = cappedReason;
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
