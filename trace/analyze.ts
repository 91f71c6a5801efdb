/**
 * Findings of one scope, from its statements (pure). The statements are grouped by the lab's
 * fingerprint (server/lab/sql.ts), and the N+1 sentence is the lab's (server/lab/wording.ts).
 */
import type { CallSite, LoadVia, TraceFinding, TraceStatement } from '../common/trace-types.ts';
import { fmtMs, nPlusOneMessage, plural } from '../server/lab/wording.ts';

export interface AnalyzedStatement extends TraceStatement {
  /** The values as a string, kept in memory for comparisons even when `params` is redacted. */
  paramsKey: string;
  /** Relation details behind `relation`. */
  owner?: string;
  property?: string;
  toMany?: boolean;
  /** The relation is eager (MikroORM loads it with its owner, unasked). */
  eager?: boolean;
}

/** How many same-shaped statements with different values make an N+1 (Bullet and nplusone use 2; the issue asks 3). */
export const nPlusOneThreshold = 3;

function siteText(site: CallSite | undefined): string {
  return site ? `${site.file}:${site.line}:${site.column}` : '';
}

function shortSite(site: CallSite | undefined): string {
  if (!site) return 'an unknown call site';
  const parts = site.file.split(/[\\/]/);
  return `${parts.slice(-2).join('/')}:${site.line}:${site.column}`;
}

