/**
 * The lab's conclusions without a database: the one plan model (server summary and the page's
 * layout of it), the verdict and its noise rule, duplication per entity type, cost per relation,
 * and the advice rules (N+1, row explosion, FK indexes as a set, strategy hints).
 */
import { describe, expect, it } from 'vitest';
import { planNodes, summarizePlan, type RawExplain } from '../server/lab/plan.ts';
import {
  buildAdvice, buildVerdict, duplicationByType, foreignKeysFromModel, meaningfullyFaster, relationCosts, seqScansOnForeignKeys,
  statementShape, strategyCode, timeStats, type ForeignKeyColumn, type GraphFacts, type TableTypes,
} from '../server/lab/report.ts';
import type { PathNode } from '../server/lab/request.ts';
import { planFromExplain } from '../web/plan-model.ts';
import { correctnessLine, formatMarkdown, formatTable, runsLine } from '../common/lab-format.ts';
import { isDrift } from '../common/findings.ts';
import { EntitySchema } from '@mikro-orm/core';
import { Entity } from '@mikro-orm/decorators/legacy';
import { fileURLToPath } from 'node:url';
import { entityStyle } from '../server/lab/project-style.ts';
import type { EntityMetadata } from '@mikro-orm/core';
import type { CompareReport, ExplainResult, PlanNodeSummary, StatementGroup, StrategyName, StrategyResult } from '../common/lab-types.ts';
import type { SchemaModel, Table } from '../common/schema-model.ts';

// ---- plan model ----------------------------------------------------------------------------

function explainOf(raw: RawExplain): ExplainResult {
  const s = summarizePlan(raw);
  return { status: 'analyzed', plan: s.plan, executionMs: s.executionMs, planningMs: s.planningMs, buffers: s.buffers, nodeCount: s.nodeCount, raw: [raw] };
}

const limitOverIndexScan: RawExplain = {
  Plan: {
    'Node Type': 'Limit', 'Startup Cost': 0.28, 'Total Cost': 10.5, 'Plan Rows': 20, 'Actual Startup Time': 0.01, 'Actual Total Time': 0.5, 'Actual Rows': 20, 'Actual Loops': 1,
    'Shared Hit Blocks': 6, 'Shared Read Blocks': 1,
    Plans: [{
      'Node Type': 'Index Scan', 'Parent Relationship': 'Outer', 'Relation Name': 'users', Alias: 'u0', 'Index Name': 'users_pkey',
      'Startup Cost': 0.28, 'Total Cost': 480, 'Plan Rows': 940, 'Actual Startup Time': 0.01, 'Actual Total Time': 0.4, 'Actual Rows': 20, 'Actual Loops': 1,
      'Index Cond': '(id > 5)', 'Shared Hit Blocks': 5, 'Shared Read Blocks': 1, 'I/O Read Time': 0.25,
    }],
  },
  'Planning Time': 0.1,
  'Execution Time': 0.6,
};

