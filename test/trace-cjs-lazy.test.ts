/**
 * relscope/trace in the shape of a NestJS app (tried on mikro-orm/nestjs-realworld-example-app):
 * - the app is CommonJS (tsc emits `require('relscope/trace')`): the package must resolve for
 *   require() as well as import (Node 22.12+ loads the ES module through require());
 * - MikroORM 7 connects lazily (the Nest module's MikroORM.init does not connect), so the app's
 *   first request sends the ORM's connection setup (ensureDatabase's `select 1 from pg_database`),
 *   once per concurrent first statement: findAndCount sent it twice, reported as a duplicate of the
 *   app's line with the advice "keep the first result". Those statements are now via 'connect'
 *   and never part of a finding.
 * - `node dist/main.js` (start:prod, `nest start`) runs without --enable-source-maps: Node loads no
 *   map, and call sites were dist/….js positions; the map tsc wrote next to the file is now read.
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

  it('maps a call site to the TypeScript source when Node loaded no source map (plain `node dist/main.js`)', async () => {
    const ts = (await import('typescript5')).default;
    const source = 'export class ArticleService {\n  async findAll(em: any): Promise<unknown> {\n    const x: number = 1;\n    return em.find(x); // marker\n  }\n}\n';
    mkdirSync(join(dir, 'src'), { recursive: true });
    mkdirSync(join(dir, 'dist'), { recursive: true });
    writeFileSync(join(dir, 'src/article.service.ts'), source);
    const out = ts.transpileModule(source, { fileName: 'article.service.ts', compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, sourceMap: true, sourceRoot: '' } });
    const js = out.outputText.replace(/\/\/# sourceMappingURL=.*$/m, '//# sourceMappingURL=article.service.js.map');
    const map = JSON.parse(out.sourceMapText!) as { sources: string[] };
    map.sources = ['../src/article.service.ts'];
    writeFileSync(join(dir, 'dist/article.service.js'), js);
    writeFileSync(join(dir, 'dist/article.service.js.map'), JSON.stringify(map));
    const jsLine = js.split('\n').findIndex((l) => l.includes('em.find(')) + 1;
    const jsColumn = js.split('\n')[jsLine - 1]!.indexOf('em.find(') + 1;
    writeFileSync(join(dir, 'probe.mjs'), `import { sourcePosition } from ${JSON.stringify(resolve('dist/trace/trace/stack.js'))};
console.log(JSON.stringify([process.sourceMapsEnabled, sourcePosition({ fn: '', file: ${JSON.stringify(join(dir, 'dist/article.service.js'))}, line: ${jsLine}, column: ${jsColumn} })]));
`);
    const run = spawnSync(process.execPath, [join(dir, 'probe.mjs')], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
    expect(run.stderr).toBe('');
    const [enabled, site] = JSON.parse(run.stdout.trim()) as [boolean, { file: string; line: number; column: number }];
    expect(enabled).toBe(false);
    expect(site).toEqual({ file: join(dir, 'src/article.service.ts'), line: 4, column: 12 });
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
