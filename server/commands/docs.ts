import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type pg from 'pg';
import { databaseHelp, databaseOptions, parseCommand } from './options.ts';
import { parseSource, resolveDrift, writeAtomically } from './export.ts';
import { openContext } from './options.ts';
import type { AppContext } from '../context.ts';
import { UserError } from '../errors.ts';
import { loadModel, parseSchemaList } from '../schema/load.ts';
import { lineDiff } from '../render/document.ts';
import { isDocsPage, parseDocsHeader, renderDocs, pageSlug, type DocsSpec, type RowCounts } from '../render/docs.ts';
import { quoteTable } from '../schema/sql.ts';
import type { SchemaModel } from '../../common/schema-model.ts';
import { parseMermaidSyntax } from './mermaid-option.ts';

export const summary = 'write a docs folder (README, one page per table, schema.json), like tbls doc';

export const help = `relscope docs --out DIR [--source orm|db] [--mermaid 10|11|12]

Writes DIR/README.md (overview diagram, tables with row counts and comments, lint summary),
DIR/tables/<table>.md (focus diagram, columns, keys, indexes, relations with ORM properties
and cascades, drift, neighbours) and DIR/schema.json. GitHub and GitLab render the folder as
it is. Same schema, same bytes. \`relscope check DIR\` tells when it is out of date.

  --out DIR             the folder to write (created when missing; pages of tables that
                        no longer exist are removed, other files are left alone)
  --source orm|db       db: the live database's catalogs (default); orm: MikroORM metadata
  --mermaid 10|11|12    the oldest Mermaid that must draw it (default 10, GitLab's; 12 keeps
                        column names with spaces and dotted types as they are)
  --collapse-pivots     draw each plain pivot table (e.g. user_team) as one m:n edge
  --schema A,B          read these schemas only (default: all but the system ones)
  --drift / --no-drift  drift (orm vs db) on the pages; default on for --source db when the
                        database holds the ORM's tables
${databaseHelp}`;

const docsOptions = {
  ...databaseOptions,
  out: { type: 'string', short: 'o' },
  source: { type: 'string' },
  mermaid: { type: 'string' },
  'collapse-pivots': { type: 'boolean' },
  schema: { type: 'string' },
  drift: { type: 'boolean' },
  'no-drift': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Rows are counted exactly up to this many tables; a larger schema gets planner estimates. */
const exactCountLimit = 60;

/**
 * Row counts of the model's tables (views have none), read inside BEGIN READ ONLY ... ROLLBACK
 * under a statement timeout: exact counts for small schemas, pg_class.reltuples beyond.
 */
export async function countTableRows(ctx: AppContext, model: SchemaModel): Promise<RowCounts> {
  const tables = model.tables.filter((t) => t.kind === 'table' || t.kind === 'partitioned table');
  if (tables.length === 0) return { how: 'exact', rows: {} };
  return ctx.withClient(async (client: pg.ClientBase) => {
    await client.query('begin read only');
    try {
      await client.query('set local statement_timeout = 30000');
      if (tables.length <= exactCountLimit) {
        const sql = tables.map((t, i) => `select ${i} as i, count(*)::bigint as n from ${quoteTable(t)}`).join(' union all ');
        const { rows } = await client.query<{ i: number; n: string }>(sql);
        return { how: 'exact' as const, rows: Object.fromEntries(rows.map((r) => [tables[r.i]!.id, Number(r.n)])) };
      }
      const { rows } = await client.query<{ schema: string; name: string; n: string }>(`
        select n.nspname as schema, c.relname as name, greatest(c.reltuples, 0)::bigint as n
          from pg_class c join pg_namespace n on n.oid = c.relnamespace where c.relkind in ('r', 'p')`);
      const wanted = new Map(tables.map((t) => [`${t.schema}\u0000${t.name}`, t.id]));
      const out: Record<string, number> = {};
      for (const r of rows) {
        const id = wanted.get(`${r.schema}\u0000${r.name}`);
        if (id) out[id] = Number(r.n);
      }
      return { how: 'estimate' as const, rows: out };
    } finally {
      await client.query('rollback').catch(() => {});
    }
  });
}

async function buildFolder(ctx: AppContext, spec: DocsSpec, rows: RowCounts | 'count', flags: { drift?: boolean; noDrift?: boolean }) {
  const model = await loadModel(ctx, spec.source, spec.schemas);
  const decided = await resolveDrift(ctx, { format: 'markdown', source: spec.source, schemas: spec.schemas }, model, flags);
  spec.drift = decided.enabled;
  const counts = rows === 'count' ? (spec.source === 'db' ? await countTableRows(ctx, model) : null) : rows;
  return renderDocs({ spec, model, drift: decided.findings, rows: counts });
}

/** Files of a docs folder that relscope wrote: README.md, schema.json and the table pages. */
function writtenFiles(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const name of ['README.md', 'schema.json']) if (existsSync(join(dir, name))) out.set(name, readFileSync(join(dir, name), 'utf8'));
  const pages = join(dir, 'tables');
  if (existsSync(pages) && statSync(pages).isDirectory()) {
    for (const name of readdirSync(pages).sort()) {
      if (!name.endsWith('.md')) continue;
      const text = readFileSync(join(pages, name), 'utf8');
      if (isDocsPage(text)) out.set(`tables/${name}`, text);
    }
  }
  return out;
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parseCommand('docs', argv, docsOptions);
  if (values.help) {
    console.log(help);
    return 0;
  }
  if (!values.out) throw new UserError('docs needs --out DIR, the folder to write (e.g. --out docs/schema).');
  if (values.drift && values['no-drift']) throw new UserError('--drift and --no-drift exclude each other.');
  const dir = values.out;
  if (existsSync(dir) && !statSync(dir).isDirectory()) throw new UserError(`--out ${dir} is a file; name a folder.`);
  if (existsSync(join(dir, 'README.md')) && !parseDocsHeader(readFileSync(join(dir, 'README.md'), 'utf8'))) {
    throw new UserError(`--out ${dir} holds a README.md that relscope did not write; name another folder (relscope never overwrites it).`);
  }
  const spec: DocsSpec = {
    source: parseSource(values.source),
    schemas: parseSchemaList(values.schema),
    collapsePivots: !!values['collapse-pivots'],
    drift: false,
    mermaid: parseMermaidSyntax(values.mermaid),
  };
  const ctx = await openContext(values);
  try {
    const files = await buildFolder(ctx, spec, 'count', { drift: values.drift, noDrift: values['no-drift'] });
    mkdirSync(join(dir, 'tables'), { recursive: true });
    const before = writtenFiles(dir);
    let bytes = 0;
    for (const [path, text] of files) {
      bytes += Buffer.byteLength(text);
      if (before.get(path) !== text) writeAtomically(join(dir, path), text);
    }
    let removed = 0;
    for (const path of before.keys()) {
      if (!files.has(path) && path.startsWith('tables/')) {
        unlinkSync(join(dir, path));
        removed++;
      }
    }
    console.error(`relscope: wrote ${dir} (${files.size} files, ${bytes.toLocaleString('en-US')} bytes, source ${spec.source}${removed ? `, removed ${removed} stale page${removed === 1 ? '' : 's'}` : ''}).`);
    return 0;
  } finally {
    await ctx.close();
  }
}

