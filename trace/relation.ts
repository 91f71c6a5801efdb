/**
 * Which entity relation a statement loaded, from the statement itself and the ORM's metadata
 * (read-only): the table it selects from and the column(s) its WHERE filters on.
 *
 * - filtered by the primary key of Customer            -> a to-one relation targeting Customer
 *   (Order.customer); when several relations target it (Order.customer, Order.referredBy), the
 *   call site's source line names the property (`order.referredBy.load()`);
 * - filtered by the foreign key order.customer_id        -> the collection on its inverse side,
 *   Customer.orders;
 * - filtered by a pivot table's join column              -> the many-to-many on that side.
 */
import type { EntityMetadata, EntityProperty, MikroORM } from '@mikro-orm/core';
import { tokenize, type Token } from '../server/lab/sql.ts';

export interface RelationGuess {
  /** 'Order.customer' */
  relation: string;
  /** The entity whose loop sends the statements and the path to populate on it. */
  owner: string;
  property: string;
  toMany: boolean;
  /** The relation is `eager`: MikroORM loads it with every load of its owner, unasked. */
  eager?: boolean;
}

interface TableRef {
  table: string;
  schema?: string;
}

function unquote(t: Token): string {
  return t.kind === 'quoted' ? t.text.slice(1, -1).replace(/""/g, '"') : t.text;
}

/** Main table, aliases and the alias.column pairs compared in the top-level WHERE. */
export function parseSelect(sql: string): { main?: TableRef; aliases: Map<string, TableRef>; filters: { alias?: string; column: string }[] } {
  const tokens = tokenize(sql);
  const aliases = new Map<string, TableRef>();
  let main: TableRef | undefined;
  let depth = 0;
  let whereAt = -1;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.kind === 'punct' && t.text === '(') depth++;
    else if (t.kind === 'punct' && t.text === ')') depth--;
    if (depth !== 0 || t.kind !== 'word') continue;
    if (t.text === 'from' || t.text === 'join') {
      let j = i + 1;
      const first = tokens[j];
      if (!first || (first.kind !== 'quoted' && first.kind !== 'word')) continue;
      let ref: TableRef = { table: unquote(first) };
      if (tokens[j + 1]?.text === '.' && tokens[j + 2]) {
        ref = { schema: ref.table, table: unquote(tokens[j + 2]!) };
        j += 2;
      }
      let alias = ref.table;
      if (tokens[j + 1]?.text === 'as' && tokens[j + 2]) alias = unquote(tokens[j + 2]!);
      else if (tokens[j + 1]?.kind === 'quoted') alias = unquote(tokens[j + 1]!);
      aliases.set(alias, ref);
      if (t.text === 'from' && !main) main = ref;
    }
    if (t.text === 'where' && whereAt < 0) whereAt = i;
  }
  const filters: { alias?: string; column: string }[] = [];
  if (whereAt >= 0) {
    for (let i = whereAt + 1; i < tokens.length; i++) {
      const t = tokens[i]!;
      if (t.kind === 'word' && ['order', 'limit', 'group', 'offset', 'for'].includes(t.text)) break;
      if ((t.kind !== 'quoted' && t.kind !== 'word') || ['and', 'or', 'in', 'is', 'not', 'null'].includes(t.text)) continue;
      let alias: string | undefined;
      let column = unquote(t);
      let k = i;
      if (tokens[i + 1]?.text === '.' && tokens[i + 2]) {
        alias = column;
        column = unquote(tokens[i + 2]!);
        k = i + 2;
      }
      const op = tokens[k + 1];
      if (op && ((op.kind === 'punct' && op.text === '=') || (op.kind === 'word' && op.text === 'in'))) {
        filters.push({ alias, column });
        i = k + 1;
      }
    }
  }
  return { main, aliases, filters };
}

export class RelationResolver {
  private readonly byTable = new Map<string, EntityMetadata[]>();
  private readonly all: EntityMetadata[];

  constructor(orm: MikroORM) {
    this.all = [...orm.getMetadata().getAll().values()];
    for (const meta of this.all) {
      if (!meta.tableName) continue;
      const list = this.byTable.get(meta.tableName) ?? [];
      list.push(meta);
      this.byTable.set(meta.tableName, list);
    }
  }

