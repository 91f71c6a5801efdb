/**
 * One introspection tool, measured in a process of its own so that its peak RSS is its own.
 * Prints one JSON line: { tool, runs: ms[], maxRssMiB, detail }.
 *
 *   tsx bench/introspection-worker.ts TOOL URL RUNS
 *
 * TOOL: floor | relscope | relscope-1conn | pg-introspection | mikro-orm | extract-pg-schema | mermaid
 *       pair: floor and relscope alternately in one process (their ratio is robust to a busy machine)
 */
import pg from 'pg';
import { modelFromDatabase } from '../server/schema/from-catalog.ts';
import { fullText, measureMermaid } from './mermaid.ts';

const [tool, url, runsRaw] = process.argv.slice(2);
if (!tool || !url) {
  console.error('usage: tsx bench/introspection-worker.ts TOOL URL RUNS');
  process.exit(2);
}
const runs = Number(runsRaw ?? '7');

/** The floor the issue names: five plain pg_catalog queries in parallel, one fresh connection each. */
const floorQueries = [
  `select c.oid, c.relname, c.relkind, c.relnamespace from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
    where c.relkind in ('r','p','v','m','f') and n.nspname not in ('pg_catalog','information_schema','pg_toast')`,
  `select a.attrelid, a.attnum, a.attname, a.atttypid, a.atttypmod, a.attnotnull from pg_catalog.pg_attribute a
     join pg_catalog.pg_class c on c.oid = a.attrelid join pg_catalog.pg_namespace n on n.oid = c.relnamespace
    where a.attnum > 0 and not a.attisdropped and c.relkind in ('r','p','v','m','f') and n.nspname not in ('pg_catalog','information_schema','pg_toast')`,
  `select con.conrelid, con.conname, con.contype, con.conkey, con.confrelid, con.confkey, con.confdeltype, con.confupdtype
     from pg_catalog.pg_constraint con join pg_catalog.pg_namespace n on n.oid = con.connamespace
    where n.nspname not in ('pg_catalog','information_schema','pg_toast')`,
  `select i.indrelid, i.indexrelid, i.indisunique, i.indisprimary, i.indkey from pg_catalog.pg_index i
     join pg_catalog.pg_class c on c.oid = i.indrelid join pg_catalog.pg_namespace n on n.oid = c.relnamespace
    where n.nspname not in ('pg_catalog','information_schema','pg_toast')`,
  `select oid, nspname from pg_catalog.pg_namespace`,
];

/** Connects, works, and closes without waiting for the goodbye (as relscope does). */
async function withClients<T>(count: number, work: (clients: pg.Client[]) => Promise<T>): Promise<T> {
  const clients = Array.from({ length: count }, () => new pg.Client({ connectionString: url }));
  await Promise.all(clients.map((c) => c.connect()));
  try {
    return await work(clients);
  } finally {
    void Promise.all(clients.map((c) => c.end()));
  }
}

type Once = () => Promise<string>;

async function setup(): Promise<{ once: Once; close?: () => Promise<void> }> {
  switch (tool) {
    case 'floor':
      return {
        once: () => withClients(5, async (clients) => {
          const results = await Promise.all(floorQueries.map((q, i) => clients[i]!.query(q)));
          return `${results.reduce((n, r) => n + r.rowCount!, 0)} rows`;
        }),
      };
    case 'relscope':
    case 'relscope-1conn': {
      const connections = tool === 'relscope' ? undefined : 1;
      return {
        once: async () => {
          const model = await modelFromDatabase({ url: url!, kind: 'external' }, { connections });
          return `${model.tables.length} tables, ${model.tables.reduce((n, t) => n + t.columns.length, 0)} columns, ${model.relations.length} relations`;
        },
      };
    }
    case 'pg-introspection': {
      const mod = (await import('pg-introspection')) as unknown as Partial<typeof import('pg-introspection')> & { default?: typeof import('pg-introspection') };
      const { makeIntrospectionQuery, parseIntrospectionResults } = (mod.makeIntrospectionQuery ? mod : mod.default!) as typeof import('pg-introspection');
      return {
        once: () => withClients(1, async ([client]) => {
          const { rows } = await client!.query<{ introspection: string }>(makeIntrospectionQuery());
          const result = parseIntrospectionResults(rows[0]!.introspection, false);
          return `${result.classes.length} classes, ${result.attributes.length} attributes, ${rows[0]!.introspection.length} bytes of JSON`;
        }),
      };
    }
    case 'mikro-orm': {
      const { MikroORM } = await import('@mikro-orm/postgresql');
      const { DatabaseSchema } = await import('@mikro-orm/sql');
      const orm = await MikroORM.init({ clientUrl: url, entities: [], discovery: { warnWhenNoEntities: false }, pool: { min: 0, max: 2 }, debug: false });
      const platform = orm.em.getPlatform();
      const connection = orm.em.getConnection();
      return {
        once: async () => {
          const schema = await DatabaseSchema.create(connection, platform, orm.config);
          return `${schema.getTables().length} tables`;
        },
        close: () => orm.close(true),
      };
    }
    case 'extract-pg-schema': {
      // A CommonJS package: its named export sits on the default export under plain Node.
      const mod = (await import('extract-pg-schema')) as unknown as { extractSchemas?: typeof import('extract-pg-schema').extractSchemas; default?: { extractSchemas: typeof import('extract-pg-schema').extractSchemas } };
      const extractSchemas = (mod.extractSchemas ?? mod.default?.extractSchemas)!;
      return {
        once: async () => {
          const result = await extractSchemas({ connectionString: url }, { schemas: ['public'] });
          return `${result.public?.tables.length ?? 0} tables`;
        },
      };
    }
    case 'mermaid': {
      const model = await modelFromDatabase({ url: url!, kind: 'external' });
      const report = measureMermaid(model);
      return { once: async () => `${fullText(model).length} chars; ${report}` };
    }
    default:
      throw new Error(`unknown tool ${tool}`);
  }
}

if (tool === 'pair') {
  const floor: number[] = [];
  const relscope: number[] = [];
  let detail = '';
  for (let i = 0; i < runs; i++) {
    let started = performance.now();
    await withClients(5, (clients) => Promise.all(floorQueries.map((q, k) => clients[k]!.query(q))));
    floor.push(performance.now() - started);
    started = performance.now();
    const model = await modelFromDatabase({ url, kind: 'external' });
    relscope.push(performance.now() - started);
    detail = `${model.tables.length} tables`;
  }
  console.log(JSON.stringify({ tool, runs: relscope, floor, maxRssMiB: process.resourceUsage().maxRSS / 1024, detail }));
  process.exit(0);
}

const { once, close } = await setup();
const times: number[] = [];
let detail = '';
for (let i = 0; i < runs; i++) {
  const started = performance.now();
  detail = await once();
  times.push(performance.now() - started);
}
await close?.();
const maxRssMiB = process.resourceUsage().maxRSS / 1024;
console.log(JSON.stringify({ tool, runs: times, maxRssMiB, detail }));
