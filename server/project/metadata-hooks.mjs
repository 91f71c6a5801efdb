// Node module hooks (module.register) that load a user's TypeScript files with legacy
// decorators AND design-time type metadata (emitDecoratorMetadata), which tsx/esbuild
// cannot emit. Registered by server/project/loader.ts only for projects whose tsconfig asks
// for it; every other file (relscope's own, node_modules, .js) goes on to tsx unchanged.
//
// The transpiler is the user's own `typescript` when it still has a JavaScript API
// (transpileModule, TypeScript <= 6), else the TypeScript 5.9 relscope ships for this
// (TypeScript 7 has no JavaScript API). It transpiles one file at a time, as MikroORM's own
// CLI loaders (oxc, swc) do.
import { readFile } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** @type {{ excludeRoots: string[], transpiler: 'typescript', modulePath: string, tsconfigPath: string, compilerOptions: Record<string, unknown> } | null} */
let state = null;
/** @type {((source: string, path: string, format: 'module' | 'commonjs') => string) | null} */
let transpile = null;

export async function initialize(data) {
  state = data;
  transpile = typescriptTranspiler(data);
}

export async function load(url, context, nextLoad) {
  if (!state || !transpile || !url.startsWith('file:')) return nextLoad(url, context);
  const clean = new URL(url);
  clean.search = '';
  clean.hash = '';
  const path = fileURLToPath(clean);
  const ext = /\.([cm]?)tsx?$/.exec(path);
  if (!ext || path.split(sep).includes('node_modules') || state.excludeRoots.some((root) => path.startsWith(root + sep))) {
    return nextLoad(url, context);
  }
  let format = ext[1] === 'm' ? 'module' : ext[1] === 'c' ? 'commonjs' : packageType(path);
  const source = await readFile(path, 'utf8');
  return { format, source: transpile(source, path, format), shortCircuit: true };
}

const typeCache = new Map();
/** "module" or "commonjs" from the nearest package.json, as Node decides for .ts/.js. */
function packageType(file) {
  let dir = dirname(file);
  const visited = [];
  for (;;) {
    if (typeCache.has(dir)) break;
    visited.push(dir);
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      let type = 'commonjs';
      try {
        type = JSON.parse(readFileSync(pkg, 'utf8')).type === 'module' ? 'module' : 'commonjs';
      } catch {
        // an unreadable package.json counts as commonjs, as in Node
      }
      typeCache.set(dir, type);
      break;
    }
    const parent = dirname(dir);
    if (parent === dir) {
      typeCache.set(dir, 'commonjs');
      break;
    }
    dir = parent;
  }
  const type = typeCache.get(dir);
  for (const d of visited) typeCache.set(d, type);
  return type;
}

/**
 * The transpiler, also used on the main thread by loader.ts for files that CommonJS `require()`
 * loads (module hooks registered with module.register never see those: tsx's CommonJS hook does).
 * @param {{ modulePath: string, tsconfigPath: string, compilerOptions: Record<string, unknown> }} options
 * @returns {(source: string, path: string, format: 'module' | 'commonjs') => string}
 */
export function typescriptTranspiler({ modulePath, tsconfigPath, compilerOptions }) {
  const ts = createRequire(import.meta.url)(modulePath);
  const converted = ts.convertCompilerOptionsFromJson(compilerOptions, dirname(tsconfigPath));
  const base = { ...converted.options };
  for (const key of ['outDir', 'outFile', 'rootDir', 'declarationDir', 'composite', 'incremental', 'tsBuildInfoFile', 'moduleResolution', 'paths', 'baseUrl']) delete base[key];
  Object.assign(base, {
    noEmit: false,
    declaration: false,
    declarationMap: false,
    emitDeclarationOnly: false,
    sourceMap: false,
    inlineSourceMap: true,
    inlineSources: true,
    rewriteRelativeImportExtensions: false,
  });
  return (source, path, format) => {
    const options = {
      ...base,
      module: format === 'module' ? ts.ModuleKind.ESNext : ts.ModuleKind.CommonJS,
      // verbatimModuleSyntax forbids CommonJS output of ESM syntax: keep it for ESM only.
      verbatimModuleSyntax: format === 'module' ? base.verbatimModuleSyntax : false,
    };
    return ts.transpileModule(source, { compilerOptions: options, fileName: path, reportDiagnostics: false }).outputText;
  };
}
