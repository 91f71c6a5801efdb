/**
 * Markdown for docs: fenced mermaid blocks (GitHub and GitLab draw them) and one section per
 * table with its columns, keys, indexes, relations and drift notes. Deterministic: no dates, no
 * server versions, everything in model order, so a docs diff shows schema changes only.
 */
import type { Finding } from '../schema/drift.ts';
import { isDrift } from '../../common/findings.ts';
import type { Column, Relation, SchemaModel, Table } from '../../common/schema-model.ts';
import { viewFrom } from '../../common/relations.ts';
import { planDiagramSet, type DiagramOptions } from './mermaid.ts';
import { columnKeyFlags } from '../../common/keys.ts';

export interface MarkdownOptions extends DiagramOptions {
  /** Drift findings (orm vs db) to list under each table; null leaves the notes out. */
  drift?: Finding[] | null;
  /** The first line (the export header), written by the caller. */
  header?: string;
}

/** Text safe in Markdown prose and table cells. */
export function mdText(text: string): string {
  return text
    .replace(/[\r\n]+/g, ' ')
    .replace(/([\\`*_{}[\]()#+\-.!|~<>])/g, '\\$1');
}

/** An inline code span holding any text (also inside a table cell). */
export function mdCode(text: string): string {
  const flat = text.replace(/[\r\n]+/g, ' ').replace(/\|/g, '\\|');
  const longest = Math.max(0, ...(flat.match(/`+/g) ?? []).map((m) => m.length));
  const fence = '`'.repeat(longest + 1);
  const pad = flat.startsWith('`') || flat.endsWith('`') || flat.startsWith(' ') ? ' ' : '';
  return `${fence}${pad}${flat}${pad}${fence}`;
}

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens. */
export function anchor(text: string): string {
  return text.toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
}

/**
 * GitHub's anchors for a document's headings, in order: a heading whose anchor an earlier one
 * already has gets `-1`, `-2`, ... (github-slugger), as `public.Users` and `public.users`,
 * or `my table` and `my-table`, do.
 */
export function uniqueAnchors(headings: string[]): string[] {
  const seen = new Map<string, number>();
  return headings.map((text) => {
    const base = anchor(text);
    let slug = base;
    while (seen.has(slug)) {
      const n = seen.get(base)! + 1;
      seen.set(base, n);
      slug = `${base}-${n}`;
    }
    seen.set(slug, 0);
    return slug;
  });
}

function columnKeys(table: Table, column: Column): string {
  return columnKeyFlags(table, column).join(', ');
}

/** Where a table's section is: an anchor in one document, or another file (the docs folder). */
export type TableHref = (tableId: string) => string;
const anchorHref: TableHref = (id) => `#${anchor(id)}`;

function describeRelation(relation: Relation, tableId: string, tables: Map<string, Table>, href: TableHref = anchorHref): string {
  const view = viewFrom(relation, tableId);
  const other = tables.get(view.other);
  const otherName = other ? `[${mdCode(other.id)}](${href(other.id)})` : mdCode(view.other);
  const parts: string[] = [];
  if (relation.kind === 'm:n') {
    parts.push(`**m:n** with ${otherName} through ${mdCode(relation.via?.table ?? '?')}${relation.via?.entity ? ` (entity ${mdCode(relation.via.entity)})` : relation.via?.plainPivot ? ' (plain pivot table)' : ''}`);
  } else {
    const fromSide = relation.from === tableId;
    const cols = `${relation.columns.join(', ')} → ${relation.referencedColumns.join(', ')}`;
    parts.push(`**${view.kind}** ${fromSide ? '→' : '←'} ${otherName} (${mdCode(cols)})`);
    if (fromSide) parts.push(relation.nullable ? 'optional (nullable FK)' : 'required (NOT NULL FK)');
    if (relation.onDelete) parts.push(`ON DELETE ${relation.onDelete.toUpperCase()}`);
    if (relation.onUpdate && relation.onUpdate !== 'no action') parts.push(`ON UPDATE ${relation.onUpdate.toUpperCase()}`);
  }
  if (relation.selfReference) parts.push('self-reference');
  const orm: string[] = [];
  const mine = view.property;
  const theirs = view.otherProperty;
  const ownerEntity = relation.from === tableId ? relation.fromEntity : relation.toEntity;
  const otherEntity = relation.from === tableId ? relation.toEntity : relation.fromEntity;
  if (mine || theirs) {
    orm.push(`ORM ${mine && ownerEntity ? mdCode(`${ownerEntity}.${mine}`) : '—'} ↔ ${theirs && otherEntity ? mdCode(`${otherEntity}.${theirs}`) : '—'}`);
    const ownCascade = relation.from === tableId ? relation.cascade : relation.inverseCascade;
    if (ownCascade.length && mine) orm.push(`cascade ${ownCascade.join(', ')}`);
    if (relation.orphanRemoval) orm.push('orphan removal');
    if (relation.eager) orm.push('eager');
    if (relation.strategy) orm.push(`strategy ${relation.strategy}`);
  }
  return `- ${[...parts, ...orm].join('; ')}`;
}

