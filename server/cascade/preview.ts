/**
 * Cascade preview: what `DELETE` of one row would remove or null, table by table, with exact
 * counts, and what the ORM would do along each FK (its remove cascade / orphan removal, from
 * the ORM model's declarations), every disagreement marked. Used by `relscope cascade` and
 * `GET /api/cascade` alike.
 *
 * Nothing is deleted. The rows a DELETE would reach are described as one SELECT: a CTE per
 * table holding the ctids (and the referenced key columns) of its doomed rows, the root's by
 * its primary key, every other one by `FK IN (doomed rows of the parent)` over ON DELETE
 * CASCADE FKs (a self-referencing FK makes its CTE recursive), then COUNT(*) of each. It runs
 * inside BEGIN READ ONLY ... ROLLBACK with SET LOCAL statement_timeout (on the embedded
 * database, which ignores statement_timeout, a watchdog restarts it at the timeout).
 * Triggers and rules are not simulated: FK actions only.
 *
 * Table-per-type inheritance: MikroORM 7 removes a TPT entity with one DELETE on its
 * hierarchy's root table (ChangeSetPersister.executeDeletes deletes `meta.root`), and each
 * child table's primary key, an FK to its parent's with ON DELETE CASCADE, takes the rest. So
 * for a TPT child the counting starts at the root table's row with the same key (only when the
 * entity's own row, and every level between, exists), and the tree shows each parent row as
 * deleted by the ORM. A TPT child table reached from its parent is marked as the same entity's row.
 */
import type pg from 'pg';
import type { AppContext } from '../context.ts';
import { UserError } from '../errors.ts';
import { dbModel, ormModel } from '../schema/load.ts';
import { quoteIdent, quoteTable } from '../schema/sql.ts';
import { deleteSides, inverseOf } from '../schema/doctor.ts';
import { splitQualifiedId, type EntityDeclaration, type ForeignKey, type SchemaModel, type Table } from '../../common/schema-model.ts';
import type { CascadeActor, CascadeNode, CascadeReport, CascadeTotal } from '../../common/cascade-types.ts';

export const cascadeTimeoutMs = 15_000;

export interface CascadeInput {
  entity?: unknown;
  id?: unknown;
}

/** How inputs are named in messages: `entity` / `id` for the API, `<Entity>` / `<id>` for the CLI. */
export type CascadeFieldNames = Record<'entity' | 'id', string>;
export const apiFieldNames: CascadeFieldNames = { entity: 'entity', id: 'id' };

interface Edge {
  child: Table;
  fk: ForeignKey;
  parent: string;
}

const ctidCol = '__relscope_ctid';

