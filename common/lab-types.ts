/**
 * The loading-strategy lab's report: ONE shape shown by the API (POST /api/compare answers a
 * `CompareReport`), the CLI (`relscope compare --format json` prints it; table and markdown
 * render it) and the web page.
 *
 * Browser-safe: types and a few constants only, no Node imports. Times are milliseconds
 * (fractional), sizes bytes, counts plain numbers. Everything the page needs is precomputed
 * here (per-node exclusive/inclusive time, misestimates, slowest node, verdict, advice), so
 * the page only renders; the raw EXPLAIN JSON is kept alongside for a full plan viewer.
 */

/** The strategies a comparison can run, in display order. */
export type StrategyName = 'as-configured' | 'select' | 'select-in' | 'joined' | 'balanced' | 'dataloader';

/** `as-configured` first: the load exactly as the user's entities and config would run it. */
export const strategyNames: readonly StrategyName[] = ['as-configured', 'select', 'select-in', 'joined', 'balanced', 'dataloader'];

/**
 * The order strategies are measured in: cheap ones first (they stream to the page within a
 * second), the lazy N+1 loop last (its round trips are predicted from select-in's graph first).
 */
export const measureOrder: readonly StrategyName[] = ['as-configured', 'select-in', 'balanced', 'joined', 'dataloader', 'select'];

/** One line per strategy, for legends and tooltips. */
export const strategyDescriptions: Readonly<Record<StrategyName, string>> = {
  'as-configured': "the load exactly as your entities configure it: em.find with populate only, so each relation's own strategy, eager relations and the config's default loadStrategy decide",
  select: 'lazy loading: roots without populate, then one query per parent and relation (N+1), level by level',
  'select-in': "MikroORM LoadStrategy 'select-in': one extra query per populated relation, children fetched with IN (...)",
  joined: "MikroORM LoadStrategy 'joined': one query, every populated relation LEFT JOINed",
  balanced: "MikroORM LoadStrategy 'balanced' (the v7 default): joins for to-one relations, select-in for to-many",
  dataloader: "the lazy loop with MikroORM's dataloader: concurrent Reference.load()/Collection.load() calls batched into one query per relation and level",
};

/** Limits of a request, shared by the validator, the CLI help and the page's form. */
export const compareLimits = {
  limit: { min: 1, max: 10_000, default: 20 },
  offset: { min: 0, max: 10_000_000, default: 0 },
  repeat: { min: 1, max: 50, default: 5 },
  sweepRepeat: { min: 1, max: 20, default: 1 },
  /** Default page sizes of a scaling sweep (`sweep: true`). */
  sweepDefault: [1, 10, 100, 1000] as readonly number[],
  /** Per-statement timeout of EXPLAIN ANALYZE. */
  explainTimeoutMs: { min: 100, max: 600_000, default: 10_000 },
  /** A lazy run stops (and is reported as capped) after this many statements. */
  maxStatementsPerRun: { min: 10, max: 100_000, default: 10_000 },
  /**
   * The dataloader run stops (capped) before a to-many level with more parents than this:
   * MikroORM 7.2's collection dataloader maps each collection by filtering the whole batch
   * result, O(parents × children) (7,812 posts' comments took 45 s on the demo at scale 10).
   */
  dataloaderMaxParents: 2_000,
  /**
   * A strategy whose warm-up run is slow gets fewer measured runs than `repeat` (at least 1),
   * so that its runs take about this long in total; the report says so in its notes.
   */
  repeatBudgetMs: 3_000,
  /**
   * Adaptive repeats: every strategy is first measured by one run (only the comparison's very
   * first run may be a warm-up: see coldWarmUpMaxMs); a strategy whose run takes longer than `slowRunMs` keeps
   * that single run. The faster ones are then repeated round-robin until their runs agree within
   * `tightSpread` (after at least `minRuns`), `repeat` runs were made, or the refinement budget
   * (`refineShare` of the first pass's load time but at least `refineFloorMs`, and
   * `repeatBudgetMs` per strategy) is spent. The floor matters for loads of a few milliseconds:
   * a quarter of a 40 ms first pass would leave most strategies with one run, too few for the
   * noise rule to tell them apart; 500 ms is unnoticeable next to starting the comparison.
   */
  slowRunMs: 250,
  /**
   * The comparison's first run of a load its ORM has not run before pays once for what every
   * later run reuses (MikroORM compiling hydrators and queries, V8 compiling them, the pool's
   * first connections): on the demo's default request 640 ms against 340 ms warm, which put
   * as-configured (and the strategy sharing its runs) at twice select-in's time for the same
   * statements. A first run under this long is therefore a warm-up, whatever slowRunMs says; a
   * slower one (a long lazy loop) is kept as the measurement.
   */
  coldWarmUpMaxMs: 2_000,
  minRuns: 3,
  tightSpread: 0.1,
  refineShare: 0.25,
  refineFloorMs: 500,
  /** Wall-time budget of one comparison (all loads, EXPLAINs and the sweep). */
  timeBudgetMs: { min: 1_000, max: 3_600_000, default: 120_000 },
  /**
   * Rows one run may receive before it stops (checked on every statement's result, before
   * MikroORM hydrates it: hydration is where a runaway load spends its time and memory).
   */
  maxRowsPerRun: { min: 100, max: 2_000_000, default: 200_000 },
} as const;

