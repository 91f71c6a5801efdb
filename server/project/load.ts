import { pathToFileURL, fileURLToPath } from 'node:url';
import { dirname, extname, relative, resolve, sep } from 'node:path';
import { readFileSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as ownPostgres from '@mikro-orm/postgresql';
import { PostgreSqlDriver, type MikroORM, type Options } from '@mikro-orm/postgresql';
import { loadEnvironmentVars } from '@mikro-orm/core';
import { UserError, errorMessage } from '../errors.ts';
import { cliSettings, nearestFile, type FoundConfig } from './discover.ts';
import { prepareLoader, type LoaderChoice } from './loader.ts';
import { ensureTsx } from './tsx.ts';
import { assertNodeForProject } from './node-version.ts';
import { recordOrmModule, type PostgresModule } from './orm-module.ts';

/** A user's MikroORM project: its options, ready for relscope to initialise. */
export interface LoadedProject {
  configPath: string;
  /** e.g. "mikro-orm.config.ts (found by convention)"; shown by the CLI and the page. */
  label: string;
  options: Options;
  /** The connection the config (with MIKRO_ORM_* variables) names, as a URL (password included; never print it). */
  configUrl: string | null;
  /** How the project's TypeScript was loaded. */
  loader: LoaderChoice;
  /** MikroORM CLI's preferTs: discover `entitiesTs` rather than `entities`. */
  preferTs: boolean;
  /** How to load it again (the lab worker does, in its own thread): what loadProject was given. */
  found?: FoundConfig;
  cwd?: string;
  contextName?: string;
}

const relscopeRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * Imports the config (TypeScript through tsx, or the decorator-metadata hook; see loader.ts),
 * resolves the forms MikroORM accepts (object, array, factory, promise; contextName), and
 * checks it targets PostgreSQL. Any failure is one line naming the file and the cause.
 */
export async function loadProject(found: FoundConfig, cwd: string, contextName?: string): Promise<LoadedProject> {
  assertNodeForProject();
  const shown = relative(cwd, found.path) || found.path;
  const settings = cliSettings(cwd);
  await ensureTsx();
  const loader = prepareLoader(found.path, cwd, settings);
  let mod: Record<string, unknown>;
  try {
    mod = esModuleInterop((await import(pathToFileURL(found.path).href)) as Record<string, unknown>);
  } catch (error) {
    throw new UserError(`Could not load the MikroORM config ${shown}: ${describeError(error, cwd)}${loaderHint(error, loader)}${installHint(error, found.path, cwd)}`, { exitCode: 1, cause: error });
  }
  const wanted = contextName ?? process.env.MIKRO_ORM_CONTEXT_NAME ?? 'default';
  let options: Options;
  try {
    options = await searchConfiguration(mod.default ?? mod, wanted, shown);
  } catch (error) {
    if (error instanceof UserError) throw error;
    throw new UserError(`The MikroORM config ${shown} threw while building its options: ${describeError(error, cwd)}`, { exitCode: 1, cause: error });
  }
  const driver = options.driver as (abstract new (...args: never[]) => unknown) | undefined;
  if (driver && !extendsClassNamed(driver, 'PostgreSqlDriver')) {
    const name = driver.name || 'an unnamed driver';
    const hint = /pglite/i.test(name) ? ' (in-process PGlite has no server to connect to): point --db at a PostgreSQL server, e.g. --db postgresql://postgres@127.0.0.1:5432/mydb, and use a config with the PostgreSqlDriver' : '';
    throw new UserError(`The MikroORM config ${shown} uses ${name}; relscope reads PostgreSQL only${hint}.`, { exitCode: 1 });
  }
  const label = `${shown} (found ${found.via === 'convention' ? 'by convention' : `via ${found.via}`})`;
  const preferTs = settings.preferTs !== false;
  if (process.env.RELSCOPE_DEBUG) console.error(`relscope: loaded ${label} with ${loader.detail}${loader.tsconfig ? ` (${relative(cwd, loader.tsconfig) || loader.tsconfig})` : ''}`);
  return {
    configPath: found.path, label, options: { ...options }, configUrl: connectionUrlOf(withEnvironment(options)), loader, preferTs,
    found, cwd, ...(contextName !== undefined ? { contextName } : {}),
  };
}

/**
 * A CommonJS config compiled from ESM syntax (a NestJS project: `exports.default = ...` with
 * `__esModule`) imports as a namespace whose `default` is the whole `module.exports`, so its
 * config sits one level down, at `default.default`. Unwraps it as TypeScript's and esbuild's
 * interop helpers do. From source this happened unseen (tsx appends this same check to every
 * dynamic import in the TypeScript it compiles, relscope's own included); the compiled build
 * (dist/node) has no tsx in between, so it is done here, for both.
 */
export function esModuleInterop(mod: Record<string, unknown>): Record<string, unknown> {
  const exported = mod.default;
  return exported && typeof exported === 'object' && '__esModule' in exported ? (exported as Record<string, unknown>) : mod;
}

/** MikroORM's own rules for picking one config out of what the file exports (cli/searchConfiguration.js, 7.2). */
async function searchConfiguration(exported: unknown, contextName: string, shown: string): Promise<Options> {
  let value = await exported;
  const matches = (cfg: unknown) => typeof cfg === 'object' && cfg !== null && ('contextName' in cfg ? (cfg as Options).contextName === contextName : contextName === 'default');
  const validFactoryResult = (cfg: unknown) => typeof cfg === 'object' && cfg !== null && (!('contextName' in cfg) || (cfg as Options).contextName === contextName);
  if (Array.isArray(value)) {
    const first = value.findIndex(matches);
    if (first === -1) {
      let picked: unknown;
      for (const candidate of value) {
        if (typeof candidate !== 'function') continue;
        const result: unknown = await (candidate as (name: string) => unknown)(contextName);
        if (validFactoryResult(result)) {
          picked = result;
          break;
        }
      }
      if (picked === undefined) {
        throw new UserError(`The MikroORM config ${shown} exports ${value.length} configs and none has contextName "${contextName}"; pass --context NAME.`, { exitCode: 1 });
      }
      value = picked;
    } else {
      if (value.findLastIndex(matches) !== first) throw new UserError(`The MikroORM config ${shown} exports more than one config with contextName "${contextName}".`, { exitCode: 1 });
      value = value[first];
    }
  } else if (typeof value === 'function') {
    value = await (value as (name: string) => unknown)(contextName);
    if (!validFactoryResult(value)) {
      throw new UserError(`The function exported by ${shown} did not return a config object${contextName === 'default' ? '' : ` for contextName "${contextName}"`}.`, { exitCode: 1 });
    }
  } else if (!matches(value)) {
    if (value && typeof value === 'object' && 'contextName' in value) {
      throw new UserError(`The MikroORM config ${shown} has contextName "${String((value as Options).contextName)}", not "${contextName}"; pass --context ${String((value as Options).contextName)}.`, { exitCode: 1 });
    }
    throw new UserError(`The MikroORM config ${shown} does not export an options object (got ${value === null ? 'null' : typeof value}).`, { exitCode: 1 });
  }
  return value as Options;
}

function extendsClassNamed(cls: unknown, name: string): boolean {
  for (let c = cls; typeof c === 'function'; c = Object.getPrototypeOf(c)) {
    if ((c as { name?: string }).name === name) return true;
  }
  return false;
}

type ConnectionOptions = Options & { host?: string; port?: number; user?: string; password?: unknown; dbName?: string; clientUrl?: string; preferEnvVars?: boolean };

/** The options as MikroORM will see them: MIKRO_ORM_* variables merged in (config wins unless preferEnvVars). */
function withEnvironment(options: Options): ConnectionOptions {
  const env = loadEnvironmentVars() as ConnectionOptions;
  const o = options as ConnectionOptions;
  const defined = (x: object) => Object.fromEntries(Object.entries(x).filter(([, v]) => v !== undefined));
  return (o.preferEnvVars ? { ...o, ...defined(env) } : { ...defined(env), ...o }) as ConnectionOptions;
}

/** The connection the options name, resolved the way MikroORM does (clientUrl, then host/port/user/password/dbName on top). */
export function connectionUrlOf(options: Options): string | null {
  const o = options as ConnectionOptions;
  let url: URL;
  try {
    url = new URL(o.clientUrl ?? 'postgresql://postgres@127.0.0.1:5432');
  } catch {
    return null;
  }
  if (o.host) url.hostname = o.host;
  if (o.port) url.port = String(o.port);
  if (o.user) url.username = encodeURIComponent(o.user);
  if (typeof o.password === 'string') url.password = encodeURIComponent(o.password);
  if (o.dbName) url.pathname = `/${encodeURIComponent(o.dbName)}`;
  if (!url.pathname || url.pathname === '/') return null;
  return `postgresql:${url.toString().slice(url.protocol.length)}`;
}

/**
 * The user's options pointed at `url`, made safe for a database relscope does not own:
 * - every connection field comes from `url` (host/port/user/password/dbName too, so neither
 *   the config nor MIKRO_ORM_* variables can send relscope elsewhere), read replicas dropped;
 * - ensureDatabase / ensureIndexes off (MikroORM would otherwise CREATE DATABASE, or with
 *   `ensureDatabase: { create, clear }` create or empty tables, on first connect);
 * - relscope's pool size and no query logging.
 */
export function optionsForUrl(options: Options, url: string, poolMax: number, preferTs = true, defaultDriver: Options['driver'] = PostgreSqlDriver): Options {
  const { host: _h, port: _p, user: _u, password: _pw, dbName: _d, clientUrl: _c, replicas: _r, preferReadReplicas: _prr, ...rest } = options as Options & Record<string, unknown>;
  const parsed = new URL(url);
  const dbName = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  return {
    ...rest,
    driver: (rest.driver as Options['driver']) ?? defaultDriver,
    clientUrl: url,
    host: parsed.hostname || undefined,
    port: parsed.port ? Number(parsed.port) : 5432,
    user: parsed.username ? decodeURIComponent(parsed.username) : undefined,
    password: parsed.password ? decodeURIComponent(parsed.password) : undefined,
    ...(dbName ? { dbName } : {}),
    preferEnvVars: false,
    ensureDatabase: false,
    ensureIndexes: false,
    pool: { ...(options.pool ?? {}), min: 0, max: poolMax },
    debug: false,
    preferTs,
  } as Options;
}

/**
 * The project's own @mikro-orm/postgresql when it has one that is not relscope's: entities
 * made with one copy of @mikro-orm/core must be discovered by the same copy (EntitySchema
 * instanceof checks, the decorators' metadata storage). An installed relscope shares the
 * project's copy through its peer dependencies; `npx relscope` run without installing it, or a
 * global install, brings a second copy, and then the project's is used.
 */
export async function projectPostgres(configPath: string): Promise<{ module: PostgresModule; path: string | null }> {
  let theirs: string;
  try {
    theirs = realpathSync(createRequire(configPath).resolve('@mikro-orm/postgresql'));
  } catch {
    return { module: ownPostgres, path: null }; // the project has none of its own
  }
  let mine: string | null = null;
  try {
    mine = realpathSync(createRequire(import.meta.url).resolve('@mikro-orm/postgresql'));
  } catch {
    // resolved by a bundler or a loader that hides the path: compare nothing, load theirs
  }
  if (theirs === mine) return { module: ownPostgres, path: theirs };
  return { module: (await import(pathToFileURL(theirs).href)) as PostgresModule, path: theirs };
}

/** Discovers the entities (no database access); discovery errors name the config and the cause. */
export async function initProjectOrm(project: LoadedProject, url: string, poolMax: number): Promise<MikroORM> {
  try {
    const { module, path } = await projectPostgres(project.configPath);
    if (process.env.RELSCOPE_DEBUG && module !== ownPostgres) console.error(`relscope: using the project's own MikroORM (${path})`);
    const orm = (await module.MikroORM.init(optionsForUrl(project.options, url, poolMax, project.preferTs, module.PostgreSqlDriver))) as MikroORM;
    recordOrmModule(orm, module);
    return orm;
  } catch (error) {
    const cwd = process.cwd();
    const shown = relative(cwd, project.configPath) || project.configPath;
    throw new UserError(`Entity discovery failed for ${shown}: ${describeError(error, cwd)}${loaderHint(error, project.loader)}${installHint(error, project.configPath, cwd)}${baseDirHint(error, project, cwd)}`, { exitCode: 1, cause: error });
  }
}

/**
 * One line: the message's first line (two when the first only announces the next, like
 * esbuild's "Transform failed with 1 error:"), paths shown relative to `cwd`, plus the first
 * place in the user's own files the stack names, when the message does not already.
 */
export function describeError(error: unknown, cwd: string): string {
  const lines = errorMessage(error).split('\n').map((l) => l.trim()).filter(Boolean);
  let message = lines[0] ?? 'unknown error';
  if (message.endsWith(':') && lines[1]) message = `${message} ${lines[1]}`;
  message = relativePaths(message, cwd).replace(/[.]$/, '');
  const frame = userFrame(error);
  if (!frame) return `${message}.`;
  const file = relative(cwd, frame.file) || frame.file;
  if (message.includes(file)) return `${message}.`;
  return `${message} (at ${file}:${frame.line}).`;
}

function relativePaths(text: string, cwd: string): string {
  return text.replace(/(?:file:\/\/)?(\/[^\s:'"`()]+)/g, (whole, path: string) => {
    if (!path.startsWith('/') || path.split(sep).includes('node_modules')) return whole;
    const rel = relative(cwd, path);
    return rel && !rel.startsWith('..') ? rel : whole;
  });
}

/** Source files of relscope itself (in a checkout the test fixtures live beside them). */
const ownSources = ['server', 'entities', 'bin', 'dist'].map((dir) => resolve(relscopeRoot, dir) + sep);

function userFrame(error: unknown): { file: string; line: number } | null {
  const stack = error instanceof Error ? error.stack ?? '' : '';
  const lines = stack.split('\n');
  // An ES module link error starts its stack with "path:line" and the offending line of code.
  const head = /^((?:file:\/\/)?\/\S+?):(\d+)$/.exec(lines[0] ?? '');
  const candidates = head ? [`${head[1]}:${head[2]}:0`, ...lines.slice(1)] : lines.slice(1);
  for (const line of candidates) {
    const m = /(file:\/\/[^\s)]+|\/[^\s):]+):(\d+):\d+/.exec(line);
    if (!m) continue;
    let file = m[1]!;
    if (file.startsWith('file://')) {
      try {
        file = fileURLToPath(file.replace(/\?[^:]*$/, ''));
      } catch {
        continue;
      }
    }
    if (file.split(sep).includes('node_modules') || ownSources.some((dir) => file.startsWith(dir))) continue;
    if (!['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs', '.tsx'].includes(extname(file))) continue;
    return { file, line: Number(m[2]) };
  }
  return null;
}

