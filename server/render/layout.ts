/**
 * Mermaid's layouts for rendered diagrams: dagre (Mermaid's default) or ELK
 * (@mermaid-js/layout-elk, registered in the page only when asked for). Which one a diagram
 * gets by default is decided by its size, from bench/layout.ts's figures (README, bench/README.md):
 * see `chooseLayout` in common/mermaid-config.ts, shared with the web page.
 */
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../errors.ts';
import { diagramLayouts, mermaidConfig, type DiagramLayout } from '../../common/mermaid-config.ts';

export { diagramLayouts, type DiagramLayout };

/** The Mermaid configuration for one layout (everything else as the page draws it). */
export function layoutConfig(layout: DiagramLayout) {
  return { ...mermaidConfig, layout };
}

/** Folder of @mermaid-js/layout-elk's self-contained browser build (ES modules). */
export const elkScriptDir = dirname(fileURLToPath(import.meta.resolve('@mermaid-js/layout-elk/dist/mermaid-layout-elk.esm.min.mjs')));

/** `--layout dagre|elk|auto` / API `layout`: null means auto (chosen by size). */
export function parseLayout(raw: string | undefined | null, label = '--layout'): DiagramLayout | null {
  if (raw === undefined || raw === null || raw === 'auto') return null;
  if ((diagramLayouts as readonly string[]).includes(raw)) return raw as DiagramLayout;
  throw new UserError(`${label} must be dagre, elk or auto, got "${raw}".`);
}
