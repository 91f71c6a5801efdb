import { databaseHelp, databaseOptions, openContext, parseCommand } from './options.ts';
import { UserError } from '../errors.ts';
import { adviceOnly, formatFindings } from '../schema/lint.ts';
import { parseSchemaList } from '../schema/load.ts';
import { cliFields, databaseHoldsOrmTables, driftAndLint, parseSource } from '../schema/service.ts';

export const summary = 'drift (orm vs db) and schema advice, grouped by severity; exit 1 on errors';

export const help = `relscope lint [--source orm|db] [--format text|json] [--schema A,B]

Compares the MikroORM metadata with the database (missing tables, columns and FKs, type,
nullability and unique mismatches, ON DELETE rules, enum values the database refuses) and adds advice on the chosen source's
schema (FKs without an index, tables without a primary key, duplicate indexes, ...), and
checks how the ORM declares its relations (missing inverse sides, two writers of one pivot,
ORM cascades against ON DELETE, eager collections, ...; see the README's rules table), each
with the fix written in the project's own entity style.
Exit 1 when any finding is an error, 0 otherwise.

  --source orm|db       which model the advice reads (default db)
  --format text|json    text grouped by severity (default), or JSON for machines:
                        { "source", "findings": [{ severity, code, table, column?, message,
                          entity?, property?, fix?, why? }],
                          "counts": { error, warning, info } }
  --schema A,B          these schemas only
${databaseHelp}`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseCommand('lint', argv, { ...databaseOptions, source: { type: 'string' }, format: { type: 'string' }, schema: { type: 'string' }, help: { type: 'boolean', short: 'h' } });
  if (values.help) {
    console.log(help);
    return 0;
  }
  const source = parseSource(values.source, cliFields);
  const format = values.format ?? 'text';
  if (format !== 'text' && format !== 'json') throw new UserError(`--format must be text or json, got "${format}".`);
  const schemas = parseSchemaList(values.schema);
  const ctx = await openContext(values);
  try {
    const checked = await driftAndLint(ctx, schemas);
    // Without a config of the user's the ORM side is relscope's demo model: compared with a
    // database that holds none of its tables, drift and the relationship checks would only
    // report the demo (every demo table "missing", exit 1). Lint the database alone then, as
    // the page and export's drift notes do.
    const demoElsewhere = ctx.ormModel === 'demo' && source === 'db' && !databaseHoldsOrmTables(checked.orm, checked.db);
    const result = demoElsewhere ? adviceOnly(checked.db) : checked.lint(source);
    if (demoElsewhere) console.error('relscope: lint: the database holds none of the demo model\'s tables, so it is not compared with the demo (no drift, no relationship checks): advice on the database only. Pass --config PATH to compare it with your entities.');
    if (format === 'json') console.log(JSON.stringify(result, null, 2));
    else process.stdout.write(formatFindings(result.findings));
    return result.counts.error > 0 ? 1 : 0;
  } finally {
    await ctx.close();
  }
}
