import { databaseHelp, databaseOptions, contextFromOptions, parseCommand } from './options.ts';
import { UserError } from '../errors.ts';
import { compare } from '../lab/compare.ts';
import { formatMarkdown, formatTable } from '../../common/lab-format.ts';
import type { FieldNamer } from '../lab/request.ts';
import { compareLimits, strategyNames, type CompareEvent, type CompareReport, type CompareRequestInput } from '../../common/lab-types.ts';

export const summary = 'run one ORM load under every loading strategy, EXPLAIN each statement, compare';

export const help = `relscope compare <Entity> [--populate a.b,c] [options] [--format table|json|markdown]

Runs the same MikroORM load under each loading strategy on a fresh EntityManager,
captures every SQL statement it sends, EXPLAINs each distinct one (ANALYZE inside
a read-only transaction that is rolled back) and compares them side by side.

  --populate PATHS      relation paths, comma-separated: posts.comments,profile
  --where JSON          MikroORM where-object, e.g. '{"id": {"$lt": 100}}'
  --order-by JSON       MikroORM orderBy (default: primary key ascending)
  --limit N             roots per load, ${compareLimits.limit.min} to ${compareLimits.limit.max} (default ${compareLimits.limit.default})
  --offset N            (default 0)
  --strategies LIST     any of ${strategyNames.join(',')} (default: all)
  --repeat N            at most N measured runs per strategy (default ${compareLimits.repeat.default}); fewer
                        when the runs agree within ${compareLimits.tightSpread * 100}% or a slow first run is
                        the measurement (the report says how many were made)
  --sweep SIZES         also run a scaling sweep at these page sizes, e.g. 1,10,100,1000
                        ("default" for that list); off unless given
  --sweep-repeat N      runs per strategy and page size in the sweep (default ${compareLimits.sweepRepeat.default})
  --max-statements N    stop a lazy run after N statements (default ${compareLimits.maxStatementsPerRun.default})
  --explain-timeout MS  per-statement EXPLAIN ANALYZE timeout (default ${compareLimits.explainTimeoutMs.default})
  --time-budget MS      wall-time budget of the whole comparison (default ${compareLimits.timeBudgetMs.default});
                        what did not fit is reported as stopped at the budget
  --max-rows N          stop a run after receiving N rows, before hydrating them
                        (default ${compareLimits.maxRowsPerRun.default})
  --populate-where W    MikroORM populateWhere: all, infer, or JSON conditions on
                        populated relations, e.g. '{"posts": {"id": {"$gt": 10}}}'
  --populate-order-by J order of populated collections, e.g. '{"posts": {"id": "desc"}}'
  --fields LIST         partial loading: only these fields, e.g. name,posts.title
  --exclude LIST        partial loading: every field but these
  --filters LIST|JSON   MikroORM filters by name (active) or JSON ({"active": false})
  --eager MODE          honour (default) or override eager relations
  --no-explain          capture and time only, no EXPLAIN
  --format F            table (default, 80 columns), json (the full report with
                        raw plans) or markdown
  --sql-lines N         table format: SQL lines shown per statement (default 2)
${databaseHelp}

Strategies (measured cheap first, the lazy loop last; each run budgeted):
  as-configured  em.find with populate only: your relations' strategy, eager
               and the config's loadStrategy decide (shown first)
  select       lazy loading: roots, then one query per parent and relation (N+1)
  select-in    one query per relation, children fetched with IN (...)
  joined       one query, relations LEFT JOINed
  balanced     MikroORM 7's default: joined for to-one, select-in for to-many
  dataloader   the lazy loop with MikroORM's dataloader batching the .load() calls

Exit status: 0 done, 1 a strategy failed or strategies hydrated different
graphs (or the database failed), 2 invalid arguments (nothing is run). A
strategy whose optional package the project lacks (dataloader) is said on
stderr and fails only when --strategies names it.`;

