/**
 * A small SQL formatter and highlighter for the statements MikroORM sends: clauses on
 * their own lines, sub-selects indented, long lists wrapped. It never changes a token,
 * only the whitespace between them, and renders through text nodes (no innerHTML).
 */
import { h } from './dom.ts';

export type TokenKind = 'ws' | 'comment' | 'string' | 'ident' | 'number' | 'word' | 'keyword' | 'function' | 'param' | 'op' | 'punct';
export interface Token {
  kind: TokenKind;
  text: string;
}

const keywords = new Set(
  `select from where and or not in is null as on join left right inner outer full cross lateral order by group having limit offset
   union intersect except all distinct case when then else end exists insert into values update set delete returning with recursive
   asc desc nulls first last like ilike between true false using any some array cast over partition filter window for share
   no key lock nowait skip locked fetch next rows only default conflict do nothing materialized explain analyze buffers format json`
    .split(/\s+/)
    .filter(Boolean),
);

const rules: [TokenKind, RegExp][] = [
  ['ws', /\s+/y],
  ['comment', /--[^\n]*/y],
  ['comment', /\/\*[\s\S]*?(?:\*\/|$)/y],
  ['string', /[eE]?'(?:[^']|'')*'?/y],
  ['ident', /"(?:[^"]|"")*"?/y],
  ['param', /\$\d+|\?/y],
  ['number', /\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/y],
  ['word', /[A-Za-z_\u00c0-\uffff][A-Za-z0-9_$\u00c0-\uffff]*/y],
  ['op', /::|<=|>=|<>|!=|\|\||->>|->|#>>|#>|@>|<@|[=<>+\-*/%~!@#^&|]/y],
  ['punct', /[(),;.[\]]/y],
];

export function tokenize(sql: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  outer: while (i < sql.length) {
    for (const [kind, re] of rules) {
      re.lastIndex = i;
      const m = re.exec(sql);
      if (m && m[0].length > 0) {
        out.push({ kind, text: m[0] });
        i += m[0].length;
        continue outer;
      }
    }
    out.push({ kind: 'punct', text: sql[i]! });
    i += 1;
  }
  // Classify words: keywords, and function names (a word right before "(").
  for (let k = 0; k < out.length; k++) {
    const t = out[k]!;
    if (t.kind !== 'word') continue;
    const next = out[k + 1];
    if (next?.text === '(' && !keywords.has(t.text.toLowerCase())) t.kind = 'function';
    else if (keywords.has(t.text.toLowerCase())) t.kind = 'keyword';
  }
  return out;
}

/** Clause heads that start a line; multi-word ones are matched with what follows. */
const clauseStarts: string[][] = [
  ['with', 'recursive'], ['with'], ['select', 'distinct'], ['select'], ['from'], ['where'],
  ['left', 'outer', 'join'], ['left', 'join'], ['right', 'outer', 'join'], ['right', 'join'], ['full', 'outer', 'join'], ['full', 'join'],
  ['inner', 'join'], ['cross', 'join'], ['join'],
  ['group', 'by'], ['order', 'by'], ['having'], ['limit'], ['offset'], ['for', 'update'], ['for', 'share'],
  ['union', 'all'], ['union'], ['intersect'], ['except'], ['returning'], ['values'], ['set'],
  ['insert', 'into'], ['update'], ['delete', 'from'], ['on', 'conflict'],
];

export interface Line {
  indent: number;
  tokens: Token[];
}

const width = 96;

