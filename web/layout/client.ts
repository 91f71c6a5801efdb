/**
 * Runs one layout in a Web Worker: the main thread only posts the tables and receives
 * coordinates, so a diagram of any size never freezes the page while it is laid out.
 * `cancel()` terminates the worker at once.
 */
import type { LayoutEngine, LayoutMessage, LayoutRequest } from './worker.ts';
import { unpack } from './packed.ts';
import type { LayoutResult } from './layered.ts';
import type { BoxSize } from './boxes.ts';

export interface LayoutJob {
  done: Promise<{ sizes: Record<string, BoxSize>; layout: LayoutResult; ms: number }>;
  cancel(): void;
}

export class LayoutCancelled extends Error {
  constructor() {
    super('Drawing cancelled.');
    this.name = 'LayoutCancelled';
  }
}

export function runLayout(request: Omit<LayoutRequest, 'engine'> & { engine?: LayoutEngine }, onProgress?: (phase: string, done: number) => void): LayoutJob {
  const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'relscope-layout' });
  let settle: { reject(e: Error): void } | null = null;
  const done = new Promise<{ sizes: Record<string, BoxSize>; layout: LayoutResult; ms: number }>((resolve, reject) => {
    settle = { reject };
    worker.onmessage = (event: MessageEvent<LayoutMessage>) => {
      const m = event.data;
      if (m.type === 'progress') onProgress?.(m.phase, m.done);
      else {
        worker.terminate();
        if (m.type === 'done') {
          // The box keeps its full name in `full` (the drawing's tooltip) and draws the cut one.
          for (const c of m.clipped) {
            const table = request.tables[c.table]!;
            if (c.field === 'title') {
              table.full = { ...table.full, title: table.title };
              table.title = c.text;
            } else {
              const row = table.rows[c.row]!;
              row.full ??= `${row.name} ${row.type}`;
              row[c.field] = c.text;
            }
          }
          resolve({ ...unpack(request.tables, request.edges.map((e) => e.id), m.packed), ms: m.ms });
        } else reject(new Error(`The layout failed: ${m.message}`));
      }
    };
    worker.onerror = (event) => {
      worker.terminate();
      reject(new Error(`The layout worker failed: ${event.message || 'could not start'}`));
    };
  });
  worker.postMessage({ engine: 'layered', ...request } satisfies LayoutRequest);
  return {
    done,
    cancel() {
      worker.terminate();
      settle?.reject(new LayoutCancelled());
    },
  };
}
