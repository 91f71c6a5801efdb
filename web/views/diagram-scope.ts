/**
 * Which tables a diagram draws, decided in the page from the schema model (the server's
 * /api/diagram stays the source of Mermaid text for exports): the whole schema, one database
 * schema, or a table's neighbourhood. Also what a drawing will cost, said before it starts.
 */
import type { Relation, SchemaModel, Table } from '../../common/schema-model.ts';
import { singleColumnUniques } from '../../common/keys.ts';
import { tablesNamed } from '../../common/names.ts';
import type { BoxRow, BoxTable } from '../layout/boxes.ts';
import type { LayoutEdge } from '../layout/layered.ts';

/** Above this many tables a diagram is drawn with names only (columns in the side panel). */
export const columnsUpTo = 300;

/** A table by id ("public.users"), name, entity name, or case-insensitively; null when none or several match. */
export function findTable(model: SchemaModel, ref: string): Table | null {
  const found = tablesNamed(model, ref);
  return found.length === 1 ? found[0]! : null;
}

/** Whether a relation is drawn as a line: plain pivots are drawn as tables, so m:n is not. */
const drawn = (r: Relation) => r.kind !== 'm:n';

export function adjacency(model: SchemaModel): Map<string, string[]> {
  const adj = new Map<string, Set<string>>();
  for (const t of model.tables) adj.set(t.id, new Set());
  for (const r of model.relations) {
    if (!drawn(r)) continue;
    adj.get(r.from)?.add(r.to);
    adj.get(r.to)?.add(r.from);
  }
  return new Map([...adj].map(([k, v]) => [k, [...v].sort()]));
}

/** Tables within `depth` hops of `start`, breadth-first (the server's `neighbourhood`). */
export function neighbourhood(adj: Map<string, string[]>, start: string, depth: number): string[] {
  const order = [start];
  const seen = new Set(order);
  let frontier = [start];
  for (let hop = 0; hop < depth && frontier.length; hop++) {
    const next: string[] = [];
    for (const id of frontier) for (const other of adj.get(id) ?? []) if (!seen.has(other)) { seen.add(other); next.push(other); }
    order.push(...next);
    frontier = next;
  }
  return order;
}

/** Table counts for each depth 1..max: what the depth selector says before anything is drawn. */
export function countsByDepth(adj: Map<string, string[]>, start: string, max: number): number[] {
  return Array.from({ length: max }, (_, i) => neighbourhood(adj, start, i + 1).length);
}

// ---- Cost ---------------------------------------------------------------------------------

const rateKey = 'relscope.draw-ms-per-table';
/** Measured on the 2-core bench machine (bench/README.md); refined by this browser's own drawings. */
const defaultRate = { columns: 1.6, names: 0.6 };

function rate(columns: boolean): number {
  try {
    const stored = JSON.parse(localStorage.getItem(rateKey) ?? 'null') as { columns?: number; names?: number } | null;
    const r = columns ? stored?.columns : stored?.names;
    if (typeof r === 'number' && r > 0 && r < 100) return r;
  } catch {
    // no storage: the default rate
  }
  return columns ? defaultRate.columns : defaultRate.names;
}

/** Remembers how long this browser took per table, so the next estimate is its own. */
export function recordRate(tables: number, ms: number, columns: boolean): void {
  if (tables < 50) return;
  try {
    const stored = (JSON.parse(localStorage.getItem(rateKey) ?? 'null') ?? {}) as Record<string, number>;
    const prev = stored[columns ? 'columns' : 'names'];
    const now = ms / tables;
    stored[columns ? 'columns' : 'names'] = prev ? (prev + now) / 2 : now;
    localStorage.setItem(rateKey, JSON.stringify(stored));
  } catch {
    // nothing to remember with
  }
}

