#!/usr/bin/env node
// Entry for `npx relscope`: loads relscope's TypeScript sources, and the user's TypeScript
// config and entities, through tsx (no build step). tsx reads the project's tsconfig.json
// from the working directory, or the one MikroORM's CLI settings name
// (MIKRO_ORM_CLI_TS_CONFIG_PATH, package.json "mikro-orm": { "tsConfigPath" }).
// Projects whose tsconfig sets emitDecoratorMetadata get a metadata-aware transpiler on top,
// registered when the config is loaded (server/project/loader.ts).
import { register } from 'tsx/esm/api';
import { register as registerCjs } from 'tsx/cjs/api';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

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

const tsconfig = tsconfigFromSettings();
registerCjs(tsconfig ? { tsconfig } : undefined);
register(tsconfig ? { tsconfig } : undefined);
const { main } = await import(fileURLToPath(new URL('../server/cli.ts', import.meta.url)));
process.exitCode = await main(process.argv.slice(2));