/** Parses the id: a single value, a JSON object or array, or `a=1,b=2`, against the table's primary key. */
export function parseKey(raw: unknown, table: Table, entity: string, field: string, properties: Map<string, string> = new Map()): Record<string, string> {
  const pk = table.primaryKey?.columns ?? [];
  if (!pk.length) throw new UserError(`${entity} (${table.id}) has no primary key in the database, so one row cannot be named.`);
  const byProperty = new Map<string, string>();
  for (const c of table.columns) if (pk.includes(c.name)) byProperty.set(c.name, c.name);
  for (const [property, column] of properties) if (pk.includes(column)) byProperty.set(property, column);
  const example = pk.length === 1 ? '42' : `'${JSON.stringify(Object.fromEntries(pk.map((c, i) => [c, i + 1])))}' or ${pk.map((c, i) => `${c}=${i + 1}`).join(',')}`;
  const fail = (why: string): never => { throw new UserError(`${field} ${why}; ${entity}'s primary key is (${pk.join(', ')}), e.g. ${example}.`); };
  let values: unknown = raw;
  if (typeof raw === 'string') {
    const text = raw.trim();
    if (!text) fail('is required');
    if (text.startsWith('{') || text.startsWith('[')) {
      try {
        values = JSON.parse(text);
      } catch {
        fail(`is not valid JSON (${JSON.stringify(text.slice(0, 40))})`);
      }
    } else if (pk.length > 1 || /^[^=]+=/.test(text)) {
      const parts = text.split(',').map((p) => p.split('='));
      if (parts.some((p) => p.length !== 2)) fail(`must name every key column (${JSON.stringify(text.slice(0, 40))})`);
      values = Object.fromEntries(parts.map(([k, v]) => [k!.trim(), v!.trim()]));
    } else {
      values = text;
    }
  } else if (raw === undefined || raw === null) fail('is required');
  const key: Record<string, string> = {};
  const scalar = (v: unknown): string => {
    if (typeof v === 'number' && Number.isFinite(v)) return String(v);
    if (typeof v === 'string' && v.length > 0 && v.length <= 200) return v;
    return fail(`must hold plain values (numbers or strings), got ${JSON.stringify(v)?.slice(0, 40)}`);
  };
  if (Array.isArray(values)) {
    if (values.length !== pk.length) fail(`has ${values.length} value${values.length === 1 ? '' : 's'} but the key has ${pk.length}`);
    pk.forEach((c, i) => (key[c] = scalar((values as unknown[])[i])));
  } else if (values && typeof values === 'object') {
    for (const [k, v] of Object.entries(values)) {
      const column = byProperty.get(k);
      if (!column) fail(`names "${k}", which is not a key column or property`);
      key[column!] = scalar(v);
    }
    const missing = pk.filter((c) => !(c in key));
    if (missing.length) fail(`lacks ${missing.join(', ')}`);
  } else {
    if (pk.length > 1) fail('must give every key column');
    key[pk[0]!] = scalar(values);
  }
  for (const c of pk) {
    const type = table.columns.find((x) => x.name === c)?.type ?? '';
    const v = key[c]!;
    const which = pk.length > 1 ? `(${c}) ` : '';
    if (/^(smallint|integer|bigint)$/.test(type) && !/^-?\d{1,19}$/.test(v)) fail(`${which}must be an integer (${type}), got ${JSON.stringify(v)}`);
    if (type === 'uuid' && !/^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i.test(v)) fail(`${which}must be a uuid, got ${JSON.stringify(v)}`);
  }
  return key;
}

function resolveEntity(orm: SchemaModel, raw: unknown, field: string): EntityDeclaration {
  const entities = (orm.entities ?? []).filter((e) => e.table);
  const names = entities.map((e) => e.name).join(', ') || '(none)';
  if (typeof raw !== 'string' || !raw.trim()) throw new UserError(`${field} is required: one of ${names}.`);
  const wanted = raw.trim();
  const found = entities.find((e) => e.name === wanted) ?? entities.find((e) => e.name.toLowerCase() === wanted.toLowerCase())
    ?? entities.find((e) => e.table === wanted || splitQualifiedId(e.table!).name === wanted);
  if (!found) throw new UserError(`${field}: unknown entity "${wanted.slice(0, 80)}"; entities: ${names}.`);
  return found;
}

/** One level of a TPT hierarchy above the entity: its table, its parent's, and the FK between them (null when the database lacks it). */
interface TptLink {
  child: Table;
  parent: Table;
  parentEntity: string;
  fk: ForeignKey | null;
}

const sameColumns = (a: string[], b: string[]) => a.length === b.length && a.every((c) => b.includes(c));

/** The FK from a TPT child table's primary key to its parent table's, as the database has it. */
function tptForeignKey(child: Table, parent: string): ForeignKey | null {
  const pk = child.primaryKey?.columns ?? [];
  return child.foreignKeys.find((fk) => fk.references === parent && pk.length > 0 && sameColumns(fk.columns, pk)) ?? null;
}

/** The entity's table and its TPT parents' up to the hierarchy's root, from the ORM model's Table.inheritance. */
function tptChain(orm: SchemaModel, tables: Map<string, Table>, table: Table, entity: string): TptLink[] {
  const ormTables = new Map(orm.tables.map((t) => [t.id, t]));
  const links: TptLink[] = [];
  const seen = new Set([table.id]);
  let current = table;
  for (;;) {
    const inheritance = ormTables.get(current.id)?.inheritance;
    if (inheritance?.kind !== 'tpt' || seen.has(inheritance.parentTable)) return links;
    const parent = tables.get(inheritance.parentTable);
    if (!parent) throw new UserError(`${entity} extends ${inheritance.parentEntity} (table-per-type), whose table ${inheritance.parentTable} is not in the database: em.remove() would delete from it.`);
    if ((parent.primaryKey?.columns.length ?? 0) !== (current.primaryKey?.columns.length ?? 0)) return links;
    links.push({ child: current, parent, parentEntity: inheritance.parentEntity, fk: tptForeignKey(current, parent.id) });
    seen.add(parent.id);
    current = parent;
  }
}

