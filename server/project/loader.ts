import Module, { createRequire, register } from 'node:module';
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../errors.ts';
import { nearestFile, type CliSettings } from './discover.ts';
import { readTsConfig, wantsDecoratorMetadata } from './tsconfig.ts';
import { typescriptTranspiler } from './metadata-hooks.mjs';

/**
 * How a user's TypeScript is loaded:
 * - `tsx`: esbuild through tsx, registered by bin/relscope.js (and by `npm start` / the tests'
 *   `node --import tsx`). Handles defineEntity, EntitySchema, ES decorators and legacy
 *   decorators with explicit types, with the project's tsconfig.json (the one in the working
 *   directory, as tsx reads it, or TSX_TSCONFIG_PATH).
 * - `typescript`: when tsconfig.json sets experimentalDecorators + emitDecoratorMetadata
 *   (legacy decorators read by ReflectMetadataProvider), which esbuild cannot emit, the
 *   project's own .ts files go through a module hook that transpiles them with the project's
 *   own `typescript` (TypeScript <= 6, which has transpileModule) or else with the
 *   TypeScript 5.9 relscope ships as `typescript5` (TypeScript 7 has no JavaScript API).
 */
export type LoaderKind = 'tsx' | 'typescript';

export interface LoaderChoice {
  kind: LoaderKind;
  /** The tsconfig.json that decided it, when one was found. */
  tsconfig: string | null;
  /** One line for --verbose output and the README's wording. */
  detail: string;
}

const relscopeRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
let registered: LoaderChoice | null = null;

/** The tsconfig that applies: $TSX_TSCONFIG_PATH, package.json mikro-orm.tsConfigPath, else the nearest one above the config. */
export function projectTsconfig(configPath: string, cwd: string, settings: CliSettings, env: NodeJS.ProcessEnv = process.env): string | null {
  const explicit = env.TSX_TSCONFIG_PATH ?? settings.tsConfigPath;
  if (explicit) return isAbsolute(explicit) ? explicit : resolve(cwd, explicit);
  return nearestFile(dirname(configPath), 'tsconfig.json');
}

/**
 * Picks the loader for a project and registers the metadata hook when it is needed. Safe to
 * call more than once per process: the hook is registered once (Node cannot unregister it).
 */
export function prepareLoader(configPath: string, cwd: string, settings: CliSettings): LoaderChoice {
  const tsconfig = projectTsconfig(configPath, cwd, settings);
  const compilerOptions = tsconfig ? readTsConfig(tsconfig).compilerOptions : {};
  if (!tsconfig || !wantsDecoratorMetadata(compilerOptions)) {
    return { kind: 'tsx', tsconfig, detail: 'tsx (esbuild)' };
  }
  if (registered) return registered;
  const transpiler = pickTranspiler(tsconfig);
  // relscope's own sources (in a checkout the test fixtures live beside them, so not the whole root)
  const excludeRoots = ['server', 'entities', 'bin'].map((dir) => resolve(relscopeRoot, dir));
  // ES modules (and the config itself, whatever its format) go through Node's module hooks...
  register(new URL('./metadata-hooks.mjs', import.meta.url), {
    parentURL: import.meta.url,
    data: { excludeRoots, transpiler: transpiler.kind, modulePath: transpiler.modulePath, tsconfigPath: tsconfig, compilerOptions },
  });
  // ...but files a CommonJS module require()s (a NestJS config requiring its entities) are
  // compiled by tsx's CommonJS hook, which those hooks never see and which emits no metadata.
  registerCommonJs(excludeRoots, typescriptTranspiler({ modulePath: transpiler.modulePath, tsconfigPath: tsconfig, compilerOptions }));
  registered = { kind: transpiler.kind, tsconfig, detail: transpiler.detail };
  return registered;
}

function pickTranspiler(tsconfig: string): { kind: 'typescript'; modulePath: string; detail: string } {
  const fromProject = createRequire(tsconfig);
  try {
    const modulePath = fromProject.resolve('typescript');
    const ts = fromProject(modulePath) as { transpileModule?: unknown; version?: string };
    if (typeof ts.transpileModule === 'function') {
      return { kind: 'typescript', modulePath, detail: `the project's own TypeScript ${ts.version ?? ''}`.trim() };
    }
  } catch {
    // no typescript in the project, or one without a JavaScript API: relscope's own below
  }
  try {
    // TypeScript 7 has no JavaScript API: relscope ships TypeScript 5.9 (as `typescript5`) for this.
    const modulePath = createRequire(import.meta.url).resolve('typescript5');
    const version = (createRequire(import.meta.url)(modulePath) as { version?: string }).version ?? '5';
    return { kind: 'typescript', modulePath, detail: `relscope's TypeScript ${version}` };
  } catch (error) {
    throw new UserError(
      `${tsconfig} sets emitDecoratorMetadata, which tsx cannot emit, and neither the project's own TypeScript (<= 6) nor relscope's TypeScript 5.9 can be loaded: ${(error as Error).message}. Install typescript@5 or 6 in the project, or reinstall relscope.`,
      { exitCode: 1 },
    );
  }
}

type CompileModule = { _compile(source: string, filename: string): unknown };
type ExtensionHandler = (this: unknown, module: CompileModule, filename: string) => unknown;

/**
 * Wraps the CommonJS extension handlers for TypeScript (tsx's, registered by bin/relscope.js)
 * so that the project's own .ts/.cts/.tsx files, when require()d, are transpiled with
 * decorator metadata too. Anything else (node_modules, relscope's own sources) goes on to tsx.
 */
function registerCommonJs(excludeRoots: string[], transpile: (source: string, path: string, format: 'module' | 'commonjs') => string): void {
  const extensions = (Module as unknown as { _extensions: Record<string, ExtensionHandler> })._extensions;
  for (const ext of ['.ts', '.cts', '.tsx']) {
    const previous = extensions[ext] ?? extensions['.js']!;
    extensions[ext] = function (this: unknown, module: CompileModule, filename: string) {
      if (filename.split(sep).includes('node_modules') || excludeRoots.some((root) => filename.startsWith(root + sep))) {
        return previous.call(this, module, filename);
      }
      return module._compile(transpile(readFileSync(filename, 'utf8'), filename, 'commonjs'), filename);
    };
  }
}