/** The row counts a folder shows (README's tables list), so that `check` compares schema, not data. */
function rowsShown(readme: string, model: SchemaModel): RowCounts {
  const how = readme.includes('| Rows (planner estimate) |') ? 'estimate' : readme.includes('| Rows (exact count) |') ? 'exact' : null;
  if (!how) return null;
  const byPath = new Map<string, number>();
  for (const m of readme.matchAll(/^\| \[[^\n]*?\]\((tables\/[^)\s]+\.md)\)(?: \*\([^)]*\)\*)? \| ([0-9,]+) \|/gm)) byPath.set(m[1]!, Number(m[2]!.replace(/,/g, '')));
  const rows: Record<string, number> = {};
  for (const t of model.tables) {
    const n = byPath.get(`tables/${pageSlug(t.id)}.md`);
    if (n !== undefined) rows[t.id] = n;
  }
  return { how, rows };
}

export const checkDocsOptions = { rows: { type: 'boolean' } } as const;

/**
 * `relscope check DIR`: makes the folder again with the options in its README's first line and
 * compares every file: 0 when current, 1 with a unified diff per changed file, 2 when DIR is not
 * a folder written by `relscope docs`. Row counts are compared only with --rows.
 */
export async function checkFolder(dir: string, values: Parameters<typeof openContext>[0] & { source?: string; rows?: boolean }): Promise<number> {
  const readmePath = join(dir, 'README.md');
  const readme = existsSync(readmePath) ? readFileSync(readmePath, 'utf8') : '';
  const parsed = parseDocsHeader(readme);
  if (!parsed) throw new UserError(`check: ${dir} is not a relscope docs folder (its README.md does not start with a "relscope docs" line). Write it with \`relscope docs --out ${dir}\`.`);
  const spec: DocsSpec = { ...parsed, source: parseSource(values.source, parsed.source) };
  const ctx = await openContext(values);
  try {
    const model = await loadModel(ctx, spec.source, spec.schemas);
    const rows: RowCounts | 'count' = values.rows ? 'count' : rowsShown(readme, model);
    const drift = { drift: parsed.drift, noDrift: !parsed.drift };
    const expected = await buildFolder(ctx, { ...spec }, rows, drift);
    const actual = writtenFiles(dir);
    const paths = [...new Set([...expected.keys(), ...actual.keys()])].sort((a, b) => (a === 'README.md' ? -1 : b === 'README.md' ? 1 : a < b ? -1 : a > b ? 1 : 0));
    const out: string[] = [];
    for (const path of paths) {
      const want = expected.get(path);
      const have = actual.get(path);
      if (want === have) continue;
      out.push(`--- a/${path}${have === undefined ? ' (missing)' : ''}`, `+++ b/${path}${want === undefined ? ' (table gone)' : ''}`);
      out.push(lineDiff(have ?? '', want ?? ''));
    }
    const shown = dir;
    if (out.length === 0) {
      console.log(`${shown} is up to date with the ${spec.source} schema.`);
      return 0;
    }
    console.log(`${shown} no longer matches the ${spec.source} schema (- in the folder, + now):`);
    console.log(out.join('\n'));
    const flags = [spec.source !== 'db' ? ` --source ${spec.source}` : '', spec.schemas ? ` --schema ${spec.schemas.join(',')}` : '', spec.collapsePivots ? ' --collapse-pivots' : '', spec.mermaid !== 10 ? ` --mermaid ${spec.mermaid}` : '', parsed.drift ? ' --drift' : ' --no-drift'].join('');
    console.log(`\nUpdate it with: relscope docs --out ${shown}${flags}`);
    return 1;
  } finally {
    await ctx.close();
  }
}
