/**
 * What the lab concludes, on real loads against both databases: duplication per entity type and
 * row explosions, cost per relation in every format, tree levels that are not an N+1, hints that
 * never repeat the configured strategy, a total failure reported as one, internal MikroORM
 * relations refused, and missing-FK-index advice kept out of Markdown drift.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { EntitySchema, defineEntity, p } from '@mikro-orm/core';
import { targets } from './helpers/targets.ts';
import { createContext, type AppContext } from '../server/context.ts';
import { UserError } from '../server/errors.ts';
import { compare } from '../server/lab/compare.ts';
import { describeEntities } from '../server/lab/request.ts';
import { compareExitCode } from '../server/commands/compare.ts';
import { dbModel } from '../server/schema/load.ts';
import { renderMarkdown } from '../server/render/markdown.ts';
import { formatMarkdown, formatTable } from '../common/lab-format.ts';
import type { CompareReport, StrategyResult } from '../common/lab-types.ts';
import type { Finding } from '../common/findings.ts';

function byStrategy(report: CompareReport): Record<string, StrategyResult> {
  return Object.fromEntries(report.strategies.map((s) => [s.strategy, s]));
}

const flat = (text: string) => text.replace(/\s+/g, ' ');

describe.each(targets)('lab verdict on $name', (target) => {
  let ctx: AppContext;
  beforeAll(async () => { ctx = await createContext({ target: { kind: target.kind, url: target.url, display: target.name, close: async () => {} } }); });
  afterAll(async () => { await ctx.close(); });

  it('measures duplication per entity type, warns of the joined row explosion only, and costs every relation in every format', async () => {
    // The top authors come first: their posts' comments make joined repeat each user many times.
    const report = await compare(ctx, { entity: 'User', populate: 'posts.comments', limit: 5, repeat: 1, explain: false, strategies: 'select-in,joined,balanced' });
    const s = byStrategy(report);
    for (const r of report.strategies) {
      expect(r.status, r.error).toBe('ok');
      expect(r.runs?.measured).toBe(r.wallMs.runs.length);
      const relations = r.relations!;
      expect(relations.map((c) => c.path).sort()).toEqual(['', 'posts', 'posts.comments']);
      expect(relations.reduce((n, c) => n + c.statements, 0)).toBe(r.roundTrips);
      expect(relations.reduce((n, c) => n + c.rows, 0)).toBe(r.rows);
      expect(relations.reduce((n, c) => n + c.bytesReceived, 0)).toBe(r.bytesReceived);
      expect(r.bytesDistinct).toBe(s['select-in']!.bytesReceived);
    }
    const user = s.joined!.duplication!.find((d) => d.entity === 'User')!;
    expect(user).toMatchObject({ rows: s.joined!.rows, entities: 5, links: 5 });
    expect(user.factor).toBeGreaterThanOrEqual(10);
    expect(s.joined!.duplicationFactor).toBe(user.factor);
    expect(s.joined!.relations!.filter((c) => c.joinedInto === '').map((c) => c.path)).toEqual(['posts', 'posts.comments']);
    for (const name of ['select-in', 'balanced']) {
      expect(s[name]!.duplication!.every((d) => d.factor === 1), name).toBe(true);
      expect(s[name]!.relations!.every((c) => c.statements === 1), name).toBe(true);
    }
    const explosions = report.advice.filter((a) => a.kind === 'row-explosion');
    expect(explosions.map((a) => a.strategy)).toEqual(['joined']);
    expect(explosions[0]!.message).toMatch(/each User arrives on/);
    // The verdict ranks only what it measured, with the real run counts.
    expect(report.verdict.ranking.every((r) => r.runs === byStrategy(report)[r.strategy]!.wallMs.runs.length)).toBe(true);

    const table = flat(formatTable(report));
    expect(table).toMatch(/by relation: roots: 1 stmt, 5 rows/);
    expect(table).toMatch(/posts: joined into the roots query/);
    expect(table).toContain(`User ${s.joined!.rows.toLocaleString('en-US')} rows/5 ${user.factor}×`);
    const md = formatMarkdown(report);
    expect(md).toContain('### Cost per relation');
    expect(md).toMatch(/\| joined \| `posts` \| joined into roots \|/);
    expect(md).toContain('### Duplication per entity type');
    expect(JSON.parse(JSON.stringify(report)).strategies[0].relations.length).toBe(3);
  });

  it('treats the levels of a self-reference as levels, not an N+1, and does not recommend select-in to select-in', async () => {
    const report = await compare(ctx, { entity: 'Comment', populate: 'replies.replies.replies', where: { parent: null }, limit: 5, repeat: 1, explain: false, strategies: 'select,select-in,balanced' });
    const s = byStrategy(report);
    for (const name of ['select-in', 'balanced']) {
      expect(s[name]!.status).toBe('ok');
      // One statement per level at most, each attributed to its own level.
      expect(s[name]!.relations!.every((c) => c.statements <= 1), name).toBe(true);
      expect(report.advice.some((a) => a.kind === 'n-plus-one' && a.strategy === name), name).toBe(false);
    }
    // The lazy loop is an N+1 per level, each tagged with its own path.
    for (const a of report.advice.filter((x) => x.kind === 'n-plus-one')) {
      expect(a.strategy).toBe('select');
      expect(['replies', 'replies.replies', 'replies.replies.replies']).toContain(a.path);
    }
    // replies is a to-many under MikroORM's default 'balanced': select-in already.
    const hint = report.advice.find((a) => a.kind === 'strategy-hint')!;
    expect(hint.message).toMatch(/already loads replies with select-in/);
    expect(hint.message).not.toMatch(/populateHints/);
  });

  it('keeps missing-FK-index advice out of the Markdown Drift sections', async () => {
    const model = await dbModel(ctx);
    const findings: Finding[] = [
      { severity: 'warning', code: 'fk-not-indexed', table: 'public.user_team', column: 'team_id', message: 'Foreign key public.user_team(team_id) has no index.' },
      { severity: 'warning', code: 'column-missing-in-db', table: 'public.users', column: 'nickname', message: 'Column public.users.nickname is mapped but missing.' },
    ];
    const md = renderMarkdown(model, { drift: findings });
    expect(md).toContain('Drift between the ORM and the database: 0 errors, 1 warning, 0 info');
    expect(md).toContain('Column public\\.users\\.nickname is mapped but missing\\.');
    expect(md).not.toContain('has no index');
    expect(renderMarkdown(model, { drift: [findings[0]!] })).toContain('Drift between the ORM and the database: none.');
  });
});

/** A constructor MikroORM cannot use to hydrate: `name` is a getter without a setter. */
class Fragile {
  id!: number;
  declare readonly name: string;
  constructor() {
    Object.defineProperty(this, 'name', { get: () => 'fixed', enumerable: true });
  }
}
const FragileSchema = new EntitySchema({ class: Fragile, tableName: 'categories', forceConstructor: true, properties: { id: { type: 'integer', primary: true }, name: { type: 'string' } } });
const LvTeam = defineEntity({ name: 'LvTeam', tableName: 'teams', properties: { id: p.integer().primary(), name: p.string() } });
/** A unidirectional m:n: MikroORM adds a hidden LvTeam.LvUser_teams__inverse. */
const LvUser = defineEntity({
  name: 'LvUser',
  tableName: 'users',
  properties: {
    id: p.integer().primary(),
    teams: () => p.manyToMany(LvTeam).pivotTable('user_team').joinColumn('user_id').inverseJoinColumn('team_id'),
  },
});

