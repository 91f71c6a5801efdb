/**
 * The schema model: the one structure every source builds and every output renders.
 * `orm` (MikroORM metadata) and `db` (Postgres catalogs) both produce a SchemaModel;
 * drift compares two; Mermaid, Markdown, SVG, JSON and lint read one and nothing else.
 *
 * It is plain JSON (no classes, no Maps) so that `relscope export --format json` is the
 * model itself, and arrays are kept in a stable order (see `sortModel`) so the same schema
 * always serialises to the same bytes.
 *
 * For other tools reading the JSON export:
 * - Order: tables, enums and relations by id; a table's columns in table order (attnum, or
 *   property order for orm); keys, indexes, checks, exclusion constraints and FKs by name /
 *   columns (an exclusion's elements keep the constraint's order).
 * - Types are spelled as Postgres's format_type() prints them ("character varying(255)",
 *   "timestamp with time zone", "numeric(8,2)", "integer[]"), for both sources, so equal
 *   types compare equal.
 * - Fields only a source can know are null / empty on the other: `entity`, `property`,
 *   `fromProperty`, `cascade`, … are orm-only; index `definition` and column defaults with
 *   `::` casts are db-spelled; column `baseType` (domains) and table `exclusions` are db-only and
 *   absent, not null, where they do not apply, so older exports' bytes stay the same.
 * - `version` changes only on incompatible changes; new optional fields may appear.
 *
 * Example (abridged) for the demo's posts.user_id:
 *   { "id": "public.posts.user_id->public.users", "kind": "m:1", "from": "public.posts",
 *     "to": "public.users", "fromProperty": "author", "toProperty": "posts",
 *     "columns": ["user_id"], "referencedColumns": ["id"], "nullable": false,
 *     "onDelete": "cascade", "onUpdate": "no action", "cascade": ["persist"],
 *     "inverseCascade": ["persist", "remove"], "orphanRemoval": true, "via": null, … }
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
  /**
   * The ORM's relation properties as declared, per entity (orm only; absent for db). What the
   * relationship checks (server/schema/doctor.ts) and the cascade preview read.
   */
  entities?: EntityDeclaration[];
}

/** How an entity is written in its source, so that a fix is shown in the project's own style. */
export type EntityStyle = 'defineEntity' | 'decorators' | 'EntitySchema';

export interface EntityDeclaration {
  /** Entity class name. */
  name: string;
  /** Table id ("public.posts"), or null for an entity without a table (virtual, embeddable). */
  table: string | null;
  style: EntityStyle;
  primaryKeys: string[];
  /** Every primary key property is a relation (Membership, PostCategory): MikroORM then defaults their FKs to ON DELETE CASCADE. */
  associationEntity: boolean;
  /** Relation properties in declaration order. */
  relations: PropertyDeclaration[];
  /**
   * The schema the entity's own metadata names (EntityMetadata.schema), null when it names none
   * or the default one (the config's `schema`, else public). For an STI subclass this is what
   * its queries use, which MikroORM does not copy from the root (doctor rule sti-schema).
   */
  schema?: string | null;
  /** An STI subclass: the root entity whose table it shares (null / absent otherwise). */
  stiRoot?: string | null;
  /** An STI subclass: its discriminator value, when it declares one. */
  discriminatorValue?: string | null;
  /**
   * The name the project's code gives the entity where it differs from the entity's name: the
   * variable holding its defineEntity / EntitySchema (`export const ArticleSchema = defineEntity({ name: 'Article', … })`).
   */
  identifier?: string;
}