/** The body of POST /api/compare (and the CLI's flags). Strings are accepted where JSON is awkward (numbers as decimal text too). */
export interface CompareRequestInput {
  /** Root entity name, e.g. "User" (see GET /api/entities). */
  entity: string;
  /** Populate paths: ["posts.comments", "profile"] or "posts.comments,profile". */
  populate?: string[] | string;
  /** A MikroORM where-object, or its JSON text. */
  where?: Record<string, unknown> | string;
  /** A MikroORM orderBy object (or array of them), or its JSON text. Default: primary key ascending. */
  orderBy?: Record<string, unknown> | Record<string, unknown>[] | string;
  limit?: number | string;
  offset?: number | string;
  /** Default: all five. */
  strategies?: StrategyName[] | string;
  /** Measured runs per strategy after one warm-up (default 5). */
  repeat?: number | string;
  /** Scaling sweep page sizes; `true` for 1,10,100,1000; absent or false for none. */
  sweep?: number[] | string | boolean;
  /** Measured runs per strategy and page size in the sweep (default 1; the main runs already warmed up). */
  sweepRepeat?: number | string;
  /** Run EXPLAIN on the statements (default true). */
  explain?: boolean;
  /** Per-statement EXPLAIN ANALYZE timeout (default 10,000 ms). */
  explainTimeoutMs?: number | string;
  /** Lazy runs stop after this many statements (default 10,000). */
  maxStatementsPerRun?: number | string;
  /** Wall-time budget of the whole comparison in ms (default 120,000). */
  timeBudgetMs?: number | string;
  /** A run stops after receiving this many rows (default 200,000). */
  maxRowsPerRun?: number | string;
  /** MikroORM populateWhere: "all", "infer", or a where-object on the root entity's relations (JSON text accepted). */
  populateWhere?: Record<string, unknown> | string;
  /** Order of populated collections: { "posts": { "id": "desc" } } keyed by populate path (MikroORM populateOrderBy). */
  populateOrderBy?: Record<string, unknown> | string;
  /** Partial loading: only these fields (paths such as "name", "posts.title"); the keys are always loaded. */
  fields?: string[] | string;
  /** Partial loading: every field but these. */
  exclude?: string[] | string;
  /** Filters by name: ["active"] enables, or { "active": false } disables / { "tenant": { "id": 1 } } passes arguments. */
  filters?: string[] | string | Record<string, unknown>;
  /** Eager relations (`eager: true`): "honour" (default, MikroORM loads them) or "override" (not loaded unless populated). */
  eager?: 'honour' | 'override' | string;
}

