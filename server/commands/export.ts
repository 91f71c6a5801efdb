import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, lstatSync, readlinkSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { databaseHelp, databaseOptions, openContext, parseCommand, parseIntegerOption } from './options.ts';
import { isProjectContext, type AppContext } from '../context.ts';
import { demoTables } from '../demo/schema.ts';
import { UserError } from '../errors.ts';
import type { Finding } from '../schema/drift.ts';
import { cliFields, exportDrift, parseSource as parseSourceField } from '../schema/service.ts';
import { loadModel, ormModel, parseSchemaList } from '../schema/load.ts';
import { modelFromDatabase } from '../schema/from-catalog.ts';
import { filterSchemas, type SchemaModel, type SchemaSource } from '../../common/schema-model.ts';
import { exportFormats, renderExportText, type ExportFormat, type ExportSpec } from '../render/document.ts';
import { planDiagram, type Diagram, type EdgeLabels } from '../render/mermaid.ts';
import { parseMermaidSyntax, mermaidHelp } from './mermaid-option.ts';
import { parseLayout } from '../render/layout.ts';
import { chooseLayout } from '../../common/mermaid-config.ts';
import { withOrmNames } from '../schema/orm-names.ts';
import { tableCount } from '../render/markdown.ts';

export const summary = 'write the schema as Mermaid, Markdown, SVG, PNG or JSON';

export const help = `relscope export [--source orm|db] [--format FORMAT] [--out FILE] [--focus TABLE --depth N]

Writes the schema model as a document. Same schema, same bytes: no dates, stable order.

  --source orm|db       orm: the MikroORM metadata (no database needed to read it);
                        db: the live database's catalogs (default)
  --format FORMAT       markdown (default): mermaid diagram(s) plus a section per table
                        mermaid: erDiagram text
                        svg, png: the diagram rendered by Mermaid in headless Chromium
                        (needs the system's chromium: apt-get install chromium)
                        json: the schema model itself (see common/schema-model.ts)
  --out FILE            write FILE instead of stdout (a regular file through a temp file
                        and a rename; a symlink's target, a FIFO or a device directly)
  --focus TABLE         draw TABLE (name, schema.name or entity) and its neighbours only
  --depth N             hops around --focus (default 1)
  --collapse-pivots     draw each plain pivot table (e.g. user_team) as one m:n edge
  --collapse-associations  draw each association entity an m:n relation goes through
                        (e.g. post_categories) as one m:n edge too
  --edge-labels orm|columns
                        orm: the ORM's language: edges labelled with the property on each
                        side, the owning side marked ("author (owner) / posts"); STI
                        subclasses drawn over their table, TPT children as "extends"
                        edges, embedded columns grouped (default for --source orm; for
                        --source db, names come from the ORM where it maps the table)
                        columns: FK column names, tables as the database has them (the
                        default for --source db, and what older versions drew)
  --schema A,B          read these schemas only (default: all but the system ones)
  --drift / --no-drift  markdown: list drift (orm vs db) under each table; default on for
                        --source db when the database holds the ORM's tables
${mermaidHelp}
  --layout dagre|elk|auto  svg, png: Mermaid's layout (default auto: ELK up to
                        60 tables, where it draws no edge behind a box; dagre above,
                        where ELK takes 3x as long; see README)
${databaseHelp}

Big schemas: a diagram Mermaid would refuse (over 50,000 characters) or take minutes to lay
out becomes an overview plus per-schema parts (markdown), or the overview / the best
connected tables (mermaid, svg, png); use --focus for a neighbourhood with columns.`;

