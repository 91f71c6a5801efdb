/** Relation helpers shared by the sources and the outputs. */
import type { Column, ForeignKey, Key, Relation, RelationKind, Table } from './schema-model.ts';

/** Two FKs whose columns are exactly the table's columns and make up its primary key. */
export function isPlainPivot(columns: Column[], foreignKeys: ForeignKey[], primaryKey: Key | null, fkColumns: Set<string>): boolean {
  if (foreignKeys.length !== 2 || !primaryKey) return false;
  if (columns.length !== fkColumns.size || !columns.every((c) => fkColumns.has(c.name))) return false;
  const pk = new Set(primaryKey.columns);
  return pk.size === fkColumns.size && [...fkColumns].every((c) => pk.has(c));
}

export function relationId(from: string, columns: string[], to: string): string {
  return `${from}.${columns.join(',')}->${to}`;
}

function sameSet(a: string[], b: string[]): boolean {
  if (a.length !== b.length) return false;
  if (a.length === 1) return a[0] === b[0];
  return b.every((x) => a.includes(x));
}

/** True when the columns are exactly the primary key, a unique constraint or a full unique index. */
export function isUniqueColumnSet(table: Table, columns: string[]): boolean {
  if (table.primaryKey && sameSet(table.primaryKey.columns, columns)) return true;
  if (table.uniques.some((u) => sameSet(u.columns, columns))) return true;
  return table.indexes.some((i) => i.unique && !i.where && i.expressions.length === 0 && sameSet(i.columns, columns));
}

/**
 * Relations as the database shows them: one m:1 (or 1:1, when the FK columns are unique) per
 * foreign key, plus one m:n per plain pivot table (`Table.isPivot`).
 */
export function relationsFromForeignKeys(tables: Table[]): Relation[] {
  const relations: Relation[] = [];
  const seen = new Set<string>();
  const push = (relation: Relation) => {
    if (seen.has(relation.id)) {
      let n = 2;
      while (seen.has(`${relation.id}#${n}`)) n++;
      relation.id = `${relation.id}#${n}`;
    }
    seen.add(relation.id);
    relations.push(relation);
  };
  const nullable = (table: Table, name: string) => {
    for (const c of table.columns) if (c.name === name) return c.nullable;
    return false;
  };
  for (const table of tables) {
    for (const fk of table.foreignKeys) {
      push({
        id: relationId(table.id, fk.columns, fk.references),
        kind: isUniqueColumnSet(table, fk.columns) ? '1:1' : 'm:1',
        from: table.id,
        to: fk.references,
        fromProperty: null,
        toProperty: null,
        fromEntity: null,
        toEntity: null,
        // Shared with the FK, not copied: the model is read-only once built.
        columns: fk.columns,
        referencedColumns: fk.referencedColumns,
        nullable: fk.columns.some((c) => nullable(table, c)),
        onDelete: fk.onDelete,
        onUpdate: fk.onUpdate,
        cascade: [],
        inverseCascade: [],
        orphanRemoval: false,
        via: null,
        selfReference: fk.references === table.id,
        strategy: null,
        eager: false,
      });
    }
    if (table.isPivot && table.primaryKey) {
      // The FK whose first column comes first in the primary key is the owning side.
      const position = (cols: string[]) => table.primaryKey!.columns.indexOf(cols[0]!);
      const [first, second] = [...table.foreignKeys].sort((a, b) => position(a.columns) - position(b.columns));
      push({
        id: table.id,
        kind: 'm:n',
        from: first!.references,
        to: second!.references,
        fromProperty: null,
        toProperty: null,
        fromEntity: null,
        toEntity: null,
        columns: [...first!.columns],
        referencedColumns: [...second!.columns],
        nullable: true,
        onDelete: null,
        onUpdate: null,
        cascade: [],
        inverseCascade: [],
        orphanRemoval: false,
        via: { table: table.id, entity: null, plainPivot: true },
        selfReference: first!.references === second!.references,
        strategy: null,
        eager: false,
      });
    }
  }
  return relations;
}

/** A relation as seen from one of its tables: what the page's side panel lists. */
export interface RelationView {
  relation: Relation;
  /** The kind from this table's point of view: an m:1 seen from the referenced table is 1:m. */
  kind: RelationKind;
  other: string;
  property: string | null;
  otherProperty: string | null;
}

export function viewFrom(relation: Relation, tableId: string): RelationView {
  const fromSide = relation.from === tableId;
  const kind: RelationKind = fromSide ? relation.kind : relation.kind === 'm:1' ? '1:m' : relation.kind;
  return {
    relation,
    kind,
    other: fromSide ? relation.to : relation.from,
    property: fromSide ? relation.fromProperty : relation.toProperty,
    otherProperty: fromSide ? relation.toProperty : relation.fromProperty,
  };
}