  private metaFor(ref: TableRef | undefined): EntityMetadata | undefined {
    if (!ref) return undefined;
    const list = this.byTable.get(ref.table);
    if (!list?.length) return undefined;
    return list.find((m) => !m.embeddable && !m.virtual && (!ref.schema || !m.schema || m.schema === ref.schema || m.schema === '*')) ?? list[0];
  }

  /** The relation a SELECT loaded, or undefined when the statement does not look like a relation load. */
  resolve(sql: string, line?: string): RelationGuess | undefined {
    const { main, aliases, filters } = parseSelect(sql);
    if (!filters.length) return undefined;
    const filter = filters[0]!;
    const ref = filter.alias ? aliases.get(filter.alias) : main;
    const meta = this.metaFor(ref);
    if (!meta) return undefined;
    const props = Object.values(meta.properties) as EntityProperty[];

    if (meta.pivotTable) {
      // m:n through a pivot: the join column names the side that was being loaded.
      for (const owner of this.all) {
        for (const p of Object.values(owner.properties) as EntityProperty[]) {
          if (p.kind !== 'm:n' || !p.owner || p.pivotTable !== meta.tableName) continue;
          if (p.joinColumns?.includes(filter.column)) return { relation: `${owner.className}.${p.name}`, owner: owner.className, property: p.name, toMany: true, eager: Boolean(p.eager) };
          if (p.inverseJoinColumns?.includes(filter.column)) {
            const inverse = p.targetMeta && (Object.values(p.targetMeta.properties) as EntityProperty[]).find((q) => q.kind === 'm:n' && q.mappedBy === p.name);
            if (inverse) return { relation: `${p.targetMeta!.className}.${inverse.name}`, owner: p.targetMeta!.className, property: inverse.name, toMany: true, eager: Boolean(inverse.eager) };
          }
        }
      }
    }

    const isPk = meta.primaryKeys.length === 1 && props.find((p) => p.name === meta.primaryKeys[0])?.fieldNames?.includes(filter.column);
    if (isPk) {
      const candidates: { owner: EntityMetadata; prop: EntityProperty }[] = [];
      for (const owner of this.all) {
        if (owner.pivotTable || owner.embeddable) continue;
        for (const p of Object.values(owner.properties) as EntityProperty[]) {
          if ((p.kind === 'm:1' || p.kind === '1:1') && (p.targetMeta === meta || p.targetMeta?.className === meta.className)) candidates.push({ owner, prop: p });
        }
      }
      let chosen = candidates.length === 1 ? candidates[0] : undefined;
      if (!chosen && candidates.length > 1 && line) {
        // `await order.referredBy.load()`, `order.customer.$`, `loadOrFail()` ...
        const named = candidates.filter((c) => new RegExp(`\\.${c.prop.name}\\b\\s*!?\\s*(\\??\\.|\\))`).test(line));
        if (named.length >= 1) {
          const owners = new Set(named.map((c) => c.prop.name));
          if (owners.size === 1) chosen = named.find((c) => line.includes(c.owner.className.toLowerCase())) ?? named[0];
        }
      }
      if (!chosen) return undefined;
      return { relation: `${chosen.owner.className}.${chosen.prop.name}`, owner: chosen.owner.className, property: chosen.prop.name, toMany: false, eager: Boolean(chosen.prop.eager) };
    }

    // A foreign key of the selected entity: the collection on the other side was being loaded.
    const fk = props.find((p) => (p.kind === 'm:1' || (p.kind === '1:1' && p.owner)) && p.fieldNames?.includes(filter.column));
    if (fk?.targetMeta) {
      const inverse = (Object.values(fk.targetMeta.properties) as EntityProperty[]).find((q) => (q.kind === '1:m' || q.kind === '1:1') && q.mappedBy === fk.name);
      if (inverse) return { relation: `${fk.targetMeta.className}.${inverse.name}`, owner: fk.targetMeta.className, property: inverse.name, toMany: inverse.kind === '1:m', eager: Boolean(inverse.eager) };
    }
    return undefined;
  }
}
