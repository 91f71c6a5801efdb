/**
 * The `db` source on real catalogs, each case inside a transaction that is rolled back (the
 * shared test database is never changed): hostile identifiers, every catalog feature the model
 * holds, permission errors, and drift against a deliberately different schema.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { defineEntity, p } from '@mikro-orm/postgresql';
import { targets } from './helpers/targets.ts';
import { decodeMermaidEntities, displayed, fitsPostgres, hostileNames } from './mermaid-hostile.ts';
import { modelFromClient, modelFromDatabase } from '../server/schema/from-catalog.ts';
import { modelFromEntities } from '../server/schema/from-orm.ts';
import { drift } from '../server/schema/drift.ts';
import { advise } from '../server/schema/lint.ts';
import { renderErDiagram } from '../server/render/mermaid.ts';
import { renderDocs, type DocsSpec } from '../server/render/docs.ts';
import { UserError } from '../server/errors.ts';
import { inRolledBackTransaction } from './helpers/rolled-back.ts';

interface ErDb { getEntities(): Map<string, { alias: string; attributes: { name: string }[] }>; getRelationships(): unknown[] }
let mermaid: { parse(text: string): Promise<unknown>; mermaidAPI: { getDiagramFromText(text: string): Promise<{ db: ErDb }> } };
beforeAll(async () => {
  mermaid = (await import('mermaid')).default as unknown as typeof mermaid;
});

const q = (name: string) => `"${name.replace(/"/g, '""')}"`;


const driftSchema = `relscope_drift_${process.pid}`;
const Author = defineEntity({
  name: 'Author', tableName: 'authors', schema: driftSchema,
  properties: {
    id: p.integer().primary(), name: p.string().length(100), email: p.string().length(255).unique(), bio: p.text().nullable(),
    books: () => p.oneToMany(Book).mappedBy('author'),
  },
});
const Book = defineEntity({
  name: 'Book', tableName: 'books', schema: driftSchema,
  properties: {
    id: p.integer().primary(), title: p.string().length(200), pages: p.integer(),
    author: () => p.manyToOne(Author).deleteRule('cascade').index(),
    editor: () => p.manyToOne(Author).nullable().deleteRule('set null').index(),
    tags: () => p.manyToMany(Tag),
  },
});
const Tag = defineEntity({ name: 'Tag', tableName: 'tags', schema: driftSchema, properties: { id: p.integer().primary(), label: p.string().length(50) } });
// Enums as a MikroORM app declares them: a CHECK on text (the default), a native type, and one
// whose CHECK the database lost.
const Ticket = defineEntity({
  name: 'Ticket', tableName: 'tickets', schema: driftSchema,
  properties: {
    id: p.integer().primary(),
    state: p.enum(['open', 'closed', 'archived']),
    priority: p.enum(['low', 'high']).nativeEnumName('ticket_priority'),
    kind: p.enum(['bug', 'task']),
  },
});

describe.each(targets)('catalog source on $name', (target) => {
  it('uses one connection on PGlite even when it is reached as a plain server URL, five on a real server', async () => {
    let info: { connections: number; pglite: boolean } | null = null;
    const model = await modelFromDatabase({ url: target.url, kind: 'external' }, { onConnected: (i) => { info = i; } });
    expect(model.tables).toHaveLength(9);
    expect(info).toEqual(target.kind === 'embedded' ? { connections: 1, pglite: true } : { connections: 5, pglite: false });
  });

  it('reads tables named with hostile identifiers and draws them so that Mermaid parses every name back', async () => {
    const picked = hostileNames().filter(fitsPostgres).filter((_, i) => i % 4 === 0);
    const must = ['My Table', 'end', 'a"b', 'new\nline', 'emoji 🚀', 'x'.repeat(63), 'Users', 'users', '_private_', '50%', 'e1', '2fa_codes', '~~strike~~'];
    const names = [...new Set([...picked, ...must])];
    const schema = `relscope hostile "${process.pid}"`;
    const types = ['timestamp with time zone', 'numeric(8,2)', 'character varying(255)[]', 'double precision', '"char"', 'bit varying(5)', 'time with time zone', 'integer'];
    const model = await inRolledBackTransaction(target.url, async (client) => {
      await client.query(`create schema ${q(schema)}`);
      const ddl = names.map((name, i) => {
        const other = names[(i + 1) % names.length]!;
        const ref = i > 0 ? `, ${q(`ref ${names[i - 1]}`.slice(0, 63))} integer ${i % 2 ? 'not null' : ''} references ${q(schema)}.${q(names[i - 1]!)}(id)` : '';
        return `create table ${q(schema)}.${q(name)} (id integer primary key, ${q(other === 'id' ? 'id2' : other)} ${types[i % types.length]}${ref})`;
      });
      await client.query(ddl.join(';\n'));
      return modelFromClient(client, { schemas: [schema] });
    });
    expect(model.tables.map((t) => t.name).sort()).toEqual([...names].sort());
    expect(model.relations.length).toBe(names.length - 1);
    // --mermaid 12 syntax keeps every column name as it is (the portable default, which keeps
    // the real name in the comment, is read back in mermaid-versions.test.ts).
    const { text, aliases } = renderErDiagram(model, model.tables.map((t) => t.id), { attributes: true, collapsePivots: false, mermaid: 12 });
    await mermaid.parse(text);
    const { db } = await mermaid.mermaidAPI.getDiagramFromText(text);
    const entities = db.getEntities();
    expect(entities.size).toBe(names.length);
    expect(db.getRelationships().length).toBe(names.length - 1);
    for (const [alias, entity] of entities) {
      const table = model.tables.find((t) => t.id === aliases[alias])!;
      expect(decodeMermaidEntities(entity.alias)).toBe(displayed(table.name));
      expect(entity.attributes.map((a) => decodeMermaidEntities(a.name))).toEqual(table.columns.map((c) => displayed(c.name)));
    }
  });

  it('reads identity, generated, defaults, comments, enums, checks, composite and cross-schema FKs, partial, expression, hash and INCLUDE indexes', async () => {
    const a = `relscope_cat_a_${process.pid}`;
    const b = `relscope_cat_b_${process.pid}`;
    const model = await inRolledBackTransaction(target.url, async (client) => {
      await client.query(`
        create schema ${a}; create schema ${b};
        create type ${a}.mood as enum ('happy', 'sad', 'o''neil');
        create table ${b}.ext (code text primary key, k2 int, unique (code, k2));
        create table ${a}.parent (id int generated always as identity primary key, a int not null, b int not null, note text default 'x',
          moods ${a}.mood[], doubled int generated always as (a * 2) stored, unique (a, b), constraint a_positive check (a > 0));
        comment on table ${a}.parent is 'Parent "table"';
        comment on column ${a}.parent.a is 'the a';
        create table ${a}.child (id serial primary key, pa int not null, pb int not null, ext_code text references ${b}.ext (code) on delete set null on update cascade,
          status ${a}.mood not null, foreign key (pa, pb) references ${a}.parent (a, b) on delete restrict);
        create index child_lower on ${a}.child (lower(ext_code)) where status <> 'sad';
        create index child_hash on ${a}.child using hash (ext_code);
        create index child_pa_pb on ${a}.child (pa desc, pb) include (status);
        create view ${a}.v as select id, status from ${a}.child;`);
      const read = await modelFromClient(client, { schemas: [a] });
      await expect(modelFromClient(client, { schemas: ['relscope_no_such_schema'] })).rejects.toThrow(/^Schema "relscope_no_such_schema" does not exist in this database \(its schemas: .*relscope_cat_a_/);
      return read;
    });
    expect(model.tables.map((t) => `${t.id}:${t.kind}`)).toEqual([`${a}.child:table`, `${a}.parent:table`, `${a}.v:view`]);
    const parent = model.tables.find((t) => t.name === 'parent')!;
    const child = model.tables.find((t) => t.name === 'child')!;
    expect(parent.comment).toBe('Parent "table"');
    expect(parent.columns.map((c) => [c.name, c.type, c.nullable, c.default, c.generated, c.comment, c.enum])).toEqual([
      ['id', 'integer', false, null, 'identity', null, null],
      ['a', 'integer', false, null, null, 'the a', null],
      ['b', 'integer', false, null, null, null, null],
      ['note', 'text', true, "'x'::text", null, null, null],
      ['moods', `${a}.mood[]`, true, null, null, null, `${a}.mood`],
      ['doubled', 'integer', true, null, 'stored', null, null],
    ]);
    expect(model.enums).toEqual([{ id: `${a}.mood`, schema: a, name: 'mood', values: ['happy', 'sad', "o'neil"], native: true }]);
    // PG 18 also stores NOT NULL as pg_constraint rows (contype 'n'); they are not checks.
    expect(parent.checks).toEqual([{ name: 'a_positive', expression: '(a > 0)' }]);
    expect(child.checks).toEqual([]);
    expect(parent.uniques).toEqual([{ name: 'parent_a_b_key', columns: ['a', 'b'] }]);
    expect(child.foreignKeys).toEqual([
      { name: 'child_ext_code_fkey', columns: ['ext_code'], references: `${b}.ext`, referencedColumns: ['code'], onDelete: 'set null', onUpdate: 'cascade' },
      { name: 'child_pa_pb_fkey', columns: ['pa', 'pb'], references: `${a}.parent`, referencedColumns: ['a', 'b'], onDelete: 'restrict', onUpdate: 'no action' },
    ]);
    expect(child.columns.find((c) => c.name === 'status')).toMatchObject({ type: `${a}.mood`, enum: `${a}.mood`, nullable: false });
    const idx = Object.fromEntries(child.indexes.map((i) => [i.name, i]));
    expect(idx.child_lower).toMatchObject({ columns: [], expressions: ['lower(ext_code)'], method: 'btree', unique: false });
    expect(idx.child_lower!.where).toContain("status <> 'sad'");
    expect(idx.child_lower!.definition).toMatch(/^CREATE INDEX child_lower ON .*USING btree \(lower\(ext_code\)\) WHERE/);
    expect(idx.child_hash).toMatchObject({ columns: ['ext_code'], method: 'hash' });
    expect(idx.child_pa_pb).toMatchObject({ columns: ['pa', 'pb'], expressions: [] });
    expect(idx.child_pa_pb!.definition).toContain('INCLUDE (status)');
    expect(idx.child_pkey).toMatchObject({ columns: ['id'], primary: true, unique: true, definition: null });
    // The relation to a table outside the schemas read keeps its referenced column names.
    expect(model.relations.map((r) => `${r.kind} ${r.from}(${r.columns}) -> ${r.to}(${r.referencedColumns})${r.nullable ? ' null' : ''}`)).toEqual([
      `m:1 ${a}.child(ext_code) -> ${b}.ext(code) null`,
      `m:1 ${a}.child(pa,pb) -> ${a}.parent(a,b)`,
    ]);
    // Both FKs are served by an index (the hash one and the leading (pa, pb) one); the view is no table.
    expect(advise(model).filter((f) => f.code === 'fk-not-indexed' || f.code === 'no-primary-key')).toEqual([]);
  });

  it('reads an FK to a partitioned table once, not once more per partition (PostgreSQL clones it per partition)', async () => {
    const schema = `relscope_parts_${process.pid}`;
    const model = await inRolledBackTransaction(target.url, async (client) => {
      await client.query(`create schema ${schema};
        create table ${schema}.m (id bigint not null, day date not null, primary key (id, day)) partition by range (day);
        create table ${schema}.m_2024 partition of ${schema}.m for values from ('2024-01-01') to ('2025-01-01');
        create table ${schema}.m_2025 partition of ${schema}.m for values from ('2025-01-01') to ('2026-01-01');
        create table ${schema}.note (id int primary key, m_id bigint, m_day date, foreign key (m_id, m_day) references ${schema}.m (id, day) on delete cascade);
        create table ${schema}.p (id int primary key, m_id bigint, m_day date, foreign key (m_id, m_day) references ${schema}.m (id, day)) partition by hash (id);
        create table ${schema}.p_0 partition of ${schema}.p for values with (modulus 2, remainder 0);
        create table ${schema}.p_1 partition of ${schema}.p for values with (modulus 2, remainder 1);`);
      return modelFromClient(client, { schemas: [schema] });
    });
    expect(model.tables.map((t) => `${t.name}:${t.kind}`)).toEqual(['m:partitioned table', 'note:table', 'p:partitioned table']);
    expect(model.tables.find((t) => t.name === 'note')!.foreignKeys).toEqual([
      { name: 'note_m_id_m_day_fkey', columns: ['m_id', 'm_day'], references: `${schema}.m`, referencedColumns: ['id', 'day'], onDelete: 'cascade', onUpdate: 'no action' },
    ]);
    expect(model.relations.map((r) => `${r.from} -> ${r.to}`)).toEqual([`${schema}.note -> ${schema}.m`, `${schema}.p -> ${schema}.m`]);
  });

  it('keeps tables apart whose schema or name holds a dot ("a.b".c and a."b.c" were both a.b.c)', async () => {
    const dotted = `relscope_dot_${process.pid}`;
    const model = await inRolledBackTransaction(target.url, async (client) => {
      await client.query(`create schema ${q(`${dotted}.x`)}; create schema ${dotted};
        create table ${q(`${dotted}.x`)}.c (id int primary key);
        create table ${dotted}.${q('x.c')} (id int primary key, c_id int references ${q(`${dotted}.x`)}.c (id));`);
      return modelFromClient(client, { schemas: [`${dotted}.x`, dotted] });
    });
    expect(model.tables.map((t) => t.id)).toEqual([`${dotted}."x.c"`, `"${dotted}.x".c`].sort());
    const inner = model.tables.find((t) => t.name === 'x.c')!;
    expect(inner.foreignKeys.map((fk) => fk.references)).toEqual([`"${dotted}.x".c`]);
    expect(model.relations.map((r) => `${r.from} -> ${r.to}`)).toEqual([`${dotted}."x.c" -> "${dotted}.x".c`]);
    const spec: DocsSpec = { source: 'db', schemas: null, collapsePivots: false, drift: false, mermaid: 10 };
    const pages = [...renderDocs({ spec, model, drift: null, rows: { how: 'exact', rows: {} } }).keys()].filter((k) => k.startsWith('tables/'));
    expect(new Set(pages).size).toBe(2);
    const { text } = renderErDiagram(model, model.tables.map((t) => t.id), { attributes: true, collapsePivots: false });
    await mermaid.parse(text);
    expect((await mermaid.mermaidAPI.getDiagramFromText(text)).db.getEntities().size).toBe(2);
  });

  it('tells indexes apart by operator class, collation, DESC and INCLUDE: duplicate-index and redundant-index only for the same index', async () => {
    const schema = `relscope_idx_${process.pid}`;
    const model = await inRolledBackTransaction(target.url, async (client) => {
      await client.query(`create schema ${schema};
        create table ${schema}.people (id int primary key, name text, email text, city text, born date, code text collate "C");
        create index name_plain on ${schema}.people (name);
        create index name_pattern on ${schema}.people (name text_pattern_ops);
        create index email_inc_city on ${schema}.people (email) include (city);
        create index email_inc_born on ${schema}.people (email) include (born);
        create index email_inc_born_again on ${schema}.people (email) include (born);
        create index city_born on ${schema}.people (city, born);
        create index city_born_desc on ${schema}.people (city, born desc);
        create index city_c on ${schema}.people (city collate "C");
        create index code_plain on ${schema}.people (code);
        create index born_1 on ${schema}.people (born);
        create index born_2 on ${schema}.people (born);`);
      return modelFromClient(client, { schemas: [schema] });
    });
    const definitions = Object.fromEntries(model.tables[0]!.indexes.map((i) => [i.name, i.definition]));
    expect(definitions.name_pattern).toContain('(name text_pattern_ops)');
    expect(definitions.city_c).toContain('(city COLLATE "C")');
    // A column's own collation is no reason for a definition.
    expect(definitions.code_plain).toBeNull();
    expect(advise(model).filter((f) => f.code === 'duplicate-index' || f.code === 'redundant-index').map((f) => f.message)).toEqual([
      `Indexes born_1 and born_2 on ${schema}.people are identical: drop one.`,
      `Indexes email_inc_born and email_inc_born_again on ${schema}.people are identical: drop one.`,
    ]);
  });

  it('suggests CREATE INDEX statements that run as written, quoting names such as "order" and "Order Line"', async () => {
    const schema = `relscope_Quoted_${process.pid}`;
    const failures = await inRolledBackTransaction(target.url, async (client) => {
      await client.query(`create schema ${q(schema)};
        create table ${q(schema)}."order" (id int primary key);
        create table ${q(schema)}."Order Line" (id int primary key, "Order Id" int references ${q(schema)}."order" (id), "select" int references ${q(schema)}."order" (id))`);
      const model = await modelFromClient(client, { schemas: [schema] });
      const sql = advise(model).filter((f) => f.code === 'fk-not-indexed').map((f) => /CREATE INDEX ON .+ \(.*\)/.exec(f.message)![0]);
      expect(sql).toEqual([
        `CREATE INDEX ON "${schema}"."Order Line" ("Order Id")`,
        `CREATE INDEX ON "${schema}"."Order Line" ("select")`,
      ]);
      const broken: string[] = [];
      for (const statement of sql) await client.query(statement).catch((e: Error) => broken.push(`${statement}: ${e.message}`));
      // Once created, the advice is gone.
      if (!broken.length) expect(advise(await modelFromClient(client, { schemas: [schema] })).filter((f) => f.code === 'fk-not-indexed')).toEqual([]);
      return broken;
    });
    expect(failures).toEqual([]);
  });

  it('answers a role that may not read a catalog with one line naming the cause', async () => {
    const role = `relscope_noperm_${process.pid}`;
    const error = await inRolledBackTransaction(target.url, async (client) => {
      await client.query(`create role ${role}`);
      await client.query('revoke select on pg_catalog.pg_attribute from public');
      await client.query(`set local role ${role}`);
      return modelFromClient(client).then(() => null, (e: unknown) => e);
    });
    expect(error).toBeInstanceOf(UserError);
    const message = (error as Error).message;
    expect(message).toMatch(/^Cannot read the PostgreSQL catalogs \(columns\): permission denied for (table|relation) pg_attribute\. Connect as a role that may read pg_catalog/);
    expect(message).not.toContain('\n');
  });

  it('reports drift between entities and a database that went its own way', async () => {
    const orm = await modelFromEntities([Author, Book, Tag]);
    const S = driftSchema;
    const db = await inRolledBackTransaction(target.url, async (client) => {
      await client.query(`
        create schema ${S};
        create table ${S}.authors (id serial primary key, name varchar(50) not null, email varchar(255) not null, bio text not null, extra_col int not null);
        create table ${S}.books (id serial primary key, title varchar(200), pages int not null, author_id int not null references ${S}.authors (id));
        create table ${S}.books_tags (book_id int not null references ${S}.books (id) on update cascade on delete cascade, tag_id int not null, primary key (book_id, tag_id));
        create table ${S}.legacy (id int primary key);`);
      return modelFromClient(client, { schemas: [S] });
    });
    const findings = drift(orm, db);
    expect(findings.map((f) => `${f.severity} ${f.code} ${f.table.slice(S.length + 1)}${f.column ? `.${f.column}` : ''}`)).toEqual([
      'error nullable-mismatch authors.bio',
      'error unique-missing-in-db authors.email',
      'error type-mismatch authors.name',
      'error column-missing-in-db books.editor_id',
      'error fk-missing-in-db books.editor_id',
      'error fk-missing-in-db books_tags.tag_id',
      'error table-missing-in-db tags',
      'warning column-not-in-orm authors.extra_col',
      'warning fk-not-indexed books.author_id',
      'warning on-delete-mismatch books.author_id',
      'warning nullable-mismatch books.title',
      'info table-not-in-orm legacy',
    ]);
    const byCode = (code: string) => findings.find((f) => f.code === code)!.message;
    expect(byCode('type-mismatch')).toBe(`Column ${S}.authors.name is character varying(50) in the database but character varying(100) in the ORM (Author.name).`);
    expect(byCode('on-delete-mismatch')).toBe(`ON DELETE of ${S}.books(author_id) -> ${S}.authors is NO ACTION in the database but CASCADE in the ORM (deleteRule).`);
    expect(byCode('table-missing-in-db')).toMatch(/^Table .*\.tags \(entity Tag\) is mapped by the ORM but missing in the database: run the migrations/);
  });

  it('reports enum values the database refuses or adds, and a text enum without its CHECK', async () => {
    const orm = await modelFromEntities([Ticket]);
    const S = driftSchema;
    const db = await inRolledBackTransaction(target.url, async (client) => {
      await client.query(`
        create schema ${S};
        create type ${S}.ticket_priority as enum ('low', 'high', 'urgent');
        create table ${S}.tickets (id serial primary key, state text not null check (state in ('open', 'closed')), priority ${S}.ticket_priority not null, kind text not null);`);
      return modelFromClient(client, { schemas: [S] });
    });
    // Before: none of these; a member added to the enum in code, its migration forgotten, failed only on save.
    const findings = drift(orm, db).filter((f) => f.code.startsWith('enum-'));
    expect(findings.map((f) => `${f.severity} ${f.code} ${f.column}: ${f.message.replaceAll(S, 'S')}`)).toEqual([
      "error enum-mismatch state: Column S.tickets.state does not accept 'archived' in the database (CHECK tickets_state_check allows 'open', 'closed'), which the ORM's enum (Ticket.state) has: saving it fails; add it in a migration.",
      "warning enum-check-missing kind: Column S.tickets.kind takes any text in the database, but the ORM (Ticket.kind) allows only 'bug', 'task': no CHECK constraint refuses other values; add it in a migration.",
      "info enum-mismatch priority: Column S.tickets.priority accepts 'urgent' in the database (its enum type S.ticket_priority), which the ORM's enum (Ticket.priority) does not list.",
    ]);
  });
});

describe.skipIf(!targets.some((t) => t.kind === 'external'))('catalog source on a real server', () => {
  const server = targets.find((t) => t.kind === 'external')!;
  // A role of its own with a connection limit (superusers are exempt from limits), dropped afterwards.
  const role = `relscope_limited_${process.pid}`;
  let url = '';
  beforeAll(async () => {
    const c = new pg.Client({ connectionString: server.url });
    await c.connect();
    await c.query(`create role ${role} login connection limit 2`);
    await c.query(`create schema ${role} authorization ${role}`);
    await c.query(`create table ${role}.a (id int primary key); create table ${role}.b (id int primary key, a_id int references ${role}.a (id))`);
    await c.end();
    const u = new URL(server.url);
    u.username = role;
    u.password = '';
    url = u.toString();
  });
  afterAll(async () => {
    const c = new pg.Client({ connectionString: server.url });
    await c.connect();
    await c.query(`drop schema if exists ${role} cascade`);
    await c.query(`drop role if exists ${role}`);
    await c.end();
  });

  it('reads in parallel, and goes on with the connections it gets when the server refuses some', async () => {
    // connection limit 2: three of the five connections are refused.
    const model = await modelFromDatabase({ url, kind: 'external' }, { schemas: [role] });
    expect(model.tables.map((t) => t.id)).toEqual([`${role}.a`, `${role}.b`]);
    expect(model.relations.map((r) => r.id)).toEqual([`${role}.b.a_id->${role}.a`]);
  });
});
