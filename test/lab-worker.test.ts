/**
 * The lab worker (issues 12 and 17): comparisons served by POST /api/compare run in a worker
 * thread, so a synchronous hydration never blocks the server (/api/health answers meanwhile);
 * cancel stops a worker stuck in one by terminating it; a comparison over the worker's memory
 * budget ends with one line naming the cause and the fix, and the next one gets a new worker.
 * On both databases.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { readEvents } from './helpers/ndjson.ts';
import { targets } from './helpers/targets.ts';
import { createContext, type AppContext, type ContextOptions } from '../server/context.ts';
import { createApp } from '../server/api.ts';
import { EmbeddedPostgres } from '../server/db/embedded.ts';
import { CrashingUserSchema, HeavyUserSchema, SlowPost, SlowUser, heavyConstructorMs } from './fixtures/lab-worker/entities.ts';
import { ndjsonType, type CompareEvent, type CompareReport } from '../common/lab-types.ts';
import type { Health } from '../common/api-types.ts';
import { embeddedBusy } from '../server/lab/queue.ts';

const fixture = new URL('./fixtures/lab-worker/entities.ts', import.meta.url).href;
/** The main thread's model and the worker's, from the same module. */
const heavyModel = { entities: [HeavyUserSchema], ormSource: { model: 'module', moduleUrl: fixture, exportNames: ['HeavyUserSchema'] } } satisfies ContextOptions;

interface Served {
  ctx: AppContext;
  base: string;
  close(): Promise<void>;
}

async function served(options: ContextOptions): Promise<Served> {
  const ctx = await createContext(options);
  const app = createApp(ctx);
  const server = await new Promise<ServerType>((ready) => { const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => ready(s)); });
  return {
    ctx,
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      await new Promise<void>((done) => server.close(() => done()));
      await ctx.close();
    },
  };
}

function postCompare(base: string, body: unknown, init: RequestInit = {}): Promise<Response> {
  return fetch(`${base}/api/compare`, { method: 'POST', body: JSON.stringify(body), ...init, headers: { 'content-type': 'application/json', accept: ndjsonType } });
}


const reportOf = (events: CompareEvent[]) => (events.at(-1)?.type === 'report' ? (events.at(-1) as Extract<CompareEvent, { type: 'report' }>).report : null);

