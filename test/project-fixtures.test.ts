/**
 * Issue 6, part 3: four MikroORM projects of their own under test/fixtures/, one per way of
 * writing entities, loaded by `relscope` exactly as a user runs it (a child process of
 * bin/relscope.js in the project's folder). For each, on every database kind: the schema is
 * created from the entities, then the ER diagram parses (Mermaid's own parser) with the right
 * tables and relations at the right cardinalities, the ORM and database models agree, drift is
 * empty, and a loading-strategy comparison runs on one of its relations.
 *
 * | feature                                   | fixture                                  |
 * |-------------------------------------------|------------------------------------------|
 * | legacy decorators + reflect-metadata      | legacy-shop (ReflectMetadataProvider)    |
 * | ES (TC39) decorators                      | es-org                                   |
 * | defineEntity                              | define-content                           |
 * | EntitySchema, plain JavaScript config     | schema-js                                |
 * | composite PK, composite FK                | legacy-shop (OrderLine, Shipment), schema-js (bin, stock_item) |
 * | embeddables                               | legacy-shop (Customer.billing/shipping)  |
 * | single-table inheritance                  | es-org (Person/Employee/Contractor)      |
 * | table-per-type inheritance                | define-content (Content/Article/Video)   |
 * | native enum / check-constraint enum       | legacy-shop, define-content              |
 * | several FKs to the same table             | legacy-shop (order.customer/referredBy), define-content (content.author, article.editor) |
 * | self-referencing many-to-many             | es-org (Person.friends)                  |
 * | many-to-many with a custom pivot entity   | es-org (Project.members via Assignment)  |
 * | non-public schema                         | es-org (hr.*)                            |
 * | quoted mixed-case / reserved-word tables  | legacy-shop ("OrderLine", "order"), define-content ("ContentTag", "user") |
 * | view entity / virtual entity              | define-content (author_stats / TagUsage) |
 * | relation declared on one side only        | legacy-shop, es-org, define-content      |
 * | one-to-one                                | schema-js (warehouse_manager)            |
 * | config found via src/…ts, ./….ts, package.json configPaths, ./….js; factory export | legacy-shop, es-org, define-content, schema-js |
 * | NestJS-style CommonJS, legacy decorators + reflect-metadata, entities required from the config | nest-cjs (issue 11, item 1) |
 * | the same with an entities index file re-exporting them           | nest-cjs-index (issue 11, item 1)        |
 * | STI with relations declared on the subclasses                    | nest-cjs (Post/Tweet/Notice; issue 11, item 8) |
 * | ArrayType (text[][] in metadata), text[][], int4[], varchar      | nest-cjs Member (issue 11, item 3)       |
 * | virtual entity (decorators)                                      | nest-cjs ArticleStats (issue 11, item 9) |
 * | composite PK that is also an FK, composite FK                    | nest-cjs-index (Shelf, Parcel)           |
 *
 * Every fixture's ORM diagram (export --source orm) is also checked in the ORM's language
 * (issue 14, item 3): property names on edges, STI subclasses, TPT "extends", no virtual entity.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import mermaid from 'mermaid';
import pg from 'pg';
import type { Relation, SchemaModel, Table } from '../common/schema-model.ts';
import { drift } from '../server/schema/drift.ts';
import { planDiagram } from '../server/render/mermaid.ts';
import { parseEdgeLabels } from '../server/commands/export.ts';
import type { CompareReport } from '../common/lab-types.ts';
import { ScratchDatabases, fixturesRoot, relscope, setupFixtureDatabase, type RunResult, type ScratchDatabase } from './fixtures/tools/harness.ts';

interface ExpectedFk {
  from: string;
  to: string;
  kind: 'm:1' | '1:1';
  columns: string[];
  nullable: boolean;
}

interface ExpectedOrmRelation {
  id?: string;
  from: string;
  to: string;
  kind: Relation['kind'];
  fromProperty?: string | null;
  toProperty?: string | null;
  fromEntity?: string | null;
  nullable?: boolean;
  selfReference?: boolean;
  via?: Relation['via'];
}

interface FixtureSpec {
  name: string;
  style: string;
  /** Every table of the database model and its kind. */
  tables: Record<string, Table['kind']>;
  /** Every foreign key of the database, as relations. */
  fks: ExpectedFk[];
  /** Relations the ORM model must hold (with ORM-only details: properties, m:n, pivots). */
  orm: ExpectedOrmRelation[];
  /** Entities that are in the ORM but not in the database (virtual entities): shown, marked. */
  virtualEntities?: string[];
  compare: { entity: string; populate: string };
  /** Edges of the ORM diagram (export --source orm): "from label -> to label : edge label", entity labels as drawn. */
  ormEdges?: string[];
  /** Entity labels of the ORM diagram that are STI subclasses drawn over their table. */
  stiNodes?: string[];
}

