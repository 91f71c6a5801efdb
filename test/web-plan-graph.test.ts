/**
 * The plan graph's figures (web/views/plan-graph.ts), on a real PostgreSQL 15 plan captured
 * with parallel workers, JIT and track_io_timing on (test/fixtures/plan-parallel-jit.json):
 * the critical path, the tidy tree layout, each metric's per-node values, the plan-wide and
 * per-node facts, and the PEV2-compatible text.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { planFromExplain } from '../web/plan-model.ts';
import { parseExplain, summarizePlan } from '../server/lab/plan.ts';
import { criticalPath, flatten, metricValue, nodeFacts, pev2Text, planFacts, treeLayout, type GraphNode } from '../web/views/plan-graph.ts';

const raw = JSON.parse(readFileSync('test/fixtures/plan-parallel-jit.json', 'utf8')) as unknown[];
// The page renders what the server summarised (one plan model): summarise as the server does.
const summary = summarizePlan(parseExplain(raw));
const plan = planFromExplain({ status: 'analyzed', raw, plan: summary.plan, nodeCount: summary.nodeCount })!;
const root = plan.root as unknown as GraphNode;
const nodes = flatten(root);

describe('the plan graph', () => {
  it('follows the slowest child from the root down to a leaf for the critical path', () => {
    const path = criticalPath(root);
    expect(path.has(root.id)).toBe(true);
    // One node per level, each the child with the most inclusive time.
    let node = root;
    while (node.children.length) {
      const slowest = [...node.children].sort((a, b) => (b.inclusiveMs ?? 0) - (a.inclusiveMs ?? 0))[0]!;
      expect(path.has(slowest.id)).toBe(true);
      for (const other of node.children) if (other !== slowest) expect(path.has(other.id)).toBe(false);
      node = slowest;
    }
    expect(node.children).toHaveLength(0);
  });

  it('lays the tree out with parents above children and no two nodes on one spot', () => {
    const { pos, width, height } = treeLayout(root);
    const spots = new Set<string>();
    for (const n of nodes) {
      const p = pos.get(n.id)!;
      spots.add(`${p.x},${p.y}`);
      expect(p.x).toBeGreaterThanOrEqual(0);
      expect(p.x).toBeLessThanOrEqual(width);
      expect(p.y).toBeLessThanOrEqual(height);
      for (const c of n.children) expect(pos.get(c.id)!.y).toBeGreaterThan(p.y);
    }
    expect(spots.size).toBe(nodes.length);
  });

  it('gives each metric a per-node share that adds up to the plan total', () => {
    const time = nodes.reduce((t, n) => t + metricValue(n, 'time'), 0);
    // Parallel nodes report per-process averages times loops: the sum is within 2% of the wall time.
    expect(Math.abs(time - root.inclusiveMs!) / root.inclusiveMs!).toBeLessThan(0.02);
    for (const n of nodes) expect(metricValue(n, 'time')).toBeGreaterThanOrEqual(0);
    const buffers = nodes.reduce((t, n) => t + metricValue(n, 'buffers'), 0);
    expect(buffers).toBe((root.sharedHit ?? 0) + (root.sharedRead ?? 0));
    expect(nodes.some((n) => metricValue(n, 'cost') > 0)).toBe(true);
    expect(metricValue(root, 'rows')).toBe(root.actualRows);
  });

  it('reports JIT, I/O timing and workers from the raw plan', () => {
    const facts = Object.fromEntries(planFacts(raw));
    expect(facts.JIT).toMatch(/\d+ functions, [\d.]+ m?s \(generation .*inlining .*optimization .*emission/);
    expect(facts.Settings).toContain('jit_above_cost');
    const gather = nodes.find((n) => n.nodeType === 'Gather' || n.nodeType === 'Gather Merge')!;
    const gatherFacts = Object.fromEntries(nodeFacts(gather));
    expect(gatherFacts.Workers).toMatch(/launched of 2 planned/);
    const scan = nodes.find((n) => Array.isArray(n.raw.Workers) && n.nodeType.includes('Scan'))!;
    expect(nodeFacts(scan).some(([k]) => k.startsWith('Worker '))).toBe(true);
    expect(nodeFacts(scan).some(([k]) => k === 'I/O timing')).toBe(true);
  });

  it('gives PEV2 the EXPLAIN JSON as PostgreSQL printed it', () => {
    const text = pev2Text(raw);
    expect(JSON.parse(text)).toEqual(raw);
    // A single plan object is wrapped in the array EXPLAIN returns.
    expect(JSON.parse(pev2Text(raw[0]))).toEqual(raw);
  });
});