/** Formats into lines of tokens; `formatSql` joins them into text. */
export function layoutSql(sql: string): Line[] {
  const all = tokenize(sql.trim());
  // Words only (no whitespace/comments) with their index, for multi-word matching.
  const lines: Line[] = [];
  let line: Line = { indent: 0, tokens: [] };
  let base = 0;
  let pendingSpace = false;
  // One frame per open parenthesis: sub-selects indent, plain parentheses do not.
  const stack: { sub: boolean; base: number }[] = [];
  // The current line's length, kept as tokens are added (long IN lists make recounting quadratic).
  let lineLength = 0;
  const length = (_l: Line) => lineLength;
  const push = (t: Token) => {
    line.tokens.push(t);
    lineLength += t.text.length;
  };
  const newLine = (indent: number) => {
    if (line.tokens.length > 0) lines.push(line);
    line = { indent, tokens: [] };
    lineLength = indent * 2;
    pendingSpace = false;
  };
  const emit = (t: Token) => {
    if (pendingSpace && line.tokens.length > 0) push({ kind: 'ws', text: ' ' });
    push(t);
    pendingSpace = false;
  };
  const nextSignificant = (from: number) => {
    for (let k = from; k < all.length; k++) if (all[k]!.kind !== 'ws' && all[k]!.kind !== 'comment') return all[k];
    return undefined;
  };
  const matchClause = (from: number): number => {
    // Returns how many tokens (including whitespace between) the clause head spans, or 0.
    for (const words of clauseStarts) {
      let k = from;
      let ok = true;
      for (let w = 0; w < words.length; w++) {
        if (w > 0) while (k < all.length && all[k]!.kind === 'ws') k++;
        const t = all[k];
        if (!t || (t.kind !== 'keyword' && t.kind !== 'word') || t.text.toLowerCase() !== words[w]) {
          ok = false;
          break;
        }
        k++;
      }
      if (ok) return k - from;
    }
    return 0;
  };

  for (let i = 0; i < all.length; i++) {
    const t = all[i]!;
    if (t.kind === 'ws') {
      pendingSpace = true;
      continue;
    }
    if (t.kind === 'keyword') {
      const span = matchClause(i);
      // "on conflict", "set" and "values" only start a line at statement level.
      if (span > 0) {
        newLine(base);
        for (let k = i; k < i + span; k++) {
          const c = all[k]!;
          if (c.kind === 'ws') pendingSpace = true;
          else emit({ kind: 'keyword', text: c.text });
        }
        pendingSpace = true;
        i += span - 1;
        continue;
      }
      const lower = t.text.toLowerCase();
      if ((lower === 'and' || lower === 'or') && length(line) > width * 0.6) {
        newLine(base + 1);
        emit(t);
        pendingSpace = true;
        continue;
      }
    }
    if (t.text === '(') {
      const next = nextSignificant(i + 1);
      const sub = next !== undefined && next.kind === 'keyword' && ['select', 'with', 'values'].includes(next.text.toLowerCase());
      emit(t);
      stack.push({ sub, base });
      if (sub) base += 1;
      continue;
    }
    if (t.text === ')') {
      const frame = stack.pop();
      if (frame?.sub) {
        base = frame.base;
        newLine(base);
      } else {
        pendingSpace = false;
      }
      push(t);
      continue;
    }
    if (t.text === ',' || t.text === ';' || t.text === '.' || t.text === '::') {
      pendingSpace = false;
      push(t);
      if (t.text === ',') {
        pendingSpace = true;
        const upcoming = nextSignificant(i + 1);
        if (upcoming && length(line) + upcoming.text.length + 1 > width) newLine(base + 1);
      }
      if (t.text === '.' || t.text === '::') pendingSpace = false;
      continue;
    }
    if (line.tokens.length > 0) {
      const prev = line.tokens[line.tokens.length - 1]!;
      if (prev.text === '(' || prev.text === '.' || prev.text === '::') pendingSpace = false;
    }
    emit(t);
    // A line comment runs to the end of the line: what follows must start a new one, or it
    // would read as part of the comment.
    if (t.kind === 'comment' && t.text.startsWith('--')) newLine(base);
  }
  if (line.tokens.length > 0) lines.push(line);
  return lines;
}

export function formatSql(sql: string): string {
  return layoutSql(sql)
    .map((l) => '  '.repeat(l.indent) + l.tokens.map((t) => t.text).join(''))
    .join('\n');
}

/** A <pre> with the formatted, highlighted SQL. */
export function sqlBlock(sql: string, options: { format?: boolean } = {}): HTMLPreElement {
  const code = h('code', { class: 'sql' });
  const lines = options.format === false ? [{ indent: 0, tokens: tokenize(sql) }] : layoutSql(sql);
  lines.forEach((l, index) => {
    if (index > 0) code.appendChild(document.createTextNode('\n'));
    if (l.indent > 0) code.appendChild(document.createTextNode('  '.repeat(l.indent)));
    for (const t of l.tokens) {
      if (t.kind === 'ws' || t.kind === 'punct' || t.kind === 'word') code.appendChild(document.createTextNode(t.text));
      else code.appendChild(h('span', { class: `t-${t.kind}` }, t.text));
    }
  });
  return h('pre', { class: 'code-block' }, code);
}
