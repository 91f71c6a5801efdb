/**
 * Finding a table by what a person types (a URL parameter, --focus, a search box), the same way
 * in the page and on the server. Browser-safe.
 */
import type { SchemaModel, Table } from './schema-model.ts';

/**
 * The tables `ref` names, by the first rule that matches any: id ("public.users"), name,
 * entity, then the same case-insensitively; an STI subclass's name finds its root's table.
 * Several means `ref` is ambiguous; none, that nothing matches.
 */
export function tablesNamed(model: SchemaModel, ref: string): Table[] {
  const byId = model.tables.find((t) => t.id === ref);
  if (byId) return [byId];
  const lower = ref.toLowerCase();
  const tries: ((t: Table) => boolean)[] = [
    (t) => t.name === ref,
    (t) => t.entity === ref,
    (t) => t.id.toLowerCase() === lower,
    (t) => t.name.toLowerCase() === lower,
    (t) => (t.entity ?? '').toLowerCase() === lower,
    (t) => t.inheritance?.kind === 'sti' && t.inheritance.entities.some((e) => e.entity === ref),
  ];
  for (const test of tries) {
    const found = model.tables.filter(test);
    if (found.length) return found;
  }
  return [];
}

/** Edit distance for "did you mean": a substring costs a tenth per extra character. */
export function nameDistance(a: string, b: string): number {
  if (b.includes(a) || a.includes(b)) return Math.abs(a.length - b.length) / 10;
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}
