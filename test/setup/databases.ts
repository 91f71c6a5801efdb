import pg from 'pg';
import { resolve } from 'node:path';
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

  const embedded = new EmbeddedPostgres(resolve('.relscope/test-pgdata'));
  const info = await embedded.start();
  cleanups.push(() => embedded.stop());
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
  };
}
