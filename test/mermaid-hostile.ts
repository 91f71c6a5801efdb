/**
 * Hostile identifiers and a model built from them, shared by the Mermaid tests (pure) and the
 * catalog tests (a real database). Deterministic: the same list every run.
 */
import { schemaModelVersion, sortModel, type Column, type Relation, type SchemaModel, type Table } from '../common/schema-model.ts';
import { relationsFromForeignKeys } from '../common/relations.ts';

const keywords = [
  'end', 'END', 'one', 'many', 'to', 'erDiagram', 'class', 'classDef', 'subgraph', 'style', 'direction', 'title', 'accTitle', 'accDescr',
  'PK', 'FK', 'UK', 'pk', 'u', 'o', 'only', 'zero', 'optionally', 'identifying', 'only one', 'zero or more', 'one or many', '1+', '0+',
  'select', 'user', 'order', 'group', 'table', 'null', 'true', 'default', '__proto__', 'constructor', 'toString', 'hasOwnProperty', 'e1', 'e2',
];
const syntax = [
  'My Table', 'my table', 'My_Table', 'my-table', 'my.table', 'public.users', 'a.b.c', '_x', '__init__', '_private_', 'a_', '_a b_',
  '*star*', '**bold**', '~~strike~~', 'a*b', 'a"b', '"quoted"', "it's", 'back`tick', '``', '$dollar', '[bracket]', '{brace}', '(paren)',
  'a;b', 'a:b', 'a : b', 'a|b', '|o--||', '}o--o{', 'a--b', 'a..b', '%%comment', '%', '50%', '#hash', '#quot;', '#35;', '&amp;', '&',
  '<b>bold</b>', '<script>alert(1)</script>', '\\backslash', 'a\\"b', ' leading', 'trailing ', 'two  spaces', 'tab\there', 'new\nline',
  'car\rriage', '\u00a0nbsp', 'zero\u200bwidth', 'e1["x"]', 'e1 }o--|| e2', '"; drop table x; --',
];
const digits = ['2fa_codes', '123', '1', '0', '3.14', '1st', '2', '007bond'];
const unicode = [
  'Ünïcødé', '日本語テーブル', 'таблица', 'جدول', 'עברית', 'emoji 🚀', '👨‍👩‍👧', 'e\u0301galite\u0301', 'ß', 'Ω', 'µ', '°C', '§1',
  '«quote»', '¿qué?', '±', '¬', 'Ĳ', '𝔘𝔫𝔦𝔠𝔬𝔡𝔢', 'ÀÉÎÕÜ', 'naïve café',
];
const long = ['x'.repeat(63), `${'long name '.repeat(6)}end`, 'y'.repeat(200), `${'ü'.repeat(31)}`];
const collisions = ['a b', 'a_b', 'a-b', 'a.b', 'A_B', 'a__b', 'Users', 'users', 'USERS', 'user s'];

/** Dangerous characters put first, last and in the middle of a name. */
const dangerous = ['"', "'", '`', '%', '#', ';', ':', '{', '}', '[', ']', '(', ')', '|', '<', '>', '&', '\\', '*', '_', '~', '.', ',', '-', '=', '+', '!', '?', '@', '^', '$', '/', ' ', '\t'];

export function hostileNames(): string[] {
  const generated: string[] = [];
  for (const ch of dangerous) generated.push(`x${ch}y`, `${ch}lead`, `trail${ch}`);
  return [...new Set([...keywords, ...syntax, ...digits, ...unicode, ...long, ...collisions, ...generated])];
}

/** Postgres identifiers are at most 63 bytes; longer ones are truncated, so the DB test skips them. */
export function fitsPostgres(name: string): boolean {
  return Buffer.byteLength(name, 'utf8') <= 63 && !name.includes('\u0000');
}

export const hostileTypes = [
  'timestamp with time zone', 'timestamp(3) without time zone', 'double precision', 'character varying(255)', 'character varying(255)[]',
  'numeric(8,2)', 'numeric(8, 2)', 'integer[]', '"char"', 'bit varying(5)', 'time with time zone', 'public."My Type"', '"2fa type"',
  'interval day to second', 'text', 'user-defined',
];

function column(name: string, type: string, nullable = false): Column {
  return { name, type, nullable, default: null, comment: null, generated: null, property: null, enum: null };
}

