/**
 * The Schema view's Export menu. SVG, PNG and Mermaid exports are Mermaid's picture of the
 * server's Mermaid text, the same bytes as `relscope export --format svg`; Markdown is the
 * CLI's own renderer, loaded on demand.
 */
import { icon, mount } from '../dom.ts';
import { api, type DiagramResponse } from '../api.ts';
import { menuButton, download, copyText } from '../ui.ts';
import { renderForExport } from '../mermaid.ts';
import { shortName, type DiagramContext } from './diagram-params.ts';

export function exportMenu(host: HTMLElement, ctx: DiagramContext): void {
  const name = () => `relscope-${ctx.params().source}${ctx.params().focus ? `-${shortName(ctx.params().focus!)}` : ''}`;
  // The server's Mermaid text for the view on screen, fetched when an export needs it.
  let cached: { key: string; diagram: Promise<DiagramResponse> } | null = null;
  const mermaidText = async () => {
    const p = ctx.params();
    const key = `${p.source}|${p.focus}|${p.depth}|${p.schema}`;
    if (!cached || cached.key !== key) {
      cached = { key, diagram: api.diagram({ source: p.source, focus: p.focus, depth: p.depth, schema: p.focus ? null : p.schema }) };
      cached.diagram.catch(() => { cached = null; });
    }
    return (await cached.diagram).mermaid;
  };
  // The layout the server chose for this diagram (by size, like `relscope export --layout auto`).
  const exported = async () => {
    await mermaidText();
    const d = await cached!.diagram;
    return renderForExport(d.mermaid, d.layout);
  };
  const markdown = async () => {
    const p = ctx.params();
    const [{ renderMarkdown }, model] = await Promise.all([import('../../server/render/markdown.ts'), ctx.schemaFor(p.source)]);
    return renderMarkdown(model, { focus: p.focus, depth: p.depth, drift: ctx.driftOff() ? null : (ctx.drift() ?? null) });
  };
  mount(host, menuButton([icon('download', 15), 'Export'], [
    { label: 'SVG', icon: 'download', testid: 'export-svg', action: async () => download(`${name()}.svg`, await exported(), 'image/svg+xml') },
    { label: 'PNG', icon: 'download', testid: 'export-png', action: async () => download(`${name()}.png`, await svgToPng(await exported())) },
    { label: 'Mermaid source', icon: 'download', testid: 'export-mermaid', action: async () => download(`${name()}.mmd`, await mermaidText()) },
    { label: 'Markdown', icon: 'download', testid: 'export-markdown', action: async () => download(`${name()}.md`, await markdown(), 'text/markdown;charset=utf-8') },
    { label: 'Copy Mermaid source', icon: 'copy', testid: 'copy-mermaid', action: async () => copyText(await mermaidText(), 'Mermaid source') },
    { label: 'Copy Markdown', icon: 'copy', action: async () => copyText(await markdown(), 'Markdown') },
    { label: 'Copy link to this view', icon: 'link', testid: 'copy-link', action: () => copyText(location.href, 'link') },
  ], { title: 'Export the diagram', testid: 'diagram-export' }));
}

/** Rasterises an SVG string at 2x into a PNG blob. */
export async function svgToPng(svgText: string): Promise<Blob> {
  const doc = new DOMParser().parseFromString(svgText, 'image/svg+xml');
  const root = doc.documentElement;
  const vb = (root.getAttribute('viewBox') ?? '').split(/[\s,]+/).map(Number);
  const width = vb.length === 4 && vb[2]! > 0 ? vb[2]! : Number.parseFloat(root.getAttribute('width') ?? '800');
  const height = vb.length === 4 && vb[3]! > 0 ? vb[3]! : Number.parseFloat(root.getAttribute('height') ?? '600');
  root.setAttribute('width', String(width));
  root.setAttribute('height', String(height));
  const text = new XMLSerializer().serializeToString(root);
  const url = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(text)}`;
  const img = new Image();
  await new Promise<void>((resolve, reject) => {
    img.onload = () => resolve();
    img.onerror = () => reject(new Error('The browser could not rasterise the SVG.'));
    img.src = url;
  });
  const scale = 2;
  const canvas = document.createElement('canvas');
  canvas.width = Math.ceil(width * scale);
  canvas.height = Math.ceil(height * scale);
  const ctx2d = canvas.getContext('2d')!;
  ctx2d.fillStyle = '#ffffff';
  ctx2d.fillRect(0, 0, canvas.width, canvas.height);
  ctx2d.scale(scale, scale);
  ctx2d.drawImage(img, 0, 0, width, height);
  return new Promise<Blob>((resolve, reject) => canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('The browser could not encode the PNG.'))), 'image/png'));
}
