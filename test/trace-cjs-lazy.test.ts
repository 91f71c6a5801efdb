/**
 * relscope/trace in the shape of a NestJS app (tried on mikro-orm/nestjs-realworld-example-app):
 * - the app is CommonJS (tsc emits `require('relscope/trace')`): the package must resolve for
 *   require() as well as import (Node 22.12+ loads the ES module through require());
 * - MikroORM 7 connects lazily (the Nest module's MikroORM.init does not connect), so the app's
 *   first request sends the ORM's connection setup (ensureDatabase's `select 1 from pg_database`),
 *   once per concurrent first statement: findAndCount sent it twice, reported as a duplicate of the
 *   app's line with the advice "keep the first result". Those statements are now via 'connect'
 *   and never part of a finding.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { MikroORM } from '@mikro-orm/postgresql';
import { targets } from './helpers/targets.ts';
import { ormOnPrivateSchema } from './helpers/private-schema.ts';
import { attach, expectNoNPlusOne } from '../trace/index.ts';
import { Author, Book } from './fixtures/trace-define/model.ts';

describe('relscope/trace from a CommonJS app', () => {
  const dir = resolve(`.relscope/trace-cjs-${process.pid}`);

  beforeAll(() => {
    execFileSync(process.execPath, [resolve('tools/build-trace.mjs')], { stdio: 'inherit' }); // atomic per file: another test file may be importing dist/trace
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    // What tsc emits for `import { attach } from 'relscope/trace'` with "module": "commonjs" (NestJS's default).
    writeFileSync(join(dir, 'main.cjs'), `"use strict";
const trace_1 = require("relscope/trace");
const test_1 = require("relscope/test");
const root = require("relscope");
console.log(JSON.stringify([typeof trace_1.attach, typeof test_1.expectNoNPlusOne, typeof root.attach]));
`);
    return () => rmSync(dir, { recursive: true, force: true });
  });

  it('require()s relscope/trace, relscope/test and relscope', () => {
    const run = spawnSync(process.execPath, [join(dir, 'main.cjs')], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
    expect(run.stderr).not.toContain('ERR_PACKAGE_PATH_NOT_EXPORTED');
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout.trim())).toEqual(['function', 'function', 'function']);
  });
});

for (const target of targets) {
  describe(`the ORM's lazy connection in the first request (${target.name})`, () => {
    const schema = `trace_lazy_${process.pid}`;
    let setup: Awaited<ReturnType<typeof ormOnPrivateSchema>> | undefined;

    beforeAll(async () => {
      setup = await ormOnPrivateSchema(target, schema, [Author, Book]);
      const em = setup.orm.em.fork();
      for (let a = 1; a <= 3; a++) em.create(Author, { id: a, name: `author ${a}` });
      await em.flush();
    });

    afterAll(async () => {
      await setup?.close();
    });

    /** An ORM as the NestJS module makes it: MikroORM.init with the defaults (ensureDatabase), not connected yet. */
    const lazyOrm = () => MikroORM.init({
      entities: [Author, Book],
      clientUrl: target.url,
      schema,
      pool: { min: 0, max: target.kind === 'embedded' ? 1 : 4 },
      allowGlobalContext: false,
    });

    it('reports no duplicate for the connection setup of a findAndCount, and marks it via connect', async () => {
      const orm = await lazyOrm();
      const tracer = attach(orm, { send: false });
      try {
        await tracer.scope('GET /authors', async () => {
          const [authors, count] = await orm.em.fork().findAndCount(Author, {}, { orderBy: { id: 'asc' } });
          expect([authors.length, count]).toEqual([3, 3]);
        });
        const [scope] = tracer.scopes();
        const setupStatements = scope!.statements.filter((s) => /pg_database/.test(s.sql));
        expect(setupStatements.length).toBeGreaterThanOrEqual(1);
        for (const s of setupStatements) expect(s.via).toBe('connect');
        expect(tracer.findings()).toEqual([]);
      } finally {
        tracer.detach();
        await orm.close();
      }
    });

    it('expectNoNPlusOne({ duplicates: true }) passes on the first load of an unconnected ORM', async () => {
      const orm = await lazyOrm();
      try {
        await expectNoNPlusOne(orm, () => orm.em.fork().findAndCount(Author, {}), { duplicates: true });
      } finally {
        await orm.close();
      }
    });
  });
}
