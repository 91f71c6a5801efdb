/**
 * `relscope docs --out DIR` and `relscope check DIR`, in-process through the CLI's main, on
 * every test database, in a schema of the test's own (created and dropped here): the folder's
 * files, same bytes twice, check 0 / 1 with a diff naming the changed column / 2, row counts
 * compared only with --rows, stale pages removed, and a README it did not write left alone.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { targets } from './helpers/targets.ts';
import { errorLines, runCli, type CliRun } from './helpers/cli.ts';
import { mermaidBlocks, mermaidVersions, parseError } from './helpers/mermaid-versions.ts';
import { pageSlug } from '../server/render/docs.ts';

type Run = CliRun;

const relscope = runCli;

function readTree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const full = join(entry.parentPath, entry.name);
    out[full.slice(dir.length + 1)] = readFileSync(full, 'utf8');
  }
  return out;
}

let work: string;
beforeAll(() => { work = mkdtempSync(join(tmpdir(), 'relscope-docs-')); });
afterAll(() => { rmSync(work, { recursive: true, force: true }); });

describe.each(targets)('docs folder on $name', (target) => {
  const schema = `docs_test_${process.pid}`;
  const sql = async (text: string) => {
    const client = new pg.Client({ connectionString: target.url });
    await client.connect();
    try { await client.query(text); } finally { await client.end(); }
  };
  beforeAll(async () => {
    await sql(`drop schema if exists ${schema} cascade;
      create schema ${schema};
      create table ${schema}.authors (id integer primary key, name varchar(100) not null, "pen name" text);
      comment on table ${schema}.authors is 'People who write';
      create table ${schema}."Books" (id integer primary key, title text not null, author_id integer not null references ${schema}.authors (id) on delete cascade);
      create table ${schema}.reviews (id integer primary key, book_id integer references ${schema}."Books" (id));
      insert into ${schema}.authors values (1, 'Ursula', null), (2, 'Italo', 'I.C.');`);
  });
  afterAll(async () => { await sql(`drop schema if exists ${schema} cascade`); });

  it('writes README, one page per table and schema.json; check tells current, changed (with the column) and not a folder of its own', async () => {
    const dir = join(work, `${target.kind}-docs`);
    const args = ['--db', target.url, '--schema', schema];
    const first = await relscope(['docs', '--out', dir, ...args]);
    expect(first.code, first.err).toBe(0);
    const files = readTree(dir);
    const pages = [`${schema}.authors`, `${schema}.Books`, `${schema}.reviews`].map((id) => `tables/${pageSlug(id)}.md`);
    expect(Object.keys(files).sort()).toEqual(['README.md', 'schema.json', ...pages].sort());
    expect(pageSlug(`${schema}.Books`)).toMatch(new RegExp(`^${schema}\\.books-[0-9a-f]{8}$`));
    const readme = files['README.md']!;
    expect(readme.split('\n')[0]).toBe('<!-- relscope docs {"source":"db","schemas":["docs_test_' + process.pid + '"],"collapsePivots":false,"drift":false,"mermaid":10} -->');
    expect(readme).toContain(`| [\`${schema}.authors\`](tables/${schema}.authors.md) | 2 | 3 |  | People who write |`);
    expect(readme).toContain('| Table | Rows (exact count) | Columns | Entity | Comment |');
    expect(readme).toMatch(/## Lint\n\n0 errors, 2 warnings, \d+ info/);
    expect(readme).toContain('`fk-not-indexed`');
    const books = files[pages[1]!]!;
    expect(books).toContain('[All tables](../README.md)');
    expect(books).toContain(`[\`${schema}.authors\`](${schema}.authors.md)`);
    expect(books).toContain('ON DELETE CASCADE');
    expect(books).toContain('## Neighbours');
    // Every diagram parses in every Mermaid the folder must render in.
    for (const [path, text] of Object.entries(files)) {
      for (const block of mermaidBlocks(text)) for (const v of mermaidVersions) expect(await parseError(v.module, block), `${v.name} ${path}`).toBeNull();
    }
    expect(JSON.parse(files['schema.json']!).origin).toBe('');

    // Same schema, same bytes.
    expect((await relscope(['docs', '--out', dir, ...args])).code).toBe(0);
    expect(readTree(dir)).toEqual(files);
    const current = await relscope(['check', dir, '--db', target.url]);
    expect(current.out).toBe(`${dir} is up to date with the db schema.\n`);
    expect(current.code).toBe(0);

    // Rows are data: a new row passes, unless --rows asks.
    await sql(`insert into ${schema}.authors values (3, 'Toni', null)`);
    expect((await relscope(['check', dir, '--db', target.url])).code).toBe(0);
    const rows = await relscope(['check', dir, '--rows', '--db', target.url]);
    expect(rows.code).toBe(1);
    expect(rows.out).toContain(`- | [\`${schema}.authors\`](tables/${schema}.authors.md) | 2 | 3 |`);
    expect(rows.out).toContain(`+ | [\`${schema}.authors\`](tables/${schema}.authors.md) | 3 | 3 |`);

    // A changed column: exit 1, a unified diff per file that names it, and the command to update.
    await sql(`alter table ${schema}.authors alter column name type varchar(200)`);
    const changed = await relscope(['check', dir, '--db', target.url]);
    expect(changed.code).toBe(1);
    expect(changed.out).toContain(`--- a/tables/${schema}.authors.md\n+++ b/tables/${schema}.authors.md`);
    expect(changed.out).toContain('- | `name` | `character varying(100)` | no |');
    expect(changed.out).toContain('+ | `name` | `character varying(200)` | no |');
    expect(changed.out).toContain('-         varchar(100) name');
    expect(changed.out).toContain('+         varchar(200) name');
    expect(changed.out).toContain(`Update it with: relscope docs --out ${dir} --schema ${schema} --no-drift`);
    // Files unchanged by check.
    expect(readTree(dir)).toEqual(files);

    // A dropped table: its page is reported, and removed by the next docs run.
    await sql(`drop table ${schema}.reviews`);
    const dropped = await relscope(['check', dir, '--db', target.url]);
    expect(dropped.code).toBe(1);
    expect(dropped.out).toContain(`+++ b/${pages[2]} (table gone)`);
    expect((await relscope(['docs', '--out', dir, ...args])).code).toBe(0);
    expect(existsSync(join(dir, pages[2]!))).toBe(false);
    expect((await relscope(['check', dir, '--db', target.url])).code).toBe(0);
  }, 120_000);

  it('refuses folders it did not write: check exits 2, docs leaves a foreign README alone', async () => {
    const foreign = join(work, `${target.kind}-foreign`);
    mkdirSync(foreign, { recursive: true });
    writeFileSync(join(foreign, 'README.md'), '# My project\n');
    const check = await relscope(['check', foreign, '--db', target.url]);
    expect(check.code).toBe(2);
    expect(check.err).toContain(`relscope: check: ${foreign} is not a relscope docs folder`);
    const docs = await relscope(['docs', '--out', foreign, '--db', target.url, '--schema', schema]);
    expect(docs.code).toBe(2);
    expect(docs.err).toContain('holds a README.md that relscope did not write');
    expect(readFileSync(join(foreign, 'README.md'), 'utf8')).toBe('# My project\n');
    expect((await relscope(['docs', '--db', target.url])).err).toContain('docs needs --out DIR');
  }, 60_000);
});
