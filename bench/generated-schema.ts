/** The generated benchmark schema (shared by bench/introspection.ts, bench/startup.ts, bench/layout.ts). */
import { prng } from './prng.ts';

/** 1,000 tables: id, five payload columns, 1-3 FKs to earlier tables, and two indexes besides the PK. */
export function schemaSql(count: number): string {
  const random = prng(42);
  const name = (i: number) => `t${String(i).padStart(4, '0')}`;
  const out: string[] = [];
  for (let i = 1; i <= count; i++) {
    const fks = 1 + Math.floor(random() * 3);
    const cols = [
      'id serial primary key',
      'name varchar(100) not null',
      'created_at timestamptz not null default now()',
      'amount numeric(10,2)',
      'active boolean not null default true',
      'note text',
    ];
    const refs: string[] = [];
    for (let k = 1; k <= fks; k++) {
      const target = i === 1 ? 1 : 1 + Math.floor(random() * (i - 1));
      const nullable = random() < 0.3 ? '' : ' not null';
      cols.push(`ref${k}_id integer${i === 1 ? '' : nullable} references ${name(target)}(id) on delete ${random() < 0.5 ? 'cascade' : 'restrict'}`);
      refs.push(`ref${k}_id`);
    }
    out.push(`create table ${name(i)} (${cols.join(', ')});`);
    out.push(`create index ${name(i)}_ref1_idx on ${name(i)} (ref1_id);`);
    out.push(`create index ${name(i)}_name_idx on ${name(i)} (name, created_at);`);
    out.push(`comment on table ${name(i)} is 'generated table ${i}';`);
  }
  return out.join('\n');
}
