/**
 * The plan as a graph, at the level people know from PEV2: a top-down node tree (root on
 * top, each line as thick as the rows flowing up it), nodes coloured by a chosen metric
 * (time, rows, buffers, cost), the critical path marked, and a details card per node with
 * workers, I/O timing and the condition lines. Plan-wide facts (planning, execution, JIT,
 * triggers, I/O) above it; "Copy plan JSON" and the PEV2-compatible text beside them.
 *
 * It reads only `GraphNode` (below), which the page's plan model fills from the server's
 * nodes, and the raw EXPLAIN JSON for the plan-wide facts; no DOM outside its own elements.
 */
import { h, icon, s, mount, fmtMs, fmtInt, fmtFactor, fmtBlocks, type Child } from '../dom.ts';
import { copyText, download, openDialog, segmented } from '../ui.ts';
import { panZoom, type PanZoom } from '../panzoom.ts';

export interface GraphNode {
  id: number;
  nodeType: string;
  /** One line: "on users u0", "using users_pkey on users". */
  title: string;
  parentRelationship: string | null;
  loops: number;
  exclusiveMs: number | null;
  inclusiveMs: number | null;
  /** Rows over all loops (rows × loops); null without ANALYZE. */
  actualRows: number | null;
  planRows: number;
  misestimate: number | null;
  misestimateDirection: 'under' | 'over' | null;
  exclusiveCost: number;
  totalCost: number;
  exclusiveHit: number | null;
  exclusiveRead: number | null;
  sharedHit: number | null;
  sharedRead: number | null;
  details: [string, string][];
  /** The node's own EXPLAIN JSON object (workers, I/O timing, …), or {} when not known. */
  raw: Record<string, unknown>;
  children: GraphNode[];
}

export type PlanMetric = 'time' | 'rows' | 'buffers' | 'cost';

export const metricLabels: Record<PlanMetric, string> = { time: 'Time', rows: 'Rows', buffers: 'Buffers', cost: 'Cost' };

/** A node's own share of a metric (exclusive, so the shares of a plan add up to its total). */
export function metricValue(node: GraphNode, metric: PlanMetric): number {
  switch (metric) {
    case 'time': return node.exclusiveMs ?? 0;
    case 'rows': return node.actualRows ?? node.planRows;
    case 'buffers': return (node.exclusiveHit ?? 0) + (node.exclusiveRead ?? 0);
    case 'cost': return node.exclusiveCost;
  }
}

export function formatMetric(value: number, metric: PlanMetric): string {
  switch (metric) {
    case 'time': return fmtMs(value);
    case 'rows': return `${fmtInt(value)} rows`;
    case 'buffers': return `${fmtInt(value)} blocks`;
    case 'cost': return `cost ${value >= 100 ? fmtInt(Math.round(value)) : value.toFixed(2)}`;
  }
}

export function flatten(root: GraphNode): GraphNode[] {
  const out: GraphNode[] = [];
  const walk = (n: GraphNode) => { out.push(n); n.children.forEach(walk); };
  walk(root);
  return out;
}

/**
 * The critical path: from the root, always into the child that took longest (inclusive time;
 * total cost without ANALYZE). What to read first in a slow plan.
 */
export function criticalPath(root: GraphNode): Set<number> {
  const analyzed = root.inclusiveMs !== null;
  const weight = (n: GraphNode) => (analyzed ? (n.inclusiveMs ?? 0) : n.totalCost);
  const path = new Set<number>([root.id]);
  let node = root;
  while (node.children.length) {
    let best = node.children[0]!;
    for (const c of node.children) if (weight(c) > weight(best)) best = c;
    path.add(best.id);
    node = best;
  }
  return path;
}

let graphs = 0;
const nodeW = 210;
const nodeH = 74;
const gapX = 26;
const gapY = 48;

