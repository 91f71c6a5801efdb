#!/usr/bin/env node
/**
 * Compiles relscope's own TypeScript to JavaScript for the npm package (run by `prepack`), so
 * that `npx relscope` starts without a TypeScript compiler for relscope's code: one esbuild
 * bundle per entry point in dist/node/, code-split so that each command's modules load only
 * when that command runs (dynamic imports stay dynamic). Packages in node_modules are not
 * bundled (MikroORM, pg, playwright-core, mermaid resolve as installed).
 *
 * `import.meta.url` in a source file is rewritten to that source file's own URL (the sources
 * ship beside the build), so code that finds files next to itself (embedded-child.mjs,
 * metadata-hooks.mjs, dist/web) works the same compiled and from source.
 *
 * Adding an entry point is one line in `entryPoints` below (e.g. `trace: 'server/trace/index.ts'`
 * gives dist/node/trace.js; point package.json "exports" at it).
 */
import { build } from 'esbuild';
import { readFile, rm } from 'node:fs/promises';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = resolve(root, 'dist/node');

export const entryPoints = {
  cli: 'server/cli.ts',
  // The lab's worker thread (server/lab/lab-worker.ts starts it from dist/node/lab-worker.js).
  'lab-worker': 'server/lab/worker.ts',
};

/** Rewrites import.meta.url to the source file's URL, computed from the output file's own. */
const sourceUrls = {
  name: 'relscope-source-urls',
  setup(b) {
    b.onLoad({ filter: /\.ts$/ }, async (args) => {
      let contents = await readFile(args.path, 'utf8');
      if (!args.path.includes('/node_modules/') && contents.includes('import.meta.url')) {
        // Every output file is in dist/node/ (chunkNames below), two levels under the root.
        const fromOutput = `../../${relative(root, args.path).split('\\').join('/')}`;
        contents = contents.replaceAll('import.meta.url', `new URL(${JSON.stringify(fromOutput)}, import.meta.url).href`);
      }
      return { contents, loader: 'ts' };
    });
  },
};

await rm(outdir, { recursive: true, force: true });
const started = performance.now();
const result = await build({
  absWorkingDir: root,
  entryPoints,
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node22',
  packages: 'external',
  chunkNames: '[name]-[hash]',
  plugins: [sourceUrls],
  // server/project/tsx.ts registers tsx for a project's TypeScript only in the compiled build.
  define: { 'process.env.RELSCOPE_BUILD_COMPILED': '"1"' },
  legalComments: 'none',
  logLevel: 'warning',
  metafile: true,
});
const files = Object.keys(result.metafile.outputs).filter((f) => f.endsWith('.js'));
const bytes = files.reduce((n, f) => n + result.metafile.outputs[f].bytes, 0);
console.error(`relscope: compiled ${Object.keys(entryPoints).join(', ')} to ${relative(root, outdir)}/ (${files.length} files, ${(bytes / 1024).toFixed(0)} KiB) in ${Math.round(performance.now() - started)} ms.`);
