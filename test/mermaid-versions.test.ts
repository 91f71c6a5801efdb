/**
 * Every diagram relscope writes parses in Mermaid 10.7.0 (GitLab), 11.4.1, 11.17.2 and 12.3.0,
 * installed side by side (package.json: "mermaid-10.7": "npm:mermaid@10.7.0", ...): the 255
 * hostile identifiers of test/mermaid-hostile.ts, and issue 15's hostile schema read from a real
 * database (spaces, quotes, dots, `end` and `u`, non-ASCII, enums, domains and composite types
 * in quoted schemas, arrays, timestamp(3) with time zone, interval day to second) exported as
 * mermaid, markdown, json and a docs folder.
 */
import { describe, expect, it } from 'vitest';
import pg from 'pg';
import { targets } from './helpers/targets.ts';
import { entitiesOf, mermaidBlocks, mermaidVersions, parseError } from './helpers/mermaid-versions.ts';
import { decodeMermaidEntities, displayed, hostileModel } from './mermaid-hostile.ts';
import { attributeName, planDiagramSet, renderErDiagram } from '../server/render/mermaid.ts';
import { diagramType, type MermaidSyntax } from '../server/schema/types.ts';
import { renderExportText, type ExportSpec } from '../server/render/document.ts';
import { renderMarkdown } from '../server/render/markdown.ts';
import { renderDocs } from '../server/render/docs.ts';
import { modelFromClient } from '../server/schema/from-catalog.ts';
import type { SchemaModel } from '../common/schema-model.ts';

/** Every text parsed in every release that must read it; failures name release and diagram. */
async function parseEverywhere(texts: { label: string; text: string }[], syntax: MermaidSyntax = 10): Promise<string[]> {
  const failures: string[] = [];
  for (const version of mermaidVersions) {
    if (version.syntax < syntax) continue;
    for (const { label, text } of texts) {
      const error = await parseError(version.module, text);
      if (error) failures.push(`${version.name}, ${label}: ${error}`);
    }
  }
  return failures;
}

describe('hostile identifiers in every Mermaid release', () => {
  const model = hostileModel();
  const all = model.tables.map((t) => t.id);

  it('parses each hostile table, the whole diagram, the collapsed one and every Markdown block, by default', async () => {
    const texts = [
      ...model.tables.map((t) => ({ label: JSON.stringify(t.id), text: renderErDiagram(model, [t.id], { attributes: true, collapsePivots: false }).text })),
      { label: 'all tables', text: renderErDiagram(model, all, { attributes: true, collapsePivots: false }).text },
      { label: 'collapsed pivots', text: renderErDiagram(model, all, { attributes: false, collapsePivots: true }).text },
      ...mermaidBlocks(renderMarkdown(model)).map((text, i) => ({ label: `markdown block ${i + 1}`, text })),
    ];
    expect(await parseEverywhere(texts)).toEqual([]);
  }, 120_000);

  it('reads back one entity per table with the same attributes in every release; sanitised names keep the real one in the comment', async () => {
    const { text, aliases } = renderErDiagram(model, all, { attributes: true, collapsePivots: false });
    const byId = new Map(model.tables.map((t) => [t.id, t]));
    for (const version of mermaidVersions) {
      const entities = await entitiesOf(version.module, text);
      expect(entities.size, version.name).toBe(model.tables.length);
      for (const [alias, entity] of entities) {
        const table = byId.get(aliases[alias]!)!;
        expect(decodeMermaidEntities(entity.alias), version.name).toBe(displayed(`${table.schema}.${table.name}`));
        expect(entity.attributes.map((a) => a.type), `${version.name} ${table.id}`).toEqual(table.columns.map((c) => diagramType(c.type)));
        for (const [i, attribute] of entity.attributes.entries()) {
          const column = table.columns[i]!;
          expect(/^[A-Za-z_][A-Za-z0-9_\-[\]()]*$/.test(attribute.name), attribute.name).toBe(true);
          if (attribute.name !== column.name) expect(decodeMermaidEntities(attribute.comment).startsWith(displayed(column.name)), `${table.id}.${column.name}`).toBe(true);
        }
      }
    }
  }, 120_000);

  it('with --mermaid 12 keeps names in backticks: 11.17 and 12.3 read them, 10.7 and 11.4 cannot (why 10 is the default)', async () => {
    const text = renderErDiagram(model, all, { attributes: true, collapsePivots: false, mermaid: 12 }).text;
    expect(text).toContain(` ${attributeName('My Table', 12)}`);
    expect(attributeName('my id', 12)).toBe('`my id`');
    expect(attributeName('my id')).toBe('my_id');
    expect(await parseEverywhere([{ label: 'all tables, syntax 12', text }], 12)).toEqual([]);
    expect(await parseError('mermaid-10.7', text)).not.toBeNull();
    expect(await parseError('mermaid-11.4', text)).not.toBeNull();
    const entities = await entitiesOf('mermaid', text);
    const names = [...entities.values()].flatMap((e) => e.attributes.map((a) => decodeMermaidEntities(a.name)));
    expect(names).toContain('My Table');
  }, 120_000);

  it('spells types portably by default and richly for 12', () => {
    expect(diagramType('numeric(8, 2)')).toBe('numeric(8_2)');
    expect(diagramType('numeric(8, 2)', 12)).toBe('numeric(8,2)');
    expect(diagramType('"Inventory ""Dept"".x".product_status')).toBe('Inventory_Dept_x_product_status');
    expect(diagramType('inventory.product_status')).toBe('inventory_product_status');
    expect(diagramType('inventory.product_status', 12)).toBe('inventory.product_status');
    expect(diagramType('timestamp(3) with time zone')).toBe('timestamptz(3)');
    expect(diagramType('interval day to second')).toBe('interval_day_to_second');
    expect(diagramType('größe')).toBe('gro_e');
    expect(diagramType('pk')).toBe('_pk');
    expect(attributeName('end')).toBe('end');
    expect(attributeName('PK')).toBe('_PK');
    expect(attributeName('naïve café')).toBe('naive_cafe');
  });
});

