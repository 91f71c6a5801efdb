/**
 * Builds the page (dist/web) when it is missing or older than its sources; `npm start`
 * runs this before `relscope serve`, and the end-to-end tests call `ensureWebBuilt()`.
 *
 *   tsx server/build-web.ts           build only when stale
 *   tsx server/build-web.ts --force   always build
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const projectRoot = fileURLToPath(new URL('..', import.meta.url));
export const webRoot = resolve(projectRoot, 'dist/web');
const webSources = resolve(projectRoot, 'web');

function newestUnder(dir: string): { path: string; mtime: number } | null {
  let best: { path: string; mtime: number } | null = null;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    const found = entry.isDirectory() ? newestUnder(path) : { path, mtime: statSync(path).mtimeMs };
    if (found && (!best || found.mtime > best.mtime)) best = found;
  }
  return best;
}

/** Why dist/web must be rebuilt, or null when it is up to date. */
export function staleReason(): string | null {
  const index = join(webRoot, 'index.html');
  const inputsFile = join(webRoot, 'build-inputs.json');
  // An installed package ships the built page without its sources: nothing to compare.
  if (!existsSync(webSources)) return existsSync(index) ? null : 'the page is not built (and web/ is missing)';
  if (!existsSync(index) || !existsSync(inputsFile)) return 'the page is not built yet';
  const builtAt = statSync(index).mtimeMs;
  const newestWeb = newestUnder(webSources);
  if (newestWeb && newestWeb.mtime > builtAt) return `${newestWeb.path.slice(projectRoot.length)} changed`;
  let inputs: string[] = [];
  try {
    inputs = (JSON.parse(readFileSync(inputsFile, 'utf8')) as { inputs: string[] }).inputs;
  } catch {
    return 'the build record is unreadable';
  }
  // Server modules the page imports (types, Mermaid config), the build config, and the dependencies.
  for (const rel of [...inputs, 'vite.config.ts', 'package-lock.json']) {
    const path = resolve(projectRoot, rel);
    if (!existsSync(path)) {
      if (rel === 'package-lock.json') continue;
      return `${rel} is gone`;
    }
    if (statSync(path).mtimeMs > builtAt) return `${rel} changed`;
  }
  return null;
}

export async function buildWeb(options: { quiet?: boolean } = {}): Promise<void> {
  if (!existsSync(webSources)) throw new Error(`the page's sources (${webSources}) are missing, so it cannot be built`);
  let build: typeof import('vite').build;
  try {
    ({ build } = await import('vite'));
  } catch {
    throw new Error('building the page needs Vite, a development dependency: run `npm install` in the relscope checkout');
  }
  await build({ configFile: resolve(projectRoot, 'vite.config.ts'), logLevel: options.quiet ? 'error' : 'warn' });
}

/** Builds when stale; returns what it did. Two processes building at once each finish a complete build. */
export async function ensureWebBuilt(options: { quiet?: boolean; force?: boolean } = {}): Promise<{ built: boolean; reason: string | null; ms: number }> {
  const reason = options.force ? 'forced' : staleReason();
  if (!reason) return { built: false, reason: null, ms: 0 };
  const t0 = performance.now();
  await buildWeb(options);
  return { built: true, reason, ms: performance.now() - t0 };
}

const invokedDirectly = process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) {
  const force = process.argv.includes('--force');
  const reason = force ? 'forced' : staleReason();
  if (reason) {
    console.log(`relscope: building the web page (${reason})…`);
    try {
      const { ms } = await ensureWebBuilt({ force: true, quiet: true });
      console.log(`relscope: page built in ${(ms / 1000).toFixed(1)} s`);
    } catch (error) {
      console.error(`relscope: building the page failed: ${(error as Error).message}`);
      process.exitCode = 1;
    }
  }
}
