/**
 * Which copy of MikroORM made an ORM instance. A project run by `npx relscope`, a global
 * install or a checkout has its own @mikro-orm/* packages, distinct from relscope's (see
 * projectPostgres in load.ts): anything relscope reads off such an ORM through a static of
 * its own copy (Utils.getORMVersion(), class identity, per-module caches) describes relscope's
 * copy, not the project's. initProjectOrm records the module it used here.
 */
import * as ownPostgres from '@mikro-orm/postgresql';
import type { MikroORM } from '@mikro-orm/postgresql';

export type PostgresModule = typeof ownPostgres;

const modules = new WeakMap<object, PostgresModule>();

export function recordOrmModule(orm: MikroORM, module: PostgresModule): void {
  modules.set(orm, module);
}

/** The @mikro-orm/postgresql module `orm` was initialised with (relscope's own unless recorded otherwise). */
export function ormModule(orm: MikroORM): PostgresModule {
  return modules.get(orm) ?? ownPostgres;
}

/** The MikroORM version of the copy that made `orm` (the project's, when it has its own). */
export function ormVersion(orm: MikroORM): string {
  return ormModule(orm).Utils.getORMVersion();
}