const q = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** Issue 15's hostile schema; created inside a transaction that is always rolled back. */
async function hostileSchemaModel(url: string): Promise<SchemaModel> {
  const s = q(`Inventory "Dept".x ${process.pid}`);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('begin');
    await client.query(`
      create schema ${s};
      create type ${s}.product_status as enum ('in stock', 'end', 'u');
      create type ${s}."Ünï mood" as enum ('ok');
      create domain ${s}."positive amount" as numeric(10, 2) check (value > 0);
      create type ${s}.dimensions as (w integer, h integer);
      create table ${s}."end" (
        "my id" integer primary key, "u" text, "end" text, "naïve café" varchar(20), "status" ${s}.product_status,
        "statuses" ${s}.product_status[], "amount" ${s}."positive amount", "size" ${s}.dimensions, "mood" ${s}."Ünï mood",
        "at" timestamp(3) with time zone, "took" interval day to second, "tags" text[], "a""b" integer, "Größe" numeric(8, 2),
        "2fa" boolean, "PK" integer, "x.y" double precision);
      comment on column ${s}."end"."my id" is 'the "real" id: 100% hostile';
      create table ${s}."u" ("id" integer primary key, "end id" integer references ${s}."end" ("my id"), "日本語" text);
      create table ${s}."order items" ("u id" integer not null references ${s}."u" ("id"), "end id" integer not null references ${s}."end" ("my id"), primary key ("u id", "end id"));
      create table ${s}."Ünïcødé.table" ("id" integer primary key, "ref" integer unique references ${s}."u" ("id"));
    `);
    return await modelFromClient(client, { schemas: [`Inventory "Dept".x ${process.pid}`] });
  } finally {
    await client.query('rollback').catch(() => {});
    await client.end();
  }
}

describe.each(targets)('issue 15 hostile schema on $name', (target) => {
  it('exports as mermaid, markdown, json and a docs folder that parse in Mermaid 10.7, 11.4, 11.17 and 12.3', async () => {
    const model = await hostileSchemaModel(target.url);
    expect(model.tables.map((t) => t.name).sort()).toEqual(['end', 'order items', 'u', 'Ünïcødé.table'].sort());
    const end = model.tables.find((t) => t.name === 'end')!;
    expect(end.columns.map((c) => c.type)).toEqual(expect.arrayContaining(['timestamp(3) with time zone', 'interval day to second', 'text[]', 'numeric(8,2)']));
    const base: ExportSpec = { format: 'mermaid', source: 'db', focus: null, depth: 1, collapsePivots: false, drift: false, schemas: null };
    const texts: { label: string; text: string }[] = [];
    for (const collapsePivots of [false, true]) {
      texts.push({ label: `mermaid${collapsePivots ? ' collapsed' : ''}`, text: renderExportText({ ...base, collapsePivots }, model).text });
      for (const t of model.tables) texts.push({ label: `mermaid focus ${t.name}`, text: renderExportText({ ...base, collapsePivots, focus: t.id }, model).text });
      mermaidBlocks(renderExportText({ ...base, format: 'markdown', collapsePivots }, model).text).forEach((text, i) => texts.push({ label: `markdown block ${i + 1}`, text }));
    }
    const docs = renderDocs({ spec: { source: 'db', schemas: null, collapsePivots: false, drift: false, mermaid: 10 }, model, drift: null, rows: null });
    for (const [path, text] of docs) mermaidBlocks(text).forEach((block, i) => texts.push({ label: `docs ${path} block ${i + 1}`, text: block }));
    expect(texts.length).toBeGreaterThan(12);
    expect(await parseEverywhere(texts)).toEqual([]);

    // The real names stay visible: in the diagram's comments, and as they are in the tables and the JSON.
    const mermaid = texts[0]!.text;
    expect(mermaid).toContain('my_id PK "my id: the #quot;real#quot; id: 100#37; hostile"');
    expect(mermaid).toMatch(/Inventory_Dept_x_\d+_product_status status/);
    expect(mermaid).toMatch(/Inventory_Dept_x_\d+_product_status\[\] statuses/);
    expect(mermaid).toContain('timestamptz(3) at');
    expect(mermaid).toContain('interval_day_to_second took');
    const json = JSON.parse(renderExportText({ ...base, format: 'json' }, model).text) as SchemaModel;
    expect(json.tables.flatMap((t) => t.columns.map((c) => c.name))).toEqual(expect.arrayContaining(['my id', 'naïve café', 'a"b', 'Größe', 'end', 'u']));
    const readme = docs.get('README.md')!;
    expect(readme).toContain('`Inventory "Dept".x');
    // Every table page is linked from the README with an ASCII file name.
    for (const path of [...docs.keys()].filter((p) => p.startsWith('tables/'))) {
      expect(path).toMatch(/^tables\/[a-z0-9._-]+\.md$/);
      expect(readme).toContain(`](${path})`);
    }

    // --mermaid 12: the newer releases read the richer text too.
    const rich = planDiagramSet(model, { mermaid: 12 }).map((d, i) => ({ label: `syntax 12 diagram ${i + 1}`, text: d.mermaid }));
    expect(await parseEverywhere(rich, 12)).toEqual([]);
    expect(rich[0]!.text).toContain('`my id`');
  }, 120_000);
});
