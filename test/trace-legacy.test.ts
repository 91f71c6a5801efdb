/**
 * relscope/trace in a legacy-decorator project (test/fixtures/legacy-shop's entities, compiled
 * by tsc with emitDecoratorMetadata and source maps, run by plain `node --enable-source-maps`,
 * importing the compiled `relscope/trace` by its package name): the N+1 of a reference loop
 * (Order.customer, and Order.referredBy, which targets the same entity) and of a loop that
 * initialises each order's lines (Order.lines), each at its line in the TypeScript source.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { targets } from './helpers/targets.ts';
import type { TraceFinding } from '../common/trace-types.ts';

const dir = resolve(`.relscope/trace-legacy-${process.pid}`);
const driverFile = join(dir, 'src/driver.ts');

const driver = `import 'reflect-metadata';
import { MikroORM, Reference } from '@mikro-orm/postgresql';
import { ReflectMetadataProvider } from '@mikro-orm/decorators/legacy';
import { attach } from 'relscope/trace';
import { Customer } from './entities/customer.js';
import { Order } from './entities/order.js';
import { OrderLine } from './entities/order-line.js';
import { Product } from './entities/product.js';
import { Shipment } from './entities/shipment.js';
import { Address } from './entities/address.js';

const orm = await MikroORM.init({
  entities: [Customer, Order, OrderLine, Product, Shipment, Address],
  metadataProvider: ReflectMetadataProvider,
  clientUrl: process.env.DATABASE_URL,
  schema: process.env.SCHEMA,
  pool: { min: 0, max: 1 },
  allowGlobalContext: false,
  ensureDatabase: false,
});
await orm.schema.create();
const seed = orm.em.fork();
const product = seed.create(Product, { id: 1, name: 'thing' });
const customers = [1, 2, 3, 4].map((id) => seed.create(Customer, { id, email: \`c\${id}@example.com\`, billing: { street: 's', city: 'c', country: 'DE' } } as any));
for (let id = 1; id <= 4; id++) {
  const order = seed.create(Order, { id, customer: customers[id - 1]!, referredBy: customers[(id % 4)]! } as any);
  for (let lineNo = 1; lineNo <= 2; lineNo++) seed.create(OrderLine, { order, lineNo, product } as any);
}
await seed.flush();

const tracer = attach(orm, { send: false });
await tracer.scope('customers', async () => {
  const em = orm.em.fork();
  const orders = await em.find(Order, {}, { orderBy: { id: 'asc' } });
  for (const order of orders) {
    await Reference.create(order.customer).load(); // marker:customer
  }
});
await tracer.scope('referrers', async () => {
  const em = orm.em.fork();
  const orders = await em.find(Order, {}, { orderBy: { id: 'asc' } });
  for (const order of orders) {
    await Reference.create(order.referredBy!).load(); // marker:referrer
  }
});
await tracer.scope('lines', async () => {
  const em = orm.em.fork();
  let lines = 0;
  for (const order of await em.find(Order, {}, { orderBy: { id: 'asc' } })) {
    await order.lines.init(); // marker:lines
    lines += order.lines.length;
  }
  if (lines !== 8) throw new Error(\`expected 8 lines, got \${lines}\`);
});
await tracer.scope('populated', async () => {
  await orm.em.fork().find(Order, {}, { populate: ['lines', 'customer'], strategy: 'select-in' });
});
console.log('FINDINGS ' + JSON.stringify(tracer.findings()));
tracer.detach();
await orm.close();
`;

const tsconfig = {
  compilerOptions: {
    target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, experimentalDecorators: true, emitDecoratorMetadata: true,
    skipLibCheck: true, sourceMap: true, rootDir: 'src', outDir: 'dist', types: [],
  },
  include: ['src'],
};

const lineOf = (marker: string) => driver.split('\n').findIndex((l) => l.includes(marker)) + 1;

for (const target of targets) {
  describe(`tracer on a legacy-decorator project (${target.name})`, () => {
    const schema = `trace_legacy_${process.pid}`;
    let findings: TraceFinding[] = [];

    beforeAll(async () => {
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(join(dir, 'src'), { recursive: true });
      cpSync(resolve('test/fixtures/legacy-shop/src/entities'), join(dir, 'src/entities'), { recursive: true });
      writeFileSync(driverFile, driver);
      writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2));
      execFileSync(process.execPath, [resolve('tools/build-trace.mjs')], { stdio: 'inherit' }); // atomic per file: another test file may be importing dist/trace
      execFileSync(process.execPath, [resolve('node_modules/typescript5/bin/tsc'), '-p', join(dir, 'tsconfig.json')], { stdio: 'inherit' });
      const admin = new pg.Client(target.url);
      await admin.connect();
      await admin.query(`drop schema if exists ${schema} cascade; create schema ${schema}`);
      await admin.end();
      const out = execFileSync(process.execPath, ['--enable-source-maps', join(dir, 'dist/driver.js')], {
        env: { ...process.env, DATABASE_URL: target.url, SCHEMA: schema },
        encoding: 'utf8',
      });
      findings = JSON.parse(/^FINDINGS (.*)$/m.exec(out)![1]!) as TraceFinding[];
    });

    afterAll(async () => {
      const admin = new pg.Client(target.url);
      await admin.connect();
      await admin.query(`drop schema if exists ${schema} cascade`);
      await admin.end();
      rmSync(dir, { recursive: true, force: true });
    });

    it('finds the N+1 of a reference loop, naming Order.customer at its TypeScript line', () => {
      const f = findings.find((x) => x.scope === 'customers');
      expect(f).toMatchObject({ kind: 'n-plus-one', relation: 'Order.customer', count: 4, callSite: { file: driverFile, line: lineOf('marker:customer') } });
      expect(f!.fix).toContain("populate: ['customer']");
    });

    it('tells Order.referredBy from Order.customer (both target Customer) by the call site', () => {
      const f = findings.find((x) => x.scope === 'referrers');
      expect(f).toMatchObject({ kind: 'n-plus-one', relation: 'Order.referredBy', callSite: { file: driverFile, line: lineOf('marker:referrer') } });
    });

    it('finds the N+1 of a loop that initialises each collection (Order.lines)', () => {
      const f = findings.find((x) => x.scope === 'lines');
      expect(f).toMatchObject({ kind: 'n-plus-one', relation: 'Order.lines', via: 'Collection.init', count: 4, callSite: { file: driverFile, line: lineOf('marker:lines') } });
      expect(f!.lab).toEqual({ root: 'Order', populate: ['lines'] });
    });

    it('reports nothing for a select-in populate, and only the three loops', () => {
      expect(findings.filter((f) => f.scope === 'populated')).toEqual([]);
      expect(findings.map((f) => f.scope).sort()).toEqual(['customers', 'lines', 'referrers']);
      expect(readFileSync(join(dir, 'dist/driver.js.map'), 'utf8')).toContain('driver.ts');
    });
  });
}
