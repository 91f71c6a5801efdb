/**
 * relscope/test under node:test (the compiled package, imported by its name): a test with an
 * N+1 fails with the finding in its output, the same test with populate passes.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { targets } from './helpers/targets.ts';

const target = targets.find((t) => t.kind === 'embedded') ?? targets[0]!;
const dir = resolve(`.relscope/trace-node-test-${process.pid}`);

const testFile = `import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { MikroORM } from '@mikro-orm/postgresql';
import { expectNoNPlusOne } from 'relscope/test';
import { demoEntities, User } from '../../entities/index.ts';

const orm = await MikroORM.init({ entities: demoEntities, clientUrl: process.env.DATABASE_URL, pool: { min: 0, max: 1 }, allowGlobalContext: false, ensureDatabase: false });
after(() => orm.close());

test(process.env.MODE === 'loop' ? 'posts in a loop' : 'posts populated', async () => {
  await expectNoNPlusOne(orm, async () => {
    const em = orm.em.fork();
    if (process.env.MODE === 'loop') {
      const users = await em.find(User, {}, { limit: 4, orderBy: { id: 'asc' } });
      for (const user of users) await user.posts.load(); // marker
    } else {
      await em.find(User, {}, { limit: 4, orderBy: { id: 'asc' }, populate: ['posts'] });
    }
  });
  assert.ok(true);
});
`;

describe('expectNoNPlusOne under node:test', () => {
  beforeAll(() => {
    execFileSync(process.execPath, [resolve('tools/build-trace.mjs')], { stdio: 'inherit' }); // atomic per file: another test file may be importing dist/trace
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'n1.test.ts'), testFile);
    return () => rmSync(dir, { recursive: true, force: true });
  });

  const runNodeTest = (mode: string) => spawnSync(process.execPath, ['--import', 'tsx', '--test', join(dir, 'n1.test.ts')], {
    env: { ...process.env, DATABASE_URL: target.url, MODE: mode, NODE_OPTIONS: '' },
    encoding: 'utf8',
  });

  it('fails the test that loads posts in a loop, naming User.posts and the line', () => {
    const run = runNodeTest('loop');
    expect(run.status).not.toBe(0);
    const out = run.stdout + run.stderr;
    expect(out).toContain('N+1 User.posts: 4 statements');
    expect(out).toContain(`n1.test.ts:${testFile.split('\n').findIndex((l) => l.includes('// marker')) + 1}:`);
  });

  it('passes the test that populates them', () => {
    const run = runNodeTest('populate');
    expect(run.stdout + run.stderr).toContain('# pass 1');
    expect(run.status).toBe(0);
  });
});