const flagNames: Record<keyof CompareRequestInput, string> = {
  entity: '<Entity>',
  populate: '--populate',
  where: '--where',
  orderBy: '--order-by',
  limit: '--limit',
  offset: '--offset',
  strategies: '--strategies',
  repeat: '--repeat',
  sweep: '--sweep',
  sweepRepeat: '--sweep-repeat',
  explain: '--no-explain',
  explainTimeoutMs: '--explain-timeout',
  maxStatementsPerRun: '--max-statements',
  timeBudgetMs: '--time-budget',
  maxRowsPerRun: '--max-rows',
  populateWhere: '--populate-where',
  populateOrderBy: '--populate-order-by',
  fields: '--fields',
  exclude: '--exclude',
  filters: '--filters',
  eager: '--eager',
};

const fieldNames: FieldNamer = (field) => flagNames[field];

/**
 * 0 when the comparison is complete and every graph that could be compared agreed; 1 when a
 * strategy failed or hydrated a different graph (a failed strategy is a failure, not a footnote).
 * A strategy the project cannot use at all (its optional package, `dataloader`, is not
 * installed) fails only when it was asked for by name (`named`: --strategies was given);
 * otherwise a project without the package would fail every `compare` in CI.
 */
export function compareExitCode(report: CompareReport, named = false): number {
  if (report.strategies.some((s) => s.status === 'error' && (named || !s.missingPackage))) return 1;
  return report.correctness.consistent ? 0 : 1;
}

/** The stderr line for strategies left out of the exit status (see compareExitCode), or null. */
export function notCountedLine(report: CompareReport, named: boolean): string | null {
  if (named) return null;
  const skipped = report.strategies.filter((s) => s.status === 'error' && s.missingPackage);
  if (!skipped.length) return null;
  const names = skipped.map((s) => s.strategy).join(', ');
  const packages = [...new Set(skipped.map((s) => s.missingPackage!))].join(' ');
  return `relscope: ${names} not measured: the project does not have ${packages} installed; not counted as a failure (npm install ${packages} to compare it, or name it in --strategies to require it).`;
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand('compare', argv, {
    ...databaseOptions,
    populate: { type: 'string' },
    where: { type: 'string' },
    'order-by': { type: 'string' },
    limit: { type: 'string' },
    offset: { type: 'string' },
    strategies: { type: 'string' },
    repeat: { type: 'string' },
    sweep: { type: 'string' },
    'sweep-repeat': { type: 'string' },
    'max-statements': { type: 'string' },
    'explain-timeout': { type: 'string' },
    'no-explain': { type: 'boolean' },
    'time-budget': { type: 'string' },
    'max-rows': { type: 'string' },
    'populate-where': { type: 'string' },
    'populate-order-by': { type: 'string' },
    fields: { type: 'string' },
    exclude: { type: 'string' },
    filters: { type: 'string' },
    eager: { type: 'string' },
    format: { type: 'string' },
    'sql-lines': { type: 'string' },
    help: { type: 'boolean' },
  }, true);
  if (values.help) {
    console.log(help);
    return 0;
  }
  if (positionals.length !== 1) {
    throw new UserError(`compare takes one entity name${positionals.length ? `, got ${positionals.length}: ${positionals.join(' ')}` : ''}. See \`relscope compare --help\`.`);
  }
  const format = values.format ?? 'table';
  if (!['table', 'json', 'markdown'].includes(format)) throw new UserError(`--format must be table, json or markdown, got "${format}".`);
  const sqlLines = values['sql-lines'] === undefined ? 2 : Number(values['sql-lines']);
  if (!Number.isInteger(sqlLines) || sqlLines < 1 || sqlLines > 100) throw new UserError(`--sql-lines must be an integer from 1 to 100, got "${values['sql-lines']}".`);

  const input: CompareRequestInput = { entity: positionals[0]! };
  if (values.populate !== undefined) input.populate = values.populate;
  if (values.where !== undefined) input.where = values.where;
  if (values['order-by'] !== undefined) input.orderBy = values['order-by'];
  if (values.strategies !== undefined) input.strategies = values.strategies;
  if (values.sweep !== undefined) input.sweep = values.sweep;
  if (values['no-explain']) input.explain = false;
  // Numbers stay strings here: the validator names the flag when one is out of range.
  if (values.limit !== undefined) input.limit = values.limit;
  if (values.offset !== undefined) input.offset = values.offset;
  if (values.repeat !== undefined) input.repeat = values.repeat;
  if (values['sweep-repeat'] !== undefined) input.sweepRepeat = values['sweep-repeat'];
  if (values['max-statements'] !== undefined) input.maxStatementsPerRun = values['max-statements'];
  if (values['explain-timeout'] !== undefined) input.explainTimeoutMs = values['explain-timeout'];
  if (values['time-budget'] !== undefined) input.timeBudgetMs = values['time-budget'];
  if (values['max-rows'] !== undefined) input.maxRowsPerRun = values['max-rows'];
  if (values['populate-where'] !== undefined) input.populateWhere = values['populate-where'];
  if (values['populate-order-by'] !== undefined) input.populateOrderBy = values['populate-order-by'];
  if (values.fields !== undefined) input.fields = values.fields;
  if (values.exclude !== undefined) input.exclude = values.exclude;
  if (values.filters !== undefined) input.filters = values.filters;
  if (values.eager !== undefined) input.eager = values.eager;

  const ctx = await contextFromOptions(values);
  // Ctrl-C stops the comparison (runs, lazy loop, EXPLAIN) and then the process, cleanly.
  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(130);
    controller.abort();
  };
  process.once('SIGINT', onSigint);
  try {
    const tty = process.stderr.isTTY;
    const line = tty ? progressLine() : null;
    let report;
    try {
      report = await compare(ctx, input, {
        fieldNames,
        signal: controller.signal,
        ...(line ? { onEvent: line.event, onProgress: line.progress } : {}),
      });
    } catch (error) {
      if ((error as Error).name === 'AbortError' && controller.signal.aborted) {
        line?.clear();
        process.stderr.write('relscope: comparison cancelled.\n');
        return 130;
      }
      throw error;
    } finally {
      line?.clear();
    }
    if (format === 'json') console.log(JSON.stringify(report, null, 2));
    else if (format === 'markdown') console.log(formatMarkdown(report));
    else console.log(formatTable(report, { sqlLines }));
    const named = values.strategies !== undefined;
    const notCounted = notCountedLine(report, named);
    if (notCounted) process.stderr.write(`${notCounted}\n`);
    return compareExitCode(report, named);
  } finally {
    process.off('SIGINT', onSigint);
    await ctx.close();
  }
}