describe('plan model: one set of rules on the server, rendered as is by the page', () => {
  it('exempts a node under a Limit that returned fewer rows than estimated, and says why', () => {
    const e = explainOf(limitOverIndexScan);
    const scan = planNodes(e.plan!)[1]!;
    expect(scan.misestimateFactor).toBe(47);
    expect(scan.misestimateDirection).toBe('over');
    expect(scan.flags).not.toContain('misestimate');
    expect(scan.misestimateExempt).toMatch(/under a Limit.*not stale statistics/);
    // The page shows the server's verdict: no misestimate badge, the exemption reason instead.
    const plan = planFromExplain(e)!;
    expect(plan.nodes[1]!.worstEstimate).toBe(false);
    expect(plan.nodes[1]!.misestimateExempt).toBe(scan.misestimateExempt);
    expect(buildAdvice({ results: [result('select-in', { groups: [group(e)] })], tree: [], rootEntity: 'User', foreignKeys: [], differences: [] })
      .filter((a) => a.kind === 'misestimate')).toEqual([]);
  });

  it('still flags more rows than estimated under a Limit, and the inside of a Merge Join or a semi join is exempt', () => {
    const under: RawExplain = structuredClone(limitOverIndexScan);
    Object.assign(under.Plan.Plans![0]!, { 'Plan Rows': 10, 'Actual Rows': 2000 });
    Object.assign(under.Plan, { 'Plan Rows': 2000, 'Actual Rows': 2000 });
    expect(planNodes(summarizePlan(under).plan)[1]!.flags).toContain('misestimate');

    const leaf = (rows: number, actual: number, rel: string) => ({ 'Node Type': 'Index Scan', 'Relation Name': rel, 'Startup Cost': 0, 'Total Cost': 100, 'Plan Rows': rows, 'Actual Total Time': 0.1, 'Actual Rows': actual, 'Actual Loops': 1 });
    const merge: RawExplain = { Plan: { 'Node Type': 'Merge Join', 'Join Type': 'Left', 'Startup Cost': 0, 'Total Cost': 300, 'Plan Rows': 5, 'Actual Total Time': 0.3, 'Actual Rows': 5, 'Actual Loops': 1, Plans: [leaf(200, 5, 'users'), leaf(1630, 3, 'profiles')] }, 'Execution Time': 0.4 };
    const m = planNodes(summarizePlan(merge).plan);
    expect(m.flatMap((n) => n.flags)).not.toContain('misestimate');
    expect(m[2]!.misestimateExempt).toMatch(/Merge Join/);
    const semi: RawExplain = { Plan: { 'Node Type': 'Nested Loop', 'Join Type': 'Semi', 'Startup Cost': 0, 'Total Cost': 300, 'Plan Rows': 5, 'Actual Total Time': 0.3, 'Actual Rows': 5, 'Actual Loops': 1, Plans: [leaf(5, 5, 'users'), leaf(5000, 1, 'posts')] }, 'Execution Time': 0.4 };
    expect(planNodes(summarizePlan(semi).plan)[2]!.misestimateExempt).toMatch(/Semi join/);
    // A misestimate with nothing above it that stops early is still one.
    const plain: RawExplain = { Plan: leaf(5000, 3, 'posts') as RawExplain['Plan'], 'Execution Time': 0.2 };
    expect(summarizePlan(plain).plan.flags).toContain('misestimate');
  });

  it('computes rows over loops, own cost and buffers, times, I/O and detail lines once, and the page copies them', () => {
    const looped: RawExplain = {
      Plan: {
        'Node Type': 'Nested Loop', 'Startup Cost': 0, 'Total Cost': 120, 'Plan Rows': 50, 'Actual Total Time': 2, 'Actual Rows': 50, 'Actual Loops': 1, 'Shared Hit Blocks': 30, 'Shared Read Blocks': 4,
        'Workers Planned': 2, 'Workers Launched': 1,
        Plans: [
          { 'Node Type': 'Seq Scan', 'Relation Name': 'users', 'Startup Cost': 0, 'Total Cost': 20, 'Plan Rows': 10, 'Actual Total Time': 0.2, 'Actual Rows': 10, 'Actual Loops': 1, Filter: '(id < 11)', 'Rows Removed by Filter': 190, 'Shared Hit Blocks': 10, 'Shared Read Blocks': 0 },
          { 'Node Type': 'Index Scan', 'Relation Name': 'posts', 'Index Name': 'posts_user_id_index', 'Startup Cost': 0, 'Total Cost': 9, 'Plan Rows': 5, 'Actual Total Time': 0.1, 'Actual Rows': 5, 'Actual Loops': 10, 'Index Cond': '(user_id = users.id)', 'Shared Hit Blocks': 15, 'Shared Read Blocks': 4 },
        ],
      },
      'Execution Time': 2.1,
    };
    const e = explainOf(looped);
    const [root, seq, idx] = planNodes(e.plan!);
    expect(idx!.rowsActualTotal).toBe(50);
    expect(idx!.rowsEstimatedTotal).toBe(50);
    expect(idx!.misestimateFactor).toBe(1); // per loop against per loop: a perfect estimate
    expect(idx!.inclusiveMs).toBe(1);
    expect(root!.exclusiveMs).toBe(0.8);
    expect(root!.exclusiveCost).toBe(91);
    expect(root!.exclusiveBuffers).toEqual({ sharedHit: 5, sharedRead: 0 });
    expect(root!.workersLaunched).toBe(1);
    expect(seq!.rowsRemovedTotal).toBe(190);
    expect(seq!.details).toEqual(expect.arrayContaining([['Filter', '(id < 11)'], ['Rows Removed by Filter', '190']]));
    expect(planNodes(summarizePlan(limitOverIndexScan).plan)[1]!.ioReadMs).toBe(0.25);
    const plan = planFromExplain(e)!;
    for (const [i, node] of planNodes(e.plan!).entries()) {
      const shown = plan.nodes[i]!;
      expect(shown.summary).toBe(node);
      expect([shown.planRows, shown.actualRows, shown.misestimate, shown.exclusiveMs, shown.exclusiveCost, shown.rowsRemoved])
        .toEqual([node.rowsEstimatedTotal, node.rowsActualTotal, node.misestimateFactor, node.exclusiveMs, node.exclusiveCost, node.rowsRemovedTotal ?? node.rowsRemovedByFilter ?? null]);
      expect(shown.raw['Node Type']).toBe(node.nodeType);
    }
    expect(plan.raw).toEqual([looped]);
    expect(planFromExplain({ status: 'error', error: 'x' })).toBeNull();
  });
});

// ---- verdict -------------------------------------------------------------------------------

