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
  Plans?: RawPlanNode[];
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

/** Summarises one EXPLAIN result; `analyzed` when it came from EXPLAIN ANALYZE. */
export function summarizePlan(explain: RawExplain): PlanSummary {
  const executionMs = explain['Execution Time'];
  const analyzed = executionMs !== undefined;
  let nextId = 0;
  const all: PlanNodeSummary[] = [];

  const build = (node: RawPlanNode, underLimit: boolean): PlanNodeSummary => {
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
    all.push(summary);
    // Below a Limit the planner estimates the full output while execution stops early: not a misestimate.
    const limited = underLimit || node['Node Type'] === 'Limit';
    summary.children = (node.Plans ?? []).map((child) => build(child, limited));

    if (analyzed && loops !== undefined && node['Actual Total Time'] !== undefined) {
      // "Actual Total Time" is per loop; a node that never ran reports loops 0.
      const inclusive = node['Actual Total Time'] * loops;
      const childTime = summary.children
        // InitPlans run once before the node and are part of its time like any other child.
        .reduce((sum, child) => sum + (child.inclusiveMs ?? 0), 0);
      summary.loops = loops;
      summary.rowsActual = node['Actual Rows'] ?? 0;
      summary.inclusiveMs = round(inclusive);
      summary.exclusiveMs = round(Math.max(0, inclusive - childTime));
      if (loops > 0) {
        const actual = summary.rowsActual;
        const estimated = summary.rowsEstimated;
        summary.misestimateFactor = round(Math.max(actual, estimated) / Math.max(Math.min(actual, estimated), 1), 2);
        summary.misestimateDirection = actual > estimated ? 'under' : actual < estimated ? 'over' : 'exact';
        if (!limited && summary.misestimateFactor >= 10 && Math.max(actual, estimated) >= 100) summary.flags.push('misestimate');
      }
    }
    return summary;
  };

  const plan = build(explain.Plan, false);
  let slowest: PlanNodeSummary | undefined;
  if (analyzed) {
    const total = executionMs || plan.inclusiveMs || 0;
    for (const node of all) {
      if (total > 0 && node.exclusiveMs !== undefined) node.exclusivePercent = round((node.exclusiveMs / total) * 100, 1);
      if (!slowest || (node.exclusiveMs ?? 0) > (slowest.exclusiveMs ?? 0)) slowest = node;
    }
  } else {
    // Estimates only: the node with the largest own cost.
    const ownCost = (n: PlanNodeSummary) => n.totalCost - n.children.reduce((s, c) => s + c.totalCost, 0);
    for (const node of all) if (!slowest || ownCost(node) > ownCost(slowest)) slowest = node;
  }
  slowest?.flags.push('slowest');

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
