/**
 * Source `db`: the schema model from a live database's pg_catalog (never information_schema,
 * which is several times slower on big schemas).
 *
 * Eight small statements, each a plain scan of one catalog: relations, columns, constraints
 * (exclusion constraints apart), indexes, enums, domains and the server version. On a real server they run in parallel over a few
 * connections (one round trip each, the wall time of the slowest); on the embedded database,
 * which serialises everything, they run one after another on one connection.
 *
 * Holds on PostgreSQL 15 to 18: nullability comes from pg_attribute.attnotnull, which both
 * have, and PG 18's NOT NULL rows in pg_constraint (contype 'n') are not read.
 */
import pg from 'pg';
import type { DatabaseKind } from '../db/connect.ts';
import { describeConnectError, type UrlOrigin } from '../db/connect.ts';
import { DatabaseUnavailableError, UserError, isConnectionError } from '../errors.ts';
import {
  qualifiedId,
  schemaModelVersion,
  sortModelInPlace,
  type Check,
  type Column,
  type EnumType,
  type Exclusion,
  type ForeignKey,
  type Index,
  type Key,
  type ReferentialAction,
  type SchemaModel,
  type Table,
} from '../../common/schema-model.ts';
import { isPlainPivot, relationsFromForeignKeys } from '../../common/relations.ts';

export interface CatalogOptions {
  /** Only these schemas (default: every schema but pg_catalog, information_schema, pg_toast and temp ones). */
  schemas?: string[];
}

export interface CatalogTarget {
  url: string;
  kind: DatabaseKind;
  /** Where the URL came from, for the fix a connection error suggests. */
  urlOrigin?: UrlOrigin;
}

export interface ConnectOptions extends CatalogOptions {
  /** Connections to spread the statements over; default 5 on a server, 1 on the embedded database. */
  connections?: number;
  /** Told how the read went: connections opened and whether the server is PGlite (diagnostics, tests). */
  onConnected?: (info: { connections: number; pglite: boolean }) => void;
}

const relkinds = `('r','p','v','m','f')`;
/** $1 is a text[] of schema names, or null for all user schemas. */
const schemaFilter = `n.nspname not in ('pg_catalog','information_schema','pg_toast') and n.nspname !~ '^pg_(toast_)?temp_' and ($1::text[] is null or n.nspname = any($1::text[]))`;

/*
 * Every connection relscope opens is new, so its backend's caches are cold: functions that
 * open a relation per row (pg_get_expr with a relation, pg_get_indexdef) cost 2-4x more than
 * on a warm connection. The statements below avoid them on the hot path: defaults are
 * deparsed without a relation (they hold no column references; generated columns, which do,
 * need no default text), index definitions and predicates are deparsed only for indexes that
 * need them (an operator class or collation other than the default is found by array
 * containment first: collations 0 and 100 are "none" and "default", so only an index with
 * another one is compared column by column with its table's collations; an explicit COLLATE
 * "default" on a column of another collation goes unseen), and attnums and referenced tables
 * become names in JavaScript. Columns, the
 * biggest catalog, are read in two halves (by table oid) on two connections.
 */
const columnsSql = (half: 0 | 1) => `select a.attrelid as oid, a.attnum as num, a.attname as name, pg_catalog.format_type(a.atttypid, a.atttypmod) as type,
       a.atttypid as typid, a.attnotnull as notnull, a.attidentity as identity, a.attgenerated as generated,
       case when a.attgenerated = '' then pg_catalog.pg_get_expr(ad.adbin, 0) end as def
  from pg_catalog.pg_attribute a
  join pg_catalog.pg_class c on c.oid = a.attrelid
  join pg_catalog.pg_namespace n on n.oid = c.relnamespace
  left join pg_catalog.pg_attrdef ad on ad.adrelid = a.attrelid and ad.adnum = a.attnum
 where a.attnum > 0 and not a.attisdropped and c.relkind in ${relkinds} and not c.relispartition and ${schemaFilter}
   and c.oid::int8 % 2 = ${half}`;

