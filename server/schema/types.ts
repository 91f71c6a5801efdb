/**
 * Column type spellings. The model stores types the way Postgres's format_type() prints them
 * ("character varying(255)", "timestamp with time zone", "integer[]"), so a type from the ORM
 * ("varchar(255)", "timestamptz", "int") is brought to that spelling before it enters the model
 * and the two sources compare equal when they mean the same type.
 */

const simpleAliases: Record<string, string> = {
  int: 'integer',
  int4: 'integer',
  integer: 'integer',
  serial: 'integer',
  serial4: 'integer',
  int2: 'smallint',
  smallint: 'smallint',
  smallserial: 'smallint',
  serial2: 'smallint',
  int8: 'bigint',
  bigint: 'bigint',
  bigserial: 'bigint',
  serial8: 'bigint',
  bool: 'boolean',
  boolean: 'boolean',
  float4: 'real',
  real: 'real',
  float8: 'double precision',
  float: 'double precision',
  double: 'double precision',
  'double precision': 'double precision',
  decimal: 'numeric',
  numeric: 'numeric',
  varchar: 'character varying',
  'character varying': 'character varying',
  char: 'character(1)',
  character: 'character(1)',
  bpchar: 'bpchar',
  timestamptz: 'timestamp with time zone',
  'timestamp with time zone': 'timestamp with time zone',
  timestamp: 'timestamp without time zone',
  'timestamp without time zone': 'timestamp without time zone',
  timetz: 'time with time zone',
  'time with time zone': 'time with time zone',
  time: 'time without time zone',
  'time without time zone': 'time without time zone',
  varbit: 'bit varying',
  'bit varying': 'bit varying',
  bit: 'bit(1)',
};

/** Types whose parameter list is written before a suffix: timestamp(3) with time zone. */
const precisionSuffix: Record<string, string> = {
  timestamptz: 'timestamp($) with time zone',
  'timestamp with time zone': 'timestamp($) with time zone',
  timestamp: 'timestamp($) without time zone',
  'timestamp without time zone': 'timestamp($) without time zone',
  timetz: 'time($) with time zone',
  'time with time zone': 'time($) with time zone',
  time: 'time($) without time zone',
  'time without time zone': 'time($) without time zone',
};

const parametrised: Record<string, string> = {
  varchar: 'character varying',
  'character varying': 'character varying',
  char: 'character',
  character: 'character',
  bpchar: 'character',
  decimal: 'numeric',
  numeric: 'numeric',
  varbit: 'bit varying',
  'bit varying': 'bit varying',
  bit: 'bit',
};

/** Brings a type name to format_type()'s spelling; unknown types pass through, trimmed and lower-cased when unquoted. */
export function canonicalType(raw: string): string {
  let type = raw.trim().replace(/\s+/g, ' ');
  // PostgreSQL records no array dimensions or sizes: text[][], text[3] and text ARRAY are all
  // stored, and printed by format_type(), as text[] (MikroORM's ArrayType says text[][]).
  let arraySuffix = '';
  for (let m; (m = /\s*(?:\[\s*\d*\s*\]|\barray(?:\s*\[\s*\d*\s*\])?)$/i.exec(type)) && m.index > 0; ) {
    arraySuffix = '[]';
    type = type.slice(0, m.index).trimEnd();
  }
  // The internal array type names: _int4 is integer[].
  if (!arraySuffix && /^_[a-z][a-z0-9_]*$/i.test(type) && !type.includes('"')) {
    arraySuffix = '[]';
    type = type.slice(1);
  }
  // float(p): real up to 24 bits of precision, double precision from 25 to 53.
  const float = /^float\s*\(\s*(\d+)\s*\)$/i.exec(type);
  if (float) return (Number(float[1]) <= 24 ? 'real' : 'double precision') + arraySuffix;
  // "timestamp(3) with time zone", "numeric(8, 2)", "varchar(255)".
  const match = /^([a-z0-9_ ]+?)\s*\(([^)]*)\)\s*(.*)$/i.exec(type);
  if (!type.includes('"') && match) {
    const base = `${match[1]!.toLowerCase()}${match[3] ? ` ${match[3].toLowerCase()}` : ''}`.trim();
    const args = match[2]!.split(',').map((a) => a.trim()).join(',');
    const timed = precisionSuffix[base];
    if (timed) return timed.replace('$', args) + arraySuffix;
    const name = parametrised[base];
    if (name) return `${name}(${args})${arraySuffix}`;
    return `${base}(${args})${arraySuffix}`;
  }
  if (type.includes('"')) return type + arraySuffix;
  const lower = type.toLowerCase();
  return (simpleAliases[lower] ?? lower) + arraySuffix;
}