/** A validated request, echoed in the report exactly as it was run. */
export interface CompareRequest {
  entity: string;
  populate: string[];
  where: Record<string, unknown>;
  orderBy: Record<string, unknown>[];
  /** True when orderBy was not given and the primary key was used (so every strategy pages alike). */
  orderByDefaulted: boolean;
  limit: number;
  offset: number;
  strategies: StrategyName[];
  repeat: number;
  sweep: number[];
  sweepRepeat: number;
  explain: boolean;
  explainTimeoutMs: number;
  maxStatementsPerRun: number;
  /** Absent in reports of older versions; see CompareRequestInput for each. */
  timeBudgetMs?: number;
  maxRowsPerRun?: number;
  populateWhere?: 'all' | 'infer' | Record<string, unknown>;
  populateOrderBy?: Record<string, unknown>;
  fields?: string[];
  exclude?: string[];
  filters?: Record<string, boolean | Record<string, unknown>>;
  eager?: 'honour' | 'override';
}

/** Metrics of one node of an execution plan (precomputed from the EXPLAIN JSON). */
export interface PlanNodeSummary {
  /** Pre-order index in the plan, 0 = root. */
  id: number;
  nodeType: string;
  /** e.g. "Index Scan using posts_user_id_index on posts p0", "Hash Join (Left)". */
  label: string;
  relation?: string;
  alias?: string;
  index?: string;
  /** "Outer", "Inner", "InitPlan", "SubPlan", ... */
  parentRelationship?: string;
  /** Index Cond / Hash Cond / Merge Cond / Join Filter / Recheck Cond, whichever the node has. */
  condition?: string;
  filter?: string;
  rowsRemovedByFilter?: number;
  sortKey?: string[];
  startupCost: number;
  totalCost: number;
  /** Planner's estimate of rows per loop. */
  rowsEstimated: number;
  /** Actual rows per loop (ANALYZE only). */
  rowsActual?: number;
  loops?: number;
  /** max(actual, estimated) / max(min(actual, estimated), 1): 1 is a perfect estimate. ANALYZE only. */
  misestimateFactor?: number;
  /** 'under': more rows than the planner expected; 'over': fewer. */
  misestimateDirection?: 'under' | 'over' | 'exact';
  /** Time in this node and its children, over all loops. ANALYZE only. */
  inclusiveMs?: number;
  /** Time in this node alone: inclusive minus the children's inclusive. ANALYZE only. */
  exclusiveMs?: number;
  /** exclusiveMs as a share of the statement's execution time, 0..100. */
  exclusivePercent?: number;
  /** Shared buffers, inclusive of children as PostgreSQL reports them. BUFFERS only. */
  buffers?: { sharedHit: number; sharedRead: number; sharedDirtied: number; sharedWritten: number; tempRead: number; tempWritten: number };
  /** Short flags for the page: 'seq-scan-on-fk', 'misestimate', 'slowest', 'costliest'. */
  flags: string[];
  children: PlanNodeSummary[];
  /** Depth in the tree, 0 = root. */
  depth?: number;
  /** Planner rows over all loops (rowsEstimated × loops; loops 1 without ANALYZE). */
  rowsEstimatedTotal?: number;
  /** Actual rows over all loops (rowsActual × loops). ANALYZE only. */
  rowsActualTotal?: number;
  /**
   * Why a node's row count is not judged against its estimate, although it differs: e.g.
   * "under a Limit: execution stopped after the limit's rows; the estimate is for the whole output".
   * Set only when the factor would otherwise count as a misestimate.
   */
  misestimateExempt?: string;
  /** Per-loop startup and total time as PostgreSQL reports them. ANALYZE only. */
  actualStartupMs?: number;
  actualTotalMs?: number;
  /** totalCost minus the children's total cost (InitPlans excluded): this node's own cost. */
  exclusiveCost?: number;
  /** This node's own buffers: inclusive minus the children's. BUFFERS only. */
  exclusiveBuffers?: { sharedHit: number; sharedRead: number };
  /** Rows removed by Filter, Join Filter and Index Recheck, over all loops. */
  rowsRemovedTotal?: number;
  workersPlanned?: number;
  workersLaunched?: number;
  /** I/O timing (track_io_timing on), ms, inclusive. */
  ioReadMs?: number;
  ioWriteMs?: number;
  /** Condition lines worth showing, in PostgreSQL's words: [["Index Cond", "(id = 1)"], ["Sort Key", "a, b"], ...]. */
  details?: [string, string][];
}

