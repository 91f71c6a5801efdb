/**
 * The page's view of a plan: the server's ONE plan model (server/lab/plan.ts summarizePlan,
 * carried in common/lab-types.ts PlanNodeSummary) laid out for rendering. Every figure
 * (inclusive/exclusive time, rows per loop and over all loops, misestimates and why a node is
 * exempt, own cost and buffers, slowest/costliest) is the server's; nothing here applies a rule
 * of its own, so the page, the table, the Markdown and the JSON always say the same.
 * Pure data; no DOM.
 */
import type { ExplainResult, PlanNodeSummary } from '../common/lab-types.ts';

/** One node of PostgreSQL's JSON plan, as it came (kept for a full plan viewer). */
export interface RawPlanNode {
  'Node Type': string;
  Plans?: RawPlanNode[];
  [key: string]: unknown;
}

export interface PlanNode {
  id: number;
  depth: number;
  /** This node of the raw EXPLAIN JSON (same pre-order id), or a stub when the raw plan is absent. */
  raw: RawPlanNode;
  /** The server's summary of this node, with every field it computed. */
  summary: PlanNodeSummary;
  nodeType: string;
  /** "users u0" / "using users_pkey on users" — the label without the node type. */
  title: string;
  /** The condition lines worth showing (Filter, Index Cond, Hash Cond, Sort Key, …). */
  details: [string, string][];
  parentRelationship: string | null;
  loops: number;
  /** Inclusive time in ms, summed over loops; null without ANALYZE. */
  inclusiveMs: number | null;
  /** Exclusive time in ms: inclusive minus the children's inclusive time. */
  exclusiveMs: number | null;
  /** Planner rows and actual rows, both over all loops. */
  planRows: number;
  actualRows: number | null;
  /** Rows per loop against the planner's rows per loop: max/min with both floored at 1. */
  misestimate: number | null;
  /** 'under' when the planner expected fewer rows than came, 'over' when more. */
  misestimateDirection: 'under' | 'over' | null;
  /** Why a large factor is not a misestimate here (e.g. under a Limit); null otherwise. */
  misestimateExempt: string | null;
  startupCost: number;
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
  /** The server flagged a misestimate here (not exempt). */
  worstEstimate: boolean;
  /** Other flags from the server's summary, e.g. 'seq-scan-on-fk'. */
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
  /** The EXPLAIN (FORMAT JSON) output exactly as PostgreSQL returned it, when the report carries it. */
  raw: unknown;
}

/** The raw plan's nodes in pre-order: the order of the server's ids. A lookup, not a second model. */
function rawNodesInOrder(raw: unknown): RawPlanNode[] {
  const first = Array.isArray(raw) ? raw[0] : raw;
  const root = first && typeof first === 'object' && 'Plan' in first ? (first as { Plan: RawPlanNode }).Plan : null;
  const out: RawPlanNode[] = [];
  const walk = (n: RawPlanNode) => {
    out.push(n);
    (n.Plans ?? []).forEach(walk);
  };
  if (root && typeof root === 'object') walk(root);
  return out;
}

const own = new Set(['slowest', 'misestimate', 'costliest']);

/** The plan of a comparison statement, as the server summarised it; null without a plan. */
export function planFromExplain(explain: ExplainResult | null | undefined): Plan | null {
  const summary = explain?.plan;
  if (!explain || !summary) return null;
  const rawNodes = rawNodesInOrder(explain.raw);
  const nodes: PlanNode[] = [];
  const build = (n: PlanNodeSummary, depth: number): PlanNode => {
    const loops = n.loops ?? 1;
    const raw = rawNodes[n.id];
    const node: PlanNode = {
      id: n.id,
      depth: n.depth ?? depth,
      raw: raw && raw['Node Type'] === n.nodeType ? raw : { 'Node Type': n.nodeType },
      summary: n,
      nodeType: n.nodeType,
      title: n.label.startsWith(n.nodeType) ? n.label.slice(n.nodeType.length).trim() : n.label,
      details: n.details ?? [],
      parentRelationship: n.parentRelationship ?? null,
      loops,
      inclusiveMs: n.inclusiveMs ?? null,
      exclusiveMs: n.exclusiveMs ?? null,
      planRows: n.rowsEstimatedTotal ?? n.rowsEstimated * loops,
      actualRows: n.rowsActualTotal ?? (n.rowsActual === undefined ? null : n.rowsActual * loops),
      misestimate: n.misestimateFactor ?? null,
      misestimateDirection: n.misestimateDirection === 'under' || n.misestimateDirection === 'over' ? n.misestimateDirection : null,
      misestimateExempt: n.misestimateExempt ?? null,
      startupCost: n.startupCost,
      totalCost: n.totalCost,
      exclusiveCost: n.exclusiveCost ?? 0,
      sharedHit: n.buffers?.sharedHit ?? null,
      sharedRead: n.buffers?.sharedRead ?? null,
      exclusiveHit: n.exclusiveBuffers?.sharedHit ?? null,
      exclusiveRead: n.exclusiveBuffers?.sharedRead ?? null,
      rowsRemoved: n.rowsRemovedTotal ?? n.rowsRemovedByFilter ?? null,
      children: [],
      slowest: n.flags.includes('slowest'),
      costliest: n.flags.includes('costliest'),
      worstEstimate: n.flags.includes('misestimate'),
      flags: n.flags.filter((f) => !own.has(f)),
    };
    nodes.push(node);
    node.children = n.children.map((c) => build(c, depth + 1));
    return node;
  };
  const root = build(summary, 0);
  return {
    root,
    nodes,
    planningMs: explain.planningMs ?? null,
    executionMs: explain.executionMs ?? root.inclusiveMs,
    analyzed: explain.status === 'analyzed' && root.inclusiveMs !== null,
    totalHit: explain.buffers?.sharedHit ?? root.sharedHit,
    totalRead: explain.buffers?.sharedRead ?? root.sharedRead,
    raw: explain.raw ?? null,
  };
}
