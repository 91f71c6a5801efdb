/**
 * Runs the blog API:  DATABASE_URL=postgresql://… npx tsx examples/blog/server.ts
 * (relscope's own demo database works: `relscope serve` prints its URL with --verbose, or
 * seed one with `relscope seed --db URL`). PORT (default 3000; 0 picks a free one).
 * RELSCOPE_TRACE=0 runs it without the tracer (the benchmark's baseline).
 */
import { serve } from '@hono/node-server';
import { MikroORM } from '@mikro-orm/postgresql';
import { attach } from 'relscope/trace';
import { demoEntities } from '../../entities/index.ts';
import { createBlogApp } from './app.ts';

const url = process.env.DATABASE_URL;
if (!url) {
  console.error('examples/blog: set DATABASE_URL to a database with relscope\'s demo model (relscope seed --db URL makes one).');
  process.exit(2);
}
const orm = await MikroORM.init({ entities: demoEntities, clientUrl: url, pool: { min: 0, max: Number(process.env.POOL_MAX ?? 4) }, allowGlobalContext: false, ensureDatabase: false });

const traced = process.env.RELSCOPE_TRACE !== '0';
const tracer = traced ? attach(orm, { app: 'examples/blog', params: process.env.RELSCOPE_PARAMS === '1' }) : undefined;
const app = createBlogApp(orm, { use: tracer ? [tracer.hono()] : [] });

const server = serve({ fetch: app.fetch, port: Number(process.env.PORT ?? 3000), hostname: '127.0.0.1' }, (info) => {
  console.log(`examples/blog: listening on http://127.0.0.1:${info.port}${tracer ? ` (traced, sending to ${tracer.delivering.target ?? 'nowhere'})` : ''}`);
});

const stop = () => {
  tracer?.detach();
  server.close();
  void orm.close().then(() => process.exit(0));
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
