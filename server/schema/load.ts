/**
 * Where commands and routes get models: the ORM's (from the context's MikroORM metadata,
 * cached per context: metadata does not change while relscope runs, and MikroORM 7 connects
 * lazily, so this opens no connection) and the database's (cached per context under a catalog
 * fingerprint that one cheap query reads each time, so a schema change shows at once and a
 * database that went away is noticed at once).
 */
import type { AppContext } from '../context.ts';
import { modelFromDatabase } from './from-catalog.ts';
import { filterSchemas, type SchemaModel, type SchemaSource } from '../../common/schema-model.ts';

export { filterSchemas };

/** The models a context has read, kept on the context itself (AppContext.models). */
export interface ModelCache {
  orm: Promise<SchemaModel> | null;
  fingerprint: { at: number; value: Promise<string> } | null;
  /** Database models by schema filter, least recently used first. */
  db: Map<string, CachedModel>;
}

export function newModelCache(): ModelCache {
  return { orm: null, fingerprint: null, db: new Map() };
}

export type ModelContext = Pick<AppContext, 'target' | 'orm' | 'withClient' | 'models'>;

export function ormModel(ctx: ModelContext): Promise<SchemaModel> {
  const cache = ctx.models;
  if (!cache.orm) {
    // from-orm.ts imports MikroORM: loaded only when an ORM model is asked for.
    const model = ctx.orm().then(async (orm) => (await import('./from-orm.ts')).modelFromOrm(orm));
    cache.orm = model;
    model.catch(() => { if (cache.orm === model) cache.orm = null; });
  }
  return cache.orm;
}

/**
 * Any DDL inserts, deletes or updates rows of these catalogs, which changes their row count
 * or the sum of their rows' xmin; VACUUM and ANALYZE update pg_class in place and keep xmin,
 * so statistics do not invalidate the cache. Reads about 20k small rows per 1,000 tables.
 */
const catalogFingerprintSql = `select ${['pg_namespace', 'pg_class', 'pg_attribute', 'pg_attrdef', 'pg_constraint', 'pg_index', 'pg_type', 'pg_enum', 'pg_description']
  .map((t) => `(select count(*) || ':' || coalesce(sum(xmin::text::bigint), 0) from pg_catalog.${t})`)
  .join(" || '/' || ")} as fingerprint`;

/**
 * A burst of requests (a page load asks for schema, diagram, drift and lint at once; fifty
 * clients under load) shares one fingerprint read: it is reused for this long, so a schema
 * change shows within a second.
 */
const fingerprintTtlMs = 1000;

export function catalogFingerprint(ctx: ModelContext): Promise<string> {
  const cache = ctx.models;
  const cached = cache.fingerprint;
  if (cached && performance.now() - cached.at < fingerprintTtlMs) return cached.value;
  const value = ctx.withClient(async (client) => (await client.query<{ fingerprint: string }>(catalogFingerprintSql)).rows[0]!.fingerprint);
  const entry = { at: performance.now(), value };
  cache.fingerprint = entry;
  value.catch(() => { if (cache.fingerprint === entry) cache.fingerprint = null; });
  return value;
}

interface CachedModel {
  fingerprint: string;
  model: Promise<SchemaModel>;
}

const maxCachedFilters = 8;

/** The database's model, read again only when the catalog fingerprint moved. */
export async function dbModel(ctx: ModelContext, schemas?: string[] | null): Promise<SchemaModel> {
  const fingerprint = await catalogFingerprint(ctx);
  const perContext = ctx.models.db;
  const key = schemas?.join('\u0000') ?? '';
  const cached = perContext.get(key);
  if (cached && cached.fingerprint === fingerprint) return cached.model;
  const model = modelFromDatabase(ctx.target, { schemas: schemas ?? undefined });
  perContext.delete(key); // re-insert at the end: the Map's order is the eviction order
  perContext.set(key, { fingerprint, model });
  if (perContext.size > maxCachedFilters) perContext.delete(perContext.keys().next().value!);
  model.catch(() => { if (perContext.get(key)?.model === model) perContext.delete(key); });
  return model;
}

export async function loadModel(ctx: ModelContext, source: SchemaSource, schemas?: string[] | null): Promise<SchemaModel> {
  if (source === 'orm') return filterSchemas(await ormModel(ctx), schemas);
  return dbModel(ctx, schemas);
}

/** Parses "a,b" into schema names; empty means all. */
export function parseSchemaList(raw: string | undefined | null): string[] | null {
  if (raw === undefined || raw === null) return null;
  const list = raw.split(',').map((s) => s.trim()).filter(Boolean);
  return list.length ? list : null;
}
