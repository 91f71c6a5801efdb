/**
 * Mermaid, loaded on first use (dynamic import keeps it out of the initial bundle) and
 * initialised with the CLI's own configuration, so the page draws the picture that
 * `relscope export --format svg` draws. The page's dark theme changes colours only on
 * screen; exports always use the shared configuration as is.
 */
import type { Mermaid } from 'mermaid';
import { mermaidConfig, type DiagramLayout } from '../common/mermaid-config.ts';
import type { Theme } from './theme.ts';

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

const darkVariables = {
  // Close to the page's dark palette, so the diagram does not glare.
  background: '#15181e',
  primaryColor: '#1e2430',
  primaryTextColor: '#e6e8ee',
  primaryBorderColor: '#5b6b8c',
  lineColor: '#8a96ad',
  secondaryColor: '#1a1f29',
  tertiaryColor: '#232a36',
  mainBkg: '#1e2430',
  nodeBorder: '#5b6b8c',
  textColor: '#e6e8ee',
  attributeBackgroundColorOdd: '#1a1f28',
  attributeBackgroundColorEven: '#202734',
  rowOdd: '#171b23',
  rowEven: '#1d222c',
  darkMode: true,
  edgeLabelBackground: '#15181e',
  fontFamily: mermaidConfig.fontFamily,
};

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

async function renderString(text: string, id: string, theme: Theme | 'export', layout: DiagramLayout = 'dagre'): Promise<string> {
  const mermaid = await loadMermaid();
  if (layout === 'elk') await registerElk(mermaid);
  return serial(async () => {
    const themed = theme === 'dark' ? { ...mermaidConfig, theme: 'base' as const, themeVariables: darkVariables } : mermaidConfig;
    const config = { ...themed, layout };
    mermaid.initialize(config);
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

// Element ids unique across page loads, so a cached picture never shares ids with a new render.
const session = Math.random().toString(36).slice(2, 8);
let counter = 0;

/**
 * Drawn diagrams are kept in localStorage, keyed by the Mermaid text, the theme and this
 * build (import.meta.url carries the bundle's hash, which changes with Mermaid or its
 * configuration): the same text and configuration always draw the same picture, so a
 * reload or a switch back to a view shows it without loading Mermaid at all.
 */
const cachePrefix = 'relscope.svg.';
const cacheIndexKey = 'relscope.svg-index';
const cacheEntries = 6;
const cacheMaxChars = 1_500_000;

function hash(text: string): string {
  // cyrb53: a fast 53-bit string hash, plenty for a cache key.
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(36);
}

function cacheKey(text: string, theme: Theme, layout: DiagramLayout = 'dagre'): string {
  return cachePrefix + hash(`${import.meta.url}\u0000${theme}\u0000${layout === 'dagre' ? '' : layout}${text}`);
}

function cacheGet(key: string): string | null {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}

function cachePut(key: string, svg: string): void {
  if (svg.length > cacheMaxChars) return;
  try {
    const index = (JSON.parse(localStorage.getItem(cacheIndexKey) ?? '[]') as string[]).filter((k) => k !== key);
    index.unshift(key);
    for (const old of index.splice(cacheEntries)) localStorage.removeItem(old);
    localStorage.setItem(key, svg);
    localStorage.setItem(cacheIndexKey, JSON.stringify(index));
  } catch {
    // Quota exceeded or storage disabled: forget the cache rather than fail the drawing.
    try {
      for (const k of JSON.parse(localStorage.getItem(cacheIndexKey) ?? '[]') as string[]) localStorage.removeItem(k);
      localStorage.removeItem(cacheIndexKey);
    } catch {
      // nothing more to do
    }
  }
}

export function hasCachedDiagrams(): boolean {
  try {
    return (JSON.parse(localStorage.getItem(cacheIndexKey) ?? '[]') as string[]).length > 0;
  } catch {
    return false;
  }
}

/** True when this diagram is in the cache (the view then need not load Mermaid). */
export function isCached(text: string, theme: Theme, layout: DiagramLayout = 'dagre'): boolean {
  return cacheGet(cacheKey(text, theme, layout)) !== null;
}

function toElement(svg: string): SVGSVGElement {
  // The markup is Mermaid's own output under securityLevel 'strict' (labels escaped and
  // sanitised by Mermaid's DOMPurify), parsed in an inert template, then adopted.
  const template = document.createElement('template');
  template.innerHTML = svg;
  const el = template.content.querySelector('svg');
  if (!el) throw new Error('Mermaid produced no SVG.');
  return el as SVGSVGElement;
}

/** Renders for the screen (or takes the cached picture); returns a live SVG element. */
export async function renderDiagram(text: string, theme: Theme, layout: DiagramLayout = 'dagre'): Promise<{ svg: SVGSVGElement; cached: boolean }> {
  const key = cacheKey(text, theme, layout);
  const hit = cacheGet(key);
  if (hit) {
    try {
      return { svg: toElement(hit), cached: true };
    } catch {
      // a damaged entry: draw afresh
    }
  }
  const svg = await renderString(text, `rs-${session}-${++counter}`, theme, layout);
  cachePut(key, svg);
  return { svg: toElement(svg), cached: false };
}

/** Renders with the shared configuration and the CLI's element id: the export's bytes. */
export function renderForExport(text: string, layout: DiagramLayout = 'dagre'): Promise<string> {
  return renderString(text, 'relscope-diagram', 'export', layout);
}
