/**
 * Call sites and load mechanisms from stack traces, without touching anyone's code.
 *
 * The tracer takes a stack (Error.captureStackTrace) when MikroORM calls its `onQuery` hook,
 * just before a statement is sent. V8's async stack traces keep the `await` chain, so the stack
 * reads, bottom up: the user's function (`at async listOrders (src/orders.ts:14:7)`), MikroORM's
 * own frames (`at async Reference.load`, `at async Collection.init`, `at async EntityLoader.populate`)
 * and the driver. The first frame outside node_modules and relscope is the call site; the
 * MikroORM frames say how the statement came to be sent.
 *
 * Cost: the stack is read after the scope, as V8's call sites (Error.prepareStackTrace returning
 * them as they are), not as a formatted string: formatting every frame through the process's
 * source-map support cost ~0.25 ms a statement, most of the tracer's cost per request. Only the
 * one frame that becomes the call site is formatted, once per position (cached).
 *
 * Source maps: that frame is formatted by whatever the process has installed as
 * Error.prepareStackTrace (Node's --enable-source-maps, tsx, vitest), so TypeScript positions
 * come out as they would in an error's stack. When Node's own source-map support is off and the
 * file has a map that Node loaded (module.findSourceMap), the position is mapped here.
 */
import { findSourceMap, SourceMap } from 'node:module';
import { readFileSync } from 'node:fs';
import { dirname, resolve as resolvePath } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CallSite, LoadVia } from '../common/trace-types.ts';

export interface Frame {
  fn: string;
  file: string;
  line: number;
  column: number;
}

const frameRe = /^\s*at (?:async )?(?:(.*?) \()?((?:file:\/\/|\/|[A-Za-z]:\\|node:)[^()]*?):(\d+):(\d+)\)?$/;

function parseFrame(line: string): Frame | undefined {
  const m = frameRe.exec(line);
  if (!m) return undefined;
  let file = m[2]!;
  if (file.startsWith('file://')) {
    try {
      file = fileURLToPath(file);
    } catch {
      // keep the URL as it is
    }
  }
  return { fn: m[1] ?? '', file, line: Number(m[3]), column: Number(m[4]) };
}

export function parseStack(stack: string): Frame[] {
  const frames: Frame[] = [];
  for (const line of stack.split('\n')) {
    const frame = parseFrame(line);
    if (frame) frames.push(frame);
  }
  return frames;
}

/** What Error.captureStackTrace filled in on a statement's path; nothing is formatted until read. */
export interface CapturedStack {
  stack?: unknown;
}

/** Frames of a captured stack with their unformatted positions, and V8's call site for each (to format one later). */
export interface ReadStack {
  frames: Frame[];
  sites?: NodeJS.CallSite[];
}

const returnCallSites = (_error: Error, sites: NodeJS.CallSite[]): unknown => sites;

const ormFileRe = /[\\/]@mikro-orm[\\/]/;
const fileLikeRe = /^(?:file:\/\/|\/|[A-Za-z]:\\|node:)/;
const paths = new Map<string, string>();

/** A frame's file as a path (ESM frames name file:// URLs); cached, the same few files recur in every stack. */
function pathOf(url: string): string {
  if (!url.startsWith('file://')) return url;
  let path = paths.get(url);
  if (path === undefined) {
    try {
      path = fileURLToPath(url);
    } catch {
      path = url;
    }
    if (paths.size > 10_000) paths.clear();
    paths.set(url, path);
  }
  return path;
}

/**
 * A frame's name as V8 prints it (`async EntityLoader.populate (…)` -> `EntityLoader.populate`):
 * V8's own text of that one frame, unmapped, so that static methods, subclasses and `[as x]`
 * come out exactly as in a formatted stack.
 */
function frameName(site: NodeJS.CallSite): string {
  let text = String(site);
  if (text.startsWith('async ')) text = text.slice(6);
  const open = text.indexOf(' (');
  return open > 0 && text.endsWith(')') ? text.slice(0, open) : '';
}

/**
 * Reads a captured stack as V8's call sites: each frame's file and unformatted position (names
 * are left to stackVia, which needs them once per path through the ORM); no frame goes through
 * source maps. A stack someone already read (a string) is parsed as it is, names included.
 */
export function readStack(holder: CapturedStack, stopAfterUserFrameOf?: string[]): ReadStack {
  const installed = Error.prepareStackTrace;
  let value: unknown;
  Error.prepareStackTrace = returnCallSites;
  try {
    value = holder.stack;
  } finally {
    Error.prepareStackTrace = installed;
  }
  if (typeof value === 'string') return { frames: parseStack(value) };
  if (!Array.isArray(value)) return { frames: [] };
  const frames: Frame[] = [];
  const sites: NodeJS.CallSite[] = [];
  for (const site of value as NodeJS.CallSite[]) {
    const url = site.getFileName();
    // Only frames of files, as parseStack reads them (not `<anonymous>`, eval or native frames).
    if (!url || !fileLikeRe.test(url)) continue;
    const file = pathOf(url);
    frames.push({ fn: '', file, line: site.getLineNumber() ?? 0, column: site.getColumnNumber() ?? 0 });
    sites.push(site);
    // The frames below the user's own (its callers: framework, event loop) decide nothing.
    if (stopAfterUserFrameOf && !isOrmOrLibraryFile(file, stopAfterUserFrameOf)) break;
  }
  return { frames, sites };
}

