// The floor for bench/startup.ts: a plain Node script (no TypeScript, no relscope) that connects,
// runs five pg_catalog queries in parallel on five connections (as relscope's db source does),
// and writes what it read to a file. Process start included when timed from outside.
//   node bench/startup-floor.mjs URL OUT
import { writeFileSync } from 'node:fs';
import pg from 'pg';

const [url, out] = process.argv.slice(2);
const queries = [
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
const clients = queries.map(() => new pg.Client({ connectionString: url }));
await Promise.all(clients.map((c) => c.connect()));
const results = await Promise.all(queries.map((q, i) => clients[i].query(q)));
writeFileSync(out, JSON.stringify(results.map((r) => r.rows)));
await Promise.all(clients.map((c) => c.end()));