function result(strategy: StrategyName, over: Partial<Omit<StrategyResult, 'runs'>> & { runs?: number; times?: number[] } = {}): StrategyResult {
  const times = over.times ?? [10];
  const { times: _t, runs, ...rest } = over;
  return {
    strategy, description: '', status: 'ok', roundTrips: 2, wallMs: timeStats(times), statementMs: 1, serverMs: null, serverMsEstimated: false, planningMs: null,
    rows: 10, entities: 10, entitiesByType: { User: 10 }, duplicationFactor: 1, bytesReceived: 1000, bytesSent: 100, buffers: null, roots: 10,
    groups: [], statements: [], statementsTruncated: false, notes: [], runs: { measured: runs ?? times.length, warmUp: false, stoppedBecause: 'repeat' }, ...rest,
  };
}

function group(explain: ExplainResult, over: Partial<StatementGroup> = {}): StatementGroup {
  return { id: 's1', fingerprint: 'select ?', sql: 'select 1', count: 1, totalMs: 1, maxMs: 1, rows: 1, bytesReceived: 10, explain, ...over };
}

describe('verdict', () => {
  it('never ranks or crowns a capped strategy, and shows its lower bound with ≥', () => {
    const v = buildVerdict([
      result('select', { status: 'capped', times: [1, 1.1, 1.2] }),
      result('select-in', { times: [10, 10.5, 11] }),
      result('joined', { times: [30, 31, 32] }),
    ], new Set());
    expect(v.winner).toBe('select-in');
    expect(v.ranking.map((r) => r.strategy)).toEqual(['select-in', 'joined']);
    expect(v.unranked).toEqual([{ strategy: 'select', reason: 'capped', lowerBoundMs: 1.1 }]);
    expect(v.sentence).toMatch(/select \(capped: ≥ 1\.10 ms, not ranked\)/);
    expect(v.sentence).toMatch(/3 runs/);
  });

  it('calls differences within the noise "no meaningful difference" and names no winner', () => {
    const overlap = buildVerdict([result('balanced', { times: [10, 11, 14] }), result('dataloader', { times: [10.5, 12, 13] })], new Set());
    expect(overlap.winner).toBeNull();
    expect(overlap.tied).toEqual(['balanced', 'dataloader']);
    expect(overlap.sentence).toMatch(/^No meaningful difference between balanced .* dataloader/);
    // One run each: 1.2x is within the noise, 1.5x is not.
    expect(buildVerdict([result('balanced', { times: [1] }), result('dataloader', { times: [1.2] })], new Set()).winner).toBeNull();
    expect(buildVerdict([result('balanced', { times: [1] }), result('dataloader', { times: [1.5] })], new Set()).winner).toBe('balanced');
    expect(meaningfullyFaster(timeStats([10, 10, 10]), timeStats([10.5, 10.5, 10.5]))).toBe(false); // < 10%
    expect(meaningfullyFaster(timeStats([10, 10, 10]), timeStats([12, 12, 12]))).toBe(true);
  });

  it('never tells apart strategies that sent the very same statements, whatever the clock says', () => {
    const same = [group(skipped, { fingerprint: 'select "u0".* from "users" as "u0"' }), group(skipped, { id: 's2', fingerprint: 'select "p0".* from "posts" as "p0" where "p0"."user_id" in (...)' })];
    const v = buildVerdict([result('balanced', { times: [1275], groups: same }), result('select-in', { times: [2612], groups: same })], new Set());
    expect(v.winner).toBeNull();
    expect(v.tied).toEqual(['balanced', 'select-in']);
    expect(v.sameStatements).toEqual(['balanced', 'select-in']);
  });

  it('says strategies that sent the same statements did so, and never calls a gap beyond the rule noise', () => {
    // compare Article --populate author,comments,tags --repeat 1 on a project: balanced 64.7 ms,
    // as-configured 504 ms, the very same statements. The verdict once read "No meaningful
    // difference between balanced (64.7 ms) and as-configured (504 ms): within the measured noise".
    const same = [group(skipped, { fingerprint: 'select "a0".* from "article" as "a0"' }), group(skipped, { id: 's2', fingerprint: 'select "c0".* from "comment" as "c0" where "c0"."article_id" in (...)' })];
    const v = buildVerdict([
      result('as-configured', { times: [504], groups: same }),
      result('balanced', { times: [64.7], groups: same }),
      result('select', { times: [900], roundTrips: 41, groups: [group(skipped, { fingerprint: 'select "c0".* from "comment" as "c0" where "c0"."article_id" = ?', count: 40 })] }),
    ], new Set());
    expect(meaningfullyFaster(timeStats([64.7]), timeStats([504]))).toBe(true); // the numbers: 7.8x apart, one run each
    expect(v.winner).toBeNull();
    expect(v.tied).toEqual(['balanced', 'as-configured']);
    expect(v.sameStatements).toEqual(['balanced', 'as-configured']);
    expect(v.sentence).toMatch(/^balanced and as-configured sent the same statements \(2 statements each, same shapes and counts\)/);
    expect(v.sentence).toContain('balanced (64.7 ms, 1 run), as-configured (504 ms, 1 run)');
    expect(v.sentence).toMatch(/beyond the noise rule but came from outside the load/);
    expect(v.sentence).not.toMatch(/no meaningful difference|within the measured noise/i);
    expect(v.sentence).toMatch(/13\.9× slower: select/);
    expect(v.rule).toMatch(/sent the same statements/);

    // Same statements within the noise: said so too; a third strategy tied only by the noise is named apart.
    const close = buildVerdict([
      result('balanced', { times: [10, 10.5, 11], groups: same }),
      result('select-in', { times: [10.2, 10.8, 11.5], groups: same }),
      result('joined', { times: [10.4, 11, 12], roundTrips: 1, groups: [group(skipped, { fingerprint: 'select "a0".*, "c1".* from "article" as "a0" left join "comment" as "c1"' })] }),
    ], new Set());
    expect(close.tied).toEqual(['balanced', 'select-in', 'joined']);
    expect(close.sameStatements).toEqual(['balanced', 'select-in']);
    expect(close.sentence).toMatch(/^balanced and select-in sent the same statements .*: the same load, so they are not told apart; their times \(balanced \(10\.5 ms, 3 runs\), select-in \(10\.8 ms, 3 runs\)\) are within the measured noise; No meaningful difference between balanced \(10\.5 ms, 3 runs\), joined \(11\.0 ms, 3 runs\): within the measured noise\.$/);
    // Only the noise: as before, no mention of statements.
    const noise = buildVerdict([result('balanced', { times: [10, 11, 14] }), result('joined', { times: [10.5, 12, 13] })], new Set());
    expect(noise.sameStatements).toBeUndefined();
    expect(noise.sentence).toMatch(/^No meaningful difference between balanced .* joined .*: within the measured noise\.$/);
  });

  it('has no verdict when every strategy failed', () => {
    const v = buildVerdict([result('select', { status: 'error', error: 'boom', times: [] }), result('joined', { status: 'error', error: 'boom', times: [] })], new Set());
    expect(v.winner).toBeNull();
    expect(v.ranking).toEqual([]);
    expect(v.sentence).toMatch(/every strategy failed/);
  });
});

