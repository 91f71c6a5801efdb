/**
 * Learned call sites (trace/index.ts, learnAfter): a request route's statements repeat, so after
 * three captures agreed the tracer reuses a statement's call site instead of capturing its
 * stack, captures again every eighth time, and stops reusing for good when a capture disagrees.
 * Every reused site must be the one a capture would have given.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Hono } from 'hono';
import type { MikroORM } from '@mikro-orm/postgresql';
import { targets } from './helpers/targets.ts';
import { initOrm } from '../server/orm.ts';
import { User } from '../entities/index.ts';
import { attach, type Tracer } from '../trace/index.ts';

const target = targets.find((t) => t.kind === 'embedded') ?? targets[0]!;
let orm: MikroORM;
let tracer: Tracer;

beforeAll(async () => {
  orm = await initOrm({ kind: target.kind, url: target.url, display: target.name, close: async () => {} });
  tracer = attach(orm, { send: false, keep: 200 });
});
afterAll(async () => {
  tracer?.detach();
  await orm?.close();
});

/** This file's line of the first occurrence of `marker` after the line that names it (the call site a capture gives). */
const source = (await import('node:fs')).readFileSync(new URL(import.meta.url), 'utf8').split('\n');
const lineOf = (marker: string) => source.findIndex((l) => l.includes(marker) && !l.includes('lineOf(')) + 1;

let fromSecondLine = false;

function app(): Hono {
  const hono = new Hono();
  hono.use(tracer.hono());
  hono.get('/users/:id', async (c) => {
    const em = orm.em.fork();
    const user = fromSecondLine
      ? await em.findOne(User, Number(c.req.param('id'))) // second-line
      : await em.findOne(User, Number(c.req.param('id'))); // first-line
    return c.json({ id: user?.id });
  });
  hono.get('/loop', async (c) => {
    const em = orm.em.fork();
    const users = await em.find(User, {}, { orderBy: { id: 'asc' }, limit: 4 });
    for (const user of users) await user.posts.load(); // the-loop
    return c.json(users.length);
  });
  return hono;
}

async function requests(hono: Hono, path: string, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const response = await hono.request(path);
    expect(response.status).toBe(200);
    await response.text();
    // A server's next request comes after at least one turn of the event loop, where the tracer
    // finishes the last one (and learns from it).
    await new Promise((r) => setImmediate(r));
  }
}

describe('learned call sites', () => {
  it('reuses a route\'s call sites after three agreeing captures, each one right, and captures one in eight after that', async () => {
    tracer.clear();
    fromSecondLine = false;
    const before = tracer.stacksCaptured;
    await requests(app(), '/users/2', 40);
    const scopes = tracer.scopes().filter((s) => s.name === 'GET /users/:id');
    expect(scopes).toHaveLength(40);
    for (const s of scopes) expect(s.statements.map((x) => x.callSite?.line)).toEqual([lineOf('// first-line')]);
    // 3 to learn, then every 8th of the remaining 37 uses: 4 rechecks.
    expect(tracer.stacksCaptured - before).toBe(3 + 4);
  });

  it('stops reusing when the same statement comes from another line: at most seven requests show the old one', async () => {
    tracer.clear();
    const hono = app();
    fromSecondLine = false;
    await requests(hono, '/users/3', 10);
    fromSecondLine = true;
    await requests(hono, '/users/3', 30);
    const lines = tracer.scopes().filter((s) => s.name === 'GET /users/:id').map((s) => s.statements[0]!.callSite?.line);
    const first = lineOf('// first-line');
    const second = lineOf('// second-line');
    expect(lines.slice(0, 10)).toEqual(Array(10).fill(first));
    const after = lines.slice(10);
    const stale = after.findIndex((l) => l === second);
    expect(stale).toBeGreaterThanOrEqual(0);
    expect(stale).toBeLessThanOrEqual(7);
    // Once a capture disagreed, every statement is captured and right.
    expect(after.slice(stale)).toEqual(Array(after.length - stale).fill(second));
    const captured = tracer.stacksCaptured;
    await requests(hono, '/users/3', 5);
    expect(tracer.stacksCaptured - captured).toBe(5);
  });

  it('still finds the N+1 of a loop with its relation and call site when its sites are reused', async () => {
    tracer.clear();
    await requests(app(), '/loop', 12);
    const scopes = tracer.scopes().filter((s) => s.name === 'GET /loop');
    expect(scopes).toHaveLength(12);
    for (const s of scopes) {
      const finding = s.findings.find((f) => f.kind === 'n-plus-one');
      expect(finding, s.id).toBeDefined();
      expect(finding!.relation).toBe('User.posts');
      expect(finding!.callSite?.line).toBe(lineOf('// the-loop'));
      expect(finding!.count).toBe(4);
    }
  });

  it('does not learn in scopes of tracer.scope(): a test\'s scope name says nothing about its code', async () => {
    tracer.clear();
    const before = tracer.stacksCaptured;
    for (let i = 0; i < 10; i++) await tracer.scope('same name', () => orm.em.fork().findOne(User, 1));
    expect(tracer.stacksCaptured - before).toBe(10);
  });
});