/** Tidy top-down tree: leaves in slots left to right, each parent centred over its children. */
export function treeLayout(root: GraphNode): { pos: Map<number, { x: number; y: number }>; width: number; height: number } {
  const pos = new Map<number, { x: number; y: number }>();
  let slot = 0;
  let maxDepth = 0;
  const place = (n: GraphNode, depth: number): number => {
    maxDepth = Math.max(maxDepth, depth);
    let x: number;
    if (!n.children.length) x = slot++ * (nodeW + gapX);
    else {
      const xs = n.children.map((c) => place(c, depth + 1));
      x = (xs[0]! + xs[xs.length - 1]!) / 2;
    }
    pos.set(n.id, { x, y: depth * (nodeH + gapY) });
    return x;
  };
  place(root, 0);
  return { pos, width: Math.max(1, slot) * (nodeW + gapX) - gapX, height: (maxDepth + 1) * (nodeH + gapY) - gapY };
}

/**
 * How hot a node is drawn, 0–3: by its share of the plan's total, and (as PEV2 does) by its
 * value against the largest node's, whichever is hotter. So the node that costs most is always
 * marked, also when the time is spread over many nodes and none reaches a fifth of the total.
 */
export function heat(value: number, total: number, max: number): number {
  if (!(value > 0) || !(total > 0) || !(max > 0)) return 0;
  const share = value / total;
  const relative = value / max;
  const byShare = share >= 0.5 ? 3 : share >= 0.2 ? 2 : share >= 0.05 ? 1 : 0;
  const byMax = relative >= 0.75 ? 3 : relative >= 0.4 ? 2 : relative >= 0.15 ? 1 : 0;
  return Math.max(byShare, byMax);
}

const clip = (text: string, n: number) => (text.length > n ? `${text.slice(0, n - 1)}…` : text);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** Workers, I/O timing and other per-node facts from the raw node, as label/value pairs. */
export function nodeFacts(node: GraphNode): [string, string][] {
  const r = node.raw;
  const out: [string, string][] = [];
  const planned = num(r['Workers Planned']);
  const launched = num(r['Workers Launched']);
  if (planned !== null || launched !== null) out.push(['Workers', `${launched ?? '?'} launched of ${planned ?? '?'} planned`]);
  const workers = Array.isArray(r.Workers) ? (r.Workers as Record<string, unknown>[]) : [];
  for (const w of workers) {
    const n = num(w['Worker Number']);
    const t = num(w['Actual Total Time']);
    const rows = num(w['Actual Rows']);
    out.push([`Worker ${n ?? '?'}`, [t !== null ? fmtMs(t) : null, rows !== null ? `${fmtInt(rows)} rows` : null].filter(Boolean).join(' · ')]);
  }
  const ioRead = num(r['I/O Read Time']) ?? num(r['Shared I/O Read Time']);
  const ioWrite = num(r['I/O Write Time']) ?? num(r['Shared I/O Write Time']);
  if (ioRead !== null || ioWrite !== null) out.push(['I/O timing', `read ${fmtMs(ioRead ?? 0)}, write ${fmtMs(ioWrite ?? 0)}`]);
  const dirtied = num(r['Shared Dirtied Blocks']);
  const written = num(r['Shared Written Blocks']);
  if (dirtied || written) out.push(['Dirtied / written', `${fmtInt(dirtied ?? 0)} / ${fmtInt(written ?? 0)} blocks`]);
  const tempRead = num(r['Temp Read Blocks']);
  const tempWritten = num(r['Temp Written Blocks']);
  if (tempRead || tempWritten) out.push(['Temp blocks', `${fmtInt(tempRead ?? 0)} read, ${fmtInt(tempWritten ?? 0)} written`]);
  const peak = num(r['Peak Memory Usage']);
  if (peak !== null) out.push(['Peak memory', `${fmtInt(peak)} kB`]);
  return out;
}

