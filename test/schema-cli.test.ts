/**
 * `relscope export`, `check` and `lint` as a user runs them (in-process through the CLI's
 * main), on every test database: files that round-trip through check, exit codes, one-line
 * errors, and nothing written half-way.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { targets } from './helpers/targets.ts';
import { errorLines, runCli, type CliRun } from './helpers/cli.ts';
import { modelFromDatabase } from '../server/schema/from-catalog.ts';
import { planDiagram } from '../server/render/mermaid.ts';
import { doctorRules } from '../server/schema/doctor.ts';

type Run = CliRun;

const relscope = runCli;

const errors = errorLines;

let dir: string;
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'relscope-cli-')); });
afterAll(() => { rmSync(dir, { recursive: true, force: true }); });

describe.each(targets)('export, check and lint on $name', (target) => {
  const db = ['--db', target.url];

  it('exports Markdown that check accepts until the file and the schema differ', async () => {
    const file = join(dir, `${target.kind}-schema.md`);
    const exported = await relscope(['export', '--source', 'db', '--format', 'markdown', '--out', file, ...db]);
    expect(errors(exported)).toEqual([expect.stringMatching(/^relscope: wrote .*schema\.md \(markdown, source db, 9 tables, [\d,]+ bytes\)\.$/)]);
    expect(exported.code).toBe(0);
    const text = readFileSync(file, 'utf8');
    expect(text.split('\n')[0]).toBe('<!-- relscope export {"format":"markdown","source":"db","focus":null,"depth":1,"collapsePivots":false,"drift":true,"schemas":null} -->');
    expect(text).toContain('```mermaid\nerDiagram\n');
    expect(text.match(/^### /gm)).toHaveLength(9);
    // Written through a temp file and a rename: nothing else is left in the directory.
    expect(readdirSync(dir).filter((f) => f.startsWith('.'))).toEqual([]);

    const ok = await relscope(['check', file, ...db]);
    expect(ok.code).toBe(0);
    expect(ok.out).toBe(`${file} is up to date with the db schema.\n`);
    // The ORM's document names entities and properties, so it is not the database's.
    expect((await relscope(['check', file, '--source', 'orm', ...db])).code).toBe(1);

    writeFileSync(file, text.replace('        integer id PK\n', '        bigint id PK\n'));
    const stale = await relscope(['check', file, ...db]);
    expect(stale.code).toBe(1);
    expect(stale.out).toContain(`${file} no longer matches the db schema (- in the file, + now):`);
    expect(stale.out).toContain('-         bigint id PK\n+         integer id PK\n');
    expect(stale.out).toContain(`Update it with: relscope export --source db --format markdown --drift --out ${file}`);
  });

  it('exports Mermaid with a header comment, the same diagram from either source', async () => {
    const run = await relscope(['export', '--format', 'mermaid', '--collapse-pivots', ...db]);
    expect(run.code).toBe(0);
    const [header, ...rest] = run.out.split('\n');
    expect(header).toBe('%% relscope export {"format":"mermaid","source":"db","focus":null,"depth":1,"collapsePivots":true,"drift":false,"schemas":null}');
    const model = await modelFromDatabase(target);
    expect(rest.join('\n')).toBe(planDiagram(model, { collapsePivots: true }).mermaid);
    const file = join(dir, `${target.kind}-diagram.mmd`);
    writeFileSync(file, run.out);
    expect((await relscope(['check', file, ...db])).code).toBe(0);
    expect((await relscope(['check', file, '--source', 'orm', ...db])).code).toBe(0);

    const focused = await relscope(['export', '--format', 'mermaid', '--source', 'orm', '--focus', 'Comment', '--depth', '1', ...db]);
    expect(focused.out.split('\n').filter((l) => /^ {4}e\d+\["/.test(l))).toEqual(['    e1["comments"] {', '    e2["posts"] {', '    e3["users"] {']);
  });

  it('exports the JSON model, which check compares without the server version', async () => {
    const file = join(dir, `${target.kind}-model.json`);
    expect((await relscope(['export', '--format', 'json', '--out', file, ...db])).code).toBe(0);
    const model = JSON.parse(readFileSync(file, 'utf8')) as { source: string; origin: string; tables: { name: string; columns: { name: string; type: string }[] }[] };
    expect(model.source).toBe('db');
    expect(model.tables).toHaveLength(9);
    writeFileSync(file, JSON.stringify({ ...model, origin: 'PostgreSQL 99.0' }, null, 2));
    expect((await relscope(['check', file, ...db])).code).toBe(0);
    model.tables.find((t) => t.name === 'users')!.columns.find((c) => c.name === 'email')!.type = 'text';
    writeFileSync(file, JSON.stringify(model, null, 2));
    const stale = await relscope(['check', file, ...db]);
    expect(stale.code).toBe(1);
    expect(stale.out).toContain('-           "type": "text",\n+           "type": "character varying(255)",');
  });

  it('lints: only the demo\'s relationship findings on the database, one more warning on the ORM model, JSON for machines', async () => {
    // The relationship checks report the demo's four declaration problems (test/doctor.test.ts).
    const doctorCodes = new Set(doctorRules.map((r) => r.code));
    const text = await relscope(['lint', ...db]);
    expect(text.code).toBe(0);
    expect(text.out).toMatch(/^warnings \(3\):\n {2}cascade-mismatch {7}User\.comments cascades only persist/);
    expect(text.out).toContain('\n0 errors, 3 warnings, 1 info.\n');
    const json = await relscope(['lint', '--source', 'orm', '--format', 'json', ...db]);
    expect(json.code).toBe(0);
    const body = JSON.parse(json.out) as { source: string; counts: Record<string, number>; findings: { code: string; table: string; column: string }[] };
    expect(body.counts).toEqual({ error: 0, warning: 4, info: 1 });
    expect(body.findings.filter((f) => !doctorCodes.has(f.code)).map((f) => `${f.code} ${f.table}.${f.column}`)).toEqual(['fk-not-indexed public.user_team.team_id']);
    const grouped = await relscope(['lint', '--source', 'orm', ...db]);
    expect(grouped.out).toMatch(/\n {2}fk-not-indexed {9}Foreign key public\.user_team\(team_id\) -> public\.teams has no index/);
    expect(grouped.out).toContain('\n0 errors, 4 warnings, 1 info.\n');
  });

  it('fails with one line and writes nothing on bad input', async () => {
    const keep = join(dir, `${target.kind}-keep.md`);
    writeFileSync(keep, 'previous contents\n');
    const cases: [string[], RegExp][] = [
      [['export', '--focus', 'nope', '--out', keep, ...db], /^relscope: --focus: there is no table "nope" in the db schema \(9 tables\)\. Did you mean /],
      [['export', '--format', 'gif', ...db], /^relscope: --format must be one of mermaid, markdown, svg, png, json, got "gif"\.$/],
      [['export', '--depth', '2', ...db], /^relscope: --depth needs --focus TABLE\.$/],
      [['export', '--format', 'json', '--focus', 'users', ...db], /^relscope: --focus applies to diagrams/],
      [['export', '--out', join(dir, 'missing', 'x.md'), ...db], /^relscope: Cannot write .*x\.md: the directory .*missing does not exist\.$/],
      [['export', '--source', 'both', ...db], /^relscope: --source must be orm or db, got "both"\.$/],
      [['check', keep, ...db], /^relscope: check: .*keep\.md is not a relscope export \(no "relscope export" header on its first line, and not a schema-model JSON\)\. Write it with/],
      [['check', join(dir, 'absent.md'), ...db], /^relscope: check: cannot read .*absent\.md: no such file\.$/],
      [['check', ...db], /^relscope: check takes one FILE/],
      [['lint', '--format', 'xml', ...db], /^relscope: --format must be text or json, got "xml"\.$/],
    ];
    for (const [args, message] of cases) {
      const run = await relscope(args);
      expect(run.code, args.join(' ')).toBe(2);
      const lines = errors(run);
      expect(lines, args.join(' ')).toHaveLength(1);
      expect(lines[0], args.join(' ')).toMatch(message);
    }
    expect(readFileSync(keep, 'utf8')).toBe('previous contents\n');
    expect(existsSync(join(dir, 'missing'))).toBe(false);
  });
});

describe.skipIf(!targets.some((t) => t.kind === 'external'))('lint exit code on a database that drifted (server only: needs a scratch database)', () => {
  const server = targets.find((t) => t.kind === 'external')!;
  const dbName = `relscope_lint_${process.pid}`;
  let url = '';
  beforeAll(async () => {
    const admin = new pg.Client({ connectionString: server.url });
    await admin.connect();
    await admin.query(`drop database if exists ${dbName}`);
    await admin.query(`create database ${dbName}`);
    await admin.end();
    const u = new URL(server.url);
    u.pathname = `/${dbName}`;
    url = u.toString();
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    await c.query(`create table users (id serial primary key, email text not null, username varchar(50) not null, name varchar(100))`);
    await c.end();
  });
  afterAll(async () => {
    const admin = new pg.Client({ connectionString: server.url });
    await admin.connect();
    await admin.query(`drop database if exists ${dbName} with (force)`);
    await admin.end();
  });

  it('exits 1 and lists the errors first', async () => {
    const run = await relscope(['lint', '--db', url]);
    expect(run.code).toBe(1);
    expect(run.out).toMatch(/^errors \(\d+\):\n/);
    expect(run.out).toContain('type-mismatch          Column public.users.email is text in the database but character varying(255) in the ORM (User.email).');
    expect(run.out).toContain('table-missing-in-db    Table public.posts (entity Post) is mapped by the ORM but missing in the database');
    expect(run.out).toContain('unique-missing-in-db   The ORM declares public.users(email) unique');
  });
});