export type ExplainStatus =
  /** EXPLAIN (ANALYZE, BUFFERS) ran: actual times and rows. */
  | 'analyzed'
  /** Only plain EXPLAIN ran (ANALYZE failed, see `error`): estimates only. */
  | 'estimated'
  /** ANALYZE hit the timeout and was stopped; `plan` holds the estimated plan when plain EXPLAIN worked. */
  | 'timed-out'
  /** Not a plain read-only SELECT: never sent to EXPLAIN. */
  | 'refused'
  /** Both ANALYZE and plain EXPLAIN failed: see `error`. */
  | 'error'
  /** explain: false was requested. */
  | 'skipped';

export interface ExplainResult {
  status: ExplainStatus;
  /** Why ANALYZE was not used, the timeout, the refusal or the failure, in one line. */
  error?: string;
  /** How a timeout was enforced: the server's statement_timeout, or (embedded database) the watchdog that killed and restarted it. */
  timeout?: { ms: number; method: 'statement_timeout' | 'watchdog'; restartMs?: number };
  planningMs?: number;
  /** Server execution time of the statement under ANALYZE. */
  executionMs?: number;
  /** Root buffers (inclusive of the whole plan). */
  buffers?: { sharedHit: number; sharedRead: number };
  nodeCount?: number;
  /** The node with the largest exclusive time (ANALYZE) or the largest own cost (estimates). */
  slowestNode?: { id: number; label: string; exclusiveMs?: number; exclusivePercent?: number };
  plan?: PlanNodeSummary;
  /** The EXPLAIN (FORMAT JSON) output exactly as PostgreSQL returned it. */
  raw?: unknown;
  /** Wall time of the EXPLAIN round trips. */
  tookMs?: number;
}

/** Statements of one strategy run that differ only in literal values, grouped (the N+1 loop is one group). */
export interface StatementGroup {
  /** "s1", "s2", ... in order of first appearance within the strategy. */
  id: string;
  /** The SQL with literals replaced by ? and IN lists collapsed: the grouping key. */
  fingerprint: string;
  /** The first statement of the group, exactly as sent (MikroORM 7 inlines parameters). */
  sql: string;
  count: number;
  /** Client wall time of the group's statements (sum, and the slowest one). */
  totalMs: number;
  maxMs: number;
  rows: number;
  bytesReceived: number;
  /** The populate path whose lazy load issued it ('' for the roots); only known for select and dataloader. */
  path?: string;
  /** Plan of the representative statement (the first one). */
  explain: ExplainResult;
}

/** One statement as captured on the wire. */
export interface CapturedStatementInfo {
  /** Index of its group in `groups`. */
  group: number;
  ms: number;
  rows: number;
  bytesReceived: number;
  path?: string;
  error?: string;
}

export interface TimeStats {
  median: number;
  min: number;
  max: number;
  /** Every measured run, in order. */
  runs: number[];
}

