/**
 * The one Mermaid configuration relscope uses, in the CLI's headless Chromium (svg/png export,
 * /api/diagram?format=svg) and in the web page, so both draw the same picture from the same
 * text. Browser-safe: no Node imports; the page imports it as is.
 *
 *   import mermaid from 'mermaid';
 *   import { mermaidConfig } from '../common/mermaid-config.ts';
 *   mermaid.initialize(mermaidConfig);
 */
import type { MermaidConfig } from 'mermaid';

/**
 * What a single diagram may hold. Mermaid refuses text above `maxTextSize` (its render then
 * returns a tiny "Maximum text size in diagram exceeded" SVG instead of throwing), and dagre
 * layout time grows fast (about 2 s at 100 entities, 5 s at 200, 46 s at 1,000 on 2 cores),
 * so bigger schemas are split into an overview plus per-schema or neighbourhood diagrams.
 */
export const diagramLimits = {
  /** Mermaid's own default; relscope never raises it. */
  maxTextSize: 50_000,
  /** Entities drawn with their columns in one diagram. */
  maxEntities: 100,
  /** Entities in an overview (names only, no columns). */
  maxOverviewEntities: 150,
  /** Mermaid's default maxEdges; erDiagram ignores it, but the picture is unreadable past it. */
  maxEdges: 500,
} as const;

export const mermaidConfig = {
  startOnLoad: false,
  // Mermaid 12 switches to ELK when @mermaid-js/layout-elk is registered; dagre is faster and
  // what both the page and the CLI must use to draw the same picture.
  layout: 'dagre',
  theme: 'default',
  look: 'classic',
  // Shapes are drawn with rough.js even in the classic look; a fixed seed makes its curves,
  // and so the SVG bytes, the same on every render.
  handDrawnSeed: 1,
  securityLevel: 'strict',
  maxTextSize: diagramLimits.maxTextSize,
  // Stable element ids: the same text renders to the same SVG bytes.
  deterministicIds: true,
  deterministicIDSeed: 'relscope',
  fontFamily: 'ui-sans-serif, system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", Arial, sans-serif',
  er: {
    layoutDirection: 'TB',
    diagramPadding: 20,
    minEntityWidth: 100,
    entityPadding: 15,
    useMaxWidth: false,
  },
} as const satisfies MermaidConfig;

/** Mermaid's layouts relscope can draw with: dagre (Mermaid's own) and ELK (@mermaid-js/layout-elk). */
export const diagramLayouts = ['dagre', 'elk'] as const;
export type DiagramLayout = (typeof diagramLayouts)[number];

/**
 * The layout a diagram gets unless one is asked for, by the number of entities drawn; from
 * bench/layout.ts (edges drawn behind boxes that are not their ends, and render time, on the
 * demo and the generated schema; table in README.md and bench/README.md): ELK drew no edge
 * behind a box at 9, 30 and 100 tables where dagre hid 2 of 11, 22 of 63 and 108 of 204, at
 * 1.5x dagre's render time for 30 tables but 3x for 100. Up to 60 tables (the page's map
 * threshold: above it the page opens on a map) ELK; dagre above.
 */
export const layoutThresholds = { elkUpTo: 60 } as const;

export function chooseLayout(entities: number): DiagramLayout {
  return entities <= layoutThresholds.elkUpTo ? 'elk' : 'dagre';
}