/** Plan-wide facts from the raw EXPLAIN JSON: JIT, triggers, I/O timing, settings. */
export function planFacts(raw: unknown): [string, string][] {
  const top = (Array.isArray(raw) ? raw[0] : raw) as Record<string, unknown> | undefined;
  if (!top || typeof top !== 'object') return [];
  const out: [string, string][] = [];
  const jit = top.JIT as Record<string, unknown> | undefined;
  if (jit && typeof jit === 'object') {
    const timing = (jit.Timing ?? {}) as Record<string, unknown>;
    const total = num(timing.Total) ?? num((timing.Total as Record<string, unknown> | undefined)?.['Total']);
    const parts = ['Generation', 'Inlining', 'Optimization', 'Emission'].map((k) => {
      const v = num(timing[k]) ?? num((timing[k] as Record<string, unknown> | undefined)?.Total);
      return v !== null ? `${k.toLowerCase()} ${fmtMs(v)}` : null;
    }).filter(Boolean);
    out.push(['JIT', `${fmtInt(num(jit.Functions) ?? 0)} functions${total !== null ? `, ${fmtMs(total)}` : ''}${parts.length ? ` (${parts.join(', ')})` : ''}`]);
  }
  const triggers = Array.isArray(top.Triggers) ? (top.Triggers as Record<string, unknown>[]) : [];
  for (const t of triggers) out.push([`Trigger ${String(t['Trigger Name'] ?? '')}`, `${fmtMs(num(t.Time) ?? 0)} × ${fmtInt(num(t.Calls) ?? 0)} calls`]);
  const plan = top.Plan as Record<string, unknown> | undefined;
  const ioRead = num(plan?.['I/O Read Time']) ?? num(plan?.['Shared I/O Read Time']);
  if (ioRead !== null) out.push(['I/O read time', fmtMs(ioRead)]);
  const settings = top.Settings as Record<string, unknown> | undefined;
  if (settings && typeof settings === 'object' && Object.keys(settings).length) out.push(['Settings', Object.entries(settings).map(([k, v]) => `${k}=${String(v)}`).join(', ')]);
  return out;
}

/** EXPLAIN (FORMAT JSON) text as PostgreSQL prints it: what PEV2 (explain.dalibo.com) reads. */
export function pev2Text(raw: unknown): string {
  return JSON.stringify(Array.isArray(raw) ? raw : [raw], null, 2);
}

export function openPev2Dialog(raw: unknown, sql: string | undefined): void {
  const text = pev2Text(raw);
  openDialog({
    title: 'Plan in PEV2-compatible format',
    className: 'pev2-dialog',
    body: h('div', { class: 'pev2-export', 'data-testid': 'pev2-export' },
      h('p', { class: 'small' }, 'This is the plan as PostgreSQL’s EXPLAIN (FORMAT JSON) prints it. Paste it into PEV2 (for example ',
        h('a', { href: 'https://explain.dalibo.com/', target: '_blank', rel: 'noopener noreferrer' }, 'explain.dalibo.com'),
        ') with the query below. relscope sends it nowhere itself.'),
      h('textarea', { class: 'pev2-text mono', readonly: true, rows: 14, spellcheck: 'false', 'aria-label': 'Plan JSON', 'data-testid': 'pev2-json' }, text),
      sql ? h('textarea', { class: 'pev2-text mono', readonly: true, rows: 4, spellcheck: 'false', 'aria-label': 'Query' }, sql) : null,
      h('div', { class: 'row-buttons' },
        h('button', { class: 'btn btn-sm', onClick: () => copyText(text, 'plan JSON') }, icon('copy', 14), 'Copy plan JSON'),
        sql ? h('button', { class: 'btn btn-sm', onClick: () => copyText(sql, 'query') }, icon('copy', 14), 'Copy query') : null,
        h('button', { class: 'btn btn-sm', onClick: () => download('plan.json', text, 'application/json') }, icon('download', 14), 'Download plan.json')),
    ),
  });
}

export interface PlanGraph {
  element: HTMLElement;
  /** Marks a node (from a click in the grid); the graph scrolls it into view. */
  pick(id: number | null): void;
  destroy(): void;
}

/**
 * The graph with its metric picker and details card. `onPick` tells the caller which node was
 * clicked, so the grid beside it can highlight the same row.
 */
