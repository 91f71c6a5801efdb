/**
 * relscope's own ER drawing: the layout runs in a Web Worker (web/layout/), and the page
 * writes the SVG in slices of a few milliseconds each, one slice per frame, so no drawing of
 * any size holds the main thread for long. The first slice is on screen (fitted to the whole
 * picture's bounds) as soon as the layout arrives; the rest fills in. Cancellable throughout.
 *
 * Each slice is an SVG of its own (a "tile" over the whole picture, absolutely positioned,
 * lines in tiles under the tables' tiles): adding a slice then costs the browser style,
 * layout and paint for that slice only, not for everything drawn so far.
 *
 * The markup keeps the hooks the rest of the view uses: `g.rs-table[data-table]` per table,
 * `[data-from][data-to]` per line, CSS classes for selection, drift and neighbours.
 */
import type { SchemaModel } from '../../common/schema-model.ts';
import { box, type BoxSize, type BoxTable } from '../layout/boxes.ts';
import { runLayout, type LayoutJob } from '../layout/client.ts';
import type { LayoutResult, PlacedEdge } from '../layout/layered.ts';
import { boxTables, costOf, drawnRelations, recordRate, type DrawnRelation } from './diagram-scope.ts';

const svgNs = 'http://www.w3.org/2000/svg';

/**
 * Level of detail: below this scale the picture's text is under 5 px high (13 px titles,
 * 12 px rows) and cannot be read, so it is not painted, nor are the crow's-foot ends; boxes,
 * headers and lines stay. Text and markers are most of what the browser rasterises, and a
 * zoom re-rasterises what is on screen at the new scale: on 1,000 tables that was frames of
 * 100 ms to 1 s. Set through the class `rs-far` (visibility, not display: the text keeps its
 * layout, so switching back costs a repaint, not a re-layout).
 */
export const farScale = 0.4;

/**
 * Pictures of up to this many tables keep their text at every scale: painting it costs little
 * there, and a schema of 40 tables fits the screen at about 35 %, where a picture without text
 * was blank boxes until zoomed in (small, but readable names beat none).
 */
export const textAtAnyScaleUpTo = 150;

/** Tables (or lines, counted half) off screen whose detail changes in one frame: see setDetail. */
const detailPerFrame = 300;
const detailJobs = new WeakMap<HTMLElement, number>();

/**
 * Sets the picture's level of detail for scale `k` (see farScale). The class goes on each
 * tile (the picture carries it too, so that tiles drawn later start with the right detail).
 * The tiles on screen change together, in one frame: tiles overlap, and each frame that
 * changes some of them makes the browser rasterise the screen under them again. Less detail
 * comes everywhere at once (it is asked for during a zoom out, while the whole picture comes
 * into view); more detail comes on screen first, then off screen a few hundred tables per
 * frame: re-styling all 1,000 tables (some 7,000 elements) in one task takes about 100 ms
 * on a busy machine. Called with the same detail again, it changes nothing (a switch under
 * way goes on).
 */
export function setDetail(picture: HTMLElement, k: number, tables: number): void {
  const far = k < farScale && tables > textAtAnyScaleUpTo;
  if (picture.classList.contains('rs-far') === far) return;
  picture.classList.toggle('rs-far', far);
  cancelAnimationFrame(detailJobs.get(picture) ?? 0);
  const tiles = [...picture.querySelectorAll('.rs-tile')].filter((t) => t.classList.contains('rs-far') !== far);
  const view = picture.parentElement?.getBoundingClientRect();
  const onScreen = (tile: Element) => {
    if (far || !view) return true;
    const r = tile.getBoundingClientRect();
    return r.right > view.left && r.left < view.right && r.bottom > view.top && r.top < view.bottom;
  };
  const later: Element[] = [];
  for (const tile of tiles) {
    if (onScreen(tile)) tile.classList.toggle('rs-far', far);
    else later.push(tile);
  }
  const step = () => {
    let budget = detailPerFrame;
    while (later.length && budget > 0) {
      const tile = later.shift()!;
      tile.classList.toggle('rs-far', far);
      budget -= tile.classList.contains('rs-tile-edges') ? tile.childElementCount / 2 : tile.childElementCount;
    }
    if (later.length) detailJobs.set(picture, requestAnimationFrame(step));
  };
  if (later.length) detailJobs.set(picture, requestAnimationFrame(step));
}
const pad = 24;

