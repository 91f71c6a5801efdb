import { createRequire, register } from 'node:module';
import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../errors.ts';
import { nearestFile, type CliSettings } from './discover.ts';
import { readTsConfig, wantsDecoratorMetadata } from './tsconfig.ts';

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
  register(new URL('./metadata-hooks.mjs', import.meta.url), {
    parentURL: import.meta.url,
    data: {
      // relscope's own sources (in a checkout the test fixtures live beside them, so not the whole root)
      excludeRoots: ['server', 'entities', 'bin'].map((dir) => resolve(relscopeRoot, dir)),
      transpiler: transpiler.kind,
      modulePath: transpiler.modulePath,
      tsconfigPath: tsconfig,
      compilerOptions,
    },
  });
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