// ---- what statements carried ---------------------------------------------------------------

const tables: TableTypes = new Map([['users', 'User'], ['posts', 'Post'], ['comments', 'Comment'], ['profiles', 'Profile'], ['teams', 'Team']]);
const node = (path: string, kind: PathNode['kind'], parentEntity: string, targetEntity: string, children: PathNode[] = []): PathNode => ({
  path, prop: path.split('.').pop()!, kind, toMany: kind === '1:m' || kind === 'm:n', owner: kind === 'm:1', parentEntity, targetEntity, children,
});
const postsComments = [node('posts', '1:m', 'User', 'Post', [node('posts.comments', '1:m', 'Post', 'Comment')])];
// The shapes MikroORM 7.2 sends (captured from the demo), shortened to their essentials.
const joinedSql = 'select "u0".*, "p1"."id" as "p1__id", "p1"."title" as "p1__title", "c2"."id" as "c2__id", "c2"."content" as "c2__content" from "users" as "u0" left join "posts" as "p1" on "u0"."id" = "p1"."user_id" left join "comments" as "c2" on "p1"."id" = "c2"."post_id" where "u0"."id" in (select "u0"."id" from (select "u0"."id" from "users" as "u0" left join "posts" as "p1" on "u0"."id" = "p1"."user_id" group by "u0"."id" limit 2) as "u0")';
const graph: GraphFacts = {
  roots: ['User#1', 'User#2'],
  edges: new Map([
    ['posts', new Map([['User#1', ['Post#1', 'Post#2']], ['User#2', ['Post#3']]])],
    ['posts.comments', new Map([['Post#1', ['Comment#1', 'Comment#2', 'Comment#3']], ['Post#2', ['Comment#4']], ['Post#3', ['Comment#5', 'Comment#6']]])],
  ]),
  entities: new Set(['User#1', 'User#2', 'Post#1', 'Post#2', 'Post#3', 'Comment#1', 'Comment#2', 'Comment#3', 'Comment#4', 'Comment#5', 'Comment#6']),
};

