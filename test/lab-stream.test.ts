/**
 * The strategy lab's execution engine (issue 12 items 1-3, 5, 7; issue 17 item 5): the NDJSON
 * stream, cancel, the queue, budgets inside the loads, the as-configured strategy and the
 * loading options. On both databases.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineEntity, p } from '@mikro-orm/core';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { readEvents } from './helpers/ndjson.ts';
import { targets, contextFor } from './helpers/targets.ts';
import { createContext, type AppContext } from '../server/context.ts';
import { createApp } from '../server/api.ts';
import { compare } from '../server/lab/compare.ts';
import { main } from '../server/cli.ts';
import { EmbeddedPostgres } from '../server/db/embedded.ts';
import { ndjsonType, type CompareEvent, type CompareReport, type StrategyResult } from '../common/lab-types.ts';

function byStrategy(report: CompareReport): Record<string, StrategyResult> {
  return Object.fromEntries(report.strategies.map((s) => [s.strategy, s]));
}


/** The big comparison the cancel tests abandon: every lazy load of 200 users' posts and comments. */
const big = { entity: 'User', populate: 'posts.comments,comments,teams', limit: 200, strategies: 'select', explain: false, repeat: 1 };
/** The small one that must not wait for it. */
const small = { entity: 'Category', strategies: 'select-in', explain: false, repeat: 1 };

