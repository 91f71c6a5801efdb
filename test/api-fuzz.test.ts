import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { targets, contextFor } from './helpers/targets.ts';
import { createApp } from '../server/api.ts';
import { requestStore } from '../server/routes/requests.ts';
import type { AppContext } from '../server/context.ts';

/**
 * Fuzz: random and malformed bodies and query strings at every API route. Every answer is
 * a status below 500 with a JSON message when it is a 4xx, and the server keeps serving.
 * Deterministic (seeded PRNG), so a failure reproduces.
 */
function prng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const nasty = ['', ' ', 'null', 'undefined', 'NaN', '-1', '0', '1e309', '99999999999999999999', '1.5', 'true', '[]', '{}', '"', "'", '\\', '%00', '%', '%%', '%E0%A4%A', '..%2F..%2Fetc%2Fpasswd', '<script>alert(1)</script>', "'; drop table users; --", 'Robert"); DROP TABLE students;--', '\u0000', '\u202e', '😀', 'a'.repeat(5000), 'User', 'users', 'public.users', 'posts.comments', 'orm', 'db', 'mermaid', 'svg', 'png', 'json', 'select-in', '__proto__', 'constructor', 'toString'];

function randomValue(rand: () => number, depth = 0): unknown {
  const pick = rand();
  if (depth > 3 || pick < 0.3) return nasty[Math.floor(rand() * nasty.length)];
  if (pick < 0.45) return Math.floor(rand() * 2 ** 31) * (rand() < 0.5 ? -1 : 1);
  if (pick < 0.5) return rand() < 0.5;
  if (pick < 0.55) return null;
  if (pick < 0.75) return Array.from({ length: Math.floor(rand() * 4) }, () => randomValue(rand, depth + 1));
  const keys = ['entity', 'populate', 'where', 'orderBy', 'limit', 'offset', 'strategies', 'repeat', 'sweep', 'source', 'focus', 'depth', 'format', '__proto__', 'constructor', 'x'];
  return Object.fromEntries(Array.from({ length: Math.floor(rand() * 5) }, () => [keys[Math.floor(rand() * keys.length)]!, randomValue(rand, depth + 1)]));
}

function randomBody(rand: () => number): string {
  const kind = rand();
  if (kind < 0.15) return nasty[Math.floor(rand() * nasty.length)]!;
  if (kind < 0.25) return JSON.stringify(randomValue(rand)).slice(0, Math.floor(rand() * 40)); // truncated JSON
  if (kind < 0.3) return String.fromCharCode(...Array.from({ length: 64 }, () => Math.floor(rand() * 65536)));
  return JSON.stringify(randomValue(rand));
}

function randomQuery(rand: () => number): string {
  const keys = ['source', 'format', 'focus', 'depth', 'schema', 'collapsePivots', 'entity', 'id', 'limit', 'x', 'source[]', '__proto__'];
  const parts = Array.from({ length: Math.floor(rand() * 4) }, () => {
    const key = keys[Math.floor(rand() * keys.length)]!;
    const value = String(randomValue(rand)).slice(0, 300);
    return rand() < 0.1 ? key : `${encodeURIComponent(key)}=${rand() < 0.8 ? encodeURIComponent(value) : value.replace(/[#?&\s]/g, '')}`;
  });
  return parts.length ? `?${parts.join('&')}` : '';
}

/** Each answer (and its body) must come within this; a hang is a failure with its request named. */
const answerMs = 20_000;

async function within<T>(work: T | Promise<T>, label: string): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => { timer = setTimeout(() => resolve(undefined), answerMs); });
  try {
    return await Promise.race([work, late]);
  } catch (error) {
    throw new Error(`${label} threw: ${String(error)}`);
  } finally {
    clearTimeout(timer);
  }
}

