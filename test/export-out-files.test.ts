/**
 * `relscope export --out` and the kinds of file it may meet: a symlink is written through to
 * its target, a FIFO or device is written into and stays what it is, only a regular file is
 * replaced by a rename, and an empty name is bad input.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, execFileSync } from 'node:child_process';
import { chmodSync, lstatSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { targets } from './helpers/targets.ts';
import { errorLines, runCli, type CliRun } from './helpers/cli.ts';

type Run = CliRun;

const relscope = runCli;

const errors = errorLines;

let dir: string;
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'relscope-out-')); });
afterAll(() => { rmSync(dir, { recursive: true, force: true }); });

const target = targets[0]!;
const exportTo = (out: string) => relscope(['export', '--format', 'mermaid', '--source', 'db', '--out', out, '--db', target.url]);

describe('export --out and file types', () => {
  it('writes a symlink\'s target and keeps the link (also a dangling link and a chain)', async () => {
    const real = join(dir, 'real.mmd');
    writeFileSync(real, 'old\n');
    const link = join(dir, 'link.mmd');
    symlinkSync('real.mmd', link);
    const chain = join(dir, 'chain.mmd');
    symlinkSync(link, chain);
    const run = await exportTo(chain);
    expect(run.code, run.err).toBe(0);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(lstatSync(chain).isSymbolicLink()).toBe(true);
    expect(readlinkSync(link)).toBe('real.mmd');
    expect(readFileSync(real, 'utf8')).toMatch(/^%% relscope export .*\nerDiagram\n/);

    const dangling = join(dir, 'dangling.mmd');
    symlinkSync('created-by-export.mmd', dangling);
    expect((await exportTo(dangling)).code).toBe(0);
    expect(lstatSync(dangling).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(dir, 'created-by-export.mmd'), 'utf8')).toContain('erDiagram');
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('writes into a FIFO, which stays a FIFO', async () => {
    const fifo = join(dir, 'pipe');
    execFileSync('mkfifo', [fifo]);
    const reader = spawn('cat', [fifo], { stdio: ['ignore', 'pipe', 'ignore'] });
    let read = '';
    reader.stdout.on('data', (d: Buffer) => { read += d.toString(); });
    const run = await exportTo(fifo);
    await new Promise((r) => reader.on('exit', r));
    expect(run.code, run.err).toBe(0);
    expect(statSync(fifo).isFIFO()).toBe(true);
    expect(read).toContain('erDiagram');
  });

  it.runIf(process.getuid?.() === 0)('writes into a character device, which stays a device (as root)', async () => {
    // A private copy of /dev/null (major 1, minor 3): the real one is never at risk here.
    const device = join(dir, 'null');
    execFileSync('mknod', [device, 'c', '1', '3']);
    const run = await exportTo(device);
    expect(run.code, run.err).toBe(0);
    expect(statSync(device).isCharacterDevice()).toBe(true);
    expect(statSync(device).rdev).toBe(statSync('/dev/null').rdev);
  });

  it('replaces a regular file through a rename, keeping its permissions', async () => {
    const file = join(dir, 'plain.mmd');
    writeFileSync(file, 'old\n');
    chmodSync(file, 0o640);
    const inode = statSync(file).ino;
    expect((await exportTo(file)).code).toBe(0);
    expect(statSync(file).mode & 0o777).toBe(0o640);
    expect(statSync(file).ino).not.toBe(inode); // a new file renamed over the old one
    expect(readFileSync(file, 'utf8')).toContain('erDiagram');
  });

  it('takes --out "" as bad input: one line, exit 2, nothing on stdout', async () => {
    for (const out of ['', '  ']) {
      const run = await exportTo(out);
      expect(run.code).toBe(2);
      expect(errors(run)).toEqual(['relscope: --out needs a file name; leave --out out to write to stdout.']);
      expect(run.out).toBe('');
    }
  });
});

describe('compare --strategies ""', () => {
  it('is bad input, as [""] is for the API', async () => {
    const run = await relscope(['compare', 'User', '--populate', 'profile', '--strategies', '', '--db', target.url]);
    expect(run.code).toBe(2);
    expect(errors(run).join('\n')).toMatch(/strategies must name at least one strategy/);
  });
});
