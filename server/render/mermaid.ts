/**
 * Mermaid erDiagram text from a SchemaModel, valid for any identifier.
 *
 * - Every table is an alias (`e1`, `e2`, … in table-id order) declared on its own line with its
 *   real name as a quoted label: `e1["public.My Table"]`. Aliases are plain ASCII, so no table
 *   name can collide with another, with Mermaid's keywords (end, one, to, …) or with syntax.
 * - Labels, column names, comments and relationship labels are escaped with Mermaid's entity
 *   codes (`#quot;`, `#37;`, …): Mermaid decodes them only after parsing, so the parser never
 *   sees a quote, percent, backslash, `<` or `~`, and its markdown never sees `*` or flanking `_`.
 * - Types are one word Mermaid accepts (timestamptz, varchar(255), numeric(8,2), int4[]).
 * - Cardinality: m:1 `}o--||` (`}o--o|` when the FK is nullable), 1:1 `|o--||` (`|o--o|`),
 *   m:n `}o--o{` (drawn only when plain pivots are collapsed; otherwise the pivot table and its
 *   two FKs are drawn).
 * - Output depends on the model only: tables, columns and relations in the model's order.
 *
 * Big schemas: `planDiagram` never returns text Mermaid would refuse (maxTextSize) or take
 * minutes to lay out; it falls back to an overview (names only) and, past that, to the
 * best-connected tables, and says so (`overview`, `truncated`). `planDiagramSet` adds per-schema
 * parts so that every table is drawn with its columns somewhere (for Markdown docs).
 */
import { UserError } from '../errors.ts';
import { splitQualifiedId, type Column, type Relation, type SchemaModel, type Table } from '../../common/schema-model.ts';
import { defaultMermaidSyntax, diagramType, isPlainAttributeWord, portableWordOf, type MermaidSyntax } from '../schema/types.ts';
import { diagramLimits } from '../../common/mermaid-config.ts';
import { nameDistance, tablesNamed } from '../../common/names.ts';
import { keyFlags } from '../../common/keys.ts';

export type DiagramLimits = { maxTextSize: number; maxEntities: number; maxOverviewEntities: number; maxEdges: number };

export interface DiagramOptions {
  /** Draw each plain pivot table (two FKs, nothing else) as one m:n edge. */
  collapsePivots?: boolean;
  /** Draw each association entity an m:n relation goes through (post_categories) as one m:n edge too. */
  collapseAssociations?: boolean;
  /**
   * 'columns' (default): edges labelled with their FK columns, tables as the database has them.
   * 'orm': the ORM's language: edges labelled with the property names of both sides, the owning
   * side marked (`author (owner) / posts`); STI subclasses drawn over their table, TPT children
   * as "extends" edges, embedded columns grouped under their property. Falls back to columns
   * for a relation the ORM does not name.
   */
  edgeLabels?: EdgeLabels;
  /** A table id, name or entity name: draw its neighbourhood only. */
  focus?: string | null;
  /** Hops from `focus` (default 1). */
  depth?: number;
  /** Override the size limits (tests, callers with a bigger budget). */
  limits?: Partial<DiagramLimits>;
  /** How the focus option is called where it came from, for error messages ("--focus", "focus"). */
  focusLabel?: string;
  /** The Mermaid the text is written for (default 10: parses in 10.7 and every later one). */
  mermaid?: MermaidSyntax;
}

export interface Diagram {
  /** e.g. "All tables", "Overview", "public.users and 1 hop around it", "Schema public, part 2 of 3". */
  title: string;
  mermaid: string;
  /** Table ids drawn, in model order. */
  tables: string[];
  /** Mermaid alias -> table id ("e1" -> "public.users"); the SVG's node ids contain the alias. */
  aliases: Record<string, string>;
  /** True when tables of the requested scope are left out to stay within the limits. */
  truncated: boolean;
  /** True when tables are drawn as names only, without columns. */
  overview: boolean;
  /** How many tables of the requested scope are not drawn. */
  omitted: number;
  /** The id of the table `focus` resolved to (set only when a focus was given). */
  focusTable?: string;
}

