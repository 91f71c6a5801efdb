/**
 * Mermaid text generation for a big model: the whole schema with columns in one text (what
 * the goal "Mermaid text for 1,000 tables in under 50 ms" measures), plus what relscope really
 * emits for it (planDiagram's overview, planDiagramSet's overview + parts).
 */
import type { SchemaModel } from '../common/schema-model.ts';
import { planDiagram, planDiagramSet, renderErDiagram } from '../server/render/mermaid.ts';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function time(fn: () => unknown, runs = 5): number {
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    fn();
    out.push(performance.now() - t);
  }
  return median(out);
}

/** Renders the whole model once (timed by the caller) and reports the planners' medians. */
export function measureMermaid(model: SchemaModel): string {
  const ids = model.tables.map((t) => t.id);
  const full = renderErDiagram(model, ids, { attributes: true, collapsePivots: false });
  const planMs = time(() => planDiagram(model));
  const plan = planDiagram(model);
  const setMs = time(() => planDiagramSet(model), 3);
  const set = planDiagramSet(model);
  return [
    `full text ${full.text.length.toLocaleString('en-US')} chars for ${full.tables.length} tables and ${full.edges} edges`,
    `planDiagram ${planMs.toFixed(1)} ms (${plan.overview ? 'overview' : 'full'}${plan.truncated ? `, ${plan.tables.length} tables drawn` : ''}, ${plan.mermaid.length.toLocaleString('en-US')} chars)`,
    `planDiagramSet ${setMs.toFixed(1)} ms (${set.length} diagrams, largest ${Math.max(...set.map((d) => d.mermaid.length)).toLocaleString('en-US')} chars)`,
  ].join('; ');
}

/** The timed step itself: one full erDiagram text for every table. */
export function fullText(model: SchemaModel): string {
  return renderErDiagram(model, model.tables.map((t) => t.id), { attributes: true, collapsePivots: false }).text;
}
