/**
 * Issue 6, part 2: relscope never creates, alters, drops or writes anything in a database it
 * did not create. Every command `relscope --help` lists (the commands map in server/cli.ts,
 * so commands added later are covered, or this test fails asking for their arguments) runs
 * against a database, and so does every API endpoint of `relscope serve`; a fingerprint of
 * the catalogs, exact row counts, row contents and sequence values taken before must equal
 * the one taken after.
 *
 * Databases: a user project (the legacy-shop fixture: the decorator-metadata loader, a
 * reserved-word table, composite keys) on the embedded engine and, with DATABASE_URL, on the
 * server; plus the demo model on the server (no config found in the folder).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { createApi } from '../server/api.ts';
import type { AppContext } from '../server/context.ts';
import { ScratchDatabases, fingerprint, fixturesRoot, listedCommands, relscope, serve, setupFixtureDatabase, type RunResult } from './fixtures/tools/harness.ts';

interface Target {
  name: string;
  /** The folder relscope runs in: a project, or one without a config (the demo model). */
  cwd: string;
  model: 'project' | 'demo';
  url: string;
  /** An entity and populate paths for compare. */
  compare: { entity: string; populate: string };
  /** Rows for cascade (a plain and a composite key). */
  cascade: { entity: string; id: string }[];
}

interface Invocation {
  args: string[];
  /** Exit codes that count as "ran as designed" (lint and check exit 1 on findings / differences). */
  codes: number[];
}

type Plan = ((t: Target, out: string) => Invocation[]) | { skip: (t: Target) => string | null; then?: (t: Target, out: string) => Invocation[] };

const ok = [0];

/**
 * How each command is run. A command missing here fails the test: add its arguments (every
 * variant that reads the database: formats that need no browser, sources, options).
 * `serve` is driven separately (every API endpoint, below).
 */
const commandPlans: Record<string, Plan> = {
  // Every format that needs no browser, both sources; the files feed `check` below.
  export: (t, out) => [
    { args: ['export', '--format', 'markdown', '--source', 'db', '--drift', '--out', join(out, `${t.model}.md`)], codes: ok },
    { args: ['export', '--format', 'mermaid', '--source', 'orm', '--collapse-pivots', '--out', join(out, `${t.model}.mmd`)], codes: ok },
    { args: ['export', '--format', 'json', '--source', 'db', '--out', join(out, `${t.model}.json`)], codes: ok },
    { args: ['export', '--format', 'json', '--source', 'orm'], codes: ok },
  ],
  // After export (the map's order): checks the files export wrote.
  check: (t, out) => [
    ...['md', 'mmd', 'json'].map((ext) => ({ args: ['check', join(out, `${t.model}.${ext}`)], codes: ok })),
    { args: ['check', join(out, `${t.model}-docs`), '--rows'], codes: ok },
  ],
  // lint exits 1 when a finding is an error; either way it ran.
  lint: () => [{ args: ['lint', '--format', 'json'], codes: [0, 1] }],
  // The docs folder (row counts read in a read-only transaction); check reads it below.
  docs: (t, out) => [{ args: ['docs', '--out', join(out, `${t.model}-docs`), '--source', 'db'], codes: ok }],
  compare: (t) => [{ args: ['compare', t.compare.entity, '--populate', t.compare.populate, '--repeat', '1', '--sweep', '1,2', '--format', 'json'], codes: ok }],
  // The preview counts what a delete would remove; every format, plain and composite keys.
  cascade: (t) => t.cascade.flatMap((c, i) => [{ args: ['cascade', c.entity, c.id, '--format', i ? 'markdown' : 'json'], codes: ok }, ...(i ? [] : [{ args: ['cascade', c.entity, c.id], codes: ok }])]),
  // requests reads a relscope server's traced requests (GET /api/requests), never the database;
  // it takes no --db (exit 2), and no server answers on port 9 (exit 1): either way no query ran.
  requests: () => [{ args: ['requests', '--url', 'http://127.0.0.1:9', '--format', 'json'], codes: [1, 2] }],
  // seed writes by design, into the demo's own tables; on a user project it must refuse.
  seed: {
    skip: (t) => (t.model === 'demo' ? 'seed (re)creates the demo tables by design; the demo database here is the fixture' : null),
    then: () => [{ args: ['seed', '--reset', '--scale', '0.01'], codes: [1, 2] }],
  },
};