function isRead(fingerprint: string): boolean {
  return /^\(?\s*(select|with)\b/i.test(fingerprint);
}

/**
 * Statements a finding can be made of: reads that succeeded, not sent by MikroORM's connection
 * setup (via 'connect': the app did not ask for them and cannot avoid them).
 */
function counts(s: AnalyzedStatement): boolean {
  return isRead(s.fingerprint) && !s.error && s.via !== 'connect';
}

function fixFor(s: AnalyzedStatement): string | undefined {
  if (!s.owner || !s.property) return undefined;
  const populate = `populate: ['${s.property}']`;
  if (s.toMany) return `\`${populate}\` when loading ${s.owner} (to-many: strategy 'select-in' loads all of them in one more statement)`;
  const batch = s.via === 'Reference.load'
    ? `, or \`dataloader: true\` to batch the .load() calls`
    : s.via === 'wrap.init' ? `, or one \`em.populate(list, ['${s.property}'])\` instead of \`wrap(entity).init()\` for each` : '';
  return `\`${populate}\` when loading ${s.owner} (to-one: strategy 'joined' adds no statement)${batch}`;
}

const siteKey = (s: AnalyzedStatement) => siteText(s.callSite);

export function analyze(scope: string, statements: AnalyzedStatement[]): TraceFinding[] {
  const findings: TraceFinding[] = [];
  // Both kinds need two statements or more (a duplicate two, an N+1 three): most requests of a
  // typical API send one.
  if (statements.length < 2) return findings;

  // N+1: same shape, from the same relation (or, without one, the same call site), different values.
  const groups = new Map<string, AnalyzedStatement[]>();
  for (const s of statements) {
    if (!counts(s)) continue;
    if (!s.relation && !s.callSite) continue;
    const key = `${s.fingerprint}\u0000${s.relation ?? siteText(s.callSite)}`;
    const list = groups.get(key) ?? [];
    list.push(s);
    groups.set(key, list);
  }
  const loops = [...groups.values()].filter((list) => list.length >= nPlusOneThreshold && new Set(list.map((s) => s.paramsKey)).size >= 2);
  // An eager relation's loads that ride along another N+1 from the same call site (each
  // `user.favorites.init()` also loads the eager Article.comments) are its consequence: the fix is
  // the other loop's, never "populate" a relation MikroORM already populates by itself.
  const causeOf = (list: AnalyzedStatement[]): AnalyzedStatement | undefined => {
    const first = list[0]!;
    if (!first.eager || !first.callSite) return undefined;
    return loops.map((other) => other[0]!).find((o) => !o.eager && o.relation && o.relation !== first.relation && siteKey(o) === siteKey(first));
  };
  for (const list of loops) {
    const distinct = new Set(list.map((s) => s.paramsKey));
    const first = list[0]!;
    const totalMs = list.reduce((sum, s) => sum + s.ms, 0);
    const cause = causeOf(list);
    const fix = cause ? fixFor(cause) : first.eager ? undefined : fixFor(first);
    const where = first.relation ? `loading ${first.relation}${first.via ? ` (${first.via})` : ''} at ${shortSite(first.callSite)}` : `the loop at ${shortSite(first.callSite)}`;
    const advice = cause
      ? `${first.relation} is eager, so it is loaded again for each load of ${cause.relation}; fix that loop and it loads once with them: ${fix}`
      : first.eager
        ? `${first.relation} is eager, so each ${first.owner} loaded one at a time brings its own statement: load the ${first.owner} entities together (one populate or query), or make ${first.relation} lazy where it is not needed`
        : fix ? `load it with its parents: ${fix}` : undefined;
    const finding: TraceFinding = {
      kind: 'n-plus-one',
      scope,
      count: list.length,
      totalMs: Math.round(totalMs * 1000) / 1000,
      message: nPlusOneMessage(`in ${scope}`, where, list.length, `${fmtMs(totalMs)} in total, ${plural(distinct.size, 'different value')}`, advice),
      fingerprint: first.fingerprint,
      statements: list.map((s) => s.seq),
    };
    if (first.relation) finding.relation = first.relation;
    if (first.callSite) finding.callSite = first.callSite;
    if (fix) finding.fix = fix;
    if (first.via) finding.via = first.via as LoadVia;
    if (cause?.relation) finding.causedBy = cause.relation;
    const labFrom = cause ?? (first.eager ? undefined : first);
    if (labFrom?.owner && labFrom.property) finding.lab = { root: labFrom.owner, populate: [labFrom.property] };
    findings.push(finding);
  }

  // Duplicates: the very same statement with the very same values, sent more than once.
  const same = new Map<string, AnalyzedStatement[]>();
  for (const s of statements) {
    if (!counts(s)) continue;
    const key = `${s.sql}\u0000${s.paramsKey}`;
    const list = same.get(key) ?? [];
    list.push(s);
    same.set(key, list);
  }
  for (const list of same.values()) {
    if (list.length < 2) continue;
    const first = list[0]!;
    const totalMs = list.reduce((sum, s) => sum + s.ms, 0);
    const sites = [...new Set(list.map((s) => shortSite(s.callSite)))];
    // An eager relation that MikroORM itself loads again (each init of its owners' collection loads
    // it anew): the app never asked for it twice, so "keep the first result" would be no advice.
    const eager = first.eager && first.relation ? first.relation : undefined;
    const cause = eager ? causeOf(list) : undefined;
    const advice = !eager
      ? 'keep the first result (one EntityManager fork per request lets its identity map answer repeated lookups by primary key)'
      : cause
        ? `MikroORM loaded the eager ${eager} again with each load of ${cause.relation}; fix that loop and it loads once: ${fixFor(cause)}`
        : `MikroORM loaded the eager ${eager} again each time its ${first.owner ?? 'owner'} was loaded; load the ${first.owner ?? 'owner'} entities once (one populate or query), or make ${eager} lazy where it is not needed`;
    const finding: TraceFinding = {
      kind: 'duplicate',
      scope,
      count: list.length,
      totalMs: Math.round(totalMs * 1000) / 1000,
      message: `Duplicate in ${scope}: the same statement with the same values was sent ${plural(list.length, 'time')} (${fmtMs(totalMs)} in total) from ${sites.join(', ')}; ${advice}.`,
      fix: !eager ? 'reuse the first result' : cause ? fixFor(cause) : `make ${eager} lazy where it is not needed`,
      fingerprint: first.fingerprint,
      statements: list.map((s) => s.seq),
    };
    if (first.relation) finding.relation = first.relation;
    if (first.callSite) finding.callSite = first.callSite;
    if (cause?.relation) finding.causedBy = cause.relation;
    findings.push(finding);
  }
  return findings.sort((a, b) => a.statements[0]! - b.statements[0]!);
}