export const catalogQueries = {
  tables: `select c.oid, n.nspname as schema, c.relname as name, c.relkind as kind
  from pg_catalog.pg_class c
  join pg_catalog.pg_namespace n on n.oid = c.relnamespace
 where c.relkind in ${relkinds} and not c.relispartition and ${schemaFilter}`,

  comments: `select d.objoid as oid, d.objsubid as num, d.description as comment
  from pg_catalog.pg_description d
  join pg_catalog.pg_class c on c.oid = d.objoid
  join pg_catalog.pg_namespace n on n.oid = c.relnamespace
 where d.classoid = 'pg_catalog.pg_class'::regclass and c.relkind in ${relkinds} and not c.relispartition and ${schemaFilter}`,

  columns0: columnsSql(0),
  columns1: columnsSql(1),

  // The constraint's namespace is its table's; constraints of tables not read (partitions)
  // are dropped in JavaScript. Constraints with a parent (conparentid) are PostgreSQL's
  // clones of a partitioned table's: an FK that references a partitioned table gets one more
  // on the referencing table per partition, which the model must not list as FKs of its own.
  constraints: `select con.conrelid as oid, con.conname as name, con.contype as type, con.conkey::text as keys,
       con.confrelid as refoid, con.confkey::text as refkeys, con.confdeltype as ondelete, con.confupdtype as onupdate,
       case when con.contype = 'c' then pg_catalog.pg_get_expr(con.conbin, con.conrelid) end as expression
  from pg_catalog.pg_constraint con
  join pg_catalog.pg_namespace n on n.oid = con.connamespace
 where con.contype in ('p','u','f','c') and con.conrelid <> 0 and con.conparentid = 0 and ${schemaFilter}`,

  indexes: `select i.indrelid as oid, ic.relname as name, i.indisunique as "unique", i.indisprimary as "primary",
       i.indkey::text as keys, i.indnkeyatts as nkeys, am.amname as method,
       case when i.indpred is not null then pg_catalog.pg_get_expr(i.indpred, i.indrelid) end as predicate,
       case when i.indexprs is not null or i.indpred is not null or am.amname <> 'btree' or i.indnatts <> i.indnkeyatts
                 or i.indoption::text ~ '[1-9]'
                 or not (i.indclass::oid[] <@ (select array_agg(o.oid) from pg_catalog.pg_opclass o where o.opcdefault))
                 or (not (i.indcollation::oid[] <@ '{0,100}'::oid[])
                     and exists (select from pg_catalog.generate_subscripts(i.indkey, 1) k
                                   join pg_catalog.pg_attribute a on a.attrelid = i.indrelid and a.attnum = i.indkey[k]
                                  where i.indcollation[k] <> a.attcollation))
            then pg_catalog.pg_get_indexdef(i.indexrelid) end as definition,
       case when i.indexprs is not null then array(select pg_catalog.pg_get_indexdef(i.indexrelid, k + 1, true)
                                                     from pg_catalog.generate_subscripts(i.indkey, 1) k where i.indkey[k] = 0 order by k) end as expressions
  from pg_catalog.pg_index i
  join pg_catalog.pg_class ic on ic.oid = i.indexrelid
  join pg_catalog.pg_class c on c.oid = i.indrelid
  join pg_catalog.pg_namespace n on n.oid = c.relnamespace
  join pg_catalog.pg_am am on am.oid = ic.relam
 where c.relkind in ${relkinds} and not c.relispartition and ${schemaFilter}`,

  enums: `select t.oid, t.typarray as arrayoid, n.nspname as schema, t.typname as name,
       array_agg(e.enumlabel::text order by e.enumsortorder) as labels
  from pg_catalog.pg_type t
  join pg_catalog.pg_namespace n on n.oid = t.typnamespace
  join pg_catalog.pg_enum e on e.enumtypid = t.oid
 where n.nspname not in ('pg_catalog','information_schema')
 group by t.oid, t.typarray, n.nspname, t.typname`,

  // Exclusion constraints: their elements (columns by attnum, expressions deparsed from their
  // index), operators in element order, the index's method and predicate. Few tables have one,
  // so the per-row deparsing costs nothing on a schema without.
  exclusions: `select con.conrelid as oid, con.conname as name, am.amname as method, con.conkey::text as keys,
       array(select o.oprname::text from pg_catalog.unnest(con.conexclop) with ordinality x(op, k)
               join pg_catalog.pg_operator o on o.oid = x.op order by x.k) as operators,
       array(select pg_catalog.pg_get_indexdef(con.conindid, k, true)
               from pg_catalog.generate_subscripts(con.conkey, 1) k where con.conkey[k] = 0 order by k) as expressions,
       case when i.indpred is not null then pg_catalog.pg_get_expr(i.indpred, i.indrelid) end as predicate,
       pg_catalog.pg_get_constraintdef(con.oid) as definition
  from pg_catalog.pg_constraint con
  join pg_catalog.pg_namespace n on n.oid = con.connamespace
  join pg_catalog.pg_index i on i.indexrelid = con.conindid
  join pg_catalog.pg_class ic on ic.oid = con.conindid
  join pg_catalog.pg_am am on am.oid = ic.relam
 where con.contype = 'x' and con.conparentid = 0 and ${schemaFilter}`,

  // Domains (every schema's: a column may use one from a schema not read), to resolve a
  // domain column to the type it is over (nested domains are followed in JavaScript).
  domains: `select t.oid, t.typarray as arrayoid, t.typbasetype as baseoid, pg_catalog.format_type(t.typbasetype, t.typtypmod) as base
  from pg_catalog.pg_type t
 where t.typtype = 'd'`,

  version: `select current_setting('server_version') as version`,
} as const;

