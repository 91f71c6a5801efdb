/**
 * The demo model (nine tables, every relationship kind) read from both sources on every test
 * database: exact relations, exact crow's-foot tokens, no drift, deterministic output.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contextFor, targets } from './helpers/targets.ts';
import type { AppContext } from '../server/context.ts';
import { modelFromDatabase } from '../server/schema/from-catalog.ts';
import { modelFromEntities } from '../server/schema/from-orm.ts';
import { ormModel } from '../server/schema/load.ts';
import { drift } from '../server/schema/drift.ts';
import { lint } from '../server/schema/lint.ts';
import { doctorRules } from '../server/schema/doctor.ts';
import type { Relation, SchemaModel } from '../common/schema-model.ts';
import { planDiagram } from '../server/render/mermaid.ts';
import { renderJson } from '../server/render/json.ts';
import { renderMarkdown } from '../server/render/markdown.ts';
import { demoEntities } from '../entities/index.ts';
import { defineEntity, p } from '@mikro-orm/postgresql';

let mermaid: { parse(text: string): Promise<unknown> };
beforeAll(async () => {
  mermaid = (await import('mermaid')).default;
});

const nine = ['categories', 'comments', 'memberships', 'post_categories', 'posts', 'profiles', 'teams', 'user_team', 'users'].map((t) => `public.${t}`);

/** One line per relation with everything the model says about it. */
function describeRelation(r: Relation): string {
  const props = r.fromProperty || r.toProperty ? ` ${r.fromEntity}.${r.fromProperty ?? '-'}<->${r.toEntity}.${r.toProperty ?? '-'}` : '';
  const cascade = r.cascade.length || r.inverseCascade.length ? ` cascade[${r.cascade.join(',')}|${r.inverseCascade.join(',')}]` : '';
  const via = r.via ? ` via ${r.via.table}${r.via.entity ? `(${r.via.entity})` : ''}${r.via.plainPivot ? ' plain' : ''}` : '';
  return `${r.kind} ${r.from}(${r.columns.join(',')})->${r.to}(${r.referencedColumns.join(',')})${r.nullable ? ' null' : ''}${r.onDelete ? ` del:${r.onDelete}` : ''}${r.onUpdate ? ` upd:${r.onUpdate}` : ''}${props}${cascade}${r.orphanRemoval ? ' orphans' : ''}${via}${r.selfReference ? ' self' : ''}`;
}

/** Edge lines with aliases replaced by table names: "posts }o--|| users : user_id". */
function edges(text: string, aliases: Record<string, string>): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^ {4}(e\d+) (\S+) (e\d+) : "(.*)"$/.exec(line);
    if (m) out.push(`${aliases[m[1]!]!.slice(7)} ${m[2]} ${aliases[m[3]!]!.slice(7)} : ${m[4]}`);
  }
  return out.sort();
}