export interface RenderOptions {
  attributes: boolean;
  collapsePivots: CollapseMode;
  edgeLabels?: EdgeLabels;
  /** The Mermaid the text is written for (default 10: parses in 10.7 and every later one). */
  mermaid?: MermaidSyntax;
}

export type EdgeLabels = 'columns' | 'orm';

/** Which pivots collapse into m:n edges: true for plain pivots, or each kind chosen. */
export type CollapseMode = boolean | { pivots: boolean; associations: boolean };

const indent = '    ';

// ---------------------------------------------------------------------------------------------
// Escaping

const entityCodes: Record<string, string> = {
  '"': '#quot;',
  '%': '#37;',
  '#': '#35;',
  '\\': '#92;',
  '<': '#lt;',
  '>': '#gt;',
  '&': '#amp;',
  '`': '#96;',
  '*': '#42;',
  _: '#95;',
  // Two tildes in an attribute would read as a generic type (type~T~).
  '~': '#126;',
};

/** Mermaid's markdown turns *x* and flanking _x_ into emphasis; intraword underscores are safe. */
function needsMarkdownEscape(text: string): boolean {
  return text.includes('*') || /(^|[^A-Za-z0-9\u00C0-\uFFFF])_|_($|[^A-Za-z0-9\u00C0-\uFFFF])/.test(text);
}

/** Text for a label, a quoted relationship label, a comment or a backtick-quoted name. */
export function escapeText(text: string): string {
  const markdown = needsMarkdownEscape(text);
  let out = '';
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (code < 0x20 || code === 0x7f || code === 0x2028 || code === 0x2029) {
      out += code === 10 ? '#92;n' : code === 9 ? '#92;t' : code === 13 ? '#92;r' : `#92;x${code.toString(16).padStart(2, '0')}`;
    } else if ((ch === '*' || ch === '_') && !markdown) {
      out += ch;
    } else {
      out += entityCodes[ch] ?? ch;
    }
  }
  return out.length ? out : '#32;';
}

/**
 * A column name as Mermaid reads it: as is when it is one plain word in this syntax; else in
 * backticks (12), or sanitised to a portable word (10, 11: `my id` -> my_id) with the real name
 * kept in the attribute's comment (see attributeLine).
 */
export function attributeName(name: string, syntax: MermaidSyntax = defaultMermaidSyntax): string {
  if (isPlainAttributeWord(name, syntax) && !needsMarkdownEscape(name)) return name;
  if (syntax === 12) return `\`${escapeText(name)}\``;
  return portableWordOf(name);
}

/** The attribute's comment: the real name when the written one differs, then the column comment's first line. */
export function attributeComment(name: string, comment: string | null, syntax: MermaidSyntax = defaultMermaidSyntax): string | null {
  const parts: string[] = [];
  if (syntax !== 12 && attributeName(name, syntax) !== name) parts.push(name);
  if (comment) {
    const first = comment.split('\n')[0]!.trim();
    const short = [...first].length > 60 ? `${[...first].slice(0, 59).join('')}…` : first;
    if (short) parts.push(short);
  }
  return parts.length ? parts.join(': ') : null;
}

// ---------------------------------------------------------------------------------------------
// Rendering one diagram

export function tableLabel(table: Table, qualified: boolean): string {
  return qualified ? `${table.schema}.${table.name}` : table.name;
}

function relationLabel(relation: Relation): string {
  if (relation.kind === 'm:n') return relation.via ? splitQualifiedId(relation.via.table).name : relation.columns.join(', ');
  return relation.columns.join(', ');
}

/** The crow's-foot operator for a relation drawn `from OP to`. */
export function cardinality(relation: Relation): string {
  const right = relation.nullable ? 'o|' : '||';
  if (relation.kind === 'm:n') return '}o--o{';
  if (relation.kind === '1:1') return `|o--${right}`;
  if (relation.kind === '1:m') return `${relation.nullable ? '|o' : '||'}--o{`;
  return `}o--${right}`;
}