/** One self-rewriting progress line on a terminal: what runs now, what is done, elapsed time. */
function progressLine(): { event: (e: CompareEvent) => void; progress: (m: string) => void; clear: () => void } {
  const started = performance.now();
  const done: string[] = [];
  let now = '';
  const draw = () => {
    const secs = ((performance.now() - started) / 1000).toFixed(1);
    const text = `${secs} s · ${done.join(' · ')}${done.length && now ? ' · ' : ''}${now}`;
    const width = (process.stderr.columns ?? 80) - 1;
    process.stderr.write(`\r\x1b[2K${text.length > width ? `${text.slice(0, width - 1)}…` : text}`);
  };
  return {
    event(e) {
      if (e.type === 'queued' && e.position > 0) now = `waiting behind ${e.position} comparison${e.position === 1 ? '' : 's'}`;
      else if (e.type === 'running') now = `${e.strategy}…${e.expectedRoundTrips !== undefined ? ` (${e.expectedRoundTrips.toLocaleString('en-US')} round trips expected)` : ''}`;
      else if (e.type === 'strategy') {
        done.push(`${e.strategy} ${e.result.status === 'ok' ? `${Math.round(e.result.wallMs.median)} ms` : e.result.status}`);
        now = '';
      } else if (e.type === 'explain') now = `explain ${e.done}/${e.total}`;
      else if (e.type === 'sweep') now = `sweep ${e.strategy} @${e.point.pageSize}`;
      draw();
    },
    progress() {
      draw();
    },
    clear() {
      process.stderr.write('\r\x1b[2K');
    },
  };
}
