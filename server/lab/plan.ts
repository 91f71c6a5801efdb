/**
 * Turns PostgreSQL's EXPLAIN (FORMAT JSON) output into the per-node metrics the report
 * carries: inclusive and exclusive time, rows estimated vs actual with the misestimate
 * factor, loops, buffers, and the slowest node. Pure functions, no database.
 */
import type { PlanNodeSummary } from '../../common/lab-types.ts';

/** One node of PostgreSQL's JSON plan (the fields the lab reads; PostgreSQL adds many more). */
export interface RawPlanNode {
  'Node Type': string;
  'Parent Relationship'?: string;
  'Subplan Name'?: string;
  'Relation Name'?: string;
  Alias?: string;
  'Index Name'?: string;
  'Join Type'?: string;
  Strategy?: string;
  'CTE Name'?: string;
  'Startup Cost': number;
  'Total Cost': number;
  'Plan Rows': number;
  'Actual Total Time'?: number;
  'Actual Rows'?: number;
  'Actual Loops'?: number;
  'Index Cond'?: string;
  'Hash Cond'?: string;
  'Merge Cond'?: string;
  'Join Filter'?: string;
  'Recheck Cond'?: string;
  Filter?: string;
  'Rows Removed by Filter'?: number;
  'Sort Key'?: string[];
  'Shared Hit Blocks'?: number;
  'Shared Read Blocks'?: number;
  'Shared Dirtied Blocks'?: number;
  'Shared Written Blocks'?: number;
  'Temp Read Blocks'?: number;
  'Temp Written Blocks'?: number;
  'Workers Launched'?: number;
  'Workers Planned'?: number;
  'Actual Startup Time'?: number;
  'I/O Read Time'?: number;
  'I/O Write Time'?: number;
  'Shared I/O Read Time'?: number;
  'Shared I/O Write Time'?: number;
  Plans?: RawPlanNode[];
  /** PostgreSQL adds many more keys (Sort Method, Hash Batches, ...): read as unknown. */
  [key: string]: unknown;
}

export interface RawExplain {
  Plan: RawPlanNode;
  'Planning Time'?: number;
  'Execution Time'?: number;
}

export interface PlanSummary {
  plan: PlanNodeSummary;
  planningMs?: number;
  executionMs?: number;
  buffers?: { sharedHit: number; sharedRead: number };
  nodeCount: number;
  slowestNode?: { id: number; label: string; exclusiveMs?: number; exclusivePercent?: number };
}

/** Accepts what pg returns for EXPLAIN (FORMAT JSON): an array with one object (or its JSON text). */
export function parseExplain(value: unknown): RawExplain {
  const parsed = typeof value === 'string' ? (JSON.parse(value) as unknown) : value;
  const first = Array.isArray(parsed) ? parsed[0] : parsed;
  if (!first || typeof first !== 'object' || !('Plan' in first)) throw new Error('EXPLAIN returned no plan');
  return first as RawExplain;
}