/** Whether a relation is drawn as an edge in this mode. */
export function drawnAsEdge(relation: Relation, collapsed: Set<string>): boolean {
  if (relation.kind === 'm:n') return !!relation.via && collapsed.has(relation.via.table);
  return !collapsed.has(relation.from);
}

/** Plain pivot tables that collapse into an m:n edge: those with an m:n relation through them. */
export function collapsiblePivots(model: SchemaModel): Set<string> {
  const tables = new Map(model.tables.map((t) => [t.id, t]));
  const out = new Set<string>();
  for (const r of model.relations) if (r.kind === 'm:n' && r.via && tables.get(r.via.table)?.isPivot) out.add(r.via.table);
  return out;
}

/** The tables drawn as m:n edges in this mode: plain pivots, association entities of m:n relations, or both. */
export function collapsedTables(model: SchemaModel, mode: CollapseMode): Set<string> {
  const { pivots, associations } = typeof mode === 'boolean' ? { pivots: mode, associations: false } : mode;
  const out = pivots ? collapsiblePivots(model) : new Set<string>();
  if (associations) {
    const tables = new Map(model.tables.map((t) => [t.id, t]));
    for (const r of model.relations) {
      if (r.kind === 'm:n' && r.via?.entity && !r.via.plainPivot && tables.has(r.via.table) && r.via.table !== r.from && r.via.table !== r.to) out.add(r.via.table);
    }
  }
  return out;
}

function collapseModeOf(options: Pick<DiagramOptions, 'collapsePivots' | 'collapseAssociations'>): CollapseMode {
  return options.collapseAssociations ? { pivots: !!options.collapsePivots, associations: true } : !!options.collapsePivots;
}

/** Renders exactly these tables (in model order) and the relations among them. */
/** An entity's lines: `head` alone, or `head {`, one line per column, `}`. */
function attributeBlock(table: Table, columns: Column[], head: string, attributes: boolean, orm: boolean, syntax: MermaidSyntax): string[] {
  if (!attributes || columns.length === 0) return [head];
  const lines = [`${head} {`];
  const flags = keyFlags(table);
  for (const column of columns) {
    const keys = flags.get(column.name) ?? [];
    let line = `${indent}${indent}${diagramType(column.type, syntax)} ${attributeName(column.name, syntax)}`;
    if (keys.length) line += ` ${keys.join(', ')}`;
    const comment = attributeComment(column.name, orm ? ormColumnComment(table, column) : column.comment, syntax);
    if (comment) line += ` "${escapeText(comment)}"`;
    lines.push(line);
  }
  lines.push(`${indent}}`);
  return lines;
}

export function renderErDiagram(model: SchemaModel, tableIds: Iterable<string>, options: RenderOptions): { text: string; aliases: Record<string, string>; tables: string[]; edges: number } {
  const wanted = new Set(tableIds);
  const collapsed = collapsedTables(model, options.collapsePivots);
  // A virtual entity is a query with no table: the Markdown lists it (marked), diagrams leave it out.
  const tables = model.tables.filter((t) => wanted.has(t.id) && !collapsed.has(t.id) && t.kind !== 'virtual');
  const orm = options.edgeLabels === 'orm';
  const syntax = options.mermaid ?? defaultMermaidSyntax;
  const qualified = new Set(model.tables.map((t) => t.schema)).size > 1;
  const aliasOf = new Map<string, string>();
  const aliases: Record<string, string> = {};
  const lines: string[] = ['erDiagram'];
  tables.forEach((table, i) => {
    const alias = `e${i + 1}`;
    aliasOf.set(table.id, alias);
    aliases[alias] = table.id;
    const head = `${indent}${alias}["${escapeText(tableLabel(table, qualified))}"]`;
    lines.push(...attributeBlock(table, orm ? ormColumns(table) : table.columns, head, options.attributes, orm, syntax));
  });
  let edges = 0;
  // The ORM's view: STI subclasses as entities over their table, each with its own columns.
  const subclassAlias = orm ? stiSubclassNodes(tables, aliasOf, aliases, lines, (table, columns, head) => attributeBlock(table, columns, head, options.attributes, true, syntax)) : null;
  if (subclassAlias) edges += subclassAlias.edges;
  const tablesById = orm ? new Map(model.tables.map((t) => [t.id, t])) : null;
  for (const relation of model.relations) {
    if (!drawnAsEdge(relation, collapsed)) continue;
    let a = aliasOf.get(relation.from);
    let b = aliasOf.get(relation.to);
    if (!a || !b) continue;
    if (subclassAlias) {
      a = subclassAlias.of(relation.from, relation.fromEntity) ?? a;
      b = subclassAlias.of(relation.to, relation.toEntity) ?? b;
    }
    const label = (tablesById && ormEdgeLabel(relation, tablesById)) || relationLabel(relation);
    lines.push(`${indent}${a} ${cardinality(relation)} ${b} : "${escapeText(label)}"`);
    edges++;
  }
  return { text: `${lines.join('\n')}\n`, aliases, tables: tables.map((t) => t.id), edges };
}

