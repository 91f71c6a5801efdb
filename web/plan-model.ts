/**
 * Reads PostgreSQL EXPLAIN (FORMAT JSON) output into a tree with the figures a plan view
 * needs: exclusive and inclusive time, rows estimated vs actual, buffers, and which node
 * is slowest and costliest. Pure data; no DOM.
 */

export interface RawPlanNode {
  'Node Type': string;
  Plans?: RawPlanNode[];
  [key: string]: unknown;
}

export interface PlanNode {
  id: number;
  depth: number;
  raw: RawPlanNode;
  nodeType: string;
  /** "users u0" / "users_pkey on users" / "Hash Cond: …" — a one-line description. */
  title: string;
  /** The condition lines worth showing (Filter, Index Cond, Hash Cond, Sort Key, …). */
  details: [string, string][];
  parentRelationship: string | null;
  loops: number;
  /** Inclusive time in ms, summed over loops; null without ANALYZE. */
  inclusiveMs: number | null;
  /** Exclusive time in ms: inclusive minus the children's inclusive time. */
  exclusiveMs: number | null;
  /** Planner rows (per loop × loops) and actual rows (per loop × loops). */
  planRows: number;
  actualRows: number | null;
  /** max(actual, est) / min(actual, est) with both floored at 1; > 1 always. */
  misestimate: number | null;
  /** 'under' when the planner expected fewer rows than came, 'over' when more. */
  misestimateDirection: 'under' | 'over' | null;
  totalCost: number;
  exclusiveCost: number;
  sharedHit: number | null;
  sharedRead: number | null;
  /** Buffers of this node alone (inclusive minus children). */
  exclusiveHit: number | null;
  exclusiveRead: number | null;
  rowsRemoved: number | null;
  children: PlanNode[];
  slowest: boolean;
  costliest: boolean;
  worstEstimate: boolean;
  /** Extra flags from the server's summary, e.g. 'seq-scan-on-fk'. */
  flags: string[];
}

export interface Plan {
  root: PlanNode;
  nodes: PlanNode[];
  planningMs: number | null;
  executionMs: number | null;
  analyzed: boolean;
  totalHit: number | null;
  totalRead: number | null;
}

import type { ExplainResult, PlanNodeSummary } from '../common/lab-types.ts';

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** Accepts the array Postgres returns, a single `{ Plan }` object, a bare plan node, or their JSON text. */
export function parsePlan(input: unknown): Plan | null {
  let value = input;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      return null;
    }
  }
  if (Array.isArray(value)) value = value[0];
  if (!value || typeof value !== 'object') return null;
  const obj = value as Record<string, unknown>;
  // `QUERY PLAN` wrapper from `select … explain` through some drivers.
  if ('QUERY PLAN' in obj) return parsePlan(obj['QUERY PLAN']);
  const rawRoot = (obj.Plan ?? (obj['Node Type'] ? obj : null)) as RawPlanNode | null;
  if (!rawRoot) return null;

  const nodes: PlanNode[] = [];
  const build = (raw: RawPlanNode, depth: number): PlanNode => {
    const loops = num(raw['Actual Loops']) ?? 1;
    const perLoop = num(raw['Actual Total Time']);
    const actualRowsPerLoop = num(raw['Actual Rows']);
    const planRowsPerLoop = num(raw['Plan Rows']) ?? 0;
    const node: PlanNode = {
      id: nodes.length,
      depth,
      raw,
      nodeType: String(raw['Node Type']),
      title: describe(raw),
      details: detailLines(raw),
      parentRelationship: typeof raw['Parent Relationship'] === 'string' ? (raw['Parent Relationship'] as string) : null,
      loops,
      inclusiveMs: perLoop === null ? null : perLoop * loops,
      exclusiveMs: null,
      planRows: planRowsPerLoop * loops,
      actualRows: actualRowsPerLoop === null ? null : actualRowsPerLoop * loops,
      misestimate: null,
      misestimateDirection: null,
      totalCost: num(raw['Total Cost']) ?? 0,
      exclusiveCost: 0,
      sharedHit: num(raw['Shared Hit Blocks']),
      sharedRead: num(raw['Shared Read Blocks']),
      exclusiveHit: null,
      exclusiveRead: null,
      rowsRemoved: sumRemoved(raw, loops),
      children: [],
      slowest: false,
      costliest: false,
      worstEstimate: false,
      flags: [],
    };
    nodes.push(node);
    node.children = (raw.Plans ?? []).map((child) => build(child, depth + 1));

    // Parallel workers report per-worker averages; inclusive time is wall time of the leader.
    const childTime = node.children.reduce((t, c) => t + (c.inclusiveMs ?? 0), 0);
    // An InitPlan/SubPlan runs inside its parent; CTE scans read a CTE computed elsewhere.
    if (node.inclusiveMs !== null) node.exclusiveMs = Math.max(0, node.inclusiveMs - childTime);
    const childCost = node.children.filter((c) => c.parentRelationship !== 'InitPlan').reduce((t, c) => t + c.totalCost, 0);
    node.exclusiveCost = Math.max(0, node.totalCost - childCost);
    if (node.sharedHit !== null) node.exclusiveHit = Math.max(0, node.sharedHit - node.children.reduce((t, c) => t + (c.sharedHit ?? 0), 0));
    if (node.sharedRead !== null) node.exclusiveRead = Math.max(0, node.sharedRead - node.children.reduce((t, c) => t + (c.sharedRead ?? 0), 0));
    if (node.actualRows !== null) {
      const a = Math.max(1, node.actualRows);
      const e = Math.max(1, node.planRows);
      node.misestimate = Math.max(a, e) / Math.min(a, e);
      node.misestimateDirection = a > e ? 'under' : a < e ? 'over' : null;
      // A node that never ran (loops 0) has no estimate to judge.
      if (loops === 0) {
        node.misestimate = null;
        node.misestimateDirection = null;
      }
    }
    return node;
  };
  const root = build(rawRoot, 0);

  const analyzed = root.inclusiveMs !== null;
  if (nodes.length > 1 || analyzed) {
    if (analyzed) maxBy(nodes, (n) => n.exclusiveMs ?? 0, (n) => (n.slowest = true));
    maxBy(nodes, (n) => n.exclusiveCost, (n) => (n.costliest = true));
    const worst = maxBy(nodes, (n) => n.misestimate ?? 0);
    if (worst && (worst.misestimate ?? 0) >= 10) worst.worstEstimate = true;
  }
  return {
    root,
    nodes,
    planningMs: num(obj['Planning Time']),
    executionMs: num(obj['Execution Time']) ?? root.inclusiveMs,
    analyzed,
    totalHit: root.sharedHit,
    totalRead: root.sharedRead,
  };
}

