/**
 * The embedded database's wire server (server/db/pglite-wire.mjs) shares one PGlite session
 * among several client connections. Clients must take turns by whole protocol cycles: with
 * single messages interleaved (pglite-socket 0.2), a parameterised query from one client ran
 * another's portal ("portal \"\" does not exist") and a CLI reading the catalog while two
 * others did saw a table without its primary key.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { EmbeddedPostgres } from '../server/db/embedded.ts';
import { explainStatement } from '../server/lab/explain.ts';

let dir = '';
let embedded: EmbeddedPostgres;
let url = '';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'relscope-wire-'));
  embedded = new EmbeddedPostgres(join(dir, 'pgdata'));
  url = (await embedded.start()).url;
}, 60_000);
afterAll(async () => {
  await embedded?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function clients(n: number): Promise<pg.Client[]> {
  return Promise.all(Array.from({ length: n }, async () => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    return c;
  }));
}

describe('the embedded database with several connections', () => {
  it('gives each client its own results when parameterised queries and transactions interleave', async () => {
    const cs = await clients(6);
    const wrong: string[] = [];
    try {
      await Promise.all(cs.map(async (c, i) => {
        for (let k = 0; k < 60; k++) {
          const n = 1 + ((i * 37 + k) % 40);
          const r = await c.query('select g, $2::text as who from generate_series(1, $1::int) g', [n, `c${i}`]);
          if (r.rows.length !== n || r.rows.some((row) => row.who !== `c${i}`)) wrong.push(`client ${i} asked for ${n} rows, got ${r.rows.length} (${r.rows[0]?.who})`);
          if (k % 3 === 0) {
            await c.query('begin read only');
            const inside = await c.query('select $1::int as k', [k]);
            if (inside.rows[0].k !== k) wrong.push(`client ${i} in a transaction got ${inside.rows[0].k} for ${k}`);
            await c.query('rollback');
          }
        }
      }));
    } finally {
      await Promise.all(cs.map((c) => c.end()));
    }
    expect(wrong).toEqual([]);
  }, 60_000);

  it('keeps a transaction to its client: the others wait until it ends', async () => {
    const [a, b] = await clients(2);
    try {
      await a!.query('create temp table if not exists wire_probe (v int)');
      await a!.query('begin');
      await a!.query('insert into wire_probe values (1)');
      let bSaw: number | null = null;
      const bDone = b!.query('select 1 as one').then(() => { bSaw = Date.now(); });
      await new Promise((r) => setTimeout(r, 150));
      expect(bSaw).toBeNull(); // b's query is not run inside a's open transaction
      const rolledBackAt = Date.now();
      await a!.query('rollback');
      await bDone;
      expect(bSaw).not.toBeNull();
      expect(bSaw!).toBeGreaterThanOrEqual(rolledBackAt);
    } finally {
      await Promise.all([a!.end(), b!.end()]);
    }
  });

  it('rolls back the transaction of a client that leaves in it, and serves the others', async () => {
    const [a, b] = await clients(2);
    a!.on('error', () => {}); // its own end is the point here
    await a!.query('begin');
    await a!.query('select 1');
    const waiting = b!.query("select current_setting('transaction_read_only') as ro, now() = statement_timestamp() as fresh");
    // A client that vanishes (a killed CLI) without Terminate.
    (a as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
    const r = await waiting;
    expect(r.rows[0]).toEqual({ ro: 'off', fresh: true });
    await b!.end();
    await a!.end().catch(() => {});
  });

  it('answers a client past the connection limit with one error naming the limit', async () => {
    // embedded-child.mjs takes 8 unless told; test/setup/databases.ts raises it for the suite.
    const limit = Number(process.env.RELSCOPE_PGLITE_MAX_CONNECTIONS ?? '8');
    const cs = await clients(limit);
    try {
      const extra = new pg.Client({ connectionString: url });
      await expect(extra.connect()).rejects.toThrow(new RegExp(`too many clients.*takes ${limit}`));
      await extra.end().catch(() => {});
    } finally {
      await Promise.all(cs.map((c) => c.end()));
    }
  });

  it('refuses COPY FROM STDIN in one line, and stays usable (PGlite would lose the whole session)', async () => {
    const [c] = await clients(1);
    try {
      await c!.query('create temp table copy_probe (a int)');
      await expect(c!.query('copy copy_probe from stdin')).rejects.toThrow(/COPY FROM STDIN is not supported by the embedded database.*INSERT/);
      expect((await c!.query('select 41 + 1 as n')).rows[0].n).toBe(42);
    } finally {
      await c!.end();
    }
  });

  it('answers SSLRequest with N so that sslmode=prefer clients connect in plain text', async () => {
    const port = new URL(url).port;
    const answer = await new Promise<string>((resolve, reject) => {
      const s = connect(Number(port), '127.0.0.1', () => {
        const m = Buffer.alloc(8);
        m.writeInt32BE(8, 0);
        m.writeInt32BE(80877103, 4);
        s.write(m);
      });
      s.once('data', (d) => { resolve(d.toString('latin1')); s.destroy(); });
      s.once('error', reject);
    });
    expect(answer).toBe('N');
  });
});

describe('a cancelled EXPLAIN on the embedded database without its watchdog', () => {
  it('waits for its statement on its own connection, so the next query of any client runs (no second connection while it holds the session)', async () => {
    const pool = new pg.Pool({ connectionString: url, max: 4 });
    try {
      const abort = new AbortController();
      setTimeout(() => abort.abort(), 150);
      const started = performance.now();
      const result = await explainStatement({ pool, kind: 'embedded' }, 'select pg_sleep(0.6)', [], { timeoutMs: 5000, signal: abort.signal });
      expect(result.status).toBe('skipped');
      expect(result.error).toMatch(/cancelled/);
      const next = await Promise.race([pool.query('select 42 as n'), new Promise<null>((r) => setTimeout(() => r(null), 5000))]);
      expect(next, 'the next query waited for a session nobody would give back').not.toBeNull();
      expect(next!.rows[0].n).toBe(42);
      expect(performance.now() - started).toBeLessThan(4000);
    } finally {
      await pool.end();
    }
  }, 30_000);
});

describe('the wire server itself', () => {
  it('forgets a connection the moment its client ends it, and holds nothing after a Terminate', async () => {
    const { PGlite } = await import('@electric-sql/pglite');
    // @ts-expect-error -- plain JavaScript module without types (it runs in the embedded child)
    const { serveWire } = await import('../server/db/pglite-wire.mjs');
    const db = await PGlite.create();
    const server = await serveWire(db, { port: 0, maxConnections: 4 });
    try {
      const wire = `postgresql://postgres@127.0.0.1:${server.port}/postgres`;
      for (let round = 0; round < 3; round++) {
        const cs = await Promise.all(Array.from({ length: 4 }, async () => {
          const c = new pg.Client({ connectionString: wire });
          await c.connect();
          return c;
        }));
        await cs[0]!.query('begin');
        await Promise.all(cs.map((c) => c.end())); // one of them inside a transaction
        await new Promise((r) => setTimeout(r, 50));
        expect(server.stats()).toEqual({ connections: 0, queued: 0, held: false });
      }
    } finally {
      await server.stop();
      await db.close();
    }
  }, 60_000);
});