type QueryName = keyof typeof catalogQueries;

/*
 * Rows come back as arrays (pg's rowMode 'array') and become these objects through the
 * mappers below: a third cheaper than pg building objects itself at 10,000 rows. Arrays of
 * attnums come as text ("{1,2}", int2vector "1 2") and are split here.
 */
interface TableRow { oid: number; schema: string; name: string; kind: string }
interface CommentRow { oid: number; num: number; comment: string }
interface ColumnRow { oid: number; num: number; name: string; type: string; typid: number; notnull: boolean; identity: string; generated: string; def: string | null }
interface ConstraintRow { oid: number; name: string; type: 'p' | 'u' | 'f' | 'c'; keys: number[] | null; refoid: number; refkeys: number[] | null; ondelete: string; onupdate: string; expression: string | null }
interface IndexRow { oid: number; name: string; unique: boolean; primary: boolean; keys: number[]; nkeys: number; predicate: string | null; method: string; definition: string | null; expressions: string[] | null }
interface RefColumnRow { oid: number; num: number; name: string }
interface RefTableRow { oid: number; schema: string; name: string }
interface EnumRow { oid: number; arrayoid: number; schema: string; name: string; labels: string[] }
interface ExclusionRow { oid: number; name: string; method: string; keys: number[]; operators: string[]; expressions: string[]; predicate: string | null; definition: string }
interface DomainRow { oid: number; arrayoid: number; baseoid: number; base: string }

export interface CatalogRows {
  tables: TableRow[];
  comments: CommentRow[];
  columns0: ColumnRow[];
  columns1: ColumnRow[];
  /** Referenced tables outside the schemas read, and their column names (a follow-up query). */
  refTables?: RefTableRow[];
  refColumns?: RefColumnRow[];
  constraints: ConstraintRow[];
  indexes: IndexRow[];
  enums: EnumRow[];
  exclusions: ExclusionRow[];
  domains: DomainRow[];
  version: { version: string }[];
}

const nums = (text: string | null): number[] | null => {
  if (text === null) return null;
  const inner = text.startsWith('{') ? text.slice(1, -1) : text;
  if (!inner) return [];
  return inner.split(/[ ,]/).map(Number);
};

