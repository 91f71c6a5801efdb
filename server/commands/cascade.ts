import { databaseHelp, databaseOptions, parseCommand } from './options.ts';
import { openContext } from './options.ts';
import { UserError } from '../errors.ts';
import { previewCascade, type CascadeFieldNames } from '../cascade/preview.ts';
import { formatCascadeMarkdown, formatCascadeText } from '../../common/cascade-types.ts';

export const summary = 'what deleting one row would remove or null, by the ORM and by the database (nothing is deleted)';

export const help = `relscope cascade <Entity> <id> [--format table|json|markdown]

Previews what deleting one row would do: the tree of rows the database's ON DELETE
CASCADE would delete and SET NULL would null, with exact counts, and what the ORM's
remove cascade / orphanRemoval would do along each relation; every point where the ORM
and the database disagree is marked. The counts are COUNT(*) queries in a READ ONLY
transaction that is rolled back: nothing is ever deleted.

  <Entity>              entity name (or table name), e.g. User
  <id>                  the primary key: 42; for a composite key JSON ('{"user":1,"team":2}',
                        '[1,2]') or user=1,team=2 (property or column names)
  --format F            table (default), json (the whole report) or markdown
${databaseHelp}

Exit status: 0 done, 1 no such row or the database failed, 2 invalid arguments.`;

const names: CascadeFieldNames = { entity: '<Entity>', id: '<id>' };

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand('cascade', argv, { ...databaseOptions, format: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, true);
  if (values.help) {
    console.log(help);
    return 0;
  }
  if (positionals.length !== 2) {
    throw new UserError(`cascade takes <Entity> <id>${positionals.length ? `, got ${positionals.length} argument${positionals.length === 1 ? '' : 's'}: ${positionals.join(' ')}` : ''}. See \`relscope cascade --help\`.`);
  }
  const format = values.format ?? 'table';
  if (!['table', 'json', 'markdown'].includes(format)) throw new UserError(`--format must be table, json or markdown, got "${format}".`);
  const ctx = await openContext(values);
  try {
    const report = await previewCascade(ctx, { entity: positionals[0], id: positionals[1] }, names);
    if (format === 'json') console.log(JSON.stringify(report, null, 2));
    else if (format === 'markdown') process.stdout.write(formatCascadeMarkdown(report));
    else process.stdout.write(formatCascadeText(report));
    return 0;
  } finally {
    await ctx.close();
  }
}