export interface StrategyResult {
  strategy: StrategyName;
  description: string;
  /** 'capped': a lazy run hit maxStatementsPerRun and stopped; 'error': the load failed (see error). */
  status: 'ok' | 'capped' | 'error';
  error?: string;
  /**
   * The load failed only because the project lacks the optional package this strategy needs
   * (`dataloader`): the project cannot use the strategy, so `relscope compare` does not count it
   * as a failure unless --strategies names it.
   */
  missingPackage?: string;
  /** Statements sent by one run (= round trips). */
  roundTrips: number;
  /** End-to-end load time (statements + ORM hydration) per run. */
  wallMs: TimeStats;
  /** Sum of the statements' client wall times per run (median). */
  statementMs: number;
  /** Server execution time from the plans: sum over groups of executionMs × count (estimated when a group has more than one statement). */
  serverMs: number | null;
  serverMsEstimated: boolean;
  planningMs: number | null;
  /** Rows returned by all statements of one run. */
  rows: number;
  /** Distinct entities in the hydrated graph (roots and populated relations). */
  entities: number;
  entitiesByType: Record<string, number>;
  /**
   * The largest per-type factor of `duplication` (rows received per reference to an entity of
   * that type): above 1 means a join repeated rows. Falls back to rows / entities when no type
   * could be read from the SQL.
   */
  duplicationFactor: number;
  /** Bytes received from the server on the wire, per run (protocol overhead included). */
  bytesReceived: number;
  bytesSent: number;
  /** Shared buffers of the explained statements (× count per group). */
  buffers: { sharedHit: number; sharedRead: number } | null;
  roots: number;
  groups: StatementGroup[];
  /** Every statement of the first measured run, up to 500 (see statementsTruncated). */
  statements: CapturedStatementInfo[];
  statementsTruncated: boolean;
  /** Where this strategy differs from the plain meaning of its name (e.g. dataloader not applying). */
  notes: string[];
  /** Duplication per entity type: rows received that carry the type against distinct entities of it. */
  duplication?: EntityDuplication[];
  /**
   * Bytes of the distinct rows: what select-in received for the same graph (it receives each
   * row once); null when select-in did not run or failed. Compare with bytesReceived.
   */
  bytesDistinct?: number | null;
  /** Cost per populate path ('' = the roots query): statements, rows, bytes, time. */
  relations?: RelationCost[];
  /** Why a capped run stopped: a budget of the request, or the client went away. */
  stoppedBy?: StopReason;
  /** How the runs were made: measured runs, whether a warm-up preceded them, and why repeating stopped. */
  runs?: RunPlan;
  /** select only: round trips predicted from select-in's graph before the loop ran. */
  expectedRoundTrips?: number;
}

/** Rows received per distinct entity of one type under one strategy. */
export interface EntityDuplication {
  entity: string;
  /** Rows of the statements that carry this type (a joined row carries every joined type). */
  rows: number;
  /** Distinct entities of this type in the hydrated graph (null: not in the populated graph, e.g. eager). */
  entities: number | null;
  /** References to it in the graph (roots, or parent->child links): an m:n child is linked once per parent. */
  links: number | null;
  /** rows / links: above 1 means a join repeated this type's rows (the row-explosion measure). */
  factor: number | null;
  /** True when the type came through a LEFT JOIN: rows where it was NULL are counted too, so rows and factor are upper bounds. */
  upperBound?: boolean;
}

/** What one populate path cost under one strategy. */
export interface RelationCost {
  /** '' for the roots query. */
  path: string;
  /** Statements sent for this path (0 when it was joined into another path's statement). */
  statements: number;
  rows: number;
  bytesReceived: number;
  /** Client wall time of its statements. */
  ms: number;
  /** Set when the path was loaded by a JOIN in another path's statement: that path ('' = roots). */
  joinedInto?: string;
  /** How the statements were attributed: 'capture' (the lazy loop tagged them) or 'sql' (read from the SQL: tables and join aliases). */
  attributedBy: 'capture' | 'sql';
}

export type StopReason = 'statements' | 'rows' | 'time' | 'dataloader' | 'cancelled';

