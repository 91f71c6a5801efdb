#!/usr/bin/env node
/**
 * Compiles relscope/trace and relscope/test (trace/tsconfig.json) into dist/trace, replacing
 * each file atomically: tsc writes into a private folder, then every file is renamed into
 * place. Test files that build it at once (two run in parallel) and a process importing
 * dist/trace meanwhile never read a half-written module.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const target = join(root, 'dist/trace');
const staging = join(root, 'dist', `.trace-${process.pid}-${Date.now()}`);
const tsc = join(root, 'node_modules/typescript/bin/tsc');

/** Every file under `dir`, relative to it. */
function files(dir, prefix = '') {
  return readdirSync(join(dir, prefix), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(dir, join(prefix, e.name)) : [join(prefix, e.name)]);
}

try {
  execFileSync(process.execPath, [tsc, '-p', join(root, 'trace/tsconfig.json'), '--outDir', staging], { stdio: 'inherit' });
  for (const file of files(staging)) {
    mkdirSync(dirname(join(target, file)), { recursive: true });
    renameSync(join(staging, file), join(target, file));
  }
} finally {
  rmSync(staging, { recursive: true, force: true });
}
