import { fileURLToPath } from 'node:url';
import { serve } from '@hono/node-server';
import { databaseHelp, databaseOptions, contextFromOptions, parseCommand, parseIntegerOption, progressBar } from './options.ts';
import { prepareDemo } from '../context.ts';
import { createApp } from '../api.ts';
import { UserError } from '../errors.ts';
import { defaultMaxBodyBytes } from '../security.ts';
import { defaultLabMemoryMb } from '../lab/lab-worker.ts';

export const summary = 'serve the page and the API on http://127.0.0.1:5177';

export const help = `relscope serve [--port 5177] [--host 127.0.0.1] [--db URL] [--lab-memory MB]

Serves the web page and the API. On the embedded database the demo model is
created and seeded (scale 1) on first start.

  --port N          port to listen on (default 5177)
  --max-body BYTES  largest request body accepted (default 1048576; larger: 413)
  --host ADDR       address to bind (default 127.0.0.1; anything else is reachable
                    from other machines, so relscope warns)
  --lab-memory MB   heap budget of the worker thread comparisons run in (default
                    $RELSCOPE_LAB_MEMORY_MB, else a quarter of the memory, 512-2048);
                    a comparison that needs more stops with a message
${databaseHelp}`;

export const webRoot = fileURLToPath(new URL('../../dist/web', import.meta.url));

export async function run(argv: string[]): Promise<number> {
  const { values } = parseCommand('serve', argv, { ...databaseOptions, port: { type: 'string' }, host: { type: 'string' }, 'max-body': { type: 'string' }, 'lab-memory': { type: 'string' }, help: { type: 'boolean' } });
  if (values.help) {
    console.log(help);
    return 0;
  }
  const port = parseIntegerOption('port', values.port, 5177, 0, 65535);
  const maxBodyBytes = parseIntegerOption('max-body', values['max-body'], defaultMaxBodyBytes, 1024, 1024 ** 3);
  const labMemoryMb = parseIntegerOption('lab-memory', values['lab-memory'], defaultLabMemoryMb(), 64, 64 * 1024);
  const host = values.host ?? '127.0.0.1';
  if (host !== '127.0.0.1' && host !== 'localhost' && host !== '::1') {
    console.warn(`relscope: warning: binding ${host} makes this server, which runs queries on your database, reachable from other machines.`);
  }
  const ctx = await contextFromOptions(values, process.cwd(), { labMemoryMb });
  if (ctx.target.kind === 'embedded') {
    const { rows, seeded } = await prepareDemo(ctx, { scale: 1, progress: progressBar() });
    if (seeded) console.log(`relscope: seeded the demo database (${rows.users} users, ${rows.posts} posts, ${rows.comments} comments).`);
  }
  ctx.target.embedded?.supervise();
  const app = createApp(ctx, { webRoot, extraHosts: [host], maxBodyBytes });
  // Comparisons run in a worker thread with its own ORM: started now, in the background, so the first Run does not wait for it.
  ctx.labWorker()?.warm();
  let server: ReturnType<typeof serve>;
  try {
    server = await new Promise<ReturnType<typeof serve>>((listening, failed) => {
      const s = serve({ fetch: app.fetch, port, hostname: host }, (info) => {
        s.off('error', failed);
        console.log(`relscope: serving http://${host.includes(':') ? `[${host}]` : host}:${info.port} on ${ctx.target.display}`);
        listening(s);
      });
      s.once('error', failed);
    });
  } catch (error) {
    await ctx.close();
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new UserError(`Port ${port} on ${host} is already in use: stop what listens there, or pass --port N (0 picks a free one).`, { exitCode: 1 });
    if (code === 'EADDRNOTAVAIL') throw new UserError(`Cannot listen on ${host}: it is not an address of this machine; pass --host 127.0.0.1.`, { exitCode: 1 });
    if (code === 'EACCES') throw new UserError(`Not allowed to listen on port ${port}: ports below 1024 need root; pass --port 5177.`, { exitCode: 1 });
    throw error;
  }
  await new Promise<void>((resolveStop) => {
    let stopping = false;
    const stop = () => {
      if (stopping) return;
      stopping = true;
      server.close();
      void ctx.close().finally(resolveStop);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  return 0;
}