/**
 * Whether two type spellings name the same PostgreSQL type, as PostgreSQL decides: after
 * canonicalType (aliases such as int4 / integer and varchar / character varying, array
 * dimensions), a timestamp or time precision of 6 is its default (the same as none).
 */
export function sameType(a: string, b: string): boolean {
  const x = canonicalType(a);
  const y = canonicalType(b);
  if (x === y) return true;
  const defaultPrecision = (t: string) => t.replace(/^(timestamp|time)\(6\)( with(?:out)? time zone)/, '$1$2');
  return defaultPrecision(x) === defaultPrecision(y);
}

const shortNames: [RegExp, string][] = [
  [/^character varying/, 'varchar'],
  [/^character\b/, 'char'],
  [/^timestamp(\(\d+\))? with time zone/, 'timestamptz$1'],
  [/^timestamp(\(\d+\))? without time zone/, 'timestamp$1'],
  [/^time(\(\d+\))? with time zone/, 'timetz$1'],
  [/^time(\(\d+\))? without time zone/, 'time$1'],
  [/^double precision/, 'float8'],
  [/^bit varying/, 'varbit'],
];

/**
 * Which Mermaid renders the text. 10 (the default) is what GitLab (10.7) and Mermaid 11.0–11.4
 * read: attribute words are ASCII letters, digits, `_ - [ ] ( )` only. 12 (also 11.5+) reads
 * backtick-quoted names, dots, commas and non-ASCII letters in words. 11 is written like 10,
 * because 11.0–11.4 lack the newer syntax.
 */
export type MermaidSyntax = 10 | 11 | 12;
export const mermaidSyntaxes = [10, 11, 12] as const;
export const defaultMermaidSyntax: MermaidSyntax = 10;

/** Mermaid 10.7's attribute word (its lexer is case-insensitive; PK/FK/UK are keys, not words). */
const portableWord = /^[A-Za-z_][A-Za-z0-9_\-[\]()]*$/;
const keyWord = /^(pk|fk|uk)$/i;

/** ASCII letters for accented ones (é -> e), "_" for anything else Mermaid 10 cannot read. */
export function portableWordOf(text: string): string {
  let out = text.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').replace(/[^A-Za-z0-9_\-[\]()]/g, '_');
  if (!/^[A-Za-z_]/.test(out)) out = `_${out}`;
  if (keyWord.test(out)) out = `_${out}`;
  return out;
}

/**
 * One word Mermaid accepts as an attribute type: the short Postgres alias where there is one
 * (varchar(255), timestamptz, float8), no spaces, nothing outside Mermaid's type alphabet.
 * Portable (10, 11): a schema-qualified type keeps its schema without the dot
 * (inventory.product_status -> inventory_product_status), numeric(8,2) -> numeric(8_2).
 */
export function diagramType(type: string, syntax: MermaidSyntax = defaultMermaidSyntax): string {
  let short = type;
  for (const [pattern, replacement] of shortNames) {
    if (pattern.test(short)) {
      short = short.replace(pattern, replacement);
      break;
    }
  }
  short = short.replace(/\s*,\s*/g, ',').replace(/"/g, '');
  if (syntax !== 12) {
    short = portableWordOf(short.replace(/\s+/g, '_'));
    return portableWord.test(short) ? short : '_';
  }
  // Mermaid's attribute word: a letter, underscore, * or non-ASCII first; then also digits - [ ] ( ) . ,
  short = short.replace(/[^A-Za-z0-9_\-[\]().,*\u00C0-\uFFFF]/g, '_');
  // A "~" pair would make a generic type, and the surrogate range is fine in the class above.
  if (!/^[A-Za-z_*\u00C0-\uFFFF]/.test(short)) short = `_${short}`;
  if (keyWord.test(short)) short = `_${short}`;
  return short || '_';
}

/** True when a column name is written as is in this syntax (else it is quoted or sanitised). */
export function isPlainAttributeWord(name: string, syntax: MermaidSyntax = defaultMermaidSyntax): boolean {
  if (keyWord.test(name)) return false;
  if (syntax !== 12) return portableWord.test(name) && !/[()[\]]/.test(name);
  return /^[A-Za-z_\u00C0-\uFFFF][A-Za-z0-9_\-\u00C0-\uFFFF]*$/.test(name);
}
