import { describe, expect, it } from 'vitest';
import { checkReadOnly, fingerprint, isTransactionControl, tokenize } from '../server/lab/sql.ts';
import { summarizePlan, planNodes, type RawExplain } from '../server/lab/plan.ts';
import { groupStatements } from '../server/lab/report.ts';
import { wrap } from '../common/lab-format.ts';

describe('read-only check', () => {
  it('accepts the SELECTs MikroORM sends', () => {
    for (const sql of [
      'select "u0".*, "p1"."id" as "p1__id" from "users" as "u0" left join "profiles" as "p1" on "u0"."id" = "p1"."user_id" order by "u0"."id" asc limit 10',
      'select "p0".* from "posts" as "p0" where "p0"."user_id" in (1, 2, 3)',
      'with recursive t as (select 1 as n union all select n + 1 from t where n < 3) select * from t',
      '(select 1) union all (select 2)',
      "select 'insert into x; delete from y' as text, \"update\" from t -- delete",
      'select $$ drop table users; $$ as s',
      'select 1;',
      'select 1 from pg_sleep(0.1)',
    ]) expect(checkReadOnly(sql), sql).toEqual({ ok: true });
  });

  it('refuses anything that writes, locks or is not one SELECT', () => {
    const refused: [string, RegExp][] = [
      ['insert into users (id) values (1)', /not a SELECT/],
      ['update users set name = null', /not a SELECT/],
      ['delete from users', /not a SELECT/],
      ['with gone as (delete from comments returning *) select count(*) from gone', /DELETE/],
      ['with x as (update users set name = \'a\' returning id) select * from x', /UPDATE/],
      ['with x as (insert into teams (name) values (\'a\') returning id) select * from x', /INSERT/],
      ['select * into backup_users from users', /SELECT INTO/],
      ['select * from users for update', /locking clause/],
      ['select * from users for no key update', /locking clause/],
      ['select * from users for share', /locking clause/],
      ['select 1; delete from users', /more than one statement/],
      ["select nextval('users_id_seq')", /nextval/],
      ["select set_config('x', 'y', false)", /set_config/],
      ['select pg_terminate_backend(123)', /pg_terminate_backend/],
      ['explain analyze delete from users', /not a SELECT/],
      ['', /empty/],
      ['/* only a comment */', /empty/],
    ];
    for (const [sql, reason] of refused) {
      const result = checkReadOnly(sql);
      expect(result.ok, sql).toBe(false);
      if (!result.ok) expect(result.reason, sql).toMatch(reason);
    }
  });

  it('tells transaction control apart', () => {
    for (const sql of ['begin', 'BEGIN;', 'start transaction read only', 'commit', 'rollback', 'savepoint trx1', 'release savepoint trx1', 'rollback to savepoint trx1']) expect(isTransactionControl(sql), sql).toBe(true);
    for (const sql of ['begin; delete from users', 'select 1', "rollback; insert into x values (1)", 'commit; drop table users']) expect(isTransactionControl(sql), sql).toBe(false);
  });

  it('tokenizes literals, quoted identifiers and comments', () => {
    const tokens = tokenize(`select "a""b", E'it\\'s', 'x''y', $t$ a $t$, 1.5e3, $1 /* c */ -- d\n from t`);
    expect(tokens.map((t) => t.kind)).toEqual(['word', 'quoted', 'punct', 'string', 'punct', 'string', 'punct', 'string', 'punct', 'number', 'punct', 'param', 'word', 'word']);
  });
});

describe('fingerprint', () => {
  it('groups statements that differ only in values', () => {
    const a = fingerprint('select "p0".* from "posts" as "p0" where "p0"."user_id" in (1)');
    const b = fingerprint('select "p0".* from "posts" as "p0" where "p0"."user_id" in (2, 3, 4)');
    const c = fingerprint("select * from users where email = 'a@b' and id > -5 limit 10");
    expect(a).toBe(b);
    expect(a).toBe('select "p0".* from "posts" as "p0" where "p0"."user_id" in (...)');
    expect(c).toBe('select * from users where email = ? and id > ? limit ?');
    expect(fingerprint('select * from t where ((a = 1) or (a = 2) or (a = 3))')).toBe(fingerprint('select * from t where ((a = 7) or (a = 8))'));
  });

  it('keeps different shapes apart', () => {
    expect(fingerprint('select * from posts where user_id in (1)')).not.toBe(fingerprint('select * from comments where post_id in (1)'));
  });

  it('groups captured statements by path and shape, in order', () => {
    const s = (sql: string, path: string, ms: number) => ({ sql, params: [], ms, rows: 1, bytesReceived: 10, bytesSent: 5, path });
    const { groups, infos } = groupStatements([
      s('select * from users limit 2', '', 1),
      s('select * from posts where user_id in (1)', 'posts', 2),
      s('select * from posts where user_id in (2)', 'posts', 3),
    ]);
    expect(groups.map((g) => [g.id, g.count, g.path, g.totalMs, g.maxMs, g.rows])).toEqual([['s1', 1, '', 1, 1, 1], ['s2', 2, 'posts', 5, 3, 2]]);
    expect(groups[1]!.sql).toBe('select * from posts where user_id in (1)');
    expect(infos.map((i) => i.group)).toEqual([0, 1, 1]);
  });
});

