import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { UserError } from '../errors.ts';

/**
 * Finds the user's MikroORM config the way MikroORM's own CLI does: the
 * MIKRO_ORM_CLI_CONFIG variable, then package.json `mikro-orm.configPaths`, then the
 * conventional files, TypeScript before JavaScript.
 */
export const conventionalConfigPaths = [
  './src/mikro-orm.config.ts',
  './mikro-orm.config.ts',
  './src/mikro-orm.config.js',
  './mikro-orm.config.js',
];

export interface FoundConfig {
  path: string;
  /** How it was found, for the "which project is shown" line. */
  via: '--config' | 'MIKRO_ORM_CLI_CONFIG' | 'package.json' | 'convention';
}

export function findConfig(cwd: string, explicit?: string, env: NodeJS.ProcessEnv = process.env): FoundConfig | null {
  const absolute = (p: string) => (isAbsolute(p) ? p : resolve(cwd, p));
  if (explicit) {
    const path = absolute(explicit);
    if (!existsSync(path)) throw new UserError(`--config ${explicit}: no such file (looked at ${path}).`);
    return { path, via: '--config' };
  }
  if (env.MIKRO_ORM_CLI_CONFIG) {
    const path = absolute(env.MIKRO_ORM_CLI_CONFIG);
    if (!existsSync(path)) throw new UserError(`MIKRO_ORM_CLI_CONFIG names ${env.MIKRO_ORM_CLI_CONFIG}, which does not exist (looked at ${path}).`);
    return { path, via: 'MIKRO_ORM_CLI_CONFIG' };
  }
  const pkgPath = join(cwd, 'package.json');
  if (existsSync(pkgPath)) {
    let pkg: { 'mikro-orm'?: { configPaths?: unknown } };
    try {
      pkg = JSON.parse(readFileSync(pkgPath, 'utf8'));
    } catch (error) {
      throw new UserError(`${pkgPath} is not valid JSON: ${(error as Error).message}.`);
    }
    const listed = pkg['mikro-orm']?.configPaths;
    if (Array.isArray(listed)) {
      for (const candidate of listed) {
        if (typeof candidate === 'string' && existsSync(absolute(candidate))) return { path: absolute(candidate), via: 'package.json' };
      }
    }
  }
  for (const candidate of conventionalConfigPaths) {
    if (existsSync(absolute(candidate))) return { path: absolute(candidate), via: 'convention' };
  }
  return null;
}