// ---------------------------------------------------------------------------------------------
// The ORM's language (edgeLabels 'orm'): property names on edges, inheritance, embeddables

/**
 * An edge's label in the ORM's words: the owning side's property, marked, then the inverse
 * side's ("author (owner) / posts"; "-" for a side without a property); an m:n through an
 * association entity names it ("categories (owner) / posts via PostCategory"); a TPT child's
 * key to its parent reads "Article extends Content". Null when the ORM names neither side
 * (a pivot's FK, a database-only FK): the caller labels it with the columns.
 */
export function ormEdgeLabel(relation: Relation, tables: Map<string, Table>): string | null {
  const from = tables.get(relation.from);
  const inheritance = from?.inheritance;
  if (inheritance?.kind === 'tpt' && inheritance.parentTable === relation.to && !relation.fromProperty && sameColumns(relation.columns, from?.primaryKey?.columns ?? [])) {
    return `${from?.entity ?? relation.fromEntity ?? relation.from} extends ${inheritance.parentEntity}`;
  }
  if (!relation.fromProperty && !relation.toProperty) return null;
  const via = relation.kind === 'm:n' && relation.via?.entity ? ` via ${relation.via.entity}` : '';
  return `${relation.fromProperty ?? '-'} (owner) / ${relation.toProperty ?? '-'}${via}`;
}

function sameColumns(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((c, i) => c === b[i]);
}

/** The columns a table's own node shows: for an STI table, those of the root entity (subclasses get nodes of their own). */
function ormColumns(table: Table): Column[] {
  const inheritance = table.inheritance;
  if (inheritance?.kind !== 'sti') return table.columns;
  const subclassColumns = new Set(inheritance.entities.filter((e) => e.parent !== null).flatMap((e) => e.columns));
  return table.columns.filter((c) => !subclassColumns.has(c.name));
}

/** A column's comment in the ORM's view: its embedded property ("billing: Address"), the discriminator, then its own comment. */
function ormColumnComment(table: Table, column: Column): string | null {
  const parts: string[] = [];
  if (column.embedded) parts.push(`${column.embedded.property}: ${column.embedded.embeddable}`);
  if (table.inheritance?.kind === 'sti' && table.inheritance.discriminatorColumn === column.name) parts.push('discriminator');
  const own = column.comment?.split('\n')[0]?.trim();
  if (own) parts.push(own);
  return parts.length ? parts.join('; ') : null;
}

/**
 * Single-table inheritance in the ORM's view: each subclass of a drawn STI table becomes an
 * entity of its own (alias e4c1, e4c2, … after its table's e4), labelled with its class and
 * discriminator value, holding the columns only it maps, joined to its parent entity by an
 * "extends" edge. Relations a subclass declares (or targets) are then drawn from (to) it.
 */
