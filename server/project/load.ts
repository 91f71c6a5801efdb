import { pathToFileURL } from 'node:url';
import { relative } from 'node:path';
import { MikroORM, type Options } from '@mikro-orm/postgresql';
import { UserError, errorMessage } from '../errors.ts';
import type { FoundConfig } from './discover.ts';

/** A user's MikroORM project: its options, ready for relscope to initialise. */
export interface LoadedProject {
  configPath: string;
  /** e.g. "mikro-orm.config.ts (found by convention)"; shown by the CLI and the page. */
  label: string;
  options: Options;
  /** The connection the config itself names, as a URL (password included; never print it). */
  configUrl: string | null;
}

type ConfigExport = Options | Options[] | (() => Options | Options[] | Promise<Options | Options[]>);

/**
 * Imports the config (TypeScript loads through tsx, registered by bin/relscope.js and
 * `npm start`), resolves the forms MikroORM accepts (object, array, function, promise),
 * and checks it targets PostgreSQL. Any failure is one line naming the file and the cause.
 */
export async function loadProject(found: FoundConfig, cwd: string, contextName?: string): Promise<LoadedProject> {
  const shown = relative(cwd, found.path) || found.path;
  let mod: { default?: ConfigExport } & Record<string, unknown>;
  try {
    mod = await import(pathToFileURL(found.path).href);
  } catch (error) {
    throw new UserError(`Could not load the MikroORM config ${shown}: ${firstLine(error)}`, { exitCode: 1, cause: error });
  }
  let exported: unknown = mod.default ?? mod.config ?? mod;
  try {
    if (typeof exported === 'function') exported = await (exported as () => unknown)();
    exported = await exported;
  } catch (error) {
    throw new UserError(`The MikroORM config ${shown} threw while building its options: ${firstLine(error)}`, { exitCode: 1, cause: error });
  }
  let options = exported as Options | Options[];
  if (Array.isArray(options)) {
    const wanted = contextName ?? 'default';
    const match = options.find((o) => (o.contextName ?? 'default') === wanted);
    if (!match) throw new UserError(`The MikroORM config ${shown} exports ${options.length} configs and none has contextName "${wanted}"; pass --context NAME.`, { exitCode: 1 });
    options = match;
  }
  if (!options || typeof options !== 'object') {
    throw new UserError(`The MikroORM config ${shown} does not export an options object (got ${typeof options}).`, { exitCode: 1 });
  }
  const driverName = (options.driver as { name?: string } | undefined)?.name;
  if (driverName && !/postgre/i.test(driverName)) {
    throw new UserError(`The MikroORM config ${shown} uses ${driverName}; relscope reads PostgreSQL only.`, { exitCode: 1 });
  }
  const label = `${shown} (found ${found.via === 'convention' ? 'by convention' : `via ${found.via}`})`;
  return { configPath: found.path, label, options: { ...options }, configUrl: connectionUrlOf(options) };
}

/** The connection the options name, resolved the way MikroORM does (clientUrl, or host/port/user/password/dbName). */
export function connectionUrlOf(options: Options): string | null {
  const o = options as Options & { host?: string; port?: number; user?: string; password?: string | (() => unknown); dbName?: string; clientUrl?: string };
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
  url.protocol = 'postgresql:';
  return url.toString();
}

/**
 * The user's options pointed at `url`, with relscope's pool and logging. Connection fields
 * the config sets are dropped: MikroORM lets host/port/user/password win over clientUrl.
 */
export function optionsForUrl(options: Options, url: string, poolMax: number): Options {
  const { host: _h, port: _p, user: _u, password: _pw, dbName: _d, clientUrl: _c, ...rest } = options as Options & Record<string, unknown>;
  return { ...rest, clientUrl: url, pool: { ...(options.pool ?? {}), min: 0, max: poolMax }, debug: false } as Options;
}

/** Discovers the entities (no database access); discovery errors name the config. */
export async function initProjectOrm(project: LoadedProject, url: string, poolMax: number): Promise<MikroORM> {
  try {
    return await MikroORM.init(optionsForUrl(project.options, url, poolMax));
  } catch (error) {
    throw new UserError(`Entity discovery failed for ${relative(process.cwd(), project.configPath) || project.configPath}: ${firstLine(error)}`, { exitCode: 1, cause: error });
  }
}

function firstLine(error: unknown): string {
  return errorMessage(error).split('\n')[0]!.trim();
}
