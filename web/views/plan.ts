/**
 * A compact plan view of our own (PEV2 keeps global state, so two plans on one page would
 * clash): one row per node with exclusive and inclusive time, rows estimated vs actual
 * with the misestimate factor, loops and buffers; the slowest and costliest nodes marked.
 */
import { h, icon, fmtMs, fmtInt, fmtFactor, fmtBlocks, type Child } from '../dom.ts';
import type { Plan, PlanNode } from '../plan-model.ts';
import { sqlBlock } from '../sql.ts';
import { copyText, openDialog } from '../ui.ts';
import { openPev2Dialog, planFacts, planGraph, type PlanGraph } from './plan-graph.ts';

export function planSummary(plan: Plan): HTMLElement {
  const items: Child[] = [];
  if (plan.executionMs !== null) items.push(h('span', null, h('b', null, fmtMs(plan.executionMs)), ' execution'));
  if (plan.planningMs !== null) items.push(h('span', null, h('b', null, fmtMs(plan.planningMs)), ' planning'));
  items.push(h('span', null, h('b', null, String(plan.nodes.length)), plan.nodes.length === 1 ? ' node' : ' nodes'));
  if (plan.totalHit !== null || plan.totalRead !== null) {
    items.push(h('span', { title: `${fmtInt(plan.totalHit)} shared blocks hit, ${fmtInt(plan.totalRead)} read` }, h('b', null, fmtInt(plan.totalHit)), ' hit · ', h('b', null, fmtInt(plan.totalRead)), ' read'));
  }
  if (!plan.analyzed) items.push(h('span', { class: 'muted' }, 'estimates only (no ANALYZE)'));
  return h('div', { class: 'plan-summary' }, items);
}

function misestimateClass(node: PlanNode): string {
  const f = node.misestimate ?? 1;
  if (f >= 100) return 'mis-bad';
  if (f >= 10) return 'mis-warn';
  return 'mis-ok';
}

const flagTitles: Record<string, string> = {
  'seq-scan-on-fk': 'A sequential scan filtering on a foreign key column: an index on that column would let this be an index scan',
};

function heat(share: number): string {
  if (share >= 0.5) return 'heat-3';
  if (share >= 0.2) return 'heat-2';
  if (share >= 0.05) return 'heat-1';
  return 'heat-0';
}

