/**
 * A docs folder, like `tbls doc`: what `relscope docs --out DIR` writes and `relscope check DIR`
 * re-creates.
 *
 *   DIR/README.md            overview diagram(s), the tables with row counts and comments, lint
 *   DIR/tables/<slug>.md     one page per table: its focus diagram, columns, keys, indexes,
 *                            relations (ORM properties, cascades), drift, lint, neighbours
 *   DIR/schema.json          the schema model (as `export --format json`, without `origin`)
 *
 * Rendered by GitHub and GitLab as they are: links are relative file links (no heading anchors
 * between files, so the two sites' different anchor rules never matter), file names are ASCII
 * `[a-z0-9._-]` (a name that is not gets a hash of the real one, so `Users` and `users` stay two
 * files on case-insensitive disks), and every Mermaid block parses in Mermaid 10.7 (GitLab).
 * Deterministic: no dates, no server versions, model order; the same schema gives the same bytes.
 * Row counts are data, not schema: `check` compares them only when asked (--rows).
 */
import { createHash } from 'node:crypto';
import type { Finding } from '../schema/drift.ts';
import { advise } from '../schema/lint.ts';
import type { SchemaModel, SchemaSource, Table } from '../../common/schema-model.ts';
import { comparableJson } from './document.ts';
import { mdCode, mdText, tableSection } from './markdown.ts';
import { neighbourhood, planDiagram, planDiagramSet } from './mermaid.ts';
import { defaultMermaidSyntax, mermaidSyntaxes, type MermaidSyntax } from '../schema/types.ts';
import { sortFindings } from '../schema/drift.ts';

export interface DocsSpec {
  source: SchemaSource;
  schemas: string[] | null;
  collapsePivots: boolean;
  /** Drift notes (orm vs db) on the pages. */
  drift: boolean;
  mermaid: MermaidSyntax;
}

/** How the row counts were obtained (a number says how it was obtained). */
export type RowCounts = { how: 'exact' | 'estimate'; rows: Record<string, number> } | null;

export const docsMarker = 'relscope docs ';
const pageMarker = '<!-- relscope docs page -->';

export function docsHeader(spec: DocsSpec): string {
  const ordered = { source: spec.source, schemas: spec.schemas, collapsePivots: spec.collapsePivots, drift: spec.drift, mermaid: spec.mermaid };
  return `<!-- ${docsMarker}${JSON.stringify(ordered).replace(/-/g, '\\u002d').replace(/</g, '\\u003c').replace(/>/g, '\\u003e')} -->`;
}

/** The spec recorded in a README.md written by `relscope docs`; null when it is not one. */
export function parseDocsHeader(readme: string): DocsSpec | null {
  const first = readme.slice(0, readme.indexOf('\n') === -1 ? readme.length : readme.indexOf('\n')).trim();
  const match = /^<!--\s*relscope docs (\{.*\})\s*-->$/.exec(first);
  if (!match) return null;
  try {
    const raw = JSON.parse(match[1]!) as Partial<DocsSpec>;
    if (raw.source !== 'orm' && raw.source !== 'db') return null;
    return {
      source: raw.source,
      schemas: Array.isArray(raw.schemas) ? raw.schemas.map(String) : null,
      collapsePivots: raw.collapsePivots === true,
      drift: raw.drift === true,
      mermaid: (mermaidSyntaxes as readonly number[]).includes(raw.mermaid as number) ? (raw.mermaid as MermaidSyntax) : defaultMermaidSyntax,
    };
  } catch {
    return null;
  }
}

export function isDocsPage(text: string): boolean {
  return text.startsWith(pageMarker);
}

/** File name of a table's page: the id when it is plain ASCII, else a readable slug plus a hash of the id. */
export function pageSlug(tableId: string): string {
  const plain = /^[a-z0-9_][a-z0-9._-]*$/.test(tableId) && !tableId.includes('..');
  if (plain) return tableId;
  const readable = tableId.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/\.{2,}/g, '.').replace(/^[-.]+|[-.]+$/g, '').slice(0, 60);
  const hash = createHash('sha1').update(tableId).digest('hex').slice(0, 8);
  return readable ? `${readable}-${hash}` : hash;
}

function pagePath(tableId: string): string {
  return `tables/${pageSlug(tableId)}.md`;
}

function countText(n: number | undefined): string {
  return n === undefined ? '—' : n.toLocaleString('en-US');
}

function mermaidBlock(text: string): string[] {
  return ['```mermaid', text.trimEnd(), '```', ''];
}

function findingLine(f: Finding, href: (id: string) => string, tables: Set<string>): string {
  const where = f.table && tables.has(f.table) ? `[${mdCode(f.table)}](${href(f.table)}): ` : f.table ? `${mdCode(f.table)}: ` : '';
  return `- **${f.severity}** ${mdCode(f.code)} ${where}${mdText(f.message)}`;
}

export interface DocsInput {
  spec: DocsSpec;
  model: SchemaModel;
  /** Drift findings when spec.drift; null otherwise. */
  drift: Finding[] | null;
  rows: RowCounts;
}

