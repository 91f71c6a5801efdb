import { UserError, errorMessage } from './errors.ts';

/** The verbs of the terminal; each lives in server/commands/<name>.ts. */
const commands = {
  serve: () => import('./commands/serve.ts'),
  seed: () => import('./commands/seed.ts'),
  compare: () => import('./commands/compare.ts'),
  export: () => import('./commands/export.ts'),
  check: () => import('./commands/check.ts'),
  lint: () => import('./commands/lint.ts'),
  requests: () => import('./commands/requests.ts'),
  cascade: () => import('./commands/cascade.ts'),
  docs: () => import('./commands/docs.ts'),
} as const satisfies Record<string, () => Promise<{ run(argv: string[]): Promise<number>; summary: string }>>;

type CommandName = keyof typeof commands;

/**
 * One line per command for --help, written here so that --help loads no command (serve alone
 * pulls in the whole server); each command module exports the same `summary` (tested).
 */
export const summaries: Record<CommandName, string> = {
  serve: 'serve the page and the API on http://127.0.0.1:5177',
  seed: 'create the demo schema and fill it with deterministic data',
  compare: 'run one ORM load under every loading strategy, EXPLAIN each statement, compare',
  export: 'write the schema as Mermaid, Markdown, SVG, PNG or JSON',
  check: 'exit 1 when a file written by export no longer matches the schema (for CI)',
  lint: 'drift (orm vs db) and schema advice, grouped by severity; exit 1 on errors',
  docs: 'write a docs folder (README, one page per table, schema.json), like tbls doc',
  requests: 'requests traced in your app (relscope/trace) with their N+1 and duplicate findings',
  cascade: 'what deleting one row would remove or null, by the ORM and by the database (nothing is deleted)',
};

async function usage(): Promise<string> {
  const lines = ['relscope: schema diagrams and loading-strategy plans for MikroORM + PostgreSQL', '', 'Usage: relscope <command> [options]', ''];
  for (const name of Object.keys(commands) as CommandName[]) lines.push(`  ${name.padEnd(9)} ${summaries[name]}`);
  lines.push('', 'Run `relscope <command> --help` for its options.');
  return lines.join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(await usage());
    return name ? 0 : 2;
  }
  if (!(name in commands)) {
    console.error(`relscope: unknown command "${name}". Commands: ${Object.keys(commands).join(', ')}.`);
    return 2;
  }
  try {
    const command = await commands[name as CommandName]();
    return await command.run(rest);
  } catch (error) {
    if (error instanceof UserError) {
      console.error(`relscope: ${error.message}`);
      return error.exitCode;
    }
    console.error(`relscope: ${errorMessage(error)}`);
    if (process.env.RELSCOPE_DEBUG) console.error(error);
    return 1;
  }
}

const invokedDirectly = process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (invokedDirectly || process.env.RELSCOPE_BIN === '1') {
  process.exitCode = await main(process.argv.slice(2));
}