type Raw = unknown[];
export const catalogRowMappers: Record<QueryName, (r: Raw) => unknown> = {
  tables: (r) => ({ oid: r[0], schema: r[1], name: r[2], kind: r[3] }) as TableRow,
  comments: (r) => ({ oid: r[0], num: r[1], comment: r[2] }) as CommentRow,
  columns0: (r) => ({ oid: r[0], num: r[1], name: r[2], type: r[3], typid: r[4], notnull: r[5], identity: r[6], generated: r[7], def: r[8] }) as ColumnRow,
  columns1: (r) => ({ oid: r[0], num: r[1], name: r[2], type: r[3], typid: r[4], notnull: r[5], identity: r[6], generated: r[7], def: r[8] }) as ColumnRow,
  constraints: (r) => ({ oid: r[0], name: r[1], type: r[2], keys: nums(r[3] as string | null), refoid: r[4], refkeys: nums(r[5] as string | null), ondelete: r[6], onupdate: r[7], expression: r[8] }) as ConstraintRow,
  indexes: (r) => ({ oid: r[0], name: r[1], unique: r[2], primary: r[3], keys: nums(r[4] as string) ?? [], nkeys: r[5], method: r[6], predicate: r[7], definition: r[8], expressions: r[9] }) as IndexRow,
  enums: (r) => ({ oid: r[0], arrayoid: r[1], schema: r[2], name: r[3], labels: r[4] }) as EnumRow,
  exclusions: (r) => ({ oid: r[0], name: r[1], method: r[2], keys: nums(r[3] as string) ?? [], operators: r[4], expressions: r[5], predicate: r[6], definition: r[7] }) as ExclusionRow,
  domains: (r) => ({ oid: r[0], arrayoid: r[1], baseoid: r[2], base: r[3] }) as DomainRow,
  version: (r) => ({ version: r[0] }),
};

/**
 * Lanes of statements, one lane per connection: five lanes of about the same cost. With fewer
 * connections, several lanes share one (its driver queues their statements in order).
 */
const lanes: QueryName[][] = [['columns0'], ['columns1'], ['indexes'], ['constraints', 'exclusions', 'enums', 'domains', 'version'], ['tables', 'comments']];

/** Runs the catalog statements on the given clients (spread over them) and builds the model. */
export async function modelFromClients(clients: pg.ClientBase[], options: CatalogOptions = {}): Promise<SchemaModel> {
  return readModel((lane) => Promise.resolve(clients[lane % clients.length]!), options);
}

export function modelFromClient(client: pg.ClientBase, options: CatalogOptions = {}): Promise<SchemaModel> {
  return modelFromClients([client], options);
}

async function readModel(clientFor: (lane: number) => Promise<pg.ClientBase>, options: CatalogOptions): Promise<SchemaModel> {
  const schemas = normaliseSchemas(options.schemas);
  const rows = await readCatalog(clientFor, schemas);
  const first = await clientFor(0);
  if (schemas) await assertSchemasExist(first, schemas, rows);
  await readOutsideReferences(first, rows);
  return buildModel(rows);
}

/**
 * Opens its own connections to the target, reads the catalogs and closes them again.
 * On a real server five connections take a lane each. The embedded database (PGlite, which
 * serialises everything and allows few connections) gets one, also when reached through --db:
 * the first read of a URL connects once, learns from the connection whether it is PGlite, and
 * only then opens the others (while the first one already works); later reads of a URL known
 * to be a real server open all five at once. A server that refuses some of the extra
 * connections (max_connections) leaves their lanes to the first one.
 */