/** The plan as a tree-table. `large` gives the full-size layout (details always shown). */
export function planTree(plan: Plan, options: { large?: boolean } = {}): HTMLElement {
  const total = plan.root.inclusiveMs ?? 0;
  const grid = h('div', { class: `plan-grid${options.large ? ' large' : ''}`, role: 'tree', 'aria-label': 'Query plan' });
  grid.appendChild(
    h('div', { class: 'plan-row plan-head', role: 'presentation' },
      h('div', null, 'Node'),
      h('div', { title: 'Time spent in this node alone, summed over loops' }, 'Exclusive'),
      h('div', { title: 'Time including children, summed over loops' }, 'Inclusive'),
      h('div', { title: 'Actual rows vs planner estimate (both summed over loops); the factor is how far off the estimate was' }, 'Rows actual / est.'),
      h('div', null, 'Loops'),
      h('div', { title: 'Shared buffers hit / read (this node and its children)' }, 'Buffers'),
    ),
  );
  const rows: { node: PlanNode; el: HTMLElement; toggle: HTMLButtonElement | null }[] = [];
  const collapsed = new Set<number>();
  const refresh = () => {
    const hiddenBelow: number[] = [];
    for (const row of rows) {
      while (hiddenBelow.length && row.node.depth <= hiddenBelow[hiddenBelow.length - 1]!) hiddenBelow.pop();
      row.el.hidden = hiddenBelow.length > 0;
      if (collapsed.has(row.node.id)) hiddenBelow.push(row.node.depth);
      if (row.toggle) {
        const open = !collapsed.has(row.node.id);
        row.toggle.setAttribute('aria-expanded', String(open));
        row.el.setAttribute('aria-expanded', String(open));
      }
    }
  };
  for (const node of plan.nodes) {
    const share = total > 0 && node.exclusiveMs !== null ? node.exclusiveMs / total : 0;
    const badges: Child[] = [];
    if (node.slowest) badges.push(h('span', { class: 'badge badge-hot', title: 'Most exclusive time in this plan' }, 'slowest'));
    if (node.costliest) badges.push(h('span', { class: 'badge badge-cost', title: 'Highest exclusive planner cost in this plan' }, 'costliest'));
    if (node.worstEstimate) badges.push(h('span', { class: 'badge badge-warn', title: 'Rows per loop off the planner\'s estimate by 10× or more' }, 'misestimate'));
    if (node.misestimateExempt) badges.push(h('span', { class: 'badge', title: `Not a misestimate: ${node.misestimateExempt}` }, 'stops early'));
    for (const flag of node.flags) badges.push(h('span', { class: 'badge badge-warn', title: flagTitles[flag] ?? flag }, flag.replace(/-/g, ' ')));
    if (node.loops > 1) badges.push(h('span', { class: 'badge', title: `Ran ${node.loops} times` }, `${fmtInt(node.loops)} loops`));
    const toggle = node.children.length > 0
      ? h('button', { class: 'tree-toggle', 'aria-label': `Collapse ${node.nodeType}`, 'aria-expanded': 'true', onClick: () => {
          if (collapsed.has(node.id)) collapsed.delete(node.id); else collapsed.add(node.id);
          refresh();
        } }, icon('chevron', 14))
      : null;
    const details = node.details.length
      ? h('div', { class: 'plan-details' }, node.details.map(([k, v]) => h('div', null, h('span', { class: 'muted' }, `${k}: `), h('code', null, v))))
      : null;
    const el = h('div', {
        class: `plan-row${node.slowest ? ' is-slowest' : ''}${node.costliest ? ' is-costliest' : ''}`,
        role: 'treeitem', 'aria-level': node.depth + 1, 'data-node': node.id, 'data-node-type': node.nodeType,
      },
      h('div', { class: 'plan-node', style: `--depth:${node.depth}` },
        h('div', { class: 'plan-node-line' },
          toggle ?? h('span', { class: 'tree-spacer' }),
          node.parentRelationship && node.parentRelationship !== 'Outer' && node.parentRelationship !== 'Inner' && node.parentRelationship !== 'Member'
            ? h('span', { class: 'plan-rel muted' }, node.parentRelationship) : null,
          h('span', { class: 'plan-type' }, node.nodeType),
          node.title ? h('span', { class: 'plan-title' }, node.title) : null,
          badges,
        ),
        details,
      ),
      h('div', { class: 'num plan-excl' },
        h('div', { class: 'time-bar' }, h('span', { class: heat(share), style: `width:${Math.max(share > 0 ? 2 : 0, Math.round(share * 100))}%` })),
        h('span', null, fmtMs(node.exclusiveMs)),
        h('span', { class: 'muted pct' }, total > 0 && node.exclusiveMs !== null ? `${Math.round(share * 100)}%` : ''),
      ),
      h('div', { class: 'num' }, fmtMs(node.inclusiveMs)),
      h('div', { class: 'num' },
        h('span', null, node.actualRows === null ? '–' : fmtInt(node.actualRows)),
        h('span', { class: 'muted' }, ` / ${fmtInt(node.planRows)}`),
        node.misestimate !== null && node.misestimate >= 2
          ? h('span', { class: `mis ${misestimateClass(node)}`, title: node.misestimateDirection === 'under' ? 'More rows than the planner expected' : 'Fewer rows than the planner expected' },
              `${node.misestimateDirection === 'under' ? '↑' : '↓'}${fmtFactor(node.misestimate)}`)
          : null,
      ),
      h('div', { class: 'num' }, node.inclusiveMs === null ? '–' : fmtInt(node.loops)),
      h('div', { class: 'num', title: node.sharedHit === null ? '' : `${fmtInt(node.sharedHit)} hit (${fmtBlocks(node.sharedHit)}), ${fmtInt(node.sharedRead)} read; this node alone: ${fmtInt(node.exclusiveHit)} hit, ${fmtInt(node.exclusiveRead)} read` },
        node.sharedHit === null ? '–' : h('span', null, fmtInt(node.sharedHit), h('span', { class: 'muted' }, ` / ${fmtInt(node.sharedRead)}`)),
      ),
    );
    rows.push({ node, el, toggle });
    grid.appendChild(el);
  }
  return grid;
}

export interface PlanContext {
  title: string;
  sql?: string;
  /** The EXPLAIN (FORMAT JSON) output as PostgreSQL returned it (copy / PEV2 export). */
  raw?: unknown;
}

/** The raw EXPLAIN JSON of a plan: as given, else rebuilt from the root's own JSON node. */
function rawOf(plan: Plan, context: PlanContext): unknown {
  if (context.raw !== undefined && context.raw !== null) return context.raw;
  const top: Record<string, unknown> = { Plan: plan.root.raw };
  if (plan.planningMs !== null) top['Planning Time'] = plan.planningMs;
  if (plan.executionMs !== null && plan.analyzed) top['Execution Time'] = plan.executionMs;
  return [top];
}

function planFactsLine(raw: unknown): HTMLElement | null {
  const facts = planFacts(raw);
  return facts.length ? h('div', { class: 'plan-facts small', 'data-testid': 'plan-facts' }, facts.map(([k, v]) => h('span', null, h('span', { class: 'muted' }, `${k}: `), v))) : null;
}

