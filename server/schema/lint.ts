/**
 * Lint: drift (orm vs db) plus advice on one model. Advisors read the model only:
 *   fk-not-indexed        warning  FK without an index leading with its columns
 *   no-primary-key        warning  a table without a primary key
 *   duplicate-index       warning  two indexes with the same definition (an exclusion constraint's
 *                                  index only with another of the same operators: the constraints are
 *                                  the same; a plain index the same as one is the one to drop)
 *   redundant-index       info     a btree index that is a leading prefix of another one
 *   fk-type-mismatch      warning  FK column type differs from the referenced column's (a domain
 *                                  counts as its base type)
 *   one-to-one-not-unique error    an ORM 1:1 whose FK columns are not unique (orm only)
 *   timestamp-without-tz  info     timestamp without time zone stores no offset
 *   reserved-word         info     a table named with an SQL reserved word (must always be quoted)
 */
import { drift, severityOrder, sortFindings, unindexedForeignKeys, type Finding, type Severity } from './drift.ts';
import type { Column, Index, SchemaModel, Table } from '../../common/schema-model.ts';
import { reservedWords } from './sql.ts';
import { isUniqueColumnSet } from '../../common/relations.ts';
import { doctor } from './doctor.ts';

const reserved = reservedWords;

/**
 * What makes two indexes of one table the same. Columns alone do not: `(name)` and
 * `(name text_pattern_ops)`, `(a, b)` and `(a, b DESC)`, `(email) INCLUDE (city)` and
 * `(email) INCLUDE (born)` serve different queries. Those carry a definition (the database's
 * CREATE INDEX text), compared from its USING on, so that the index's own name does not count.
 */
function indexSignature(i: Index): string {
  const using = i.definition?.indexOf(` USING ${i.method} (`) ?? -1;
  const definition = i.definition === null ? '' : using >= 0 ? i.definition.slice(using) : i.definition;
  return `${i.method}\u0000${i.columns.join(',')}\u0000${i.expressions.join(',')}\u0000${i.where ?? ''}\u0000${i.unique}\u0000${definition}`;
}

/** "integer", or "posint (a domain over bigint)". */
function typeText(column: Column): string {
  return column.baseType ? `${column.type} (a domain over ${column.baseType})` : column.type;
}

export function advise(model: SchemaModel): Finding[] {
  const findings: Finding[] = [];
  const byId = new Map(model.tables.map((t) => [t.id, t]));
  const side = model.source === 'orm' ? 'ORM' : 'database';
  for (const table of model.tables) {
    if (table.kind !== 'table' && table.kind !== 'partitioned table') continue;
    findings.push(...unindexedForeignKeys(table, side));
    if (!table.primaryKey) {
      findings.push({ severity: 'warning', code: 'no-primary-key', table: table.id, message: `Table ${table.id} has no primary key: rows cannot be identified, and MikroORM cannot map it as an entity; add one.` });
    }
    findings.push(...indexAdvice(table));
    for (const fk of table.foreignKeys) {
      const target = byId.get(fk.references);
      if (!target) continue;
      fk.columns.forEach((name, i) => {
        const column = table.columns.find((c) => c.name === name);
        const referenced = target.columns.find((c) => c.name === fk.referencedColumns[i]);
        // A domain is its base type to a join (its CHECK only limits the values): a posint
        // column referencing an integer key needs no cast, a bigint-based one does.
        if (column && referenced && (column.baseType ?? column.type) !== (referenced.baseType ?? referenced.type)) {
          findings.push({ severity: 'warning', code: 'fk-type-mismatch', table: table.id, column: name, message: `Column ${table.id}.${name} is ${typeText(column)} but references ${target.id}.${referenced.name}, which is ${typeText(referenced)}: use the same type so joins need no cast.` });
        }
      });
    }
    for (const column of table.columns) {
      if (/^timestamp(\(\d+\))? without time zone/.test(column.type)) {
        findings.push({ severity: 'info', code: 'timestamp-without-tz', table: table.id, column: column.name, message: `Column ${table.id}.${column.name} is ${column.type}, which stores no time zone offset; timestamptz is usually what you want.` });
      }
    }
    if (reserved.has(table.name.toLowerCase())) {
      findings.push({ severity: 'info', code: 'reserved-word', table: table.id, message: `Table ${table.id} is named with the SQL reserved word "${table.name}", so every query must quote it.` });
    }
  }
  if (model.source === 'orm') {
    for (const relation of model.relations) {
      if (relation.kind !== '1:1') continue;
      const table = byId.get(relation.from);
      if (table && !isUniqueColumnSet(table, relation.columns)) {
        const column = relation.columns.length === 1 ? relation.columns[0] : undefined;
        findings.push({ severity: 'error', code: 'one-to-one-not-unique', table: table.id, ...(column ? { column } : {}), message: `The 1:1 ${relation.fromEntity ?? table.id}.${relation.fromProperty ?? relation.columns.join(',')} has no unique key on (${relation.columns.join(', ')}), so the database allows several rows per ${relation.to}: add .unique().` });
      }
    }
  }
  return sortFindings(findings);
}

