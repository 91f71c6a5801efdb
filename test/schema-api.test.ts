/**
 * GET /api/schema, /api/diagram, /api/drift, /api/lint on every test database: shapes the page
 * uses, 400 naming the bad parameter, 503 with the reason while the database is down and
 * recovery when it is back.
 */
import { chooseLayout } from '../common/mermaid-config.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contextFor, targets } from './helpers/targets.ts';
import { createContext, type AppContext } from '../server/context.ts';
import { createApp } from '../server/api.ts';
import type { DatabaseTarget } from '../server/db/connect.ts';
import type { SchemaModel } from '../common/schema-model.ts';
import type { DiagramResponse } from '../server/routes/schema.ts';
import { doctorRules } from '../server/schema/doctor.ts';

let mermaid: { parse(text: string): Promise<unknown> };
beforeAll(async () => {
  mermaid = (await import('mermaid')).default;
});

const base = 'http://127.0.0.1:5177/api';

describe.each(targets)('schema API on $name', (target) => {
  let ctx: AppContext;
  let app: ReturnType<typeof createApp>;
  beforeAll(async () => {
    ctx = await contextFor(target);
    app = createApp(ctx);
  });
  afterAll(async () => { await ctx.close(); });

  const get = async (path: string) => {
    const res = await app.request(`${base}${path}`);
    return { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text() };
  };

  it('GET /schema returns the model from either source', async () => {
    for (const source of ['orm', 'db']) {
      const res = await get(`/schema?source=${source}`);
      expect(res.status).toBe(200);
      const model = JSON.parse(res.text) as SchemaModel;
      expect(model.source).toBe(source);
      expect(model.tables).toHaveLength(9);
    }
    const filtered = JSON.parse((await get('/schema?source=db&schema=public')).text) as SchemaModel;
    expect(filtered.tables).toHaveLength(9);
  });

  it('GET /diagram returns Mermaid text with the alias map, and text or a focus on request', async () => {
    const res = await get('/diagram?source=db&collapsePivots=1');
    expect(res.status).toBe(200);
    const body = JSON.parse(res.text) as DiagramResponse;
    expect(Object.keys(body).sort()).toEqual(['aliases', 'collapseAssociations', 'collapsePivots', 'depth', 'edgeLabels', 'focus', 'layout', 'limits', 'mermaid', 'omitted', 'overview', 'source', 'tables', 'title', 'truncated']);
    expect(body).toMatchObject({ source: 'db', focus: null, collapsePivots: true, collapseAssociations: false, edgeLabels: 'columns', truncated: false, overview: false, omitted: 0 });
    expect(body.tables).toHaveLength(8);
    expect(Object.values(body.aliases).sort()).toEqual([...body.tables].sort());
    expect(body.mermaid).toContain(' }o--o{ ');
    await mermaid.parse(body.mermaid);
    // The layout: chosen by size (8 tables), or as asked; a bad one names the parameter.
    expect(body.layout).toBe(chooseLayout(8));
    expect((JSON.parse((await get('/diagram?source=db&layout=dagre')).text) as DiagramResponse).layout).toBe('dagre');
    expect((JSON.parse((await get('/diagram?source=db&layout=elk')).text) as DiagramResponse).layout).toBe('elk');
    const badLayout = await get('/diagram?layout=circle');
    expect(badLayout.status).toBe(400);
    expect((JSON.parse(badLayout.text) as { error: string }).error).toContain('Parameter "layout" must be dagre, elk or auto');

    const focused = JSON.parse((await get('/diagram?source=orm&focus=Profile&depth=1')).text) as DiagramResponse;
    expect(focused.focus).toBe('public.profiles');
    expect(focused.tables).toEqual(['public.profiles', 'public.users']);
    expect(focused.aliases).toEqual({ e1: 'public.profiles', e2: 'public.users' });

    // The ORM's language (issue 14): the default for source=orm, asked for on db; old labels on request.
    const ormLabels = JSON.parse((await get('/diagram?source=orm&collapsePivots=1&collapseAssociations=1')).text) as DiagramResponse;
    expect(ormLabels).toMatchObject({ edgeLabels: 'orm', collapseAssociations: true });
    expect(ormLabels.mermaid).toContain(' : "author (owner) / posts"');
    expect(ormLabels.mermaid).toContain(' : "categories (owner) / posts via PostCategory"');
    expect(ormLabels.tables).not.toContain('public.post_categories');
    await mermaid.parse(ormLabels.mermaid);
    const dbInOrmWords = JSON.parse((await get('/diagram?source=db&edgeLabels=orm')).text) as DiagramResponse;
    expect(dbInOrmWords.mermaid).toContain(' : "author (owner) / posts"');
    const columns = JSON.parse((await get('/diagram?source=orm&edgeLabels=columns')).text) as DiagramResponse;
    expect(columns.mermaid).not.toContain('(owner)');
    expect(columns.mermaid).toContain(' : "user_id"');

    const text = await get('/diagram?format=text&focus=users&depth=0');
    expect(text.type).toContain('text/plain');
    expect(text.text).toMatch(/^erDiagram\n {4}e1\["users"\] \{\n/);
  });

  it('GET /drift and /lint report findings with counts', async () => {
    const driftBody = JSON.parse((await get('/drift')).text) as { findings: unknown[]; counts: Record<string, number>; orm: { origin: string }; db: { origin: string } };
    expect(driftBody.findings).toEqual([]);
    expect(driftBody.counts).toEqual({ error: 0, warning: 0, info: 0 });
    expect(driftBody.orm.origin).toMatch(/^MikroORM 7\./);
    expect(driftBody.db.origin).toMatch(/^PostgreSQL /);
    const lintBody = JSON.parse((await get('/lint?source=orm')).text) as { source: string; findings: { severity: string; code: string; table: string; column?: string; message: string }[] };
    expect(lintBody.source).toBe('orm');
    // Besides the relationship checks' findings (test/doctor.test.ts), which carry entity, property, fix and why.
    const doctorCodes = new Set(doctorRules.map((r) => r.code));
    expect(lintBody.findings.filter((f) => !doctorCodes.has(f.code))).toEqual([expect.objectContaining({ severity: 'warning', code: 'fk-not-indexed', table: 'public.user_team', column: 'team_id' })]);
    expect(lintBody.findings.find((f) => f.code === 'pivot-two-writers')).toMatchObject({ entity: 'Post', property: 'categories', fix: expect.stringContaining('postCategories: () => p.oneToMany(PostCategory)'), why: expect.any(String) });
  });

  it('answers 400 naming the bad parameter', async () => {
    const cases: [string, RegExp][] = [
      ['/schema?source=mysql', /^Parameter "source" must be orm or db, got "mysql"\.$/],
      ['/schema?source=db&schema=relscope_nope', /^Schema "relscope_nope" does not exist in this database/],
      ['/diagram?format=png', /^Parameter "format" must be mermaid, text or svg, got "png"\.$/],
      ['/diagram?depth=-1', /^Parameter "depth" must be an integer from 0 to 20, got "-1"\.$/],
      ['/diagram?depth=two', /^Parameter "depth" must be an integer/],
      ['/diagram?collapsePivots=yes', /^Parameter "collapsePivots" must be 1 or 0/],
      ['/diagram?edgeLabels=properties', /^Parameter "edgeLabels" must be orm or columns, got "properties"\.$/],
      ['/diagram?collapseAssociations=yes', /^Parameter "collapseAssociations" must be 1 or 0/],
      ['/diagram?focus=nope', /^Parameter "focus": there is no table "nope" in the db schema \(9 tables\)\./],
      ['/diagram?source=db&source=orm', /^Parameter "source" is given 2 times; give it once\.$/],
      ['/drift?source=orm', /^Unknown parameter "source"; this endpoint takes schema\.$/],
    ];
    for (const [path, message] of cases) {
      const res = await get(path);
      expect(res.status, path).toBe(400);
      expect((JSON.parse(res.text) as { error: string }).error, path).toMatch(message);
    }
  });
});

describe('schema API while the database is down', () => {
  it('answers 503 with the reason for db, keeps serving orm, and recovers when the database is back', async () => {
    const live = targets[0]!;
    const target: DatabaseTarget = { kind: 'external', url: 'postgresql://postgres@127.0.0.1:9/relscope_gone', display: 'a stopped server', close: async () => {} };
    const ctx = await createContext({ target });
    try {
      const app = createApp(ctx);
      const down = await app.request(`${base}/schema?source=db`);
      expect(down.status).toBe(503);
      expect(((await down.json()) as { error: string }).error).toMatch(/^Cannot connect to PostgreSQL at 127\.0\.0\.1:9 \(database relscope_gone\): connection refused/);
      expect((await app.request(`${base}/drift`)).status).toBe(503);
      // The ORM's model needs no database.
      const orm = await app.request(`${base}/diagram?source=orm`);
      expect(orm.status).toBe(200);
      // The database comes back (here: the target now points at a live one).
      target.url = live.url;
      const back = await app.request(`${base}/schema?source=db`);
      expect(back.status).toBe(200);
      expect(((await back.json()) as SchemaModel).tables).toHaveLength(9);
    } finally {
      await ctx.close();
    }
  });
});