const tuple = (alias: string, columns: string[]) => (columns.length === 1 ? `${alias}.${quoteIdent(columns[0]!)}` : `(${columns.map((c) => `${alias}.${quoteIdent(c)}`).join(', ')})`);
const list = (columns: string[]) => columns.map(quoteIdent).join(', ');

export async function previewCascade(ctx: AppContext, input: CascadeInput, names: CascadeFieldNames = apiFieldNames): Promise<CascadeReport> {
  const started = performance.now();
  const orm = await ormModel(ctx);
  const entity = resolveEntity(orm, input.entity, names.entity);
  const db = await dbModel(ctx);
  const tables = new Map(db.tables.map((t) => [t.id, t]));
  const root = tables.get(entity.table!);
  if (!root) throw new UserError(`${names.entity}: ${entity.name}'s table ${entity.table} is not in the database.`);
  const properties = new Map((orm.tables.find((t) => t.id === root.id)?.columns ?? []).filter((c) => c.property).map((c) => [c.property!, c.name]));
  const key = parseKey(input.id, root, entity.name, names.id, properties);
  // A TPT child: MikroORM deletes the row of the hierarchy's root table with the same key.
  const chain = tptChain(orm, tables, root, entity.name);
  const keys = new Map<string, Record<string, string>>([[root.id, key]]);
  for (const link of chain) {
    const childKey = keys.get(link.child.id)!;
    const from = link.fk?.columns ?? link.child.primaryKey!.columns;
    const to = link.fk?.referencedColumns ?? link.parent.primaryKey!.columns;
    keys.set(link.parent.id, Object.fromEntries(to.map((c, i) => [c, childKey[from[i]!]!])));
  }
  const start = chain.length ? chain[chain.length - 1]!.parent : root;
  const notCounted: string[] = [];
  for (const link of chain) if (!link.fk) notCounted.push(`${link.child.id} has no FK on its primary key to ${link.parent.id}: MikroORM deletes the ${link.parent.id} row, and nothing in the database removes the ${link.child.id} row with it`);

  // Every FK, by the table it references.
  const incoming = new Map<string, Edge[]>();
  for (const child of db.tables) for (const fk of child.foreignKeys) {
    if (!tables.has(fk.references)) continue;
    incoming.set(fk.references, [...(incoming.get(fk.references) ?? []), { child, fk, parent: fk.references }]);
  }
  // Tables a DELETE reaches through ON DELETE CASCADE, in an order where parents come first.
  const reached = new Set<string>([start.id]);
  const queue = [start.id];
  while (queue.length) {
    const id = queue.shift()!;
    for (const e of incoming.get(id) ?? []) if (e.fk.onDelete === 'cascade' && !reached.has(e.child.id)) {
      reached.add(e.child.id);
      queue.push(e.child.id);
    }
  }
  const order: string[] = [];
  const pending = new Set(reached);
  while (pending.size) {
    const ready = [...pending].filter((id) => id === start.id || [...pending].every((p) => p === id || !(incoming.get(p) ?? []).some((e) => e.fk.onDelete === 'cascade' && e.child.id === id)));
    const next = ready.length ? ready : [[...pending].sort()[0]!];
    if (!ready.length) notCounted.push(`a cascade cycle through ${[...pending].sort().join(', ')}: rows reached only around the cycle are not counted`);
    for (const id of next.sort()) {
      order.push(id);
      pending.delete(id);
    }
  }
  const alias = new Map(order.map((id, i) => [id, `d${i}`]));
  const params: string[] = [];
  const ctes: string[] = [];
  for (const id of order) {
    const t = tables.get(id)!;
    const keep = [...new Set([...(t.primaryKey?.columns ?? []), ...(incoming.get(id) ?? []).flatMap((e) => e.fk.referencedColumns)])];
    const select = `select t.ctid as ${ctidCol}${keep.length ? `, ${keep.map((c) => `t.${quoteIdent(c)}`).join(', ')}` : ''} from ${quoteTable(t)} t`;
    let base: string;
    if (id === start.id) {
      const match = (alias: string, table: Table) => table.primaryKey!.columns.map((c) => { params.push(keys.get(table.id)![c]!); return `${alias}.${quoteIdent(c)} = $${params.length}`; }).join(' and ');
      // A TPT child's root row counts only when the entity's own row (and every level between) exists.
      const levels = chain.map((link) => ` and exists (select 1 from ${quoteTable(link.child)} c where ${match('c', link.child)})`).join('');
      base = `${select} where ${match('t', start)}${levels}`;
    } else {
      const conds = (order.slice(0, order.indexOf(id)).flatMap((p) => (incoming.get(p) ?? []).filter((e) => e.child.id === id && e.fk.onDelete === 'cascade'))
        .map((e) => `${tuple('t', e.fk.columns)} in (select ${list(e.fk.referencedColumns)} from ${alias.get(e.parent)})`));
      base = `${select} where ${conds.join(' or ') || 'false'}`;
    }
    const selfEdges = (incoming.get(id) ?? []).filter((e) => e.child.id === id && e.fk.onDelete === 'cascade');
    const recursive = selfEdges.length
      ? ` union select t.ctid${keep.length ? `, ${keep.map((c) => `t.${quoteIdent(c)}`).join(', ')}` : ''} from ${quoteTable(t)} t join ${alias.get(id)} r on ${selfEdges.map((e) => `${tuple('t', e.fk.columns)} = ${tuple('r', e.fk.referencedColumns)}`).join(' or ')}`
      : '';
    ctes.push(`${alias.get(id)} as (${base}${recursive})`);
  }
  // Counts: per table, per FK from a doomed parent (cascade, set null/default, restrict/no action).
  const counts: string[] = order.map((id) => `(select count(*) from ${alias.get(id)})`);
  const edgeCounts: { edge: Edge; index: number }[] = [];
  for (const parent of order) for (const edge of incoming.get(parent) ?? []) {
    const childAlias = alias.get(edge.child.id);
    const notDoomed = childAlias ? ` and not exists (select 1 from ${childAlias} x where x.${ctidCol} = t.ctid)` : '';
    const survivorsOnly = edge.fk.onDelete !== 'cascade';
    counts.push(`(select count(*) from ${quoteTable(edge.child)} t where ${tuple('t', edge.fk.columns)} in (select ${list(edge.fk.referencedColumns)} from ${alias.get(parent)})${survivorsOnly ? notDoomed : ''})`);
    edgeCounts.push({ edge, index: counts.length - 1 });
  }
  const sql = `with recursive ${ctes.join(',\n')}\nselect ${counts.map((c, i) => `${c} as c${i}`).join(',\n')}`;
  let row: Record<string, string>;
  try {
    row = await readOnlyQuery(ctx, sql, params, cascadeTimeoutMs);
  } catch (error) {
    // A key value the column's type refuses (class 22, data exception): the id's fault, not ours.
    const e = error as { code?: string; message?: string };
    if (typeof e.code === 'string' && e.code.startsWith('22')) throw new UserError(`${names.id} is not a valid ${entity.name} key: ${e.message}.`);
    throw error;
  }
  const n = (i: number) => Number(row[`c${i}`] ?? 0);
  if (n(0) === 0) throw new UserError(`No ${entity.name} with ${Object.entries(key).map(([k, v]) => `${k} = ${v}`).join(' and ')} in ${root.id}.`, { status: 404, exitCode: 1 });

  // ORM side of each FK, from the declarations.
  const entities = new Map((orm.entities ?? []).map((e) => [e.name, e]));
  const byTable = new Map<string, EntityDeclaration>();
  for (const e of orm.entities ?? []) if (e.table && !byTable.has(e.table)) byTable.set(e.table, e);
  const ormSide = (edge: Edge) => {
    const child = byTable.get(edge.child.id);
    const prop = child?.relations.find((r) => r.owner && r.kind !== 'm:n' && r.columns.length === edge.fk.columns.length && r.columns.every((c, i) => c === edge.fk.columns[i]));
    if (!child || !prop) return { child: child ?? null, prop: null, inverse: null, sides: null };
    const inverse = inverseOf(child, prop, entities.get(prop.target)) ?? null;
    const notNull = edge.fk.columns.some((c) => edge.child.columns.find((x) => x.name === c)?.nullable === false);
    return { child, prop, inverse, sides: deleteSides(child, prop, inverse ?? undefined, edge.fk.onDelete, notNull) };
  };

  // TPT: a child table reached from its parent by its key is the same entity's row; the links of
  // the entity's own chain are shown upwards (parent rows the ORM deletes) instead.
  const ormTables = new Map(orm.tables.map((t) => [t.id, t]));
  const chainFks = new Set(chain.map((link) => link.fk).filter((fk): fk is ForeignKey => !!fk));
  const tptChild = (edge: Edge) => {
    const inheritance = ormTables.get(edge.child.id)?.inheritance;
    return inheritance?.kind === 'tpt' && inheritance.parentTable === edge.parent && sameColumns(edge.fk.columns, edge.child.primaryKey?.columns ?? []);
  };
  const hierarchyRoot = (table: string) => {
    const seen = new Set<string>();
    let id = table;
    for (let inheritance = ormTables.get(id)?.inheritance; inheritance?.kind === 'tpt' && !seen.has(id); inheritance = ormTables.get(id)?.inheritance) {
      seen.add(id);
      id = inheritance.parentTable;
    }
    return id;
  };

  const totals: CascadeTotal[] = order.map((id, i) => ({ table: id, entity: byTable.get(id)?.name ?? null, deleted: n(i), nulled: 0 }));
  const blocked: CascadeReport['blocked'] = [];
  let disagreements = 0;
  const expanded = new Set<string>([root.id, ...chain.map((link) => link.parent.id)]);
  const nodeFor = (table: string): CascadeNode[] => {
    const children: CascadeNode[] = [];
    for (const { edge, index } of edgeCounts.filter((x) => x.edge.parent === table)) {
      const rows = n(index);
      const rule = edge.fk.onDelete;
      // The entity's own row in a child table of its chain: it is the tree's root or a parent above.
      if (chainFks.has(edge.fk) && rule === 'cascade') continue;
      const tpt = tptChild(edge);
      const o = tpt ? { child: entities.get(ormTables.get(edge.child.id)?.entity ?? '') ?? byTable.get(edge.child.id) ?? null, prop: null, inverse: null, sides: null } : ormSide(edge);
      // MikroORM deletes a TPT entity from its root table only and counts on each child key's ON DELETE CASCADE.
      const ormAction = tpt ? 'remove' : o.sides?.orm ?? null;
      const tptDisagreement = tpt && rule !== 'cascade'
        ? `MikroORM deletes ${o.child?.name ?? edge.child.id} entities from ${hierarchyRoot(edge.parent)} only and counts on ON DELETE CASCADE on ${edge.child.id}(${edge.fk.columns.join(', ')}) to remove its ${edge.child.id} row; with ${rule.toUpperCase()} the delete fails`
        : null;
      if (rows === 0 && !(tpt ? tptDisagreement : o.sides?.disagreement)) continue;
      const notNull = edge.fk.columns.some((c) => edge.child.columns.find((x) => x.name === c)?.nullable === false);
      const action = rule === 'cascade' ? 'delete' : rule === 'set null' ? 'set null' : rule === 'set default' ? 'set default' : 'blocks';
      if ((action === 'set null' || action === 'set default') && !(action === 'set null' && notNull)) {
        const total = totals.find((t) => t.table === edge.child.id);
        if (total) total.nulled += rows;
        else totals.push({ table: edge.child.id, entity: byTable.get(edge.child.id)?.name ?? null, deleted: 0, nulled: rows });
      }
      if (action === 'blocks' && rows > 0) blocked.push({ table: edge.child.id, columns: edge.fk.columns, references: table, rows, rule });
      // SET NULL on a NOT NULL column: Postgres aborts the DELETE instead of nulling.
      if (action === 'set null' && notNull && rows > 0) blocked.push({ table: edge.child.id, columns: edge.fk.columns, references: table, rows, rule });
      const dbActs = rule === 'cascade' || rule === 'set null' || rule === 'set default';
      const ormActs = ormAction === 'remove' || ormAction === 'set null';
      const by: CascadeActor = dbActs && ormActs ? 'both' : dbActs ? 'database' : ormActs ? 'orm' : 'nobody';
      // A plain pivot table (no entity) has no ORM side: MikroORM leaves its rows to the database.
      const disagreement = tpt ? tptDisagreement : o.sides?.disagreement ?? null;
      if (disagreement) disagreements++;
      const node: CascadeNode = {
        table: edge.child.id,
        entity: o.child?.name ?? null,
        via: { parent: table, columns: edge.fk.columns, property: o.prop?.name ?? null, inverseProperty: o.inverse?.name ?? null },
        action,
        rows,
        database: rule,
        orm: ormAction,
        by,
        disagreement,
        children: [],
        ...(tpt ? { tpt: 'child' as const } : {}),
      };
      if (action === 'delete' && rows > 0) {
        if (expanded.has(edge.child.id)) node.expandedAbove = true;
        else {
          expanded.add(edge.child.id);
          node.children = nodeFor(edge.child.id);
        }
      }
      children.push(node);
    }
    return children;
  };
  // The entity's TPT parent rows: em.remove() deletes them (the root's by its DELETE, the
  // levels between by their keys' cascade), listed first under the row they extend.
  const rowsOf = (table: string) => (order.includes(table) ? n(order.indexOf(table)) : n(0));
  const levelNodes = (level: number): CascadeNode[] => {
    const link = chain[level];
    const table = level === 0 ? root.id : chain[level - 1]!.parent.id;
    if (!link) return nodeFor(table);
    // The parent first: what it lists is expanded there, and later paths to it say so.
    const parentNode: CascadeNode = {
      table: link.parent.id,
      entity: link.parentEntity,
      via: { parent: link.child.id, columns: link.fk?.referencedColumns ?? link.parent.primaryKey!.columns, property: null, inverseProperty: null },
      action: 'delete',
      rows: rowsOf(link.parent.id),
      database: null,
      orm: 'remove',
      by: 'orm',
      disagreement: null,
      children: levelNodes(level + 1),
      tpt: 'parent',
    };
    return [parentNode, ...nodeFor(table)];
  };
  const rootNode: CascadeNode = { table: root.id, entity: entity.name, via: null, action: 'delete', rows: rowsOf(root.id), database: null, orm: null, by: 'nobody', disagreement: null, children: [] };
  rootNode.children = levelNodes(0);
  return {
    entity: entity.name,
    table: root.id,
    key,
    tpt: chain.length ? { table: start.id, entity: chain[chain.length - 1]!.parentEntity, key: keys.get(start.id)!, chain: [root.id, ...chain.map((link) => link.parent.id)] } : null,
    root: rootNode,
    totals: totals.filter((t) => t.deleted || t.nulled),
    blocked,
    disagreements,
    method: `exact COUNT(*) of the rows each FK action reaches, one SELECT in a READ ONLY transaction rolled back (statement timeout ${cascadeTimeoutMs / 1000} s); FK actions only, triggers not simulated`,
    notCounted,
    tookMs: performance.now() - started,
  };
}