/** One relation property with the options the checks read. */
export interface PropertyDeclaration {
  name: string;
  kind: '1:1' | 'm:1' | '1:m' | 'm:n';
  /** Target entity class name. */
  target: string;
  /** Holds the FK (m:1, owning 1:1) or owns the pivot (m:n). */
  owner: boolean;
  mappedBy: string | null;
  inversedBy: string | null;
  /** e.g. ["persist", "remove"] (MikroORM's default is ["persist"]). */
  cascade: string[];
  orphanRemoval: boolean;
  eager: boolean;
  nullable: boolean;
  primary: boolean;
  unique: boolean;
  /** False for `persist: false` (a read-only mapping). */
  persist: boolean;
  /** The declared ON DELETE rule, as written or defaulted by MikroORM (owning side only). */
  deleteRule: string | null;
  /** FK columns (owning m:1 / 1:1) or the pivot's join columns (m:n owner). */
  columns: string[];
  /** m:n: the pivot table id and its entity (null for a pivot MikroORM generates). */
  pivotTable: string | null;
  pivotEntity: string | null;
  /** Custom FK column name(s) given with fieldName/joinColumn, when they differ from the default. */
  fieldName: string | null;
  strategy: string | null;
  hasOrderBy: boolean;
  /** A to-one relation declared as a reference (`ref: true` / `.ref()`, typed `Ref<T>`). */
  ref?: boolean;
}

/**
 * A table is named by schema and name; `id` is "schema.name" (qualifiedId: a part holding a dot
 * or a double quote is double-quoted, `"a.b".c`) and is what relations point to.
 */
export interface Table {
  id: string;
  schema: string;
  name: string;
  /** 'virtual' is an ORM virtual entity: a query with no database object (orm only). */
  kind: 'table' | 'view' | 'materialized view' | 'partitioned table' | 'foreign table' | 'virtual';
  comment: string | null;
  columns: Column[];
  primaryKey: Key | null;
  uniques: Key[];
  indexes: Index[];
  checks: Check[];
  foreignKeys: ForeignKey[];
  /** The entity class name mapping the table (orm only; null for a pivot table MikroORM made up). */
  entity: string | null;
  /**
   * A plain many-to-many pivot table: exactly two FKs whose columns are all of the table's
   * columns and make up its primary key (user_team). An association entity with columns of
   * its own (memberships.role, post_categories.created_at) is not one.
   */
  isPivot: boolean;
  /**
   * Exclusion constraints (`EXCLUDE USING gist (room WITH =, during WITH &&)`; db only), by name.
   * Absent when the table has none, so a table without one serialises as it always did. Each
   * one's index is also in `indexes`, under the same name.
   */
  exclusions?: Exclusion[];
  /** ORM inheritance on this table (orm only): the STI entities sharing it, or the TPT parent it extends. */
  inheritance?: TableInheritance | null;
}

export interface Column {
  name: string;
  /**
   * The type as Postgres spells it: "character varying(255)", "timestamp with time zone", "integer[]".
   * A column of a domain has the domain's name here ("posint", "billing.amount").
   */
  type: string;
  /**
   * Only for a column whose type is a domain (or an array of one; db only): the type the domain
   * is over, spelled as `type` is, followed through domains over domains. E.g. "integer" for
   * `create domain posint as integer check (value > 0)`, "integer[]" for a posint[] column.
   * Absent for every other column. What type comparisons that ignore a domain's CHECK use (lint's
   * fk-type-mismatch).
   */
  baseType?: string;
  nullable: boolean;
  default: string | null;
  comment: string | null;
  /** Identity / serial / generated column information, when known. */
  generated: 'identity' | 'serial' | 'stored' | null;
  /** The ORM property mapped to this column, when the source is orm. */
  property: string | null;
  /**
   * Name of an enum type (in `SchemaModel.enums`) when the column uses one, directly, as an array
   * of it, or through a domain over it (then `type` is the domain and `baseType` the enum).
   */
  enum: string | null;
  /**
   * The embedded property this column belongs to and its embeddable class (orm only), e.g.
   * { property: "billing", embeddable: "Address" } for billing_street; `property` is then
   * the path "billing.street". Absent or null for other columns.
   */
  embedded?: { property: string; embeddable: string } | null;
}

/** One entity of a single-table inheritance hierarchy (orm only). */
export interface StiEntity {
  entity: string;
  /** The entity it extends; null for the hierarchy's root. */
  parent: string | null;
  /** Its value in the discriminator column; null for an abstract root. */
  discriminatorValue: string | null;
  abstract: boolean;
  /** The columns only this entity (and its subclasses) maps: null in the other entities' rows. */
  columns: string[];
}

