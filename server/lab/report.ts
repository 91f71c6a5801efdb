/**
 * Summaries of a comparison's runs into the report: statement groups, per-strategy totals,
 * the verdict and the advice. Pure functions over captured data and summarised plans.
 */
import type { CapturedStatement } from './capture.ts';
import { quoteIdent, quoteTable } from '../schema/sql.ts';
import { indexCovers } from '../schema/drift.ts';
import type { SchemaModel } from '../../common/schema-model.ts';
import { planNodes } from './plan.ts';
import type { PathNode } from './request.ts';
import { fingerprint } from './sql.ts';
import { levels } from './request.ts';
import { nPlusOneMessage } from './wording.ts';
import type {
  AdviceItem, CapturedStatementInfo, EntityDuplication, ExplainResult, GraphDifference, PlanNodeSummary, RelationCost,
  StatementGroup, StrategyName, StrategyResult, TimeStats, Verdict,
} from '../../common/lab-types.ts';

export const maxStatementsListed = 500;

export function median(values: number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function round(value: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

export function timeStats(runs: number[]): TimeStats {
  return {
    median: round(median(runs)),
    min: round(runs.length ? Math.min(...runs) : 0),
    max: round(runs.length ? Math.max(...runs) : 0),
    runs: runs.map((r) => round(r)),
  };
}

const pendingExplain: ExplainResult = { status: 'skipped' };

/** Groups statements that differ only in literal values, in order of first appearance. */
export function groupStatements(statements: CapturedStatement[]): { groups: StatementGroup[]; infos: CapturedStatementInfo[]; params: unknown[][] } {
  const groups: StatementGroup[] = [];
  const params: unknown[][] = [];
  const byKey = new Map<string, number>();
  const infos: CapturedStatementInfo[] = [];
  for (const s of statements) {
    const print = fingerprint(s.sql);
    const key = `${s.path ?? ''}\u0000${print}`;
    let index = byKey.get(key);
    if (index === undefined) {
      index = groups.length;
      byKey.set(key, index);
      const group: StatementGroup = { id: `s${index + 1}`, fingerprint: print, sql: s.sql, count: 0, totalMs: 0, maxMs: 0, rows: 0, bytesReceived: 0, explain: pendingExplain };
      if (s.path !== undefined) group.path = s.path;
      groups.push(group);
      params.push(s.params);
    }
    const g = groups[index]!;
    g.count++;
    g.totalMs += s.ms;
    g.maxMs = Math.max(g.maxMs, s.ms);
    g.rows += s.rows;
    g.bytesReceived += s.bytesReceived;
    const info: CapturedStatementInfo = { group: index, ms: round(s.ms, 4), rows: s.rows, bytesReceived: s.bytesReceived };
    if (s.path !== undefined) info.path = s.path;
    if (s.error) info.error = s.error;
    infos.push(info);
  }
  for (const g of groups) {
    g.totalMs = round(g.totalMs, 4);
    g.maxMs = round(g.maxMs, 4);
  }
  return { groups, infos, params };
}

/** Server-side totals of a strategy from its groups' plans (representative plan × count). */
export function serverTotals(groups: StatementGroup[]): Pick<StrategyResult, 'serverMs' | 'serverMsEstimated' | 'planningMs' | 'buffers'> {
  let serverMs = 0;
  let planningMs = 0;
  let hit = 0;
  let read = 0;
  let analyzed = 0;
  let estimated = false;
  for (const g of groups) {
    const e = g.explain;
    if (e.executionMs !== undefined) {
      serverMs += e.executionMs * g.count;
      analyzed++;
      if (g.count > 1) estimated = true;
    } else {
      estimated = true;
    }
    if (e.planningMs !== undefined) planningMs += e.planningMs * g.count;
    if (e.buffers) {
      hit += e.buffers.sharedHit * g.count;
      read += e.buffers.sharedRead * g.count;
    }
  }
  return {
    serverMs: analyzed ? round(serverMs) : null,
    serverMsEstimated: estimated,
    planningMs: analyzed ? round(planningMs) : null,
    buffers: analyzed ? { sharedHit: hit, sharedRead: read } : null,
  };
}

function fmtMs(ms: number): string {
  return ms >= 100 ? `${Math.round(ms)} ms` : ms >= 10 ? `${ms.toFixed(1)} ms` : `${ms.toFixed(2)} ms`;
}

function num(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

function plural(n: number, word: string): string {
  return `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;
}

/**
 * The noise rule, stated once (also in the README): two strategies differ meaningfully only when
 * their measured ranges (min–max over the runs) do not overlap AND the slower median is at least
 * 10% above the faster; with fewer than 3 runs on either side (a single run has no spread to judge
 * by) the slower median must be at least 25% above. Anything less is "no meaningful difference".
 * Strategies that sent the very same statements are one load: never told apart, and said to have
 * sent the same statements (a gap between them beyond this rule is not called noise).
 */
export const noiseRule = 'ranges (min–max over the runs) must not overlap and the slower median must be ≥ 10% above the faster (≥ 25% when either has fewer than 3 runs), otherwise "no meaningful difference"; strategies that sent the very same statements are never told apart: the verdict says they sent the same statements, and a time gap between them, however large, came from outside the load (warm-up, JIT, garbage collection, other load on the machine)';

export function meaningfullyFaster(fast: TimeStats, slow: TimeStats): boolean {
  if (fast.median <= 0) return slow.median > 0 && fast.max < slow.min;
  const overlap = fast.max >= slow.min;
  const runs = Math.min(fast.runs.length, slow.runs.length);
  const ratio = slow.median / fast.median;
  return !overlap && ratio >= (runs < 3 ? 1.25 : 1.1);
}

/** True when two strategies sent the same statement shapes the same number of times. */
export function sameStatements(a: StrategyResult, b: StrategyResult): boolean {
  const shape = (r: StrategyResult) => r.groups.map((g) => `${g.count}\u0000${g.fingerprint}`).sort().join('\u0001');
  return a.groups.length > 0 && shape(a) === shape(b);
}

function runsText(n: number): string {
  return `${n} run${n === 1 ? '' : 's'}`;
}

/**
 * The verdict. Only complete strategies that hydrated the reference graph are ranked; a capped
 * one is a lower bound ("≥"), never ranked or called fastest; the fastest ones within the noise
 * of each other are "no meaningful difference" (see noiseRule) and then there is no winner.
 */
export function buildVerdict(results: StrategyResult[], mismatched: Set<StrategyName>): Verdict {
  const usable = results.filter((r) => r.status === 'ok' && !mismatched.has(r.strategy) && r.wallMs.runs.length > 0);
  const sorted = [...usable].sort((a, b) => a.wallMs.median - b.wallMs.median);
  const ranking = sorted.map((r) => ({ strategy: r.strategy, medianMs: r.wallMs.median, roundTrips: r.roundTrips, runs: r.wallMs.runs.length }));
  const unranked: NonNullable<Verdict['unranked']> = [];
  for (const r of results) {
    if (usable.includes(r)) continue;
    if (r.status === 'error') unranked.push({ strategy: r.strategy, reason: 'error' });
    else if (r.status === 'capped') unranked.push({ strategy: r.strategy, reason: 'capped', lowerBoundMs: r.wallMs.median });
    else unranked.push({ strategy: r.strategy, reason: 'graph-mismatch' });
  }
  const base = { ranking, unranked, rule: noiseRule };
  const cappedText = unranked.filter((u) => u.reason === 'capped').map((u) => `${u.strategy} (capped: ≥ ${fmtMs(u.lowerBoundMs ?? 0)}, not ranked)`);
  if (sorted.length === 0) {
    const failed = results.filter((r) => r.status === 'error').map((r) => r.strategy);
    const why = failed.length === results.length ? 'every strategy failed (see the errors)' : 'no strategy completed with the reference graph';
    return { winner: null, sentence: `No verdict: ${why}${cappedText.length ? `; ${cappedText.join(', ')}` : ''}.`, ...base };
  }
  const first = sorted[0]!;
  // Strategies that sent the very same statements (same shapes, same counts) did the same work
  // (balanced and select-in for collections): never told apart, whatever their clocks say.
  const tied = sorted.filter((r) => r === first || sameStatements(first, r) || !meaningfullyFaster(first.wallMs, r.wallMs));
  const slowest = sorted[sorted.length - 1]!;
  const parts: string[] = [];
  if (sorted.length === 1) {
    parts.push(`${first.strategy} is the only strategy that completed with the reference graph (${fmtMs(first.wallMs.median)} median of ${runsText(first.wallMs.runs.length)}): nothing to rank it against`);
  } else if (tied.length > 1) {
    const timed = (r: StrategyResult) => `${r.strategy} (${fmtMs(r.wallMs.median)}, ${runsText(r.wallMs.runs.length)})`;
    // Same statements first: a tie by identical work is said as such, never as "noise" when the
    // clock disagrees (one cold run can be 7× another's); the rest are tied by the noise rule.
    const same = tied.filter((r) => r !== first && sameStatements(first, r));
    const noisy = tied.filter((r) => r !== first && !same.includes(r));
    if (same.length) {
      const group = [first, ...same];
      const names = group.map((r) => r.strategy);
      const listed = `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
      const beyondNoise = same.some((r) => meaningfullyFaster(first.wallMs, r.wallMs));
      const times = group.map(timed).join(', ');
      parts.push(beyondNoise
        ? `${listed} sent the same statements (${plural(first.roundTrips, 'statement')} each, same shapes and counts): the same load, so they are not told apart; the gap between their times (${times}) is beyond the noise rule but came from outside the load (warm-up, JIT, garbage collection, other work on the machine)`
        : `${listed} sent the same statements (${plural(first.roundTrips, 'statement')} each, same shapes and counts): the same load, so they are not told apart; their times (${times}) are within the measured noise`);
    }
    if (noisy.length) {
      parts.push(`No meaningful difference between ${[first, ...noisy].map(timed).join(', ')}: within the measured noise`);
    }
  } else {
    const fewestTrips = Math.min(...usable.map((r) => r.roundTrips));
    const dup = first.duplicationFactor;
    let why: string;
    const joined = usable.find((r) => r.strategy === 'joined');
    if (first.roundTrips === fewestTrips && dup < 1.5) why = `the fewest round trips (${first.roundTrips}) without duplicated rows`;
    else if (first.roundTrips === fewestTrips) why = `the fewest round trips (${first.roundTrips}), which outweigh its ${dup.toFixed(1)}× rows per entity`;
    else if (joined && joined.duplicationFactor >= 1.5 && first.strategy !== 'joined') why = `${plural(first.roundTrips, 'round trip')} returning ${plural(first.rows, 'row')}, cheaper than joined's single query with ${joined.duplicationFactor.toFixed(1)}× rows per entity (${joined.rows.toLocaleString('en-US')})`;
    else why = `${plural(first.roundTrips, 'round trip')} and ${plural(first.rows, 'row')}`;
    const second = sorted[1]!;
    parts.push(`${first.strategy} is fastest at ${fmtMs(first.wallMs.median)} median of ${runsText(first.wallMs.runs.length)} with ${why}; next ${second.strategy} at ${fmtMs(second.wallMs.median)} (${runsText(second.wallMs.runs.length)})`);
  }
  if (slowest !== first && !tied.includes(slowest) && first.wallMs.median > 0) {
    parts.push(`${(slowest.wallMs.median / first.wallMs.median).toFixed(1)}× ${tied.length > 1 ? 'slower: ' : 'slower than it: '}${slowest.strategy} (${plural(slowest.roundTrips, 'round trip')}, ${fmtMs(slowest.wallMs.median)})`);
  }
  if (cappedText.length) parts.push(cappedText.join(', '));
  const winner = sorted.length > 1 && tied.length === 1 ? first.strategy : sorted.length === 1 ? first.strategy : null;
  const verdict: Verdict = { winner, sentence: `${parts.join('; ')}.`, ...base };
  if (tied.length > 1) verdict.tied = tied.map((r) => r.strategy);
  const sameAsFirst = tied.filter((r) => r !== first && sameStatements(first, r));
  if (tied.length > 1 && sameAsFirst.length) verdict.sameStatements = [first, ...sameAsFirst].map((r) => r.strategy);
  return verdict;
}

/**
 * A foreign key of a table in the plans, from the schema model (server/schema: the same facts
 * `lint` uses), with the index that covers it if any (schema/drift.ts indexCovers: an index whose
 * leading columns are the FK's columns as a set).
 */
export interface ForeignKeyColumn {
  /** The table's schema, for the suggested SQL. */
  schema?: string;
  table: string;
  /** The FK's columns in constraint order (one for a simple key, several for a composite one). */
  columns: string[];
  references: string;
  /** A covering index, when one exists. */
  index?: string;
}

/** Foreign keys of the database's schema model with their covering index (the rule lint uses). */
export function foreignKeysFromModel(model: SchemaModel): ForeignKeyColumn[] {
  const out: ForeignKeyColumn[] = [];
  for (const table of model.tables) {
    const seen = new Set<string>();
    for (const fk of table.foreignKeys) {
      const key = [...fk.columns].sort().join(',');
      if (seen.has(key)) continue;
      seen.add(key);
      const index = table.indexes.find((i) => indexCovers(i, fk.columns));
      const refName = model.tables.find((t) => t.id === fk.references)?.name ?? fk.references;
      out.push({ schema: table.schema, table: table.name, columns: [...fk.columns], references: refName, ...(index ? { index: index.name ?? '(unnamed)' } : {}) });
    }
  }
  return out;
}

/** How the project writes its entities, so that a snippet can be pasted as is. */
export type EntityStyle = 'defineEntity' | 'decorators' | 'EntitySchema';

/** A relation's loading strategy as the project configures it (its own option, else the config's loadStrategy). */
export type ConfiguredStrategy = 'joined' | 'select-in';

interface AdviceInput {
  results: StrategyResult[];
  tree: PathNode[];
  rootEntity: string;
  foreignKeys: ForeignKeyColumn[];
  differences: GraphDifference[];
  /** Per populate path: how the project's configuration loads it today (no hint repeats it). */
  configured?: Map<string, ConfiguredStrategy>;
  /** How the project writes entities (default defineEntity). */
  style?: EntityStyle;
}

function pathNodes(tree: PathNode[]): PathNode[] {
  const out: PathNode[] = [];
  const walk = (nodes: PathNode[]) => nodes.forEach((n) => { out.push(n); walk(n.children); });
  walk(tree);
  return out;
}

/** Which expressions constrain a scan: its own filter, and the condition of the join above it. */
function scanConditions(node: PlanNodeSummary, ancestors: PlanNodeSummary[]): string[] {
  const texts: string[] = [];
  if (node.filter) texts.push(node.filter);
  for (let i = ancestors.length - 1; i >= 0; i--) {
    const a = ancestors[i]!;
    if (a.condition) {
      texts.push(a.condition);
      break;
    }
    if (/Join|Nested Loop/.test(a.nodeType)) break;
  }
  return texts;
}

function escapeRe(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** True when `text` constrains `column` of the scanned table (qualified by its alias, or bare in its own filter). */
function mentions(text: string, alias: string, column: string, own: boolean): boolean {
  const col = `"?${escapeRe(column)}"?`;
  const qualified = new RegExp(`(^|[^\\w."])"?${escapeRe(alias)}"?\\.${col}(?![\\w"])`);
  if (qualified.test(text)) return true;
  return own && new RegExp(`(^|[^\\w."])${col}(?![\\w".])`).test(text);
}

/**
 * Sequential scans that filter on a foreign key: every column of the key (as a set) must appear in
 * the scan's filter or the join condition above it, so a composite key is never reported for a
 * scan that filtered on other columns.
 */
export function seqScansOnForeignKeys(plan: PlanNodeSummary, foreignKeys: ForeignKeyColumn[]): { node: PlanNodeSummary; fk: ForeignKeyColumn }[] {
  const found: { node: PlanNodeSummary; fk: ForeignKeyColumn }[] = [];
  const walk = (node: PlanNodeSummary, ancestors: PlanNodeSummary[]) => {
    if (node.nodeType === 'Seq Scan' && node.relation) {
      const texts = scanConditions(node, ancestors);
      const alias = node.alias ?? node.relation;
      for (const fk of foreignKeys.filter((f) => f.table === node.relation)) {
        const all = fk.columns.every((column) => texts.some((t) => mentions(t, alias, column, t === node.filter)));
        if (all) {
          found.push({ node, fk });
          if (!node.flags.includes('seq-scan-on-fk')) node.flags.push('seq-scan-on-fk');
          break;
        }
      }
    }
    node.children.forEach((c) => walk(c, [...ancestors, node]));
  };
  walk(plan, []);
  return found;
}

function mismatchedIn(differences: GraphDifference[], strategy: StrategyName): boolean {
  return differences.some((d) => d.strategy === strategy);
}

const builders = { '1:1': 'oneToOne', 'm:1': 'manyToOne', '1:m': 'oneToMany', 'm:n': 'manyToMany' } as const;
const decorators = { '1:1': 'OneToOne', 'm:1': 'ManyToOne', '1:m': 'OneToMany', 'm:n': 'ManyToMany' } as const;

/** The relation option that sets `strategy`, written the way the project writes its entities. */
export function strategyCode(node: Pick<PathNode, 'kind' | 'parentEntity' | 'prop' | 'targetEntity'>, strategy: ConfiguredStrategy, style: EntityStyle = 'defineEntity'): string {
  switch (style) {
    case 'decorators':
      return `${node.parentEntity}: @${decorators[node.kind]}({ entity: () => ${node.targetEntity}, …, strategy: '${strategy}' }) ${node.prop}`;
    case 'EntitySchema':
      return `${node.parentEntity}: ${node.prop}: { kind: '${node.kind}', entity: () => ${node.targetEntity}, …, strategy: '${strategy}' }`;
    default:
      return `${node.parentEntity}.${node.prop}: p.${builders[node.kind]}(${node.targetEntity})…strategy('${strategy}')`;
  }
}

/** How a statement group relates to the populate tree: an N+1 is many statements for one relation at one level. */
function isNPlusOne(r: StrategyResult, g: StatementGroup, treeSize: number): boolean {
  if (g.count < 3) return false;
  // The lazy loop tags each statement with its path: one group = one relation at one level.
  if (g.path !== undefined) return g.path !== '';
  // em.find strategies send at most one statement per relation and level (plus batches): a group no
  // larger than the tree is the tree's levels (e.g. a self-reference's replies.replies.replies).
  return g.count > treeSize + 1 && r.strategy !== 'joined';
}

export function buildAdvice({ results, tree, rootEntity, foreignKeys, differences, configured, style }: AdviceInput): AdviceItem[] {
  const advice: AdviceItem[] = [];
  const byName = new Map(results.map((r) => [r.strategy, r]));
  const nodes = pathNodes(tree);

  for (const r of results) {
    if (r.status === 'error') {
      advice.push({ kind: 'strategy-error', severity: 'error', strategy: r.strategy, message: `${r.strategy} failed: ${(r.error ?? 'unknown error').split('\n')[0]}` });
    }
  }
  for (const d of differences) {
    advice.push({ kind: 'graph-mismatch', severity: 'error', strategy: d.strategy, path: d.path, message: `${d.strategy} hydrated a different graph than ${d.reference}${d.path ? ` at ${d.path}` : ' (roots)'}: ${d.message}.` });
  }

  // N+1: many statements of one shape, each for one parent (or a few), from one relation at one level.
  for (const r of results) {
    for (const g of r.groups) {
      if (!isNPlusOne(r, g, nodes.length)) continue;
      const where = g.path ? `loading ${g.path}` : 'a loop';
      const better = (['select-in', 'dataloader', 'balanced'] as StrategyName[]).map((s) => byName.get(s)).find((x) => x && x.status === 'ok' && x.strategy !== r.strategy);
      advice.push({
        kind: 'n-plus-one',
        severity: 'warning',
        strategy: r.strategy,
        ...(g.path ? { path: g.path } : {}),
        statementCount: g.count,
        message: nPlusOneMessage(`under ${r.strategy}`, where, g.count, `${g.id}, ${fmtMs(g.totalMs)} in total`, better ? `${better.strategy} loads the whole graph in ${plural(better.roundTrips, 'statement')}` : undefined),
      });
    }
  }

  // Row explosion: a join that repeats a parent's rows >= 10x, or receives >= 2x select-in's bytes.
  const selectIn = byName.get('select-in');
  const selectInBytes = selectIn?.status === 'ok' ? selectIn.bytesReceived : null;
  for (const r of results) {
    if (r.status !== 'ok' || r.strategy === 'select' || r.strategy === 'dataloader' || r.strategy === 'select-in') continue;
    const joinedPaths = (r.relations ?? []).filter((c) => c.joinedInto !== undefined).map((c) => c.path);
    const joinedToMany = nodes.filter((n) => n.toMany && joinedPaths.includes(n.path)).map((n) => n.path);
    if (joinedToMany.length === 0) continue; // no collection was joined: nothing can multiply rows
    // Only exact counts (the statement's main entity: every row carries one) decide "multiplied";
    // a LEFT JOINed type's count includes rows where it is NULL.
    const worst = (r.duplication ?? []).filter((d) => d.factor !== null && !d.upperBound).sort((a, b) => b.factor! - a.factor!)[0];
    const multiplied = worst && worst.factor! >= 10;
    const bytesRatio = selectInBytes ? r.bytesReceived / selectInBytes : null;
    const heavy = bytesRatio !== null && bytesRatio >= 2;
    if (!multiplied && !heavy) continue;
    const what: string[] = [];
    if (multiplied) what.push(`each ${worst.entity} arrives on ${worst.factor!.toFixed(1)} rows on average (${num(worst.rows)} rows for ${num(worst.links!)} ${worst.entity} references)`);
    if (heavy) what.push(`${kibText(r.bytesReceived)} received against select-in's ${kibText(selectInBytes!)} (${bytesRatio!.toFixed(1)}×)`);
    advice.push({
      kind: 'row-explosion',
      severity: 'warning',
      strategy: r.strategy,
      factor: multiplied ? worst.factor! : round(bytesRatio!, 2),
      message: `Row explosion under ${r.strategy}: ${what.join('; ')}: joining the to-many ${joinedToMany.length > 1 ? 'relations' : 'relation'} ${joinedToMany.join(', ')} repeats each parent's columns once per child.`,
    });
  }

  // Sequential scans on foreign keys, once per table and key.
  const seen = new Set<string>();
  for (const r of results) {
    for (const g of r.groups) {
      if (!g.explain.plan) continue;
      for (const { node, fk } of seqScansOnForeignKeys(g.explain.plan, foreignKeys)) {
        const cols = fk.columns.join(', ');
        const key = `${fk.schema ?? ''}.${fk.table}(${cols})`;
        if (seen.has(key)) continue;
        seen.add(key);
        const rows = node.rowsActual ?? node.rowsEstimated;
        const colInfo = { table: fk.table, column: fk.columns[0]!, columns: fk.columns };
        const keyText = fk.columns.length > 1 ? `its foreign key (${cols})` : `its foreign key ${cols}`;
        if (fk.index) {
          advice.push({
            kind: 'seq-scan-on-fk', severity: 'info', strategy: r.strategy, ...colInfo,
            message: `Seq Scan on ${fk.table} for ${keyText} (${r.strategy}, ${g.id}, ${plural(rows, 'row')}): the index ${fk.index} covers it, but the planner chose to read the whole table, which is cheaper when the query needs a large share of it; with fewer parents per query it would use the index.`,
          });
        } else {
          const target = fk.schema ? quoteTable({ schema: fk.schema, name: fk.table }) : quoteIdent(fk.table);
          const sql = `create index ${quoteIdent(`${fk.table}_${fk.columns.join('_')}_index`.toLowerCase())} on ${target} (${fk.columns.map(quoteIdent).join(', ')});`;
          advice.push({
            kind: 'seq-scan-on-fk', severity: 'warning', strategy: r.strategy, ...colInfo, suggestedSql: sql,
            message: `Seq Scan on ${fk.table} filtered by ${keyText} (${r.strategy}, ${g.id}): no index leads with ${fk.columns.length > 1 ? 'these columns' : 'it'} (PostgreSQL does not index foreign keys by itself); \`${sql}\` would avoid it (or \`.index()\` on the relation).`,
          });
        }
      }
      // One misestimate per statement: the worst flagged node. Nodes that stop early (under a
      // Limit, inside a Merge Join, the inner side of a semi/anti join) are exempt in the plan itself.
      const worst = planNodes(g.explain.plan).filter((n) => n.flags.includes('misestimate')).sort((a, b) => (b.misestimateFactor ?? 0) - (a.misestimateFactor ?? 0))[0];
      if (worst && !seen.has(`mis:${g.fingerprint}`)) {
        seen.add(`mis:${g.fingerprint}`);
        const scan = worst.relation && /Scan/.test(worst.nodeType);
        advice.push({
          kind: 'misestimate', severity: 'info', strategy: r.strategy, factor: worst.misestimateFactor,
          message: `${worst.label} (${r.strategy}, ${g.id}): the planner expected ${num(worst.rowsEstimated)} rows per loop and got ${num(worst.rowsActual ?? 0)} (${worst.misestimateFactor}× ${worst.misestimateDirection === 'under' ? 'under' : 'over'}-estimate, and nothing above it stops early)${scan ? `; if statistics are stale, ANALYZE ${worst.relation}` : ''}; join and IN-list estimates of this kind are often simply hard for the planner.`,
        });
      }
      if (g.explain.status === 'timed-out' && !seen.has(`timeout:${g.sql}`)) {
        seen.add(`timeout:${g.sql}`);
        advice.push({ kind: 'timeout', severity: 'warning', strategy: r.strategy, message: `${r.strategy} ${g.id} ran longer than the EXPLAIN timeout (${g.explain.timeout?.ms} ms) and was stopped${g.explain.timeout?.method === 'watchdog' ? ' by restarting the embedded database' : ''}: ${g.explain.plan ? 'its estimated plan is shown' : 'no plan is available'}.` });
      }
    }
  }

  // Strategy per relation: to-one joined (no duplicated rows, one round trip less); to-many
  // select-in unless joined was measured meaningfully faster here without multiplying rows.
  // Only paths whose configured strategy differs get a hint: never "switch select-in to select-in".
  if (nodes.length) {
    const joined = byName.get('joined');
    const joinedOk = joined?.status === 'ok' && !mismatchedIn(differences, 'joined');
    const selectInOk = selectIn?.status === 'ok' && !mismatchedIn(differences, 'select-in');
    const joinedMultiplies = joinedOk && (joined!.duplication ?? []).some((d) => (d.factor ?? 1) >= 1.5);
    const joinToMany = Boolean(joinedOk && !joinedMultiplies && (!selectInOk || meaningfullyFaster(joined!.wallMs, selectIn!.wallMs)));
    const recommended = new Map<PathNode, ConfiguredStrategy>(nodes.map((n) => [n, n.toMany && !joinToMany ? 'select-in' : 'joined']));
    const changes = nodes.filter((n) => configured?.get(n.path) !== recommended.get(n));
    const toOne = changes.filter((n) => !n.toMany).map((n) => n.path);
    const toMany = changes.filter((n) => n.toMany).map((n) => n.path);
    const parts: string[] = [];
    if (toOne.length) parts.push(`join the to-one ${toOne.join(', ')} (no duplicated rows, one round trip less)`);
    if (toMany.length) {
      if (joinToMany) {
        parts.push(`the to-many ${toMany.join(', ')} can be joined here: joined was measured ${selectInOk ? `meaningfully faster (${fmtMs(joined!.wallMs.median)} against select-in's ${fmtMs(selectIn!.wallMs.median)})` : 'and select-in was not'} without multiplying rows`);
      } else {
        const why = joinedMultiplies
          ? 'joined multiplied rows'
          : joinedOk && selectInOk ? `joined was not meaningfully faster (${fmtMs(joined!.wallMs.median)} against select-in's ${fmtMs(selectIn!.wallMs.median)})` : 'joining collections multiplies rows';
        parts.push(`load the to-many ${toMany.join(', ')} with select-in (${why})`);
      }
    }
    const current = (n: PathNode) => configured?.get(n.path);
    if (changes.length === 0) {
      if (configured) {
        advice.push({ kind: 'strategy-hint', severity: 'info', message: `For ${rootEntity}: your configuration already loads ${nodes.map((n) => `${n.path} with ${current(n)}`).join(', ')}, as these measurements recommend; nothing to change.` });
      }
    } else {
      const hints = changes.map((n) => `'${n.path}': { strategy: '${recommended.get(n)}' }`);
      const codes = changes.map((n) => strategyCode(n, recommended.get(n)!, style));
      const now = configured ? ` (configured today: ${changes.map((n) => `${n.path} ${current(n)}`).join(', ')})` : '';
      advice.push({
        kind: 'strategy-hint',
        severity: 'info',
        message: `For ${rootEntity}: ${parts.join('; ')}${now}. Per query: \`populateHints: { ${hints.join(', ')} }\`; or on the relation: ${codes.map((c) => `\`${c}\``).join(', ')}.`,
        suggestedCode: `em.find(${rootEntity}, where, {\n  populate: [${nodes.filter((n) => n.children.length === 0).map((n) => `'${n.path}'`).join(', ')}],\n  populateHints: { ${hints.join(', ')} },\n});`,
      });
    }
  }
  return advice;
}

function kibText(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MiB` : `${Math.round(bytes / 1024).toLocaleString('en-US')} KiB`;
}

// ---------------------------------------------------------------------------------------------
// What each statement carried: entity types (for duplication per type) and populate paths (for
// the cost per relation), read from the SQL MikroORM sends: `from "t" as "a"`, `join "t" as "a"`,
// and the hydrated columns of a joined alias, `"a"."col" as "a__col"`.

/**
 * Table name (and "schema.table") -> entity class name, from the ORM's metadata (project-style.ts
 * tableTypes). `pivots`: tables of pivot entities (an m:n populated through them hydrates the joined
 * target, not the pivot); `roots`: class -> the class owning its table (single-table inheritance).
 */
export type TableTypes = Map<string, string> & { pivots?: Set<string>; roots?: Map<string, string> };

export interface StatementShape {
  /** Entity types whose columns the statement returns (main table first). */
  types: string[];
  /** The entity type of the main (FROM) table; for a pivot table, the first hydrated join's. */
  main: string | null;
  /** Types hydrated through joins (not the main table). */
  joined: string[];
}

const tableAlias = /(from|join)\s+(?:"([^"]+)"\.)?"([^"]+)"\s+as\s+"([^"]+)"/gi;

export function statementShape(sql: string, tables: TableTypes): StatementShape {
  const aliasTable = new Map<string, string>();
  let mainAlias: string | null = null;
  for (const m of sql.matchAll(tableAlias)) {
    const [, kind, schema, table, alias] = m;
    if (!aliasTable.has(alias!)) aliasTable.set(alias!, schema ? `${schema}.${table}` : table!);
    if (mainAlias === null && kind!.toLowerCase() === 'from') mainAlias = alias!;
  }
  const typeOf = (alias: string): string | null => {
    const table = aliasTable.get(alias);
    if (!table) return null;
    return tables.get(table) ?? tables.get(table.slice(table.indexOf('.') + 1)) ?? null;
  };
  // An alias counts as hydrated when the statement returns two or more of its columns: a lone key
  // (autoJoinOneToOneOwner's `"p1"."id" as "p1__id"`) only tells which related row exists.
  const columns = new Map<string, number>();
  for (const m of sql.matchAll(/"([^"]+)"\."[^"]+"\s+as\s+"\1__/g)) columns.set(m[1]!, (columns.get(m[1]!) ?? 0) + 1);
  const hydrated = [...columns.entries()].filter(([, n]) => n >= 2).map(([alias]) => alias);
  const joined: string[] = [];
  for (const alias of hydrated) {
    if (alias === mainAlias) continue;
    const t = typeOf(alias);
    if (t && !joined.includes(t)) joined.push(t);
  }
  let main = mainAlias ? typeOf(mainAlias) : null;
  let joinedTypes = joined;
  const mainTable = mainAlias ? aliasTable.get(mainAlias) : undefined;
  const pivot = mainTable !== undefined && (tables.pivots?.has(mainTable) || tables.pivots?.has(mainTable.slice(mainTable.indexOf('.') + 1)));
  // The pivot of an m:n (selected as its bare key columns, not "p0".*) is not what a statement loads.
  const pivotKeysOnly = pivot && !sql.includes(`"${mainAlias}".*`);
  if ((!main || pivotKeysOnly) && joined.length) {
    // FROM a pivot table: the entity it hydrates through the join is the one loaded.
    main = joined[0]!;
    joinedTypes = joined.slice(1);
  }
  const types = main ? [main, ...joinedTypes.filter((t) => t !== main)] : joinedTypes;
  return { types, main, joined: joinedTypes };
}

/** The graph facts the summaries need (a GraphSnapshot, without the Map types leaking into reports). */
export interface GraphFacts {
  roots: string[];
  edges: Map<string, Map<string, string[]>>;
  entities: Set<string>;
}

interface StatementLike {
  sql: string;
  rows: number;
  bytesReceived: number;
  ms: number;
  path?: string;
}

function typeOfKey(key: string): string {
  return key.slice(0, key.indexOf('#'));
}

/** Rows received per distinct entity of each type, and per reference (the row-explosion measure). */
export function duplicationByType(statements: StatementLike[], graph: GraphFacts | undefined, tree: PathNode[], rootEntity: string, tables: TableTypes): EntityDuplication[] {
  const rows = new Map<string, number>();
  const viaJoin = new Set<string>();
  for (const s of statements) {
    const shape = statementShape(s.sql, tables);
    for (const t of shape.types) rows.set(t, (rows.get(t) ?? 0) + s.rows);
    shape.joined.forEach((t) => viaJoin.add(t));
  }
  const entities = new Map<string, number>();
  const links = new Map<string, number>();
  // Single-table inheritance: a table's rows belong to the root class; count subclasses under it.
  const root = (cls: string) => tables.roots?.get(cls) ?? cls;
  if (graph) {
    for (const key of graph.entities) entities.set(root(typeOfKey(key)), (entities.get(root(typeOfKey(key))) ?? 0) + 1);
    links.set(root(rootEntity), graph.roots.length);
    for (const node of pathNodes(tree)) {
      let n = 0;
      for (const children of graph.edges.get(node.path)?.values() ?? []) n += children.length;
      links.set(root(node.targetEntity), (links.get(root(node.targetEntity)) ?? 0) + n);
    }
  }
  const order = [rootEntity, ...pathNodes(tree).map((n) => n.targetEntity)].map(root).concat([...rows.keys()]).filter((t, i, a) => a.indexOf(t) === i);
  return order.filter((t) => rows.has(t)).map((entity) => {
    const r = rows.get(entity)!;
    const e = graph ? (entities.get(entity) ?? null) : null;
    const l = graph && links.has(entity) ? links.get(entity)! : null;
    const item: EntityDuplication = { entity, rows: r, entities: e, links: l, factor: l ? round(r / l, 2) : null };
    if (viaJoin.has(entity)) item.upperBound = true;
    return item;
  });
}

/**
 * Cost per populate path ('' = the roots query). The lazy loop tags each statement with its path
 * (capture); for em.find strategies the statements are matched to paths in the order MikroORM
 * sends them: the first statement is the roots query, each later one loads the first path (breadth
 * first) whose target is its main table's entity, and a path whose entity a statement hydrates
 * through a join was joined into that statement's path.
 */
export function relationCosts(statements: StatementLike[], tree: PathNode[], rootEntity: string, tables: TableTypes, tagged: boolean): RelationCost[] {
  const nodes = levels(tree).flat();
  const root = (cls: string) => tables.roots?.get(cls) ?? cls;
  const costs = new Map<string, RelationCost>();
  const cost = (path: string, attributedBy: RelationCost['attributedBy']) => {
    let c = costs.get(path);
    if (!c) costs.set(path, (c = { path, statements: 0, rows: 0, bytesReceived: 0, ms: 0, attributedBy }));
    return c;
  };
  const add = (path: string, s: StatementLike, by: RelationCost['attributedBy']) => {
    const c = cost(path, by);
    c.statements++;
    c.rows += s.rows;
    c.bytesReceived += s.bytesReceived;
    c.ms += s.ms;
  };
  if (tagged) {
    for (const s of statements) add(s.path ?? '', s, 'capture');
  } else {
    const loaded = new Map<PathNode, string>(); // node -> the path whose statement loaded it
    const parentOf = new Map<PathNode, PathNode | null>();
    const mark = (list: PathNode[], parent: PathNode | null) => list.forEach((n) => { parentOf.set(n, parent); mark(n.children, n); });
    mark(tree, null);
    const ready = (n: PathNode) => { const p = parentOf.get(n); return p === null || p === undefined || loaded.has(p); };
    const joinChildren = (owner: PathNode | null, ownerPath: string, types: string[]) => {
      const remaining = [...types];
      let progress = true;
      while (progress && remaining.length) {
        progress = false;
        for (const n of nodes) {
          if (loaded.has(n) || !remaining.includes(root(n.targetEntity))) continue;
          const p = parentOf.get(n) ?? null;
          const reachable = p === owner || (p !== null && loaded.get(p) === ownerPath);
          if (!reachable) continue;
          loaded.set(n, ownerPath);
          cost(n.path, 'sql').joinedInto = ownerPath;
          remaining.splice(remaining.indexOf(root(n.targetEntity)), 1);
          progress = true;
        }
      }
    };
    const lastByType = new Map<string, string>();
    statements.forEach((s, i) => {
      const shape = statementShape(s.sql, tables);
      if (i === 0) {
        add('', s, 'sql');
        joinChildren(null, '', shape.joined);
        lastByType.set(root(rootEntity), '');
        return;
      }
      const node = nodes.find((n) => !loaded.has(n) && root(n.targetEntity) === shape.main && ready(n));
      if (node) {
        loaded.set(node, node.path);
        add(node.path, s, 'sql');
        lastByType.set(root(node.targetEntity), node.path);
        joinChildren(node, node.path, shape.joined);
      } else {
        // A further batch of a path already loaded, or an eager relation outside the populate tree.
        const again = shape.main ? lastByType.get(shape.main) : undefined;
        add(again ?? `(not populated: ${shape.main ?? 'unknown'})`, s, 'sql');
      }
    });
  }
  const out = [...costs.values()].map((c) => ({ ...c, ms: round(c.ms, 3) }));
  const rank = (p: string) => (p === '' ? -1 : nodes.findIndex((n) => n.path === p) === -1 ? 1e6 : nodes.findIndex((n) => n.path === p));
  return out.sort((a, b) => rank(a.path) - rank(b.path));
}
