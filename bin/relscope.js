#!/usr/bin/env node
// Entry for `npx relscope`.
// - Installed from npm: runs the JavaScript compiled at `npm pack` (dist/node/cli.js, see
//   tools/build-node.mjs); tsx is loaded only if a project's TypeScript config is loaded
//   (server/project/tsx.ts).
// - In a checkout (a .git folder beside bin/): runs the TypeScript sources through tsx, so a
//   stale build is never used. RELSCOPE_COMPILED=1 picks the build anyway (bench/startup.ts),
//   RELSCOPE_COMPILED=0 the sources.
// tsx reads the project's tsconfig.json from the working directory, or the one MikroORM's CLI
// settings name (MIKRO_ORM_CLI_TS_CONFIG_PATH, package.json "mikro-orm": { "tsConfigPath" }).
// Projects whose tsconfig sets emitDecoratorMetadata get a metadata-aware transpiler on top,
// registered when the config is loaded (server/project/loader.ts).
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const compiled = new URL('../dist/node/cli.js', import.meta.url);
const checkout = existsSync(fileURLToPath(new URL('../.git', import.meta.url)));
const flag = process.env.RELSCOPE_COMPILED;
const useCompiled = flag === '0' ? false : existsSync(fileURLToPath(compiled)) && (flag === '1' || !checkout);

if (useCompiled) {
  const { main } = await import(compiled.href);
  process.exitCode = await main(process.argv.slice(2));
} else {
  const [{ register }, { register: registerCjs }, nativePackages, explicitConfig] = await Promise.all([
    import('tsx/esm/api'),
    import('tsx/cjs/api'),
    import('../server/project/native-package-require.mjs'),
    import('../server/project/explicit-config.mjs'),
  ]);
  // $TSX_TSCONFIG_PATH (tsx reads it), MikroORM's CLI settings, else the tsconfig above a config
  // named by --config or $MIKRO_ORM_CLI_CONFIG (see explicit-config.mjs); else tsx reads ./tsconfig.json.
  const tsconfig = process.env.TSX_TSCONFIG_PATH ? undefined : tsconfigFromSettings() ?? explicitConfig.tsconfigOfExplicitConfig(process.argv.slice(2));
  // tsx's CommonJS hook takes no tsconfig option: it reads $TSX_TSCONFIG_PATH when registered.
  if (tsconfig) process.env.TSX_TSCONFIG_PATH = tsconfig;
  nativePackages.rememberNodeRequire();
  registerCjs(tsconfig ? { tsconfig } : undefined);
  nativePackages.keepPackagesNative(); // one MikroORM for a CommonJS project's require() and relscope's import
  register(tsconfig ? { tsconfig } : undefined);
  globalThis[Symbol.for('relscope.tsx-registered')] = true;
  const { main } = await import(fileURLToPath(new URL('../server/cli.ts', import.meta.url)));
  process.exitCode = await main(process.argv.slice(2));
}

function tsconfigFromSettings() {
  if (process.env.TSX_TSCONFIG_PATH) return undefined; // tsx reads it itself
  if (process.env.MIKRO_ORM_CLI_TS_CONFIG_PATH) return resolve(process.env.MIKRO_ORM_CLI_TS_CONFIG_PATH);
  try {
    const pkg = resolve('package.json');
    if (!existsSync(pkg)) return undefined;
    const path = JSON.parse(readFileSync(pkg, 'utf8'))?.['mikro-orm']?.tsConfigPath;
    return typeof path === 'string' ? resolve(path) : undefined;
  } catch {
    return undefined; // an unreadable package.json is reported by config discovery
  }
}
