/**
 * The hostile model of mermaid-hostile.ts dressed as an ORM's (entities, properties, STI, TPT,
 * embeddables, a virtual entity, an association entity), for the ORM-language diagram tests.
 */
import { hostileModel, hostileNames } from './mermaid-hostile.ts';
import { sortModel, type Relation, type SchemaModel, type Table } from '../common/schema-model.ts';

/**
 * The hostile model dressed as an ORM's: every table an entity named after a hostile name,
 * every FK a property on both sides named after others; every 10th table an STI root with two
 * hostile subclasses (one of them declaring the table's FK), every 15th a TPT child of its
 * neighbour, every 7th with an embedded group, one virtual entity, and one association entity
 * of an m:n relation.
 */
export function hostileOrmModel(): { model: SchemaModel; stiChildren: number } {
  const names = hostileNames();
  const base = hostileModel(names);
  const name = (i: number) => names[((i % names.length) + names.length) % names.length]!;
  let stiChildren = 0;
  const tables: Table[] = base.tables.map((t, i) => {
    const table: Table = { ...t, entity: t.isPivot ? null : `${name(i * 3 + 1)}Entity`, columns: t.columns.map((c) => ({ ...c, property: c.name })) };
    if (t.isPivot) return table;
    if (i % 10 === 0 && table.columns.length >= 3) {
      const fk = table.columns[2]!.name;
      const disc = table.columns[1]!.name;
      table.inheritance = {
        kind: 'sti', discriminatorColumn: disc,
        entities: [
          { entity: table.entity!, parent: null, discriminatorValue: null, abstract: true, columns: ['id', disc] },
          { entity: `${name(i + 11)}Sub`, parent: table.entity!, discriminatorValue: name(i + 12), abstract: false, columns: [fk] },
          { entity: `${name(i + 13)}Sub2`, parent: `${name(i + 11)}Sub`, discriminatorValue: name(i + 14), abstract: false, columns: [] },
        ],
      };
      stiChildren += 2;
    } else if (i % 15 === 5 && i > 0) {
      table.inheritance = { kind: 'tpt', parentTable: base.tables[i - 1]!.id, parentEntity: `${name(i * 3 - 2)}Entity` };
    }
    if (i % 7 === 3) {
      table.columns = [...table.columns, { name: `${name(i + 5)}_street`, type: 'text', nullable: true, default: null, comment: `note ${name(i)}`, generated: null, property: `${name(i + 6)}.street`, enum: null, embedded: { property: name(i + 6), embeddable: name(i + 7) } }];
    }
    return table;
  });
  const byId = new Map(tables.map((t) => [t.id, t]));
  const relations: Relation[] = base.relations.map((r, i) => {
    const from = byId.get(r.from)!;
    if (from.isPivot) return r;
    const sti = from.inheritance?.kind === 'sti' ? from.inheritance : null;
    // The FK of an STI table belongs to its first subclass.
    const fromEntity = sti && sti.entities[1]!.columns.includes(r.columns[0]!) ? sti.entities[1]!.entity : from.entity;
    return { ...r, fromProperty: name(i * 5 + 2), toProperty: i % 3 === 0 ? null : name(i * 5 + 4), fromEntity, toEntity: byId.get(r.to)!.entity };
  });
  // A TPT child's primary key references its parent's: a relation no property names.
  for (const t of tables) {
    if (t.inheritance?.kind !== 'tpt') continue;
    const parent = t.inheritance.parentTable;
    t.foreignKeys = [...t.foreignKeys, { name: null, columns: ['id'], references: parent, referencedColumns: ['id'], onDelete: 'cascade', onUpdate: 'no action' }];
    relations.push({
      id: `${t.id}.id->${parent}`, kind: '1:1', from: t.id, to: parent, fromProperty: null, toProperty: null, fromEntity: t.entity, toEntity: t.inheritance.parentEntity, columns: ['id'], referencedColumns: ['id'],
      nullable: false, onDelete: 'cascade', onUpdate: 'no action', cascade: [], inverseCascade: [], orphanRemoval: false, via: null, selfReference: false, strategy: null, eager: false,
    });
  }
  // A virtual entity: a query, no table.
  tables.push({ id: 'public.virtual "view"', schema: 'public', name: 'virtual "view"', kind: 'virtual', comment: null, columns: [{ name: 'n', type: 'integer', nullable: false, default: null, comment: null, generated: null, property: 'n', enum: null }], primaryKey: null, uniques: [], indexes: [], checks: [], foreignKeys: [], entity: 'end', isPivot: false });
  // An m:n through an association entity with a column of its own: tables[1] <-> tables[2] via tables[3]'s copy.
  const a = tables[1]!;
  const b = tables[2]!;
  const assoc: Table = {
    id: 'public.assoc "x"', schema: 'public', name: 'assoc "x"', kind: 'table', comment: null, entity: 'one',
    columns: [
      { name: 'a id', type: 'integer', nullable: false, default: null, comment: null, generated: null, property: 'a', enum: null },
      { name: 'b id', type: 'integer', nullable: false, default: null, comment: null, generated: null, property: 'b', enum: null },
      { name: 'role', type: 'text', nullable: false, default: null, comment: null, generated: null, property: 'role', enum: null },
    ],
    primaryKey: { name: null, columns: ['a id', 'b id'] }, uniques: [], indexes: [], checks: [], isPivot: false,
    foreignKeys: [
      { name: null, columns: ['a id'], references: a.id, referencedColumns: ['id'], onDelete: 'cascade', onUpdate: 'no action' },
      { name: null, columns: ['b id'], references: b.id, referencedColumns: ['id'], onDelete: 'cascade', onUpdate: 'no action' },
    ],
  };
  tables.push(assoc);
  const rel = (over: Partial<Relation>): Relation => ({
    id: '', kind: 'm:1', from: assoc.id, to: a.id, fromProperty: null, toProperty: null, fromEntity: 'one', toEntity: a.entity, columns: [], referencedColumns: ['id'],
    nullable: false, onDelete: 'cascade', onUpdate: 'no action', cascade: [], inverseCascade: [], orphanRemoval: false, via: null, selfReference: false, strategy: null, eager: false, ...over,
  });
  relations.push(
    rel({ id: `${assoc.id}.a id->${a.id}`, columns: ['a id'], fromProperty: 'to', toProperty: 'many' }),
    rel({ id: `${assoc.id}.b id->${b.id}`, to: b.id, toEntity: b.entity, columns: ['b id'], fromProperty: 'end', toProperty: null }),
    rel({ id: assoc.id, kind: 'm:n', to: b.id, from: a.id, fromEntity: a.entity, toEntity: b.entity, columns: ['a id'], referencedColumns: ['b id'], nullable: true, onDelete: null, onUpdate: null, fromProperty: 'x"y', toProperty: '%z', via: { table: assoc.id, entity: 'one', plainPivot: false } }),
  );
  return { model: sortModel({ ...base, source: 'orm', tables, relations }), stiChildren };
}

