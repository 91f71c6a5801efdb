/**
 * The layout Web Worker: measures every box (OffscreenCanvas text metrics) and lays the
 * diagram out off the main thread, reporting progress. The page terminates it to cancel.
 *
 * `engine` is the hook for other layouts (dagre, ELK) chosen per request; only relscope's
 * own layered layout is built in today, and an unknown engine is answered with an error.
 */
import { layeredLayout, type LayoutEdge, type LayoutResult } from './layered.ts';
import { boxSize, clippedTexts, roughMeasure, type BoxSize, type BoxTable, type ClippedText, type Measure } from './boxes.ts';
import { pack, type PackedLayout } from './packed.ts';

export type LayoutEngine = 'layered';

export interface LayoutRequest {
  tables: BoxTable[];
  edges: LayoutEdge[];
  columns: boolean;
  engine: LayoutEngine;
}

export type LayoutMessage =
  | { type: 'progress'; phase: string; done: number }
  | { type: 'done'; packed: PackedLayout; clipped: ClippedText[]; ms: number }
  | { type: 'error'; message: string };

function canvasMeasure(): Measure {
  try {
    const ctx = new OffscreenCanvas(1, 1).getContext('2d');
    if (!ctx) return roughMeasure;
    const cache = new Map<string, number>();
    return (text, font) => {
      const key = `${font}\u0000${text}`;
      let w = cache.get(key);
      if (w === undefined) {
        if (ctx.font !== font) ctx.font = font;
        w = ctx.measureText(text).width;
        cache.set(key, w);
      }
      return w;
    };
  } catch {
    return roughMeasure;
  }
}

const post = (message: LayoutMessage) => (self as unknown as { postMessage(m: LayoutMessage): void }).postMessage(message);

self.onmessage = (event: MessageEvent<LayoutRequest>) => {
  const t0 = performance.now();
  try {
    const request = event.data;
    if (request.engine !== 'layered') throw new Error(`Unknown layout engine "${request.engine}".`);
    const measure = canvasMeasure();
    const sizes: Record<string, BoxSize> = {};
    // Names longer than a box's column, cut with "…" here where they are measured.
    const clipped: ClippedText[] = [];
    request.tables.forEach((t, i) => {
      sizes[t.id] = boxSize(t, request.columns, measure);
      clipped.push(...clippedTexts(t, i, sizes[t.id]!, request.columns, measure));
      if (i % 200 === 199) post({ type: 'progress', phase: 'measure', done: (0.3 * i) / request.tables.length });
    });
    const layout = layeredLayout(request.tables.map((t) => ({ id: t.id, width: sizes[t.id]!.width, height: sizes[t.id]!.height })), request.edges, {
      onProgress: (phase, done) => post({ type: 'progress', phase, done: 0.3 + 0.7 * done }),
    });
    const packed = pack(request.tables, request.edges.map((e) => e.id), sizes, layout);
    (self as unknown as { postMessage(m: LayoutMessage, transfer: Transferable[]): void }).postMessage({ type: 'done', packed, clipped, ms: performance.now() - t0 }, [packed.tables.buffer, packed.edges.buffer]);
  } catch (error) {
    post({ type: 'error', message: (error as Error).message });
  }
};
