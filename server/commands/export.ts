import { randomBytes } from 'node:crypto';
import { existsSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { databaseHelp, databaseOptions, contextFromOptions, parseCommand, parseIntegerOption } from './options.ts';
import { isProjectContext, prepareDemo, type AppContext } from '../context.ts';
import { demoTables } from '../demo/schema.ts';
import { UserError } from '../errors.ts';
import { drift as computeDrift, type Finding } from '../schema/drift.ts';
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
                        json: the schema model itself (see server/schema/model.ts)
  --out FILE            write FILE (through a temp file and a rename) instead of stdout
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

/**
 * The context for export, check and lint. On the embedded database (the demo) the demo's
 * tables are created when it is still empty, as `serve` does, so a first `relscope export`
 * shows the nine demo tables; no rows are written.
 */
export async function openContext(values: Parameters<typeof contextFromOptions>[0], use: Parameters<typeof contextFromOptions>[2] = {}): Promise<AppContext> {
  const ctx = await contextFromOptions(values, process.cwd(), use);
  if (ctx.target.kind !== 'embedded') return ctx;
  try {
    await prepareDemo(ctx);
    return ctx;
  } catch (error) {
    await ctx.close();
    throw error;
  }
}

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
  if (raw === undefined) return fallback;
  if (raw === 'orm' || raw === 'db') return raw;
  throw new UserError(`--source must be orm or db, got "${raw}".`);
}

function parseFormat(raw: string | undefined): ExportFormat {
  if (raw === undefined) return 'markdown';
  const lower = raw.toLowerCase();
  const aliases: Record<string, ExportFormat> = { md: 'markdown', mmd: 'mermaid' };
  const format = aliases[lower] ?? lower;
  if ((exportFormats as readonly string[]).includes(format)) return format as ExportFormat;
  throw new UserError(`--format must be one of ${exportFormats.join(', ')}, got "${raw}".`);
}

/** Writes through a temp file in the same directory and a rename: never a half-written FILE. */
export function writeAtomically(path: string, data: string | Buffer): void {
  const full = resolve(path);
  const dir = dirname(full);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UserError(`Cannot write ${path}: the directory ${dir} does not exist.`);
  if (existsSync(full) && statSync(full).isDirectory()) throw new UserError(`Cannot write ${path}: it is a directory; name a file.`);
  const temp = join(dir, `.${basename(full)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    writeFileSync(temp, data);
    renameSync(temp, full);
  } catch (error) {
    try {
      unlinkSync(temp);
    } catch {
      // nothing was written
    }
    const code = (error as NodeJS.ErrnoException).code;
    throw new UserError(`Cannot write ${path}: ${code === 'EACCES' || code === 'EPERM' ? 'permission denied' : (error as Error).message}.`, { exitCode: 1, cause: error });
  }
}

/** Drift for markdown: explicit flags win; by default on for db when it holds any of the ORM's tables. */
export async function resolveDrift(ctx: AppContext, spec: Pick<ExportSpec, 'format' | 'source'>, model: SchemaModel, flags: { drift?: boolean; noDrift?: boolean }): Promise<{ enabled: boolean; findings: Finding[] | null }> {
  if (spec.format !== 'markdown') return { enabled: false, findings: null };
  if (flags.drift && flags.noDrift) throw new UserError('--drift and --no-drift exclude each other.');
  if (flags.noDrift || (!flags.drift && spec.source === 'orm')) return { enabled: false, findings: null };
  // Without a project of the user's, the ORM model is relscope's demo: a database without any of
  // the demo's tables is decided here, without starting MikroORM (seconds to load).
  if (!flags.drift && spec.source === 'db' && !isProjectContext(ctx)) {
    const demoIds = new Set(demoTables.map((t) => `public.${t}`));
    if (!model.tables.some((t) => demoIds.has(t.id))) return { enabled: false, findings: null };
  }
  const orm = spec.source === 'orm' ? model : await ormModel(ctx);
  const db = spec.source === 'db' ? model : await loadModel(ctx, 'db');
  if (!flags.drift) {
    const dbIds = new Set(db.tables.map((t) => t.id));
    if (!orm.tables.some((t) => dbIds.has(t.id))) return { enabled: false, findings: null };
  }
  return { enabled: true, findings: computeDrift(orm, db) };
}

/** Drift notes for a spec whose `drift` flag is already decided (check re-creating an export). */
export async function driftFor(ctx: AppContext, spec: ExportSpec, model: SchemaModel): Promise<Finding[] | null> {
  if (spec.format !== 'markdown' || !spec.drift) return null;
  const orm = spec.source === 'orm' ? model : await ormModel(ctx);
  const db = spec.source === 'db' ? model : await loadModel(ctx, 'db');
  return computeDrift(orm, db);
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
    if (values.out) {
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
