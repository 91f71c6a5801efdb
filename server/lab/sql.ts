/**
 * A small PostgreSQL lexer for two jobs: deciding whether a statement is a plain read-only
 * SELECT (the lab refuses to send anything else, during loads and to EXPLAIN), and turning a
 * statement into a fingerprint (literals replaced by ?, IN lists collapsed) so that the N+1
 * loop's statements group together.
 *
 * The read-only check is one layer of several: EXPLAIN ANALYZE also runs inside
 * BEGIN READ ONLY ... ROLLBACK, and only statements captured from the ORM's own loads are
 * explained at all.
 */

export type TokenKind = 'word' | 'quoted' | 'string' | 'number' | 'param' | 'punct';

export interface Token {
  kind: TokenKind;
  /** Words lowercased; other tokens as written. */
  text: string;
  start: number;
  end: number;
}

/** Splits SQL into tokens, dropping whitespace and comments. Never throws: an unterminated literal runs to the end. */
export function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  const n = sql.length;
  let i = 0;
  while (i < n) {
    const c = sql[i]!;
    const next = sql[i + 1];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '-' && next === '-') {
      while (i < n && sql[i] !== '\n') i++;
      continue;
    }
    if (c === '/' && next === '*') {
      let depth = 1;
      i += 2;
      while (i < n && depth > 0) {
        if (sql[i] === '/' && sql[i + 1] === '*') { depth++; i += 2; }
        else if (sql[i] === '*' && sql[i + 1] === '/') { depth--; i += 2; }
        else i++;
      }
      continue;
    }
    const start = i;
    // E'...' (backslash escapes), B'...', X'...', N'...', U&'...'
    if (/[eEbBxXnN]/.test(c) && next === "'") {
      i = readString(sql, i + 1, c === 'e' || c === 'E');
      tokens.push({ kind: 'string', text: sql.slice(start, i), start, end: i });
      continue;
    }
    if ((c === 'u' || c === 'U') && next === '&' && (sql[i + 2] === "'" || sql[i + 2] === '"')) {
      const quote = sql[i + 2]!;
      i = quote === "'" ? readString(sql, i + 2, false) : readQuoted(sql, i + 2);
      tokens.push({ kind: quote === "'" ? 'string' : 'quoted', text: sql.slice(start, i), start, end: i });
      continue;
    }
    if (c === "'") {
      i = readString(sql, i, false);
      tokens.push({ kind: 'string', text: sql.slice(start, i), start, end: i });
      continue;
    }
    if (c === '"') {
      i = readQuoted(sql, i);
      tokens.push({ kind: 'quoted', text: sql.slice(start, i), start, end: i });
      continue;
    }
    if (c === '$') {
      const param = /^\$\d+/.exec(sql.slice(i));
      if (param) {
        i += param[0].length;
        tokens.push({ kind: 'param', text: param[0], start, end: i });
        continue;
      }
      const tag = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i));
      if (tag) {
        const close = sql.indexOf(tag[0], i + tag[0].length);
        i = close < 0 ? n : close + tag[0].length;
        tokens.push({ kind: 'string', text: sql.slice(start, i), start, end: i });
        continue;
      }
    }
    if (/[A-Za-z_\u0080-\uffff]/.test(c)) {
      i++;
      while (i < n && /[A-Za-z0-9_$\u0080-\uffff]/.test(sql[i]!)) i++;
      tokens.push({ kind: 'word', text: sql.slice(start, i).toLowerCase(), start, end: i });
      continue;
    }
    if (/[0-9]/.test(c) || (c === '.' && next !== undefined && /[0-9]/.test(next))) {
      i++;
      while (i < n && /[0-9._]/.test(sql[i]!)) i++;
      if (i < n && /[eE]/.test(sql[i]!) && /[-+0-9]/.test(sql[i + 1] ?? '')) {
        i += 2;
        while (i < n && /[0-9]/.test(sql[i]!)) i++;
      }
      tokens.push({ kind: 'number', text: sql.slice(start, i), start, end: i });
      continue;
    }
    // Operators: group runs of operator characters; single punctuation otherwise.
    if (/[+\-*/<>=~!@#%^&|`?]/.test(c)) {
      i++;
      while (i < n && /[+\-*/<>=~!@#%^&|`?]/.test(sql[i]!) && !(sql[i] === '-' && sql[i + 1] === '-') && !(sql[i] === '/' && sql[i + 1] === '*')) i++;
      tokens.push({ kind: 'punct', text: sql.slice(start, i), start, end: i });
      continue;
    }
    if (c === ':' && next === ':') {
      i += 2;
      tokens.push({ kind: 'punct', text: '::', start, end: i });
      continue;
    }
    i++;
    tokens.push({ kind: 'punct', text: c, start, end: i });
  }
  return tokens;
}

function readString(sql: string, openQuote: number, backslashEscapes: boolean): number {
  let i = openQuote + 1;
  while (i < sql.length) {
    const ch = sql[i];
    if (backslashEscapes && ch === '\\') { i += 2; continue; }
    if (ch === "'") {
      if (sql[i + 1] === "'") { i += 2; continue; }
      return i + 1;
    }
    i++;
  }
  return sql.length;
}

function readQuoted(sql: string, openQuote: number): number {
  let i = openQuote + 1;
  while (i < sql.length) {
    if (sql[i] === '"') {
      if (sql[i + 1] === '"') { i += 2; continue; }
      return i + 1;
    }
    i++;
  }
  return sql.length;
}

/** Words that make a statement beginning with SELECT/WITH write, lock or create something. */
const writingWords = new Set(['insert', 'update', 'delete', 'merge', 'into', 'truncate', 'copy']);

/** Functions with side effects that a READ ONLY transaction does not stop (or that we never want run). */
const sideEffectFunctions = [
  /^nextval$/, /^setval$/, /^set_config$/, /^pg_terminate_backend$/, /^pg_cancel_backend$/, /^pg_reload_conf$/,
  /^pg_rotate_logfile$/, /^pg_switch_wal$/, /^pg_promote$/, /^pg_(try_)?advisory_/, /^lo_/, /^dblink/, /^pg_notify$/,
  /^pg_logical_emit_message$/, /^pg_create_/, /^pg_drop_replication_slot$/, /^pg_file_/, /^pg_replication_origin_/,
  /^pg_stat_reset/, /^pg_import_system_collations$/, /^txid_current$/, /^pg_current_xact_id$/,
];

/**
 * BEGIN / COMMIT / ROLLBACK / SAVEPOINT and friends: they change nothing by themselves, and a
 * capture session lets them through so that the ORM can always close a transaction it opened
 * (refusing its BEGIN would leave the pooled connection checked out).
 */
export function isTransactionControl(sql: string): boolean {
  return /^\s*(begin|start\s+transaction|commit|end|rollback|abort|savepoint|release)(\s+[\w"]+)*\s*;?\s*$/i.test(sql);
}

export type ReadOnlyCheck = { ok: true } | { ok: false; reason: string };

/**
 * True only for one plain SELECT (or WITH ... SELECT whose CTEs are all SELECTs), with no
 * SELECT INTO, no FOR UPDATE/SHARE locking clause and no call to a function with side effects.
 */
export function checkReadOnly(sql: string): ReadOnlyCheck {
  const tokens = tokenize(sql);
  if (tokens.length === 0) return { ok: false, reason: 'empty statement' };
  const semicolon = tokens.findIndex((t) => t.kind === 'punct' && t.text === ';');
  if (semicolon >= 0 && semicolon < tokens.length - 1) return { ok: false, reason: 'more than one statement' };
  const first = tokens.find((t) => !(t.kind === 'punct' && t.text === '('));
  if (!first || first.kind !== 'word' || (first.text !== 'select' && first.text !== 'with')) {
    return { ok: false, reason: `not a SELECT: starts with "${(first ?? tokens[0]!).text}"` };
  }
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.kind !== 'word') continue;
    if (writingWords.has(t.text)) {
      return { ok: false, reason: t.text === 'into' ? 'SELECT INTO creates a table' : `contains ${t.text.toUpperCase()} (a data-modifying statement)` };
    }
    if (t.text === 'for') {
      const following = tokens.slice(i + 1, i + 3).map((x) => x.text).join(' ');
      if (/^(update|share|no key|key share)/.test(following)) return { ok: false, reason: `contains a locking clause (FOR ${following.toUpperCase()})` };
    }
    const next = tokens[i + 1];
    if (next?.kind === 'punct' && next.text === '(' && sideEffectFunctions.some((re) => re.test(t.text))) {
      return { ok: false, reason: `calls ${t.text}(), which has side effects` };
    }
  }
  return { ok: true };
}

/**
 * The statement with every literal replaced by ?, IN/VALUES lists collapsed to (...) and
 * whitespace normalised: statements that differ only in values get the same fingerprint.
 */
export function fingerprint(sql: string): string {
  const tokens = tokenize(sql);
  let out = '';
  let last = 0;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.kind !== 'string' && t.kind !== 'number' && t.kind !== 'param') continue;
    let start = t.start;
    // A unary minus before a number belongs to the literal.
    const prev = tokens[i - 1];
    const before = tokens[i - 2];
    if (t.kind === 'number' && prev?.text === '-' && prev.end === t.start && (!before || before.kind === 'punct' || before.kind === 'word')) {
      if (!before || ['(', ',', '=', '<', '>', '<=', '>=', '<>', '!='].includes(before.text) || ['in', 'and', 'or', 'select', 'then', 'else', 'when', 'between'].includes(before.text)) start = prev.start;
    }
    out += sql.slice(last, start) + '?';
    last = t.end;
  }
  out += sql.slice(last);
  // Comments and runs of whitespace do not change a statement's shape.
  return out
    .replace(/--[^\n]*|\/\*[\s\S]*?\*\//g, ' ')
    .replace(/\s+/g, ' ')
    .replace(/\(\s*\?(?:\s*,\s*\?)*\s*\)/g, '(...)')
    .replace(/\(\.\.\.\)(?:\s*,\s*\(\.\.\.\))+/g, '(...)')
    .replace(/(\(\s*(\S+) = \?\s*\))(?: or \(\s*\2 = \?\s*\))+/g, '$1 or ...')
    .trim();
}