describe('plan summary', () => {
  const explain: RawExplain = {
    Plan: {
      'Node Type': 'Hash Join', 'Join Type': 'Inner', 'Startup Cost': 1, 'Total Cost': 100, 'Plan Rows': 10,
      'Actual Total Time': 5, 'Actual Rows': 1000, 'Actual Loops': 1, 'Hash Cond': '(c.post_id = p.id)',
      'Shared Hit Blocks': 40, 'Shared Read Blocks': 2,
      Plans: [
        { 'Node Type': 'Seq Scan', 'Parent Relationship': 'Outer', 'Relation Name': 'comments', Alias: 'c', 'Startup Cost': 0, 'Total Cost': 60, 'Plan Rows': 6000, 'Actual Total Time': 3, 'Actual Rows': 6000, 'Actual Loops': 1, 'Shared Hit Blocks': 30, 'Shared Read Blocks': 2 },
        {
          'Node Type': 'Hash', 'Parent Relationship': 'Inner', 'Startup Cost': 1, 'Total Cost': 1, 'Plan Rows': 5, 'Actual Total Time': 0.5, 'Actual Rows': 5, 'Actual Loops': 1,
          Plans: [{ 'Node Type': 'Index Scan', 'Parent Relationship': 'Outer', 'Relation Name': 'posts', Alias: 'p', 'Index Name': 'posts_pkey', 'Startup Cost': 0, 'Total Cost': 1, 'Plan Rows': 5, 'Actual Total Time': 0.1, 'Actual Rows': 1, 'Actual Loops': 4 }],
        },
      ],
    },
    'Planning Time': 0.2,
    'Execution Time': 5.1,
  };

  it('computes inclusive/exclusive time, misestimates, buffers and the slowest node', () => {
    const summary = summarizePlan(explain);
    const [join, seq, hash, index] = planNodes(summary.plan);
    expect(summary.nodeCount).toBe(4);
    expect(join!.label).toBe('Hash Join');
    expect(join!.condition).toBe('(c.post_id = p.id)');
    expect(join!.inclusiveMs).toBe(5);
    expect(join!.exclusiveMs).toBe(1.5); // 5 - 3 - 0.5
    expect(hash!.exclusiveMs).toBe(0.1); // 0.5 - 0.1 × 4 loops
    expect(index!.inclusiveMs).toBe(0.4);
    expect(index!.label).toBe('Index Scan using posts_pkey on posts p');
    expect(join!.misestimateFactor).toBe(100);
    expect(join!.misestimateDirection).toBe('under');
    expect(join!.flags).toContain('misestimate');
    expect(index!.misestimateDirection).toBe('over');
    expect(seq!.exclusivePercent).toBeCloseTo((3 / 5.1) * 100, 0);
    expect(summary.slowestNode).toMatchObject({ id: 1, label: 'Seq Scan on comments c', exclusiveMs: 3 });
    expect(summary.buffers).toEqual({ sharedHit: 40, sharedRead: 2 });
    expect(summary.planningMs).toBe(0.2);
    expect(summary.executionMs).toBe(5.1);
  });

  it('summarises estimate-only plans by cost', () => {
    const plain = JSON.parse(JSON.stringify(explain)) as RawExplain;
    delete plain['Execution Time'];
    const strip = (n: RawExplain['Plan']) => { delete n['Actual Total Time']; delete n['Actual Rows']; delete n['Actual Loops']; n.Plans?.forEach(strip); };
    strip(plain.Plan);
    const summary = summarizePlan(plain);
    expect(summary.plan.exclusiveMs).toBeUndefined();
    expect(summary.slowestNode?.label).toBe('Seq Scan on comments c');
  });

  it('does not call rows under a Limit a misestimate', () => {
    const limited: RawExplain = {
      Plan: { 'Node Type': 'Limit', 'Startup Cost': 0, 'Total Cost': 1, 'Plan Rows': 10, 'Actual Total Time': 0.1, 'Actual Rows': 10, 'Actual Loops': 1,
        Plans: [{ 'Node Type': 'Index Scan', 'Relation Name': 'users', 'Startup Cost': 0, 'Total Cost': 50, 'Plan Rows': 5000, 'Actual Total Time': 0.1, 'Actual Rows': 10, 'Actual Loops': 1 }] },
      'Execution Time': 0.2,
    };
    expect(planNodes(summarizePlan(limited).plan).flatMap((n) => n.flags)).not.toContain('misestimate');
  });
});

describe('text wrapping', () => {
  it('never exceeds the width', () => {
    const lines = wrap('word '.repeat(50) + 'x'.repeat(120), 80, '  ');
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(80);
  });
});