/** ORM inheritance mapped onto a table (orm only). */
export type TableInheritance =
  /** Single-table inheritance: the root entity and its subclasses share this table. */
  | { kind: 'sti'; discriminatorColumn: string; entities: StiEntity[] }
  /** Table-per-type: this table holds the entity's own columns and extends its parent's table by the primary key. */
  | { kind: 'tpt'; parentTable: string; parentEntity: string };

export interface Key {
  name: string | null;
  columns: string[];
}

/**
 * Every index of the table, including those that back the primary key and unique constraints
 * (so "is this FK indexed?" is a question about `indexes` alone).
 */
export interface Index {
  name: string | null;
  /** Key columns in index order; expression keys are not here but in `expressions`. */
  columns: string[];
  /** Expression keys, e.g. "lower((email)::text)". */
  expressions: string[];
  unique: boolean;
  primary: boolean;
  /** Partial index predicate. */
  where: string | null;
  method: string;
  /**
   * The CREATE INDEX text (db) or MikroORM's index expression (orm), for indexes that their
   * columns alone do not describe: expressions, a predicate, a method other than btree,
   * INCLUDE columns, DESC / NULLS FIRST, an operator class or collation other than the column's
   * default (text_pattern_ops, COLLATE "C"). Null for a plain btree index over columns.
   */
  definition: string | null;
}

/**
 * An exclusion constraint: no two rows may have every element's values satisfy its operator
 * (`room WITH =, during WITH &&`: no two bookings of one room overlap). PostgreSQL keeps it with
 * an index of the same name, listed in the table's `indexes`.
 */
export interface Exclusion {
  name: string;
  /** The index access method: "gist", "spgist", "btree", "hash". */
  method: string;
  /** In constraint order. */
  elements: ExclusionElement[];
  /** The constraint's WHERE predicate, as the index's `where` prints it. */
  where: string | null;
  /** As pg_get_constraintdef() prints it: "EXCLUDE USING gist (room WITH =, during WITH &&) WHERE (…)". */
  definition: string;
}

export interface ExclusionElement {
  /** The column, or null for an expression element. */
  column: string | null;
  /** The expression of an expression element ("lower(name)"), else null. */
  expression: string | null;
  /** The operator's name: "=", "&&". */
  operator: string;
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

/**
 * Relations are stored from the owning side, so a model holds 'm:1', '1:1' and 'm:n'.
 * '1:m' is the same edge seen from the referenced table; `viewFrom` in relations.ts turns
 * one into the other for pages that list a table's relations.
 */
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
  /**
   * m:1 and 1:1: FK columns on `from` -> referenced columns on `to`.
   * m:n: the pivot's columns that reference `from` (join columns) and the pivot's columns that
   * reference `to` (inverse join columns), e.g. ["user_id"] and ["team_id"] for user_team.
   */
  columns: string[];
  referencedColumns: string[];
  /** Whether the FK columns accept null: a nullable m:1 is "zero or one". */
  nullable: boolean;
  onDelete: ReferentialAction | null;
  onUpdate: ReferentialAction | null;
  /** ORM cascade options on the owning property (`fromProperty`), e.g. ["persist"]. Empty for db. */
  cascade: string[];
  /** ORM cascade options on the inverse property (`toProperty`), e.g. ["persist", "remove"]. Empty for db. */
  inverseCascade: string[];
  /** ORM orphan removal on either side (a 1:m inverse or a 1:1). */
  orphanRemoval: boolean;
  /** m:n only: the pivot table id, and whether it is an association entity with columns of its own. */
  via: { table: string; entity: string | null; plainPivot: boolean } | null;
  selfReference: boolean;
  /** The ORM's configured loading strategy for this relation, when set. */
  strategy: string | null;
  /** Eager loading configured in the ORM. */
  eager: boolean;
}

/** Keeps the tables (and the relations and enums among them) of these schemas only. */
export function filterSchemas(model: SchemaModel, schemas: string[] | null | undefined): SchemaModel {
  if (!schemas || schemas.length === 0) return model;
  const keep = new Set(schemas);
  const tables = model.tables.filter((t) => keep.has(t.schema));
  const ids = new Set(tables.map((t) => t.id));
  return {
    ...model,
    tables,
    enums: model.enums.filter((e) => keep.has(e.schema)),
    relations: model.relations.filter((r) => ids.has(r.from) && ids.has(r.to)),
  };
}