/** A hint when a failure looks like the loader's doing (missing decorator metadata). */
function loaderHint(error: unknown, loader: LoaderChoice): string {
  const text = errorMessage(error);
  const early = /Cannot access '([^']+)' before initialization|'?([\w$]+)'? (?:was |is )?used before (?:its )?initiali[sz]ation/.exec(text);
  if (early) {
    const name = early[1] ?? early[2] ?? 'Target';
    return ` Entity files that import each other (a cycle) read ${name} before its module has run, which design-time type metadata does for a relation typed \`${name}\`: wrap the type in MikroORM's Rel<> (\`import { type Rel } from '@mikro-orm/core'\`, then \`${lowerFirst(name)}!: Rel<${name}>\`), or Ref<> for a reference.`;
  }
  const missing = /does not provide an export named '([^']+)'/.exec(text);
  if (missing && loader.kind !== 'tsx') {
    return ` With emitDecoratorMetadata, relscope transpiles one file at a time (${loader.detail}), as MikroORM's own oxc/swc loaders do, so an import used only as a type in a decorated property stays in the code: if ${missing[1]} is a type, import it with \`import type { ${missing[1]} }\` (what TypeScript's isolatedModules asks for, error TS1272).`;
  }
  if (loader.kind === 'tsx' && /Please provide either 'type' or 'entity' attribute|design:type|reflect-metadata|Reflect\.getMetadata/i.test(text)) {
    const tsconfig = loader.tsconfig ? relative(process.cwd(), loader.tsconfig) || loader.tsconfig : 'tsconfig.json';
    return ` The entities seem to rely on decorator metadata: set "experimentalDecorators" and "emitDecoratorMetadata" in ${tsconfig} (relscope then loads them with a metadata-aware transpiler), or give each property an explicit type.`;
  }
  return '';
}