describe.each(targets)('lab execution engine on $name', (target) => {
  let ctx: AppContext;
  /** The same database with the one-at-a-time queue of an embedded database (queue semantics on both targets). */
  let queuedCtx: AppContext;
  let server: ServerType;
  let base: string;
  beforeAll(async () => {
    ctx = await contextFor(target);
    queuedCtx = await createContext({ target: { kind: target.kind, url: target.url, display: target.name, close: async () => {}, embedded: {} as EmbeddedPostgres } });
    const app = createApp(queuedCtx);
    server = await new Promise<ServerType>((ready) => { const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => ready(s)); });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((done) => server.close(() => done()));
    await queuedCtx.close();
    await ctx.close();
  });

  const post = (body: unknown, init: RequestInit = {}) => fetch(`${base}/api/compare`, {
    method: 'POST', body: JSON.stringify(body), ...init,
    headers: { 'content-type': 'application/json', accept: ndjsonType, ...(init.headers as Record<string, string> | undefined) },
  });

  it('streams NDJSON events (queued, running, each strategy, explain) before the report, which equals the plain answer', async () => {
    const request = { entity: 'User', populate: 'posts', limit: 5, repeat: 1 };
    const res = await post(request);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain(ndjsonType);
    // Events are handled as they arrive: the first strategy is in hand while the report is not.
    let reportSeenWhenFirstStrategy: boolean | null = null;
    let sawReport = false;
    const events = await readEvents(res, (e) => {
      if (e.type === 'strategy' && reportSeenWhenFirstStrategy === null) reportSeenWhenFirstStrategy = sawReport;
      if (e.type === 'report') sawReport = true;
    });
    expect(reportSeenWhenFirstStrategy).toBe(false);
    const types = events.map((e) => e.type);
    expect(types[0]).toBe('queued');
    expect(types.at(-1)).toBe('report');
    expect(types.indexOf('strategy')).toBeLessThan(types.indexOf('explain'));
    const streamed = events.filter((e): e is Extract<CompareEvent, { type: 'strategy' }> => e.type === 'strategy');
    // Cheap strategies first, the lazy select loop last; as-configured shown first in the report.
    // (A strategy repeated after the first pass is streamed again with its new runs.)
    expect([...new Set(streamed.map((e) => e.strategy))]).toEqual(['as-configured', 'select-in', 'balanced', 'joined', 'dataloader', 'select']);
    const running = events.find((e) => e.type === 'running' && e.strategy === 'select') as Extract<CompareEvent, { type: 'running' }>;
    const report = (events.at(-1) as Extract<CompareEvent, { type: 'report' }>).report;
    expect(report.strategies.map((s) => s.strategy)).toEqual(['as-configured', 'select', 'select-in', 'joined', 'balanced', 'dataloader']);
    // The select round trips are known from select-in's graph before the loop runs, exactly.
    expect(running.expectedRoundTrips).toBe(6);
    expect(byStrategy(report).select!.roundTrips).toBe(6);
    expect(byStrategy(report).select!.expectedRoundTrips).toBe(6);
    for (const e of streamed) expect(byStrategy(report)[e.strategy]!.roundTrips).toBe(e.result.roundTrips);
    // Every run count is stated.
    for (const s of report.strategies) expect(s.runs!.measured).toBe(s.wallMs.runs.length);
    // Without the header: the same report shape as before, as one JSON answer.
    const plain = await fetch(`${base}/api/compare`, { method: 'POST', body: JSON.stringify({ ...request, explain: false }), headers: { 'content-type': 'application/json' } });
    expect(plain.headers.get('content-type')).toContain('application/json');
    expect(((await plain.json()) as CompareReport).strategies).toHaveLength(6);
  });

  it('answers an invalid streamed request 400 with { error } before any stream', async () => {
    const res = await post({ entity: 'User', eager: 'maybe' });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(/^eager must be "honour"/);
  });

  it('stops a cancelled comparison: a small one started right after runs at once, not behind it', async () => {
    const controller = new AbortController();
    let abortedAt = 0;
    const bigRun = compare(queuedCtx, big, {
      signal: controller.signal,
      onEvent: (e) => {
        if (e.type === 'running') setTimeout(() => { abortedAt = performance.now(); controller.abort(); }, 300);
      },
    }).then(() => 'finished', (error: Error) => error.name);
    const bigOutcome = await bigRun;
    const stoppedAfter = performance.now() - abortedAt;
    expect(bigOutcome).toBe('AbortError');
    expect(stoppedAfter).toBeLessThan(5_000); // the loop of 2,000+ loads would run for many seconds
    const positions: number[] = [];
    const report = await compare(queuedCtx, small, { onEvent: (e) => { if (e.type === 'queued') positions.push(e.position); } });
    expect(positions).toEqual([0]);
    expect(report.strategies[0]!.status).toBe('ok');
  });

  it('drops a queued comparison whose client leaves, and tells a waiting client its place in line', async () => {
    const first = new AbortController();
    const second = new AbortController();
    const seen: number[] = [];
    const running = compare(queuedCtx, big, { signal: first.signal }).catch((e: Error) => e.name);
    const waiting = compare(queuedCtx, small, { signal: second.signal, onEvent: (e) => { if (e.type === 'queued') seen.push(e.position); } }).catch((e: Error) => e.name);
    await new Promise((r) => setTimeout(r, 100));
    second.abort();
    expect(await waiting).toBe('AbortError');
    expect(seen).toEqual([1]);
    first.abort();
    expect(await running).toBe('AbortError');
  });

  it('stops the server-side work when the HTTP client closes the stream', async () => {
    const controller = new AbortController();
    const res = await post(big, { signal: controller.signal });
    const reader = res.body!.getReader();
    await reader.read(); // queued
    controller.abort();
    // The next comparison is not stuck behind the abandoned one: it is first in line at once or shortly.
    const started = performance.now();
    const next = await post(small);
    const events = await readEvents(next);
    expect(events.at(-1)!.type).toBe('report');
    expect(performance.now() - started).toBeLessThan(10_000);
  });

  it('stops a run at the row budget before hydrating, and says so', async () => {
    const report = await compare(ctx, { entity: 'User', populate: 'posts.comments', limit: 50, maxRowsPerRun: 100, strategies: 'joined,select-in', explain: false, repeat: 1 });
    const s = byStrategy(report);
    expect(s.joined!.status).toBe('capped');
    expect(s.joined!.stoppedBy).toBe('rows');
    expect(s.joined!.notes.join(' ')).toMatch(/Stopped at the budget: stopped after receiving [\d,]+ rows, over the budget of 100 \(maxRowsPerRun\)/);
    expect(s['select-in']!.stoppedBy).toBe('rows');
  });

  it('stops at the time budget inside the lazy loop, reports what was left out, and keeps the event loop free', async () => {
    let maxLag = 0;
    let last = performance.now();
    const timer = setInterval(() => { const now = performance.now(); maxLag = Math.max(maxLag, now - last - 20); last = now; }, 20);
    try {
      const report = await compare(ctx, { ...big, strategies: 'select', timeBudgetMs: 1000 });
      const s = byStrategy(report);
      expect(report.stopped).toMatchObject({ reason: 'time' });
      expect(report.notes.join(' ')).toMatch(/stopped at its time budget of 1,000 ms/);
      expect(s.select!.status).toBe('capped');
      expect(s.select!.stoppedBy).toBe('time');
      expect(s.select!.roundTrips).toBeGreaterThan(0);
    } finally {
      clearInterval(timer);
    }
    // Timers fired between the loop's statements (a blocked loop would stall them for the whole run).
    expect(maxLag).toBeLessThan(1_000);
  });

  it('runs as-configured exactly as the entities and config load it, first, with the configuration described', async () => {
    const config = (await ctx.orm()).config;
    const saved = config.get('loadStrategy');
    try {
      const report = await compare(ctx, { entity: 'User', populate: 'posts,profile', limit: 4, repeat: 1, explain: false, strategies: 'balanced,as-configured,select-in,joined' });
      expect(report.strategies[0]!.strategy).toBe('balanced'); // the requested order is kept
      const s = byStrategy(report);
      expect(s['as-configured']!.roundTrips).toBe(s.balanced!.roundTrips); // MikroORM 7's default is balanced
      expect(report.configuration).toMatchObject({ defaultStrategy: 'balanced', roundTrips: s.balanced!.roundTrips });
      expect(report.configuration!.relations).toEqual([
        { path: 'posts', configured: null, effective: 'select-in' },
        { path: 'profile', configured: null, effective: 'joined' },
      ]);
      config.set('loadStrategy', 'select-in');
      const second = await compare(ctx, { entity: 'User', populate: 'posts,profile', limit: 4, repeat: 1, explain: false });
      const t = byStrategy(second);
      expect(second.strategies[0]!.strategy).toBe('as-configured');
      expect(t['as-configured']!.roundTrips).toBe(t['select-in']!.roundTrips);
      expect(t['as-configured']!.roundTrips).not.toBe(t.joined!.roundTrips);
      expect(second.configuration!.defaultStrategy).toBe('select-in');
      expect(second.correctness.consistent).toBe(true);
    } finally {
      config.set('loadStrategy', saved);
    }
  });

  it('applies populateWhere, populateOrderBy and fields to every strategy alike', async () => {
    const report = await compare(ctx, {
      entity: 'User', populate: 'posts', limit: 3, repeat: 1, explain: false,
      where: { id: { $gte: 100 } },
      populateWhere: { posts: { id: { $gt: 0 } } },
      populateOrderBy: { posts: { id: 'desc' } },
      fields: 'username,posts.title',
    });
    const s = byStrategy(report);
    expect(report.correctness.consistent).toBe(true);
    expect(report.request.populateOrderBy).toEqual({ posts: { id: 'desc' } });
    for (const name of ['select-in', 'joined', 'as-configured']) {
      const sql = s[name]!.groups.map((g) => g.sql).join('\n');
      expect(sql, name).toMatch(/order by[^\n]*"id" desc/i);
      expect(sql, name).not.toMatch(/"email"/); // partial loading
    }
    const lazy = s.select!.groups.map((g) => g.sql).join('\n');
    expect(lazy).toMatch(/order by[^\n]*"id" desc/i);
  });

  it('overrides eager relations on request and honours them by default', async () => {
    // Post.author made eager for this test (metadata of the shared ORM, restored afterwards).
    const meta = (await ctx.orm()).getMetadata().getByClassName('Post');
    const prop = meta.properties.author!;
    const saved = prop.eager;
    prop.eager = true;
    try {
      const honoured = await compare(ctx, { entity: 'Post', limit: 3, repeat: 1, explain: false, strategies: 'as-configured' });
      expect(honoured.configuration!.eager).toEqual(['author']);
      expect(honoured.strategies[0]!.groups.map((g) => g.sql).join('\n')).toMatch(/"users"/);
      const overridden = await compare(ctx, { entity: 'Post', limit: 3, repeat: 1, explain: false, strategies: 'as-configured', eager: 'override' });
      expect(overridden.strategies[0]!.groups.map((g) => g.sql).join('\n')).not.toMatch(/"users"/);
    } finally {
      prop.eager = saved;
    }
  });

  it('rejects bad loading options naming the API field or the CLI flag, and runs nothing', async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ populateWhere: { comments: { id: 1 } } }, /^populateWhere\.comments: only populated relations/],
      [{ populateOrderBy: { teams: { id: 'desc' } } }, /^populateOrderBy\.teams: "teams" is not a populated relation of User/],
      [{ populateOrderBy: { posts: { nope: 'desc' } } }, /^populateOrderBy\.posts: cannot order by "nope" on Post/],
      [{ fields: 'nope' }, /^fields: "nope" is not a property of User/],
      [{ exclude: 'id' }, /^exclude: the primary key id cannot be excluded/],
      [{ fields: 'name', exclude: 'email' }, /^fields and exclude cannot be combined/],
      [{ filters: ['tenant'] }, /^filters: unknown filter "tenant"/],
      [{ maxRowsPerRun: 5 }, /^maxRowsPerRun must be an integer from 100/],
      [{ timeBudgetMs: 'soon' }, /^timeBudgetMs must be an integer/],
    ];
    for (const [extra, message] of cases) {
      await expect(compare(ctx, { entity: 'User', populate: 'posts', ...extra }), JSON.stringify(extra)).rejects.toThrow(message);
    }
    const errors: string[] = [];
    const error = console.error;
    console.error = (...args: unknown[]) => { errors.push(args.map(String).join(' ')); };
    let code: number;
    try {
      code = await main(['compare', 'User', '--demo', '--db', target.url, '--populate', 'posts', '--populate-order-by', '{"posts": {"nope": "desc"}}']);
    } finally {
      console.error = error;
    }
    expect(code).toBe(2);
    expect(errors.join('')).toMatch(/--populate-order-by\.posts: cannot order by "nope" on Post/);
  });
});