export function tableSection(table: Table, model: SchemaModel, tables: Map<string, Table>, drift: Finding[] | null, href: TableHref = anchorHref, heading = `### ${mdText(table.id)}`): string[] {
  const out: string[] = heading ? [heading, ''] : [];
  const facts: string[] = [];
  if (table.kind !== 'table') facts.push(`*${table.kind}*`);
  if (table.entity) facts.push(`Entity ${mdCode(table.entity)}`);
  if (table.isPivot) facts.push('plain pivot table (m:n)');
  if (table.comment) facts.push(mdText(table.comment));
  if (facts.length) out.push(facts.join(' · '), '');

  out.push('| Column | Type | Nullable | Default | Keys | Comment |', '|---|---|---|---|---|---|');
  for (const c of table.columns) {
    const def = c.generated === 'identity' ? 'identity' : c.default !== null ? mdCode(c.default) : c.generated === 'serial' ? 'serial' : c.generated === 'stored' ? 'generated (stored)' : '';
    const property = c.property ? ` (${mdCode(c.property)})` : '';
    const domain = c.baseType ? ` (domain over ${mdCode(c.baseType)})` : '';
    out.push(`| ${mdCode(c.name)}${property} | ${mdCode(c.type)}${domain} | ${c.nullable ? 'yes' : 'no'} | ${def} | ${columnKeys(table, c)} | ${c.comment ? mdText(c.comment) : ''} |`);
  }
  out.push('');

  const keys: string[] = [];
  if (table.primaryKey) keys.push(`- Primary key ${mdCode(`(${table.primaryKey.columns.join(', ')})`)}${table.primaryKey.name ? ` ${mdCode(table.primaryKey.name)}` : ''}`);
  for (const u of table.uniques) keys.push(`- Unique ${mdCode(`(${u.columns.join(', ')})`)}${u.name ? ` ${mdCode(u.name)}` : ''}`);
  for (const c of table.checks) keys.push(`- Check ${mdCode(c.expression)}${c.name ? ` ${mdCode(c.name)}` : ''}`);
  for (const x of table.exclusions ?? []) keys.push(`- Exclusion ${mdCode(x.definition)} ${mdCode(x.name)}`);
  if (keys.length) out.push('**Keys**', '', ...keys, '');

  const exclusionNames = new Set((table.exclusions ?? []).map((x) => x.name));
  const indexes = table.indexes.map((i) => {
    const what = [...i.columns, ...i.expressions].join(', ');
    const exclusion = i.name !== null && exclusionNames.has(i.name) ? 'of the exclusion constraint' : '';
    const traits = [i.primary ? 'primary' : i.unique ? 'unique' : '', i.method !== 'btree' ? i.method : '', i.where ? `where ${mdCode(i.where)}` : '', exclusion].filter(Boolean).join(', ');
    return `- ${i.name ? mdCode(i.name) : '(unnamed)'} on ${mdCode(`(${what})`)}${traits ? ` — ${traits}` : ''}`;
  });
  if (indexes.length) out.push('**Indexes**', '', ...indexes, '');

  const related = model.relations.filter((r) => r.from === table.id || r.to === table.id || r.via?.table === table.id);
  if (related.length) {
    out.push('**Relations**', '');
    for (const r of related) {
      if (r.via?.table === table.id && r.from !== table.id && r.to !== table.id) {
        out.push(`- pivot of the **m:n** between [${mdCode(r.from)}](${href(r.from)}) and [${mdCode(r.to)}](${href(r.to)})${r.fromProperty && r.fromEntity ? ` (ORM ${mdCode(`${r.fromEntity}.${r.fromProperty}`)})` : ''}`);
      } else {
        out.push(describeRelation(r, table.id, tables, href));
      }
    }
    out.push('');
  }
  const notes = (drift ?? []).filter((f) => f.table === table.id && isDrift(f));
  if (notes.length) {
    out.push('**Drift**', '');
    for (const f of notes) out.push(`- ${f.severity}: ${mdText(f.message)}`);
    out.push('');
  }
  return out;
}