/** Grid and graph side by side, a click in one marking the same node in the other. */
function gridAndGraph(plan: Plan, options: { large?: boolean; graphHeight?: number }): { element: HTMLElement; graph: PlanGraph } {
  const grid = planTree(plan, { large: options.large });
  const rowsById = new Map<number, HTMLElement>();
  for (const row of grid.querySelectorAll<HTMLElement>('.plan-row[data-node]')) rowsById.set(Number(row.dataset.node), row);
  const mark = (id: number | null) => {
    for (const [rid, row] of rowsById) row.classList.toggle('is-picked', rid === id);
    if (id !== null) rowsById.get(id)?.scrollIntoView({ block: 'nearest' });
  };
  const graph = planGraph(plan.root, { onPick: mark, height: options.graphHeight });
  grid.addEventListener('click', (e) => {
    if ((e.target as Element).closest('.tree-toggle')) return;
    const row = (e.target as Element).closest<HTMLElement>('.plan-row[data-node]');
    if (!row) return;
    const id = Number(row.dataset.node);
    mark(id);
    graph.pick(id);
  });
  return { element: h('div', { class: 'plan-split' }, graph.element, h('div', { class: 'plan-split-grid' }, grid)), graph };
}

/** The plan for one statement: summary, grid or graph, copy / PEV2 export, and full size. */
export function planPanel(plan: Plan | null, context: PlanContext): HTMLElement {
  if (!plan) return h('div', { class: 'notice' }, 'No plan for this statement.');
  const raw = rawOf(plan, context);
  const body = h('div', { class: 'plan-body' }, planTree(plan));
  let mode: 'grid' | 'graph' = 'grid';
  let graph: PlanGraph | null = null;
  const modeButton = h('button', { class: 'btn btn-ghost btn-sm', 'data-testid': 'plan-graph-toggle', 'aria-pressed': 'false', onClick: () => {
    mode = mode === 'grid' ? 'graph' : 'grid';
    graph?.destroy();
    graph = null;
    if (mode === 'graph') {
      const both = gridAndGraph(plan, {});
      graph = both.graph;
      body.replaceChildren(both.element);
    } else body.replaceChildren(planTree(plan));
    modeButton.setAttribute('aria-pressed', String(mode === 'graph'));
    modeButton.replaceChildren(icon('table', 14), mode === 'graph' ? 'Grid only' : 'Graph');
  } }, icon('table', 14), 'Graph');
  return h('div', { class: 'plan' },
    h('div', { class: 'plan-bar' },
      planSummary(plan),
      h('div', { class: 'plan-actions' },
        modeButton,
        h('button', { class: 'btn btn-ghost btn-sm', 'data-testid': 'copy-plan-json', title: 'The EXPLAIN (FORMAT JSON) output, as PostgreSQL returned it', onClick: () => copyText(JSON.stringify(raw, null, 2), 'plan JSON') }, icon('copy', 14), 'Copy plan JSON'),
        h('button', { class: 'btn btn-ghost btn-sm', 'data-testid': 'plan-pev2', title: 'The plan as text PEV2 (explain.dalibo.com) reads', onClick: () => openPev2Dialog(raw, context.sql) }, icon('link', 14), 'PEV2 format'),
        h('button', { class: 'btn btn-ghost btn-sm', onClick: () => openPlanFull(plan, { ...context, raw }), 'aria-label': `Open the plan of ${context.title} full size` }, icon('expand', 14), 'Full size'),
      ),
    ),
    planFactsLine(raw),
    body,
  );
}

export function openPlanFull(plan: Plan, context: PlanContext): void {
  const raw = rawOf(plan, context);
  const both = gridAndGraph(plan, { large: true, graphHeight: 460 });
  openDialog({
    title: context.title,
    className: 'plan-dialog',
    onClose: () => both.graph.destroy(),
    body: h('div', { class: 'plan-full' },
      context.sql ? h('details', { class: 'plan-full-sql', open: true }, h('summary', null, 'SQL'), sqlBlock(context.sql)) : null,
      h('div', { class: 'plan-bar' }, planSummary(plan),
        h('div', { class: 'plan-actions' },
          h('button', { class: 'btn btn-ghost btn-sm', onClick: () => copyText(JSON.stringify(raw, null, 2), 'plan JSON') }, icon('copy', 14), 'Copy plan JSON'),
          h('button', { class: 'btn btn-ghost btn-sm', onClick: () => openPev2Dialog(raw, context.sql) }, icon('link', 14), 'PEV2 format'))),
      planFactsLine(raw),
      both.element,
    ),
  });
}