describe('duplication per entity type and cost per relation', () => {
  it('reads the entity types a statement returns, ignoring a lone joined key (autoJoinOneToOneOwner)', () => {
    expect(statementShape(joinedSql, tables)).toEqual({ types: ['User', 'Post', 'Comment'], main: 'User', joined: ['Post', 'Comment'] });
    expect(statementShape('select "u0".*, "p1"."id" as "p1__id" from "users" as "u0" left join "profiles" as "p1" on "u0"."id" = "p1"."user_id"', tables).types).toEqual(['User']);
    // m:n through a generated pivot: the entity loaded is the joined target.
    expect(statementShape('select "u0"."team_id", "u0"."user_id", "t1"."id" as "t1__id", "t1"."name" as "t1__name" from "user_team" as "u0" inner join "teams" as "t1" on "u0"."team_id" = "t1"."id" where "u0"."user_id" in (1, 2)', tables).main).toBe('Team');
    // m:n through a pivot ENTITY (es-org's Assignment): the target is loaded, unless the pivot itself is ("a0".*).
    const withPivot: TableTypes = Object.assign(new Map([...tables, ['assignment', 'Assignment'], ['hr.person', 'Person']]), { pivots: new Set(['assignment']), roots: new Map([['Employee', 'Person']]) });
    const viaPivot = 'select "a0"."employee_id", "a0"."project_id", "e1"."id" as "e1__id", "e1"."full_name" as "e1__full_name" from "assignment" as "a0" inner join "hr"."person" as "e1" on "a0"."employee_id" = "e1"."id" where "a0"."project_id" in (1, 2)';
    expect(statementShape(viaPivot, withPivot)).toEqual({ types: ['Person'], main: 'Person', joined: [] });
    expect(statementShape('select "a0".* from "assignment" as "a0" where "a0"."project_id" in (1)', withPivot).main).toBe('Assignment');
    // Single-table inheritance: the subclass Employee is counted under its table's root class Person.
    const members = [node('members', 'm:n', 'Project', 'Employee')];
    const costs = relationCosts([{ sql: 'select "p0".* from "project" as "p0"', rows: 2, bytesReceived: 1, ms: 1 }, { sql: viaPivot, rows: 3, bytesReceived: 1, ms: 1 }], members, 'Project', Object.assign(withPivot, {}), false);
    expect(costs.map((c) => [c.path, c.rows])).toEqual([['', 2], ['members', 3]]);
  });

  it('counts joined rows per entity type and per reference: joined repeats every user on each comment row', () => {
    const dup = duplicationByType([{ sql: joinedSql, rows: 6, bytesReceived: 900, ms: 1 }], graph, postsComments, 'User', tables);
    expect(dup).toEqual([
      { entity: 'User', rows: 6, entities: 2, links: 2, factor: 3 },
      { entity: 'Post', rows: 6, entities: 3, links: 3, factor: 2, upperBound: true },
      { entity: 'Comment', rows: 6, entities: 6, links: 6, factor: 1, upperBound: true },
    ]);
    const selectIn = [
      { sql: 'select "u0".* from "users" as "u0" order by "u0"."id" asc limit 2', rows: 2, bytesReceived: 100, ms: 1 },
      { sql: 'select "p0".* from "posts" as "p0" where "p0"."user_id" in (1, 2)', rows: 3, bytesReceived: 200, ms: 2 },
      { sql: 'select "c0".* from "comments" as "c0" where "c0"."post_id" in (1, 2, 3)', rows: 6, bytesReceived: 300, ms: 3 },
    ];
    expect(duplicationByType(selectIn, graph, postsComments, 'User', tables).map((d) => d.factor)).toEqual([1, 1, 1]);
    expect(relationCosts(selectIn, postsComments, 'User', tables, false)).toEqual([
      { path: '', statements: 1, rows: 2, bytesReceived: 100, ms: 1, attributedBy: 'sql' },
      { path: 'posts', statements: 1, rows: 3, bytesReceived: 200, ms: 2, attributedBy: 'sql' },
      { path: 'posts.comments', statements: 1, rows: 6, bytesReceived: 300, ms: 3, attributedBy: 'sql' },
    ]);
    expect(relationCosts([{ sql: joinedSql, rows: 6, bytesReceived: 900, ms: 1 }], postsComments, 'User', tables, false).map((c) => [c.path, c.statements, c.joinedInto])).toEqual([
      ['', 1, undefined], ['posts', 0, ''], ['posts.comments', 0, ''],
    ]);
  });

  it('attributes the levels of a self-reference in order, and the lazy loop by its tags', () => {
    const tree = [node('replies', '1:m', 'Comment', 'Comment', [node('replies.replies', '1:m', 'Comment', 'Comment')])];
    const levels = [
      { sql: 'select "c0".* from "comments" as "c0" limit 3', rows: 3, bytesReceived: 1, ms: 1 },
      { sql: 'select "c0".* from "comments" as "c0" where "c0"."parent_id" in (1, 2, 3)', rows: 4, bytesReceived: 2, ms: 1 },
      { sql: 'select "c0".* from "comments" as "c0" where "c0"."parent_id" in (7, 8)', rows: 1, bytesReceived: 3, ms: 1 },
    ];
    expect(relationCosts(levels, tree, 'Comment', tables, false).map((c) => [c.path, c.rows])).toEqual([['', 3], ['replies', 4], ['replies.replies', 1]]);
    const tagged = levels.map((s, i) => ({ ...s, path: ['', 'replies', 'replies'][i] }));
    expect(relationCosts(tagged, tree, 'Comment', tables, true).map((c) => [c.path, c.statements, c.attributedBy])).toEqual([['', 1, 'capture'], ['replies', 2, 'capture']]);
  });
});