/** Test-only entities on a private embedded database: every post row sleeps, so the lazy loop is slow. */
const DyingUser = defineEntity({
  name: 'DyingUser',
  tableName: 'users',
  properties: {
    id: p.integer().primary(),
    posts: () => p.oneToMany(DyingPost).mappedBy('author'),
  },
});
const DyingPost = defineEntity({
  name: 'DyingPost',
  tableName: 'posts',
  properties: {
    id: p.integer().primary(),
    nap: p.formula<number>(() => '(select 1 from pg_sleep(0.2))').type('integer'),
    author: () => p.manyToOne(DyingUser).fieldName('user_id'),
  },
});

describe('a database lost mid-comparison', () => {
  it('answers 503, not 200 with every strategy in error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'relscope-dying-'));
    const embedded = new EmbeddedPostgres(join(dir, 'pgdata'));
    const info = await embedded.start();
    const ctx = await createContext({ entities: [DyingUser, DyingPost], target: { kind: 'embedded', url: info.url, display: 'private PGlite', embedded, close: () => embedded.stop() } });
    await ctx.withClient(async (c) => {
      await c.query('create table users (id int primary key); create table posts (id int primary key, user_id int not null references users)');
      await c.query('insert into users select g from generate_series(1, 20) g; insert into posts select g, g from generate_series(1, 20) g');
    });
    const app = createApp(ctx);
    try {
      const body = JSON.stringify({ entity: 'DyingUser', populate: 'posts', limit: 20, strategies: 'select', repeat: 1, explain: false });
      const plain = app.request('/api/compare', { method: 'POST', body, headers: { 'content-type': 'application/json', host: '127.0.0.1' } });
      await new Promise((r) => setTimeout(r, 1500));
      await embedded.kill();
      const res = await plain;
      expect(res.status).toBe(503);
      expect(((await res.json()) as { error: string }).error).toMatch(/^The database is unavailable/);
    } finally {
      await ctx.close().catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