function stiSubclassNodes(
  tables: Table[],
  aliasOf: Map<string, string>,
  aliases: Record<string, string>,
  lines: string[],
  block: (table: Table, columns: Column[], head: string) => string[],
): { edges: number; of(tableId: string, entity: string | null): string | undefined } {
  const byEntity = new Map<string, string>();
  const extendsEdges: string[] = [];
  for (const table of tables) {
    const inheritance = table.inheritance;
    const tableAlias = aliasOf.get(table.id);
    if (inheritance?.kind !== 'sti' || !tableAlias) continue;
    const root = inheritance.entities.find((e) => e.parent === null);
    if (root) byEntity.set(`${table.id}\u0000${root.entity}`, tableAlias);
    const columns = new Map(table.columns.map((c) => [c.name, c]));
    inheritance.entities.filter((e) => e.parent !== null).forEach((entity, i) => {
      const alias = `${tableAlias}c${i + 1}`;
      aliases[alias] = table.id;
      byEntity.set(`${table.id}\u0000${entity.entity}`, alias);
      const value = entity.discriminatorValue === null ? '' : `, ${inheritance.discriminatorColumn} = ${entity.discriminatorValue}`;
      const label = `${entity.entity} (${table.name}${value}${entity.abstract ? ', abstract' : ''})`;
      lines.push(...block(table, entity.columns.map((name) => columns.get(name)).filter((c): c is Column => !!c), `${indent}${alias}["${escapeText(label)}"]`));
    });
    for (const entity of inheritance.entities) {
      if (entity.parent === null) continue;
      const child = byEntity.get(`${table.id}\u0000${entity.entity}`)!;
      const parent = byEntity.get(`${table.id}\u0000${entity.parent}`) ?? tableAlias;
      extendsEdges.push(`${indent}${child} |o--|| ${parent} : "${escapeText(`${entity.entity} extends ${entity.parent}`)}"`);
    }
  }
  lines.push(...extendsEdges);
  return {
    edges: extendsEdges.length,
    of: (tableId, entity) => (entity ? byEntity.get(`${tableId}\u0000${entity}`) : undefined),
  };
}

// ---------------------------------------------------------------------------------------------
// Scope: focus, neighbourhoods, limits

/** Finds a table by id ("public.users"), name ("users"), entity ("User"), or case-insensitively. */
export function resolveTable(model: SchemaModel, ref: string, label = '--focus'): Table {
  const found = tablesNamed(model, ref);
  if (found.length === 1) return found[0]!;
  if (found.length > 1) {
    // A flag's example is written as a shell word; an API parameter's is just the value.
    const id = found[0]!.id;
    const example = label.startsWith('--') ? `${label} ${/^[\w.@%+=:,/-]+$/.test(id) ? id : `'${id.replace(/'/g, `'\\''`)}'`}` : `"${id}"`;
    throw new UserError(`${label} "${ref}" matches ${found.length} tables (${found.map((t) => t.id).join(', ')}); name one with its schema, e.g. ${example}.`);
  }
  const near = model.tables
    .map((t) => ({ t, d: nameDistance(ref.toLowerCase(), t.name.toLowerCase()) }))
    .sort((a, b) => a.d - b.d || (a.t.id < b.t.id ? -1 : 1))
    .slice(0, 3)
    .map((x) => x.t.id);
  const hint = near.length ? ` Did you mean ${near.join(', ')}?` : '';
  throw new UserError(`${label}: there is no table "${ref}" in the ${model.source} schema (${model.tables.length} tables).${hint}`);
}

/** Undirected adjacency of the drawn graph (collapsed pivots become direct m:n edges). */
function adjacency(model: SchemaModel, collapsed: Set<string>): Map<string, Set<string>> {
  const adj = new Map<string, Set<string>>();
  for (const t of model.tables) if (!collapsed.has(t.id)) adj.set(t.id, new Set());
  for (const r of model.relations) {
    if (!drawnAsEdge(r, collapsed)) continue;
    const a = adj.get(r.from);
    const b = adj.get(r.to);
    if (!a || !b) continue;
    a.add(r.to);
    b.add(r.from);
  }
  return adj;
}