/** Every file of the folder, path (relative, `/`-separated) -> content, in a stable order. */
export function renderDocs({ spec, model, drift, rows }: DocsInput): Map<string, string> {
  const files = new Map<string, string>();
  const tables = new Map(model.tables.map((t) => [t.id, t]));
  const ids = new Set(tables.keys());
  const lintFindings = sortFindings([...(drift ?? []), ...advise(model)]);
  const diagramOptions = { collapsePivots: spec.collapsePivots, mermaid: spec.mermaid };
  const schemas = [...new Set(model.tables.map((t) => t.schema))].sort();
  const fkCount = model.tables.reduce((n, t) => n + t.foreignKeys.length, 0);
  const from = model.source === 'orm' ? 'the MikroORM metadata (source `orm`)' : 'the database catalogs (source `db`)';

  // README.md
  const readme: string[] = [docsHeader(spec), '# Database schema', ''];
  readme.push(`${model.tables.length} tables and ${fkCount} foreign keys in schema${schemas.length === 1 ? '' : 's'} ${schemas.map((s) => mdCode(s)).join(', ') || '(none)'}, read from ${from}. Written by \`relscope docs\`; \`relscope check\` on this folder tells when it is out of date. The model itself is in [schema.json](schema.json).`, '');
  const diagrams = planDiagramSet(model, diagramOptions);
  readme.push('## Diagram', '');
  for (const d of diagrams) {
    if (diagrams.length > 1) readme.push(`### ${mdText(d.title)}`, '');
    if (d.truncated) readme.push(`${d.omitted} tables are not drawn here; each table's page draws it with its neighbours.`, '');
    readme.push(...mermaidBlock(d.mermaid));
  }
  readme.push('## Tables', '');
  const rowsHead = rows ? (rows.how === 'exact' ? 'Rows (exact count)' : 'Rows (planner estimate)') : 'Rows';
  readme.push(`| Table | ${rowsHead} | Columns | Entity | Comment |`, '|---|---:|---:|---|---|');
  for (const t of model.tables) {
    const kind = t.kind === 'table' ? '' : ` *(${t.kind})*`;
    readme.push(`| [${mdCode(t.id)}](${pagePath(t.id)})${kind} | ${rows ? countText(rows.rows[t.id]) : '—'} | ${t.columns.length} | ${t.entity ? mdCode(t.entity) : ''} | ${t.comment ? mdText(t.comment) : ''} |`);
  }
  readme.push('');
  readme.push('## Lint', '');
  const counts = { error: 0, warning: 0, info: 0 };
  for (const f of lintFindings) counts[f.severity]++;
  const driftNote = spec.drift ? `drift between the ORM and the database: ${drift?.length ?? 0} finding${drift?.length === 1 ? '' : 's'}` : 'drift not checked (no ORM model to compare with, or --no-drift)';
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  readme.push(`${plural(counts.error, 'error')}, ${plural(counts.warning, 'warning')}, ${counts.info} info (\`relscope lint\` advice on this schema; ${driftNote}).`, '');
  for (const f of lintFindings) readme.push(findingLine(f, pagePath, ids));
  files.set('README.md', finish(readme));

  // One page per table.
  for (const t of model.tables) files.set(pagePath(t.id), tablePage(t, model, tables, spec, drift, lintFindings, rows));

  files.set('schema.json', comparableJson(model));
  return files;
}

function tablePage(table: Table, model: SchemaModel, tables: Map<string, Table>, spec: DocsSpec, drift: Finding[] | null, lintFindings: Finding[], rows: RowCounts): string {
  const href = (id: string) => `${pageSlug(id)}.md`;
  const out: string[] = [pageMarker, `# ${mdText(table.id)}`, ''];
  const facts = ['[All tables](../README.md)'];
  if (rows && rows.rows[table.id] !== undefined) facts.push(`${countText(rows.rows[table.id])} rows (${rows.how === 'exact' ? 'exact count' : 'planner estimate'})`);
  out.push(facts.join(' · '), '');
  const diagram = planDiagram(model, { focus: table.id, depth: 1, collapsePivots: spec.collapsePivots, mermaid: spec.mermaid });
  out.push('## Diagram', '');
  if (diagram.truncated) out.push(`The ${diagram.tables.length} nearest of its ${diagram.tables.length + diagram.omitted} neighbours are drawn.`, '');
  out.push(...mermaidBlock(diagram.mermaid));
  out.push('## Columns', '');
  out.push(...tableSection(table, model, tables, spec.drift ? drift : null, href, ''));
  const own = lintFindings.filter((f) => f.table === table.id && f.code !== undefined && !(drift ?? []).includes(f));
  if (own.length) {
    out.push('**Lint**', '');
    for (const f of own) out.push(`- ${f.severity} ${mdCode(f.code)}: ${mdText(f.message)}`);
    out.push('');
  }
  const near = neighbourhood(model, table.id, 1).filter((id) => id !== table.id && tables.has(id));
  const pivotsThrough = model.relations.filter((r) => r.via && (r.from === table.id || r.to === table.id)).map((r) => r.via!.table);
  const neighbours = [...new Set([...near, ...pivotsThrough])].filter((id) => tables.has(id)).sort();
  out.push('## Neighbours', '');
  out.push(neighbours.length ? neighbours.map((id) => `- [${mdCode(id)}](${href(id)})`).join('\n') : 'None: no foreign key leads to or from this table.', '');
  return finish(out);
}

function finish(lines: string[]): string {
  return `${lines.join('\n').replace(/\n{3,}/g, '\n\n').trimEnd()}\n`;
}
