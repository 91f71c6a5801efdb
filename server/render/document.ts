/**
 * Export documents: what `relscope export` writes and `relscope check` re-creates.
 *
 * Markdown and Mermaid exports start with a header line recording how they were made, so
 * `check` can make them again and compare bytes:
 *   <!-- relscope export {"format":"markdown","source":"db",...} -->     (markdown)
 *   %% relscope export {"format":"mermaid","source":"db",...}            (mermaid comment)
 * A JSON export is the schema model itself and is recognised by its shape.
 */
import { UserError } from '../errors.ts';
import type { Finding } from '../schema/drift.ts';
import { filterSchemas, type SchemaModel, type SchemaSource } from '../../common/schema-model.ts';
import { renderJson, isSchemaModel } from './json.ts';
import { renderMarkdown } from './markdown.ts';
import { planDiagram, type Diagram, type EdgeLabels } from './mermaid.ts';
import { defaultMermaidSyntax, mermaidSyntaxes, type MermaidSyntax } from '../schema/types.ts';

export const exportFormats = ['mermaid', 'markdown', 'svg', 'png', 'json'] as const;
export type ExportFormat = (typeof exportFormats)[number];

export interface ExportSpec {
  format: ExportFormat;
  source: SchemaSource;
  /** Table the diagram centres on, as the user wrote it; null for the whole schema. */
  focus: string | null;
  depth: number;
  collapsePivots: boolean;
  /** Markdown only: drift notes per table. */
  drift: boolean;
  /** Schemas read; null for all. */
  schemas: string[] | null;
  /** The oldest Mermaid that must parse the text (`--mermaid`); absent means 10, the portable default. */
  mermaid?: MermaidSyntax;
  /** Edge labels: the ORM's property names ('orm') or the FK columns ('columns', what files without the key were made with). */
  edgeLabels?: EdgeLabels;
  /** Association entities of m:n relations drawn as one m:n edge. */
  collapseAssociations?: boolean;
}

const headerPrefix = 'relscope export ';

function headerJson(spec: ExportSpec): string {
  const ordered: Record<string, unknown> = {
    format: spec.format, source: spec.source, focus: spec.focus, depth: spec.depth, collapsePivots: spec.collapsePivots, drift: spec.drift, schemas: spec.schemas,
    // Recorded only when not what older files were made with, so their headers stay as they are.
    ...(spec.collapseAssociations ? { collapseAssociations: true } : {}),
    ...(spec.edgeLabels === 'orm' ? { edgeLabels: 'orm' } : {}),
  };
  // Recorded only when not the default, so default exports keep their header.
  if (spec.mermaid && spec.mermaid !== defaultMermaidSyntax) ordered.mermaid = spec.mermaid;
  // Kept safe inside an HTML comment and on one line: no "--", "<", ">" or line breaks.
  return JSON.stringify(ordered).replace(/-/g, '\\u002d').replace(/</g, '\\u003c').replace(/>/g, '\\u003e');
}

export function exportHeader(spec: ExportSpec): string {
  if (spec.format === 'markdown') return `<!-- ${headerPrefix}${headerJson(spec)} -->`;
  if (spec.format === 'mermaid') return `%% ${headerPrefix}${headerJson(spec)}`;
  return '';
}

export type ParsedExport =
  | { kind: 'text'; spec: ExportSpec }
  | { kind: 'json'; model: SchemaModel };

/** Recognises a file written by `relscope export`; null when it is not one. */
export function parseExport(text: string): ParsedExport | null {
  const firstLine = text.slice(0, text.indexOf('\n') === -1 ? text.length : text.indexOf('\n')).trim();
  const match = /^(?:<!--|%%)\s*relscope export (\{.*\})\s*(?:-->)?$/.exec(firstLine);
  if (match) {
    try {
      const raw = JSON.parse(match[1]!) as Partial<ExportSpec>;
      if ((raw.format === 'markdown' || raw.format === 'mermaid') && (raw.source === 'orm' || raw.source === 'db')) {
        return {
          kind: 'text',
          spec: {
            format: raw.format,
            source: raw.source,
            focus: typeof raw.focus === 'string' ? raw.focus : null,
            depth: Number.isInteger(raw.depth) ? raw.depth! : 1,
            collapsePivots: raw.collapsePivots === true,
            drift: raw.drift === true,
            schemas: Array.isArray(raw.schemas) ? raw.schemas.map(String) : null,
            ...((mermaidSyntaxes as readonly unknown[]).includes(raw.mermaid) && raw.mermaid !== defaultMermaidSyntax ? { mermaid: raw.mermaid } : {}),
            // Absent from files written before these options: FK column labels, no association collapsed.
            ...(raw.edgeLabels === 'orm' ? { edgeLabels: 'orm' as const } : {}),
            ...(raw.collapseAssociations === true ? { collapseAssociations: true } : {}),
          },
        };
      }
    } catch {
      return null;
    }
    return null;
  }
  if (text.trimStart().startsWith('{')) {
    try {
      const value: unknown = JSON.parse(text);
      if (isSchemaModel(value)) return { kind: 'json', model: value };
    } catch {
      return null;
    }
  }
  return null;
}