function maxBy<T>(items: T[], score: (t: T) => number, mark?: (t: T) => void): T | null {
  let best: T | null = null;
  let bestScore = -Infinity;
  for (const item of items) {
    const sc = score(item);
    if (sc > bestScore) {
      best = item;
      bestScore = sc;
    }
  }
  if (best && bestScore > 0 && mark) mark(best);
  return best;
}

function sumRemoved(raw: RawPlanNode, loops: number): number | null {
  const keys = ['Rows Removed by Filter', 'Rows Removed by Join Filter', 'Rows Removed by Index Recheck'];
  let total: number | null = null;
  for (const k of keys) {
    const v = num(raw[k]);
    if (v !== null) total = (total ?? 0) + v * loops;
  }
  return total;
}

function describe(raw: RawPlanNode): string {
  const parts: string[] = [];
  const rel = raw['Relation Name'];
  const alias = raw['Alias'];
  const index = raw['Index Name'];
  if (typeof index === 'string') parts.push(`using ${index}`);
  if (typeof rel === 'string') parts.push(`on ${rel}${typeof alias === 'string' && alias !== rel ? ` ${alias}` : ''}`);
  else if (typeof raw['CTE Name'] === 'string') parts.push(`on ${raw['CTE Name']}`);
  else if (typeof raw['Function Name'] === 'string') parts.push(`on ${raw['Function Name']}()`);
  if (typeof raw['Join Type'] === 'string' && raw['Join Type'] !== 'Inner') parts.unshift(`${raw['Join Type']}`);
  if (typeof raw['Subplan Name'] === 'string') parts.push(`(${raw['Subplan Name']})`);
  return parts.join(' ');
}

const detailKeys = ['Index Cond', 'Recheck Cond', 'Hash Cond', 'Merge Cond', 'Join Filter', 'Filter', 'Sort Key', 'Sort Method', 'Group Key', 'Presorted Key', 'Output', 'Cache Key', 'Strategy'];

function detailLines(raw: RawPlanNode): [string, string][] {
  const out: [string, string][] = [];
  for (const key of detailKeys) {
    const v = raw[key];
    if (v === undefined || v === null) continue;
    if (key === 'Output') continue; // verbose and noisy
    out.push([key, Array.isArray(v) ? v.join(', ') : String(v)]);
  }
  const removed = ['Rows Removed by Filter', 'Rows Removed by Join Filter', 'Rows Removed by Index Recheck'];
  for (const key of removed) {
    const v = num(raw[key]);
    if (v) out.push([key, v.toLocaleString('en-US')]);
  }
  const space = num(raw['Sort Space Used']);
  if (space !== null) out.push(['Sort Space', `${space} kB (${raw['Sort Space Type'] ?? ''})`]);
  const batches = num(raw['Hash Batches']);
  if (batches !== null && batches > 1) out.push(['Hash Batches', String(batches)]);
  const heapFetches = num(raw['Heap Fetches']);
  if (heapFetches) out.push(['Heap Fetches', String(heapFetches)]);
  const workers = num(raw['Workers Launched']);
  if (workers !== null) out.push(['Workers', `${workers} launched of ${raw['Workers Planned'] ?? '?'}`]);
  return out;
}