export const exportOptions = {
  ...databaseOptions,
  source: { type: 'string' },
  format: { type: 'string' },
  out: { type: 'string', short: 'o' },
  focus: { type: 'string' },
  depth: { type: 'string' },
  'collapse-pivots': { type: 'boolean' },
  'collapse-associations': { type: 'boolean' },
  'edge-labels': { type: 'string' },
  schema: { type: 'string' },
  drift: { type: 'boolean' },
  'no-drift': { type: 'boolean' },
  mermaid: { type: 'string' },
  layout: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** --edge-labels: orm or columns; the default follows the source (orm for the ORM's model). */
export function parseEdgeLabels(raw: string | undefined, source: SchemaSource): EdgeLabels {
  if (raw === undefined) return source === 'orm' ? 'orm' : 'columns';
  if (raw === 'orm' || raw === 'columns') return raw;
  throw new UserError(`--edge-labels must be orm or columns, got "${raw}".`);
}

/** The model a diagram is drawn from: a db model with ORM labels gets the ORM's names where the ORM maps its tables. */
export async function diagramModel(ctx: AppContext, spec: Pick<ExportSpec, 'source' | 'edgeLabels' | 'schemas'>, model: SchemaModel): Promise<SchemaModel> {
  if (spec.source !== 'db' || spec.edgeLabels !== 'orm') return model;
  return withOrmNames(model, filterSchemas(await ormModel(ctx), spec.schemas));
}

export function parseSource(raw: string | undefined, fallback: SchemaSource = 'db'): SchemaSource {
  return parseSourceField(raw, cliFields, fallback);
}

function parseFormat(raw: string | undefined): ExportFormat {
  if (raw === undefined) return 'markdown';
  const lower = raw.toLowerCase();
  const aliases: Record<string, ExportFormat> = { md: 'markdown', mmd: 'mermaid' };
  const format = aliases[lower] ?? lower;
  if ((exportFormats as readonly string[]).includes(format)) return format as ExportFormat;
  throw new UserError(`--format must be one of ${exportFormats.join(', ')}, got "${raw}".`);
}

/**
 * Writes `path` without ever leaving it half-written and without replacing what is not a
 * regular file:
 * - a symlink is followed: its target is written (the link stays a link);
 * - a FIFO, a character or block device (/dev/stdout, /dev/null) is written directly;
 * - a regular file (or a new one) is written through a temp file in its own directory and a
 *   rename, keeping the old file's permissions.
 */
export function writeAtomically(path: string, data: string | Buffer): void {
  if (!path.trim()) throw new UserError('--out needs a file name; leave --out out to write to stdout.');
  const fail = (error: unknown): never => {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'ENXIO' ? 'it is a socket or a FIFO without a reader' : (error as Error).message;
    throw new UserError(`Cannot write ${path}: ${reason}.`, { exitCode: 1, cause: error });
  };
  let full = resolve(path);
  // Follow symlinks (also chains and dangling ones, whose target is created).
  for (let hops = 0; ; hops++) {
    let link: string;
    try {
      if (!lstatSync(full).isSymbolicLink()) break;
      link = readlinkSync(full);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') break;
      return fail(error);
    }
    if (hops >= 40) throw new UserError(`Cannot write ${path}: too many levels of symbolic links.`, { exitCode: 1 });
    full = resolve(dirname(full), link);
  }
  const dir = dirname(full);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UserError(`Cannot write ${path}: the directory ${dir} does not exist.`);
  const existing = existsSync(full) ? statSync(full) : null;
  if (existing?.isDirectory()) throw new UserError(`Cannot write ${path}: it is a directory; name a file.`);
  if (existing && !existing.isFile()) {
    // A FIFO or device: write into it, never replace it.
    try {
      writeFileSync(full, data);
    } catch (error) {
      fail(error);
    }
    return;
  }
  const temp = join(dir, `.${basename(full)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    writeFileSync(temp, data, existing ? { mode: existing.mode & 0o7777 } : {});
    if (existing) chmodSync(temp, existing.mode & 0o7777); // the umask narrowed it
    renameSync(temp, full);
  } catch (error) {
    try {
      unlinkSync(temp);
    } catch {
      // nothing was written
    }
    fail(error);
  }
}

/** Drift for markdown: explicit flags win; by default on for db when it holds any of the ORM's tables. */
export async function resolveDrift(ctx: AppContext, spec: Pick<ExportSpec, 'format' | 'source' | 'schemas'>, model: SchemaModel, flags: { drift?: boolean; noDrift?: boolean }): Promise<{ enabled: boolean; findings: Finding[] | null }> {
  if (spec.format !== 'markdown') return { enabled: false, findings: null };
  if (flags.drift && flags.noDrift) throw new UserError('--drift and --no-drift exclude each other.');
  if (flags.noDrift || (!flags.drift && spec.source === 'orm')) return { enabled: false, findings: null };
  // Without a project of the user's, the ORM model is relscope's demo: a database without any of
  // the demo's tables is decided here, without starting MikroORM (seconds to load).
  if (!flags.drift && spec.source === 'db' && !isProjectContext(ctx)) {
    const demoIds = new Set(demoTables.map((t) => `public.${t}`));
    if (!model.tables.some((t) => demoIds.has(t.id))) return { enabled: false, findings: null };
  }
  // The ORM's and the database's models, both read for the export's schemas (schema service).
  return exportDrift(ctx, 'markdown', spec.schemas, flags.drift ? true : 'auto');
}

/** Drift notes for a spec whose `drift` flag is already decided (check re-creating an export). */
export async function driftFor(ctx: AppContext, spec: ExportSpec): Promise<Finding[] | null> {
  if (spec.format !== 'markdown' || !spec.drift) return null;
  return (await exportDrift(ctx, spec.format, spec.schemas, true)).findings;
}

function note(diagram: Diagram | null): void {
  if (!diagram || (!diagram.overview && !diagram.truncated)) return;
  const what = diagram.truncated ? `${diagram.tables.length} of ${diagram.tables.length + diagram.omitted} tables` : 'table names only';
  console.error(`relscope: the schema is too big for one diagram with columns; drew ${what}. Use --format markdown for every table, or --focus TABLE --depth N for a neighbourhood.`);
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parseCommand('export', argv, exportOptions);
  if (values.help) {
    console.log(help);
    return 0;
  }
  const format = parseFormat(values.format);
  const source = parseSource(values.source);
  if (values.depth !== undefined && !values.focus) throw new UserError('--depth needs --focus TABLE.');
  const depth = parseIntegerOption('depth', values.depth, 1, 0, 20);
  if (values.focus !== undefined && !values.focus.trim()) throw new UserError('--focus needs a table name.');
  if (format === 'json' && values.focus) throw new UserError('--focus applies to diagrams (mermaid, markdown, svg, png); the json export is always the whole model.');
  if (values.out !== undefined && !values.out.trim()) throw new UserError('--out needs a file name; leave --out out to write to stdout.');
  if (format === 'png' && !values.out && process.stdout.isTTY) throw new UserError('--format png writes binary data: pass --out FILE.png (or redirect stdout).');
  const spec: ExportSpec = {
    format,
    source,
    focus: values.focus?.trim() || null,
    depth,
    collapsePivots: !!values['collapse-pivots'],
    drift: false,
    schemas: parseSchemaList(values.schema),
    edgeLabels: parseEdgeLabels(values['edge-labels'], source),
    collapseAssociations: !!values['collapse-associations'],
  };
  if (values.layout !== undefined && format !== 'svg' && format !== 'png') throw new UserError(`--layout applies to svg and png (the renderer lays them out); ${format} is text, laid out by whoever renders it.`);
  parseLayout(values.layout);
  const mermaid = parseMermaidSyntax(values.mermaid);
  if (mermaid !== 10) spec.mermaid = mermaid;

  // The ORM's model is read from metadata: a database is dialled only for drift notes (--drift).
  const ctx = await openContext(values, { database: source === 'orm' && !values.drift ? 'lazy' : 'now' });
  try {
    // One read, no cache: the catalog fingerprint that keeps `serve`'s cache fresh is an extra
    // connection and query that a one-shot export does not need.
    const read = source === 'db' ? await modelFromDatabase(ctx.target, { schemas: spec.schemas ?? undefined }) : await loadModel(ctx, source, spec.schemas);
    const model = await diagramModel(ctx, spec, read);
    let output: string | Buffer;
    let diagram: Diagram | null = null;
    if (format === 'svg' || format === 'png') {
      diagram = planDiagram(model, { focus: spec.focus, depth: spec.depth, collapsePivots: spec.collapsePivots, collapseAssociations: spec.collapseAssociations, edgeLabels: spec.edgeLabels, focusLabel: '--focus', mermaid: spec.mermaid });
      // Loaded only here: playwright-core takes seconds to import.
      const { renderImage } = await import('../render/image.ts');
      output = await renderImage(diagram.mermaid, format, parseLayout(values.layout) ?? chooseLayout(diagram.tables.length));
    } else {
      const driftNotes = await resolveDrift(ctx, spec, model, { drift: values.drift, noDrift: values['no-drift'] });
      spec.drift = driftNotes.enabled;
      const rendered = renderExportText(spec, model, driftNotes.findings);
      output = rendered.text;
      diagram = rendered.diagram;
    }
    note(diagram);
    if (values.out !== undefined) {
      writeAtomically(values.out, output);
      const size = typeof output === 'string' ? Buffer.byteLength(output) : output.length;
      console.error(`relscope: wrote ${values.out} (${format}, source ${source}, ${tableCount(model)}, ${size.toLocaleString('en-US')} bytes).`);
    } else {
      await new Promise<void>((done, fail) => process.stdout.write(output, (error) => (error ? fail(error) : done())));
    }
    return 0;
  } finally {
    await ctx.close();
  }
}