describe.each(targets)('lab worker on $name', (target) => {
  const database = { kind: target.kind, url: target.url, display: target.name, close: async () => {} };

  describe('with a hydration that blocks its thread', () => {
    let app: Served;
    beforeAll(async () => { app = await served({ ...heavyModel, target: database }); });
    afterAll(async () => { await app.close(); });

    it('answers /api/health while a comparison is inside a synchronous hydration', async () => {
      // Eight users: eight constructor calls of heavyConstructorMs each, all inside one em.find.
      const res = await postCompare(app.base, { entity: 'HeavyUser', limit: 8, strategies: 'select-in', explain: false, repeat: 1 });
      expect(res.status).toBe(200);
      const order: string[] = [];
      let health: Promise<void> | null = null;
      const events = await readEvents(res, (e) => {
        if (e.type === 'running') {
          order.push('running');
          health = fetch(`${app.base}/api/health`).then(async (h) => {
            expect(h.status).toBe(200);
            await h.json();
            order.push('health');
          });
        }
        if (e.type === 'strategy') order.push('strategy');
      });
      await health;
      expect(reportOf(events)?.strategies[0]!.status).toBe('ok');
      expect(reportOf(events)!.strategies[0]!.wallMs.median).toBeGreaterThanOrEqual(8 * heavyConstructorMs);
      // In the server's own thread the health request would wait for the whole hydration.
      expect(order).toEqual(['running', 'health', 'strategy']);
    });
  });

  describe('on the one-at-a-time queue', () => {
    let app: Served;
    // The queue of an embedded database (its key is the target's embedded process), on both databases.
    beforeAll(async () => { app = await served({ ...heavyModel, target: { ...database, embedded: {} as EmbeddedPostgres } }); });
    afterAll(async () => { await app.close(); });

    it('cancels a comparison stuck in a hydration by terminating its worker; the next one runs on a new worker', async () => {
      const worker = app.ctx.labWorker()!;
      const client = new AbortController();
      // Twenty users: five seconds of constructors inside one load, far longer than the one second a worker has to see an abort.
      const res = await postCompare(app.base, { entity: 'HeavyUser', limit: 20, strategies: 'select-in', explain: false, repeat: 1 }, { signal: client.signal });
      const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
      let seen = '';
      while (!seen.includes('"running"')) seen += (await reader.read()).value ?? '';
      const threadBefore = worker.threadId;
      expect(threadBefore).not.toBeNull();
      await new Promise((r) => setTimeout(r, 2 * heavyConstructorMs)); // inside the hydration now
      client.abort();
      const next = await postCompare(app.base, { entity: 'HeavyUser', limit: 1, strategies: 'select-in', explain: false, repeat: 1 });
      const positions: number[] = [];
      const events = await readEvents(next, (e) => { if (e.type === 'queued') positions.push(e.position); });
      expect(reportOf(events)?.strategies[0]!.status).toBe('ok');
      // Second in line while the abandoned one's worker had its second to answer, then first: that
      // worker was stopped (a new one ran this), not waited for through five seconds of hydration.
      expect(positions.at(-1)).toBe(0);
      expect(positions.length).toBeLessThanOrEqual(2);
      expect(worker.started).toBe(2);
      expect(worker.threadId).not.toBe(threadBefore);
    });
  });

  describe('with a small memory budget', () => {
    let app: Served;
    beforeAll(async () => { app = await served({ target: database, labMemoryMb: 96 }); });
    afterAll(async () => { await app.close(); });

    it('stops a comparison at the budget with one line naming the cause and the fix; the server and the next comparison are fine', async () => {
      // Hundreds of thousands of joined rows (the row budget raised out of the way) do not fit in 96 MB.
      const big = { entity: 'User', populate: 'posts.comments,comments,teams', limit: 200, strategies: 'joined', explain: false, repeat: 1, maxRowsPerRun: 2_000_000 };
      const streamed = await readEvents(await postCompare(app.base, big));
      const last = streamed.at(-1) as Extract<CompareEvent, { type: 'error' }>;
      expect(last.type).toBe('error');
      expect(last.status).toBe(503);
      expect(last.error).toMatch(/^The comparison stopped at the lab's memory budget of 96 MB \(its worker ran out of heap; the server is unaffected\): lower limit \(--limit\), populate fewer paths, or raise the budget \(relscope serve --lab-memory MB, or RELSCOPE_LAB_MEMORY_MB\)\.$/);
      expect(last.error.split('\n')).toHaveLength(1);
      // The plain answer says the same with its status.
      const plain = await fetch(`${app.base}/api/compare`, { method: 'POST', body: JSON.stringify(big), headers: { 'content-type': 'application/json' } });
      expect(plain.status).toBe(503);
      expect(((await plain.json()) as { error: string }).error).toMatch(/memory budget of 96 MB/);
      expect((await fetch(`${app.base}/api/health`)).status).toBe(200);
      const next = await fetch(`${app.base}/api/compare`, { method: 'POST', body: JSON.stringify({ entity: 'Category', strategies: 'select-in', explain: false, repeat: 1 }), headers: { 'content-type': 'application/json' } });
      expect(next.status).toBe(200);
      expect(((await next.json()) as CompareReport).strategies[0]!.status).toBe('ok');
      expect(app.ctx.labWorker()!.started).toBe(3);
    });
  });

  it('ends only the comparison whose worker crashed, with 500 and one line; the next runs on a new worker', async () => {
    const app = await served({
      entities: [CrashingUserSchema, HeavyUserSchema],
      ormSource: { model: 'module', moduleUrl: fixture, exportNames: ['CrashingUserSchema', 'HeavyUserSchema'] },
      target: database,
    });
    try {
      const crashed = await fetch(`${app.base}/api/compare`, { method: 'POST', body: JSON.stringify({ entity: 'CrashingUser', limit: 1, strategies: 'select-in', explain: false, repeat: 1 }), headers: { 'content-type': 'application/json' } });
      expect(crashed.status).toBe(500);
      const { error } = (await crashed.json()) as { error: string };
      expect(error).toBe('Internal error: The lab worker stopped (it exited with code 3); this comparison ended, the next one starts a new worker.');
      expect((await fetch(`${app.base}/api/health`)).status).toBe(200);
      const events = await readEvents(await postCompare(app.base, { entity: 'HeavyUser', limit: 1, strategies: 'select-in', explain: false, repeat: 1 }));
      expect(reportOf(events)?.strategies[0]!.status).toBe('ok');
      expect(app.ctx.labWorker()!.started).toBe(2);
    } finally {
      await app.close();
    }
  });

  it('still answers 400 for an invalid request before any stream, running nothing', async () => {
    const app = await served({ target: database });
    try {
      const res = await postCompare(app.base, { entity: 'User', eager: 'maybe' });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: string }).error).toMatch(/^eager must be "honour"/);
      expect(app.ctx.labWorker()!.started).toBe(0);
    } finally {
      await app.close();
    }
  });
});

