import { parseArgs, type ParseArgsConfig } from 'node:util';
import { relative } from 'node:path';
import { createContext, prepareDemo, type AppContext } from '../context.ts';
import { UserError } from '../errors.ts';
import { connectionUrl } from '../db/connect.ts';
import { findConfig, searchedPaths, templateHint } from '../project/discover.ts';

/** Options every command that reads a database accepts. */
export const databaseOptions = {
  config: { type: 'string' },
  context: { type: 'string' },
  db: { type: 'string' },
  demo: { type: 'boolean' },
  'data-dir': { type: 'string' },
} as const satisfies ParseArgsConfig['options'];

export const databaseHelp = `  --config PATH     your MikroORM config (default: found like MikroORM's CLI does:
                    $MIKRO_ORM_CLI_CONFIG, package.json mikro-orm.configPaths,
                    ./src/mikro-orm.config.ts, ./mikro-orm.config.ts, then .js)
  --context NAME    which config, when the file exports several (contextName)
  --db URL          the PostgreSQL server to read (default: $DATABASE_URL, else the
                    config's own connection; the demo uses the embedded database)
  --demo            show the built-in demo model on the embedded database
  --data-dir DIR    where the embedded database keeps its files (default .relscope/pgdata)`;

type Options = NonNullable<ParseArgsConfig['options']>;

/** parseArgs with unknown options and missing values turned into one readable line. */
export function parseCommand<O extends Options>(command: string, argv: string[], options: O, allowPositionals = false) {
  try {
    return parseArgs({ args: argv, options, allowPositionals, strict: true });
  } catch (error) {
    const message = error instanceof Error ? error.message.replace(/\. To specify a positional argument.*$/s, '') : String(error);
    throw new UserError(`${command}: ${message}. See \`relscope ${command} --help\`.`);
  }
}

export interface DatabaseValues {
  config?: string;
  context?: string;
  db?: string;
  demo?: boolean;
  'data-dir'?: string;
}

/**
 * Which model and which database: the user's project when a MikroORM config is found (on
 * --db, $DATABASE_URL or the config's own connection), else the demo model (on --db /
 * $DATABASE_URL, or the embedded database). --demo always means the embedded demo.
 * The project is loaded and its entities discovered here, so a broken config stops the
 * command before anything starts.
 */
export async function contextFromOptions(values: DatabaseValues, cwd = process.cwd(), use: { database?: 'now' | 'lazy'; labMemoryMb?: number } = {}): Promise<AppContext> {
  const dataDir = values['data-dir'];
  const lab = use.labMemoryMb !== undefined ? { labMemoryMb: use.labMemoryMb } : {};
  if (values.demo) {
    if (values.config) throw new UserError('--demo and --config exclude each other: the demo has its own model.');
    return createContext({ dataDir, projectLabel: 'demo model (--demo)', ...lab });
  }
  const envUrl = process.env.DATABASE_URL || undefined;
  const found = findConfig(cwd, values.config);
  if (!found) {
    if (values.context) throw new UserError(`--context ${values.context}: no MikroORM config found in ${cwd} (looked for ${searchedPaths(cwd).join(', ')}); pass --config PATH.${templateHint(cwd)}`);
    const dbUrl = values.db ?? envUrl;
    const ctx = await createContext({ dbUrl, dataDir, projectLabel: 'demo model (no MikroORM config found)', ...lab });
    // Said once the database answered, so that a connection error stays the only line.
    console.error(`relscope: no MikroORM config found in ${cwd} (looked for ${searchedPaths(cwd).join(', ')}): showing the built-in demo model${dbUrl ? '' : ' on the embedded database'}. Pass --config PATH for your project, or --demo to say you mean the demo.${templateHint(cwd)}`);
    return ctx;
  }
  // Imported only when there is a project: it loads MikroORM (seconds).
  const { initProjectOrm, loadProject } = await import('../project/load.ts');
  const project = await loadProject(found, cwd, values.context);
  const lazy = use.database === 'lazy';
  const explicit = values.db ?? envUrl;
  // Reading the metadata alone (export --source orm) needs no database at all: MikroORM
  // connects lazily, so a config without a connection gets a placeholder it never dials.
  const rawUrl = explicit ?? project.configUrl ?? (lazy ? 'postgresql://127.0.0.1:5432/relscope_metadata_only' : null);
  if (!rawUrl) throw new UserError(`${project.label} names no database (no dbName or clientUrl); pass --db postgresql://user@host:5432/dbname.`, { exitCode: 2 });
  const dbUrl = connectionUrl(rawUrl);
  const urlOrigin = explicit ? { kind: 'option' as const } : { kind: 'config' as const, config: relative(cwd, project.configPath) || project.configPath };
  // Entity discovery needs no database: a broken entity is reported before connecting, and
  // nothing starts half-broken.
  const orm = await initProjectOrm(project, dbUrl, 4);
  try {
    return await createContext({ dbUrl, project, orm, urlOrigin, lazy, ...lab });
  } catch (error) {
    await orm.close(true).catch(() => {});
    throw error;
  }
}

export function parseIntegerOption(name: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new UserError(`--${name} must be an integer from ${min} to ${max}, got "${raw}".`);
  }
  return value;
}

/** A progress line on a terminal, silence elsewhere (CI logs stay readable). */
export function progressBar(stream: NodeJS.WriteStream = process.stderr) {
  const tty = stream.isTTY;
  return (done: number, total: number, label: string) => {
    if (!tty) return;
    const width = 24;
    const filled = Math.round((done / total) * width);
    stream.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(done).padStart(2)}/${total} ${label.padEnd(48).slice(0, 48)}`);
    if (done === total) stream.write('\n');
  };
}

/**
 * The context for export, check and lint. On the embedded database (the demo) the demo's
 * tables are created when it is still empty, as `serve` does, so a first `relscope export`
 * shows the nine demo tables; no rows are written.
 */
export async function openContext(values: DatabaseValues, use: { database?: 'now' | 'lazy' } = {}): Promise<AppContext> {
  const ctx = await contextFromOptions(values, process.cwd(), use);
  if (ctx.target.kind !== 'embedded') return ctx;
  try {
    await prepareDemo(ctx);
    return ctx;
  } catch (error) {
    await ctx.close();
    throw error;
  }
}
