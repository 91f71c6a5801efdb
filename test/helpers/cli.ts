/**
 * Runs relscope's CLI in the test's own process (server/cli.ts main), capturing what it prints
 * on console.log / console.error and process.stdout. Faster than a child process, and the same
 * code path: a command's exit code is main's return value.
 */
import { vi } from 'vitest';
import { main } from '../../server/cli.ts';

export interface CliRun { code: number; out: string; err: string }

export async function runCli(args: string[]): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...parts: unknown[]) => { out.push(`${parts.join(' ')}\n`); });
  const error = vi.spyOn(console, 'error').mockImplementation((...parts: unknown[]) => { err.push(`${parts.join(' ')}\n`); });
  const write = vi.spyOn(process.stdout, 'write').mockImplementation(((chunk: string | Uint8Array, ...rest: unknown[]) => {
    out.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    (rest.find((r) => typeof r === 'function') as ((e?: Error | null) => void) | undefined)?.(null);
    return true;
  }) as typeof process.stdout.write);
  try {
    return { code: await main(args), out: out.join(''), err: err.join('') };
  } finally {
    log.mockRestore();
    error.mockRestore();
    write.mockRestore();
  }
}

/** stderr lines without the "no MikroORM config found" notice the CLI prints in this repository. */
export const errorLines = (run: CliRun) => run.err.split('\n').filter((l) => l && !l.includes('no MikroORM config found'));
