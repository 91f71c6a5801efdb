import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, resolve } from 'node:path';
import { UserError } from '../errors.ts';

/** The parts of a tsconfig.json relscope reads: compilerOptions with `extends` applied. */
export interface TsConfig {
  path: string;
  /** Raw compilerOptions as written in JSON (strings, not TypeScript's enum numbers). */
  compilerOptions: Record<string, unknown>;
}

/**
 * Reads a tsconfig.json the way TypeScript does for compilerOptions: JSON with comments and
 * trailing commas, `extends` (a path, a package, or an array of them) applied in order.
 */
export function readTsConfig(path: string, seen: Set<string> = new Set()): TsConfig {
  const file = resolve(path);
  if (seen.has(file)) throw new UserError(`${file}: "extends" loops back to itself.`);
  seen.add(file);
  let raw: unknown;
  try {
    raw = parseJsonc(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new UserError(`Cannot read ${file}: ${(error as Error).message}`);
  }
  const json = (raw && typeof raw === 'object' ? raw : {}) as { extends?: unknown; compilerOptions?: unknown };
  const bases = typeof json.extends === 'string' ? [json.extends] : Array.isArray(json.extends) ? json.extends.filter((e): e is string => typeof e === 'string') : [];
  let compilerOptions: Record<string, unknown> = {};
  for (const base of bases) {
    const basePath = resolveExtends(base, dirname(file));
    if (!basePath) throw new UserError(`${file} extends "${base}", which cannot be found.`);
    compilerOptions = { ...compilerOptions, ...readTsConfig(basePath, seen).compilerOptions };
  }
  const own = json.compilerOptions && typeof json.compilerOptions === 'object' ? (json.compilerOptions as Record<string, unknown>) : {};
  return { path: file, compilerOptions: { ...compilerOptions, ...own } };
}

function resolveExtends(spec: string, fromDir: string): string | null {
  const candidates: string[] = [];
  if (spec.startsWith('.') || isAbsolute(spec)) {
    const p = resolve(fromDir, spec);
    candidates.push(p, `${p}.json`, resolve(p, 'tsconfig.json'));
    for (const c of candidates) {
      try {
        readFileSync(c);
        return c;
      } catch {
        // next candidate
      }
    }
    return null;
  }
  const require = createRequire(resolve(fromDir, 'tsconfig.json'));
  for (const c of [spec, `${spec}.json`, `${spec}/tsconfig.json`]) {
    try {
      return require.resolve(c);
    } catch {
      // next candidate
    }
  }
  return null;
}

/** JSON with // and /* *\/ comments and trailing commas, as tsconfig files allow. */
export function parseJsonc(text: string): unknown {
  let out = '';
  let i = 0;
  const n = text.length;
  while (i < n) {
    const ch = text[i]!;
    if (ch === '"') {
      let j = i + 1;
      while (j < n && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j + 1;
    } else if (ch === '/' && text[i + 1] === '/') {
      while (i < n && text[i] !== '\n') i++;
    } else if (ch === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      i = end === -1 ? n : end + 2;
    } else {
      out += ch;
      i++;
    }
  }
  // Trailing commas: a comma followed only by whitespace before } or ] (strings are intact, so
  // this can only touch a comma inside a string if that string itself ends in ", }": guard it).
  const cleaned = removeTrailingCommas(out);
  return JSON.parse(cleaned.trim() === '' ? '{}' : cleaned);
}

function removeTrailingCommas(text: string): string {
  let out = '';
  let i = 0;
  const n = text.length;
  while (i < n) {
    const ch = text[i]!;
    if (ch === '"') {
      let j = i + 1;
      while (j < n && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j + 1;
      continue;
    }
    if (ch === ',') {
      let j = i + 1;
      while (j < n && /\s/.test(text[j]!)) j++;
      if (text[j] === '}' || text[j] === ']') {
        i++;
        continue;
      }
    }
    out += ch;
    i++;
  }
  return out;
}

/** Whether the options ask for legacy decorators with design-time type metadata. */
export function wantsDecoratorMetadata(options: Record<string, unknown>): boolean {
  return options.experimentalDecorators === true && options.emitDecoratorMetadata === true;
}