export async function modelFromDatabase(target: CatalogTarget, options: ConnectOptions = {}): Promise<SchemaModel> {
  const opened: pg.Client[] = [];
  const connect = async (parameters?: Map<string, string>): Promise<pg.Client> => {
    const client = new pg.Client({ connectionString: target.url, connectionTimeoutMillis: 5000 });
    client.on('error', () => {});
    if (parameters) watchParameters(client, parameters);
    opened.push(client);
    await client.connect();
    return client;
  };
  try {
    let wanted = Math.max(1, Math.min(lanes.length, options.connections ?? (target.kind === 'embedded' ? 1 : lanes.length)));
    const known = pgliteByUrl.get(target.url);
    if (known === true) wanted = 1;
    // A server already known not to be PGlite gets all its connections at once.
    let extra: Promise<pg.Client | null>[] = known === false ? Array.from({ length: wanted - 1 }, () => connect().catch(() => null)) : [];
    let first: pg.Client;
    const parameters = new Map<string, string>();
    try {
      first = await connect(parameters);
    } catch (error) {
      throw new DatabaseUnavailableError(describeConnectError(target.url, error, target.urlOrigin), error);
    }
    let pglite = known === true;
    if (known === undefined && wanted > 1) {
      pglite = await isPglite(first, parameters);
      remember(target.url, pglite);
      if (pglite) wanted = 1;
      extra = Array.from({ length: wanted - 1 }, () => connect().catch(() => null));
    }
    if (options.onConnected) {
      const got = 1 + (await Promise.all(extra)).filter(Boolean).length;
      options.onConnected({ connections: got, pglite });
    }
    try {
      return await readModel(async (lane) => (lane === 0 || lane > extra.length ? first : ((await extra[lane - 1]!) ?? first)), options);
    } catch (error) {
      if (isConnectionError(error)) throw new DatabaseUnavailableError(describeConnectError(target.url, error, target.urlOrigin), error);
      throw error;
    }
  } finally {
    // The goodbye is not waited for: the answer is ready, and closing takes a round trip per
    // connection (25 ms on a busy machine).
    void Promise.all(opened.map((c) => c.end().catch(() => {})));
  }
}

/** Whether a URL is served by PGlite, learnt on the first read of it (bounded, per process). */
const pgliteByUrl = new Map<string, boolean>();
function remember(url: string, pglite: boolean): void {
  if (pgliteByUrl.size >= 32) pgliteByUrl.delete(pgliteByUrl.keys().next().value!);
  pgliteByUrl.set(url, pglite);
}

/** The server's ParameterStatus messages (sent while connecting), read from pg's connection. */
function watchParameters(client: pg.Client, into: Map<string, string>): void {
  const connection = (client as unknown as { connection?: { on(event: string, fn: (m: { parameterName: string; parameterValue: string }) => void): void } }).connection;
  connection?.on('parameterStatus', (m) => into.set(m.parameterName, m.parameterValue));
}

/**
 * PGlite (the embedded engine, possibly reached through --db) serves one backend: more
 * connections only queue. It reports an empty session_authorization while connecting, which a
 * real server never does; without that report, `version()` tells (one round trip).
 */
async function isPglite(client: pg.Client, parameters: Map<string, string>): Promise<boolean> {
  const session = parameters.get('session_authorization');
  if (session !== undefined) return session === '';
  const version = (await client.query<{ version: string }>('select version() as version')).rows[0]?.version ?? '';
  return /PGlite/i.test(version);
}

function normaliseSchemas(schemas: string[] | undefined): string[] | null {
  if (!schemas) return null;
  const list = [...new Set(schemas.map((s) => s.trim()).filter(Boolean))];
  return list.length ? list : null;
}

async function readCatalog(clientFor: (lane: number) => Promise<pg.ClientBase>, schemas: string[] | null): Promise<CatalogRows> {
  const result: Partial<Record<QueryName, unknown[]>> = {};
  // Lanes that share a connection queue up on it (pg wants one query at a time per client).
  const queues = new Map<pg.ClientBase, Promise<unknown>>();
  const enqueue = <T>(client: pg.ClientBase, work: () => Promise<T>): Promise<T> => {
    const run = (queues.get(client) ?? Promise.resolve()).then(work);
    queues.set(client, run.catch(() => {}));
    return run;
  };
  const errors: unknown[] = [];
  // Every lane runs to its end before this returns, so no statement is still running on a
  // connection the caller goes on to use or close; the first error is the one reported.
  await Promise.allSettled(lanes.map(async (names, lane) => {
    const client = await clientFor(lane);
    for (const name of names) {
      if (errors.length) return;
      const params = catalogQueries[name].includes('$1') ? [schemas] : [];
      try {
        const { rows } = await enqueue(client, () => client.query<Raw>({ text: catalogQueries[name], values: params, rowMode: 'array' }));
        // Mapped in place: the raw arrays go as the objects come (less memory at the peak).
        const map = catalogRowMappers[name];
        const mapped = rows as unknown[];
        for (let i = 0; i < rows.length; i++) mapped[i] = map(rows[i]!);
        result[name] = mapped;
      } catch (error) {
        errors.push(catalogError(name, error));
        return;
      }
    }
  }));
  if (errors.length) throw errors[0];
  return result as unknown as CatalogRows;
}