/**
 * MikroORM's loading entry points, in the order of precedence (what the user called wins over what
 * it calls). First, the ORM's own connection setup: MikroORM 7 connects lazily, on the first
 * statement, and its onConnect hook (ensureDatabase, ensureIndexes) sends statements of its own,
 * once per concurrent first statement (a findAndCount sends two), inside whatever the app called.
 */
const viaFrames: [RegExp, LoadVia][] = [
  [/Connection\.(connect|onConnect)$|SchemaGenerator\.ensure(Database|Indexes)$/, 'connect'],
  [/Reference\.(load|loadOrFail|loadProperty)$/, 'Reference.load'],
  [/Collection\.(load|loadItems|matching)$/, 'Collection.load'],
  [/Collection\.init$/, 'Collection.init'],
  [/Collection\.loadCount$/, 'Collection.loadCount'],
  [/EntityLoader\.|EntityManager\.populate$/, 'populate'],
  [/UnitOfWork\.|ChangeSetPersister\.|EntityManager\.flush$/, 'flush'],
  [/EntityManager\.(find|findOne|findOneOrFail|findAll|findAndCount|findByCursor|count|stream)$/, 'find'],
];

/** isOrmOrLibraryFile() by file: the same few files recur in every stack. */
const libraryFiles = new Map<string, boolean>();
let libraryFilesOf: string[] | undefined;

export function isOrmOrLibraryFile(file: string, ownDirs: string[]): boolean {
  if (libraryFilesOf !== ownDirs) {
    libraryFiles.clear();
    libraryFilesOf = ownDirs;
  }
  let library = libraryFiles.get(file);
  if (library === undefined) {
    library = file.startsWith('node:') || /[\\/]node_modules[\\/]/.test(file) || ownDirs.some((d) => file.startsWith(d));
    if (libraryFiles.size > 10_000) libraryFiles.clear();
    libraryFiles.set(file, library);
  }
  return library;
}

/** Files of MikroORM (any copy: the app's own or relscope's), by file. */
const ormFiles = new Map<string, boolean>();

function isOrmFile(file: string): boolean {
  let orm = ormFiles.get(file);
  if (orm === undefined) {
    orm = ormFileRe.test(file);
    if (ormFiles.size > 10_000) ormFiles.clear();
    ormFiles.set(file, orm);
  }
  return orm;
}

/**
 * How the statement was sent: Reference.load / Collection.load / init when one of those is on
 * the stack (the statement of `await order.customer.load()`), else populate (EntityLoader), else
 * flush, else a plain find.
 */
export function loadVia(frames: Frame[]): LoadVia | undefined {
  let key = '';
  for (const f of frames) if (f.fn && ormFileRe.test(f.file)) key += `${f.fn}\n`;
  if (vias.has(key)) return vias.get(key);
  const orm = key.split('\n');
  let found: LoadVia | undefined;
  for (const [re, via] of viaFrames) {
    if (orm.some((fn) => re.test(fn))) {
      found = via;
      break;
    }
  }
  if (vias.size > 1_000) vias.clear();
  vias.set(key, found);
  return found;
}

/** loadVia() by the MikroORM frames' names: the same few paths through the ORM recur. */
const vias = new Map<string, LoadVia | undefined>();
const viasByPosition = new Map<string, LoadVia | undefined>();

/**
 * loadVia() of a stack from readStack(): MikroORM's frames are named (V8's frame text) only the
 * first time their positions are seen; a position is a call inside one ORM function, so the
 * same positions are the same path through the ORM.
 */
export function stackVia(stack: ReadStack): LoadVia | undefined {
  const { frames, sites } = stack;
  if (!sites) return loadVia(frames);
  let key = '';
  for (const f of frames) if (isOrmFile(f.file)) key += `${f.file}:${f.line}:${f.column}\n`;
  if (viasByPosition.has(key)) return viasByPosition.get(key);
  for (let i = 0; i < frames.length; i++) if (isOrmFile(frames[i]!.file)) frames[i]!.fn = frameName(sites[i]!);
  const via = loadVia(frames);
  if (viasByPosition.size > 1_000) viasByPosition.clear();
  viasByPosition.set(key, via);
  return via;
}

/** The first frame that is neither a library (node_modules, node:) nor relscope itself. */
export function userFrame(frames: Frame[], ownDirs: string[]): Frame | undefined {
  return frames.find((f) => !isOrmOrLibraryFile(f.file, ownDirs));
}

