import { databaseHelp, databaseOptions, parseCommand, progressBar } from './options.ts';
import { createContext, prepareDemo } from '../context.ts';
import { UserError } from '../errors.ts';

export const summary = 'create the demo schema and fill it with deterministic data';

export const help = `relscope seed [--scale N] [--reset] [--db URL]

Creates the demo model's tables if the database is empty and fills them with
deterministic data: scale 1 is about 1k users, 10k posts, 30k comments.
On a database that already has other tables nothing is changed unless --reset
is given, and then only the demo tables are dropped and recreated.

  --scale N         data volume (default 1; 0.1 to 100)
  --reset           drop and recreate the demo tables first
${databaseHelp}`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseCommand('seed', argv, { ...databaseOptions, scale: { type: 'string' }, reset: { type: 'boolean' }, help: { type: 'boolean' } });
  if (values.help) {
    console.log(help);
    return 0;
  }
  const scale = values.scale === undefined ? 1 : Number(values.scale);
  if (!(scale >= 0.01 && scale <= 100)) throw new UserError(`--scale must be a number from 0.01 to 100, got "${values.scale}".`);
  if (values.config || values.context) throw new UserError('seed fills the built-in demo model only; it never writes to your project, so --config and --context do not apply.');
  // Always the demo model, whatever MikroORM config the folder holds: seed writes, and it
  // must never do so with a user's entities.
  const dbUrl = values.demo ? undefined : (values.db ?? (process.env.DATABASE_URL || undefined));
  const ctx = await createContext({ dbUrl, dataDir: values['data-dir'] });
  try {
    const started = performance.now();
    // The embedded database is relscope's own: re-seeding it needs no --reset.
    const reseed = values.reset || ctx.target.kind === 'embedded';
    const result = await prepareDemo(ctx, { reset: values.reset, scale, progress: progressBar() });
    if (!result.seeded && reseed) {
      const again = await prepareDemo(ctx, { reset: true, scale, progress: progressBar() });
      Object.assign(result, again);
    }
    if (!result.seeded) {
      throw new UserError(`The demo tables in ${ctx.target.display} already hold data (${result.rows.users} users); pass --reset to replace it.`);
    }
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.log(`Seeded scale ${scale} into ${ctx.target.display} in ${seconds} s:`);
    for (const [table, rows] of Object.entries(result.rows)) console.log(`  ${table.padEnd(16)} ${String(rows).padStart(9)}`);
    return 0;
  } finally {
    await ctx.close();
  }
}
