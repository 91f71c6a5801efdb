import pg from 'pg';
import { resolve } from 'node:path';
import { EmbeddedPostgres } from './embedded.ts';
import { DatabaseUnavailableError, UserError, isConnectionError } from '../errors.ts';

export type DatabaseKind = 'embedded' | 'external';

/** Where relscope reads from: the embedded demo database it owns, or a server the user names. */
export interface DatabaseTarget {
  kind: DatabaseKind;
  /** Connection string; may hold a password, so never print it: use `display`. */
  url: string;
  /** The URL with any password removed, safe for logs, answers and files. */
  display: string;
  /** A few words for narrow places (the page's header): "embedded PGlite", "db.example:5432/app". */
  label?: string;
  /** Present for the embedded database: the watchdog stops and restarts it through this. */
  embedded?: EmbeddedPostgres;
  /** Where an external URL came from, for the fix a connection error suggests (default: --db / DATABASE_URL). */
  urlOrigin?: UrlOrigin;
  close(): Promise<void>;
}

/** --db / $DATABASE_URL, or the MikroORM config's own connection (named by its path). */
export type UrlOrigin = { kind: 'option' } | { kind: 'config'; config: string };

export const defaultDataDir = '.relscope/pgdata';

export interface OpenOptions {
  /** An external server (--db or DATABASE_URL). Without it, the embedded database starts. */
  dbUrl?: string;
  /** Where the embedded database keeps its files. */
  dataDir?: string;
  /** Where dbUrl came from (the hint of a connection error). */
  urlOrigin?: UrlOrigin;
  /** Do not check that the server answers now (commands that may never need it, e.g. export --source orm). */
  lazy?: boolean;
}

export async function openDatabase(options: OpenOptions): Promise<DatabaseTarget> {
  if (options.dbUrl) {
    const url = connectionUrl(options.dbUrl);
    if (!options.lazy) await assertReachable(url, 5000, options.urlOrigin);
    return { kind: 'external', url, display: redactUrl(url), label: shortLabel(url), urlOrigin: options.urlOrigin, close: async () => {} };
  }
  const embedded = new EmbeddedPostgres(resolve(options.dataDir ?? defaultDataDir));
  const info = await embedded.start();
  return {
    kind: 'embedded',
    // Follows the child: a restart that had to take another port changes it.
    get url() {
      return embedded.lastUrl ?? info.url;
    },
    display: `embedded PostgreSQL ${info.version} (PGlite) in ${embedded.dataDir}`,
    label: 'embedded PGlite',
    embedded,
    close: () => embedded.stop(),
  };
}

/**
 * The connection string relscope uses everywhere: a password given in any form (userinfo,
 * `?password=`, $PGPASSWORD) ends up in the userinfo, the one place every client reads
 * (MikroORM parses clientUrl itself and ignores `?password=`; pg would then be handed no
 * string and fail with "SASL: client password must be a string").
 */
export function connectionUrl(raw: string, env: NodeJS.ProcessEnv = process.env): string {
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new UserError(`--db / DATABASE_URL is not a URL: expected postgresql://user@host:5432/dbname.`);
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new UserError(`--db / DATABASE_URL uses "${parsed.protocol.replace(':', '')}"; relscope reads PostgreSQL only (postgresql://user@host:5432/dbname).`);
  }
  const fromQuery = parsed.searchParams.get('password');
  parsed.searchParams.delete('password');
  const password = parsed.password ? decodeURIComponent(parsed.password) : (fromQuery ?? env.PGPASSWORD ?? '');
  if (password) parsed.password = encodeURIComponent(password);
  return parsed.toString();
}

/** Query parameters that hold a secret (`password`, `sslpassword`, ...). */
const secretParam = /pass|secret|token|key$/i;