/**
 * The picture is a composited layer (will-change: transform) drawn at 1/20 of its size and
 * scaled up by the transform; see layerScale in web/panzoom.ts for why.
 */
export const layerScale = 1 / 20;

export interface DrawProgress {
  phase: 'layout' | 'draw';
  done: number;
  total: number;
}

export interface Drawing {
  /** Resolves once every table is in the picture; rejects with LayoutCancelled on cancel. */
  done: Promise<{ layoutMs: number; drawMs: number; columns: boolean }>;
  cancel(): void;
}

export interface DrawHooks {
  /** The empty picture (a positioned element holding the SVG tiles), sized to the whole layout: mount it and fit the view now. */
  onPicture(picture: HTMLElement, size: { width: number; height: number }): void;
  /** After each slice; `nodes` holds the tables drawn so far. */
  onSlice(nodes: Map<string, SVGGElement>, progress: DrawProgress): void;
  onProgress(progress: DrawProgress): void;
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function tableMarkup(t: BoxTable, size: BoxSize, at: { x: number; y: number }, columns: boolean): string {
  const w = size.width;
  const parts = [
    `<g class="rs-table" data-table="${esc(t.id)}" transform="translate(${at.x},${at.y})" tabindex="0" role="button" aria-label="Table ${esc(t.id)}">`,
    `<rect class="rs-box" width="${w}" height="${size.height}" rx="6"/>`,
    `<path class="rs-head" d="M0 6a6 6 0 0 1 6-6h${w - 12}a6 6 0 0 1 6 6v${box.headerHeight - 6}h-${w}z"/>`,
    `<text class="rs-title" x="${box.padX}" y="19">${t.full?.title ? `<title>${esc(t.full.title)}</title>` : ''}${esc(t.title)}</text>`,
  ];
  if (columns && t.rows.length) {
    t.rows.forEach((r, i) => {
      const y = box.headerHeight + i * box.rowHeight + 14;
      parts.push(`<text class="rs-row" y="${y}">${r.full ? `<title>${esc(r.full)}</title>` : ''}<tspan x="${box.padX}">${esc(r.name)}</tspan><tspan class="rs-type" x="${size.typeX}">${esc(r.type)}</tspan>${r.keys ? `<tspan class="rs-key" x="${size.keysX}">${r.keys}</tspan>` : ''}</text>`);
    });
  } else if (!columns) {
    parts.push(`<text class="rs-summary" x="${box.padX}" y="${box.headerHeight + 14}">${esc(t.summary)}</text>`);
  }
  parts.push('</g>');
  return parts.join('');
}

function edgePath(e: PlacedEdge): string {
  if (e.shape === 'loop') return `M${e.x1} ${e.y1}C${e.x1 + 44} ${e.y1 - 12} ${e.x2 + 44} ${e.y2 + 12} ${e.x2} ${e.y2}`;
  if (e.shape === 'h') {
    const d = (e.x2 - e.x1) / 2;
    return `M${e.x1} ${e.y1}C${e.x1 + d} ${e.y1} ${e.x2 - d} ${e.y2} ${e.x2} ${e.y2}`;
  }
  const d = (e.y2 - e.y1) / 2;
  return `M${e.x1} ${e.y1}C${e.x1} ${e.y1 + d} ${e.x2} ${e.y2 - d} ${e.x2} ${e.y2}`;
}

function edgeMarkup(e: PlacedEdge, r: DrawnRelation): string {
  return `<path class="rs-edge" data-from="${esc(r.from)}" data-to="${esc(r.to)}" d="${edgePath(e)}" marker-start="url(#rs-${r.fromEnd})" marker-end="url(#rs-${r.toEnd})"><title>${esc(`${r.from} (${r.label}) → ${r.to}`)}</title></path>`;
}

/** Crow's-foot ends, drawn for the end of a line (the start reuses them reversed). */
const markers = `<defs>
<marker id="rs-many" viewBox="0 0 20 20" refX="20" refY="10" markerWidth="20" markerHeight="20" markerUnits="userSpaceOnUse" orient="auto-start-reverse"><path class="rs-mark" d="M6 10H20M8 10L20 3M8 10L20 17M5 4V16"/></marker>
<marker id="rs-one" viewBox="0 0 20 20" refX="20" refY="10" markerWidth="20" markerHeight="20" markerUnits="userSpaceOnUse" orient="auto-start-reverse"><path class="rs-mark" d="M0 10H20M11 4V16M15 4V16"/></marker>
<marker id="rs-zero-one" viewBox="0 0 20 20" refX="20" refY="10" markerWidth="20" markerHeight="20" markerUnits="userSpaceOnUse" orient="auto-start-reverse"><path class="rs-mark" d="M11 10H20M15 4V16"/><circle class="rs-mark rs-mark-hollow" cx="7" cy="10" r="3.5"/></marker>
</defs>`;

const nextFrame = () => new Promise<void>((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));

/** Draws these tables of the model; see the module comment. */
export function drawDiagram(model: SchemaModel, ids: string[], hooks: DrawHooks): Drawing {
  let cancelled = false;
  let job: LayoutJob | null = null;
  const cost = costOf(ids.length);
  const done = (async () => {
    const t0 = performance.now();
    const tables = boxTables(model, ids, cost.columns);
    const relations = drawnRelations(model, ids);
    hooks.onProgress({ phase: 'layout', done: 0, total: tables.length });
    job = runLayout({ tables, edges: relations.map(({ id, from, to }) => ({ id, from, to })), columns: cost.columns }, (_phase, f) => {
      if (!cancelled) hooks.onProgress({ phase: 'layout', done: Math.round(f * tables.length), total: tables.length });
    });
    const { sizes, layout, ms: workerMs } = await job.done;
    const layoutMs = performance.now() - t0;
    // A frame between receiving the layout and writing the first slice.
    await nextFrame();
    if (cancelled) throw new Error('cancelled');
    const t1 = performance.now();
    const { picture, tile, size } = pictureFor(layout);
    const edgeHost = picture.querySelector('.rs-edges')!;
    const nodeHost = picture.querySelector('.rs-nodes')!;
    hooks.onPicture(picture, size);
    const nodes = new Map<string, SVGGElement>();
    const relationById = new Map(relations.map((r) => [r.id, r]));
    // Lines in the order their second table is drawn, so each slice can add its own lines.
    const order = new Map(tables.map((t, k) => [t.id, k]));
    const lastEnd = (p: PlacedEdge) => { const r = relationById.get(p.id); return r ? Math.max(order.get(r.from) ?? 0, order.get(r.to) ?? 0) : 0; };
    const edges = [...layout.edges].sort((a, b) => lastEnd(a) - lastEnd(b));
    // Slices bounded by time: the batch size adapts so that writing one slice (markup plus
    // parsing) takes about 16 ms, and the browser renders between slices.
    // The browser's own work per slice (style, layout, paint of the new tile) grows with the
    // slice, so slices stay small even when writing the markup is quick.
    const maxBatch = cost.columns ? 8 : 25;
    let batch = cost.columns ? 4 : 12;
    let i = 0;
    let e = 0;
    while (i < tables.length || e < edges.length) {
      if (cancelled) throw new Error('cancelled');
      const sliceStart = performance.now();
      const html: string[] = [];
      const nodeBox = new Bounds();
      for (const end = Math.min(tables.length, i + batch); i < end; i++) {
        const t = tables[i]!;
        const size = sizes[t.id]!;
        const at = layout.positions[t.id]!;
        // Room for a drift badge on the corner and the selection's thicker outline.
        nodeBox.add(at.x - 4, at.y - 14, at.x + size.width + 14, at.y + size.height + 4);
        html.push(tableMarkup(t, size, at, cost.columns));
      }
      if (html.length) {
        const layer = tile('rs-tile rs-tile-nodes', nodeBox);
        layer.innerHTML = html.join('');
        for (const g of layer.children) nodes.set((g as SVGGElement).dataset.table!, g as SVGGElement);
        nodeHost.append(layer);
      }
      // Lines whose both tables are drawn follow them in the same slice.
      const edgeHtml: string[] = [];
      const edgeBox = new Bounds();
      const edgeBudget = i >= tables.length ? batch * 4 : batch * 2;
      while (e < edges.length && edgeHtml.length < edgeBudget) {
        const placed = edges[e]!;
        const r = relationById.get(placed.id);
        if (r && nodes.has(r.from) && nodes.has(r.to)) {
          edgeHtml.push(edgeMarkup(placed, r));
          // A curve stays within its end points (plus the markers and a self-loop's bulge).
          edgeBox.add(Math.min(placed.x1, placed.x2) - 24, Math.min(placed.y1, placed.y2) - 24, Math.max(placed.x1, placed.x2) + 60, Math.max(placed.y1, placed.y2) + 24);
          e++;
        }
        else if (i >= tables.length || !r) e++;
        else break;
      }
      if (edgeHtml.length) {
        const layer = tile('rs-tile rs-tile-edges', edgeBox);
        layer.innerHTML = edgeHtml.join('');
        edgeHost.append(layer);
      }
      const progress = { phase: 'draw' as const, done: i, total: tables.length };
      hooks.onSlice(nodes, progress);
      hooks.onProgress(progress);
      const took = performance.now() - sliceStart;
      batch = Math.max(3, Math.min(maxBatch, Math.round(batch * Math.min(2, 6 / Math.max(1, took)))));
      await nextFrame();
    }
    const drawMs = performance.now() - t1;
    recordRate(tables.length, layoutMs + drawMs, cost.columns);
    window.__relscope.layoutWorkerMs = workerMs;
    return { layoutMs, drawMs, columns: cost.columns };
  })();
  return {
    done,
    cancel() {
      cancelled = true;
      job?.cancel();
    },
  };
}

class Bounds {
  x0 = Infinity;
  y0 = Infinity;
  x1 = -Infinity;
  y1 = -Infinity;
  add(x0: number, y0: number, x1: number, y1: number): void {
    this.x0 = Math.min(this.x0, Math.floor(x0));
    this.y0 = Math.min(this.y0, Math.floor(y0));
    this.x1 = Math.max(this.x1, Math.ceil(x1));
    this.y1 = Math.max(this.y1, Math.ceil(y1));
  }
  empty(): boolean {
    return !(this.x1 > this.x0 && this.y1 > this.y0);
  }
}

function pictureFor(layout: LayoutResult): { picture: HTMLElement; tile(className: string, bounds?: Bounds): SVGSVGElement; size: { width: number; height: number } } {
  const width = layout.width + pad * 2;
  const height = layout.height + pad * 2;
  // A tile is only as large as what it holds: the browser then repaints and rasterises that
  // area when it is added, not the whole picture.
  const tile = (className: string, bounds?: Bounds) => {
    const svg = document.createElementNS(svgNs, 'svg');
    svg.setAttribute('class', picture.classList.contains('rs-far') ? `${className} rs-far` : className);
    const b = bounds && !bounds.empty() ? bounds : null;
    const x = b ? b.x0 : -pad;
    const y = b ? b.y0 : -pad;
    const w = b ? b.x1 - b.x0 : width;
    const h = b ? b.y1 - b.y0 : height;
    svg.setAttribute('viewBox', `${x} ${y} ${w} ${h}`);
    svg.setAttribute('width', String(w));
    svg.setAttribute('height', String(h));
    svg.style.left = `${x + pad}px`;
    svg.style.top = `${y + pad}px`;
    return svg;
  };
  const picture = document.createElement('div');
  picture.className = 'rs-diagram';
  picture.setAttribute('role', 'img');
  picture.setAttribute('aria-label', 'Entity-relationship diagram');
  picture.style.width = `${width * layerScale}px`;
  picture.style.height = `${height * layerScale}px`;
  // The drawing at its own size, shrunk into the layer (see layerScale).
  const content = document.createElement('div');
  content.className = 'rs-diagram-content';
  content.style.width = `${width}px`;
  content.style.height = `${height}px`;
  content.style.transform = `scale(${layerScale})`;
  const defs = tile('rs-tile rs-defs');
  defs.innerHTML = markers;
  const edges = document.createElement('div');
  edges.className = 'rs-edges';
  const nodes = document.createElement('div');
  nodes.className = 'rs-nodes';
  content.append(defs, edges, nodes);
  picture.append(content);
  return { picture, tile, size: { width, height } };
}
