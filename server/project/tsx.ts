/**
 * tsx for the user's TypeScript (config and entities). From source, bin/relscope.js registers
 * tsx before anything else (relscope's own code is TypeScript too) and marks it done; the
 * compiled build (dist/node, what `npm pack` ships) registers it here, only when a project is
 * loaded, so commands without a project never load a TypeScript compiler.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { tsconfigOfExplicitConfig } from './explicit-config.mjs';

const marker = Symbol.for('relscope.tsx-registered');

/** The tsconfig MikroORM's CLI settings name (tsx itself reads TSX_TSCONFIG_PATH and ./tsconfig.json). */
export function tsconfigFromSettings(cwd = process.cwd(), env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.TSX_TSCONFIG_PATH) return undefined;
  if (env.MIKRO_ORM_CLI_TS_CONFIG_PATH) return resolve(cwd, env.MIKRO_ORM_CLI_TS_CONFIG_PATH);
  try {
    const pkg = resolve(cwd, 'package.json');
    if (!existsSync(pkg)) return undefined;
    const path = (JSON.parse(readFileSync(pkg, 'utf8')) as { 'mikro-orm'?: { tsConfigPath?: unknown } })?.['mikro-orm']?.tsConfigPath;
    return typeof path === 'string' ? resolve(cwd, path) : undefined;
  } catch {
    return undefined; // an unreadable package.json is reported by config discovery
  }
}

/**
 * True in the compiled build only: tools/build-node.mjs replaces this expression with "1". From
 * source, whatever runs relscope's TypeScript (tsx from bin, vitest) loads the project's too.
 */
const compiledBuild = process.env.RELSCOPE_BUILD_COMPILED === '1';

export async function ensureTsx(): Promise<void> {
  const g = globalThis as Record<symbol, unknown>;
  if (g[marker] || !compiledBuild) return;
  g[marker] = true;
  // As bin/relscope.js: the settings' tsconfig, else the one above a config named by --config or
  // $MIKRO_ORM_CLI_CONFIG (explicit-config.mjs), else tsx reads ./tsconfig.json.
  const tsconfig = process.env.TSX_TSCONFIG_PATH ? undefined : tsconfigFromSettings() ?? tsconfigOfExplicitConfig(process.argv.slice(2));
  const options = tsconfig ? { tsconfig } : undefined;
  const [{ register }, { register: registerCjs }, nativePackages] = await Promise.all([import('tsx/esm/api'), import('tsx/cjs/api'), import('./native-package-require.mjs')]);
  // tsx's CommonJS hook takes no tsconfig option: it reads $TSX_TSCONFIG_PATH when registered.
  if (tsconfig) process.env.TSX_TSCONFIG_PATH = tsconfig;
  nativePackages.rememberNodeRequire();
  registerCjs(options as Parameters<typeof registerCjs>[0]); // as bin/relscope.js does
  nativePackages.keepPackagesNative(); // see native-package-require.mjs
  register(options);
}
