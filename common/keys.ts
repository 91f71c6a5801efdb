/**
 * Which keys a column takes part in, as every view of a table labels them (the Mermaid
 * diagram, the Markdown export, the page's table panel). Browser-safe.
 */
import type { Column, Table } from './schema-model.ts';

export type KeyFlag = 'PK' | 'FK' | 'UK';

/**
 * Columns that are unique on their own: a one-column unique constraint, or a one-column
 * unique index that is not the primary key's, not partial (WHERE) and not on an expression.
 */
export function singleColumnUniques(table: Table): Set<string> {
  const uk = new Set<string>();
  for (const u of table.uniques) if (u.columns.length === 1) uk.add(u.columns[0]!);
  for (const i of table.indexes) if (i.unique && !i.primary && !i.where && i.expressions.length === 0 && i.columns.length === 1) uk.add(i.columns[0]!);
  return uk;
}

/** Key flags per column name, in the order PK, FK, UK (UK left out on a primary key column). */
export function keyFlags(table: Table): Map<string, KeyFlag[]> {
  const pk = new Set(table.primaryKey?.columns ?? []);
  const fk = new Set(table.foreignKeys.flatMap((f) => f.columns));
  const uk = singleColumnUniques(table);
  const out = new Map<string, KeyFlag[]>();
  for (const column of table.columns) {
    const flags: KeyFlag[] = [];
    if (pk.has(column.name)) flags.push('PK');
    if (fk.has(column.name)) flags.push('FK');
    if (uk.has(column.name) && !pk.has(column.name)) flags.push('UK');
    out.set(column.name, flags);
  }
  return out;
}

/** One column's flags (see keyFlags). */
export function columnKeyFlags(table: Table, column: Pick<Column, 'name'>): KeyFlag[] {
  return keyFlags(table).get(column.name) ?? [];
}