describe.each(targets)('lab failures and internal relations on $name', (target) => {
  let ctx: AppContext;
  beforeAll(async () => {
    ctx = await createContext({ entities: [FragileSchema, LvUser, LvTeam], target: { kind: target.kind, url: target.url, display: target.name, close: async () => {} } });
  });
  afterAll(async () => { await ctx.close(); });

  it('reports a total failure as one: exit 1, one line per error, no graph verdict, no generated code on stderr', async () => {
    const errors = vi.spyOn(console, 'error');
    try {
      const report = await compare(ctx, { entity: 'Fragile', limit: 3, repeat: 1, explain: false });
      expect(report.strategies.length).toBeGreaterThanOrEqual(5);
      expect(report.strategies.map((r) => r.status)).toEqual(report.strategies.map(() => 'error'));
      expect(report.strategies[0]!.error).toMatch(/only a getter/);
      expect(report.correctness.consistent).toBe(false);
      expect(report.correctness.unchecked).toHaveLength(report.strategies.length);
      expect(report.verdict.winner).toBeNull();
      expect(compareExitCode(report)).toBe(1);
      const table = formatTable(report);
      expect(table).not.toMatch(/hydrated the same graph/);
      expect(flat(table)).toMatch(/Verdict: No verdict: every strategy failed/);
      expect(table.split('\n').filter((l) => /^\w[\w-]* +error: /.test(l))).toHaveLength(report.strategies.length);
      expect(formatMarkdown(report)).not.toMatch(/hydrated the same graph/);
      expect(report.advice.filter((a) => a.kind === 'strategy-error')).toHaveLength(report.strategies.length);
      expect(errors.mock.calls.flat().join('\n')).not.toMatch(/JIT runtime error|function\(entity, data/);
    } finally {
      errors.mockRestore();
    }
  });

  it('neither offers nor accepts the relations MikroORM adds internally', async () => {
    const orm = await ctx.orm();
    const team = orm.getMetadata().getByClassName('LvTeam');
    expect(Object.keys(team.properties)).toContain('LvUser_teams__inverse'); // it exists in the metadata
    const entities = describeEntities(orm.getMetadata());
    const info = entities.find((e) => e.name === 'LvTeam')!;
    expect(info.relations.map((r) => r.name)).toEqual([]);
    expect(info.paths).toEqual([]);
    expect(entities.flatMap((e) => e.paths).filter((x) => /__inverse|_owner$|_inverse$/.test(x))).toEqual([]);
    const refused = compare(ctx, { entity: 'LvTeam', populate: 'LvUser_teams__inverse', repeat: 1, explain: false });
    await expect(refused).rejects.toThrow(UserError);
    await expect(refused).rejects.toThrow(/"LvUser_teams__inverse" is a relation MikroORM adds internally .* populate LvUser\.teams from its owner instead/);
    // The owning side still compares.
    const ok = await compare(ctx, { entity: 'LvUser', populate: 'teams', limit: 3, repeat: 1, explain: false, strategies: 'select-in,joined' });
    expect(ok.strategies.every((r) => r.status === 'ok')).toBe(true);
    expect(compareExitCode(ok)).toBe(ok.correctness.consistent ? 0 : 1);
  });
});