/**
 * One table per hostile name (schema "public", plus a few in hostile schemas), each with an id,
 * a column named after another hostile name, a hostile type and comment, and FKs making every
 * relation kind: m:1 not null, m:1 nullable, 1:1, self-reference, and plain pivots (m:n).
 */
export function hostileModel(names = hostileNames()): SchemaModel {
  const schemas = ['public', 'public', 'public', 'My Schema', 'ünï', 'a.b'];
  const tables: Table[] = names.map((name, i) => {
    const schema = schemas[i % schemas.length]!;
    const otherName = names[(i * 7 + 3) % names.length]!;
    const columns = [
      column('id', 'integer'),
      column(otherName === 'id' ? 'id2' : otherName, hostileTypes[i % hostileTypes.length]!, i % 2 === 0),
    ];
    columns[1]!.comment = i % 5 === 0 ? `comment "${name}" % # ;\n second line` : null;
    return {
      id: `${schema}.${name}`, schema, name, kind: 'table', comment: null, columns,
      primaryKey: { name: `${name}_pkey`, columns: ['id'] }, uniques: [], indexes: [], checks: [], foreignKeys: [], entity: null, isPivot: false,
    };
  });
  // Relations: table i references table i-1; every 4th one nullable, every 5th one unique (1:1), every 9th one to itself.
  for (let i = 1; i < tables.length; i++) {
    const t = tables[i]!;
    const target = i % 9 === 0 ? t : tables[i - 1]!;
    const fkName = i % 3 === 0 ? `ref ${target.name}` : `ref_${i}`;
    t.columns.push(column(fkName, 'integer', i % 4 === 0));
    t.foreignKeys.push({ name: `fk_${i}`, columns: [fkName], references: target.id, referencedColumns: ['id'], onDelete: 'cascade', onUpdate: 'no action' });
    if (i % 5 === 0) t.uniques.push({ name: `uq_${i}`, columns: [fkName] });
  }
  // Plain pivots between neighbouring tables.
  const count = tables.length;
  for (let i = 0; i + 1 < count; i += 25) {
    const a = tables[i]!;
    const b = tables[i + 1]!;
    const name = `pivot ${a.name} ${b.name}`.slice(0, 60);
    tables.push({
      id: `public.${name}`, schema: 'public', name, kind: 'table', comment: null,
      columns: [column('left id', 'integer'), column('right"id', 'integer')],
      primaryKey: { name: null, columns: ['left id', 'right"id'] }, uniques: [], indexes: [], checks: [],
      foreignKeys: [
        { name: null, columns: ['left id'], references: a.id, referencedColumns: ['id'], onDelete: 'cascade', onUpdate: 'no action' },
        { name: null, columns: ['right"id'], references: b.id, referencedColumns: ['id'], onDelete: 'cascade', onUpdate: 'no action' },
      ],
      entity: null, isPivot: true,
    });
  }
  const relations: Relation[] = relationsFromForeignKeys(tables);
  return sortModel({ version: schemaModelVersion, source: 'db', origin: 'test', tables, enums: [], relations });
}

/** What Mermaid shows for an escaped text: control characters as \n, \t, \r, \xNN. */
export function displayed(text: string): string {
  let out = '';
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (code < 0x20 || code === 0x7f || code === 0x2028 || code === 0x2029) {
      out += code === 10 ? '\\n' : code === 9 ? '\\t' : code === 13 ? '\\r' : `\\x${code.toString(16).padStart(2, '0')}`;
    } else {
      out += ch;
    }
  }
  return out;
}

/** Mermaid keeps entity codes encoded in its parsed model ("ﬂ°quot¶ß"); this decodes them as the SVG shows them. */
export function decodeMermaidEntities(text: string): string {
  const html = text.replace(/ﬂ°°/g, '&#').replace(/ﬂ°/g, '&').replace(/¶ß/g, ';');
  const named: Record<string, string> = { quot: '"', amp: '&', lt: '<', gt: '>', apos: "'" };
  return html.replace(/&(#(\d+)|([a-z]+));/gi, (all, _e, num: string | undefined, name: string | undefined) => {
    if (num) return String.fromCodePoint(Number(num));
    return named[name!.toLowerCase()] ?? all;
  });
}