/** Names of tables that FKs reference outside the schemas read, and their columns (only with a schema filter). */
async function readOutsideReferences(client: pg.ClientBase, rows: CatalogRows): Promise<void> {
  const inside = new Set(rows.tables.map((t) => t.oid));
  const outside = [...new Set(rows.constraints.filter((c) => c.type === 'f' && inside.has(c.oid) && !inside.has(c.refoid)).map((c) => c.refoid))];
  if (outside.length === 0) return;
  try {
    rows.refTables = (await client.query<RefTableRow>(
      'select c.oid, n.nspname as schema, c.relname as name from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace where c.oid = any($1::oid[])',
      [outside],
    )).rows;
    rows.refColumns = (await client.query<RefColumnRow>(
      'select attrelid as oid, attnum as num, attname as name from pg_catalog.pg_attribute where attrelid = any($1::oid[]) and attnum > 0 and not attisdropped',
      [outside],
    )).rows;
  } catch (error) {
    throw catalogError('columns', error);
  }
}

function catalogError(name: string, error: unknown): unknown {
  const err = error as { code?: string; message?: string };
  if (err?.code === '42501') {
    return new UserError(`Cannot read the PostgreSQL catalogs (${name.replace(/\d$/, '')}): ${err.message}. Connect as a role that may read pg_catalog (every role can unless it was revoked), or ask the administrator to GRANT SELECT on it.`, { status: 403, exitCode: 1, cause: error });
  }
  return error;
}

async function assertSchemasExist(client: pg.ClientBase, schemas: string[], rows: CatalogRows): Promise<void> {
  const withTables = new Set(rows.tables.map((t) => t.schema));
  const missing = schemas.filter((s) => !withTables.has(s));
  if (missing.length === 0) return;
  const { rows: found } = await client.query<{ nspname: string }>(
    `select nspname from pg_catalog.pg_namespace where nspname not in ('pg_catalog','information_schema','pg_toast') and nspname !~ '^pg_(toast_)?temp_' order by 1`,
  );
  const existing = new Set(found.map((r) => r.nspname));
  const unknown = missing.filter((s) => !existing.has(s));
  if (unknown.length) {
    throw new UserError(`Schema ${unknown.map((s) => `"${s}"`).join(', ')} ${unknown.length === 1 ? 'does' : 'do'} not exist in this database (its schemas: ${[...existing].join(', ') || 'none'}).`);
  }
}

const actionCodes: Record<string, ReferentialAction> = { a: 'no action', r: 'restrict', c: 'cascade', n: 'set null', d: 'set default' };
const kinds: Record<string, Table['kind']> = { r: 'table', p: 'partitioned table', v: 'view', m: 'materialized view', f: 'foreign table' };

