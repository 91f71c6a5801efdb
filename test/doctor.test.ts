/**
 * Issue 14, part 1: the relationship checks (server/schema/doctor.ts) through `relscope lint`.
 * Each rule fires on the doctor fixtures (the same library in defineEntity and in ES
 * decorators, built with one mistake per rule), with its fix in the fixture's own style; on
 * the demo model exactly the declaration problems it has are reported and its correct
 * relations stay silent.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import pg from 'pg';
import { ScratchDatabases, fixturesRoot, relscope, setupFixtureDatabase } from './fixtures/tools/harness.ts';
import { contextFor, targets } from './helpers/targets.ts';
import { ormModel, dbModel } from '../server/schema/load.ts';
import { lint } from '../server/schema/lint.ts';
import { doctor, doctorRules } from '../server/schema/doctor.ts';
import { propertyCode } from '../server/schema/entity-code.ts';
import { modelFromEntities, modelFromOrm } from '../server/schema/from-orm.ts';
import type { Finding } from '../common/findings.ts';

const doctorCodes = new Set(doctorRules.map((r) => r.code));
const where = (f: Finding) => `${f.code} ${f.entity}.${f.property}`;

const dbs = new ScratchDatabases();
afterAll(() => dbs.close());

const fixtures = [
  { dir: 'doctor-define', style: 'defineEntity', marker: /p\.(manyToOne|oneToMany|oneToOne|manyToMany)\(/ },
  { dir: 'doctor-decorators', style: 'decorators', marker: /@(ManyToOne|OneToMany|OneToOne|ManyToMany)\(/ },
];

describe.each(dbs.kinds().flatMap((kind) => fixtures.map((f) => ({ kind, ...f }))))('relationship checks: $dir on the $kind database', ({ kind, dir, marker }) => {
  it('fire once each where the fixture breaks them, with why and a fix in the fixture\'s style', async () => {
    const db = await dbs.fresh(kind, dir);
    const cwd = join(fixturesRoot, dir);
    await setupFixtureDatabase(cwd, db.url);
    // nullable-required compares with the database: a column the ORM requires accepts NULL there.
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    await client.query('alter table loans alter column reader_id drop not null');
    await client.end();

    const result = await relscope(['lint', '--format', 'json', '--db', db.url], cwd);
    expect(result.code, result.stderr).toBe(1); // the SET NULL on NOT NULL is an error
    const findings = (JSON.parse(result.stdout) as { findings: Finding[] }).findings.filter((f) => doctorCodes.has(f.code));
    const found = findings.map(where).sort();
    expect(found).toEqual([
      'cascade-mismatch Book.author', // Author.books removes, the FK restricts
      'cascade-mismatch Book.shelf', // Shelf.books removes as orphans, the FK sets null
      'cascade-mismatch Loan.book', // SET NULL on NOT NULL
      'cascade-mismatch Review.book', // the database cascades, Book.reviews does not say so
      'cascade-remove-shared Book.publisher',
      'eager-to-many Author.books',
      'missing-inverse Book.categories', // Category has no side for it
      'missing-inverse BookCategory.category',
      'missing-inverse Card.reader',
      'missing-inverse Loan.reader',
      'missing-inverse Reader.card',
      'nullable-required Loan.reader',
      'orphan-without-owner Book.attachments',
      'orphan-without-owner Book.tags',
      'orphan-without-owner Review.attachments',
      'orphan-without-owner Shelf.books',
      'pivot-two-writers Book.categories',
      'two-owners Reader.card',
    ]);
    // every rule but sti-schema (no inheritance here; see doctor-sti-schema.test.ts)
    expect(new Set(findings.map((f) => f.code))).toEqual(new Set([...doctorCodes].filter((c) => c !== 'sti-schema')));
    for (const f of findings) {
      expect(f.severity, where(f)).toBe(f.code === 'cascade-mismatch' && f.entity === 'Loan' ? 'error' : doctorRules.find((r) => r.code === f.code)!.severity);
      expect(f.table, where(f)).toMatch(/^public\./);
      expect(f.message.length, where(f)).toBeGreaterThan(40);
      expect(f.why!.length, where(f)).toBeGreaterThan(120);
      expect(f.fix, where(f)).toMatch(marker);
    }
    // The fix says what to change: the cascade on the inverse side, the rule on the FK.
    const byWhere = new Map(findings.map((f) => [where(f), f]));
    expect(byWhere.get('cascade-mismatch Review.book')!.fix).toMatch(/Cascade\.REMOVE/);
    expect(byWhere.get('cascade-mismatch Book.author')!.fix).toMatch(/deleteRule[(:] ?'cascade'/);
    expect(byWhere.get('eager-to-many Author.books')!.fix).not.toMatch(/\.eager\(\)|eager: true/);
    // drift's column-level nullable-mismatch is replaced by the relation's finding, not doubled
    const all = (JSON.parse(result.stdout) as { findings: Finding[] }).findings;
    expect(all.filter((f) => f.table === 'public.loans' && f.column === 'reader_id' && /nullable/.test(f.code)).map((f) => f.code)).toEqual(['nullable-required']);
  });
});

describe.each(targets)('relationship checks on the demo model ($name)', (target) => {
  it('report its three declaration problems (and the same User.comments mistake on User.profile), nothing on its correct relations', async () => {
    const ctx = await contextFor(target);
    try {
      const orm = await ormModel(ctx);
      const db = await dbModel(ctx);
      const found = lint(orm, db, 'db').findings.filter((f) => doctorCodes.has(f.code)).map(where).sort();
      expect(found).toEqual([
        // User.comments cascades only persist while the database deletes comments with their user
        'cascade-mismatch Comment.user',
        // the same on the inverse 1:1: the database deletes the profile, User.profile does not say so
        'cascade-mismatch Profile.user',
        // PostCategory.category: Category has no inverse side
        'missing-inverse PostCategory.category',
        // post_categories written by Post.categories and Post.postCategories
        'pivot-two-writers Post.categories',
      ]);
      const comments = lint(orm, db, 'orm').findings.find((f) => f.code === 'cascade-mismatch' && f.entity === 'Comment')!;
      expect(comments.message).toMatch(/User\.comments cascades only persist/);
      expect(comments.fix).toContain("comments: () => p.oneToMany(Comment).mappedBy('user').cascade(Cascade.PERSIST, Cascade.REMOVE),");
      // Without the database the ORM's own FK rules are read: the same findings.
      expect(doctor(orm, null).map(where).sort()).toEqual(found);
    } finally {
      await ctx.close();
    }
  });
});

describe('fix code in each entity style', () => {
  const prop = { name: 'comments', kind: '1:m' as const, target: 'Comment', mappedBy: 'user', cascade: ['persist', 'remove'], orphanRemoval: true };
  it('writes defineEntity builders, decorators and EntitySchema objects', () => {
    expect(propertyCode('defineEntity', prop)).toBe("comments: () => p.oneToMany(Comment).mappedBy('user').cascade(Cascade.PERSIST, Cascade.REMOVE).orphanRemoval(),");
    expect(propertyCode('decorators', prop)).toBe('@OneToMany(() => Comment, (e) => e.user, { cascade: [Cascade.PERSIST, Cascade.REMOVE], orphanRemoval: true })\ncomments = new Collection<Comment>(this);');
    expect(propertyCode('EntitySchema', prop)).toBe("comments: { kind: '1:m', entity: () => Comment, mappedBy: 'user', cascade: [Cascade.PERSIST, Cascade.REMOVE], orphanRemoval: true },");
    expect(propertyCode('defineEntity', { name: 'author', kind: 'm:1', target: 'User', fieldName: 'user_id', deleteRule: 'cascade' })).toBe("author: () => p.manyToOne(User).fieldName('user_id').deleteRule('cascade'),");
  });
});

describe('fix snippets show the relation as written, plus only the suggested change', () => {
  it('leaves out the delete rule MikroORM filled in (set null on a nullable many-to-one), keeps one written', async () => {
    const { defineEntity, p, Cascade } = await import('@mikro-orm/core');
    const Publisher = defineEntity({ name: 'Publisher', properties: { id: p.integer().primary(), books: () => p.oneToMany(Book).mappedBy('publisher') } });
    const Shelf = defineEntity({ name: 'Shelf', properties: { id: p.integer().primary(), books: () => p.oneToMany(Book).mappedBy('shelf') } });
    const Book = defineEntity({
      name: 'Book',
      properties: {
        id: p.integer().primary(),
        // As a project wrote it: no deleteRule (MikroORM's metadata then says 'set null').
        publisher: () => p.manyToOne(Publisher).nullable().cascade(Cascade.PERSIST, Cascade.REMOVE),
        // A rule the project did write stays in the snippet.
        shelf: () => p.manyToOne(Shelf).nullable().deleteRule('cascade').cascade(Cascade.ALL),
      },
    });
    const model = await modelFromEntities([Publisher, Shelf, Book] as unknown as Parameters<typeof modelFromEntities>[0]);
    expect(model.entities!.find((e) => e.name === 'Book')!.relations.find((r) => r.name === 'publisher')!.deleteRule).toBe('set null'); // what the metadata holds
    const fixes = new Map(doctor(model, null).filter((f) => f.code === 'cascade-remove-shared').map((f) => [f.property, f.fix]));
    // Cascade.PERSIST alone is MikroORM's default: the snippet drops the cascade, the one change.
    expect(fixes.get('publisher')).toBe('// in Book (other options as they are)\npublisher: () => p.manyToOne(Publisher).nullable(),');
    expect(fixes.get('shelf')).toBe("// in Book (other options as they are)\nshelf: () => p.manyToOne(Shelf).nullable().deleteRule('cascade'),");
  });
});

describe('fix snippets keep a reference a reference, and name no column the naming strategy gave', () => {
  it('ref: true / .ref() stays (typed Ref<>), and a custom naming strategy\'s FK column is no fieldName of the project\'s', async () => {
    const { defineEntity, p, UnderscoreNamingStrategy } = await import('@mikro-orm/core');
    const { MikroORM } = await import('@mikro-orm/postgresql');
    // A project's own naming strategy: FK columns end in _ref (customer_ref), which the entity never writes.
    class RefNaming extends UnderscoreNamingStrategy {
      override joinKeyColumnName(entityName: string, referencedColumnName?: string, composite?: boolean, tableName?: string): string {
        return super.joinKeyColumnName(entityName, referencedColumnName, composite, tableName).replace(/_id$/, '_ref');
      }
    }
    const Customer = defineEntity({ name: 'Customer', properties: { id: p.integer().primary(), orders: () => p.oneToMany(Order).mappedBy('customer') } });
    const Order = defineEntity({
      name: 'Order',
      properties: { id: p.integer().primary(), customer: () => p.manyToOne(Customer).ref().deleteRule('cascade') },
    });
    const orm = await MikroORM.init({ entities: [Customer, Order], dbName: 'relscope_metadata_only', namingStrategy: RefNaming, debug: false, allowGlobalContext: true });
    try {
      const model = modelFromOrm(orm);
      const customer = model.entities!.find((e) => e.name === 'Order')!.relations.find((r) => r.name === 'customer')!;
      expect(customer.columns).toEqual(['customer_ref']);
      expect(customer.fieldName).toBeNull(); // before: 'customer_ref', as if the project had written it
      expect(customer.ref).toBe(true);
      const fix = doctor(model, null).find((f) => f.code === 'cascade-mismatch' && f.entity === 'Order')!.fix!;
      // before: p.manyToOne(Customer).fieldName('customer_ref').deleteRule('restrict') (the .ref() lost)
      expect(fix).toContain("customer: () => p.manyToOne(Customer).ref().deleteRule('restrict'),");
      const decorated = model.entities!.find((e) => e.name === 'Order')!.relations.find((r) => r.name === 'customer')!;
      expect(propertyCode('decorators', { ...decorated, deleteRule: 'restrict' })).toBe("@ManyToOne(() => Customer, { ref: true, deleteRule: 'restrict' })\ncustomer!: Ref<Customer>;");
      expect(propertyCode('EntitySchema', { ...decorated, deleteRule: 'restrict' })).toBe("customer: { kind: 'm:1', entity: () => Customer, ref: true, deleteRule: 'restrict' },");
    } finally {
      await orm.close(true);
    }
  });
});

describe('fix snippets name entities as the project\'s code does', () => {
  it('a defineEntity held in ArticleSchema (MikroORM\'s guide) is written ArticleSchema, not Article', async () => {
    const { entities } = await import('./fixtures/doctor-schema-names/entities.ts');
    const { MikroORM } = await import('@mikro-orm/postgresql');
    const orm = await MikroORM.init({ entities, dbName: 'relscope_metadata_only', baseDir: join(fixturesRoot, 'doctor-schema-names'), debug: false, allowGlobalContext: true });
    try {
      const fixes = new Map(doctor(modelFromOrm(orm), null).map((f) => [where(f), f.fix]));
      // before: p.oneToMany(Comment) and em.find(Article, …), names the project's code does not have
      expect(fixes.get('eager-to-many Article.comments')).toBe(
        "// in Article (other options as they are)\ncomments: () => p.oneToMany(CommentSchema).mappedBy('article').orphanRemoval(),\n// and where the collection is needed: em.find(ArticleSchema, where, { populate: ['comments'] })",
      );
      expect(fixes.get('missing-inverse Comment.author')).toBe("// in User (other options as they are)\ncomments: () => p.oneToMany(CommentSchema).mappedBy('author'),");
    } finally {
      await orm.close(true);
    }
  });
});

describe('table-per-type inheritance', () => {
  it('checks a relation the parent declares once, on the parent, not again on each child', async () => {
    const { defineEntity, p } = await import('@mikro-orm/core');
    const Writer = defineEntity({ name: 'Writer', properties: { id: p.integer().primary(), contents: () => p.oneToMany(Content).mappedBy('writtenBy') } });
    const Content = defineEntity({
      name: 'Content',
      inheritance: 'tpt',
      properties: { id: p.integer().primary(), title: p.string(), writtenBy: () => p.manyToOne(Writer) },
    });
    const Article = defineEntity({ name: 'Article', extends: Content, properties: { body: p.text(), reviewedBy: () => p.manyToOne(Writer).nullable() } });
    const Video = defineEntity({ name: 'Video', extends: Content, properties: { seconds: p.integer() } });
    const model = await modelFromEntities([Writer, Content, Article, Video] as unknown as Parameters<typeof modelFromEntities>[0]);
    // Before: missing-inverse Article.writtenBy and Video.writtenBy too, whose fixes added
    // Writer.articles / Writer.videos mapped by writtenBy beside the Writer.contents that exists.
    expect(doctor(model, null).filter((f) => f.code === 'missing-inverse').map(where)).toEqual(['missing-inverse Article.reviewedBy']);
    expect(model.entities!.find((e) => e.name === 'Video')!.relations.map((r) => r.name)).toEqual([]);
  });
});

describe('a many-to-many through an association entity', () => {
  it('asks the m:n’s owner for no collection of the association entity (a second writer of the pivot), its inverse side still', async () => {
    const { entities } = await import('./fixtures/doctor-pivot/entities.ts');
    const model = await modelFromEntities(entities);
    // Before: "missing-inverse PurchaseLine.purchase" too, whose suggested Purchase.purchaseLines
    // is what pivot-two-writers then warns about.
    expect(doctor(model, null).map(where)).toEqual(['missing-inverse PurchaseLine.item']);
  });
});

describe('entity style detection', () => {
  it('reads EntitySchema objects as EntitySchema and writes their fixes that way; defineEntity schemas as defineEntity', async () => {
    const jsFile = './fixtures/schema-js/entities/index.js'; // plain JS without types: imported by a variable path
    const js = (await import(/* @vite-ignore */ jsFile)) as Record<string, unknown>;
    const schemaModel = await modelFromEntities(['WarehouseSchema', 'WarehouseManagerSchema', 'BinSchema', 'StockItemSchema'].map((k) => js[k]) as Parameters<typeof modelFromEntities>[0]);
    expect(new Set(schemaModel.entities!.map((e) => e.style))).toEqual(new Set(['EntitySchema']));
    const oneSided = doctor(schemaModel, null).find((f) => f.code === 'missing-inverse' && f.entity === 'StockItem')!;
    expect(oneSided.fix).toMatch(/stockItems: \{ kind: '1:m', entity: \(\) => StockItem, mappedBy: 'bin' \},/);
    const { entities } = await import('./fixtures/doctor-define/entities.ts');
    expect(new Set((await modelFromEntities(entities)).entities!.map((e) => e.style))).toEqual(new Set(['defineEntity']));
  });
});