/**
 * The plan of a comparison statement, from the lab's precomputed summary (so the page marks
 * the same slowest node and misestimates as the CLI), with the condition lines taken from
 * the raw EXPLAIN JSON when it is there. Falls back to the raw JSON alone.
 */
export function planFromExplain(explain: ExplainResult | null | undefined): Plan | null {
  if (!explain) return null;
  const rawPlan = explain.raw !== undefined ? parsePlan(explain.raw) : null;
  const summary = explain.plan;
  if (!summary) return rawPlan;
  const rawById = new Map<number, PlanNode>((rawPlan?.nodes ?? []).map((n) => [n.id, n]));
  const nodes: PlanNode[] = [];
  const build = (n: PlanNodeSummary, depth: number): PlanNode => {
    const loops = n.loops ?? 1;
    const fromRaw = rawById.get(n.id);
    const sameNode = fromRaw && fromRaw.nodeType === n.nodeType;
    const title = n.label.startsWith(n.nodeType) ? n.label.slice(n.nodeType.length).trim() : n.label;
    const details: [string, string][] = sameNode ? fromRaw.details : [];
    if (!sameNode) {
      if (n.condition) details.push(['Condition', n.condition]);
      if (n.filter) details.push(['Filter', n.filter]);
      if (n.rowsRemovedByFilter) details.push(['Rows Removed by Filter', n.rowsRemovedByFilter.toLocaleString('en-US')]);
      if (n.sortKey?.length) details.push(['Sort Key', n.sortKey.join(', ')]);
    }
    const node: PlanNode = {
      id: n.id,
      depth,
      raw: (sameNode ? fromRaw.raw : { 'Node Type': n.nodeType }) as RawPlanNode,
      nodeType: n.nodeType,
      title,
      details,
      parentRelationship: n.parentRelationship ?? null,
      loops,
      inclusiveMs: n.inclusiveMs ?? null,
      exclusiveMs: n.exclusiveMs ?? null,
      planRows: n.rowsEstimated * loops,
      actualRows: n.rowsActual === undefined ? null : n.rowsActual * loops,
      misestimate: n.misestimateFactor ?? null,
      misestimateDirection: n.misestimateDirection === 'under' || n.misestimateDirection === 'over' ? n.misestimateDirection : null,
      totalCost: n.totalCost,
      exclusiveCost: 0,
      sharedHit: n.buffers?.sharedHit ?? null,
      sharedRead: n.buffers?.sharedRead ?? null,
      exclusiveHit: null,
      exclusiveRead: null,
      rowsRemoved: n.rowsRemovedByFilter ?? null,
      children: [],
      slowest: n.flags.includes('slowest'),
      costliest: false,
      worstEstimate: n.flags.includes('misestimate'),
      flags: n.flags.filter((f) => f !== 'slowest' && f !== 'misestimate'),
    };
    nodes.push(node);
    node.children = n.children.map((c) => build(c, depth + 1));
    const childCost = node.children.filter((c) => c.parentRelationship !== 'InitPlan').reduce((t, c) => t + c.totalCost, 0);
    node.exclusiveCost = Math.max(0, node.totalCost - childCost);
    if (node.sharedHit !== null) node.exclusiveHit = Math.max(0, node.sharedHit - node.children.reduce((t, c) => t + (c.sharedHit ?? 0), 0));
    if (node.sharedRead !== null) node.exclusiveRead = Math.max(0, node.sharedRead - node.children.reduce((t, c) => t + (c.sharedRead ?? 0), 0));
    return node;
  };
  const root = build(summary, 0);
  if (nodes.length > 1) maxBy(nodes, (n) => n.exclusiveCost, (n) => (n.costliest = true));
  // Without ANALYZE the server marks the node with the largest own cost as slowest.
  const analyzed = root.inclusiveMs !== null;
  return {
    root,
    nodes,
    planningMs: explain.planningMs ?? rawPlan?.planningMs ?? null,
    executionMs: explain.executionMs ?? rawPlan?.executionMs ?? root.inclusiveMs,
    analyzed,
    totalHit: explain.buffers?.sharedHit ?? root.sharedHit,
    totalRead: explain.buffers?.sharedRead ?? root.sharedRead,
  };
}
