/**
 * Drift: where the database (source `db`) no longer matches what the ORM maps (source `orm`).
 * Each finding is one sentence with a severity:
 *   error   - the application will fail or lose integrity (missing table/column/FK/unique, type or
 *             NOT NULL the ORM cannot satisfy);
 *   warning - it works but not as declared (ON DELETE rule differs, column may hold NULLs the ORM
 *             does not expect, FK without an index);
 *   info    - the database has more than the ORM knows (extra tables, columns, FKs, uniques).
 */
import type { Column, ForeignKey, Index, SchemaModel, Table } from '../../common/schema-model.ts';
import { quoteIdent, quoteTable } from './sql.ts';
import { canonicalType, sameType } from './types.ts';
import { severityOrder, type Finding } from '../../common/findings.ts';

export type { Finding, Severity } from '../../common/findings.ts';
export { severityOrder } from '../../common/findings.ts';

export interface DriftOptions {
  /** Tables never reported as unmapped (default: MikroORM's migrations table). */
  ignoreTables?: string[];
}

const defaultIgnored = ['mikro_orm_migrations'];

export function sortFindings(findings: Finding[]): Finding[] {
  const key = (f: Finding) => `${f.table}\u0000${f.column ?? ''}\u0000${f.code}\u0000${f.message}`;
  return [...findings].sort((a, b) => severityOrder[a.severity] - severityOrder[b.severity] || (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

const sameList = (a: string[], b: string[]) => a.length === b.length && a.every((x, i) => x === b[i]);
const sameSet = (a: string[], b: string[]) => a.length === b.length && a.every((x) => b.includes(x));
const cols = (columns: string[]) => `(${columns.join(', ')})`;

function entityRef(table: Table, column?: Column): string {
  if (!table.entity) return '';
  return column?.property ? ` (${table.entity}.${column.property})` : ` (entity ${table.entity})`;
}

/** Compares the ORM's model with the database's. */
export function drift(orm: SchemaModel, db: SchemaModel, options: DriftOptions = {}): Finding[] {
  const ignored = new Set(options.ignoreTables ?? defaultIgnored);
  const findings: Finding[] = [];
  const dbTables = new Map(db.tables.map((t) => [t.id, t]));
  const ormTables = new Map(orm.tables.map((t) => [t.id, t]));
  const ormSchemas = new Set(orm.tables.map((t) => t.schema));

  for (const ot of orm.tables) {
    if (ot.kind === 'virtual') continue; // a query, not a database object
    const dt = dbTables.get(ot.id);
    if (!dt) {
      findings.push({ severity: 'error', code: 'table-missing-in-db', table: ot.id, message: `Table ${ot.id}${entityRef(ot)} is mapped by the ORM but missing in the database: run the migrations (or \`mikro-orm schema:update --run\`).` });
      continue;
    }
    compareTable(ot, dt, findings);
    compareEnums(orm, ot, db, dt, findings);
  }
  for (const dt of db.tables) {
    if (ormTables.has(dt.id) || !ormSchemas.has(dt.schema) || ignored.has(dt.name) || ignored.has(dt.id)) continue;
    findings.push({ severity: 'info', code: 'table-not-in-orm', table: dt.id, message: `Table ${dt.id} exists in the database but no entity maps it.` });
  }
  // The database is what runs: FKs without a supporting index are drift from the seeds' advice.
  for (const dt of db.tables) {
    if (!ormSchemas.has(dt.schema) && orm.tables.length > 0) continue;
    findings.push(...unindexedForeignKeys(dt, 'database'));
  }
  return sortFindings(findings);
}

/**
 * Enum values: a value the ORM's enum has but the database's native enum type or CHECK constraint
 * does not accept fails on save (an enum member added in code, its migration forgotten); a text
 * enum column with no CHECK at all accepts anything; values only the database allows are info.
 */
function compareEnums(orm: SchemaModel, ot: Table, db: SchemaModel, dt: Table, findings: Finding[]): void {
  for (const oc of ot.columns) {
    const ormEnum = oc.enum ? orm.enums.find((e) => e.id === oc.enum) : undefined;
    const dc = dt.columns.find((c) => c.name === oc.name);
    if (!ormEnum || !ormEnum.values.length || !dc) continue;
    const where = `${ot.id}.${oc.name}`;
    const dbEnum = dc.enum ? db.enums.find((e) => e.id === dc.enum) : undefined;
    const fromCheck = dbEnum ? null : checkedValues(dt, dc.name);
    const accepted = dbEnum?.values ?? fromCheck?.values;
    const by = dbEnum ? `its enum type ${dbEnum.id}` : `CHECK ${fromCheck?.name ?? ''}`.trimEnd();
    if (!accepted) {
      // Only a text enum without a native type is guarded by a CHECK MikroORM creates; an STI
      // discriminator lists its values as enum items but gets no CHECK.
      const discriminator = ot.inheritance?.kind === 'sti' && ot.inheritance.discriminatorColumn === oc.name;
      if (!ormEnum.native && !dc.enum && !discriminator && /^(text|character varying|varchar)/.test(dc.type)) {
        findings.push({ severity: 'warning', code: 'enum-check-missing', table: ot.id, column: oc.name, message: `Column ${where} takes any text in the database, but the ORM${entityRef(ot, oc)} allows only ${quoteList(ormEnum.values)}: no CHECK constraint refuses other values; add it in a migration.` });
      }
      continue;
    }
    const missing = ormEnum.values.filter((v) => !accepted.includes(v));
    const extra = accepted.filter((v) => !ormEnum.values.includes(v));
    if (missing.length) {
      findings.push({ severity: 'error', code: 'enum-mismatch', table: ot.id, column: oc.name, message: `Column ${where} does not accept ${quoteList(missing)} in the database (${by} allows ${quoteList(accepted)}), which the ORM's enum${entityRef(ot, oc)} has: saving ${missing.length === 1 ? 'it' : 'them'} fails; add ${missing.length === 1 ? 'it' : 'them'} in a migration.` });
    }
    if (extra.length) {
      findings.push({ severity: 'info', code: 'enum-mismatch', table: ot.id, column: oc.name, message: `Column ${where} accepts ${quoteList(extra)} in the database (${by}), which the ORM's enum${entityRef(ot, oc)} does not list.` });
    }
  }
}

function quoteList(values: string[]): string {
  return values.map((v) => `'${v}'`).join(', ');
}

/** The string literals of a CHECK that limits `column` to a list (`= ANY (ARRAY[...])` or `IN (...)`), as Postgres prints it. */
function checkedValues(table: Table, column: string): { name: string | null; values: string[] } | null {
  const escaped = column.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const mentions = new RegExp(`(^|[^\\w"])"?${escaped}"?([^\\w"]|$)`);
  for (const check of table.checks ?? []) {
    if (!mentions.test(check.expression) || !/\bANY\b|\bIN\s*\(/i.test(check.expression)) continue;
    const values = [...check.expression.matchAll(/'((?:[^']|'')*)'/g)].map((m) => m[1]!.replaceAll("''", "'"));
    if (values.length) return { name: check.name, values };
  }
  return null;
}

/**
 * Both columns are the same native enum type (its schema and name), arrays of it alike. The
 * catalogs print an enum type outside the search_path qualified (`shop.customer_tier`) where
 * MikroORM's metadata names it bare, so the spelled types differ for a config with `schema`.
 */
function sameNativeEnum(oc: Column, dc: Column): boolean {
  const isArray = (type: string) => canonicalType(type).endsWith('[]');
  return !!oc.enum && oc.enum === dc.enum && isArray(oc.type) === isArray(dc.type);
}

function compareTable(ot: Table, dt: Table, findings: Finding[]): void {
  const dbColumns = new Map(dt.columns.map((c) => [c.name, c]));
  const ormColumns = new Map(ot.columns.map((c) => [c.name, c]));
  for (const oc of ot.columns) {
    const dc = dbColumns.get(oc.name);
    const where = `${ot.id}.${oc.name}`;
    if (!dc) {
      findings.push({ severity: 'error', code: 'column-missing-in-db', table: ot.id, column: oc.name, message: `Column ${where}${entityRef(ot, oc)} is mapped by the ORM but missing in the database.` });
      continue;
    }
    if (!sameType(oc.type, dc.type) && !sameNativeEnum(oc, dc)) {
      findings.push({ severity: 'error', code: 'type-mismatch', table: ot.id, column: oc.name, message: `Column ${where} is ${dc.type} in the database but ${oc.type} in the ORM${entityRef(ot, oc)}.` });
    }
    // A view's columns always read as nullable in the catalogs: nothing to compare there.
    const isView = dt.kind === 'view' || dt.kind === 'materialized view';
    if (isView) continue;
    if (!oc.nullable && dc.nullable) {
      findings.push({ severity: 'warning', code: 'nullable-mismatch', table: ot.id, column: oc.name, message: `Column ${where} accepts NULL in the database but the ORM${entityRef(ot, oc)} maps it NOT NULL: rows with NULL will surprise the application; add NOT NULL.` });
    } else if (oc.nullable && !dc.nullable && dc.default === null && !dc.generated) {
      findings.push({ severity: 'error', code: 'nullable-mismatch', table: ot.id, column: oc.name, message: `Column ${where} is NOT NULL in the database but nullable in the ORM${entityRef(ot, oc)}: saving null fails; make it nullable or mark the property non-null.` });
    } else if (oc.nullable && !dc.nullable) {
      findings.push({ severity: 'warning', code: 'nullable-mismatch', table: ot.id, column: oc.name, message: `Column ${where} is NOT NULL (with a default) in the database but nullable in the ORM${entityRef(ot, oc)}.` });
    }
  }
  for (const dc of dt.columns) {
    if (ormColumns.has(dc.name)) continue;
    const required = !dc.nullable && dc.default === null && !dc.generated;
    findings.push({
      severity: required ? 'warning' : 'info',
      code: 'column-not-in-orm',
      table: dt.id,
      column: dc.name,
      message: required
        ? `Column ${dt.id}.${dc.name} is NOT NULL without a default in the database and no property maps it: inserts from the ORM will fail.`
        : `Column ${dt.id}.${dc.name} exists in the database but no property maps it.`,
    });
  }

  // Primary key
  const opk = ot.primaryKey?.columns ?? [];
  const dpk = dt.primaryKey?.columns ?? [];
  if (!sameList(opk, dpk)) {
    findings.push({ severity: 'error', code: 'primary-key-mismatch', table: ot.id, message: dpk.length ? `Primary key of ${ot.id} is ${cols(dpk)} in the database but ${opk.length ? cols(opk) : 'none'} in the ORM.` : `Table ${ot.id} has no primary key in the database; the ORM uses ${cols(opk)}.` });
  }

  // Unique keys: a constraint or a full unique index in the database counts.
  const dbUniqueSets = [...dt.uniques.map((u) => u.columns), ...dt.indexes.filter((i) => i.unique && !i.primary && !i.where && i.expressions.length === 0).map((i) => i.columns)];
  for (const u of ot.uniques) {
    if (dbUniqueSets.some((s) => sameSet(s, u.columns))) continue;
    const column = u.columns.length === 1 ? u.columns[0] : undefined;
    findings.push({ severity: 'error', code: 'unique-missing-in-db', table: ot.id, ...(column ? { column } : {}), message: `The ORM declares ${ot.id}${cols(u.columns)} unique but the database has no unique constraint or index on it: duplicates are possible; add the constraint.` });
  }
  const ormUniqueSets = [...ot.uniques.map((u) => u.columns), ...ot.indexes.filter((i) => i.unique && !i.primary).map((i) => i.columns)];
  for (const u of dt.uniques) {
    if (ormUniqueSets.some((s) => sameSet(s, u.columns))) continue;
    const column = u.columns.length === 1 ? u.columns[0] : undefined;
    findings.push({ severity: 'info', code: 'unique-not-in-orm', table: dt.id, ...(column ? { column } : {}), message: `The database has unique constraint ${u.name ?? ''} on ${dt.id}${cols(u.columns)} that the ORM does not declare.`.replace('  ', ' ') });
  }

  // Foreign keys
  for (const ofk of ot.foreignKeys) {
    const dfk = dt.foreignKeys.find((f) => sameList(f.columns, ofk.columns) && f.references === ofk.references) ?? dt.foreignKeys.find((f) => sameList(f.columns, ofk.columns));
    const column = ofk.columns.length === 1 ? ofk.columns[0] : undefined;
    const at = { table: ot.id, ...(column ? { column } : {}) };
    const name = `${ot.id}${cols(ofk.columns)} -> ${ofk.references}`;
    if (!dfk) {
      findings.push({ severity: 'error', code: 'fk-missing-in-db', ...at, message: `Foreign key ${name} is declared in the ORM but absent in the database: nothing stops orphaned rows; add the constraint.` });
      continue;
    }
    if (dfk.references !== ofk.references) {
      findings.push({ severity: 'error', code: 'fk-target-mismatch', ...at, message: `Foreign key on ${ot.id}${cols(ofk.columns)} references ${dfk.references} in the database but ${ofk.references} in the ORM.` });
      continue;
    }
    if (dfk.onDelete !== ofk.onDelete) {
      findings.push({ severity: 'warning', code: 'on-delete-mismatch', ...at, message: `ON DELETE of ${name} is ${dfk.onDelete.toUpperCase()} in the database but ${ofk.onDelete.toUpperCase()} in the ORM (deleteRule).` });
    }
    if (dfk.onUpdate !== ofk.onUpdate) {
      findings.push({ severity: 'warning', code: 'on-update-mismatch', ...at, message: `ON UPDATE of ${name} is ${dfk.onUpdate.toUpperCase()} in the database but ${ofk.onUpdate.toUpperCase()} in the ORM (updateRule).` });
    }
  }
  for (const dfk of dt.foreignKeys) {
    if (ot.foreignKeys.some((f) => sameList(f.columns, dfk.columns))) continue;
    const column = dfk.columns.length === 1 ? dfk.columns[0] : undefined;
    findings.push({ severity: 'info', code: 'fk-not-in-orm', table: dt.id, ...(column ? { column } : {}), message: `The database has foreign key ${dt.id}${cols(dfk.columns)} -> ${dfk.references} that the ORM does not declare.` });
  }
}

/**
 * An index that serves lookups by the FK's columns: a btree (or single-column hash) index over
 * all rows whose leading columns are exactly the FK's, in any order. Indexes with expressions
 * do not count (the model does not keep the position of an expression among the keys).
 */
export function indexCovers(index: Index, columns: string[]): boolean {
  if (index.where || index.expressions.length > 0) return false;
  if (index.method !== 'btree' && !(index.method === 'hash' && columns.length === 1)) return false;
  if (index.columns.length < columns.length) return false;
  return sameSet(index.columns.slice(0, columns.length), columns);
}

export function unindexedForeignKeys(table: Table, side: 'database' | 'ORM'): Finding[] {
  const out: Finding[] = [];
  const seen = new Set<string>();
  for (const fk of table.foreignKeys) {
    const key = fk.columns.join(',');
    if (seen.has(key)) continue;
    seen.add(key);
    if (table.indexes.some((i) => indexCovers(i, fk.columns))) continue;
    out.push(fkFinding(table, fk, side));
  }
  return out;
}

function fkFinding(table: Table, fk: ForeignKey, side: 'database' | 'ORM'): Finding {
  const column = fk.columns.length === 1 ? fk.columns[0] : undefined;
  // Runs as written: names quoted where Postgres needs it ("order", "OrderLine").
  const create = `CREATE INDEX ON ${quoteTable(table)} (${fk.columns.map(quoteIdent).join(', ')})`;
  const fix = side === 'database'
    ? `add one: ${create}`
    : table.entity
      ? 'add `.index()` to the relation (or an index on the entity) so the ORM creates one'
      : `MikroORM makes no index for a pivot table's second column: add one in a migration (${create}), or map the pivot as an entity with an index`;
  return {
    severity: 'warning',
    code: 'fk-not-indexed',
    table: table.id,
    ...(column ? { column } : {}),
    message: `Foreign key ${table.id}${cols(fk.columns)} -> ${fk.references} has no index leading with its columns in the ${side} (Postgres does not index FKs by itself), so deletes on ${fk.references} and joins scan ${table.name}: ${fix}.`,
  };
}