export interface RunPlan {
  /** Measured runs (= wallMs.runs.length). */
  measured: number;
  /** False when the first run was slow enough to serve as the measurement itself. */
  warmUp: boolean;
  /** 'spread': the runs agreed within tightSpread; 'repeat': the requested count; 'budget': repeatBudgetMs or the time budget; 'single': one slow run. */
  stoppedBecause: 'spread' | 'repeat' | 'budget' | 'single' | 'failed';
  /**
   * The other strategy whose runs are these very runs: as-configured and the named strategy its
   * configuration resolves to for every relation of the request (e.g. no relation sets its own
   * `strategy` and the config's loadStrategy is 'balanced') send the same statements, so the load
   * is run once for both rows.
   */
  sharedWith?: StrategyName;
}

/** How the user's own configuration loads the request (the `as-configured` strategy), for advice phrased against it. */
export interface ConfiguredLoad {
  /** The config's default `loadStrategy` (MikroORM 7 default 'balanced'). */
  defaultStrategy: string;
  /** Per populate path: the relation's own `strategy` option, if any, and the strategy MikroORM will use. */
  relations: { path: string; configured: string | null; effective: string }[];
  /** Relations with `eager: true` reached from the root (loaded by as-configured even without populate). */
  eager: string[];
  /** The as-configured run's round trips, when it ran. */
  roundTrips: number | null;
}

/** A difference between the graph a strategy hydrated and the reference strategy's. */
export interface GraphDifference {
  strategy: StrategyName;
  reference: StrategyName;
  /** '' for the roots, else the populate path. */
  path: string;
  message: string;
}

export interface AdviceItem {
  kind: 'n-plus-one' | 'row-explosion' | 'seq-scan-on-fk' | 'strategy-hint' | 'misestimate' | 'timeout' | 'graph-mismatch' | 'strategy-error';
  severity: 'warning' | 'info' | 'error';
  message: string;
  strategy?: StrategyName;
  path?: string;
  statementCount?: number;
  factor?: number;
  table?: string;
  column?: string;
  /** Every column of the foreign key (composite keys have several; `column` is the first). */
  columns?: string[];
  /** SQL that would avoid the problem, e.g. CREATE INDEX ... */
  suggestedSql?: string;
  /** Code to paste: a relation option or a populateHints entry. */
  suggestedCode?: string;
}

export interface Verdict {
  /**
   * The fastest strategy (median wall time) among those that completed with the correct graph;
   * null if none did, or when the fastest ones differ by no more than the measured noise (see `tied`).
   */
  winner: StrategyName | null;
  /** One sentence naming the winner and why. */
  sentence: string;
  /** Complete, correct strategies from fastest to slowest (capped, failed and mismatched ones are never ranked). */
  ranking: { strategy: StrategyName; medianMs: number; roundTrips: number; runs?: number }[];
  /** Strategies that could not be ranked and why: capped ones with their lower bound ("≥"), errors, graph mismatches. */
  unranked?: { strategy: StrategyName; reason: 'capped' | 'error' | 'graph-mismatch'; lowerBoundMs?: number }[];
  /**
   * The fastest strategies, not told apart: within the noise of the fastest ("no meaningful
   * difference"), or sending the very same statements as it (see `sameStatements`).
   */
  tied?: StrategyName[];
  /**
   * The fastest strategy and those of `tied` that sent the very same statements as it (same
   * shapes, same counts): one load, whatever their times say; the verdict says so rather than
   * calling a gap beyond the noise rule "noise".
   */
  sameStatements?: StrategyName[];
  /** The rule used, in one line (also in the README). */
  rule?: string;
}

export interface SweepPoint {
  pageSize: number;
  /** Roots actually loaded (fewer than pageSize when the table is smaller). */
  roots: number;
  status: 'ok' | 'capped' | 'error';
  /** Why the point failed, or why it was capped. */
  error?: string;
  roundTrips: number;
  /** Median over sweepRepeat runs. */
  wallMs: number;
  statementMs: number;
  rows: number;
}

/** Data for a chart of cost against page size: one series per strategy. */
export interface SweepResult {
  pageSizes: number[];
  repeat: number;
  series: { strategy: StrategyName; points: SweepPoint[] }[];
  tookMs: number;
}

