/**
 * A layered (Sugiyama-style) layout for ER diagrams, fast enough for thousands of tables:
 * referenced tables above the tables that reference them (longest path from the sinks, cycles
 * broken by a depth-first search), the order within each layer from a few barycenter sweeps,
 * wide layers wrapped into rows, x positions pulled towards each table's neighbours, and edge
 * end points spread along the sides of the boxes. No DOM, no dependencies: it runs in a Web
 * Worker (web/layout/worker.ts) and in Node (unit tests). Same input, same output.
 *
 * It is O(E · sweeps + N log N): 1,000 tables with 1,800 foreign keys lay out in tens of
 * milliseconds, where Mermaid's dagre needs about 46 s on the main thread (docs/FACTS).
 */

export interface LayoutNode {
  id: string;
  width: number;
  height: number;
}

/** `from` holds the foreign key (the "many" side), `to` is referenced. */
export interface LayoutEdge {
  id: string;
  from: string;
  to: string;
}

export interface LayoutOptions {
  /** Horizontal gap between boxes. */
  nodeGap?: number;
  /** Vertical gap between rows. */
  rowGap?: number;
  /** Barycenter sweeps (each one down and one up). */
  sweeps?: number;
  /** Wrap layers wider than this many boxes into several rows (default from the graph's size). */
  maxPerRow?: number;
  /** Width / height the picture aims at (default 1.6, a landscape screen). */
  aspect?: number;
  onProgress?: (phase: string, done: number) => void;
}

export interface PlacedEdge {
  id: string;
  /** Start (on `from`'s box) and end (on `to`'s box), with the side each leaves from. */
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  /** 'v': leaves the top/bottom sides (vertical tangents); 'h': the left/right sides. */
  shape: 'v' | 'h' | 'loop';
}

export interface LayoutResult {
  /** Top-left corner of each box. */
  positions: Record<string, { x: number; y: number }>;
  edges: PlacedEdge[];
  width: number;
  height: number;
  rows: number;
}

