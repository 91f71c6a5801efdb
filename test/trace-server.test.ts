/**
 * The tracer and relscope serve end to end, without a browser: the example app (examples/blog,
 * a child process importing the compiled relscope/trace) sends its requests to a relscope
 * server; GET /api/requests, the SSE stream and `relscope requests` show them with the N+1 of
 * /feed (User.posts, at its line in examples/blog/app.ts) and none for /feed/fixed. The ingest
 * endpoint refuses what is not a tracer's JSON.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { targets, contextFor } from './helpers/targets.ts';
import { createApp } from '../server/api.ts';
import { run as requestsCommand, formatRequests } from '../server/commands/requests.ts';
import type { AppContext } from '../server/context.ts';
import type { TracedRequestsState } from '../common/trace-types.ts';
import { startBlog, stopChild } from './helpers/blog.ts';

const target = targets.find((t) => t.kind === 'embedded') ?? targets[0]!;
const appFile = resolve('examples/blog/app.ts');

let ctx: AppContext;
let server: ServerType;
let base: string;
let child: ChildProcess;
let appBase: string;

async function requestsState(query = ''): Promise<TracedRequestsState> {
  return (await (await fetch(`${base}/api/requests${query}`)).json()) as TracedRequestsState;
}

async function waitFor<T>(probe: () => Promise<T | undefined>, what: string): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

beforeAll(async () => {
  execFileSync(process.execPath, [resolve('tools/build-trace.mjs')], { stdio: 'inherit' }); // atomic per file: another test file may be importing dist/trace
  ctx = await contextFor(target);
  const app = createApp(ctx);
  server = await new Promise<ServerType>((ready) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => ready(s));
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  ({ child, url: appBase } = await startBlog({ DATABASE_URL: target.url, RELSCOPE_URL: base, POOL_MAX: '1' }));
});

afterAll(async () => {
  await stopChild(child);
  await new Promise<void>((done) => (server ? server.close(() => done()) : done()));
  await ctx?.close();
});

describe('tracer → relscope serve', () => {
  it('shows /feed with its N+1 on User.posts at its line, /feed/fixed without, and both answer the same', async () => {
    const feed = await (await fetch(`${appBase}/feed?limit=5`)).text();
    const fixed = await (await fetch(`${appBase}/feed/fixed?limit=5`)).text();
    expect(JSON.parse(feed)).toHaveLength(5);
    expect(feed).toBe(fixed);
    const state = await waitFor(async () => {
      const s = await requestsState();
      return s.requests.length >= 2 ? s : undefined;
    }, 'two traced requests');
    const [n1, ok] = state.requests;
    expect(n1!.name).toBe('GET /feed');
    expect(ok!.name).toBe('GET /feed/fixed');
    expect(n1!.status).toBe(200);
    expect(n1!.statements).toHaveLength(6);
    expect(ok!.statements).toHaveLength(2);
    expect(ok!.findings).toEqual([]);
    const [finding] = n1!.findings;
    expect(finding!.kind).toBe('n-plus-one');
    expect(finding!.relation).toBe('User.posts');
    expect(finding!.count).toBe(5);
    const line = readFileSync(appFile, 'utf8').split('\n').findIndex((l) => l.includes('await user.posts.load(')) + 1;
    expect(finding!.callSite).toMatchObject({ file: appFile, line });
    expect(finding!.lab).toEqual({ root: 'User', populate: ['posts'] });
    expect(n1!.statements[1]!.params).toBeUndefined();
    expect((await requestsState('?findings=1')).requests.map((r) => r.name)).toEqual(['GET /feed']);
  });

  it('streams the kept requests and then each new one as server-sent events', async () => {
    const abort = new AbortController();
    const response = await fetch(`${base}/api/requests/stream`, { signal: abort.signal });
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const reader = response.body!.getReader();
    let text = '';
    const readUntil = async (re: RegExp) => {
      while (!re.test(text)) {
        const { value, done } = await reader.read();
        if (done) break;
        text += new TextDecoder().decode(value);
      }
    };
    await readUntil(/event: state\ndata: .*\n\n/);
    await fetch(`${appBase}/users/3`);
    await readUntil(/event: request\ndata: .*GET \/users\/:id/);
    expect(text).toMatch(/event: request\ndata: .*"name":"GET \/users\/:id"/);
    abort.abort();
  });

  it('`relscope requests` prints them and exits 1 when one has an N+1', async () => {
    const lines: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string) => { lines.push(String(chunk)); return true; }) as typeof process.stdout.write;
    let code: number;
    try {
      code = await requestsCommand(['--url', base, '--findings']);
    } finally {
      process.stdout.write = write;
    }
    expect(code).toBe(1);
    expect(lines.join('')).toContain('GET /feed');
    expect(lines.join('')).toContain('N+1: N+1 in GET /feed: loading User.posts');
    expect(formatRequests({ requests: [], dropped: { byTracers: 0, byServer: 0 } })).toContain('No traced requests yet');
    const one = { n: 7, name: 'GET /books', statements: [{ ms: 1.5 }], findings: [], durationMs: 3, source: { pid: 1, app: 'app.ts' } };
    expect(formatRequests({ requests: [one as unknown as TracedRequestsState['requests'][number]], dropped: { byTracers: 0, byServer: 0 } })).toContain('#7 GET /books  1 statement, 1.50 ms in SQL');
  });

  it('ingest takes JSON from the tracer only: other content types, bad fields and foreign origins are refused', async () => {
    const post = (body: string, headers: Record<string, string>) => fetch(`${base}/api/trace`, { method: 'POST', body, headers });
    const form = await post('v=1', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(form.status).toBe(415);
    const text = await post('{}', { 'content-type': 'text/plain' });
    expect(text.status).toBe(415);
    const bad = await post(JSON.stringify({ v: 1, source: { pid: 1, app: 'x' }, dropped: 0, scopes: [{ id: 'a', name: 'n', kind: 'scope', startedAt: 0, durationMs: 1, statements: [{ seq: 0 }], statementsDropped: 0, findings: [] }] }), { 'content-type': 'application/json' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toContain('scopes[0].statements[0].sql must be a string');
    const foreign = await post(JSON.stringify({ v: 1, source: { pid: 1, app: 'x' }, dropped: 0, scopes: [] }), { 'content-type': 'application/json', origin: 'http://evil.example' });
    expect(foreign.status).toBe(403);
    const before = (await requestsState()).requests.length;
    const good = await post(JSON.stringify({ v: 1, source: { pid: 1, app: 'x' }, dropped: 7, scopes: [] }), { 'content-type': 'application/json' });
    expect(good.status).toBe(200);
    const after = await requestsState();
    expect(after.requests.length).toBe(before);
    expect(after.dropped.byTracers).toBe(7);
  });

  it('a statement whose load path this server does not know (a newer tracer) is kept without it, not refused', async () => {
    const statement = { seq: 0, sql: 'select 1', fingerprint: 'select ?', paramCount: 0, startMs: 0, ms: 1, rows: 1 };
    const scope = (via: unknown) => ({ id: `future-via-${String(via)}`, name: 'GET /future', kind: 'scope', startedAt: 0, durationMs: 1, statements: [{ ...statement, via }], statementsDropped: 0, findings: [] });
    const post = (via: unknown) => fetch(`${base}/api/trace`, { method: 'POST', body: JSON.stringify({ v: 1, source: { pid: 1, app: 'x' }, dropped: 0, scopes: [scope(via)] }), headers: { 'content-type': 'application/json' } });
    const future = await post('someday');
    expect(future.status).toBe(200);
    const kept = (await requestsState()).requests.find((r) => r.id === 'future-via-someday');
    expect(kept?.statements[0]).toMatchObject({ sql: 'select 1' });
    expect(kept?.statements[0]?.via).toBeUndefined();
    expect((await post('connect')).status).toBe(200);
    expect((await requestsState()).requests.find((r) => r.id === 'future-via-connect')?.statements[0]?.via).toBe('connect');
    expect((await post(42)).status).toBe(400);
  });
});
