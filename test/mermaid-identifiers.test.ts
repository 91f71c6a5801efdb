/**
 * Mermaid output checked by Mermaid's own parser (no DOM needed): hostile identifiers, types,
 * cardinalities, determinism and the size limits. Pure: no database.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeMermaidEntities, displayed, hostileModel, hostileNames, hostileTypes } from './mermaid-hostile.ts';
import { attributeName, cardinality, escapeText, neighbourhood, planDiagram, planDiagramSet, renderErDiagram } from '../server/render/mermaid.ts';
import { diagramLimits } from '../common/mermaid-config.ts';
import { canonicalType, diagramType } from '../server/schema/types.ts';
import { schemaModelVersion, sortModel, type Column, type Relation, type SchemaModel, type Table } from '../common/schema-model.ts';
import { relationsFromForeignKeys } from '../common/relations.ts';
import { exportHeader, parseExport } from '../server/render/document.ts';
import { renderMarkdown } from '../server/render/markdown.ts';

interface ErAttribute { type: string; name: string; keys: string[]; comment: string }
interface ErEntity { id: string; alias: string; attributes: ErAttribute[] }
interface ErRelationship { entityA: string; entityB: string; roleA: string; relSpec: { cardA: string; cardB: string; relType: string } }
interface ErDb { getEntities(): Map<string, ErEntity>; getRelationships(): ErRelationship[] }
interface MermaidApi {
  parse(text: string): Promise<unknown>;
  mermaidAPI: { getDiagramFromText(text: string): Promise<{ db: ErDb }> };
}

let mermaid: MermaidApi;
beforeAll(async () => {
  // Imported once per file (about 0.3 s).
  mermaid = (await import('mermaid')).default as unknown as MermaidApi;
});

async function parsed(text: string) {
  await mermaid.parse(text);
  const { db } = await mermaid.mermaidAPI.getDiagramFromText(text);
  return { entities: db.getEntities(), relationships: db.getRelationships() };
}

/** The entity codes Mermaid expects for each relation, as its parser reports them (cardA is the right-hand token). */
function expectedSpec(relation: Relation): { cardA: string; cardB: string } {
  if (relation.kind === 'm:n') return { cardA: 'ZERO_OR_MORE', cardB: 'ZERO_OR_MORE' };
  const right = relation.nullable ? 'ZERO_OR_ONE' : 'ONLY_ONE';
  if (relation.kind === '1:1') return { cardA: right, cardB: 'ZERO_OR_ONE' };
  return { cardA: right, cardB: 'ZERO_OR_MORE' };
}

