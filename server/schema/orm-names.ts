/**
 * The database's model in the ORM's words: property and entity names, inheritance and
 * embedded groups copied from the ORM's model onto the same tables, columns and foreign keys
 * of the database's, so a `db` diagram can speak the ORM's language where the ORM knows the
 * table. Structure (tables, columns, FKs) stays the database's; nothing is added or removed.
 */
import { relationId } from '../../common/relations.ts';
import type { Relation, SchemaModel } from '../../common/schema-model.ts';

export function withOrmNames(db: SchemaModel, orm: SchemaModel): SchemaModel {
  const ormTables = new Map(orm.tables.map((t) => [t.id, t]));
  const ormRelations = new Map<string, Relation>();
  for (const r of orm.relations) {
    if (r.kind === 'm:n') ormRelations.set(`m:n\u0000${r.id}`, r);
    else ormRelations.set(relationId(r.from, r.columns, r.to), r);
  }
  const tables = db.tables.map((table) => {
    const mapped = ormTables.get(table.id);
    if (!mapped || mapped.kind === 'virtual') return table;
    const ormColumns = new Map(mapped.columns.map((c) => [c.name, c]));
    return {
      ...table,
      entity: table.entity ?? mapped.entity,
      columns: table.columns.map((c) => {
        const known = ormColumns.get(c.name);
        if (!known) return c;
        return { ...c, property: c.property ?? known.property, ...(known.embedded ? { embedded: known.embedded } : {}) };
      }),
      ...(mapped.inheritance ? { inheritance: mapped.inheritance } : {}),
    };
  });
  const relations = db.relations.map((r) => {
    const known = r.kind === 'm:n' ? ormRelations.get(`m:n\u0000${r.id}`) : ormRelations.get(relationId(r.from, r.columns, r.to));
    if (!known || known.from !== r.from || known.to !== r.to) return r;
    return { ...r, fromProperty: r.fromProperty ?? known.fromProperty, toProperty: r.toProperty ?? known.toProperty, fromEntity: r.fromEntity ?? known.fromEntity, toEntity: r.toEntity ?? known.toEntity };
  });
  return { ...db, tables, relations };
}