/** Tables within `depth` hops of `start`, in breadth-first order (start first). */
export function neighbourhood(model: SchemaModel, start: string, depth: number, collapsePivots: CollapseMode = false): string[] {
  const collapsed = collapsedTables(model, collapsePivots);
  const adj = adjacency(model, collapsed);
  const order = [start];
  const seen = new Set(order);
  let frontier = [start];
  for (let hop = 0; hop < depth && frontier.length; hop++) {
    const next: string[] = [];
    for (const id of frontier) {
      for (const other of [...(adj.get(id) ?? [])].sort()) {
        if (seen.has(other)) continue;
        seen.add(other);
        next.push(other);
      }
    }
    order.push(...next);
    frontier = next;
  }
  return order;
}

function limitsOf(options: DiagramOptions): DiagramLimits {
  return { ...diagramLimits, ...options.limits };
}

function fits(text: string, entities: number, edges: number, limits: DiagramLimits, attributes: boolean): boolean {
  return text.length <= limits.maxTextSize && entities <= (attributes ? limits.maxEntities : limits.maxOverviewEntities) && edges <= limits.maxEdges;
}

/** How diagrams are drawn inside one plan: pivots collapsed or not, edge labels, and for which Mermaid. */
type DrawMode = { collapsePivots: CollapseMode; edgeLabels?: EdgeLabels; mermaid?: MermaidSyntax };

function draw(model: SchemaModel, ids: string[], attributes: boolean, mode: DrawMode) {
  return renderErDiagram(model, ids, { attributes, ...mode, edgeLabels: mode.edgeLabels ?? 'columns' });
}

/**
 * Keeps the longest prefix of `ordered` (most important first) that fits, by bisection on
 * the number of tables; never returns an empty diagram while one table fits.
 */