/** host:port/database, without user or password. */
export function shortLabel(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname}:${parsed.port || '5432'}${decodeURIComponent(parsed.pathname)}`;
  } catch {
    return 'PostgreSQL';
  }
}

export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    for (const name of [...parsed.searchParams.keys()]) if (secretParam.test(name)) parsed.searchParams.set(name, '***');
    return parsed.toString();
  } catch {
    return '(unparseable database URL)';
  }
}

/** One line naming host, port, the reason and what to do. */
export function describeConnectError(url: string, error: unknown, origin?: UrlOrigin): string {
  let where = 'the database';
  try {
    const parsed = new URL(url);
    where = `PostgreSQL at ${parsed.hostname || 'localhost'}:${parsed.port || '5432'}${parsed.pathname && parsed.pathname !== '/' ? ` (database ${decodeURIComponent(parsed.pathname.slice(1))})` : ''}`;
  } catch {
    // keep the generic wording
  }
  const err = error as NodeJS.ErrnoException & { code?: string };
  const code = err?.code;
  const reasons: Record<string, string> = {
    ECONNREFUSED: 'connection refused (is the server running and listening there?)',
    ENOTFOUND: 'host not found: check the host name',
    ETIMEDOUT: 'connection timed out: check the host, port and firewall',
    ECONNRESET: 'the connection was reset by the server',
    '28P01': 'password authentication failed: check the user and password',
    '28000': 'the server refused this user: check pg_hba.conf and the user name',
    '3D000': 'that database does not exist: create it or fix the name',
    '57P03': 'the server is starting up or shutting down: try again shortly',
  };
  const reason = (code && reasons[code]) ?? (err instanceof Error ? err.message : String(error));
  const fix = origin?.kind === 'config'
    ? `The connection comes from ${origin.config}: fix it there (or the MIKRO_ORM_* variables), or pass --db postgresql://user@host:5432/dbname`
    : 'Fix --db / DATABASE_URL, or omit it to use the embedded database';
  return `Cannot connect to ${where}: ${reason.replace(/[.]$/, '')}. ${fix}.`;
}

export async function assertReachable(url: string, timeoutMs = 5000, origin?: UrlOrigin): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs });
  client.on('error', () => {}); // the query or connect in flight rejects on its own
  try {
    await client.connect();
    await client.query('select 1');
  } catch (error) {
    throw new DatabaseUnavailableError(describeConnectError(url, error, origin), error);
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * A small pool for relscope's own short queries (health, catalog fingerprints): under load,
 * fifty concurrent page requests share a few connections instead of opening fifty, which
 * PGlite (eight connections, one backend) and busy servers would refuse.
 */
export function createPool(target: Pick<DatabaseTarget, 'kind' | 'url'>): pg.Pool {
  const pool = new pg.Pool({
    connectionString: target.url,
    max: target.kind === 'embedded' ? 1 : 4,
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 10_000,
  });
  // An idle client whose database went away: the pool drops it, the next request reconnects.
  pool.on('error', () => {});
  // And one that is checked out (see withPooledClient): never an unhandled 'error' event.
  pool.on('connect', (client) => client.on('error', () => {}));
  return pool;
}

export async function withPooledClient<T>(pool: pg.Pool, url: string, work: (client: pg.PoolClient) => Promise<T>, origin?: UrlOrigin): Promise<T> {
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (error) {
    throw new DatabaseUnavailableError(describeConnectError(url, error, origin), error);
  }
  // pg-pool removes its own error listener while a client is checked out; a connection lost
  // meanwhile (the embedded database killed) would then be an unhandled 'error' event that
  // ends the whole process. Here it only marks the client broken: the query in flight rejects
  // on its own and ends this request alone.
  let broken = false;
  const lost = () => { broken = true; };
  client.on('error', lost);
  try {
    return await work(client);
  } catch (error) {
    broken ||= isConnectionError(error);
    throw error;
  } finally {
    client.off('error', lost);
    if (broken) client.on('error', () => {}); // it is being destroyed; late socket errors are moot
    client.release(broken || undefined);
  }
}
