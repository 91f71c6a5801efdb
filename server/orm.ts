import { MikroORM, type Options } from '@mikro-orm/postgresql';
import type { DatabaseTarget } from './db/connect.ts';
import { demoEntities } from '../entities/index.ts';

export type EntityList = NonNullable<Options['entities']>;

/**
 * MikroORM for a target. On the embedded database the pool holds one connection:
 * PGlite runs one backend and serialises everything anyway, and more connections only
 * let session state leak between them.
 */
export async function initOrm(target: DatabaseTarget, entities: EntityList = demoEntities, extra: Partial<Options> = {}): Promise<MikroORM> {
  return MikroORM.init({
    entities,
    clientUrl: target.url,
    pool: { min: 0, max: target.kind === 'embedded' ? 1 : 4 },
    debug: false,
    allowGlobalContext: false,
    // Never CREATE DATABASE on someone's server: a missing database is an error to report.
    ensureDatabase: false,
    ...extra,
  });
}