describe('hostile identifiers', () => {
  const names = hostileNames();
  const model = hostileModel(names);

  it('generates at least 200 distinct hostile names', () => {
    expect(names.length).toBeGreaterThanOrEqual(200);
    expect(new Set(names).size).toBe(names.length);
  });

  it('renders every table, column, type and comment so that Mermaid parses it back exactly (--mermaid 12 syntax; the default is in mermaid-versions.test.ts)', async () => {
    const all = model.tables.map((t) => t.id);
    const { text, aliases } = renderErDiagram(model, all, { attributes: true, collapsePivots: false, mermaid: 12 });
    const { entities, relationships } = await parsed(text);
    // No table split in two, none merged: one entity per table.
    expect(entities.size).toBe(model.tables.length);
    const byId = new Map(model.tables.map((t) => [t.id, t]));
    for (const [alias, entity] of entities) {
      const table = byId.get(aliases[alias]!)!;
      expect(table, `alias ${alias}`).toBeDefined();
      // Several schemas: labels are schema-qualified.
      expect(decodeMermaidEntities(entity.alias)).toBe(displayed(`${table.schema}.${table.name}`));
      expect(entity.attributes.map((a) => decodeMermaidEntities(a.name))).toEqual(table.columns.map((c) => displayed(c.name)));
      expect(entity.attributes.map((a) => a.type)).toEqual(table.columns.map((c) => diagramType(c.type, 12)));
      for (const [i, attribute] of entity.attributes.entries()) {
        const c = table.columns[i]!;
        const keys = [table.primaryKey?.columns.includes(c.name) ? 'PK' : null, table.foreignKeys.some((f) => f.columns.includes(c.name)) ? 'FK' : null, table.uniques.some((u) => u.columns.length === 1 && u.columns[0] === c.name) ? 'UK' : null].filter(Boolean);
        expect(attribute.keys, `${table.id}.${c.name}`).toEqual(keys);
        if (c.comment) {
          // The first line, cut at 60 characters.
          const first = [...c.comment.split('\n')[0]!.trim()];
          const shown = first.length > 60 ? `${first.slice(0, 59).join('')}…` : first.join('');
          expect(decodeMermaidEntities(attribute.comment)).toBe(displayed(shown));
        }
      }
    }
    // Every FK is one relationship with the right crow's feet.
    const drawn = model.relations.filter((r) => r.kind !== 'm:n');
    expect(relationships.length).toBe(drawn.length);
    const aliasOfEntityId = new Map([...entities].map(([alias, e]) => [e.id, alias]));
    // Mermaid reports entityA as the left entity, cardB as the left token and cardA as the right one.
    const got = relationships.map((r) => `${aliases[aliasOfEntityId.get(r.entityA)!]} ${r.relSpec.cardB}/${r.relSpec.cardA} ${aliases[aliasOfEntityId.get(r.entityB)!]}`).sort();
    const want = drawn.map((r) => { const s = expectedSpec(r); return `${r.from} ${s.cardB}/${s.cardA} ${r.to}`; }).sort();
    expect(got).toEqual(want);
    expect(new Set(drawn.map((r) => `${r.kind}${r.nullable ? '?' : ''}`))).toEqual(new Set(['m:1', 'm:1?', '1:1', '1:1?']));
  });

  it('parses each hostile table on its own (a failure names the identifier)', async () => {
    const failures: string[] = [];
    for (const table of model.tables) {
      const { text } = renderErDiagram(model, [table.id], { attributes: true, collapsePivots: false });
      try {
        await mermaid.parse(text);
      } catch (error) {
        failures.push(`${JSON.stringify(table.id)}: ${(error as Error).message.split('\n')[0]}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('collapses plain pivots into m:n edges that Mermaid reads as zero-or-more on both ends', async () => {
    const pivots = model.tables.filter((t) => t.isPivot);
    expect(pivots.length).toBeGreaterThan(3);
    const { text, tables } = renderErDiagram(model, model.tables.map((t) => t.id), { attributes: false, collapsePivots: true });
    expect(tables.length).toBe(model.tables.length - pivots.length);
    const { entities, relationships } = await parsed(text);
    expect(entities.size).toBe(tables.length);
    const manyToMany = relationships.filter((r) => r.relSpec.cardA === 'ZERO_OR_MORE' && r.relSpec.cardB === 'ZERO_OR_MORE');
    expect(manyToMany.length).toBe(pivots.length);
    expect(text.split('\n').filter((l) => /^ +e\d+ \}o--o\{ e\d+ : "/.test(l)).length).toBe(pivots.length);
  });

  it('writes Markdown whose every mermaid block parses and whose table rows stay one line each', async () => {
    const md = renderMarkdown(model);
    const blocks = [...md.matchAll(/^```mermaid\n([\s\S]*?)\n```$/gm)].map((m) => m[1]!);
    // 255 tables: more than one diagram holds, so an overview and per-schema parts.
    expect(blocks.length).toBeGreaterThan(2);
    for (const block of blocks) await mermaid.parse(block);
    const inTables = md.split('\n').filter((l) => l.startsWith('| '));
    expect(inTables.length).toBe(model.tables.reduce((n, t) => n + t.columns.length + 1, 0));
    for (const line of inTables) expect(line.endsWith(' |'), line).toBe(true);
    expect(md.match(/^### /gm)).toHaveLength(model.tables.length);
  });

  it('gives the same bytes for the same schema, whatever order it was read in', () => {
    const shuffled: SchemaModel = { ...model, tables: [...model.tables].reverse(), relations: [...model.relations].reverse() };
    const a = renderErDiagram(model, model.tables.map((t) => t.id), { attributes: true, collapsePivots: false }).text;
    const b = renderErDiagram(sortModel(shuffled), [...model.tables.map((t) => t.id)].reverse(), { attributes: true, collapsePivots: false }).text;
    expect(b).toBe(a);
  });
});

describe('escaping and types', () => {
  it('writes multi-word and parametrised types as one Mermaid word', async () => {
    expect(diagramType('timestamp with time zone')).toBe('timestamptz');
    expect(diagramType('timestamp(3) without time zone')).toBe('timestamp(3)');
    expect(diagramType('numeric(8, 2)', 12)).toBe('numeric(8,2)');
    expect(diagramType('numeric(8, 2)')).toBe('numeric(8_2)');
    expect(diagramType('character varying(255)[]')).toBe('varchar(255)[]');
    expect(diagramType('double precision')).toBe('float8');
    expect(diagramType('"char"')).toBe('char');
    expect(diagramType('2fa')).toBe('_2fa');
    expect(diagramType('interval day to second')).toBe('interval_day_to_second');
    for (const type of hostileTypes) expect(diagramType(type, 12)).toMatch(/^[A-Za-z_*\u00C0-\uFFFF][A-Za-z0-9_\-[\]().,*\u00C0-\uFFFF]*$/);
    // Mermaid 10.7's attribute word (GitLab): ASCII only, no dots, no commas.
    for (const type of hostileTypes) expect(diagramType(type)).toMatch(/^[A-Za-z_][A-Za-z0-9_\-[\]()]*$/);
  });

  it('brings ORM type spellings to format_type spellings', () => {
    expect(canonicalType('int')).toBe('integer');
    expect(canonicalType('varchar(255)')).toBe('character varying(255)');
    expect(canonicalType('timestamptz')).toBe('timestamp with time zone');
    expect(canonicalType('timestamptz(3)')).toBe('timestamp(3) with time zone');
    expect(canonicalType('decimal(10, 2)')).toBe('numeric(10,2)');
    expect(canonicalType('text[]')).toBe('text[]');
    expect(canonicalType('int8')).toBe('bigint');
    expect(canonicalType('double')).toBe('double precision');
    expect(canonicalType('jsonb')).toBe('jsonb');
  });

  it('escapes labels with Mermaid entity codes and leaves plain names alone', () => {
    expect(escapeText('users')).toBe('users');
    expect(escapeText('user_team')).toBe('user_team');
    expect(escapeText('_private_')).toBe('#95;private#95;');
    expect(escapeText('a"b%c#d')).toBe('a#quot;b#37;c#35;d');
    expect(escapeText('')).toBe('#32;');
    expect(attributeName('email')).toBe('email');
    expect(attributeName('PK', 12)).toBe('`PK`');
    expect(attributeName('My Column', 12)).toBe('`My Column`');
    expect(attributeName('PK')).toBe('_PK');
    expect(attributeName('My Column')).toBe('My_Column');
  });

  it('draws each relation kind with its crow\'s foot', () => {
    const base = { id: 'r', from: 'a', to: 'b', columns: ['x'], referencedColumns: ['id'] } as Relation;
    expect(cardinality({ ...base, kind: 'm:1', nullable: false })).toBe('}o--||');
    expect(cardinality({ ...base, kind: 'm:1', nullable: true })).toBe('}o--o|');
    expect(cardinality({ ...base, kind: '1:1', nullable: false })).toBe('|o--||');
    expect(cardinality({ ...base, kind: '1:1', nullable: true })).toBe('|o--o|');
    expect(cardinality({ ...base, kind: 'm:n', nullable: true })).toBe('}o--o{');
  });

  it('keeps the export header a Mermaid comment that the parser ignores and check recognises', async () => {
    const spec = { format: 'mermaid' as const, source: 'db' as const, focus: 'a-->b "x"', depth: 2, collapsePivots: true, drift: false, schemas: ['public'] };
    const header = exportHeader(spec);
    expect(header.startsWith('%% relscope export {')).toBe(true);
    const text = `${header}\nerDiagram\n    e1["a"]\n`;
    await mermaid.parse(text);
    expect(parseExport(text)).toEqual({ kind: 'text', spec });
    const md = exportHeader({ ...spec, format: 'markdown' });
    expect(md.startsWith('<!-- ') && md.endsWith(' -->')).toBe(true);
    expect(md.slice(4, -3)).not.toMatch(/--|[<>\n]/);
    expect(parseExport(`${md}\n# x\n`)).toEqual({ kind: 'text', spec: { ...spec, format: 'markdown' } });
    expect(parseExport('# just a readme\n')).toBeNull();
  });
});

/** A big generated model: n tables of 8 columns, 1-3 FKs each, like the benchmark's. */
function bigModel(n: number, schemas = ['public']): SchemaModel {
  const tables: Table[] = [];
  const col = (name: string, type: string, nullable = false): Column => ({ name, type, nullable, default: null, comment: null, generated: null, property: null, enum: null });
  for (let i = 1; i <= n; i++) {
    const schema = schemas[i % schemas.length]!;
    const id = `${schema}.t${String(i).padStart(4, '0')}`;
    const columns = [col('id', 'integer'), col('name', 'character varying(100)'), col('created_at', 'timestamp with time zone'), col('amount', 'numeric(10,2)', true), col('active', 'boolean'), col('note', 'text', true)];
    const table: Table = { id, schema, name: id.split('.')[1]!, kind: 'table', comment: null, columns, primaryKey: { name: null, columns: ['id'] }, uniques: [], indexes: [], checks: [], foreignKeys: [], entity: null, isPivot: false };
    const fks = 1 + (i % 3);
    for (let k = 1; k <= fks && i > 1; k++) {
      const target = tables[(i * 7919 + k * 104729) % tables.length]!;
      table.columns.push(col(`ref${k}_id`, 'integer', k === 3));
      table.foreignKeys.push({ name: null, columns: [`ref${k}_id`], references: target.id, referencedColumns: ['id'], onDelete: 'cascade', onUpdate: 'no action' });
    }
    tables.push(table);
  }
  return sortModel({ version: schemaModelVersion, source: 'db', origin: 'test', tables, enums: [], relations: relationsFromForeignKeys(tables) });
}

describe('big schemas', () => {
  const model = bigModel(1000, ['public', 'sales']);

  it('falls back to an overview that stays within Mermaid\'s limits and parses', async () => {
    const d = planDiagram(model);
    expect(d.overview).toBe(true);
    expect(d.truncated).toBe(true);
    expect(d.mermaid.length).toBeLessThanOrEqual(diagramLimits.maxTextSize);
    expect(d.tables.length).toBeLessThanOrEqual(diagramLimits.maxOverviewEntities);
    expect(d.tables.length + d.omitted).toBe(1000);
    const { entities } = await parsed(d.mermaid);
    expect(entities.size).toBe(d.tables.length);
  });

  it('splits into an overview plus per-schema parts that draw every table with its columns', async () => {
    const set = planDiagramSet(model);
    expect(set[0]!.overview).toBe(true);
    const parts = set.slice(1);
    expect(parts.every((d) => !d.overview && d.mermaid.length <= diagramLimits.maxTextSize && d.tables.length <= diagramLimits.maxEntities)).toBe(true);
    expect(parts.map((d) => d.title)).toContain('Schema public, part 1 of ' + parts.filter((d) => d.title.startsWith('Schema public')).length);
    const drawn = parts.flatMap((d) => d.tables).sort();
    expect(drawn).toEqual(model.tables.map((t) => t.id).sort());
    for (const d of parts) await mermaid.parse(d.mermaid);
  });

  it('draws a focus neighbourhood with columns, and trims it to the nearest tables when too big', async () => {
    const focus = 'public.t0010';
    const small = planDiagram(model, { focus, depth: 1 });
    expect(small.overview).toBe(false);
    expect(small.truncated).toBe(false);
    expect(new Set(small.tables)).toEqual(new Set(neighbourhood(model, focus, 1)));
    const wide = planDiagram(model, { focus, depth: 6 });
    expect(wide.mermaid.length).toBeLessThanOrEqual(diagramLimits.maxTextSize);
    expect(wide.truncated).toBe(true);
    expect(wide.tables).toContain(focus);
    await mermaid.parse(wide.mermaid);
    expect(() => planDiagram(model, { focus: 'no_such_table', focusLabel: '--focus' })).toThrow(/--focus: there is no table "no_such_table"/);
  });

  it('respects smaller limits given by the caller', () => {
    const d = planDiagram(model, { limits: { maxTextSize: 5_000, maxOverviewEntities: 20 } });
    expect(d.mermaid.length).toBeLessThanOrEqual(5_000);
    expect(d.tables.length).toBeLessThanOrEqual(20);
  });
});
