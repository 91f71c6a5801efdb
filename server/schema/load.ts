/**
 * Where commands and routes get models: the ORM's (from the context's MikroORM metadata,
 * cached per context: metadata does not change while relscope runs, and MikroORM 7 connects
 * lazily, so this opens no connection) and the database's (read fresh every time, so a schema
 * change or a database that comes back shows at once).
 */
import type { AppContext } from '../context.ts';
import { modelFromOrm } from './from-orm.ts';
import { modelFromDatabase } from './from-catalog.ts';
import { filterSchemas, type SchemaModel, type SchemaSource } from './model.ts';

export { filterSchemas };

const ormModels = new WeakMap<object, Promise<SchemaModel>>();

export type ModelContext = Pick<AppContext, 'target' | 'orm'>;

export function ormModel(ctx: ModelContext): Promise<SchemaModel> {
  let model = ormModels.get(ctx);
  if (!model) {
    model = ctx.orm().then((orm) => modelFromOrm(orm));
    ormModels.set(ctx, model);
    model.catch(() => ormModels.delete(ctx));
  }
  return model;
}

export async function loadModel(ctx: ModelContext, source: SchemaSource, schemas?: string[] | null): Promise<SchemaModel> {
  if (source === 'orm') return filterSchemas(await ormModel(ctx), schemas);
  return modelFromDatabase(ctx.target, { schemas: schemas ?? undefined });
}

/** Parses "a,b" into schema names; empty means all. */
export function parseSchemaList(raw: string | undefined | null): string[] | null {
  if (raw === undefined || raw === null) return null;
  const list = raw.split(',').map((s) => s.trim()).filter(Boolean);
  return list.length ? list : null;
}
