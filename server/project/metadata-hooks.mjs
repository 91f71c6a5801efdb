// Node module hooks (module.register) that load a user's TypeScript files with legacy
// decorators AND design-time type metadata (emitDecoratorMetadata), which tsx/esbuild
// cannot emit. Registered by server/project/loader.ts only for projects whose tsconfig asks
// for it; every other file (relscope's own, node_modules, .js) goes on to tsx unchanged.
//
// The transpiler is the user's own `typescript` when it still has a JavaScript API
// (transpileModule, TypeScript <= 6), else relscope's oxc-transform. Both transpile one file
// at a time, as MikroORM's own CLI loaders (oxc, swc) do.
import { readFile } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** @type {{ excludeRoots: string[], transpiler: 'typescript' | 'oxc', modulePath: string, tsconfigPath: string, compilerOptions: Record<string, unknown> } | null} */
let state = null;
/** @type {((source: string, path: string, format: 'module' | 'commonjs') => string) | null} */
let transpile = null;

export async function initialize(data) {
  state = data;
  transpile = data.transpiler === 'typescript' ? typescriptTranspiler(data) : await oxcTranspiler(data);
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
  if (state.transpiler === 'oxc') {
    // oxc-transform keeps ESM syntax (it has no CommonJS output): .cts files stay with tsx,
    // and .ts files run as ES modules, which MikroORM 7 (ESM-only) projects are anyway.
    if (ext[1] === 'c') return nextLoad(url, context);
    format = 'module';
  }
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

function typescriptTranspiler({ modulePath, tsconfigPath, compilerOptions }) {
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

// oxc's legacy-decorator output calls three helpers; with helpers in "External" mode they are
// read from `babelHelpers`, which this prelude defines per module (TypeScript's own tslib code).
const helpers = new Set(['decorate', 'decorateMetadata', 'decorateParam']);
const prelude =
  'var babelHelpers = { ' +
  'decorate: function (decorators, target, key, desc) { var c = arguments.length, r = c < 3 ? target : desc === null ? desc = Object.getOwnPropertyDescriptor(target, key) : desc, d; if (typeof Reflect === "object" && typeof Reflect.decorate === "function") r = Reflect.decorate(decorators, target, key, desc); else for (var i = decorators.length - 1; i >= 0; i--) if (d = decorators[i]) r = (c < 3 ? d(r) : c > 3 ? d(target, key, r) : d(target, key)) || r; return c > 3 && r && Object.defineProperty(target, key, r), r; }, ' +
  'decorateMetadata: function (k, v) { if (typeof Reflect === "object" && typeof Reflect.metadata === "function") return Reflect.metadata(k, v); }, ' +
  'decorateParam: function (index, decorator) { return function (target, key) { decorator(target, key, index); }; } };';

async function oxcTranspiler({ modulePath, compilerOptions }) {
  const { transformSync } = await import(pathToFileURL(modulePath).href);
  const target = String(compilerOptions.target ?? 'es5').toLowerCase();
  const modernTarget = target === 'esnext' || (/^es(\d{4})$/.test(target) && Number(target.slice(2)) >= 2022);
  // TypeScript's default: class fields use [[Define]] from ES2022 on, assignment before.
  const useDefine = typeof compilerOptions.useDefineForClassFields === 'boolean' ? compilerOptions.useDefineForClassFields : modernTarget;
  return (source, path) => {
    const result = transformSync(path, source, {
      lang: path.endsWith('x') ? 'tsx' : 'ts',
      sourceType: 'module',
      target: 'es2022',
      decorator: { legacy: true, emitDecoratorMetadata: true },
      typescript: {
        onlyRemoveTypeImports: compilerOptions.verbatimModuleSyntax === true,
        removeClassFieldsWithoutInitializer: !useDefine,
      },
      assumptions: useDefine ? undefined : { setPublicClassFields: true },
      helpers: { mode: 'External' },
      sourcemap: true,
    });
    if (result.errors.length > 0) {
      const first = result.errors[0];
      throw new SyntaxError(`${path}: ${first.message ?? String(first)}`);
    }
    const unknown = Object.keys(result.helpersUsed ?? {}).filter((h) => !helpers.has(h));
    if (unknown.length > 0) throw new Error(`${path}: relscope's decorator loader has no helper ${unknown.join(', ')} (oxc-transform); please report this file's syntax.`);
    let code = result.code;
    const map = result.map ? { ...result.map } : null;
    if (Object.keys(result.helpersUsed ?? {}).length > 0) {
      code = `${prelude}\n${code}`;
      if (map) map.mappings = `;${map.mappings}`; // one generated line more, before all others
    }
    if (map) code += `\n//# sourceMappingURL=data:application/json;base64,${Buffer.from(JSON.stringify(map)).toString('base64')}`;
    return code;
  };
}
