/**
 * Summaries of a comparison's runs into the report: statement groups, per-strategy totals,
 * the verdict and the advice. Pure functions over captured data and summarised plans.
 */
import type { CapturedStatement } from './capture.ts';
import { quoteIdent, quoteTable } from '../schema/sql.ts';
import { planNodes } from './plan.ts';
import type { PathNode } from './request.ts';
import { fingerprint } from './sql.ts';
import { nPlusOneMessage } from './wording.ts';
import type {
  AdviceItem, CapturedStatementInfo, ExplainResult, GraphDifference, PlanNodeSummary, StatementGroup, StrategyName,
  StrategyResult, TimeStats, Verdict,
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

/** The fastest correct strategy and one sentence saying why. */
export function buildVerdict(results: StrategyResult[], mismatched: Set<StrategyName>): Verdict {
  const usable = results.filter((r) => r.status === 'ok' && !mismatched.has(r.strategy));
  const ranking = [...results]
    .filter((r) => r.status !== 'error')
    .sort((a, b) => a.wallMs.median - b.wallMs.median)
    .map((r) => ({ strategy: r.strategy, medianMs: r.wallMs.median, roundTrips: r.roundTrips }));
  if (usable.length === 0) {
    return { winner: null, sentence: 'No strategy completed with the correct graph, so there is no winner; see the errors above.', ranking };
  }
  const sorted = [...usable].sort((a, b) => a.wallMs.median - b.wallMs.median);
  const winner = sorted[0]!;
  const slowest = sorted[sorted.length - 1]!;
  const fewestTrips = Math.min(...usable.map((r) => r.roundTrips));
  let why: string;
  const joined = usable.find((r) => r.strategy === 'joined');
  if (winner.roundTrips === fewestTrips && winner.duplicationFactor < 1.5) {
    why = `the fewest round trips (${winner.roundTrips}) without duplicated rows`;
  } else if (winner.roundTrips === fewestTrips) {
    why = `the fewest round trips (${winner.roundTrips}), which outweigh its ${winner.duplicationFactor.toFixed(1)}× duplicated rows`;
  } else if (joined && joined.duplicationFactor >= 1.5 && winner.strategy !== 'joined') {
    why = `${plural(winner.roundTrips, 'round trip')} returning ${plural(winner.rows, 'row')}, cheaper than joined's single query with ${joined.duplicationFactor.toFixed(1)}× duplicated rows (${joined.rows.toLocaleString('en-US')})`;
  } else {
    why = `${plural(winner.roundTrips, 'round trip')} and ${plural(winner.rows, 'row')}`;
  }
  let sentence = `${winner.strategy} wins at ${fmtMs(winner.wallMs.median)} median with ${why}`;
  if (slowest !== winner && winner.wallMs.median > 0) {
    sentence += `; ${(slowest.wallMs.median / winner.wallMs.median).toFixed(1)}× faster than ${slowest.strategy} (${plural(slowest.roundTrips, 'round trip')}, ${fmtMs(slowest.wallMs.median)})`;
  }
  const close = sorted[1] && sorted[1].wallMs.median <= winner.wallMs.median * 1.1 ? sorted[1] : undefined;
  if (close) sentence += `; ${close.strategy} is within 10%`;
  return { winner: winner.strategy, sentence: `${sentence}.`, ranking };
}

/** Foreign-key columns of the tables in the plans, and whether an index leads with each. */
export interface ForeignKeyColumn {
  /** The table's schema, for the suggested SQL. */
  schema?: string;
  table: string;
  column: string;
  references: string;
  index?: string;
}

interface AdviceInput {
  results: StrategyResult[];
  tree: PathNode[];
  rootEntity: string;
  foreignKeys: ForeignKeyColumn[];
  differences: GraphDifference[];
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

function seqScansOnForeignKeys(plan: PlanNodeSummary, foreignKeys: ForeignKeyColumn[]): { node: PlanNodeSummary; fk: ForeignKeyColumn }[] {
  const found: { node: PlanNodeSummary; fk: ForeignKeyColumn }[] = [];
  const walk = (node: PlanNodeSummary, ancestors: PlanNodeSummary[]) => {
    if (node.nodeType === 'Seq Scan' && node.relation) {
      const texts = scanConditions(node, ancestors);
      for (const fk of foreignKeys.filter((f) => f.table === node.relation)) {
        const alias = node.alias ?? node.relation;
        const col = `"?${fk.column}"?`;
        const ownFilter = node.filter && new RegExp(`(^|[^\\w.])(${alias}\\.)?${col}\\b`).test(node.filter);
        const joinCond = texts.some((t) => t !== node.filter && new RegExp(`\\b"?${alias}"?\\.${col}\\b`).test(t));
        if (ownFilter || joinCond) {
          found.push({ node, fk });
          node.flags.push('seq-scan-on-fk');
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

function strategyCode(node: PathNode, strategy: 'joined' | 'select-in'): string {
  const builder = { '1:1': 'oneToOne', 'm:1': 'manyToOne', '1:m': 'oneToMany', 'm:n': 'manyToMany' }[node.kind];
  return `${node.parentEntity}.${node.prop}: p.${builder}(${node.targetEntity})...strategy('${strategy}')`;
}

export function buildAdvice({ results, tree, rootEntity, foreignKeys, differences }: AdviceInput): AdviceItem[] {
  const advice: AdviceItem[] = [];
  const byName = new Map(results.map((r) => [r.strategy, r]));

  for (const d of differences) {
    advice.push({ kind: 'graph-mismatch', severity: 'error', strategy: d.strategy, path: d.path, message: `${d.strategy} hydrated a different graph than ${d.reference}${d.path ? ` at ${d.path}` : ' (roots)'}: ${d.message}.` });
  }

  // N+1: a group of same-shaped statements issued per parent.
  for (const r of results) {
    for (const g of r.groups) {
      if (g.count < 3) continue;
      const where = g.path ? `loading ${g.path}` : 'a loop';
      const better = ['select-in', 'dataloader', 'balanced'].map((s) => byName.get(s as StrategyName)).find((x) => x && x.status === 'ok');
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

  // Row explosion: joined (or balanced) returning many more rows than entities.
  for (const r of results) {
    if ((r.strategy === 'joined' || r.strategy === 'balanced') && r.status === 'ok' && r.duplicationFactor >= 2) {
      const toMany = pathNodes(tree).filter((n) => n.toMany).map((n) => n.path);
      advice.push({
        kind: 'row-explosion',
        severity: 'warning',
        strategy: r.strategy,
        factor: round(r.duplicationFactor, 2),
        message: `Row explosion under ${r.strategy}: ${r.rows.toLocaleString('en-US')} rows for ${r.entities.toLocaleString('en-US')} entities (${r.duplicationFactor.toFixed(1)}×)${toMany.length ? `: joining the to-many ${toMany.length > 1 ? 'relations' : 'relation'} ${toMany.join(', ')} repeats each parent's columns once per child` : ''}.`,
      });
    }
  }

  // Sequential scans on foreign-key columns, once per table and column.
  const seen = new Set<string>();
  for (const r of results) {
    for (const g of r.groups) {
      if (!g.explain.plan) continue;
      for (const { node, fk } of seqScansOnForeignKeys(g.explain.plan, foreignKeys)) {
        const key = `${fk.table}.${fk.column}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const rows = node.rowsActual ?? node.rowsEstimated;
        if (fk.index) {
          advice.push({
            kind: 'seq-scan-on-fk', severity: 'info', strategy: r.strategy, table: fk.table, column: fk.column,
            message: `Seq Scan on ${fk.table} for its foreign key ${fk.column} (${r.strategy}, ${g.id}, ${plural(rows, 'row')}): the index ${fk.index} exists, but the planner chose to read the whole table, which is cheaper when the query needs a large share of it; with fewer parents per query it would use the index.`,
          });
        } else {
          const target = fk.schema ? quoteTable({ schema: fk.schema, name: fk.table }) : quoteIdent(fk.table);
          const sql = `create index ${quoteIdent(`${fk.table}_${fk.column}_index`.toLowerCase())} on ${target} (${quoteIdent(fk.column)});`;
          advice.push({
            kind: 'seq-scan-on-fk', severity: 'warning', strategy: r.strategy, table: fk.table, column: fk.column, suggestedSql: sql,
            message: `Seq Scan on ${fk.table} filtered by its foreign key ${fk.column} (${r.strategy}, ${g.id}): PostgreSQL does not index foreign keys by itself; \`${sql}\` would avoid it (or \`.index()\` on the relation).`,
          });
        }
      }
      // One misestimate per statement: the worst node (the others usually inherit its error).
      const worst = planNodes(g.explain.plan).filter((n) => n.flags.includes('misestimate')).sort((a, b) => (b.misestimateFactor ?? 0) - (a.misestimateFactor ?? 0))[0];
      if (worst && !seen.has(`mis:${g.fingerprint}`)) {
        seen.add(`mis:${g.fingerprint}`);
        advice.push({
          kind: 'misestimate', severity: 'info', strategy: r.strategy, factor: worst.misestimateFactor,
          message: `${worst.label} (${r.strategy}, ${g.id}): the planner expected ${num(worst.rowsEstimated)} rows and got ${num(worst.rowsActual ?? 0)} per loop (${worst.misestimateFactor}× ${worst.misestimateDirection === 'under' ? 'under' : 'over'}-estimate); if statistics are stale, ANALYZE ${worst.relation ?? 'the tables involved'}; join estimates of this kind are often simply hard for the planner.`,
        });
      }
      if (g.explain.status === 'timed-out' && !seen.has(`timeout:${g.sql}`)) {
        seen.add(`timeout:${g.sql}`);
        advice.push({ kind: 'timeout', severity: 'warning', strategy: r.strategy, message: `${r.strategy} ${g.id} ran longer than the EXPLAIN timeout (${g.explain.timeout?.ms} ms) and was stopped${g.explain.timeout?.method === 'watchdog' ? ' by restarting the embedded database' : ''}: ${g.explain.plan ? 'its estimated plan is shown' : 'no plan is available'}.` });
      }
    }
  }

  // Strategy per relation: to-one joined (no duplicated rows, one round trip less); to-many
  // select-in unless joined was measured faster here without multiplying rows.
  const nodes = pathNodes(tree);
  if (nodes.length) {
    const joined = byName.get('joined');
    const selectIn = byName.get('select-in');
    const joinedOk = joined?.status === 'ok' && !mismatchedIn(differences, 'joined');
    const selectInOk = selectIn?.status === 'ok' && !mismatchedIn(differences, 'select-in');
    const joinToMany = Boolean(joinedOk && joined!.duplicationFactor < 1.5 && (!selectInOk || joined!.wallMs.median <= selectIn!.wallMs.median));
    const hints: string[] = [];
    const codes: string[] = [];
    for (const node of nodes) {
      const strategy: 'joined' | 'select-in' = node.toMany && !joinToMany ? 'select-in' : 'joined';
      hints.push(`'${node.path}': { strategy: '${strategy}' }`);
      codes.push(strategyCode(node, strategy));
    }
    const toOne = nodes.filter((n) => !n.toMany).map((n) => n.path);
    const toMany = nodes.filter((n) => n.toMany).map((n) => n.path);
    const parts: string[] = [];
    if (toOne.length) parts.push(`join the to-one ${toOne.join(', ')} (no duplicated rows, one round trip less)`);
    if (toMany.length) {
      if (joinToMany) {
        parts.push(`the to-many ${toMany.join(', ')} can be joined here: joined was measured ${selectInOk ? `at ${fmtMs(joined!.wallMs.median)} against select-in's ${fmtMs(selectIn!.wallMs.median)}` : 'fastest'} with only ${joined!.duplicationFactor.toFixed(1)}× rows`);
      } else {
        const why = joinedOk && joined!.duplicationFactor >= 1.5
          ? `joined multiplied rows ${joined!.duplicationFactor.toFixed(1)}×`
          : joinedOk && selectInOk ? `select-in measured ${fmtMs(selectIn!.wallMs.median)} against joined's ${fmtMs(joined!.wallMs.median)}` : 'joining collections multiplies rows';
        parts.push(`load the to-many ${toMany.join(', ')} with select-in (${why})`);
      }
    }
    advice.push({
      kind: 'strategy-hint',
      severity: 'info',
      message: `For ${rootEntity}: ${parts.join('; ')}. Per query: \`populateHints: { ${hints.join(', ')} }\`; or on the relation: ${codes.map((c) => `\`${c}\``).join(', ')}.`,
      suggestedCode: `em.find(${rootEntity}, where, {\n  populate: [${nodes.filter((n) => n.children.length === 0).map((n) => `'${n.path}'`).join(', ')}],\n  populateHints: { ${hints.join(', ')} },\n});`,
    });
  }
  return advice;
}