export function layeredLayout(nodes: LayoutNode[], edges: LayoutEdge[], options: LayoutOptions = {}): LayoutResult {
  const nodeGap = options.nodeGap ?? 48;
  const rowGap = options.rowGap ?? 72;
  const sweeps = options.sweeps ?? 4;
  const progress = options.onProgress ?? (() => {});
  const n = nodes.length;
  const index = new Map<string, number>();
  nodes.forEach((node, i) => index.set(node.id, i));
  const valid = edges.filter((e) => index.has(e.from) && index.has(e.to));

  // ---- Cycle breaking: a DFS from each node in input order; back edges are reversed. ----
  const out: number[][] = Array.from({ length: n }, () => []);
  for (const e of valid) {
    const a = index.get(e.from)!;
    const b = index.get(e.to)!;
    if (a !== b) out[a]!.push(b);
  }
  const state = new Uint8Array(n); // 0 new, 1 on stack, 2 done
  const dagOut: number[][] = Array.from({ length: n }, () => []);
  for (let root = 0; root < n; root++) {
    if (state[root]) continue;
    const stack: [number, number][] = [[root, 0]];
    state[root] = 1;
    while (stack.length) {
      const top = stack[stack.length - 1]!;
      const [v, i] = top;
      if (i < out[v]!.length) {
        top[1]++;
        const w = out[v]![i]!;
        if (state[w] === 1) dagOut[w]!.push(v); // back edge: reversed
        else {
          dagOut[v]!.push(w);
          if (state[w] === 0) {
            state[w] = 1;
            stack.push([w, 0]);
          }
        }
      } else {
        state[v] = 2;
        stack.pop();
      }
    }
  }
  progress('layers', 0.1);

  // ---- Layers: rank 0 for tables that reference nothing; else one below what they reference. ----
  const rank = new Int32Array(n).fill(-1);
  const connected = new Uint8Array(n);
  for (let v = 0; v < n; v++) for (const w of dagOut[v]!) { connected[v] = 1; connected[w] = 1; }
  const pending = new Int32Array(n);
  const dagIn: number[][] = Array.from({ length: n }, () => []);
  for (let v = 0; v < n; v++) for (const w of dagOut[v]!) dagIn[w]!.push(v);
  const queue: number[] = [];
  for (let v = 0; v < n; v++) {
    pending[v] = dagOut[v]!.length;
    if (pending[v] === 0) { rank[v] = 0; queue.push(v); }
  }
  for (let q = 0; q < queue.length; q++) {
    const w = queue[q]!;
    for (const v of dagIn[w]!) {
      rank[v] = Math.max(rank[v]!, rank[w]! + 1);
      if (--pending[v]! === 0) queue.push(v);
    }
  }
  // Pull each referenced table down next to its nearest referrer (shorter edges).
  for (let q = queue.length - 1; q >= 0; q--) {
    const w = queue[q]!;
    if (!dagIn[w]!.length) continue;
    let nearest = Infinity;
    for (const v of dagIn[w]!) nearest = Math.min(nearest, rank[v]!);
    if (nearest - 1 > rank[w]!) rank[w] = nearest - 1;
  }
  // Connected tables by rank, then the unconnected ones on rows of their own at the bottom.
  const layerCount = n ? Math.max(0, ...Array.from(rank)) + 1 : 0;
  const layers: number[][] = Array.from({ length: layerCount }, () => []);
  const loners: number[] = [];
  for (let v = 0; v < n; v++) (connected[v] ? layers[rank[v]!]! : loners).push(v);

  // ---- Order within layers: barycenter sweeps over all neighbours in earlier / later layers. ----
  const adj: number[][] = Array.from({ length: n }, () => []);
  for (let v = 0; v < n; v++) for (const w of dagOut[v]!) { adj[v]!.push(w); adj[w]!.push(v); }
  const pos = new Float64Array(n);
  const setPos = (layer: number[]) => layer.forEach((v, i) => { pos[v] = (i + 0.5) / layer.length; });
  layers.forEach(setPos);
  const sweep = (li: number, above: boolean) => {
    const layer = layers[li]!;
    const key = new Float64Array(layer.length);
    layer.forEach((v, i) => {
      let sum = 0;
      let count = 0;
      for (const w of adj[v]!) if (above ? rank[w]! < li : rank[w]! > li) { sum += pos[w]!; count++; }
      key[i] = count ? sum / count : pos[v]!;
    });
    const order = layer.map((v, i) => ({ v, k: key[i]!, i })).sort((a, b) => a.k - b.k || a.i - b.i);
    layers[li] = order.map((o) => o.v);
    setPos(layers[li]!);
  };
  for (let s = 0; s < sweeps; s++) {
    for (let li = 1; li < layerCount; li++) sweep(li, true);
    for (let li = layerCount - 2; li >= 0; li--) sweep(li, false);
    progress('order', 0.1 + (0.6 * (s + 1)) / sweeps);
  }

  // ---- Rows: wide layers wrap, so the picture keeps a readable aspect ratio. ----
  const avgWidth = n ? nodes.reduce((a, b) => a + b.width, 0) / n : 200;
  const avgHeight = n ? nodes.reduce((a, b) => a + b.height, 0) / n : 100;
  // Aim at a picture about 1.6 times as wide as it is high.
  const target = Math.max(4, Math.ceil(Math.sqrt((n * 1.6 * (avgHeight + rowGap)) / (avgWidth + nodeGap))));
  const maxPerRow = options.maxPerRow ?? target;
  const rows: number[][] = [];
  for (const layer of layers) for (let i = 0; i < layer.length; i += maxPerRow) rows.push(layer.slice(i, i + maxPerRow));
  for (let i = 0; i < loners.length; i += maxPerRow) rows.push(loners.slice(i, i + maxPerRow));

  // ---- Coordinates ----
  const x = new Float64Array(n);
  const y = new Float64Array(n);
  const rowOf = new Int32Array(n);
  let top = 0;
  const rowWidths: number[] = [];
  rows.forEach((row, r) => {
    let left = 0;
    let height = 0;
    for (const v of row) {
      x[v] = left;
      y[v] = top;
      rowOf[v] = r;
      left += nodes[v]!.width + nodeGap;
      height = Math.max(height, nodes[v]!.height);
    }
    rowWidths.push(left - nodeGap);
    top += height + rowGap;
  });
  const rowsWidth = Math.max(0, ...rowWidths);
  // Centre each row, then pull boxes towards their neighbours' centres without overlap.
  rows.forEach((row, r) => {
    const shift = (rowsWidth - rowWidths[r]!) / 2;
    for (const v of row) x[v] = x[v]! + shift;
  });
  const centre = (v: number) => x[v]! + nodes[v]!.width / 2;
  for (let pass = 0; pass < 2; pass++) {
    const sequence = pass === 0 ? rows.map((_, r) => r) : rows.map((_, r) => rows.length - 1 - r);
    for (const r of sequence) {
      const row = rows[r]!;
      if (!row.length) continue;
      const desired = row.map((v) => {
        let sum = 0;
        let count = 0;
        for (const w of adj[v]!) if (rowOf[w] !== r) { sum += centre(w); count++; }
        return count ? sum / count - nodes[v]!.width / 2 : x[v]!;
      });
      // Left to right: at least the gap after the previous box; then right to left, the same.
      const placed = desired.slice();
      for (let i = 1; i < row.length; i++) placed[i] = Math.max(placed[i]!, placed[i - 1]! + nodes[row[i - 1]!]!.width + nodeGap);
      for (let i = row.length - 2; i >= 0; i--) placed[i] = Math.min(placed[i]!, placed[i + 1]! - nodes[row[i]!]!.width - nodeGap);
      // Keep the row where its boxes want to be on average, inside [0, width].
      const meanShift = desired.reduce((a, d, i) => a + d - placed[i]!, 0) / row.length;
      let lo = -Infinity;
      let hi = Infinity;
      lo = Math.max(lo, -placed[0]!);
      hi = Math.min(hi, rowsWidth - (placed[row.length - 1]! + nodes[row[row.length - 1]!]!.width));
      const s = Math.min(hi, Math.max(lo, meanShift));
      row.forEach((v, i) => { x[v] = placed[i]! + (Number.isFinite(s) ? s : 0); });
    }
  }
  progress('edges', 0.85);
  let minX = Infinity;
  for (let v = 0; v < n; v++) minX = Math.min(minX, x[v]!);
  if (!Number.isFinite(minX)) minX = 0;
  let maxX = 0;
  for (let v = 0; v < n; v++) { x[v] = x[v]! - minX; maxX = Math.max(maxX, x[v]! + nodes[v]!.width); }

  // ---- Bands: a picture much taller than wide (long chains of references) is folded into
  // side-by-side bands of consecutive rows, so that it fits a screen at a readable zoom. ----
  const aspect = options.aspect ?? 1.6;
  const totalHeight = Math.max(0, top - rowGap);
  const bands = maxX > 0 ? Math.max(1, Math.ceil(Math.sqrt((totalHeight * aspect) / maxX))) : 1;
  let height = totalHeight;
  let width = maxX;
  // Only pictures too tall for a screen at a readable zoom (over ~3,000 px) are folded.
  if (bands > 1 && rows.length > 1 && totalHeight > 3000) {
    const bandGap = nodeGap * 3;
    const perBand = totalHeight / bands;
    let band = 0;
    let bandTop = 0;
    height = 0;
    const rowTops = rows.map((row) => (row.length ? y[row[0]!]! : 0));
    rows.forEach((row, r) => {
      const rowHeight = Math.max(0, ...row.map((v) => nodes[v]!.height));
      if (rowTops[r]! - bandTop + rowHeight / 2 > perBand && band < bands - 1 && rowTops[r]! > bandTop) {
        band++;
        bandTop = rowTops[r]!;
      }
      for (const v of row) {
        x[v] = x[v]! + band * (maxX + bandGap);
        y[v] = y[v]! - bandTop;
        height = Math.max(height, y[v]! + nodes[v]!.height);
      }
    });
    width = (band + 1) * maxX + band * bandGap;
  }

  // ---- Edges: ports spread along each box's side, ordered by the other end's position. ----
  type Port = { edge: number; other: number; side: 'top' | 'bottom' | 'left' | 'right' };
  const ports = new Map<number, Port[]>();
  const addPort = (v: number, p: Port) => { const list = ports.get(v); if (list) list.push(p); else ports.set(v, [p]); };
  const placed: PlacedEdge[] = valid.map((e) => ({ id: e.id, x1: 0, y1: 0, x2: 0, y2: 0, shape: 'v' as const }));
  valid.forEach((e, k) => {
    const a = index.get(e.from)!;
    const b = index.get(e.to)!;
    if (a === b) {
      placed[k]!.shape = 'loop';
      return;
    }
    if (rowOf[a] === rowOf[b] || Math.abs(y[a]! - y[b]!) < 1) {
      placed[k]!.shape = 'h';
      const aLeft = x[a]! < x[b]!;
      addPort(a, { edge: k, other: b, side: aLeft ? 'right' : 'left' });
      addPort(b, { edge: k, other: a, side: aLeft ? 'left' : 'right' });
      return;
    }
    const aBelow = y[a]! > y[b]!;
    addPort(a, { edge: k, other: b, side: aBelow ? 'top' : 'bottom' });
    addPort(b, { edge: k, other: a, side: aBelow ? 'bottom' : 'top' });
  });
  for (const [v, list] of ports) {
    const node = nodes[v]!;
    for (const side of ['top', 'bottom', 'left', 'right'] as const) {
      const onSide = list.filter((p) => p.side === side);
      if (!onSide.length) continue;
      const horizontal = side === 'top' || side === 'bottom';
      onSide.sort((p, q) => (horizontal ? centre(p.other) - centre(q.other) : y[p.other]! - y[q.other]!) || p.edge - q.edge);
      onSide.forEach((p, i) => {
        const f = (i + 1) / (onSide.length + 1);
        const px = horizontal ? x[v]! + node.width * (0.2 + 0.6 * f) : side === 'left' ? x[v]! : x[v]! + node.width;
        const py = horizontal ? (side === 'top' ? y[v]! : y[v]! + node.height) : y[v]! + Math.min(node.height - 8, 16 + (node.height - 24) * f);
        const edge = placed[p.edge]!;
        if (valid[p.edge]!.from === nodes[v]!.id) { edge.x1 = px; edge.y1 = py; } else { edge.x2 = px; edge.y2 = py; }
      });
    }
  }
  valid.forEach((e, k) => {
    if (placed[k]!.shape !== 'loop') return;
    const v = index.get(e.from)!;
    const edge = placed[k]!;
    edge.x1 = x[v]! + nodes[v]!.width;
    edge.y1 = y[v]! + 14;
    edge.x2 = x[v]! + nodes[v]!.width;
    edge.y2 = y[v]! + Math.min(nodes[v]!.height - 6, 40);
  });
  const positions: Record<string, { x: number; y: number }> = {};
  for (let v = 0; v < n; v++) positions[nodes[v]!.id] = { x: Math.round(x[v]!), y: Math.round(y[v]!) };
  for (const edge of placed) {
    edge.x1 = Math.round(edge.x1); edge.y1 = Math.round(edge.y1); edge.x2 = Math.round(edge.x2); edge.y2 = Math.round(edge.y2);
  }
  progress('done', 1);
  return { positions, edges: placed, width: Math.ceil(width), height: Math.ceil(height), rows: rows.length };
}