/** Query strings or bodies per API endpoint; an endpoint missing here is called bare (GET) or fails the test (POST). */
const endpointPlans: Record<string, (t: Target) => { query?: string; body?: unknown; stream?: boolean }[]> = {
  'GET /health': () => [{}],
  'GET /schema': () => [{ query: 'source=orm' }, { query: 'source=db' }],
  'GET /diagram': () => [{ query: 'source=orm' }, { query: 'source=db&collapsePivots=1' }, { query: 'format=text' }],
  'GET /drift': () => [{}],
  'GET /lint': () => [{ query: 'source=orm' }, { query: 'source=db' }],
  'GET /entities': () => [{}],
  'POST /compare': (t) => [{ body: { entity: t.compare.entity, populate: t.compare.populate, repeat: 1, sweep: [1, 2] } }],
  'GET /cascade': (t) => t.cascade.map((c) => ({ query: `entity=${encodeURIComponent(c.entity)}&id=${encodeURIComponent(c.id)}` })),
  // What relscope/trace sends: kept in memory, no query runs.
  'POST /trace': () => [{ body: { v: 1, source: { pid: 1, app: 'readonly-test' }, dropped: 0, scopes: [{ id: 's1', name: 'GET /x', kind: 'scope', startedAt: 0, durationMs: 1, statements: [], statementsDropped: 0, findings: [] }] } }],
  'GET /requests': () => [{}],
  // Server-sent events stay open: read the first event, then hang up as a page does.
  'GET /requests/stream': () => [{ stream: true }],
};

function apiEndpoints(): string[] {
  // Route registration touches no context; the handlers are never called here.
  const api = createApi({} as AppContext);
  const seen = new Set<string>();
  for (const r of api.routes) if (r.method === 'GET' || r.method === 'POST') seen.add(`${r.method} ${r.path}`);
  return [...seen].sort();
}

/** Runs `items` with at most `limit` at a time, keeping their order in the results. */
async function pooled<T, R>(items: T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i]!);
    }
  }));
  return results;
}

const dbs = new ScratchDatabases();
let out = '';
let demoFolder = '';
beforeAll(() => {
  out = mkdtempSync(join(tmpdir(), 'relscope-readonly-'));
  demoFolder = mkdtempSync(join(tmpdir(), 'relscope-readonly-demo-'));
});
afterAll(async () => {
  await dbs.close();
  if (out) rmSync(out, { recursive: true, force: true });
  if (demoFolder) rmSync(demoFolder, { recursive: true, force: true });
});

const targets: { label: string; make: () => Promise<Target> }[] = [];
for (const kind of dbs.kinds()) {
  targets.push({
    label: `a user project (legacy-shop) on the ${kind} database`,
    make: async () => {
      const db = await dbs.fresh(kind, 'readonly-shop');
      const cwd = join(fixturesRoot, 'legacy-shop');
      await setupFixtureDatabase(cwd, db.url);
      return { name: db.name, cwd, model: 'project', url: db.url, compare: { entity: 'Order', populate: 'lines.product,customer' }, cascade: [{ entity: 'Customer', id: '1' }, { entity: 'OrderLine', id: 'order=1,lineNo=1' }] };
    },
  });
}
if (dbs.serverUrl) {
  targets.push({
    label: 'the demo model (no config in the folder) on the server database',
    make: async () => {
      const db = await dbs.fresh('server', 'readonly-demo');
      const seeded = await relscope(['seed', '--scale', '0.02', '--db', db.url], demoFolder);
      if (seeded.code !== 0) throw new Error(`seeding the demo failed:\n${seeded.stderr}`);
      return { name: db.name, cwd: demoFolder, model: 'demo', url: db.url, compare: { entity: 'User', populate: 'posts.comments,profile' }, cascade: [{ entity: 'User', id: '1' }, { entity: 'Membership', id: '{"user":1,"team":3}' }] };
    },
  });
}