/** Assembles the model from the raw catalog rows; attnums become names here, not in SQL. */
export function buildModel(rows: CatalogRows): SchemaModel {
  const enumById = new Map<number, EnumRow>();
  for (const e of rows.enums) {
    enumById.set(e.oid, e);
    enumById.set(e.arrayoid, e);
  }
  const usedEnums = new Map<string, EnumType>();
  const baseOf = domainResolver(rows.domains);

  const columnsByTable = groupBy(rows.columns0, (c) => c.oid, groupBy(rows.columns1, (c) => c.oid));
  const tableName = new Map<number, string>();
  for (const t of rows.tables) tableName.set(t.oid, qualifiedId(t.schema, t.name));
  for (const t of rows.refTables ?? []) tableName.set(t.oid, qualifiedId(t.schema, t.name));
  // Per table, arrays indexed by attnum: cheaper than string-keyed maps at 10,000 columns.
  const byNum = <T>(list: { oid: number; num: number }[], value: (row: never) => T) => {
    const map = new Map<number, T[]>();
    for (const row of list) {
      let arr = map.get(row.oid);
      if (!arr) map.set(row.oid, (arr = []));
      arr[row.num] = value(row as never);
    }
    return map;
  };
  const comments = byNum<string>(rows.comments, (d: CommentRow) => d.comment);
  const none: never[] = [];
  // Column names by attnum, per table: the tables read, and referenced ones outside them.
  const namesByTable = byNum<string>(rows.refColumns ?? [], (c: RefColumnRow) => c.name);
  for (const [oid, list] of columnsByTable) {
    const names: string[] = [];
    for (const c of list) names[c.num] = c.name;
    namesByTable.set(oid, names);
  }
  const refNames = (oid: number, keys: number[] | null) => {
    const names = namesByTable.get(oid) ?? none;
    return (keys ?? []).map((k) => names[k] ?? `#${k}`);
  };
  const constraintsByTable = groupBy(rows.constraints, (c) => c.oid);
  const indexesByTable = groupBy(rows.indexes, (i) => i.oid);
  const exclusionsByTable = groupBy(rows.exclusions, (x) => x.oid);
  const tableSchemas = new Set(rows.tables.map((t) => t.schema));

  const tables: Table[] = rows.tables.map((t) => {
    const columnRows = columnsByTable.get(t.oid) ?? [];
    // Rows usually arrive in attnum order (the catalog's index order); sort only when not.
    for (let i = 1; i < columnRows.length; i++) {
      if (columnRows[i - 1]!.num > columnRows[i]!.num) {
        columnRows.sort((a, b) => a.num - b.num);
        break;
      }
    }
    const nameOf = namesByTable.get(t.oid) ?? none;
    const tableComments = comments.get(t.oid) ?? none;
    const names = (keys: number[] | null) => (keys ?? []).map((k) => nameOf[k] ?? `#${k}`);
    const columns: Column[] = columnRows.map((c) => {
      const base = baseOf(c.typid);
      // A domain over an enum (or an array of one) is that enum's column, values and all.
      const enumRow = enumById.get(c.typid) ?? (base ? enumById.get(base.oid) : undefined);
      let enumId: string | null = null;
      if (enumRow) {
        enumId = qualifiedId(enumRow.schema, enumRow.name);
        if (!usedEnums.has(enumId)) usedEnums.set(enumId, { id: enumId, schema: enumRow.schema, name: enumRow.name, values: [...enumRow.labels], native: true });
      }
      const def = c.def;
      const column: Column = {
        name: c.name,
        type: c.type,
        nullable: !c.notnull,
        default: c.generated === 's' ? null : def,
        comment: tableComments[c.num] ?? null,
        generated: c.identity ? 'identity' : c.generated === 's' ? 'stored' : def?.startsWith('nextval(') ? 'serial' : null,
        property: null,
        enum: enumId,
      };
      if (base) column.baseType = base.type;
      return column;
    });
    let primaryKey: Key | null = null;
    const uniques: Key[] = [];
    const checks: Check[] = [];
    const foreignKeys: ForeignKey[] = [];
    for (const con of constraintsByTable.get(t.oid) ?? []) {
      if (con.type === 'p') primaryKey = { name: con.name, columns: names(con.keys) };
      else if (con.type === 'u') uniques.push({ name: con.name, columns: names(con.keys) });
      else if (con.type === 'c') checks.push({ name: con.name, expression: con.expression ?? '' });
      else if (con.type === 'f') {
        foreignKeys.push({
          name: con.name,
          columns: names(con.keys),
          references: tableName.get(con.refoid) ?? `#${con.refoid}`,
          referencedColumns: refNames(con.refoid, con.refkeys),
          onDelete: actionCodes[con.ondelete] ?? 'no action',
          onUpdate: actionCodes[con.onupdate] ?? 'no action',
        });
      }
    }
    const indexes: Index[] = (indexesByTable.get(t.oid) ?? []).map((i) => {
      const keyColumns = i.keys.slice(0, i.nkeys);
      return {
        name: i.name,
        // Expression positions (attnum 0) are left out of `columns` and listed in `expressions`.
        columns: keyColumns.filter((k) => k !== 0).map((k) => nameOf[k] ?? `#${k}`),
        expressions: i.expressions ?? [],
        unique: i.unique,
        primary: i.primary,
        where: i.predicate,
        method: i.method,
        definition: i.definition,
      };
    });
    const exclusions: Exclusion[] = (exclusionsByTable.get(t.oid) ?? []).map((x) => {
      let expression = 0;
      return {
        name: x.name,
        method: x.method,
        elements: x.operators.map((operator, k) => {
          const num = x.keys[k] ?? 0;
          return num === 0
            ? { column: null, expression: x.expressions[expression++] ?? null, operator }
            : { column: nameOf[num] ?? `#${num}`, expression: null, operator };
        }),
        where: x.predicate,
        definition: x.definition,
      };
    });
    const fkColumns = new Set(foreignKeys.flatMap((fk) => fk.columns));
    const table: Table = {
      id: qualifiedId(t.schema, t.name),
      schema: t.schema,
      name: t.name,
      kind: kinds[t.kind] ?? 'table',
      comment: tableComments[0] ?? null,
      columns,
      primaryKey,
      uniques,
      indexes,
      checks,
      foreignKeys,
      entity: null,
      isPivot: isPlainPivot(columns, foreignKeys, primaryKey, fkColumns),
    };
    if (exclusions.length) table.exclusions = exclusions;
    return table;
  });
  // Enums declared in the schemas read are listed even when no column uses them yet.
  for (const e of rows.enums) {
    const id = qualifiedId(e.schema, e.name);
    if (tableSchemas.has(e.schema) && !usedEnums.has(id)) usedEnums.set(id, { id, schema: e.schema, name: e.name, values: [...e.labels], native: true });
  }
  const version = rows.version[0]?.version?.split(' ')[0] ?? 'unknown';
  // Everything here is freshly built, so it is sorted in place rather than copied.
  return sortModelInPlace({
    version: schemaModelVersion,
    source: 'db',
    origin: `PostgreSQL ${version}`,
    tables,
    enums: [...usedEnums.values()],
    relations: relationsFromForeignKeys(tables),
  });
}