const fixtures: FixtureSpec[] = [
  {
    name: 'legacy-shop',
    style: 'legacy decorators + reflect-metadata',
    tables: { 'public.OrderLine': 'table', 'public.customer': 'table', 'public.order': 'table', 'public.product': 'table', 'public.shipment': 'table' },
    fks: [
      { from: 'public.OrderLine', to: 'public.order', kind: 'm:1', columns: ['order_id'], nullable: false },
      { from: 'public.OrderLine', to: 'public.product', kind: 'm:1', columns: ['product_id'], nullable: false },
      { from: 'public.order', to: 'public.customer', kind: 'm:1', columns: ['customer_id'], nullable: false },
      { from: 'public.order', to: 'public.customer', kind: 'm:1', columns: ['referred_by_id'], nullable: true },
      { from: 'public.shipment', to: 'public.OrderLine', kind: 'm:1', columns: ['order_line_order_id', 'order_line_line_no'], nullable: false },
    ],
    orm: [
      { from: 'public.order', to: 'public.customer', kind: 'm:1', fromProperty: 'customer', toProperty: 'orders', nullable: false },
      { from: 'public.order', to: 'public.customer', kind: 'm:1', fromProperty: 'referredBy', toProperty: null, nullable: true },
      { from: 'public.OrderLine', to: 'public.order', kind: 'm:1', fromProperty: 'order', toProperty: 'lines' },
      { from: 'public.shipment', to: 'public.OrderLine', kind: 'm:1', fromProperty: 'orderLine', toProperty: null },
    ],
    compare: { entity: 'Order', populate: 'lines.product,customer' },
    ormEdges: ['order -> customer : customer (owner) / orders', 'order -> customer : referredBy (owner) / -', 'OrderLine -> order : order (owner) / lines', 'shipment -> OrderLine : orderLine (owner) / -'],
  },
  {
    name: 'es-org',
    style: 'ES decorators',
    tables: { 'hr.assignment': 'table', 'hr.person': 'table', 'hr.person_friends': 'table', 'public.project': 'table' },
    fks: [
      { from: 'hr.assignment', to: 'hr.person', kind: 'm:1', columns: ['employee_id'], nullable: false },
      { from: 'hr.assignment', to: 'public.project', kind: 'm:1', columns: ['project_id'], nullable: false },
      { from: 'hr.person_friends', to: 'hr.person', kind: 'm:1', columns: ['person_id'], nullable: false },
      { from: 'hr.person_friends', to: 'hr.person', kind: 'm:1', columns: ['friend_id'], nullable: false },
      { from: 'public.project', to: 'hr.person', kind: 'm:1', columns: ['lead_id'], nullable: true },
    ],
    orm: [
      { from: 'hr.person', to: 'hr.person', kind: 'm:n', fromProperty: 'friends', selfReference: true, via: { table: 'hr.person_friends', entity: null, plainPivot: true } },
      { from: 'public.project', to: 'hr.person', kind: 'm:n', fromProperty: 'members', via: { table: 'hr.assignment', entity: 'Assignment', plainPivot: false } },
      { from: 'public.project', to: 'hr.person', kind: 'm:1', fromProperty: 'lead', toProperty: null, nullable: true },
      { from: 'hr.assignment', to: 'hr.person', kind: 'm:1', fromProperty: 'employee', toProperty: 'assignments' },
    ],
    compare: { entity: 'Project', populate: 'members,lead' },
    ormEdges: ['Employee (person, kind = employee) -> person : Employee extends Person', 'Contractor (person, kind = contractor) -> person : Contractor extends Person', 'assignment -> Employee (person, kind = employee) : employee (owner) / assignments', 'project -> Employee (person, kind = employee) : lead (owner) / -'],
    stiNodes: ['Contractor (person, kind = contractor)', 'Employee (person, kind = employee)'],
  },
  {
    name: 'define-content',
    style: 'defineEntity',
    tables: {
      'public.ContentTag': 'table', 'public.article': 'table', 'public.author_stats': 'view', 'public.content': 'table',
      'public.content_tags': 'table', 'public.user': 'table', 'public.video': 'table',
    },
    fks: [
      { from: 'public.article', to: 'public.content', kind: '1:1', columns: ['id'], nullable: false },
      { from: 'public.article', to: 'public.user', kind: 'm:1', columns: ['editor_id'], nullable: true },
      { from: 'public.content', to: 'public.user', kind: 'm:1', columns: ['author_id'], nullable: false },
      { from: 'public.content_tags', to: 'public.content', kind: 'm:1', columns: ['content_id'], nullable: false },
      { from: 'public.content_tags', to: 'public.ContentTag', kind: 'm:1', columns: ['tag_id'], nullable: false },
      { from: 'public.video', to: 'public.content', kind: '1:1', columns: ['id'], nullable: false },
    ],
    orm: [
      { from: 'public.content', to: 'public.ContentTag', kind: 'm:n', fromProperty: 'tags', toProperty: null, via: { table: 'public.content_tags', entity: null, plainPivot: true } },
      { from: 'public.content', to: 'public.user', kind: 'm:1', fromProperty: 'author', nullable: false },
      { from: 'public.article', to: 'public.user', kind: 'm:1', fromProperty: 'editor', nullable: true },
    ],
    virtualEntities: ['TagUsage'],
    compare: { entity: 'Article', populate: 'tags,author' },
    ormEdges: ['article -> content : Article extends Content', 'video -> content : Video extends Content', 'content -> user : author (owner) / -', 'article -> user : editor (owner) / -'],
  },
  {
    name: 'schema-js',
    style: 'EntitySchema (JavaScript)',
    tables: { 'public.bin': 'table', 'public.stock_item': 'table', 'public.warehouse': 'table', 'public.warehouse_manager': 'table' },
    fks: [
      { from: 'public.bin', to: 'public.warehouse', kind: 'm:1', columns: ['warehouse_id'], nullable: false },
      { from: 'public.stock_item', to: 'public.bin', kind: 'm:1', columns: ['bin_warehouse_id', 'bin_code'], nullable: false },
      { from: 'public.warehouse_manager', to: 'public.warehouse', kind: '1:1', columns: ['warehouse_id'], nullable: false },
    ],
    orm: [
      { from: 'public.warehouse_manager', to: 'public.warehouse', kind: '1:1', fromProperty: 'warehouse', toProperty: 'manager' },
      { from: 'public.stock_item', to: 'public.bin', kind: 'm:1', fromProperty: 'bin', toProperty: null },
    ],
    compare: { entity: 'Bin', populate: 'warehouse.manager' },
    ormEdges: ['warehouse_manager -> warehouse : warehouse (owner) / manager'],
  },
  {
    name: 'nest-cjs',
    style: 'NestJS-style CommonJS, legacy decorators, entities required from the config',
    tables: { 'public.article': 'table', 'public.member': 'table', 'public.post': 'table' },
    fks: [
      { from: 'public.article', to: 'public.member', kind: 'm:1', columns: ['author_id'], nullable: false },
      // STI subclass columns accept NULL: the other subclasses' rows have none.
      { from: 'public.post', to: 'public.member', kind: 'm:1', columns: ['poster_id'], nullable: true },
      { from: 'public.post', to: 'public.article', kind: 'm:1', columns: ['about_id'], nullable: true },
    ],
    orm: [
      { from: 'public.article', to: 'public.member', kind: 'm:1', fromProperty: 'author', toProperty: 'articles', fromEntity: 'Article' },
      // Declared on the STI subclasses: theirs, with the inverse side found.
      { from: 'public.post', to: 'public.member', kind: 'm:1', fromProperty: 'poster', toProperty: 'tweets', fromEntity: 'Tweet' },
      { from: 'public.post', to: 'public.article', kind: 'm:1', fromProperty: 'about', toProperty: null, fromEntity: 'Notice' },
    ],
    virtualEntities: ['ArticleStats'],
    compare: { entity: 'Member', populate: 'articles,tweets' },
    ormEdges: ['Tweet (post, type = tweet) -> post : Tweet extends Post', 'Notice (post, type = notice) -> post : Notice extends Post', 'article -> member : author (owner) / articles', 'Tweet (post, type = tweet) -> member : poster (owner) / tweets', 'Notice (post, type = notice) -> article : about (owner) / -'],
    stiNodes: ['Notice (post, type = notice)', 'Tweet (post, type = tweet)'],
  },
  {
    name: 'nest-cjs-index',
    style: 'NestJS-style CommonJS, entities from an index file',
    tables: { 'public.depot': 'table', 'public.parcel': 'table', 'public.shelf': 'table' },
    fks: [
      { from: 'public.parcel', to: 'public.shelf', kind: 'm:1', columns: ['shelf_depot_code', 'shelf_aisle'], nullable: false },
      { from: 'public.shelf', to: 'public.depot', kind: 'm:1', columns: ['depot_code'], nullable: false },
    ],
    orm: [
      { from: 'public.parcel', to: 'public.shelf', kind: 'm:1', fromProperty: 'shelf', toProperty: 'parcels' },
      { from: 'public.shelf', to: 'public.depot', kind: 'm:1', fromProperty: 'depot', toProperty: 'shelves' },
    ],
    compare: { entity: 'Depot', populate: 'shelves.parcels' },
    ormEdges: ['parcel -> shelf : shelf (owner) / parcels', 'shelf -> depot : depot (owner) / shelves'],
  },
];