describe('API fuzz', () => {
  let ctx: AppContext;
  beforeAll(async () => { ctx = await contextFor(targets[0]!); });
  afterAll(async () => { await ctx.close(); });

  it('answers 1,200 random and malformed requests with 4xx messages, never 500, and keeps serving', async () => {
    const app = createApp(ctx);
    const routes = app.routes.filter((r) => r.path.startsWith('/api/') && r.method !== 'ALL' && !r.path.includes('*'));
    const methods = new Map<string, Set<string>>();
    for (const r of routes) methods.set(r.path, (methods.get(r.path) ?? new Set()).add(r.method));
    expect(methods.size).toBeGreaterThan(0);
    const rand = prng(20261122);
    const failures: string[] = [];
    const statuses = new Map<number, number>();
    const total = 1200;
    const paths = [...methods.keys()].sort();
    for (let i = 0; i < total; i++) {
      const path = paths[i % paths.length]!;
      const method = [...methods.get(path)!][Math.floor(rand() * methods.get(path)!.size)]!;
      const query = randomQuery(rand);
      const init: RequestInit = { method, headers: { host: '127.0.0.1:5177', 'content-type': rand() < 0.8 ? 'application/json' : 'text/plain' } };
      if (method !== 'GET' && method !== 'HEAD') init.body = randomBody(rand);
      const label = `${method} ${path}${query} ${String(init.body ?? '').slice(0, 120)}`;
      const res = await within(app.request(`http://127.0.0.1:5177${path}${query}`, init), label);
      if (!res) {
        failures.push(`${label} -> no answer within ${answerMs} ms`);
        continue;
      }
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      if (res.status >= 500) failures.push(`${label} -> ${res.status} ${(await res.text()).slice(0, 200)}`);
      else if (res.status >= 400) {
        const body = await res.json().catch(() => null) as { error?: string } | null;
        if (!body || typeof body.error !== 'string' || body.error.length === 0) failures.push(`${method} ${path}${query} -> ${res.status} without a JSON error message`);
      } else if ((res.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
        // An event stream (GET /api/requests/stream) stays open by design: read its first
        // event, then hang up as a closing page does.
        const reader = res.body!.getReader();
        const first = await within(reader.read(), label);
        if (!first || first.done || !new TextDecoder().decode(first.value).startsWith('event: ')) failures.push(`${label} -> ${res.status} event stream without a first event`);
        await reader.cancel();
      } else if (!(await within(res.arrayBuffer(), label))) {
        failures.push(`${label} -> ${res.status} body not finished within ${answerMs} ms`);
      }
    }
    expect(failures.slice(0, 10)).toEqual([]);
    // Every event stream the fuzz hung up on has let go of the requests store.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect((requestStore(ctx) as unknown as { listeners: Set<unknown> }).listeners.size).toBe(0);
    expect((await app.request('/api/health')).status).toBe(200);
    // Most of these inputs are invalid: the fuzz must actually reach the validators.
    const rejected = [...statuses].filter(([s]) => s >= 400 && s < 500).reduce((a, [, n]) => a + n, 0);
    expect(rejected).toBeGreaterThan(total / 2);
  });
});

describe('fuzz of origins, body types, paths and request shapes', () => {
  let ctx: AppContext;
  beforeAll(async () => { ctx = await contextFor(targets[0]!); });
  afterAll(async () => { await ctx.close(); });

  it('refuses every query-running request that is not from its own origin or not JSON, and every unknown path with JSON', async () => {
    const app = createApp(ctx);
    const rand = prng(20261130);
    const pick = <T>(list: readonly T[]) => list[Math.floor(rand() * list.length)]!;
    const schemes = ['http', 'https', 'ws', 'HTTP'];
    const hosts = ['127.0.0.1', 'localhost', '[::1]', '127.0.0.2', 'evil.example', '127.0.0.1.nip.io', '0.0.0.0', 'LOCALHOST'];
    const ports = ['', ':5177', ':3000', ':8080', ':51770', ':80', ':443', ':5176'];
    const types = ['application/json', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=a', '', 'application/json5', 'text/json'];
    let checked = 0;
    for (let i = 0; i < 400; i++) {
      const origin = rand() < 0.1 ? pick(['null', '', 'garbage', 'http://']) : `${pick(schemes)}://${pick(hosts)}${pick(ports)}`;
      const type = pick(types);
      const site = pick([undefined, 'same-origin', 'same-site', 'cross-site', 'none']);
      const headers: Record<string, string> = { host: '127.0.0.1:5177', origin };
      if (type) headers['content-type'] = type;
      if (site) headers['sec-fetch-site'] = site;
      const res = await app.request('http://127.0.0.1:5177/api/compare', { method: 'POST', headers, body: '{"entity":"User","limit":1,"repeat":1,"strategies":["joined"],"explain":false}' });
      const own = origin === 'http://127.0.0.1:5177';
      const allowed = own && (site === undefined || site === 'same-origin' || site === 'none') && type === 'application/json';
      if (allowed) expect(res.status, `${origin} ${type} ${site}`).toBe(200);
      else expect([403, 415], `${origin} ${type} ${site}`).toContain(res.status);
      await res.arrayBuffer();
      checked++;
    }
    expect(checked).toBe(400);
    for (let i = 0; i < 200; i++) {
      const segment = pick(['nope', 'compare', 'health%00', 'schema/x', '..%2Fhealth', 'HEALTH', 'health/', '%2e', 'entities.json', '']);
      const method = pick(['GET', 'PUT', 'DELETE', 'PATCH']);
      const res = await app.request(`http://127.0.0.1:5177/api/${segment}`, { method, headers: { host: '127.0.0.1:5177', 'content-type': 'application/json' } });
      expect(res.status, `${method} /api/${segment}`).toBe(404);
      expect(res.headers.get('content-type') ?? '', `${method} /api/${segment}`).toMatch(/application\/json/);
      await res.arrayBuffer();
    }
  });

  it('answers 400, never 500, for where-objects built to break the validator or MikroORM', async () => {
    const app = createApp(ctx);
    const builtins = ['__proto__', 'constructor', 'toString', 'valueOf', 'hasOwnProperty', 'isPrototypeOf', 'propertyIsEnumerable', 'toLocaleString', '__defineGetter__', '__lookupGetter__'];
    const nested = (depth: number): unknown => (depth === 0 ? { id: 1 } : { $and: [nested(depth - 1)] });
    const wheres: unknown[] = [
      ...builtins.map((k) => ({ [k]: 1 })),
      ...builtins.map((k) => ({ posts: { [k]: { $eq: 1 } } })),
      ...builtins.map((k) => ({ name: { [k]: 1 } })),
      { name: { $contains: 'a' } }, { name: { $contained: { a: 1 } } }, { name: { $overlap: [1, 2] } }, { id: { $contains: [1] } },
      { posts: { title: { $contains: { deep: [1, { x: 2 }] } } } },
      nested(13), nested(200), nested(2000),
      { id: { $in: Array.from({ length: 1001 }, (_, i) => i) } },
      { $or: Array.from({ length: 2000 }, (_, i) => ({ id: i })) },
    ];
    for (const where of wheres) {
      // A computed "__proto__" key is an own property, which JSON.stringify writes as data (as JSON.parse reads it).
      const body = JSON.stringify({ entity: 'User', where, limit: 1, repeat: 1, strategies: ['joined'], explain: false });
      const raw = body;
      const res = await app.request('http://127.0.0.1:5177/api/compare', { method: 'POST', headers: { host: '127.0.0.1:5177', 'content-type': 'application/json' }, body: raw });
      const text = await res.text();
      expect(res.status, `${raw.slice(0, 160)} -> ${text.slice(0, 200)}`).toBe(400);
      expect((JSON.parse(text) as { error: string }).error.length).toBeGreaterThan(10);
    }
  });
});