export interface CompareReport {
  version: 1;
  request: CompareRequest;
  database: { kind: 'embedded' | 'external'; display: string; serverVersion: string };
  startedAt: string;
  strategies: StrategyResult[];
  correctness: {
    /** True when a reference graph exists and no compared graph differed from it (false when every strategy failed); see `unchecked`. */
    consistent: boolean;
    reference: StrategyName | null;
    differences: GraphDifference[];
    /** Strategies whose graph was not compared, and why (one line each). */
    unchecked?: { strategy: StrategyName; reason: string }[];
  };
  verdict: Verdict;
  advice: AdviceItem[];
  sweep: SweepResult | null;
  /** General remarks, e.g. why the lazy roots query joins profiles (autoJoinOneToOneOwner). */
  notes: string[];
  /** How the user's configuration loads this request (see `as-configured`). */
  configuration?: ConfiguredLoad;
  /** Set when the comparison stopped at its time budget: what was left out. */
  stopped?: { reason: StopReason; message: string };
  /** Where the comparison's time went; `overheadMs` is relscope's own share. */
  timing: {
    totalMs: number;
    /** All ORM loads (warm-up, repeats, sweep): statements plus hydration. */
    loadsMs: number;
    /** Client wall time of every captured statement. */
    statementsMs: number;
    /** EXPLAIN round trips, including BEGIN/SET/ROLLBACK and any watchdog restart. */
    explainMs: number;
    /** Inside loadsMs: time in relscope's capture wrapper (read-only check, bookkeeping). */
    captureMs: number;
    /**
     * relscope's own time: totalMs - loadsMs - explainMs + captureMs (capture, catalog query,
     * grouping, plan summaries, graph checks, advice). MikroORM's hydration inside the loads is
     * the thing being measured, so it is not counted here: loadsMs - statementsMs is the ORM's share.
     */
    overheadMs: number;
    statementsExplained: number;
  };
}

/** GET /api/entities: what a page needs to offer populate paths without typing. */
export interface EntityRelationInfo {
  name: string;
  kind: '1:1' | 'm:1' | '1:m' | 'm:n';
  target: string;
  /** True on the side that holds the foreign key (or owns the pivot). */
  owner: boolean;
  nullable: boolean;
  /** The relation's own `strategy` option, when set. */
  strategy?: string;
  /** Pivot table of an m:n relation. */
  pivotTable?: string;
}

export interface EntityInfo {
  name: string;
  tableName: string;
  primaryKeys: string[];
  scalars: string[];
  relations: EntityRelationInfo[];
  /** Populate paths up to depth 2, without walking straight back to the parent. */
  paths: string[];
}

export interface EntitiesResponse {
  entities: EntityInfo[];
  strategies: { name: StrategyName; description: string }[];
  limits: typeof compareLimits;
}

/**
 * POST /api/compare with `Accept: application/x-ndjson` answers one of these per line, as the
 * work happens; the last line is `report` (the same CompareReport as without the header) or
 * `error`. The page and any client can draw each strategy the moment it is measured.
 */
export type CompareEvent =
  /** Waiting behind `position` other comparisons on the same embedded database (0: starting now). */
  | { type: 'queued'; position: number }
  /** A strategy starts; for select, the round trips predicted from select-in's graph. */
  | { type: 'running'; strategy: StrategyName; expectedRoundTrips?: number; basis?: string }
  /** A strategy was measured (its groups' plans follow in `explain` events). */
  | { type: 'strategy'; strategy: StrategyName; result: StrategyResult }
  /** One statement group explained. */
  | { type: 'explain'; strategy: StrategyName; group: string; explain: ExplainResult; done: number; total: number }
  /** One sweep point measured. */
  | { type: 'sweep'; strategy: StrategyName; point: SweepPoint }
  | { type: 'report'; report: CompareReport }
  /** `status` is what the plain request would have answered (400, 503, 500). */
  | { type: 'error'; status: number; error: string };

export const ndjsonType = 'application/x-ndjson';
