import { existsSync, readFileSync, statSync } from 'node:fs';
import { databaseHelp, databaseOptions, openContext, parseCommand } from './options.ts';
import { diagramModel, driftFor, parseSource } from './export.ts';
import { checkDocsOptions, checkFolder } from './docs.ts';
import { UserError } from '../errors.ts';
import { filterSchemas, loadModel, parseSchemaList } from '../schema/load.ts';
import { cliFields, exportDrift } from '../schema/service.ts';
import { comparableJson, lineDiff, parseExport, renderExportText, type ExportSpec } from '../render/document.ts';

export const summary = 'exit 1 when a file written by export no longer matches the schema (for CI)';

export const help = `relscope check FILE|DIR [--source orm|db] [--schema A,B]

Makes FILE again (a markdown, mermaid or json file written by \`relscope export\`) with the
options recorded in it and compares: exit 0 when it matches, exit 1 with a diff when the
schema changed since, exit 2 when FILE is not a relscope export. DIR is a folder written by
\`relscope docs\`: every file is compared (row counts only with --rows).

  --source orm|db   compare with this source (default: the one FILE was exported from)
  --schema A,B      json only: compare these schemas (markdown/mermaid record their own)
  --rows            DIR only: compare the row counts too (they are data, not schema)
${databaseHelp}`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand('check', argv, { ...databaseOptions, ...checkDocsOptions, source: { type: 'string' }, schema: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, true);
  if (values.help) {
    console.log(help);
    return 0;
  }
  if (positionals.length !== 1) throw new UserError(`check takes one FILE (written by \`relscope export --out FILE\`), got ${positionals.length}. See \`relscope check --help\`.`);
  const file = positionals[0]!;
  // A folder is a docs folder written by `relscope docs` (server/commands/docs.ts).
  if (existsSync(file) && statSync(file).isDirectory()) return checkFolder(file, values);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if (error instanceof UserError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new UserError(`check: cannot read ${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (error as Error).message}.`);
  }
  const parsed = parseExport(text);
  if (!parsed) {
    throw new UserError(`check: ${file} is not a relscope export (no "relscope export" header on its first line, and not a schema-model JSON). Write it with \`relscope export --format markdown|mermaid|json --out ${file}\`.`);
  }
  const source = parseSource(values.source, parsed.kind === 'text' ? parsed.spec.source : parsed.model.source);
  // Re-drawing the ORM's model needs no database unless the file records drift notes.
  const needsDb = source === 'db' || (parsed.kind === 'text' && parsed.spec.drift);
  const ctx = await openContext(values, { database: needsDb ? 'now' : 'lazy' });
  try {
    let expected: string;
    let actual: string;
    let remake: string;
    if (parsed.kind === 'json') {
      const schemas = parseSchemaList(values.schema);
      const fresh = filterSchemas(await loadModel(ctx, source, schemas), schemas);
      expected = comparableJson(fresh);
      actual = comparableJson(parsed.model);
      remake = `relscope export --source ${source} --format json${schemas ? ` --schema ${schemas.join(',')}` : ''} --out ${file}`;
    } else {
      if (values.schema) throw new UserError('--schema applies to json files; markdown and mermaid exports record the schemas they were made with.');
      const spec: ExportSpec = { ...parsed.spec, source };
      const model = await diagramModel(ctx, spec, await loadModel(ctx, source, spec.schemas));
      // The header stays the file's own: comparing a db export with the orm source asks
      // whether the ORM would draw the same thing, not for a different header line.
      expected = renderExportText(parsed.spec, model, (await exportDrift(ctx, spec.format, spec.schemas, spec.drift)).findings).text;
      actual = text;
      remake = [
        `relscope export --source ${source} --format ${spec.format}`,
        spec.focus ? ` --focus ${JSON.stringify(spec.focus)} --depth ${spec.depth}` : '',
        spec.collapsePivots ? ' --collapse-pivots' : '',
        spec.collapseAssociations ? ' --collapse-associations' : '',
        (spec.edgeLabels ?? 'columns') !== (source === 'orm' ? 'orm' : 'columns') ? ` --edge-labels ${spec.edgeLabels ?? 'columns'}` : '',
        spec.schemas ? ` --schema ${spec.schemas.join(',')}` : '',
        spec.format === 'markdown' ? (spec.drift ? ' --drift' : ' --no-drift') : '',
        spec.mermaid ? ` --mermaid ${spec.mermaid}` : '',
        ` --out ${file}`,
      ].join('');
    }
    if (expected === actual) {
      console.log(`${file} is up to date with the ${source} schema.`);
      return 0;
    }
    console.log(`${file} no longer matches the ${source} schema (- in the file, + now):`);
    console.log(lineDiff(actual, expected));
    console.log(`\nUpdate it with: ${remake}`);
    return 1;
  } finally {
    await ctx.close();
  }
}