/**
 * A hint when the package that cannot be found is one the project's package.json declares: its
 * dependencies were never installed (a fresh clone), which "Cannot find module" does not say.
 */
export function installHint(error: unknown, configPath: string, cwd: string): string {
  const missing = /Cannot find (?:module|package) '((?:@[^/'\s]+\/)?[^/'\s]+)[^']*'/.exec(errorMessage(error));
  const name = missing?.[1];
  if (!name || name.startsWith('.')) return '';
  const packageJson = nearestFile(dirname(configPath), 'package.json');
  if (!packageJson) return '';
  let pkg: Record<string, unknown>;
  try {
    pkg = JSON.parse(readFileSync(packageJson, 'utf8')) as Record<string, unknown>;
  } catch {
    return ''; // an unreadable package.json is reported by config discovery
  }
  const sections = ['dependencies', 'devDependencies', 'optionalDependencies', 'peerDependencies'];
  const declared = sections.some((key) => {
    const section = pkg[key];
    return typeof section === 'object' && section !== null && name in section;
  });
  if (!declared) return '';
  const folder = relative(cwd, dirname(packageJson));
  return ` ${name} is in ${relative(cwd, packageJson)} but not installed: run npm install (or yarn / pnpm install) ${folder ? `in ${folder}` : 'here'}.`;
}