/** Advice about the database itself rather than a difference between ORM and database. */
const adviceCodes = new Set(['fk-not-indexed']);

const dbs = new ScratchDatabases();
afterAll(() => dbs.close());

function describeFk(r: Pick<Relation, 'from' | 'to' | 'kind' | 'columns' | 'nullable'>): string {
  return `${r.from}(${r.columns.join(',')}) ${r.kind}${r.nullable ? '?' : ''} ${r.to}`;
}

function json<T>(text: string, what: string): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new Error(`${what} is not JSON:\n${text.slice(0, 2000)}`);
  }
}

/** Mermaid's own parser: entities (alias -> table id) and relationships with cardinalities. */
async function parseDiagram(text: string): Promise<{ tables: string[]; edges: { from: string; to: string; fromCard: string; toCard: string; label: string }[] }> {
  await mermaid.parse(text); // throws on a syntax error
  const diagram = await mermaid.mermaidAPI.getDiagramFromText(text);
  const db = diagram.db as unknown as {
    getEntities(): Map<string, { id: string; alias?: string; label?: string }>;
    getRelationships(): { entityA: string; entityB: string; roleA: string; relSpec: { cardA: string; cardB: string } }[];
  };
  const byId = new Map<string, string>();
  const tables: string[] = [];
  for (const [key, entity] of db.getEntities()) {
    const label = entity.alias || entity.label || key;
    const id = label.includes('.') ? label : `public.${label}`;
    byId.set(entity.id, id);
    byId.set(key, id);
    tables.push(id);
  }
  // In `A }o--|| B : "x"`, cardB is A's end ("many") and cardA is B's end ("exactly one").
  const edges = db.getRelationships().map((r) => ({ from: byId.get(r.entityA) ?? r.entityA, to: byId.get(r.entityB) ?? r.entityB, fromCard: r.relSpec.cardB, toCard: r.relSpec.cardA, label: r.roleA }));
  return { tables: tables.sort(), edges };
}