// ---- advice --------------------------------------------------------------------------------

const skipped: ExplainResult = { status: 'skipped' };

describe('advice', () => {
  const replies = [node('replies', '1:m', 'Comment', 'Comment', [node('replies.replies', '1:m', 'Comment', 'Comment', [node('replies.replies.replies', '1:m', 'Comment', 'Comment')])])];

  it('calls tree levels of a self-reference levels, not an N+1; many statements for one relation at one level are one', () => {
    const levelsGroup = group(skipped, { fingerprint: 'select "c0".* from "comments" as "c0" where "c0"."parent_id" in (...)', count: 3 });
    const selectIn = result('select-in', { groups: [group(skipped), levelsGroup] });
    const lazy = result('select', { groups: [group(skipped, { path: '' }), group(skipped, { id: 's2', path: 'replies', count: 5 })] });
    const advice = buildAdvice({ results: [lazy, selectIn], tree: replies, rootEntity: 'Comment', foreignKeys: [], differences: [] });
    const n1 = advice.filter((a) => a.kind === 'n-plus-one');
    expect(n1.map((a) => [a.strategy, a.path, a.statementCount])).toEqual([['select', 'replies', 5]]);
  });

  it('never recommends the strategy already in use, and writes snippets in the project\'s own entity style', () => {
    const configured = new Map<string, 'joined' | 'select-in'>([['replies', 'select-in'], ['replies.replies', 'select-in'], ['replies.replies.replies', 'select-in']]);
    const results = [result('select-in', { times: [5, 5, 5] }), result('joined', { times: [9, 9, 9], duplication: [{ entity: 'Comment', rows: 30, entities: 10, links: 10, factor: 3 }] })];
    const same = buildAdvice({ results, tree: replies, rootEntity: 'Comment', foreignKeys: [], differences: [], configured }).filter((a) => a.kind === 'strategy-hint');
    expect(same).toHaveLength(1);
    expect(same[0]!.message).toMatch(/already loads .*nothing to change/);
    expect(same[0]!.suggestedCode).toBeUndefined();
    configured.set('replies', 'joined');
    const changed = buildAdvice({ results, tree: replies, rootEntity: 'Comment', foreignKeys: [], differences: [], configured, style: 'decorators' }).find((a) => a.kind === 'strategy-hint')!;
    expect(changed.message).toMatch(/load the to-many replies with select-in/);
    expect(changed.message).toMatch(/configured today: replies joined/);
    expect(changed.message).not.toMatch(/replies\.replies'/);
    expect(changed.message).toContain("@OneToMany({ entity: () => Comment, …, strategy: 'select-in' }) replies");

    const n = node('author', 'm:1', 'Post', 'User');
    expect(strategyCode(n, 'joined', 'defineEntity')).toBe("Post.author: p.manyToOne(User)…strategy('joined')");
    expect(strategyCode(n, 'joined', 'decorators')).toBe("Post: @ManyToOne({ entity: () => User, …, strategy: 'joined' }) author");
    expect(strategyCode(n, 'joined', 'EntitySchema')).toBe("Post: author: { kind: 'm:1', entity: () => User, …, strategy: 'joined' }");
  });

  it('warns of a row explosion only when a join of a to-many relation multiplied a parent ≥ 10x or doubled the bytes', () => {
    const tree = [node('teams', 'm:n', 'User', 'Team'), node('posts', '1:m', 'User', 'Post')];
    // balanced loaded the to-many with select-in; m:n fan-in and a LEFT JOINed type do not count.
    const balanced = result('balanced', {
      relations: [{ path: '', statements: 1, rows: 5, bytesReceived: 500, ms: 1, attributedBy: 'sql' }, { path: 'teams', statements: 1, rows: 40, bytesReceived: 900, ms: 1, attributedBy: 'sql' }, { path: 'posts', statements: 1, rows: 50, bytesReceived: 900, ms: 1, attributedBy: 'sql' }],
      duplication: [{ entity: 'Team', rows: 40, entities: 2, links: 40, factor: 1 }, { entity: 'Profile', rows: 50, entities: 2, links: 2, factor: 25, upperBound: true }],
      bytesReceived: 2300,
    });
    const selectIn = result('select-in', { bytesReceived: 2300 });
    const joined = result('joined', {
      relations: [{ path: '', statements: 1, rows: 400, bytesReceived: 9000, ms: 1, attributedBy: 'sql' }, { path: 'teams', statements: 0, rows: 0, bytesReceived: 0, ms: 0, joinedInto: '', attributedBy: 'sql' }, { path: 'posts', statements: 0, rows: 0, bytesReceived: 0, ms: 0, joinedInto: '', attributedBy: 'sql' }],
      duplication: [{ entity: 'User', rows: 400, entities: 5, links: 5, factor: 80 }],
      bytesReceived: 9000,
    });
    const advice = buildAdvice({ results: [selectIn, balanced, joined], tree, rootEntity: 'User', foreignKeys: [], differences: [] }).filter((a) => a.kind === 'row-explosion');
    expect(advice.map((a) => a.strategy)).toEqual(['joined']);
    expect(advice[0]!.message).toMatch(/each User arrives on 80\.0 rows .* \(3\.9×\): joining the to-many relations teams, posts/);
  });

  const summary = (over: Partial<PlanNodeSummary>): PlanNodeSummary => ({ id: 0, nodeType: 'Seq Scan', label: 'Seq Scan on user2_cars u0', relation: 'user2_cars', alias: 'u0', startupCost: 0, totalCost: 10, rowsEstimated: 10, flags: [], children: [], ...over });
  const fks: ForeignKeyColumn[] = [
    { schema: 'public', table: 'user2_cars', columns: ['user2_first_name', 'user2_last_name'], references: 'user2', index: 'user2_cars_pkey' },
    { schema: 'public', table: 'user2_cars', columns: ['car2_name', 'car2_year'], references: 'car2' },
  ];

  it('judges a composite foreign key by all its columns: never "create index (car2_name)" for a scan on the user key', () => {
    const onUser = summary({ filter: "((u0.user2_first_name = 'Ann'::text) AND (u0.user2_last_name = 'Lee'::text))" });
    expect(seqScansOnForeignKeys(onUser, fks).map((f) => f.fk.columns)).toEqual([['user2_first_name', 'user2_last_name']]);
    const advice = buildAdvice({ results: [result('select-in', { groups: [group({ status: 'analyzed', plan: onUser })] })], tree: [], rootEntity: 'User2', foreignKeys: fks, differences: [] });
    const scan = advice.filter((a) => a.kind === 'seq-scan-on-fk');
    expect(scan).toHaveLength(1);
    expect(scan[0]).toMatchObject({ severity: 'info', columns: ['user2_first_name', 'user2_last_name'] });
    expect(scan[0]!.message).toMatch(/user2_cars_pkey covers it/);
    expect(JSON.stringify(advice)).not.toMatch(/create index[^"]*\(\\?"?car2_name\\?"?\)/);
    // Half of a composite key is not the key.
    expect(seqScansOnForeignKeys(summary({ filter: "(u0.car2_name = 'Golf'::text)" }), fks)).toEqual([]);
    const both = buildAdvice({ results: [result('select-in', { groups: [group({ status: 'analyzed', plan: summary({ filter: "((u0.car2_name = 'Golf'::text) AND (u0.car2_year = 2020))" }) })] })], tree: [], rootEntity: 'User2', foreignKeys: fks, differences: [] });
    expect(both.find((a) => a.kind === 'seq-scan-on-fk')!.suggestedSql).toBe('create index user2_cars_car2_name_car2_year_index on public.user2_cars (car2_name, car2_year);');
  });

  it('takes foreign keys and their covering index from the schema model, as lint does', () => {
    const table = (t: Partial<Table> & Pick<Table, 'name'>): Table => ({
      id: `public.${t.name}`, schema: 'public', kind: 'table', comment: null, columns: [], primaryKey: null, uniques: [], indexes: [], checks: [], foreignKeys: [], entity: null, isPivot: false, ...t,
    } as Table);
    const index = (name: string, columns: string[]) => ({ name, columns, expressions: [], unique: true, primary: true, where: null, method: 'btree', definition: null });
    const fk = (columns: string[], references: string) => ({ name: null, columns, references, referencedColumns: columns, onDelete: 'no action', onUpdate: 'no action' }) as unknown as Table['foreignKeys'][number];
    const model = {
      version: 1, source: 'db', origin: 'test', enums: [], relations: [],
      tables: [
        table({ name: 'user2' }), table({ name: 'car2' }),
        table({ name: 'user2_cars', indexes: [index('user2_cars_pkey', ['user2_last_name', 'user2_first_name', 'car2_name', 'car2_year'])], foreignKeys: [fk(['user2_first_name', 'user2_last_name'], 'public.user2'), fk(['car2_name', 'car2_year'], 'public.car2')] }),
      ],
    } as unknown as SchemaModel;
    expect(foreignKeysFromModel(model)).toEqual([
      { schema: 'public', table: 'user2_cars', columns: ['user2_first_name', 'user2_last_name'], references: 'user2', index: 'user2_cars_pkey' },
      { schema: 'public', table: 'user2_cars', columns: ['car2_name', 'car2_year'], references: 'car2' },
    ]);
  });
});

// ---- the same words everywhere -------------------------------------------------------------

function report(strategies: StrategyResult[], correctness: CompareReport['correctness']): CompareReport {
  const mismatched = new Set(correctness.differences.map((d) => d.strategy));
  return {
    version: 1,
    request: { entity: 'User', populate: [], where: {}, orderBy: [{ id: 'asc' }], orderByDefaulted: true, limit: 5, offset: 0, strategies: strategies.map((s) => s.strategy), repeat: 5, sweep: [], sweepRepeat: 1, explain: false, explainTimeoutMs: 1000, maxStatementsPerRun: 100 },
    database: { kind: 'external', display: 'test', serverVersion: '15' },
    startedAt: '2026-01-01T00:00:00.000Z',
    strategies, correctness, verdict: buildVerdict(strategies, mismatched), advice: [], sweep: null, notes: [],
    timing: { totalMs: 1, loadsMs: 1, statementsMs: 1, explainMs: 0, captureMs: 0, overheadMs: 0, statementsExplained: 0 },
  };
}

describe('report formats say the same', () => {
  it('state the real run count in the header and rows, not the requested one', () => {
    const r = report([result('select', { times: [40] }), result('select-in', { times: [1, 2, 3, 4, 5] })], { consistent: true, reference: 'select', differences: [] });
    expect(runsLine(r)).toBe('measured runs per strategy: select 1, select-in 5');
    expect(formatTable(r)).toContain('measured runs per strategy: select 1, select-in 5');
    expect(formatTable(r)).toMatch(/^select\s+1\s/m);
    expect(formatMarkdown(r)).toMatch(/\| select \| 1 \|/);
  });

  it('never say every graph matched when some were not checked or every strategy failed', () => {
    const partial = report([result('select-in'), result('joined'), result('dataloader', { status: 'capped' })], { consistent: true, reference: 'select-in', differences: [], unchecked: [{ strategy: 'dataloader', reason: 'it was capped' }] });
    for (const text of [correctnessLine(partial), formatTable(partial), formatMarkdown(partial)].map((t) => t.replace(/\s+/g, ' '))) {
      expect(text).not.toMatch(/every strategy hydrated the same graph/);
      expect(text).toMatch(/select-in, joined hydrated the same graph; dataloader was not checked \(it was capped\)/);
    }
    const failed = report([result('select', { status: 'error', error: 'Cannot set property name\n  function(entity, data) {', times: [] }), result('joined', { status: 'error', error: 'Cannot set property name', times: [] })],
      { consistent: false, reference: null, differences: [], unchecked: [{ strategy: 'select', reason: 'it failed' }, { strategy: 'joined', reason: 'it failed' }] });
    const table = formatTable(failed);
    expect(table).not.toMatch(/every strategy hydrated the same graph/);
    expect(table).toMatch(/Correctness: No graph to check/);
    expect(table).not.toMatch(/function\(entity, data\)/); // one line per error
    expect(formatMarkdown(failed)).not.toMatch(/every strategy hydrated the same graph/);
  });

  it('keeps missing-FK-index advice out of drift', () => {
    expect(isDrift({ code: 'fk-not-indexed' })).toBe(false);
    expect(isDrift({ code: 'column-missing-in-db' })).toBe(true);
  });
});

class DecoratedTeam {
  id!: number;
}
// What `@Entity({ tableName: 'teams' })` above the class does (vitest's transform has no decorator syntax).
Entity({ tableName: 'teams' })(DecoratedTeam);

describe('entity style of advice snippets', () => {
  const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
  const schemaMeta = (name: string) => new EntitySchema({ name, properties: { id: { type: 'integer', primary: true } } }).meta as unknown as EntityMetadata;

  it('tells decorators, EntitySchema and defineEntity apart the way the project writes them', () => {
    expect(entityStyle({ className: 'DecoratedTeam', class: DecoratedTeam } as unknown as EntityMetadata)).toBe('decorators');
    expect(entityStyle(schemaMeta('Warehouse'), fixture('schema-js'))).toBe('EntitySchema');
    expect(entityStyle(schemaMeta('Author'), fixture('define-content'))).toBe('defineEntity');
    expect(entityStyle(schemaMeta('Whatever'))).toBe('defineEntity'); // nothing to read: MikroORM 7's own style
  });
});