/**
 * For a domain's oid (or an array of domains'), the type it is over as format_type() prints it,
 * followed through domains over domains (`posint2` over `posint` over integer is integer) and
 * arrays of them (`posint[]` is integer[]); `oid` is that type's (for enum lookups). Null for a
 * type that is no domain.
 */
function domainResolver(domains: DomainRow[]): (oid: number) => { oid: number; type: string } | null {
  const byOid = new Map<number, DomainRow>();
  const byArray = new Map<number, DomainRow>();
  for (const d of domains) {
    byOid.set(d.oid, d);
    if (d.arrayoid) byArray.set(d.arrayoid, d);
  }
  const resolve = (oid: number, depth: number): { oid: number; type: string } | null => {
    if (depth > 32) return null; // PostgreSQL allows no cycles; this only bounds the walk.
    const domain = byOid.get(oid);
    if (domain) return resolve(domain.baseoid, depth + 1) ?? { oid: domain.baseoid, type: domain.base };
    const element = byArray.get(oid);
    if (element) {
      const inner = resolve(element.oid, depth + 1);
      return inner ? { oid: inner.oid, type: `${inner.type}[]` } : null;
    }
    return null;
  };
  return (oid) => (byOid.has(oid) || byArray.has(oid) ? resolve(oid, 0) : null);
}

function groupBy<T>(items: T[], key: (item: T) => number, into?: Map<number, T[]>): Map<number, T[]> {
  const map = into ?? new Map<number, T[]>();
  for (const item of items) {
    const k = key(item);
    let list = map.get(k);
    if (!list) map.set(k, (list = []));
    list.push(item);
  }
  return map;
}