/** One statement in BEGIN READ ONLY ... ROLLBACK with a statement timeout (a watchdog on the embedded database). */
async function readOnlyQuery(ctx: AppContext, sql: string, params: string[], timeoutMs: number): Promise<Record<string, string>> {
  return ctx.withClient(async (client: pg.ClientBase) => {
    await client.query('begin transaction read only');
    try {
      await client.query(`set local statement_timeout = ${Math.round(timeoutMs)}`);
      const running = client.query<Record<string, string>>(sql, params);
      const embedded = ctx.target.embedded;
      if (!embedded) return (await running).rows[0] ?? {};
      running.catch(() => {});
      let timer: NodeJS.Timeout | undefined;
      const timedOut = Symbol('timeout');
      const outcome = await Promise.race([running, new Promise<typeof timedOut>((r) => { timer = setTimeout(() => r(timedOut), timeoutMs); })]).finally(() => clearTimeout(timer));
      if (outcome === timedOut) {
        await embedded.kill();
        await embedded.start();
        throw new UserError(`The cascade count was stopped by the watchdog after ${timeoutMs} ms (the embedded database ignores statement_timeout; it was restarted).`, { status: 504, exitCode: 1 });
      }
      return outcome.rows[0] ?? {};
    } catch (error) {
      if ((error as { code?: string }).code === '57014') throw new UserError(`The cascade count was canceled by statement_timeout after ${timeoutMs} ms.`, { status: 504, exitCode: 1 });
      throw error;
    } finally {
      await client.query('rollback').catch(() => {});
    }
  });
}