export interface RenderedText {
  text: string;
  /** The diagram drawn, for mermaid (and the first of markdown's). */
  diagram: Diagram | null;
}

/** The text of a mermaid, markdown or json export: same model and spec, same bytes. */
export function renderExportText(spec: ExportSpec, model: SchemaModel, drift: Finding[] | null = null): RenderedText {
  const scoped = filterSchemas(model, spec.schemas);
  const diagramOptions = { focus: spec.focus, depth: spec.depth, collapsePivots: spec.collapsePivots, collapseAssociations: !!spec.collapseAssociations, edgeLabels: spec.edgeLabels ?? 'columns', focusLabel: '--focus', mermaid: spec.mermaid };
  if (spec.format === 'json') {
    if (spec.focus) throw new UserError('--focus applies to diagrams (mermaid, markdown, svg, png); the json export is always the whole model.');
    return { text: renderJson(scoped), diagram: null };
  }
  if (spec.format === 'markdown') {
    return { text: renderMarkdown(scoped, { ...diagramOptions, drift: spec.drift ? drift : null, header: exportHeader(spec) }), diagram: null };
  }
  if (spec.format === 'mermaid') {
    const diagram = planDiagram(scoped, diagramOptions);
    return { text: `${exportHeader(spec)}\n${diagram.mermaid}`, diagram };
  }
  throw new Error(`renderExportText: ${spec.format} is not a text format`);
}

/** JSON exports compare without `origin` (the server or ORM version is not the schema). */
export function comparableJson(model: SchemaModel): string {
  return renderJson({ ...model, origin: '' });
}

/**
 * A readable line diff (unified style, with context), at most `maxLines` lines. Common prefix
 * and suffix are trimmed first; the middle is diffed by LCS when small enough, otherwise shown
 * as removed then added.
 */
export function lineDiff(before: string, after: string, maxLines = 200, context = 2): string {
  const a = before.split('\n');
  const b = after.split('\n');
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  const midA = a.slice(start, endA);
  const midB = b.slice(start, endB);
  type Op = { op: ' ' | '-' | '+'; line: string; at: number };
  const ops: Op[] = [];
  if (midA.length * midB.length <= 4_000_000) {
    const n = midA.length;
    const m = midB.length;
    const lcs: Uint32Array[] = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
    for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--) lcs[i]![j] = midA[i] === midB[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    let i = 0;
    let j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && midA[i] === midB[j]) {
        ops.push({ op: ' ', line: midA[i]!, at: start + i + 1 });
        i++;
        j++;
      } else if (i < n && (j === m || lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) {
        // Removals before additions, as unified diffs show them.
        ops.push({ op: '-', line: midA[i]!, at: start + i + 1 });
        i++;
      } else {
        ops.push({ op: '+', line: midB[j]!, at: start + i + 1 });
        j++;
      }
    }
  } else {
    for (const [k, line] of midA.entries()) ops.push({ op: '-', line, at: start + k + 1 });
    for (const line of midB) ops.push({ op: '+', line, at: endA + 1 });
  }
  const out: string[] = [];
  const before0 = a.slice(Math.max(0, start - context), start);
  for (const line of before0) out.push(`  ${line}`);
  if (before0.length) out.unshift(`@@ line ${start - before0.length + 1} @@`);
  else out.unshift(`@@ line ${start + 1} @@`);
  // Long runs of unchanged lines inside the middle are folded.
  let same: Op[] = [];
  const flush = (last: boolean) => {
    if (same.length > context * 2 + 1 || (last && same.length > context)) {
      for (const s of same.slice(0, context)) out.push(`  ${s.line}`);
      if (!last) {
        const resume = same[same.length - context]!;
        out.push(`@@ line ${resume.at} @@`);
        for (const s of same.slice(same.length - context)) out.push(`  ${s.line}`);
      }
    } else {
      for (const s of same) out.push(`  ${s.line}`);
    }
    same = [];
  };
  for (const op of ops) {
    if (op.op === ' ') {
      same.push(op);
      continue;
    }
    flush(false);
    out.push(`${op.op} ${op.line}`);
  }
  flush(true);
  for (const line of a.slice(endA, endA + context)) out.push(`  ${line}`);
  if (out.length > maxLines) {
    const hidden = out.length - maxLines;
    return `${out.slice(0, maxLines).join('\n')}\n… ${hidden} more diff lines`;
  }
  return out.join('\n');
}
