import pg from 'pg';
import { MikroORM } from '@mikro-orm/postgresql';
import type { TestTarget } from '../setup/databases.ts';

/**
 * A MikroORM on a schema of its own in the test database (made fresh, tables created from the
 * entities), for tests that bring their own model; close() drops the schema and closes the ORM.
 */
export async function ormOnPrivateSchema(target: TestTarget, schema: string, entities: unknown[]): Promise<{ orm: MikroORM; close(): Promise<void> }> {
  const admin = new pg.Client(target.url);
  await admin.connect();
  await admin.query(`drop schema if exists ${schema} cascade; create schema ${schema}`);
  await admin.end();
  const orm = await MikroORM.init({
    entities: entities as never,
    clientUrl: target.url,
    schema,
    pool: { min: 0, max: target.kind === 'embedded' ? 1 : 4 },
    allowGlobalContext: false,
    ensureDatabase: false,
  });
  await orm.schema.create();
  return {
    orm,
    async close() {
      await orm.em.getConnection().execute(`drop schema if exists ${schema} cascade`);
      await orm.close();
    },
  };
}