/** "1 error", "2 errors". */
function counted(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** "4 tables", or "3 tables (and 1 virtual entity, a query with no table)": virtual entities are no tables. */
export function tableCount(model: SchemaModel): string {
  const virtual = model.tables.filter((t) => t.kind === 'virtual').length;
  const real = model.tables.length - virtual;
  const tables = `${real} ${real === 1 ? 'table' : 'tables'}`;
  return virtual ? `${tables} (and ${virtual} virtual ${virtual === 1 ? 'entity' : 'entities'}, a query with no table)` : tables;
}

export function renderMarkdown(model: SchemaModel, options: MarkdownOptions = {}): string {
  const diagrams = planDiagramSet(model, options);
  const tables = new Map(model.tables.map((t) => [t.id, t]));
  const schemas = [...new Set(model.tables.map((t) => t.schema))].sort();
  const fkCount = model.tables.reduce((n, t) => n + t.foreignKeys.length, 0);
  const from = model.source === 'orm' ? 'the MikroORM metadata (source `orm`)' : 'the database catalogs (source `db`)';
  const lines: string[] = [];
  if (options.header) lines.push(options.header);
  lines.push(
    `# Database schema`,
    '',
    `${tableCount(model)} and ${counted(fkCount, 'foreign key')} in schema${schemas.length === 1 ? '' : 's'} ${schemas.map((s) => mdCode(s)).join(', ') || '(none)'}, read from ${from}. Written by \`relscope export\`; \`relscope check\` on this file tells when it is out of date.`,
    '',
  );
  if (options.drift) {
    // Missing-FK-index advice is lint (`relscope lint`), not a difference between ORM and database.
    const driftOnly = options.drift.filter(isDrift);
    const counts = { error: 0, warning: 0, info: 0 };
    for (const f of driftOnly) counts[f.severity]++;
    lines.push(driftOnly.length === 0
      ? 'Drift between the ORM and the database: none.'
      : `Drift between the ORM and the database: ${counted(counts.error, 'error')}, ${counted(counts.warning, 'warning')}, ${counts.info} info (listed under each table).`, '');
  }
  for (const d of diagrams) {
    if (diagrams.length > 1 || options.focus) lines.push(`## ${mdText(d.title)}`, '');
    if (d.truncated) lines.push(`${d.omitted} tables are not drawn here; they appear in the diagrams below or with \`relscope export --focus TABLE --depth N\`.`, '');
    lines.push('```mermaid', d.mermaid.trimEnd(), '```', '');
  }
  const listed = options.focus ? model.tables.filter((t) => diagrams.some((d) => d.tables.includes(t.id))) : model.tables;
  // Every heading of the document, in order, so that repeated anchors are numbered as GitHub does.
  const titles = diagrams.length > 1 || options.focus ? diagrams.map((d) => d.title) : [];
  const anchors = uniqueAnchors(['Database schema', ...titles, 'Tables', ...listed.map((t) => t.id)]).slice(titles.length + 2);
  const anchorOf = new Map(listed.map((t, i) => [t.id, anchors[i]!]));
  const href: TableHref = (id) => `#${anchorOf.get(id) ?? anchor(id)}`;
  lines.push('## Tables', '');
  for (const t of listed) lines.push(`- [${mdText(t.id)}](${href(t.id)})${t.entity ? ` — ${mdCode(t.entity)}` : ''}`);
  lines.push('');
  for (const t of listed) lines.push(...tableSection(t, model, tables, options.drift ?? null, href));
  return `${lines.join('\n').replace(/\n{3,}/g, '\n\n').trimEnd()}\n`;
}