describe('demo model from the ORM (no database)', () => {
  let orm: SchemaModel;
  beforeAll(async () => { orm = await modelFromEntities(demoEntities); });

  it('maps every relation from the metadata: kinds, owner and inverse sides, cascades, pivots', () => {
    expect(orm.tables.map((t) => t.id)).toEqual(nine);
    expect(orm.tables.map((t) => `${t.name}:${t.entity ?? '-'}:${t.isPivot ? 'pivot' : ''}`)).toEqual([
      'categories:Category:', 'comments:Comment:', 'memberships:Membership:', 'post_categories:PostCategory:', 'posts:Post:',
      'profiles:Profile:', 'teams:Team:', 'user_team:-:pivot', 'users:User:',
    ]);
    expect(orm.relations.map(describeRelation)).toEqual([
      'm:1 public.comments(parent_id)->public.comments(id) null del:cascade upd:no action Comment.parent<->Comment.replies cascade[persist|persist,remove] orphans self',
      'm:1 public.comments(post_id)->public.posts(id) del:cascade upd:no action Comment.post<->Post.comments cascade[persist|persist,remove] orphans',
      'm:1 public.comments(user_id)->public.users(id) del:cascade upd:no action Comment.user<->User.comments cascade[persist|persist]',
      'm:1 public.memberships(team_id)->public.teams(id) del:cascade upd:cascade Membership.team<->Team.memberships cascade[persist|persist]',
      'm:1 public.memberships(user_id)->public.users(id) del:cascade upd:cascade Membership.user<->User.memberships cascade[persist|persist]',
      'm:n public.posts(post_id)->public.categories(category_id) null Post.categories<->Category.posts cascade[persist|persist] via public.post_categories(PostCategory)',
      'm:1 public.post_categories(category_id)->public.categories(id) del:cascade upd:cascade PostCategory.category<->Category.- cascade[persist|]',
      'm:1 public.post_categories(post_id)->public.posts(id) del:cascade upd:cascade PostCategory.post<->Post.postCategories cascade[persist|persist,remove] orphans',
      'm:1 public.posts(user_id)->public.users(id) del:cascade upd:no action Post.author<->User.posts cascade[persist|persist,remove] orphans',
      '1:1 public.profiles(user_id)->public.users(id) del:cascade upd:no action Profile.user<->User.profile cascade[persist|persist]',
      'm:n public.users(user_id)->public.teams(team_id) null User.teams<->Team.users cascade[persist|persist] via public.user_team plain',
      'm:1 public.user_team(team_id)->public.teams(id) del:cascade upd:cascade',
      'm:1 public.user_team(user_id)->public.users(id) del:cascade upd:cascade',
    ]);
  });

  it('keeps composite primary keys and ORM-declared uniques and indexes', () => {
    const t = (name: string) => orm.tables.find((x) => x.name === name)!;
    expect(t('memberships').primaryKey?.columns).toEqual(['user_id', 'team_id']);
    expect(t('post_categories').primaryKey?.columns).toEqual(['post_id', 'category_id']);
    expect(t('users').uniques.map((u) => u.columns.join(','))).toEqual(['email', 'username']);
    expect(t('profiles').uniques.map((u) => u.columns.join(','))).toEqual(['user_id']);
    expect(t('posts').columns.map((c) => `${c.name}:${c.type}:${c.nullable ? 'null' : 'not null'}:${c.property}`)).toEqual([
      'id:integer:not null:id', 'title:character varying(200):not null:title', 'content:text:null:content',
      'created_at:timestamp with time zone:not null:createdAt', 'user_id:integer:not null:author',
    ]);
    expect(t('comments').indexes.filter((i) => !i.primary).map((i) => i.columns.join(','))).toEqual(['parent_id', 'post_id', 'user_id']);
  });
});

describe('ORM model edge cases (no database)', () => {
  // Table-per-type and single-table inheritance, a virtual entity, a view, an unidirectional m:n.
  const Person = defineEntity({ name: 'Person', tableName: 'person', discriminatorColumn: 'kind', properties: { id: p.integer().primary(), kind: p.string(), name: p.string() } });
  const Employee = defineEntity({ name: 'Employee', extends: Person, discriminatorValue: 'emp', properties: { salary: p.integer().nullable(), manager: () => p.manyToOne(Person).nullable() } });
  const Content = defineEntity({ name: 'Content', tableName: 'content', inheritance: 'tpt', properties: { id: p.integer().primary(), author: () => p.manyToOne(Person), tags: () => p.manyToMany(Tag).pivotTable('content_tags') } });
  const Article = defineEntity({ name: 'Article', tableName: 'article', extends: Content, properties: { body: p.text(), editor: () => p.manyToOne(Person).nullable() } });
  const Tag = defineEntity({ name: 'Tag', tableName: 'tag', properties: { id: p.integer().primary(), label: p.string() } });
  const Usage = defineEntity({ name: 'TagUsage', expression: 'select label, 1 as uses from tag', properties: { label: p.string(), uses: p.integer() } });
  const Stats = defineEntity({ name: 'Stats', tableName: 'stats', view: true, expression: 'select count(*)::int as n from person', properties: { n: p.integer().primary() } });

  it('keeps each relation once, on the table that holds its columns', async () => {
    const model = await modelFromEntities([Person, Employee, Content, Article, Tag, Usage, Stats]);
    expect(model.tables.map((t) => `${t.id}:${t.kind}:${t.entity}`)).toEqual([
      'public.article:table:Article', 'public.content:table:Content', 'public.content_tags:table:null', 'public.person:table:Person',
      'public.stats:view:Stats', 'public.tag:table:Tag', 'public.tag_usage:virtual:TagUsage',
    ]);
    expect(model.tables.find((t) => t.name === 'person')!.columns.map((c) => c.name)).toEqual(['id', 'kind', 'name', 'salary', 'manager_id']);
    expect(model.relations.map((r) => `${r.kind} ${r.from}(${r.columns}) -> ${r.to} ${r.fromProperty ?? '-'}`)).toEqual([
      'm:1 public.article(editor_id) -> public.person editor',
      '1:1 public.article(id) -> public.content -', // the TPT child's key to its parent, from the FK itself
      'm:1 public.content(author_id) -> public.person author',
      'm:n public.content(content_id) -> public.tag tags',
      'm:1 public.content_tags(content_id) -> public.content -',
      'm:1 public.content_tags(tag_id) -> public.tag -',
      'm:1 public.person(manager_id) -> public.person manager',
    ]);
  });
});

