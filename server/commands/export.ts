import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, lstatSync, readlinkSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { databaseHelp, databaseOptions, openContext, parseCommand } from './options.ts';
import { UserError } from '../errors.ts';
import { cliFields, diagramFor, exportDrift, parseDiagramRequest } from '../schema/service.ts';
import { loadModel } from '../schema/load.ts';
import { exportFormats, renderExportText, type ExportFormat, type ExportSpec } from '../render/document.ts';
import type { Diagram } from '../render/mermaid.ts';
import { renderImage } from '../render/image.ts';

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
  --out FILE            write FILE instead of stdout (a regular file through a temp file
                        and a rename; a symlink's target, a FIFO or a device directly)
  --focus TABLE         draw TABLE (name, schema.name or entity) and its neighbours only
  --depth N             hops around --focus (default 1)
  --collapse-pivots     draw each plain pivot table (e.g. user_team) as one m:n edge
  --schema A,B          read these schemas only (default: all but the system ones)
  --drift / --no-drift  markdown: list drift (orm vs db) under each table; default on for
                        --source db when the database holds the ORM's tables
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
  schema: { type: 'string' },
  drift: { type: 'boolean' },
  'no-drift': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

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
  const request = parseDiagramRequest({ source: values.source, schema: values.schema, focus: values.focus, depth: values.depth, collapsePivots: !!values['collapse-pivots'] }, cliFields);
  const source = request.source;
  if (format === 'json' && request.focus) throw new UserError('--focus applies to diagrams (mermaid, markdown, svg, png); the json export is always the whole model.');
  if (format === 'png' && !values.out && process.stdout.isTTY) throw new UserError('--format png writes binary data: pass --out FILE.png (or redirect stdout).');
  if (values.out !== undefined && !values.out.trim()) throw new UserError('--out needs a file name; leave --out out to write to stdout.');
  if (values.drift && values['no-drift']) throw new UserError('--drift and --no-drift exclude each other.');
  const spec: ExportSpec = { format, source, focus: request.focus, depth: request.depth, collapsePivots: request.collapsePivots, drift: false, schemas: request.schemas };

  const ctx = await openContext(values);
  try {
    let output: string | Buffer;
    let diagram: Diagram | null = null;
    let tables: number;
    if (format === 'svg' || format === 'png') {
      const drawn = await diagramFor(ctx, request, cliFields);
      diagram = drawn.diagram;
      tables = drawn.model.tables.length;
      output = await renderImage(diagram.mermaid, format);
    } else {
      const model = await loadModel(ctx, source, spec.schemas);
      tables = model.tables.length;
      // Drift notes: the flags decide; by default on for db when it holds the ORM's tables.
      const wanted = values['no-drift'] ? false : values.drift ? true : source === 'orm' ? false : 'auto';
      const driftNotes = await exportDrift(ctx, format, spec.schemas, wanted);
      spec.drift = driftNotes.enabled;
      const rendered = renderExportText(spec, model, driftNotes.findings);
      output = rendered.text;
      diagram = rendered.diagram;
    }
    note(diagram);
    if (values.out !== undefined) {
      writeAtomically(values.out, output);
      const size = typeof output === 'string' ? Buffer.byteLength(output) : output.length;
      console.error(`relscope: wrote ${values.out} (${format}, source ${source}, ${tables} tables, ${size.toLocaleString('en-US')} bytes).`);
    } else {
      await new Promise<void>((done, fail) => process.stdout.write(output, (error) => (error ? fail(error) : done())));
    }
    return 0;
  } finally {
    await ctx.close();
  }
}
