import { UserError, errorMessage } from './errors.ts';

/** The verbs of the terminal; each lives in server/commands/<name>.ts. */
const commands = {
  serve: () => import('./commands/serve.ts'),
  seed: () => import('./commands/seed.ts'),
  compare: () => import('./commands/compare.ts'),
  export: () => import('./commands/export.ts'),
  check: () => import('./commands/check.ts'),
  lint: () => import('./commands/lint.ts'),
  docs: () => import('./commands/docs.ts'),
} as const satisfies Record<string, () => Promise<{ run(argv: string[]): Promise<number>; summary: string }>>;

type CommandName = keyof typeof commands;

async function usage(): Promise<string> {
  const lines = ['relscope: schema diagrams and loading-strategy plans for MikroORM + PostgreSQL', '', 'Usage: relscope <command> [options]', ''];
  for (const [name, load] of Object.entries(commands)) lines.push(`  ${name.padEnd(9)} ${(await load()).summary}`);
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
