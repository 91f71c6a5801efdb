/** Generated schemas for bench/web.ts: deterministic, so every run measures the same tables. */
import { prng } from './prng.ts';

/** N tables over 1 schema (≤ 100) or 4 schemas: id, five columns, 1–3 FKs to nearby earlier tables, indexed. */
export function generatedSchemaSql(count: number): string {
  const random = prng(7);
  const schemas = count <= 100 ? ['public'] : ['public', 'sales', 'inventory', 'audit'];
  const name = (i: number) => `${schemas[i % schemas.length]}.t${String(i).padStart(4, '0')}`;
  const out = schemas.filter((s) => s !== 'public').map((s) => `create schema if not exists ${s};`);
  for (let i = 1; i <= count; i++) {
    const cols = ['id integer generated always as identity primary key', 'name varchar(100) not null', 'created_at timestamptz not null default now()', 'amount numeric(10,2)', 'active boolean not null default true', 'note text'];
    const fks = i === 1 ? 0 : 1 + Math.floor(random() * 3);
    const idx: string[] = [];
    for (let k = 1; k <= fks; k++) {
      const target = Math.max(1, i - 1 - Math.floor(random() * Math.min(i - 1, 40)));
      cols.push(`ref${k}_id integer${random() < 0.3 ? '' : ' not null'} references ${name(target)}(id) on delete ${random() < 0.5 ? 'cascade' : 'restrict'}`);
      idx.push(`create index on ${name(i)} (ref${k}_id);`);
    }
    out.push(`create table ${name(i)} (${cols.join(', ')});`, ...idx);
  }
  return out.join('\n');
}
