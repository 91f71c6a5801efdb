import pg from 'pg';
import { dirname, join, resolve } from 'node:path';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import type { TestProject } from 'vitest/node';
import { EmbeddedPostgres } from '../../server/db/embedded.ts';
import { createContext, prepareDemo } from '../../server/context.ts';
import type { DatabaseKind } from '../../server/db/connect.ts';

/**
 * Every database test runs against each target: the embedded PostgreSQL 18 (PGlite),
 * always, and a real server when DATABASE_URL is set. On the real server the tests get a
 * database of their own, created here and dropped afterwards: nothing else is touched.
 */
export interface TestTarget {
  name: string;
  kind: DatabaseKind;
  url: string;
}

/** Scale of the seeded test data: 200 users, 2,000 posts, 6,000 comments. */
export const testSeedScale = 0.2;

declare module 'vitest' {
  export interface ProvidedContext {
    targets: TestTarget[];
    seedScale: number;
  }
}

export default async function setup(project: TestProject) {
  const targets: TestTarget[] = [];
  const cleanups: (() => Promise<void>)[] = [];

  // The test files share this database and two run at once, each opening several contexts (the
  // lab's queue tests, a CLI run beside them): more sockets than relscope's default of 8, so one
  // file's connection is not reset by another's (PGlite serialises them all the same).
  process.env.RELSCOPE_PGLITE_MAX_CONNECTIONS ??= '64';
  // A client that keeps the shared database waiting over 5 s, or a connection refused, is a bug
  // somewhere: the wire server logs who held it or who was connected (each test file's
  // connections carry its name, see test/setup/app-name.ts), and the teardown prints the log.
  const wireLog = resolve('test-results/wire-waits.log');
  mkdirSync(dirname(wireLog), { recursive: true });
  rmSync(wireLog, { force: true });
  // A kept data directory makes the next run start in 0.4 s instead of 3.5 s; when another
  // test run holds it (two runs at once), this run takes a fresh one of its own.
  let embedded = new EmbeddedPostgres(resolve(process.env.RELSCOPE_TEST_DATA_DIR ?? '.relscope/test-pgdata'));
  let info;
  // Only the shared database's child logs (the env is read when it forks; tests that start
  // databases of their own, some past their limit on purpose, must not write to this log).
  process.env.RELSCOPE_WIRE_LOG = wireLog;
  try {
    info = await embedded.start();
  } catch {
    const dir = mkdtempSync(join(tmpdir(), 'relscope-test-'));
    embedded = new EmbeddedPostgres(join(dir, 'pgdata'));
    info = await embedded.start();
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
  } finally {
    delete process.env.RELSCOPE_WIRE_LOG;
  }
  const started = embedded;
  cleanups.push(() => started.stop());
  targets.push({ name: `embedded PG ${info.version}`, kind: 'embedded', url: info.url });

  const serverUrl = process.env.DATABASE_URL;
  if (serverUrl) {
    const dbName = `relscope_test_${process.pid}`;
    const admin = new pg.Client(serverUrl);
    await admin.connect();
    const version = (await admin.query('show server_version')).rows[0].server_version as string;
    await admin.query(`drop database if exists ${dbName}`);
    await admin.query(`create database ${dbName}`);
    await admin.end();
    const url = new URL(serverUrl);
    url.pathname = `/${dbName}`;
    targets.push({ name: `server PG ${version.split(' ')[0]}`, kind: 'external', url: url.toString() });
    cleanups.push(async () => {
      const client = new pg.Client(serverUrl);
      await client.connect();
      await client.query(`drop database if exists ${dbName} with (force)`);
      await client.end();
    });
  }

  for (const target of targets) {
    const ctx = await createContext({ target: { ...target, display: target.name, close: async () => {} } });
    try {
      await prepareDemo(ctx, { reset: true, scale: testSeedScale });
    } finally {
      await ctx.close();
    }
  }

  project.provide('targets', targets);
  project.provide('seedScale', testSeedScale);
  return async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch((error) => console.error('test teardown:', error));
    if (existsSync(wireLog)) {
      const lines = readFileSync(wireLog, 'utf8').trim().split('\n');
      const trouble = lines.filter((l) => !/ stopped; /.test(l));
      const summary = lines.filter((l) => / stopped; /.test(l)).map((l) => l.replace(/^\S+ /, '')).join('; ');
      console.error(`The embedded test database: ${summary || 'no summary'}.`);
      if (trouble.length) console.error(`It refused a connection or kept a client waiting over 5 s ${trouble.length} time(s) (${wireLog}):\n${trouble.slice(-20).join('\n')}`);
    }
  };
}