const byString = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Sorts by a string key computed once per element (not once per comparison). */
function sortedBy<T>(items: T[], key: (item: T) => string): T[] {
  if (items.length < 2) return [...items];
  const keyed = items.map((item) => ({ item, key: key(item) }));
  keyed.sort((a, b) => byString(a.key, b.key));
  return keyed.map((k) => k.item);
}

const keyName = (k: { name: string | null; columns: string[] }) => `${k.name ?? ''}\u0000${k.columns.join(',')}`;
const indexKey = (i: Index) => `${i.name ?? ''}\u0000${i.columns.join(',')}\u0000${i.expressions.join(',')}`;
const checkKey = (c: Check) => `${c.name ?? ''}${c.expression}`;
const fkKey = (f: ForeignKey) => `${f.columns.join(',')}\u0000${f.references}`;

/** Puts every array in a fixed order so that output bytes depend only on the schema. */
export function sortModel(model: SchemaModel): SchemaModel {
  return {
    ...model,
    tables: sortedBy(
      model.tables.map((t) => ({
        ...t,
        // Columns keep their table order (attnum / property order): that order carries meaning.
        uniques: sortedBy(t.uniques, keyName),
        indexes: sortedBy(t.indexes, indexKey),
        checks: sortedBy(t.checks, checkKey),
        foreignKeys: sortedBy(t.foreignKeys, fkKey),
        ...(t.exclusions ? { exclusions: sortedBy(t.exclusions, (e) => e.name) } : {}),
      })),
      (t) => t.id,
    ),
    enums: sortedBy(model.enums, (e) => e.id),
    relations: sortedBy(model.relations, (r) => r.id),
  };
}

/** `sortModel` for a model nobody else holds yet: sorts its arrays in place (no copies). */
export function sortModelInPlace(model: SchemaModel): SchemaModel {
  const inPlace = <T>(items: T[], key: (item: T) => string) => {
    if (items.length < 2) return;
    const sorted = sortedBy(items, key);
    for (let i = 0; i < sorted.length; i++) items[i] = sorted[i]!;
  };
  for (const t of model.tables) {
    inPlace(t.uniques, keyName);
    inPlace(t.indexes, indexKey);
    inPlace(t.checks, checkKey);
    inPlace(t.foreignKeys, fkKey);
    if (t.exclusions) inPlace(t.exclusions, (e) => e.name);
  }
  inPlace(model.tables, (t) => t.id);
  inPlace(model.enums, (e) => e.id);
  inPlace(model.relations, (r) => r.id);
  return model;
}

/**
 * The id of a table or enum type: `schema.name` ("public.posts"). A part that holds a dot or a
 * double quote is double-quoted (`"a.b".c`, `a."b.c"`) so that ids stay unique: without it the
 * table c of schema "a.b" and the table "b.c" of schema a were both `a.b.c`, one drawn twice and
 * one docs page written over the other. Ordinary names are unchanged.
 */
export function qualifiedId(schema: string, name: string): string {
  const part = (s: string) => (/[."]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s);
  return `${part(schema)}.${part(name)}`;
}

/** The schema and name of an id made by qualifiedId (the inverse: quoted parts unquoted). */
export function splitQualifiedId(id: string): { schema: string; name: string } {
  const parts: string[] = [];
  let i = 0;
  while (i <= id.length && parts.length < 2) {
    if (id[i] === '"') {
      let part = '';
      i++;
      while (i < id.length) {
        if (id[i] === '"' && id[i + 1] === '"') { part += '"'; i += 2; } else if (id[i] === '"') { i++; break; } else part += id[i++];
      }
      parts.push(part);
      i++; // the dot after it
    } else {
      const dot = parts.length === 0 ? id.indexOf('.', i) : -1;
      const end = dot < 0 ? id.length : dot;
      parts.push(id.slice(i, end));
      i = end + 1;
    }
  }
  return parts.length === 2 ? { schema: parts[0]!, name: parts[1]! } : { schema: '', name: parts[0] ?? id };
}
