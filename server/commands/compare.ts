import { databaseHelp, databaseOptions, contextFromOptions, parseCommand } from './options.ts';
import { UserError } from '../errors.ts';
import { compare } from '../lab/compare.ts';
import { formatMarkdown, formatTable } from '../../common/lab-format.ts';
import type { FieldNamer } from '../lab/request.ts';
import { compareLimits, strategyNames, type CompareReport, type CompareRequestInput } from '../../common/lab-types.ts';

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
  --repeat N            measured runs per strategy after one warm-up (default ${compareLimits.repeat.default})
  --sweep SIZES         also run a scaling sweep at these page sizes, e.g. 1,10,100,1000
                        ("default" for that list); off unless given
  --sweep-repeat N      runs per strategy and page size in the sweep (default ${compareLimits.sweepRepeat.default})
  --max-statements N    stop a lazy run after N statements (default ${compareLimits.maxStatementsPerRun.default})
  --explain-timeout MS  per-statement EXPLAIN ANALYZE timeout (default ${compareLimits.explainTimeoutMs.default})
  --no-explain          capture and time only, no EXPLAIN
  --format F            table (default, 80 columns), json (the full report with
                        raw plans) or markdown
  --sql-lines N         table format: SQL lines shown per statement (default 2)
${databaseHelp}

Strategies:
  select       lazy loading: roots, then one query per parent and relation (N+1)
  select-in    one query per relation, children fetched with IN (...)
  joined       one query, relations LEFT JOINed
  balanced     MikroORM 7's default: joined for to-one, select-in for to-many
  dataloader   the lazy loop with MikroORM's dataloader batching the .load() calls

Exit status: 0 done, 1 a strategy failed or strategies hydrated different
graphs (or the database failed), 2 invalid arguments (nothing is run).`;

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
};

const fieldNames: FieldNamer = (field) => flagNames[field];

/**
 * 0 when the comparison is complete and every graph that could be compared agreed; 1 when a
 * strategy failed or hydrated a different graph (a failed strategy is a failure, not a footnote).
 */
export function compareExitCode(report: CompareReport): number {
  if (report.strategies.some((s) => s.status === 'error')) return 1;
  return report.correctness.consistent ? 0 : 1;
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

  const ctx = await contextFromOptions(values);
  try {
    const tty = process.stderr.isTTY;
    const report = await compare(ctx, input, {
      fieldNames,
      onProgress: tty ? (message) => process.stderr.write(`\r\x1b[2K${message}`) : undefined,
    });
    if (tty) process.stderr.write('\r\x1b[2K');
    if (format === 'json') console.log(JSON.stringify(report, null, 2));
    else if (format === 'markdown') console.log(formatMarkdown(report));
    else console.log(formatTable(report, { sqlLines }));
    return compareExitCode(report);
  } finally {
    await ctx.close();
  }
}
