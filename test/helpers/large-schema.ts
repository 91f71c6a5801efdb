/**
 * A database of generated tables (bench/web.schema.ts) for the page's large-schema tests: a
 * scratch database on the real server when DATABASE_URL is set, else an embedded PostgreSQL
 * (PGlite) in a temporary directory. Never the shared test database: its tables stay as they are.
 */
import pg from 'pg';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedPostgres } from '../../server/db/embedded.ts';
import { createContext, type AppContext } from '../../server/context.ts';
import { generatedSchemaSql } from '../../bench/web.schema.ts';

export interface GeneratedDatabase {
  ctx: AppContext;
  name: string;
  drop(): Promise<void>;
}

export async function generatedDatabase(count: number): Promise<GeneratedDatabase> {
  return sqlDatabase(String(count), generatedSchemaSql(count));
}

/** A scratch database (as generatedDatabase) made by running `sql`; `tag` goes into its name. */
export async function sqlDatabase(tag: string, sql: string): Promise<GeneratedDatabase> {
  const serverUrl = process.env.DATABASE_URL;
  let url: string;
  let cleanup: () => Promise<void>;
  let name: string;
  let kind: 'embedded' | 'external';
  if (serverUrl) {
    const db = `relscope_page_${tag}_${process.pid}`;
    const admin = new pg.Client(serverUrl);
    await admin.connect();
    await admin.query(`drop database if exists ${db}`);
    await admin.query(`create database ${db}`);
    await admin.end();
    const u = new URL(serverUrl);
    u.pathname = `/${db}`;
    url = u.toString();
    name = `PostgreSQL server, database ${db}`;
    kind = 'external';
    cleanup = async () => {
      const a = new pg.Client(serverUrl);
      await a.connect();
      await a.query(`drop database if exists ${db} with (force)`);
      await a.end();
    };
  } else {
    const dir = mkdtempSync(join(tmpdir(), `relscope-page-${tag}-`));
    const embedded = new EmbeddedPostgres(join(dir, 'pgdata'));
    const info = await embedded.start();
    url = info.url;
    name = `embedded PG ${info.version}`;
    kind = 'embedded';
    cleanup = async () => {
      await embedded.stop();
      rmSync(dir, { recursive: true, force: true });
    };
  }
  const client = new pg.Client(url);
  await client.connect();
  await client.query(sql);
  await client.query('analyze');
  await client.end();
  // The demo model's context on a database without the demo tables: as `relscope serve --db URL`
  // run outside any project.
  const ctx = await createContext({ target: { kind, url, display: name, close: async () => {} } });
  return {
    ctx,
    name,
    async drop() {
      await ctx.close();
      await cleanup();
    },
  };
}
