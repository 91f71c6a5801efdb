/**
 * Mermaid, for the page's exports only (the diagram on screen is drawn by the page itself,
 * web/views/diagram-canvas.ts): loaded on first use (dynamic import keeps it out of the
 * initial bundle) and initialised with the CLI's own configuration, so an SVG or PNG export
 * is the picture `relscope export --format svg` draws.
 */
import type { Mermaid } from 'mermaid';
import { mermaidConfig, type DiagramLayout } from '../common/mermaid-config.ts';

let loading: Promise<Mermaid> | null = null;

export function loadMermaid(): Promise<Mermaid> {
  const t0 = performance.now();
  loading ??= import('mermaid').then((m) => {
    window.__relscope.mermaidLoadMs = performance.now() - t0;
    return m.default;
  }).catch((error: unknown) => {
    loading = null;
    throw new Error(`Could not load the diagram renderer (${(error as Error).message}). Reload the page to try again.`);
  });
  return loading;
}

/** Mermaid keeps global state during a render: one render at a time. */
let queue: Promise<unknown> = Promise.resolve();
function serial<T>(work: () => Promise<T>): Promise<T> {
  const next = queue.then(work, work);
  queue = next.catch(() => undefined);
  return next;
}

export class DiagramTooLargeError extends Error {}

/** ELK (@mermaid-js/layout-elk, 600 KB) is loaded only for a diagram drawn with it. */
let elk: Promise<void> | null = null;
function registerElk(mermaid: Mermaid): Promise<void> {
  elk ??= import('@mermaid-js/layout-elk').then((m) => mermaid.registerLayoutLoaders(m.default)).catch((error: unknown) => {
    elk = null;
    throw error;
  });
  return elk;
}

async function renderString(text: string, id: string, layout: DiagramLayout = 'dagre'): Promise<string> {
  const mermaid = await loadMermaid();
  if (layout === 'elk') await registerElk(mermaid);
  return serial(async () => {
    mermaid.initialize({ ...mermaidConfig, layout });
    let svg: string;
    const t0 = performance.now();
    try {
      ({ svg } = await mermaid.render(id, text));
      window.__relscope.mermaidRenderMs = performance.now() - t0;
    } finally {
      document.getElementById(id)?.remove();
      document.getElementById(`d${id}`)?.remove();
    }
    // Mermaid answers over-long text with a small error picture instead of throwing.
    if (svg.includes('Maximum text size in diagram exceeded')) {
      throw new DiagramTooLargeError('This diagram is too large for Mermaid to draw. Open a table and use focus mode, or the overview.');
    }
    return svg;
  });
}

/** Renders with the shared configuration and the CLI's element id: the export's bytes. */
export function renderForExport(text: string, layout: DiagramLayout = 'dagre'): Promise<string> {
  return renderString(text, 'relscope-diagram', layout);
}