function largestFittingPrefix(model: SchemaModel, ordered: string[], attributes: boolean, mode: DrawMode, limits: DiagramLimits) {
  let lo = 1;
  let hi = Math.min(ordered.length, attributes ? limits.maxEntities : limits.maxOverviewEntities);
  let best = draw(model, ordered.slice(0, 1), attributes, mode);
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const candidate = draw(model, ordered.slice(0, mid), attributes, mode);
    if (fits(candidate.text, candidate.tables.length, candidate.edges, limits, attributes)) {
      best = candidate;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return best;
}

function byDegree(model: SchemaModel, ids: string[], collapsePivots: CollapseMode): string[] {
  const collapsed = collapsedTables(model, collapsePivots);
  const adj = adjacency(model, collapsed);
  return [...ids].sort((a, b) => (adj.get(b)?.size ?? 0) - (adj.get(a)?.size ?? 0) || (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * The one diagram to show for these options: the whole schema (or the focus neighbourhood)
 * with columns when it fits, else names only, else the best-connected part that fits.
 */
export function planDiagram(model: SchemaModel, options: DiagramOptions = {}): Diagram {
  if (!options.focus) return planScope(model, options);
  const focusTable = resolveTable(model, options.focus, options.focusLabel).id;
  return { ...planScope(model, { ...options, focus: focusTable }), focusTable };
}

function planScope(model: SchemaModel, options: DiagramOptions): Diagram {
  const limits = limitsOf(options);
  const collapsePivots = collapseModeOf(options);
  const edgeLabels = options.edgeLabels ?? 'columns';
  const collapsed = collapsedTables(model, collapsePivots);
  let scope: string[];
  let title: string;
  if (options.focus) {
    const table = resolveTable(model, options.focus, options.focusLabel);
    if (table.kind === 'virtual') throw new UserError(`${options.focusLabel ?? '--focus'} ${options.focus}: ${table.entity ?? table.id} is a virtual entity (a query, no table), so no diagram shows it; pick a table.`);
    // Focusing on a pivot table means looking at it: draw it, not its collapsed edge.
    if (collapsed.has(table.id)) return planScope(model, { ...options, focus: table.id, collapsePivots: false, collapseAssociations: false });
    const depth = options.depth ?? 1;
    scope = neighbourhood(model, table.id, depth, collapsePivots);
    title = `${table.id} and ${depth} ${depth === 1 ? 'hop' : 'hops'} around it`;
  } else {
    scope = model.tables.filter((t) => t.kind !== 'virtual').map((t) => t.id).filter((id) => !collapsed.has(id));
    title = 'All tables';
  }
  const mode: DrawMode = { collapsePivots, edgeLabels, mermaid: options.mermaid };
  const full = draw(model, scope, true, mode);
  const scopeSize = full.tables.length;
  if (fits(full.text, full.tables.length, full.edges, limits, true)) return diagram(title, full, false, false, 0);
  const names = draw(model, scope, false, mode);
  if (fits(names.text, names.tables.length, names.edges, limits, false)) return diagram(`${title} (overview: names only)`, names, true, false, 0);
  // Too big even as names: keep what matters most. A focus keeps its nearest tables (BFS
  // order), a whole schema its best-connected tables.
  const ordered = options.focus ? scope : byDegree(model, scope, collapsePivots);
  const withColumns = options.focus ? largestFittingPrefix(model, ordered, true, mode, limits) : null;
  const part = withColumns && withColumns.tables.length >= Math.min(10, scopeSize) ? withColumns : largestFittingPrefix(model, ordered, false, mode, limits);
  const overview = part !== withColumns;
  const omitted = scopeSize - part.tables.length;
  const what = options.focus ? 'nearest' : 'best-connected';
  return diagram(`${title} (${overview ? 'overview, ' : ''}the ${part.tables.length} ${what} of ${scopeSize} tables)`, part, overview, true, omitted);
}

function diagram(title: string, drawn: { text: string; aliases: Record<string, string>; tables: string[] }, overview: boolean, truncated: boolean, omitted: number): Diagram {
  return { title, mermaid: drawn.text, tables: drawn.tables, aliases: drawn.aliases, truncated, overview, omitted };
}

/**
 * Diagrams for documentation: the whole schema when it fits; otherwise an overview plus, per
 * schema, parts of neighbouring tables that each fit with their columns, so every table is
 * drawn with its columns in some diagram.
 */
export function planDiagramSet(model: SchemaModel, options: DiagramOptions = {}): Diagram[] {
  const first = planDiagram(model, options);
  if (options.focus || (!first.overview && !first.truncated)) return [first];
  const limits = limitsOf(options);
  const collapsePivots = collapseModeOf(options);
  const edgeLabels = options.edgeLabels ?? 'columns';
  const collapsed = collapsedTables(model, collapsePivots);
  const out: Diagram[] = [{ ...first, title: first.title.replace(/^All tables/, 'Overview') }];
  const schemas = [...new Set(model.tables.filter((t) => t.kind !== 'virtual').map((t) => t.schema))].sort();
  for (const schema of schemas) {
    const ids = model.tables.filter((t) => t.schema === schema && !collapsed.has(t.id) && t.kind !== 'virtual').map((t) => t.id);
    const ordered = localityOrder(model, ids, collapsePivots);
    const parts: ReturnType<typeof draw>[] = [];
    let rest = ordered;
    while (rest.length) {
      const part = largestFittingPrefix(model, rest, true, { collapsePivots, edgeLabels, mermaid: options.mermaid }, limits);
      const drawnIds = new Set(part.tables);
      parts.push(part);
      rest = rest.filter((id) => !drawnIds.has(id));
    }
    parts.forEach((part, i) => {
      const title = parts.length === 1 ? `Schema ${schema}` : `Schema ${schema}, part ${i + 1} of ${parts.length}`;
      out.push(diagram(title, part, false, false, 0));
    });
  }
  return out;
}

/** Breadth-first order inside the set, so that each part holds neighbouring tables. */
function localityOrder(model: SchemaModel, ids: string[], collapsePivots: CollapseMode): string[] {
  const collapsed = collapsedTables(model, collapsePivots);
  const adj = adjacency(model, collapsed);
  const inSet = new Set(ids);
  const seen = new Set<string>();
  const order: string[] = [];
  for (const start of ids) {
    if (seen.has(start)) continue;
    seen.add(start);
    const queue = [start];
    while (queue.length) {
      const id = queue.shift()!;
      order.push(id);
      for (const other of [...(adj.get(id) ?? [])].sort()) {
        if (!inSet.has(other) || seen.has(other)) continue;
        seen.add(other);
        queue.push(other);
      }
    }
  }
  return order;
}