/** "about 1 s" for drawing this many tables, with columns when there are few enough. */
export function costOf(tables: number): { ms: number; columns: boolean; label: string } {
  const columns = tables <= columnsUpTo;
  const ms = 150 + tables * rate(columns);
  const label = ms < 1000 ? 'under a second' : `about ${Math.round(ms / 1000)} s`;
  return { ms, columns, label: `${label}${columns ? '' : ', names only'}` };
}

// ---- Boxes and lines ------------------------------------------------------------------------

export function shortType(type: string): string {
  return type
    .replace(/^character varying/, 'varchar')
    .replace(/^timestamp\((\d)\) with time zone|^timestamp with time zone/, 'timestamptz')
    .replace(/^timestamp without time zone/, 'timestamp')
    .replace(/^double precision/, 'float8')
    .replace(/^integer/, 'int')
    .replace(/^boolean/, 'bool');
}

/** The most rows a table's box draws; the side panel lists every column. */
export const maxBoxRows = 30;

/**
 * A box's rows: every column up to maxBoxRows; beyond that the key columns and the first
 * others, in table order, and a last row saying how many more the side panel lists. Else one
 * table of 150 columns is a box thousands of pixels tall and fitting it shrinks the whole
 * picture past reading.
 */
export function boxRows(rows: BoxRow[]): BoxRow[] {
  if (rows.length <= maxBoxRows) return rows;
  const room = maxBoxRows - 1;
  const keys = rows.filter((r) => r.keys).length;
  let others = Math.max(0, room - keys);
  const kept = rows.filter((r) => (r.keys ? true : others-- > 0)).slice(0, room);
  return [...kept, { name: `… ${rows.length - kept.length} more columns`, type: '', keys: '' }];
}

export function boxTables(model: SchemaModel, ids: string[], columns: boolean): BoxTable[] {
  const qualified = new Set(model.tables.map((t) => t.schema)).size > 1;
  const byId = new Map(model.tables.map((t) => [t.id, t]));
  const out: BoxTable[] = [];
  for (const id of ids) {
    const t = byId.get(id);
    if (!t) continue;
    const pk = new Set(t.primaryKey?.columns ?? []);
    const fk = new Set(t.foreignKeys.flatMap((f) => f.columns));
    const uk = singleColumnUniques(t);
    out.push({
      id,
      title: qualified ? `${t.schema}.${t.name}` : t.name,
      summary: `${t.columns.length} column${t.columns.length === 1 ? '' : 's'}${t.foreignKeys.length ? ` · ${t.foreignKeys.length} FK` : ''}`,
      rows: columns ? boxRows(t.columns.map((c) => ({
        name: c.name,
        type: shortType(c.type),
        keys: [pk.has(c.name) ? 'PK' : '', fk.has(c.name) ? 'FK' : '', uk.has(c.name) && !pk.has(c.name) ? 'UK' : ''].filter(Boolean).join(' '),
      }))) : [],
    });
  }
  return out;
}

export interface DrawnRelation extends LayoutEdge {
  /** The end markers: 'many' at the FK holder; 'one' or 'zero-one' at the referenced table. */
  fromEnd: 'many' | 'one' | 'zero-one';
  toEnd: 'one' | 'zero-one';
  label: string;
}

/** The lines among these tables, each from the table holding the FK to the one it references. */
export function drawnRelations(model: SchemaModel, ids: string[]): DrawnRelation[] {
  const wanted = new Set(ids);
  const out: DrawnRelation[] = [];
  for (const r of model.relations) {
    if (!drawn(r)) continue;
    // An ORM 1:m is the inverse of an m:1: draw it from the many side.
    const [from, to] = r.kind === '1:m' ? [r.to, r.from] : [r.from, r.to];
    if (!wanted.has(from) || !wanted.has(to)) continue;
    out.push({
      id: r.id,
      from,
      to,
      fromEnd: r.kind === '1:1' ? 'zero-one' : 'many',
      toEnd: r.nullable ? 'zero-one' : 'one',
      label: r.columns.join(', '),
    });
  }
  return out;
}