/** Index of userFrame() in `frames`, -1 when there is none. */
export function userFrameIndex(frames: Frame[], ownDirs: string[]): number {
  return frames.findIndex((f) => !isOrmOrLibraryFile(f.file, ownDirs));
}

const mapped = new Map<string, CallSite>();
const formatted = new Map<string, Frame>();
const noError = { name: 'Error', message: '' } as Error;

/**
 * The call site of `frame` (the frames[i] of `stack`) in the source the user wrote: the one frame
 * is formatted by the process's installed Error.prepareStackTrace (source maps as the process
 * has them), then sourcePosition() maps what is left; both cached by position.
 */
export function callSiteOf(stack: ReadStack, index: number): CallSite {
  const frame = stack.frames[index]!;
  const site = stack.sites?.[index];
  if (!site) return sourcePosition(frame);
  const key = `${frame.file}:${frame.line}:${frame.column}`;
  let shown = formatted.get(key);
  if (!shown) {
    shown = frame;
    const installed = Error.prepareStackTrace;
    if (typeof installed === 'function' && installed !== returnCallSites) {
      try {
        const text = installed(noError, [site]) as unknown;
        if (typeof text === 'string') shown = parseStack(text)[0] ?? frame;
      } catch {
        // a formatter that cannot take one frame: the unformatted position is still a position
      }
    }
    if (formatted.size > 10_000) formatted.clear();
    formatted.set(key, shown);
  }
  return sourcePosition(shown);
}

/** A frame's position in the source the user wrote (TypeScript), where a source map says so. */
export function sourcePosition(frame: Frame): CallSite {
  const key = `${frame.file}:${frame.line}:${frame.column}`;
  const cached = mapped.get(key);
  if (cached) return cached;
  let site: CallSite = { file: frame.file, line: frame.line, column: frame.column };
  if (!process.sourceMapsEnabled && /\.[cm]?js$/.test(frame.file)) {
    try {
      const map = findSourceMap(frame.file) ?? fileSourceMap(frame.file);
      const entry = map?.findEntry(frame.line - 1, frame.column - 1) as { originalSource?: string; originalLine?: number; originalColumn?: number } | undefined;
      if (entry?.originalSource && entry.originalLine !== undefined) {
        const source = entry.originalSource.startsWith('file://') ? fileURLToPath(entry.originalSource) : entry.originalSource;
        site = { file: source, line: entry.originalLine + 1, column: (entry.originalColumn ?? 0) + 1 };
      }
    } catch {
      // no usable map: the compiled position is still a position
    }
  }
  if (mapped.size > 10_000) mapped.clear();
  mapped.set(key, site);
  return site;
}

const fileMaps = new Map<string, SourceMap | null>();

/**
 * The source map a compiled file names (`//# sourceMappingURL=`, a file next to it or a data: URL),
 * read here when Node did not load it: `node dist/main.js` (NestJS's start:prod, `nest start`) runs
 * without --enable-source-maps, so findSourceMap() knows no map, yet tsc wrote one. Once per file.
 */
function fileSourceMap(file: string): SourceMap | undefined {
  let map = fileMaps.get(file);
  if (map === undefined) {
    map = null;
    try {
      const text = readFileSync(file, 'utf8');
      const url = /\/\/[#@]\s*sourceMappingURL=(\S+)\s*$/.exec(text.slice(-4096))?.[1];
      if (url) {
        const data = /^data:application\/json[^,]*?(;base64)?,(.*)$/.exec(url);
        const json = data
          ? (data[1] ? Buffer.from(data[2]!, 'base64').toString('utf8') : decodeURIComponent(data[2]!))
          : readFileSync(resolvePath(dirname(file), decodeURIComponent(url)), 'utf8');
        const payload = JSON.parse(json) as { sources?: string[]; sourceRoot?: string };
        // Sources relative to the map's own folder, as Node resolves them.
        const mapDir = data ? dirname(file) : dirname(resolvePath(dirname(file), decodeURIComponent(url)));
        payload.sources = (payload.sources ?? []).map((s) => (/^[a-z]+:/i.test(s) ? s : resolvePath(mapDir, payload.sourceRoot ?? '', s)));
        delete payload.sourceRoot;
        map = new SourceMap(payload as ConstructorParameters<typeof SourceMap>[0]);
      }
    } catch {
      map = null;
    }
    if (fileMaps.size > 1_000) fileMaps.clear();
    fileMaps.set(file, map);
  }
  return map ?? undefined;
}

const sourceLines = new Map<string, string[] | null>();

/** The text of a call site's line (for naming the relation in `order.customer.load()`); undefined when unreadable. */
export function sourceLine(site: CallSite): string | undefined {
  let lines = sourceLines.get(site.file);
  if (lines === undefined) {
    try {
      lines = readFileSync(site.file, 'utf8').split('\n');
    } catch {
      lines = null;
    }
    if (sourceLines.size > 500) sourceLines.clear();
    sourceLines.set(site.file, lines);
  }
  return lines?.[site.line - 1];
}