/**
 * A hint when entity paths found nothing because relscope runs outside the project: MikroORM
 * resolves `entities` / `entitiesTs` paths from `baseDir`, which defaults to the working
 * directory, not to the config's folder (its own CLI run from elsewhere fails the same way).
 */
export function baseDirHint(error: unknown, project: Pick<LoadedProject, 'configPath' | 'options' | 'preferTs'>, cwd: string): string {
  if (!/No entities were discovered/i.test(errorMessage(error))) return '';
  const options = project.options as Options & { entitiesTs?: unknown[]; baseDir?: string };
  if (options.baseDir) return '';
  const listed = (project.preferTs && options.entitiesTs?.length ? options.entitiesTs : options.entities) ?? [];
  const paths = listed.filter((entry): entry is string => typeof entry === 'string');
  if (!paths.length) return '';
  const packageJson = nearestFile(dirname(project.configPath), 'package.json');
  const projectDir = packageJson ? dirname(packageJson) : dirname(project.configPath);
  if (resolve(projectDir) === resolve(cwd)) return '';
  return ` Its entity paths (${paths.join(', ')}) are resolved from baseDir, by default the working directory (${cwd}), not the project's folder: run relscope in ${relative(cwd, projectDir) || projectDir}, or set baseDir in the config.`;
}

function lowerFirst(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}
