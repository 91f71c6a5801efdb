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
 * Source maps: the stack string is formatted by whatever the process has installed (Node's
 * --enable-source-maps, tsx, vitest), so TypeScript positions come out as they are. When Node's
 * own source-map support is off and a frame's file has a map that Node loaded
 * (module.findSourceMap), the position is mapped here.
 */
import { findSourceMap } from 'node:module';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { CallSite, LoadVia } from '../common/trace-types.ts';

export interface Frame {
  fn: string;
  file: string;
  line: number;
  column: number;
}

const frameRe = /^\s*at (?:async )?(?:(.*?) \()?((?:file:\/\/|\/|[A-Za-z]:\\|node:)[^()]*?):(\d+):(\d+)\)?$/;

export function parseStack(stack: string): Frame[] {
  const frames: Frame[] = [];
  for (const line of stack.split('\n')) {
    const m = frameRe.exec(line);
    if (!m) continue;
    let file = m[2]!;
    if (file.startsWith('file://')) {
      try {
        file = fileURLToPath(file);
      } catch {
        // keep the URL as it is
      }
    }
    frames.push({ fn: m[1] ?? '', file, line: Number(m[3]), column: Number(m[4]) });
  }
  return frames;
}

/** MikroORM's loading entry points, in the order of precedence (what the user called wins over what it calls). */
const viaFrames: [RegExp, LoadVia][] = [
  [/Reference\.(load|loadOrFail|loadProperty)$/, 'Reference.load'],
  [/Collection\.(load|loadItems|matching)$/, 'Collection.load'],
  [/Collection\.init$/, 'Collection.init'],
  [/Collection\.loadCount$/, 'Collection.loadCount'],
  [/EntityLoader\.|EntityManager\.populate$/, 'populate'],
  [/UnitOfWork\.|ChangeSetPersister\.|EntityManager\.flush$/, 'flush'],
  [/EntityManager\.(find|findOne|findOneOrFail|findAll|findAndCount|findByCursor|count|stream)$/, 'find'],
];

export function isOrmOrLibraryFile(file: string, ownDirs: string[]): boolean {
  return file.startsWith('node:') || /[\\/]node_modules[\\/]/.test(file) || ownDirs.some((d) => file.startsWith(d));
}

/**
 * How the statement was sent: Reference.load / Collection.load / init when one of those is on
 * the stack (the statement of `await order.customer.load()`), else populate (EntityLoader), else
 * flush, else a plain find.
 */
export function loadVia(frames: Frame[]): LoadVia | undefined {
  const orm = frames.filter((f) => /[\\/]@mikro-orm[\\/]/.test(f.file)).map((f) => f.fn);
  for (const [re, via] of viaFrames) if (orm.some((fn) => re.test(fn))) return via;
  return undefined;
}

/** The first frame that is neither a library (node_modules, node:) nor relscope itself. */
export function userFrame(frames: Frame[], ownDirs: string[]): Frame | undefined {
  return frames.find((f) => !isOrmOrLibraryFile(f.file, ownDirs));
}

const mapped = new Map<string, CallSite>();

/** A frame's position in the source the user wrote (TypeScript), where a source map says so. */
export function sourcePosition(frame: Frame): CallSite {
  const key = `${frame.file}:${frame.line}:${frame.column}`;
  const cached = mapped.get(key);
  if (cached) return cached;
  let site: CallSite = { file: frame.file, line: frame.line, column: frame.column };
  if (!process.sourceMapsEnabled && /\.[cm]?js$/.test(frame.file)) {
    try {
      const map = findSourceMap(frame.file);
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
