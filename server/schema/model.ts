/**
 * The schema model: the one structure every source builds and every output renders.
 * `orm` (MikroORM metadata) and `db` (Postgres catalogs) both produce a SchemaModel;
 * drift compares two; Mermaid, Markdown, SVG, JSON and lint read one and nothing else.
 *
 * It is plain JSON (no classes, no Maps) so that `relscope export --format json` is the
 * model itself, and arrays are kept in a stable order (see `sortModel`) so the same schema
 * always serialises to the same bytes.
 */

export const schemaModelVersion = 1;

export type SchemaSource = 'orm' | 'db';

export interface SchemaModel {
  /** Format version of this JSON, bumped on incompatible changes. */
  version: typeof schemaModelVersion;
  source: SchemaSource;
  /** e.g. "PostgreSQL 15.20" for db, "MikroORM 7.2.1" for orm. */
  origin: string;
  tables: Table[];
  enums: EnumType[];
  relations: Relation[];
}

/** A table is named by schema and name; `id` is "schema.name" and is what relations point to. */
export interface Table {
  id: string;
  schema: string;
  name: string;
  kind: 'table' | 'view' | 'materialized view' | 'partitioned table' | 'foreign table';
  comment: string | null;
  columns: Column[];
  primaryKey: Key | null;
  uniques: Key[];
  indexes: Index[];
  checks: Check[];
  foreignKeys: ForeignKey[];
  /** Set for tables that come from an ORM entity. */
  entity: string | null;
  /** A plain many-to-many pivot table: two FKs making up the primary key and nothing else. */
  isPivot: boolean;
}

export interface Column {
  name: string;
  /** The type as Postgres spells it: "character varying(255)", "timestamp with time zone", "integer[]". */
  type: string;
  nullable: boolean;
  default: string | null;
  comment: string | null;
  /** Identity / serial / generated column information, when known. */
  generated: 'identity' | 'serial' | 'stored' | null;
  /** The ORM property mapped to this column, when the source is orm. */
  property: string | null;
  /** Name of an enum type (in `SchemaModel.enums`) when the column uses one. */
  enum: string | null;
}

export interface Key {
  name: string | null;
  columns: string[];
}

export interface Index {
  name: string | null;
  columns: string[];
  /** Expression index text, e.g. "lower((email)::text)". */
  expressions: string[];
  unique: boolean;
  primary: boolean;
  /** Partial index predicate. */
  where: string | null;
  method: string;
  /** Full CREATE INDEX text when the source is db. */
  definition: string | null;
}

export interface Check {
  name: string | null;
  expression: string;
}

export type ReferentialAction = 'cascade' | 'set null' | 'set default' | 'restrict' | 'no action';

export interface ForeignKey {
  name: string | null;
  columns: string[];
  /** Table id of the referenced table. */
  references: string;
  referencedColumns: string[];
  onDelete: ReferentialAction;
  onUpdate: ReferentialAction;
}

export interface EnumType {
  id: string;
  schema: string;
  name: string;
  values: string[];
  /** Native Postgres enum, or a check constraint on a text column. */
  native: boolean;
}

export type RelationKind = '1:1' | 'm:1' | '1:m' | 'm:n';

/**
 * A relationship between two tables, named from its owning side: the side that holds the FK
 * (for m:n, the side whose property defines the pivot). Each FK yields one relation; an
 * m:n relation through a plain pivot table is its own relation with `via` set.
 */
export interface Relation {
  /** Stable id, e.g. "public.posts.user_id->public.users" or "public.user_team" for m:n. */
  id: string;
  kind: RelationKind;
  /** The table holding the FK (m:1, 1:1) or the m:n owner side. */
  from: string;
  /** The referenced table. */
  to: string;
  /** ORM property on `from` (owner) and on `to` (inverse), when known. */
  fromProperty: string | null;
  toProperty: string | null;
  fromEntity: string | null;
  toEntity: string | null;
  /** FK columns on `from` -> columns on `to` (for m:n: the pivot's columns, see `via`). */
  columns: string[];
  referencedColumns: string[];
  /** Whether the FK columns accept null: a nullable m:1 is "zero or one". */
  nullable: boolean;
  onDelete: ReferentialAction | null;
  onUpdate: ReferentialAction | null;
  /** ORM cascade options on the owner / inverse property, e.g. ["persist", "remove"]. */
  cascade: string[];
  orphanRemoval: boolean;
  /** m:n only: the pivot table id, and whether it is an association entity with columns of its own. */
  via: { table: string; entity: string | null; plainPivot: boolean } | null;
  selfReference: boolean;
  /** The ORM's configured loading strategy for this relation, when set. */
  strategy: string | null;
  /** Eager loading configured in the ORM. */
  eager: boolean;
}

const byString = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Puts every array in a fixed order so that output bytes depend only on the schema. */
export function sortModel(model: SchemaModel): SchemaModel {
  const keyName = (k: { name: string | null; columns: string[] }) => `${k.name ?? ''}\u0000${k.columns.join(',')}`;
  return {
    ...model,
    tables: [...model.tables]
      .map((t) => ({
        ...t,
        // Columns keep their table order (attnum / property order): that order carries meaning.
        uniques: [...t.uniques].sort((a, b) => byString(keyName(a), keyName(b))),
        indexes: [...t.indexes].sort((a, b) => byString(`${a.name ?? ''}\u0000${a.columns.join(',')}\u0000${a.expressions.join(',')}`, `${b.name ?? ''}\u0000${b.columns.join(',')}\u0000${b.expressions.join(',')}`)),
        checks: [...t.checks].sort((a, b) => byString(`${a.name ?? ''}${a.expression}`, `${b.name ?? ''}${b.expression}`)),
        foreignKeys: [...t.foreignKeys].sort((a, b) => byString(`${a.columns.join(',')}\u0000${a.references}`, `${b.columns.join(',')}\u0000${b.references}`)),
      }))
      .sort((a, b) => byString(a.id, b.id)),
    enums: [...model.enums].sort((a, b) => byString(a.id, b.id)),
    relations: [...model.relations].sort((a, b) => byString(a.id, b.id)),
  };
}