export function planGraph(root: GraphNode, options: { onPick?: (id: number | null) => void; height?: number } = {}): PlanGraph {
  const uid = ++graphs;
  const nodes = flatten(root);
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const analyzed = root.inclusiveMs !== null;
  let metric: PlanMetric = analyzed ? 'time' : 'cost';
  let picked: number | null = null;
  const critical = criticalPath(root);
  const { pos, width, height } = treeLayout(root);
  const pad = 16;

  const svg = s('svg', { class: 'plan-graph-svg', viewBox: `${-pad} ${-pad} ${width + pad * 2} ${height + pad * 2}`, width: width + pad * 2, height: height + pad * 2, role: 'img', 'aria-label': 'Plan graph' });
  const edgeLayer = s('g', { class: 'pg-edges' });
  const nodeLayer = s('g', { class: 'pg-nodes' });
  svg.append(edgeLayer, nodeLayer);
  const maxRows = Math.max(1, ...nodes.map((n) => n.actualRows ?? n.planRows));
  for (const n of nodes) {
    const p = pos.get(n.id)!;
    for (const c of n.children) {
      const q = pos.get(c.id)!;
      const x1 = p.x + nodeW / 2;
      const y1 = p.y + nodeH;
      const x2 = q.x + nodeW / 2;
      const y2 = q.y;
      const rows = c.actualRows ?? c.planRows;
      const widthPx = 1.5 + 10 * Math.sqrt(rows / maxRows);
      const d = (y2 - y1) / 2;
      edgeLayer.append(s('path', {
        class: `pg-edge${critical.has(c.id) && critical.has(n.id) ? ' is-critical' : ''}`,
        d: `M${x1} ${y1}C${x1} ${y1 + d} ${x2} ${y2 - d} ${x2} ${y2}`,
        'stroke-width': widthPx.toFixed(1),
      }, s('title', null, `${fmtInt(rows)} rows${c.actualRows === null ? ' (estimated)' : ''} from ${c.nodeType} to ${n.nodeType}`)));
    }
  }
  const cards = new Map<number, SVGGElement>();
  for (const n of nodes) {
    const p = pos.get(n.id)!;
    const g = s('g', { class: `pg-node${critical.has(n.id) ? ' is-critical' : ''}`, transform: `translate(${p.x},${p.y})`, tabindex: '0', role: 'button', 'data-node': n.id, 'data-testid': 'plan-graph-node', 'aria-label': `${n.nodeType} ${n.title}` },
      s('rect', { class: 'pg-box', width: nodeW, height: nodeH, rx: 7 }),
      s('rect', { class: 'pg-heat', width: 6, height: nodeH, rx: 3 }),
      s('text', { class: 'pg-type', x: 14, y: 20 }, clip(n.nodeType, 27)),
      s('text', { class: 'pg-title', x: 14, y: 38 }, clip(n.title || (n.parentRelationship ?? ''), 31)),
      s('text', { class: 'pg-metric', x: 14, y: 60 }),
      s('text', { class: 'pg-flags', x: nodeW - 10, y: 60, 'text-anchor': 'end' }),
    );
    g.addEventListener('click', () => choose(picked === n.id ? null : n.id));
    g.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' || e.key === ' ') {
        e.preventDefault();
        choose(picked === n.id ? null : n.id);
      }
    });
    cards.set(n.id, g);
    nodeLayer.append(g);
  }

  const canvas = h('div', { class: 'plan-graph-canvas', tabindex: '0', 'aria-label': 'Plan graph. Drag to pan, wheel to zoom.', style: `height:${options.height ?? 360}px` }, svg);
  const details = h('div', { class: 'plan-graph-details', 'data-testid': 'plan-node-details' });
  const picker = h('div', { class: 'plan-graph-metric' });
  const legend = h('div', { class: 'plan-graph-legend muted small' });
  const element = h('div', { class: 'plan-graph', 'data-testid': 'plan-graph' },
    h('div', { class: 'plan-graph-bar' }, h('span', { class: 'small muted' }, 'Highlight'), picker, legend),
    h('div', { class: 'plan-graph-main' }, canvas, details));

  const paint = () => {
    const values = nodes.map((n) => metricValue(n, metric));
    const total = values.reduce((a, b) => a + b, 0);
    const max = Math.max(0, ...values);
    nodes.forEach((n, i) => {
      const g = cards.get(n.id)!;
      const share = total > 0 ? values[i]! / total : 0;
      g.setAttribute('data-heat', String(heat(values[i]!, total, max)));
      g.querySelector('.pg-metric')!.textContent = `${formatMetric(values[i]!, metric)}${total > 0 ? ` · ${Math.round(share * 100)}%` : ''}`;
      const flags: string[] = [];
      if ((n.misestimate ?? 0) >= 10) flags.push(`${n.misestimateDirection === 'under' ? '↑' : '↓'}${fmtFactor(n.misestimate)}`);
      if (n.loops > 1) flags.push(`×${fmtInt(n.loops)}`);
      if (num(n.raw['Workers Launched']) !== null) flags.push(`${num(n.raw['Workers Launched'])}w`);
      g.querySelector('.pg-flags')!.textContent = flags.join(' ');
      g.classList.toggle('is-picked', n.id === picked);
    });
    legend.replaceChildren(h('span', { class: 'pg-legend-critical' }), ' critical path · colour: own share (largest darkest) · line width: rows');
    mount(picker, segmented(`plan-metric-${uid}`, 'Highlight nodes by', (['time', 'rows', 'buffers', 'cost'] as PlanMetric[]).map((m) => ({
      value: m, label: metricLabels[m], title: m === 'time' && !analyzed ? 'No ANALYZE: no times in this plan' : `Colour each node by its own share of the plan’s ${metricLabels[m].toLowerCase()}`,
    })), metric, (m) => {
      metric = m;
      paint();
    }));
    // Each graph's radio group has its own name; tests find the choices by their labels.
    for (const label of picker.querySelectorAll('label')) label.setAttribute('data-testid', `plan-metric-${label.htmlFor.slice(label.htmlFor.lastIndexOf('-') + 1)}`);
    renderDetails();
  };

  const renderDetails = () => {
    const n = picked === null ? null : byId.get(picked);
    if (!n) {
      mount(details, h('p', { class: 'muted small' }, 'Click a node for its details. The ', h('b', null, 'critical path'), ' (outlined) follows the slowest child from the top.'));
      return;
    }
    const rows: [string, Child][] = [
      ['Exclusive', n.exclusiveMs === null ? '–' : fmtMs(n.exclusiveMs)],
      ['Inclusive', n.inclusiveMs === null ? '–' : fmtMs(n.inclusiveMs)],
      ['Rows', `${n.actualRows === null ? '–' : fmtInt(n.actualRows)} actual / ${fmtInt(n.planRows)} estimated${n.loops > 1 ? ` (over ${fmtInt(n.loops)} loops)` : ''}`],
      ['Misestimate', n.misestimate === null ? '–' : `${fmtFactor(n.misestimate)} ${n.misestimateDirection === 'under' ? '(more rows than estimated)' : n.misestimateDirection === 'over' ? '(fewer rows than estimated)' : ''}`],
      ['Buffers', n.sharedHit === null ? '–' : `${fmtInt(n.exclusiveHit)} hit / ${fmtInt(n.exclusiveRead)} read here (${fmtBlocks((n.exclusiveHit ?? 0) + (n.exclusiveRead ?? 0))}); ${fmtInt(n.sharedHit)} / ${fmtInt(n.sharedRead)} with children`],
      ['Cost', `${n.exclusiveCost.toFixed(2)} here, ${n.totalCost.toFixed(2)} total`],
      ...nodeFacts(n),
      ...n.details,
    ];
    mount(details,
      h('div', { class: 'pg-details-head' }, h('b', null, n.nodeType), critical.has(n.id) ? h('span', { class: 'badge badge-hot' }, 'critical path') : null),
      n.title ? h('div', { class: 'small mono' }, n.title) : null,
      h('dl', { class: 'pg-facts' }, rows.map(([k, v]) => [h('dt', null, k), h('dd', null, v)])));
  };

  let pz: PanZoom | null = null;
  const choose = (id: number | null) => {
    picked = id;
    paint();
    options.onPick?.(id);
  };
  // Pan and zoom once the graph is in the page (it needs the canvas's size).
  requestAnimationFrame(() => {
    if (!canvas.isConnected) return;
    pz = panZoom(canvas, svg);
    // A tall plan fitted whole is too small to read: start readable, the root at the top.
    if (pz.scale() < 0.6) {
      const rootPos = pos.get(root.id)!;
      pz.moveTo(0.7, rootPos.x + pad + nodeW / 2, rootPos.y + pad, canvas.clientWidth / 2, 16);
    }
  });
  paint();

  return {
    element,
    pick(id) {
      picked = id;
      paint();
      const card = id === null ? null : cards.get(id);
      if (card && pz) pz.centerOn(card, pz.scale());
    },
    destroy() {
      pz?.destroy();
    },
  };
}
