import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { UserError } from '../errors.ts';

/**
 * Finds the user's MikroORM config the way MikroORM's own CLI (7.2) does:
 * 1. $MIKRO_ORM_CLI_CONFIG,
 * 2. package.json `mikro-orm.configPaths` (relative to the working directory),
 * 3. ./src/mikro-orm.config.ts, ./mikro-orm.config.ts,
 * 4. ./dist/mikro-orm.config.js (or ./build/…, or ./src/… when neither folder exists), ./mikro-orm.config.js.
 * relscope always loads TypeScript, so the .ts candidates are always tried.
 */
export function conventionalConfigPaths(cwd: string): string[] {
  const jsDir = existsSync(join(cwd, 'dist')) ? 'dist' : existsSync(join(cwd, 'build')) ? 'build' : 'src';
  return ['./src/mikro-orm.config.ts', './mikro-orm.config.ts', `./${jsDir}/mikro-orm.config.js`, './mikro-orm.config.js'];
}

export interface FoundConfig {
  path: string;
  /** How it was found, for the "which project is shown" line. */
  via: '--config' | 'MIKRO_ORM_CLI_CONFIG' | 'package.json' | 'convention';
}

/** The `mikro-orm` section of the nearest package.json (MikroORM's CLI settings), with env overrides. */
export interface CliSettings {
  configPaths?: string[];
  preferTs?: boolean;
  tsConfigPath?: string;
  /** Where the package.json was found, when one was. */
  packageJson: string | null;
}

export function cliSettings(cwd: string, env: NodeJS.ProcessEnv = process.env): CliSettings {
  const pkgPath = nearestFile(cwd, 'package.json');
  let section: Record<string, unknown> = {};
  if (pkgPath) {
    let pkg: unknown;
    try {
      pkg = JSON.parse(readFileSync(pkgPath, 'utf8'));
    } catch (error) {
      throw new UserError(`${pkgPath} is not valid JSON: ${(error as Error).message}.`);
    }
    const raw = (pkg as { 'mikro-orm'?: unknown } | null)?.['mikro-orm'];
    if (raw && typeof raw === 'object') section = raw as Record<string, unknown>;
  }
  const bool = (v: string) => ['true', 't', '1'].includes(v.toLowerCase());
  const configPaths = Array.isArray(section.configPaths) ? section.configPaths.filter((p): p is string => typeof p === 'string') : undefined;
  let preferTs = typeof section.preferTs === 'boolean' ? section.preferTs : undefined;
  if (env.MIKRO_ORM_CLI_PREFER_TS != null) preferTs = bool(env.MIKRO_ORM_CLI_PREFER_TS);
  const tsConfigPath = env.MIKRO_ORM_CLI_TS_CONFIG_PATH ?? (typeof section.tsConfigPath === 'string' ? section.tsConfigPath : undefined);
  return { configPaths, preferTs, tsConfigPath, packageJson: pkgPath };
}

export function findConfig(cwd: string, explicit?: string, env: NodeJS.ProcessEnv = process.env): FoundConfig | null {
  const absolute = (p: string) => (isAbsolute(p) ? p : resolve(cwd, p));
  if (explicit) {
    const path = absolute(explicit);
    if (!isFile(path)) throw new UserError(`--config ${explicit}: no such file (looked at ${path}).`);
    return { path, via: '--config' };
  }
  if (env.MIKRO_ORM_CLI_CONFIG) {
    const path = absolute(env.MIKRO_ORM_CLI_CONFIG);
    if (!isFile(path)) throw new UserError(`MIKRO_ORM_CLI_CONFIG names ${env.MIKRO_ORM_CLI_CONFIG}, which does not exist (looked at ${path}).`);
    return { path, via: 'MIKRO_ORM_CLI_CONFIG' };
  }
  for (const candidate of cliSettings(cwd, env).configPaths ?? []) {
    if (isFile(absolute(candidate))) return { path: absolute(candidate), via: 'package.json' };
  }
  for (const candidate of conventionalConfigPaths(cwd)) {
    if (isFile(absolute(candidate))) return { path: absolute(candidate), via: 'convention' };
  }
  return null;
}

/** What was looked for, for the "no config found" message. */
export function searchedPaths(cwd: string, env: NodeJS.ProcessEnv = process.env): string[] {
  return [...(cliSettings(cwd, env).configPaths ?? []), ...conventionalConfigPaths(cwd)];
}

/** Suffixes of config templates a project ships for each developer to copy and fill in. */
const templateSuffixes = ['.example', '.sample', '.dist', '.template'];

/**
 * Config templates beside the paths that were looked for (e.g. src/mikro-orm.config.ts.example
 * in a project that keeps its real config out of git), as paths relative to `cwd`: relscope never
 * loads them (they name someone else's database), but saying so beats showing the demo model.
 */
export function configTemplates(cwd: string, env: NodeJS.ProcessEnv = process.env): { template: string; copyTo: string }[] {
  const found: { template: string; copyTo: string }[] = [];
  for (const candidate of searchedPaths(cwd, env)) {
    for (const suffix of templateSuffixes) {
      const template = `${candidate}${suffix}`;
      if (isFile(isAbsolute(template) ? template : resolve(cwd, template))) found.push({ template, copyTo: candidate });
    }
  }
  return found;
}

/** The "copy the template" sentence for the "no config found" message, or '' when there is none. */
export function templateHint(cwd: string, env: NodeJS.ProcessEnv = process.env): string {
  const [first] = configTemplates(cwd, env);
  return first ? ` ${first.template} looks like a config template: copy it to ${first.copyTo}, with your database's connection, to see your project.` : '';
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** The first `name` in `from` or one of its parents. */
export function nearestFile(from: string, name: string): string | null {
  let dir = resolve(from);
  try {
    dir = realpathSync(dir);
  } catch {
    // a folder that does not exist has no parents worth reading
  }
  for (;;) {
    const candidate = join(dir, name);
    if (isFile(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}
