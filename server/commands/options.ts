import { parseArgs, type ParseArgsConfig } from 'node:util';
import { createContext, type AppContext } from '../context.ts';
import { UserError } from '../errors.ts';

/** Options every command that reads a database accepts. */
export const databaseOptions = {
  db: { type: 'string' },
  demo: { type: 'boolean' },
  'data-dir': { type: 'string' },
} as const satisfies ParseArgsConfig['options'];

export const databaseHelp = `  --db URL          a PostgreSQL server (default: $DATABASE_URL, else the embedded database)
  --demo            use the embedded demo database even when DATABASE_URL is set
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

export function contextFromOptions(values: { db?: string; demo?: boolean; 'data-dir'?: string }): Promise<AppContext> {
  const dbUrl = values.demo ? undefined : (values.db ?? process.env.DATABASE_URL ?? undefined);
  return createContext({ dbUrl: dbUrl || undefined, dataDir: values['data-dir'] });
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