function indexAdvice(table: Table): Finding[] {
  const findings: Finding[] = [];
  // An exclusion constraint's index (same name) is the constraint: it cannot be dropped alone,
  // and two with the same columns are different constraints when their operators differ.
  const exclusions = new Map((table.exclusions ?? []).map((x) => [x.name, x]));
  const exclusionOf = (index: Index) => (index.name === null ? undefined : exclusions.get(index.name));
  const seen = new Map<string, Index>();
  const seenExclusion = new Map<string, Index>();
  for (const index of table.indexes) {
    const signature = indexSignature(index);
    const exclusion = exclusionOf(index);
    if (exclusion) {
      const constraint = `${signature}\u0000${exclusion.elements.map((e) => e.operator).join(',')}`;
      const twin = seenExclusion.get(constraint);
      if (twin) findings.push({ severity: 'warning', code: 'duplicate-index', table: table.id, message: `Exclusion constraints ${twin.name} and ${index.name} on ${table.id} are identical: drop one.` });
      else seenExclusion.set(constraint, index);
      continue;
    }
    const twin = seen.get(signature);
    if (twin) {
      findings.push({ severity: 'warning', code: 'duplicate-index', table: table.id, message: `Indexes ${twin.name ?? '(unnamed)'} and ${index.name ?? '(unnamed)'} on ${table.id} are identical: drop one.` });
    } else {
      seen.set(signature, index);
    }
  }
  // A plain index the same as an exclusion constraint's is the one to drop.
  const exclusionIndexes = table.indexes.filter((i) => exclusionOf(i));
  for (const [signature, index] of seen) {
    const constraint = exclusionIndexes.find((i) => indexSignature(i) === signature);
    if (constraint) findings.push({ severity: 'warning', code: 'duplicate-index', table: table.id, message: `Index ${index.name ?? '(unnamed)'} on ${table.id} is the same as ${constraint.name}, the index of the exclusion constraint ${constraint.name}: drop ${index.name ?? 'it'}.` });
  }
  // Only plain btree indexes over columns (no definition): an operator class, a collation,
  // DESC or INCLUDE columns make an index serve other queries than its columns say. An
  // exclusion constraint's index is never the one to drop.
  for (const index of table.indexes) {
    if (index.unique || index.primary || index.where || index.expressions.length || index.method !== 'btree' || index.definition !== null || exclusionOf(index)) continue;
    const wider = table.indexes.find((other) => other !== index && other.method === 'btree' && !other.where && other.expressions.length === 0 && other.definition === null &&
      other.columns.length > index.columns.length && index.columns.every((c, i) => other.columns[i] === c));
    if (wider) {
      findings.push({ severity: 'info', code: 'redundant-index', table: table.id, message: `Index ${index.name ?? '(unnamed)'} on ${table.id}(${index.columns.join(', ')}) is a leading prefix of ${wider.name ?? '(unnamed)'}(${wider.columns.join(', ')}) and may be dropped.` });
    }
  }
  return findings;
}

export interface LintResult {
  source: SchemaModel['source'];
  findings: Finding[];
  counts: Record<Severity, number>;
}

/** Drift between the two models plus advice on the chosen one, without duplicates. */
export function lint(orm: SchemaModel, db: SchemaModel | null, source: SchemaModel['source']): LintResult {
  // Relationship checks read the ORM's declarations whichever source the advice reads; a
  // relation's nullable-required finding replaces drift's nullable-mismatch on its columns.
  const declared = doctor(orm, db);
  const covered = new Set(declared.filter((f) => f.code === 'nullable-required' && f.column).map((f) => `${f.table}\u0000${f.column}`));
  const all = [...(db ? drift(orm, db) : []).filter((f) => !(f.code === 'nullable-mismatch' && covered.has(`${f.table}\u0000${f.column}`))), ...advise(source === 'orm' ? orm : (db ?? orm)), ...declared];
  const seen = new Set<string>();
  const findings = sortFindings(all).filter((f) => {
    const key = `${f.code}\u0000${f.table}\u0000${f.column ?? ''}\u0000${f.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return { source, findings, counts: countFindings(findings) };
}

/** Advice on one model alone: no drift, no relationship checks (there is no ORM side to compare). */
export function adviceOnly(model: SchemaModel): LintResult {
  const findings = advise(model);
  return { source: model.source, findings, counts: countFindings(findings) };
}

export function countFindings(findings: Finding[]): Record<Severity, number> {
  const counts: Record<Severity, number> = { error: 0, warning: 0, info: 0 };
  for (const f of findings) counts[f.severity]++;
  return counts;
}

/** Text for a terminal: grouped by severity, most severe first. */
export function formatFindings(findings: Finding[]): string {
  if (findings.length === 0) return 'No findings.\n';
  const lines: string[] = [];
  const groups = (['error', 'warning', 'info'] as Severity[]).map((s) => [s, findings.filter((f) => f.severity === s)] as const).filter(([, list]) => list.length);
  groups.sort((a, b) => severityOrder[a[0]] - severityOrder[b[0]]);
  for (const [severity, list] of groups) {
    lines.push(`${severity === 'info' ? 'info' : `${severity}s`} (${list.length}):`);
    for (const f of list) {
      lines.push(`  ${f.code.padEnd(22)} ${f.message}`);
      if (f.fix) lines.push(`  ${' '.repeat(22)} fix:`, ...f.fix.split('\n').map((l) => `  ${' '.repeat(24)} ${l}`));
    }
    lines.push('');
  }
  const counts = countFindings(findings);
  lines.push(`${counts.error} error${counts.error === 1 ? '' : 's'}, ${counts.warning} warning${counts.warning === 1 ? '' : 's'}, ${counts.info} info.`);
  return `${lines.join('\n')}\n`;
}
