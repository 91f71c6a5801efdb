/**
 * `npm run dev`: the relscope API server and Vite's dev server (hot reload) from one
 * command. The API runs as `relscope serve` on a free loopback port; Vite serves web/ on
 * http://127.0.0.1:5173 and proxies /api to it. Ctrl-C stops both.
 *
 *   npm run dev                     embedded database (the demo)
 *   npm run dev -- --db postgres://…   any `relscope serve` option is passed through
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { projectRoot } from './build-web.ts';

const passThrough = process.argv.slice(2).filter((a) => a !== '--');

async function startApi(): Promise<{ url: string; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', resolve(projectRoot, 'server/cli.ts'), 'serve', '--port', '0', ...passThrough], {
    cwd: projectRoot,
    stdio: ['ignore', 'pipe', 'inherit'],
    env: process.env,
  });
  const url = await new Promise<string>((resolveUrl, reject) => {
    let buffer = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      process.stdout.write(text.replace(/^/gm, '[api] ').replace(/\[api\] $/, ''));
      buffer += text;
      const m = /serving (http:\/\/\S+)/.exec(buffer);
      if (m) resolveUrl(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`the API server exited (code ${code}) before it was ready`)));
  });
  const stop = () => new Promise<void>((done) => {
    if (child.exitCode !== null || child.signalCode !== null) return done();
    child.once('exit', () => done());
    child.kill('SIGINT');
    setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
  });
  child.once('exit', (code) => {
    if (!stopping) {
      console.error(`relscope dev: the API server stopped (code ${code}); stopping.`);
      void shutdown(1);
    }
  });
  return { url, stop };
}

let stopping = false;
let stopApi: (() => Promise<void>) | null = null;
let closeVite: (() => Promise<void>) | null = null;

async function shutdown(code = 0): Promise<void> {
  if (stopping) return;
  stopping = true;
  await Promise.allSettled([closeVite?.(), stopApi?.()]);
  process.exit(code);
}

process.once('SIGINT', () => void shutdown(0));
process.once('SIGTERM', () => void shutdown(0));

try {
  const api = await startApi();
  stopApi = api.stop;
  process.env.RELSCOPE_API_URL = api.url;
  const { createServer } = await import('vite');
  const vite = await createServer({ configFile: resolve(projectRoot, 'vite.config.ts') });
  closeVite = () => vite.close();
  await vite.listen();
  const local = vite.resolvedUrls?.local[0] ?? 'http://127.0.0.1:5173/';
  console.log(`\nrelscope dev: open ${local}  (page with hot reload; /api → ${api.url})\n`);
} catch (error) {
  console.error(`relscope dev: ${(error as Error).message}`);
  await shutdown(1);
}