describe.each(targets)('demo schema on $name', (target) => {
  let ctx: AppContext;
  let orm: SchemaModel;
  let db: SchemaModel;
  beforeAll(async () => {
    ctx = await contextFor(target);
    orm = await ormModel(ctx);
    db = await modelFromDatabase(target);
  });
  afterAll(async () => { await ctx.close(); });

  it('reads the nine tables from the catalogs with the ORM\'s columns, types and nullability', () => {
    expect(db.origin).toMatch(/^PostgreSQL (15|16|17|18)\./);
    expect(db.tables.map((t) => t.id)).toEqual(nine);
    for (const table of orm.tables) {
      const dbTable = db.tables.find((t) => t.id === table.id)!;
      // attnotnull, not pg_constraint: the same answer on PG 15 and PG 18.
      expect(dbTable.columns.map((c) => `${c.name} ${c.type}${c.nullable ? ' null' : ''}`), table.id).toEqual(table.columns.map((c) => `${c.name} ${c.type}${c.nullable ? ' null' : ''}`));
      expect(dbTable.primaryKey?.columns).toEqual(table.primaryKey?.columns);
      expect(dbTable.isPivot).toBe(table.isPivot);
      expect(dbTable.checks).toEqual([]);
    }
    const posts = db.tables.find((t) => t.name === 'posts')!;
    expect(posts.columns.find((c) => c.name === 'id')).toMatchObject({ generated: 'serial', default: "nextval('posts_id_seq'::regclass)" });
    expect(posts.foreignKeys).toEqual([{ name: 'posts_user_id_foreign', columns: ['user_id'], references: 'public.users', referencedColumns: ['id'], onDelete: 'cascade', onUpdate: 'no action' }]);
  });

  it('derives the relations from the foreign keys: 1:1 where unique, m:n for the plain pivot only', () => {
    const ormIds = orm.relations.map((r) => r.id);
    const dbIds = db.relations.map((r) => r.id);
    // The association entity PostCategory is an m:n only the ORM knows; in the database it is two FKs.
    expect(ormIds.filter((id) => !dbIds.includes(id))).toEqual(['public.post_categories']);
    expect(dbIds.filter((id) => !ormIds.includes(id))).toEqual([]);
    for (const r of db.relations) {
      const o = orm.relations.find((x) => x.id === r.id)!;
      expect({ kind: r.kind, nullable: r.nullable, onDelete: r.onDelete, onUpdate: r.onUpdate, columns: r.columns, referencedColumns: r.referencedColumns }, r.id)
        .toEqual({ kind: o.kind, nullable: o.nullable, onDelete: o.onDelete, onUpdate: o.onUpdate, columns: o.columns, referencedColumns: o.referencedColumns });
    }
  });

  it('draws the exact crow\'s foot for every demo relation, the same from both sources', async () => {
    const fromDb = planDiagram(db);
    const fromOrm = planDiagram(orm);
    expect(fromDb.overview || fromDb.truncated).toBe(false);
    expect(fromOrm.mermaid).toBe(fromDb.mermaid);
    expect(edges(fromDb.mermaid, fromDb.aliases)).toEqual([
      'comments }o--o| comments : parent_id', // nullable self-reference: zero or one parent
      'comments }o--|| posts : post_id',
      'comments }o--|| users : user_id',
      'memberships }o--|| teams : team_id',
      'memberships }o--|| users : user_id',
      'post_categories }o--|| categories : category_id',
      'post_categories }o--|| posts : post_id',
      'posts }o--|| users : user_id',
      'profiles |o--|| users : user_id', // one-to-one, not one-to-many
      'user_team }o--|| teams : team_id',
      'user_team }o--|| users : user_id',
    ]);
    expect(fromDb.mermaid).toContain('        integer user_id PK, FK\n        integer team_id PK, FK\n        varchar(30) role\n');
    expect(fromDb.mermaid).toContain('        integer user_id FK, UK\n');
    expect(fromDb.mermaid).toContain('        timestamptz created_at\n');
    await mermaid.parse(fromDb.mermaid);

    const collapsed = planDiagram(db, { collapsePivots: true });
    expect(collapsed.tables).not.toContain('public.user_team');
    expect(collapsed.tables).toContain('public.memberships');
    expect(collapsed.tables).toContain('public.post_categories');
    const collapsedEdges = edges(collapsed.mermaid, collapsed.aliases);
    expect(collapsedEdges).toContain('users }o--o{ teams : user_team');
    expect(collapsedEdges.filter((e) => e.includes('user_team'))).toEqual(['users }o--o{ teams : user_team']);
    expect(planDiagram(orm, { collapsePivots: true }).mermaid).toBe(collapsed.mermaid);
    await mermaid.parse(collapsed.mermaid);
  });

  it('draws a neighbourhood around a focus table by name or entity', () => {
    const byEntity = planDiagram(orm, { focus: 'Post', depth: 1 });
    expect(byEntity.tables).toEqual(['public.comments', 'public.post_categories', 'public.posts', 'public.users']);
    const deeper = planDiagram(db, { focus: 'posts', depth: 2, collapsePivots: true });
    expect(deeper.tables).toEqual(['public.categories', 'public.comments', 'public.memberships', 'public.post_categories', 'public.posts', 'public.profiles', 'public.teams', 'public.users']);
    expect(() => planDiagram(db, { focus: 'post', focusLabel: '--focus' })).toThrow('--focus: there is no table "post" in the db schema (9 tables). Did you mean public.posts');
  });

  it('finds no drift, and advice only about the pivot FK the ORM leaves unindexed', () => {
    // The relationship checks' findings on the demo are test/doctor.test.ts's subject.
    const advice = <T extends { code: string }>(findings: T[]) => findings.filter((f) => !doctorRules.some((r) => r.code === f.code));
    expect(drift(orm, db)).toEqual([]);
    expect(advice(lint(orm, db, 'db').findings)).toEqual([]);
    const ormLint = lint(orm, db, 'orm');
    expect(advice(ormLint.findings).map((f) => `${f.severity} ${f.code} ${f.table}.${f.column}`)).toEqual(['warning fk-not-indexed public.user_team.team_id']);
    expect(ormLint.counts).toEqual({ error: 0, warning: 1 + 3, info: 1 });
  });

  it('gives the same bytes on every read', async () => {
    const again = await modelFromDatabase(target);
    expect(renderJson(again)).toBe(renderJson(db));
    expect(renderMarkdown(again, { drift: drift(orm, again) })).toBe(renderMarkdown(db, { drift: drift(orm, db) }));
  });

  it('writes Markdown with the diagram and one section per table', () => {
    const md = renderMarkdown(db, { drift: drift(orm, db) });
    expect(md).toContain('```mermaid\nerDiagram\n');
    expect(md.match(/^### /gm)?.length).toBe(9);
    for (const id of nine) expect(md).toContain(`### ${id.replace(/[._]/g, (c) => `\\${c}`)}\n`);
    expect(md).toContain('Drift between the ORM and the database: none.');
    expect(md).toContain('**1:1** → [`public.users`](#publicusers) (`user_id → id`); required (NOT NULL FK); ON DELETE CASCADE');
    expect(md).not.toMatch(/\d{4}-\d{2}-\d{2}/); // no dates
  });
});