function round(value: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

export function nodeLabel(node: RawPlanNode): string {
  let label = node['Node Type'];
  if (node['Join Type'] && node['Join Type'] !== 'Inner') label += ` (${node['Join Type']})`;
  if (node.Strategy && node['Node Type'] === 'Aggregate') label = `${node.Strategy} ${label}`;
  if (node['Index Name']) label += ` using ${node['Index Name']}`;
  if (node['Relation Name']) {
    label += ` on ${node['Relation Name']}`;
    if (node.Alias && node.Alias !== node['Relation Name']) label += ` ${node.Alias}`;
  } else if (node['CTE Name']) {
    label += ` on ${node['CTE Name']}`;
  }
  if (node['Subplan Name']) label = `${node['Subplan Name']}: ${label}`;
  return label;
}

/** Why a node's rows may legitimately fall short of the estimate: execution above it stops early. */
type EarlyStop = string | null;

const underLimitReason = 'under a Limit: execution stopped once the Limit had its rows, while the estimate is for the whole output (not stale statistics)';

/** The early-stop reason a child inherits from `node` (PEV2 and PostgreSQL's own costing treat these alike). */
function earlyStopFor(node: RawPlanNode, childIndex: number, inherited: EarlyStop): EarlyStop {
  if (inherited) return inherited;
  const type = node['Node Type'];
  if (type === 'Limit') return underLimitReason;
  const join = node['Join Type'];
  // A semi/anti join stops reading its inner side at the first match.
  if ((join === 'Semi' || join === 'Anti') && childIndex === 1) return `inner side of a ${join} join: it stops at the first match for each outer row, while the estimate is for all matches`;
  // A merge join stops as soon as one side is exhausted: the other side is read only as far as needed.
  if (type === 'Merge Join') return 'inside a Merge Join, which stops reading one side as soon as the other is exhausted; the estimate is for the whole input';
  return null;
}

const detailKeys = ['Index Cond', 'Recheck Cond', 'Hash Cond', 'Merge Cond', 'Join Filter', 'Filter', 'Sort Key', 'Sort Method', 'Group Key', 'Presorted Key', 'Cache Key', 'Strategy'];
const removedKeys = ['Rows Removed by Filter', 'Rows Removed by Join Filter', 'Rows Removed by Index Recheck'];

function finite(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** The condition and method lines a plan view shows, in PostgreSQL's words. */
export function detailLines(raw: RawPlanNode): [string, string][] {
  const out: [string, string][] = [];
  for (const key of detailKeys) {
    const v = raw[key];
    if (v === undefined || v === null) continue;
    out.push([key, Array.isArray(v) ? v.join(', ') : String(v)]);
  }
  for (const key of removedKeys) {
    const v = finite(raw[key]);
    if (v) out.push([key, v.toLocaleString('en-US')]);
  }
  const space = finite(raw['Sort Space Used']);
  if (space !== undefined) out.push(['Sort Space', `${space} kB (${String(raw['Sort Space Type'] ?? '')})`]);
  const batches = finite(raw['Hash Batches']);
  if (batches !== undefined && batches > 1) out.push(['Hash Batches', String(batches)]);
  const heapFetches = finite(raw['Heap Fetches']);
  if (heapFetches) out.push(['Heap Fetches', String(heapFetches)]);
  const workers = finite(raw['Workers Launched']);
  if (workers !== undefined) out.push(['Workers', `${workers} launched of ${String(raw['Workers Planned'] ?? '?')}`]);
  return out;
}

/** A row count off by this factor (and at least `misestimateMinRows` rows on the larger side) is a misestimate. */
export const misestimateThreshold = { factor: 10, minRows: 100 } as const;

/**
 * Summarises one EXPLAIN result into the ONE plan model the report, the CLI and the page use:
 * per node inclusive/exclusive time over all loops, rows per loop and over all loops, the
 * misestimate factor (rows per loop against the planner's rows per loop, as PEV2 compares them)
 * with the reason when a node is exempt, own cost and own buffers, workers, I/O timing and the
 * condition lines. The page renders these numbers; it computes none of its own.
 */
export function summarizePlan(explain: RawExplain): PlanSummary {
  const executionMs = explain['Execution Time'];
  const analyzed = executionMs !== undefined;
  let nextId = 0;
  const all: PlanNodeSummary[] = [];

  const build = (node: RawPlanNode, earlyStop: EarlyStop, depth: number): PlanNodeSummary => {
    const id = nextId++;
    const loops = node['Actual Loops'];
    const summary: PlanNodeSummary = {
      id,
      nodeType: node['Node Type'],
      label: nodeLabel(node),
      startupCost: node['Startup Cost'],
      totalCost: node['Total Cost'],
      rowsEstimated: node['Plan Rows'],
      flags: [],
      children: [],
      depth,
    };
    if (node['Relation Name']) summary.relation = node['Relation Name'];
    if (node.Alias) summary.alias = node.Alias;
    if (node['Index Name']) summary.index = node['Index Name'];
    if (node['Parent Relationship']) summary.parentRelationship = node['Parent Relationship'];
    const condition = node['Index Cond'] ?? node['Hash Cond'] ?? node['Merge Cond'] ?? node['Join Filter'] ?? node['Recheck Cond'];
    if (condition) summary.condition = condition;
    if (node.Filter) summary.filter = node.Filter;
    if (node['Rows Removed by Filter'] !== undefined) summary.rowsRemovedByFilter = node['Rows Removed by Filter'];
    if (node['Sort Key']) summary.sortKey = node['Sort Key'];
    if (node['Shared Hit Blocks'] !== undefined) {
      summary.buffers = {
        sharedHit: node['Shared Hit Blocks'] ?? 0,
        sharedRead: node['Shared Read Blocks'] ?? 0,
        sharedDirtied: node['Shared Dirtied Blocks'] ?? 0,
        sharedWritten: node['Shared Written Blocks'] ?? 0,
        tempRead: node['Temp Read Blocks'] ?? 0,
        tempWritten: node['Temp Written Blocks'] ?? 0,
      };
    }
    if (node['Workers Planned'] !== undefined) summary.workersPlanned = node['Workers Planned'];
    if (node['Workers Launched'] !== undefined) summary.workersLaunched = node['Workers Launched'];
    const ioRead = finite(node['I/O Read Time']) ?? finite(node['Shared I/O Read Time']);
    const ioWrite = finite(node['I/O Write Time']) ?? finite(node['Shared I/O Write Time']);
    if (ioRead !== undefined) summary.ioReadMs = round(ioRead);
    if (ioWrite !== undefined) summary.ioWriteMs = round(ioWrite);
    summary.details = detailLines(node);
    all.push(summary);
    summary.children = (node.Plans ?? []).map((child, i) => build(child, earlyStopFor(node, i, earlyStop), depth + 1));

    const childCost = summary.children.filter((c) => c.parentRelationship !== 'InitPlan').reduce((sum, c) => sum + c.totalCost, 0);
    summary.exclusiveCost = round(Math.max(0, summary.totalCost - childCost));
    if (summary.buffers) {
      const b = summary.buffers;
      summary.exclusiveBuffers = {
        sharedHit: Math.max(0, b.sharedHit - summary.children.reduce((t, c) => t + (c.buffers?.sharedHit ?? 0), 0)),
        sharedRead: Math.max(0, b.sharedRead - summary.children.reduce((t, c) => t + (c.buffers?.sharedRead ?? 0), 0)),
      };
    }
    summary.rowsEstimatedTotal = round(summary.rowsEstimated * (loops ?? 1));

    if (analyzed && loops !== undefined && node['Actual Total Time'] !== undefined) {
      // "Actual Total Time" is per loop; a node that never ran reports loops 0.
      const inclusive = node['Actual Total Time'] * loops;
      const childTime = summary.children
        // InitPlans run once before the node and are part of its time like any other child.
        .reduce((sum, child) => sum + (child.inclusiveMs ?? 0), 0);
      summary.loops = loops;
      summary.rowsActual = node['Actual Rows'] ?? 0;
      summary.rowsActualTotal = round(summary.rowsActual * loops);
      summary.actualTotalMs = round(node['Actual Total Time']);
      if (node['Actual Startup Time'] !== undefined) summary.actualStartupMs = round(node['Actual Startup Time']);
      summary.inclusiveMs = round(inclusive);
      summary.exclusiveMs = round(Math.max(0, inclusive - childTime));
      const removed = removedKeys.reduce((sum, k) => sum + (finite(node[k]) ?? 0), 0);
      if (removedKeys.some((k) => node[k] !== undefined)) summary.rowsRemovedTotal = removed * loops;
      if (loops > 0) {
        const actual = summary.rowsActual;
        const estimated = summary.rowsEstimated;
        summary.misestimateFactor = round(Math.max(actual, estimated) / Math.max(Math.min(actual, estimated), 1), 2);
        summary.misestimateDirection = actual > estimated ? 'under' : actual < estimated ? 'over' : 'exact';
        const off = summary.misestimateFactor >= misestimateThreshold.factor && Math.max(actual, estimated) >= misestimateThreshold.minRows;
        // Stopping early only ever returns FEWER rows than estimated; more rows is a misestimate anywhere.
        if (off && earlyStop && summary.misestimateDirection === 'over') summary.misestimateExempt = earlyStop;
        else if (off) summary.flags.push('misestimate');
      }
    }
    return summary;
  };

  const plan = build(explain.Plan, null, 0);
  let slowest: PlanNodeSummary | undefined;
  if (analyzed) {
    const total = executionMs || plan.inclusiveMs || 0;
    for (const node of all) {
      if (total > 0 && node.exclusiveMs !== undefined) node.exclusivePercent = round((node.exclusiveMs / total) * 100, 1);
      if (!slowest || (node.exclusiveMs ?? 0) > (slowest.exclusiveMs ?? 0)) slowest = node;
    }
  } else {
    // Estimates only: the node with the largest own cost.
    for (const node of all) if (!slowest || (node.exclusiveCost ?? 0) > (slowest.exclusiveCost ?? 0)) slowest = node;
  }
  slowest?.flags.push('slowest');
  if (all.length > 1) {
    const costliest = all.reduce((best, n) => ((n.exclusiveCost ?? 0) > (best.exclusiveCost ?? 0) ? n : best), all[0]!);
    if ((costliest.exclusiveCost ?? 0) > 0) costliest.flags.push('costliest');
  }

  const result: PlanSummary = { plan, nodeCount: all.length };
  if (explain['Planning Time'] !== undefined) result.planningMs = round(explain['Planning Time']);
  if (executionMs !== undefined) result.executionMs = round(executionMs);
  if (plan.buffers) result.buffers = { sharedHit: plan.buffers.sharedHit, sharedRead: plan.buffers.sharedRead };
  if (slowest) {
    result.slowestNode = { id: slowest.id, label: slowest.label };
    if (slowest.exclusiveMs !== undefined) result.slowestNode.exclusiveMs = slowest.exclusiveMs;
    if (slowest.exclusivePercent !== undefined) result.slowestNode.exclusivePercent = slowest.exclusivePercent;
  }
  return result;
}

/** Every node of a summarised plan, root first (pre-order). */
export function planNodes(plan: PlanNodeSummary): PlanNodeSummary[] {
  const out: PlanNodeSummary[] = [];
  const walk = (n: PlanNodeSummary) => {
    out.push(n);
    n.children.forEach(walk);
  };
  walk(plan);
  return out;
}