describe.each(targets)('read-only: $label', ({ make }) => {
  it('every command and every API endpoint leaves the catalogs, rows and sequences unchanged', async () => {
    const t = await make();
    const before = await fingerprint(t.url);
    const commands = await listedCommands(t.cwd);
    const unplanned = commands.filter((c) => c !== 'serve' && !(c in commandPlans));
    expect(unplanned, `commands without an entry in commandPlans (add their arguments): ${unplanned.join(', ')}`).toEqual([]);

    const ran: string[] = [];
    const failures: string[] = [];
    const record = (what: string, result: RunResult, codes: number[]) => {
      ran.push(what);
      if (!codes.includes(result.code ?? -1)) failures.push(`${what} exited ${result.code} (expected ${codes.join(' or ')}):\n${result.stderr.slice(0, 1500)}`);
    };
    // export and docs first: check reads the files they write.
    const writers = ['export', 'docs'];
    const ordered = [...commands.filter((c) => writers.includes(c)), ...commands.filter((c) => !writers.includes(c) && c !== 'serve')];
    for (const name of ordered) {
      const plan = commandPlans[name]!;
      let invocations: Invocation[];
      if (typeof plan === 'function') invocations = plan(t, out);
      else {
        const reason = plan.skip(t);
        if (reason) {
          ran.push(`${name}: skipped (${reason})`);
          continue;
        }
        invocations = plan.then?.(t, out) ?? [];
      }
      const results = await pooled(invocations, 3, (inv) => relscope([...inv.args, '--db', t.url], t.cwd));
      invocations.forEach((inv, i) => record(`relscope ${inv.args.join(' ')}`, results[i]!, inv.codes));
    }

    if (commands.includes('serve')) {
      const server = await serve(['--db', t.url], { cwd: t.cwd });
      try {
        for (const endpoint of apiEndpoints()) {
          const [method, path] = endpoint.split(' ') as [string, string];
          if (path.includes(':')) {
            failures.push(`${endpoint} has path parameters: add values for it to endpointPlans`);
            continue;
          }
          const plan = endpointPlans[endpoint];
          if (!plan && method !== 'GET') {
            failures.push(`${endpoint}: add a request body for it to endpointPlans`);
            continue;
          }
          for (const call of plan ? plan(t) : [{}]) {
            const url = `${server.baseUrl}/api${path}${call.query ? `?${call.query}` : ''}`;
            const abort = new AbortController();
            const response = await fetch(url, call.body === undefined ? { signal: abort.signal } : { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(call.body), signal: abort.signal });
            let text: string;
            if (call.stream) {
              const reader = response.body!.getReader();
              text = new TextDecoder().decode((await reader.read()).value);
              abort.abort();
            } else text = await response.text();
            ran.push(`${method} ${url.slice(server.baseUrl.length)}`);
            if (response.status !== 200) failures.push(`${method} ${url} answered ${response.status}: ${text.slice(0, 500)}`);
          }
        }
      } finally {
        const stopped = await server.stop();
        if (stopped.code !== 0) failures.push(`serve exited ${stopped.code} on SIGINT:\n${stopped.stderr}`);
      }
    }

    const after = await fingerprint(t.url);
    expect(failures).toEqual([]);
    expect(ran.length).toBeGreaterThan(10);
    // The whole fingerprint, compared part by part for a readable diff.
    for (const key of Object.keys(before)) expect(after[key], `${key} changed on ${t.name} after: ${ran.join('; ')}`).toEqual(before[key]);
    expect(Object.keys(after)).toEqual(Object.keys(before));
  }, 600_000); // ~30 s on an idle machine; a dozen child processes slow down a lot on a busy one (load 20 on 2 cores: 4-5 min)
});

describe('the fingerprint', () => {
  it('notices a written row, an update that keeps the count, DDL, a comment and a used sequence', async () => {
    const db = await dbs.fresh('embedded', 'fingerprint');
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      await client.query(`create table "Mixed" (id serial primary key, name text not null); insert into "Mixed" (name) values ('a'), ('b')`);
      const changes = [
        `insert into "Mixed" (name) values ('c')`,
        `update "Mixed" set name = 'z' where id = 1`,
        `alter table "Mixed" add column extra int`,
        `create index on "Mixed" (name)`,
        `comment on table "Mixed" is 'hello'`,
        `select nextval('"Mixed_id_seq"')`,
        `create schema other`,
      ];
      for (const sql of changes) {
        const before = await fingerprint(db.url);
        await client.query(sql);
        expect(await fingerprint(db.url), sql).not.toEqual(before);
      }
      const before = await fingerprint(db.url);
      await client.query(`begin read only; select * from "Mixed"; rollback`);
      expect(await fingerprint(db.url), 'a read-only transaction').toEqual(before);
    } finally {
      await client.end();
    }
  });
});
