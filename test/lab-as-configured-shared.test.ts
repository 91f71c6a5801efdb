/**
 * as-configured and the named strategy its configuration resolves to (configuredEquivalent) send
 * the same statements, so the lab runs that load once for both rows. These tests hold the claim
 * to MikroORM's real behaviour: the two runs' statements (SQL and parameters) are compared on
 * both databases, for the config default and for a changed one, and a relation with its own
 * strategy makes the two different loads again, each run on its own.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MikroORM } from '@mikro-orm/postgresql';
import { targets, contextFor } from './helpers/targets.ts';
import type { AppContext } from '../server/context.ts';
import { compare } from '../server/lab/compare.ts';
import { instrumentPool } from '../server/lab/capture.ts';
import { resolveRequest } from '../server/lab/request.ts';
import { configuredEquivalent, runStrategy, type LoadSpec } from '../server/lab/strategies.ts';
import { formatMarkdown } from '../common/lab-format.ts';
import type { StrategyName } from '../common/lab-types.ts';

function specFor(orm: MikroORM, input: Record<string, unknown>): LoadSpec {
  const { request, meta, tree } = resolveRequest(orm.getMetadata(), input);
  return { meta, request, tree };
}

async function statementsOf(orm: MikroORM, spec: LoadSpec, strategy: StrategyName): Promise<string[]> {
  const run = await runStrategy(orm, spec, strategy, { snapshot: false });
  expect(run.error, `${strategy}: ${run.error}`).toBeUndefined();
  expect(run.statements.length, `${strategy}: statements captured`).toBeGreaterThan(0);
  return run.statements.map((s) => `${s.sql} -- ${JSON.stringify(s.params)}`);
}

describe.each(targets)('as-configured measured once with its equivalent on $name', (target) => {
  let ctx: AppContext;
  let orm: MikroORM;
  beforeAll(async () => {
    ctx = await contextFor(target);
    orm = await ctx.orm();
    instrumentPool(await orm.em.getConnection().getNativeClient()); // what compare() does before its runs
  });
  afterAll(async () => { await ctx.close(); });

  const request = { entity: 'User', populate: ['posts.comments', 'profile'], limit: 5 };

  it('sends the same statements as the named strategy it resolves to (the config default, then a changed one)', async () => {
    const spec = specFor(orm, request);
    expect(configuredEquivalent(orm, spec)).toBe('balanced');
    const configured = await statementsOf(orm, spec, 'as-configured');
    expect(configured.length).toBe(3); // users ⋈ profiles, posts, comments
    expect(configured).toEqual(await statementsOf(orm, spec, 'balanced'));
    const before = orm.config.get('loadStrategy');
    try {
      for (const strategy of ['joined', 'select-in'] as const) {
        orm.config.set('loadStrategy', strategy);
        expect(configuredEquivalent(orm, spec)).toBe(strategy);
        expect(await statementsOf(orm, spec, 'as-configured'), strategy).toEqual(await statementsOf(orm, spec, strategy));
      }
    } finally {
      orm.config.set('loadStrategy', before);
    }
  });

  it('has no equivalent when a relation of the request sets its own strategy, and then differs from the default', async () => {
    const spec = specFor(orm, request);
    const posts = orm.getMetadata().getByClassName('User').properties.posts!;
    const own = posts.strategy;
    try {
      posts.strategy = 'joined' as typeof posts.strategy;
      expect(configuredEquivalent(orm, spec)).toBeNull();
      expect(await statementsOf(orm, spec, 'as-configured')).not.toEqual(await statementsOf(orm, spec, 'balanced'));
    } finally {
      posts.strategy = own;
    }
  });

  it('runs the load once for both rows: one set of runs, said on both rows and in the Markdown', async () => {
    const running: string[] = [];
    const report = await compare(ctx, { ...request, strategies: ['as-configured', 'balanced', 'select-in'], repeat: 3, explain: false }, {
      onEvent: (e) => { if (e.type === 'running') running.push(e.strategy); },
    });
    // balanced never ran: no 'running' event (each measured strategy gets one), and its row holds as-configured's runs.
    expect(running).toEqual(['as-configured', 'select-in']);
    const [configured, balanced, selectIn] = report.strategies;
    expect(configured!.runs?.sharedWith).toBe('balanced');
    expect(balanced!.runs?.sharedWith).toBe('as-configured');
    expect(selectIn!.runs?.sharedWith).toBeUndefined();
    expect(balanced!.wallMs.runs).toEqual(configured!.wallMs.runs);
    expect(balanced!.runs?.measured).toBe(configured!.wallMs.runs.length);
    for (const row of [configured!, balanced!]) expect(row.notes.join(' ')).toMatch(/Measured once with (balanced|as-configured).*the same runs serve both rows/);
    expect(report.verdict.sameStatements ?? report.verdict.tied ?? []).toEqual(expect.arrayContaining(['as-configured', 'balanced']));
    expect(formatMarkdown(report)).toContain('the same runs serve both rows');
  });

  it('still runs both when the configuration resolves to another load', async () => {
    const posts = orm.getMetadata().getByClassName('User').properties.posts!;
    const own = posts.strategy;
    try {
      posts.strategy = 'joined' as typeof posts.strategy;
      const report = await compare(ctx, { ...request, strategies: ['as-configured', 'balanced'], repeat: 1, explain: false });
      for (const row of report.strategies) expect(row.runs?.sharedWith, row.strategy).toBeUndefined();
      expect(report.strategies[0]!.groups.length).not.toBe(report.strategies[1]!.groups.length);
    } finally {
      posts.strategy = own;
    }
  });
});
