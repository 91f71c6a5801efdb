/**
 * The page's SQL formatter and highlighter (web/sql.ts): it only changes whitespace between
 * tokens, never a token, and puts clauses on their own lines.
 */
import { describe, expect, it } from 'vitest';
import { formatSql, layoutSql, tokenize } from '../web/sql.ts';

/** The statement without whitespace outside of strings, identifiers and comments. */
function significant(sql: string): string {
  return tokenize(sql).filter((t) => t.kind !== 'ws').map((t) => t.text).join('\u0001');
}

const statements = [
  'select "u0".*, "p1"."id" as "p1__id" from "users" as "u0" left join "profiles" as "p1" on "u0"."id" = "p1"."user_id" order by "u0"."id" asc limit 10',
  'select "p0".* from "posts" as "p0" where "p0"."user_id" in (1, 2, 3) and "p0"."title" ilike \'%a%\'',
  'with recursive t as (select 1 as n union all select n + 1 from t where n < 3) select * from t',
  "select 'from where; select' as s, \"select\" from \"order\" -- where\nwhere x::text = $1 and y->>'k' @> '{}'::jsonb",
  'select count(*) from (select distinct user_id from comments where id > 10) as sub group by 1 having count(*) > 2',
  'select * from a inner join b on a.id = b.a_id full outer join c on c.id = b.c_id cross join d for update',
  '/* hint */ select e\'it\'\'s\' , 1.5e-3, -2 from t offset 5',
];

describe('tokenize', () => {
  it('gives back every character: the tokens join to the input', () => {
    for (const sql of [...statements, "unterminated 'string", 'unterminated "ident', '/* open comment', 'a€b ✓ 😀', '']) {
      expect(tokenize(sql).map((t) => t.text).join(''), sql).toBe(sql);
    }
  });

  it('classifies keywords, functions, strings, identifiers, parameters and operators', () => {
    const kinds = (sql: string) => tokenize(sql).filter((t) => t.kind !== 'ws').map((t) => `${t.kind}:${t.text}`);
    expect(kinds("select count(id), 'from' from \"where\" where a = $1 and b @> ?")).toEqual([
      'keyword:select', 'function:count', 'punct:(', 'word:id', 'punct:)', 'punct:,', "string:'from'", 'keyword:from', 'ident:"where"',
      'keyword:where', 'word:a', 'op:=', 'param:$1', 'keyword:and', 'word:b', 'op:@>', 'param:?',
    ]);
    expect(kinds('x::int -- note')).toEqual(['word:x', 'op:::', 'word:int', 'comment:-- note']);
    // A keyword before "(" stays a keyword (IN (...), EXISTS (...)).
    expect(kinds('a in (1)')[1]).toBe('keyword:in');
  });

  it('never loses or reorders characters on random input', () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    const alphabet = ['select', ' ', '\n', "'", '"', '(', ')', ',', '--', '/*', '*/', '$1', '::', 'a', '1', 'é', ';', 'from', '@>', '.'];
    for (let i = 0; i < 500; i++) {
      const sql = Array.from({ length: Math.floor(rand() * 30) }, () => alphabet[Math.floor(rand() * alphabet.length)]).join('');
      expect(tokenize(sql).map((t) => t.text).join('')).toBe(sql);
      expect(significant(formatSql(sql))).toBe(significant(sql.trim()));
    }
  });
});

describe('formatSql', () => {
  it('changes only whitespace between tokens', () => {
    for (const sql of statements) expect(significant(formatSql(sql)), sql).toBe(significant(sql));
  });

  it('puts clauses on their own lines and indents sub-selects', () => {
    expect(formatSql(statements[0]!)).toBe([
      'select "u0".*, "p1"."id" as "p1__id"',
      'from "users" as "u0"',
      'left join "profiles" as "p1" on "u0"."id" = "p1"."user_id"',
      'order by "u0"."id" asc',
      'limit 10',
    ].join('\n'));
    expect(formatSql(statements[4]!)).toBe([
      'select count(*)',
      'from (',
      '  select distinct user_id',
      '  from comments',
      '  where id > 10',
      ') as sub',
      'group by 1',
      'having count(*) > 2',
    ].join('\n'));
  });

  it('keeps keywords inside strings and quoted identifiers where they are', () => {
    const text = formatSql("select 'from x where y' as \"select from\" from t");
    expect(text).toBe('select \'from x where y\' as "select from"\nfrom t');
  });

  it('wraps a long IN list within the line width', () => {
    const ids = Array.from({ length: 200 }, (_, i) => i + 1).join(', ');
    const lines = formatSql(`select "p0".* from "posts" as "p0" where "p0"."user_id" in (${ids})`).split('\n');
    expect(lines.length).toBeGreaterThan(5);
    for (const line of lines) expect(line.length, line).toBeLessThanOrEqual(96 + 8);
    expect(layoutSql('select 1').map((l) => l.indent)).toEqual([0]);
  });
});

describe('line comments', () => {
  it('end their line, so the code after them stays code', () => {
    const sql = 'select a -- the first\nfrom t';
    expect(formatSql(sql)).toBe('select a -- the first\nfrom t');
    expect(formatSql('select a, -- why\nb from t')).toBe('select a, -- why\nb\nfrom t');
  });
});
