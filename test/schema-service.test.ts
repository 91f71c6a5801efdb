/**
 * The schema service (server/schema/service.ts) as routes and commands use it: one request
 * validation for API and CLI, and drift that compares the ORM's and the database's models for
 * the same schemas (export --schema used to compare the whole ORM model with one schema of
 * the database, so every ORM table elsewhere was "missing in the database").
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { runCli } from './helpers/cli.ts';
import { EmbeddedPostgres } from '../server/db/embedded.ts';
import { apiFields, cliFields, parseDiagramRequest } from '../server/schema/service.ts';
import { planDiagram } from '../server/render/mermaid.ts';
import { schemaModelVersion, type SchemaModel, type Table } from '../common/schema-model.ts';

const relscope = runCli;

describe('diagram request validation', () => {
  it('names the API parameter or the CLI flag, with the same rules', () => {
    expect(parseDiagramRequest({}, apiFields)).toEqual({ source: 'db', schemas: null, focus: null, depth: 1, collapsePivots: false, collapseAssociations: false, edgeLabels: 'columns', layout: null });
    expect(parseDiagramRequest({ source: 'orm', schema: 'a, b', focus: ' users ', depth: '3', collapsePivots: '1' }, apiFields))
      .toEqual({ source: 'orm', schemas: ['a', 'b'], focus: 'users', depth: 3, collapsePivots: true, collapseAssociations: false, edgeLabels: 'orm', layout: null });
    expect(() => parseDiagramRequest({ edgeLabels: 'names' }, apiFields)).toThrow('Parameter "edgeLabels" must be orm or columns, got "names".');
    expect(() => parseDiagramRequest({ edgeLabels: 'names' }, cliFields)).toThrow('--edge-labels must be orm or columns, got "names".');
    expect(() => parseDiagramRequest({ layout: 'grid' }, cliFields)).toThrow('--layout must be dagre, elk or auto, got "grid".');
    expect(() => parseDiagramRequest({ depth: '21' }, apiFields)).toThrow('Parameter "depth" must be an integer from 0 to 20, got "21".');
    expect(() => parseDiagramRequest({ focus: 'x', depth: '1.5' }, cliFields)).toThrow('--depth must be an integer from 0 to 20, got "1.5".');
    expect(() => parseDiagramRequest({ source: 'xml' }, apiFields)).toThrow('Parameter "source" must be orm or db, got "xml".');
    expect(() => parseDiagramRequest({ source: 'xml' }, cliFields)).toThrow('--source must be orm or db, got "xml".');
    expect(() => parseDiagramRequest({ collapsePivots: 'yes' }, apiFields)).toThrow('Parameter "collapsePivots" must be 1 or 0');
    // The CLI is stricter about flags given empty or alone.
    expect(parseDiagramRequest({ focus: '' }, apiFields).focus).toBeNull();
    expect(() => parseDiagramRequest({ focus: ' ' }, cliFields)).toThrow('--focus needs a table name.');
    expect(() => parseDiagramRequest({ depth: '2' }, cliFields)).toThrow('--depth needs --focus TABLE.');
    expect(() => parseDiagramRequest({ focus: 'x', depth: '' }, cliFields)).toThrow('--depth must be an integer');
  });
});

describe('a focus that names two tables', () => {
  const table = (schema: string, name: string): Table => ({
    id: `${schema}.${name}`, schema, name, kind: 'table', comment: null,
    columns: [{ name: 'id', type: 'integer', nullable: false, default: null, comment: null, generated: null, property: null, enum: null }],
    primaryKey: { name: null, columns: ['id'] }, uniques: [], indexes: [], checks: [], foreignKeys: [], entity: null, isPivot: false,
  });
  const model: SchemaModel = { version: schemaModelVersion, source: 'db', origin: 'test', enums: [], relations: [],
    tables: [table('public', 'customers'), table('sales', 'customers'), table('Odd Schema', 'my table'), table('public', 'my table')] };
  const focus = (ref: string, names: typeof apiFields) => () => planDiagram(model, { focus: ref, depth: 1, focusLabel: names.name('focus') });

  it('gives an example the API or the shell takes as it is', () => {
    // Before: "e.g. Parameter "focus" public.customers." for the API, and an unquoted "--focus Odd Schema.my table".
    expect(focus('customers', apiFields)).toThrow('Parameter "focus" "customers" matches 2 tables (public.customers, sales.customers); name one with its schema, e.g. "public.customers".');
    expect(focus('customers', cliFields)).toThrow('--focus "customers" matches 2 tables (public.customers, sales.customers); name one with its schema, e.g. --focus public.customers.');
    expect(focus('my table', cliFields)).toThrow("name one with its schema, e.g. --focus 'Odd Schema.my table'.");
  });
});

describe('drift for --schema', () => {
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'relscope-drift-schema-'));
    // The demo's tables in public (made by the first export) plus a table in another schema.
    const first = await relscope(['export', '--demo', '--data-dir', join(dir, 'pg'), '--format', 'json']);
    expect(first.code, first.err).toBe(0);
    const embedded = new EmbeddedPostgres(join(dir, 'pg'));
    const { url } = await embedded.start();
    const client = new pg.Client(url);
    await client.connect();
    await client.query('create schema side; create table side.notes (id int primary key, body text)');
    await client.end();
    await embedded.stop();
  });
  afterAll(() => { rmSync(dir, { recursive: true, force: true }); });

  const args = (...more: string[]) => ['--demo', '--data-dir', join(dir, 'pg'), ...more];

  it('export --schema compares the ORM and the database in those schemas only', async () => {
    const side = await relscope(['export', '--format', 'markdown', '--source', 'db', '--schema', 'side', '--drift', ...args()]);
    expect(side.code, side.err).toBe(0);
    expect(side.out).toContain('1 table and 0 foreign keys in schema `side`');
    // Before: "Drift between the ORM and the database: 9 errors" (every demo table "missing").
    expect(side.out).toMatch(/Drift between the ORM and the database: (none|0 errors)/);
    expect(side.out).not.toMatch(/missing/i);

    const pub = await relscope(['export', '--format', 'markdown', '--source', 'db', '--schema', 'public', ...args()]);
    expect(pub.code, pub.err).toBe(0);
    // On by default (the database holds the ORM's tables there), and the demo matches its model.
    expect(pub.out).toContain('Drift between the ORM and the database: none.');
  });

  it('lint --schema and check agree with export', async () => {
    const lint = await relscope(['lint', '--schema', 'side', '--format', 'json', ...args()]);
    const result = JSON.parse(lint.out) as { findings: { code: string; table: string }[] };
    expect(result.findings.filter((f) => f.table.startsWith('public.'))).toEqual([]);
    const file = join(dir, 'side.md');
    expect((await relscope(['export', '--format', 'markdown', '--schema', 'side', '--drift', '--out', file, ...args()])).code).toBe(0);
    const check = await relscope(['check', file, ...args()]);
    expect(check.code, check.out).toBe(0);
  });
});

describe('lint without a MikroORM config on a database without the demo tables', () => {
  let dir: string;
  let embedded: EmbeddedPostgres;
  let url: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'relscope-lint-nodemo-'));
    embedded = new EmbeddedPostgres(join(dir, 'pg'));
    ({ url } = await embedded.start());
    const client = new pg.Client(url);
    await client.connect();
    await client.query('create table shop (id int primary key); create table item (shop_id int references shop (id), label text)');
    await client.end();
  });
  afterAll(async () => {
    await embedded.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lints the database alone instead of reporting the demo model (its tables "missing", exit 1)', async () => {
    // Before: 9 errors table-missing-in-db (users, posts, ...) and the demo's relationship findings, exit 1.
    const run = await relscope(['lint', '--db', url, '--format', 'json']);
    expect(run.code, run.out).toBe(0);
    const result = JSON.parse(run.out) as { source: string; findings: { code: string; table: string }[] };
    expect(result.findings.map((f) => `${f.code} ${f.table}`)).toEqual(['no-primary-key public.item', 'fk-not-indexed public.item']);
    expect(run.err).toContain("relscope: lint: the database holds none of the demo model's tables");
  });
});