describe('lab worker on a private embedded database', () => {
  it('asks the main thread to kill and restart the database when an EXPLAIN runs past its timeout', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'relscope-worker-watchdog-'));
    const embedded = new EmbeddedPostgres(join(dir, 'pgdata'));
    const info = await embedded.start();
    const app = await served({
      entities: [SlowUser, SlowPost],
      ormSource: { model: 'module', moduleUrl: fixture, exportNames: ['SlowUser', 'SlowPost'] },
      target: { kind: 'embedded', url: info.url, display: 'private PGlite', embedded, close: () => embedded.stop() },
    });
    try {
      await app.ctx.withClient(async (c) => {
        await c.query('create table users (id int primary key); create table posts (id int primary key, user_id int not null references users)');
        await c.query('insert into users values (1), (2); insert into posts values (1, 1), (2, 1), (3, 2)');
      });
      const pidBefore = embedded.pid;
      const idle = (await (await fetch(`${app.base}/api/health`)).json()) as Health;
      expect(idle).toMatchObject({ readingAgeMs: 0, tables: { 'public.users': 2, 'public.posts': 3 } });
      expect(idle.busy).toBeUndefined();
      const answer = fetch(`${app.base}/api/compare`, {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ entity: 'SlowUser', populate: 'posts', limit: 1, repeat: 1, strategies: ['select-in'], explainTimeoutMs: 200 }),
      });
      // While the comparison holds the one-statement-at-a-time database, health answers the
      // last reading at once (saying so) instead of queueing behind the comparison.
      while (!embeddedBusy(app.ctx)) await new Promise((r) => setTimeout(r, 5));
      const during = (await (await fetch(`${app.base}/api/health`)).json()) as Health;
      expect(during).toMatchObject({ busy: 'comparison', tables: idle.tables, database: { serverVersion: idle.database.serverVersion } });
      expect(during.readingAgeMs).toBeGreaterThan(0);
      const res = await answer;
      expect(res.status).toBe(200);
      const report = (await res.json()) as CompareReport;
      const groups = report.strategies[0]!.groups;
      expect(groups[0]!.explain.status, groups[0]!.explain.error).toBe('timed-out');
      expect(groups[0]!.explain.timeout).toMatchObject({ ms: 200, method: 'watchdog' });
      expect(groups[1]!.explain.status, groups[1]!.explain.error).toBe('analyzed');
      expect(embedded.running).toBe(true);
      expect(embedded.pid).not.toBe(pidBefore);
      expect(app.ctx.labWorker()!.started).toBe(1);
    } finally {
      await app.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