for (const kind of dbs.kinds()) {
  for (const fx of fixtures) {
    describe(`${fx.name} (${fx.style}) on the ${kind} database`, () => {
      const cwd = join(fixturesRoot, fx.name);
      let db: ScratchDatabase;
      let orm: SchemaModel;
      let dbModel: SchemaModel;
      let diagram: string;
      let ormDiagram: string;
      let compared: Promise<RunResult>;

      beforeAll(async () => {
        db = await dbs.fresh(kind, fx.name);
        await setupFixtureDatabase(cwd, db.url);
        // Four child processes at once: each spends most of its time starting up.
        compared = relscope(['compare', fx.compare.entity, '--populate', fx.compare.populate, '--repeat', '1', '--format', 'json', '--db', db.url], cwd);
        const exports = [['--source', 'orm', '--format', 'json'], ['--source', 'db', '--format', 'json'], ['--format', 'mermaid']];
        const results = await Promise.all(exports.map((args) => relscope(['export', ...args, '--db', db.url], cwd)));
        exports.forEach((args, i) => {
          expect(results[i]!.stderr, `export ${args.join(' ')}`).toBe('');
          expect(results[i]!.code, `export ${args.join(' ')}: ${results[i]!.stderr}`).toBe(0);
        });
        orm = json<SchemaModel>(results[0]!.stdout, 'export --source orm --format json');
        dbModel = json<SchemaModel>(results[1]!.stdout, 'export --source db --format json');
        diagram = results[2]!.stdout;
        // What `export --source orm --format mermaid` draws (its default edge labels), without a fifth process.
        ormDiagram = planDiagram(orm, { edgeLabels: parseEdgeLabels(undefined, 'orm') }).mermaid;
        await compared.catch(() => undefined); // the next fixture empties this database
      });

      it('the database model has exactly the tables and foreign keys the entities make', () => {
        expect(Object.fromEntries(dbModel.tables.map((t) => [t.id, t.kind]))).toEqual(fx.tables);
        const fks = dbModel.relations.filter((r) => r.kind === 'm:1' || r.kind === '1:1').map(describeFk).sort();
        expect(fks).toEqual(fx.fks.map(describeFk).sort());
      });

      it('the ORM model has the same tables, each relation on columns its tables have, and the declared sides', () => {
        const virtual = new Set(fx.virtualEntities ?? []);
        const ormTables = orm.tables.filter((t) => !virtual.has(t.entity ?? ''));
        expect(Object.fromEntries(ormTables.map((t) => [t.id, t.kind]))).toEqual(fx.tables);
        const tables = new Map(orm.tables.map((t) => [t.id, t]));
        for (const r of orm.relations) {
          expect(tables.has(r.from), `relation ${r.id}: from ${r.from} is a table of the model`).toBe(true);
          expect(tables.has(r.to), `relation ${r.id}: to ${r.to} is a table of the model`).toBe(true);
          if (r.kind === 'm:1' || r.kind === '1:1') {
            const from = tables.get(r.from)!.columns.map((c) => c.name);
            const to = tables.get(r.to)?.columns.map((c) => c.name) ?? [];
            expect(from, `relation ${r.id}: its columns are on ${r.from}`).toEqual(expect.arrayContaining(r.columns));
            expect(to, `relation ${r.id}: its referenced columns are on ${r.to}`).toEqual(expect.arrayContaining(r.referencedColumns));
          }
        }
        for (const want of fx.orm) {
          const match = orm.relations.find((r) => r.from === want.from && r.to === want.to && r.kind === want.kind && (want.fromProperty === undefined || r.fromProperty === want.fromProperty));
          expect(match, `ORM relation ${want.from} ${want.kind} ${want.to} (${want.fromProperty ?? ''}); the model has:\n${orm.relations.map((r) => `${r.from} ${r.kind} ${r.to} (${r.fromProperty})`).join('\n')}`).toBeDefined();
          const picked: Partial<Relation> = {};
          for (const key of ['toProperty', 'fromEntity', 'nullable', 'selfReference', 'via'] as const) if (want[key] !== undefined) Object.assign(picked, { [key]: match![key] });
          const expected: Partial<Relation> = {};
          for (const key of ['toProperty', 'fromEntity', 'nullable', 'selfReference', 'via'] as const) if (want[key] !== undefined) Object.assign(expected, { [key]: want[key] });
          expect(picked, `${want.from} ${want.kind} ${want.to} (${want.fromProperty})`).toEqual(expected);
        }
      });

      // Only fixtures that declare virtual entities get this test (no skipped placeholders).
      if (fx.virtualEntities) it('virtual entities are shown in the ORM model and marked as not being tables', () => {
        for (const entity of fx.virtualEntities ?? []) {
          const shown = orm.tables.find((t) => t.entity === entity);
          expect(shown, `virtual entity ${entity} in the ORM model (tables: ${orm.tables.map((t) => `${t.id}=${t.entity}`).join(', ')})`).toBeDefined();
          expect(shown!.kind, `virtual entity ${entity} is marked`).not.toBe('table');
        }
      });

      it('the ORM diagram speaks the ORM’s language: property names on edges, STI subclasses, TPT "extends", no virtual entity', async () => {
        await mermaid.parse(ormDiagram);
        const parsed = await mermaid.mermaidAPI.getDiagramFromText(ormDiagram);
        const db = parsed.db as unknown as {
          getEntities(): Map<string, { id: string; alias?: string; label?: string }>;
          getRelationships(): { entityA: string; entityB: string; roleA: string }[];
        };
        const labelOf = new Map<string, string>();
        for (const [key, entity] of db.getEntities()) {
          const label = (entity.alias || entity.label || key).replace(/^[^."(]+\.(?=[^ ]+$)/, '');
          labelOf.set(entity.id, label);
          labelOf.set(key, label);
        }
        const labels = [...new Set(labelOf.values())];
        for (const entity of fx.virtualEntities ?? []) {
          const table = orm.tables.find((t) => t.entity === entity)!;
          expect(labels, `virtual entity ${entity} is not drawn`).not.toContain(table.name);
        }
        expect(labels.filter((l) => / \(.+ = .+\)$/.test(l)).sort()).toEqual([...(fx.stiNodes ?? [])].sort());
        const edges = db.getRelationships().map((r) => `${labelOf.get(r.entityA)} -> ${labelOf.get(r.entityB)} : ${r.roleA}`);
        for (const want of fx.ormEdges ?? []) expect(edges, `ORM diagram edge ${want}`).toContain(want);
      });

      it('the ER diagram parses and draws every table and foreign key at the right cardinality', async () => {
        const parsed = await parseDiagram(diagram);
        expect(parsed.tables).toEqual(Object.keys(fx.tables).sort());
        for (const fk of fx.fks) {
          const edge = parsed.edges.find((e) => e.from === fk.from && e.to === fk.to && e.label === fk.columns.join(', '));
          expect(edge, `diagram edge ${describeFk(fk)}; edges:\n${parsed.edges.map((e) => `${e.from} ${e.fromCard}--${e.toCard} ${e.to} : ${e.label}`).join('\n')}`).toBeDefined();
          expect({ from: edge!.fromCard, to: edge!.toCard }, describeFk(fk)).toEqual({
            from: fk.kind === 'm:1' ? 'ZERO_OR_MORE' : 'ZERO_OR_ONE',
            to: fk.nullable ? 'ZERO_OR_ONE' : 'ONLY_ONE',
          });
        }
        expect(parsed.edges).toHaveLength(fx.fks.length);
      });

      it('drift is empty: the schema was created from these entities', () => {
        // (lint, which reports the same findings, runs in readonly-commands.test.ts)
        const findings = drift(orm, dbModel).filter((f) => !adviceCodes.has(f.code));
        expect(findings.map((f) => `${f.severity} ${f.code}: ${f.message}`)).toEqual([]);
      });

      it('the SQL relscope suggests (indexes for foreign keys) runs as written, quoting names such as "order" and "OrderLine"', async () => {
        const report = json<CompareReport>((await compared).stdout, 'compare --format json');
        const suggested = [
          ...drift(orm, dbModel).flatMap((f) => f.message.match(/CREATE INDEX ON .+? \([^)]*\)/g) ?? []),
          ...report.advice.flatMap((a) => (a.suggestedSql ? [a.suggestedSql] : [])),
        ];
        const client = new pg.Client({ connectionString: db.url });
        await client.connect();
        const broken: string[] = [];
        try {
          for (const sql of new Set(suggested)) {
            await client.query('begin');
            try {
              await client.query(sql);
            } catch (error) {
              broken.push(`${sql} -> ${(error as Error).message}`);
            } finally {
              await client.query('rollback');
            }
          }
        } finally {
          await client.end();
        }
        expect(broken).toEqual([]);
      });

      it('a loading-strategy comparison runs on one of its relations', async () => {
        const result = await compared;
        expect(result.code, result.stderr).toBe(0);
        const report = json<CompareReport>(result.stdout, 'compare --format json');
        expect(report.request.entity).toBe(fx.compare.entity);
        expect(report.request.populate).toEqual(fx.compare.populate.split(','));
        expect(report.strategies.map((s) => s.strategy)).toEqual(['as-configured', 'select', 'select-in', 'joined', 'balanced', 'dataloader']);
        // Not one strategy may fail (exit 0 only says that not all of them did).
        expect(report.strategies.filter((s) => s.status === 'error').map((s) => `${s.strategy}: ${s.error}`)).toEqual([]);
        expect(report.correctness.consistent, JSON.stringify(report.correctness.differences)).toBe(true);
      });
    });
  }
}
