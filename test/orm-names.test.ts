/**
 * Issue 14, item 3: `db` diagrams in the ORM's language where the ORM knows the tables, and
 * export files that record the new options (older files, without them, keep meaning what
 * they meant). Pure: the demo's ORM model from metadata, no database.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { modelFromEntities } from '../server/schema/from-orm.ts';
import { withOrmNames } from '../server/schema/orm-names.ts';
import { demoEntities } from '../entities/index.ts';
import { planDiagram } from '../server/render/mermaid.ts';
import { exportHeader, parseExport, renderExportText, type ExportSpec } from '../server/render/document.ts';
import { parseEdgeLabels } from '../server/commands/export.ts';
import type { SchemaModel } from '../common/schema-model.ts';

let orm: SchemaModel;
/** The demo as the catalogs describe it: the same tables and FKs, no ORM names. */
let db: SchemaModel;
beforeAll(async () => {
  orm = await modelFromEntities(demoEntities);
  db = {
    ...orm,
    source: 'db',
    tables: orm.tables.map((t) => ({ ...t, entity: null, columns: t.columns.map((c) => ({ ...c, property: null })) })),
    relations: orm.relations.filter((r) => r.kind !== 'm:n' || r.via?.plainPivot).map((r) => ({ ...r, fromProperty: null, toProperty: null, fromEntity: null, toEntity: null, cascade: [], inverseCascade: [] })),
  };
});

const edges = (text: string) => text.split('\n').filter((l) => / : "/.test(l)).map((l) => l.slice(l.indexOf(' : ') + 3)).sort();

describe('database diagrams in the ORM’s words', () => {
  it('labels the database’s FKs with the ORM’s properties where the ORM maps them, columns elsewhere', () => {
    const named = withOrmNames(db, orm);
    const text = planDiagram(named, { edgeLabels: 'orm' }).mermaid;
    expect(edges(text)).toEqual([
      '"author (owner) / posts"', '"category (owner) / -"', '"parent (owner) / replies"', '"post (owner) / comments"', '"post (owner) / postCategories"',
      // user_team is a pivot MikroORM made up: its FKs have no properties.
      '"team (owner) / memberships"', '"team_id"', '"user (owner) / comments"', '"user (owner) / memberships"', '"user (owner) / profile"', '"user_id"',
    ]);
    // Without the ORM's names the same model keeps its column labels.
    expect(edges(planDiagram(db, { edgeLabels: 'orm' }).mermaid)).toEqual(edges(planDiagram(db).mermaid));
    // Structure stays the database's.
    expect(named.tables.map((t) => t.id)).toEqual(db.tables.map((t) => t.id));
    expect(named.relations.map((r) => r.id)).toEqual(db.relations.map((r) => r.id));
  });

  it('collapses the demo’s association entity post_categories into one m:n edge naming it', () => {
    const text = planDiagram(orm, { edgeLabels: 'orm', collapsePivots: true, collapseAssociations: true }).mermaid;
    expect(text).not.toContain('"post_categories"');
    expect(edges(text)).toContain('"categories (owner) / posts via PostCategory"');
    expect(edges(text)).toContain('"teams (owner) / users"');
  });
});

describe('export files and the new options', () => {
  const spec: ExportSpec = { format: 'mermaid', source: 'orm', focus: null, depth: 1, collapsePivots: false, drift: false, schemas: null, edgeLabels: 'orm', collapseAssociations: true };

  it('records --edge-labels orm and --collapse-associations, and reads them back', () => {
    const header = exportHeader(spec);
    expect(header).toBe('%% relscope export {"format":"mermaid","source":"orm","focus":null,"depth":1,"collapsePivots":false,"drift":false,"schemas":null,"collapseAssociations":true,"edgeLabels":"orm"}');
    expect(parseExport(`${header}\nerDiagram\n`)).toEqual({ kind: 'text', spec });
  });

  it('reads a file written before these options as FK column labels, no association collapsed, and re-creates it byte for byte', () => {
    const old = '%% relscope export {"format":"mermaid","source":"orm","focus":null,"depth":1,"collapsePivots":false,"drift":false,"schemas":null}';
    const parsed = parseExport(`${old}\nerDiagram\n`);
    const { edgeLabels: _labels, collapseAssociations: _collapse, ...before } = spec;
    expect(parsed).toEqual({ kind: 'text', spec: before });
    const remade = renderExportText((parsed as { spec: ExportSpec }).spec, orm).text;
    expect(remade.split('\n')[0]).toBe(old);
    expect(remade).not.toContain('(owner)');
  });

  it('defaults to the ORM’s language for --source orm and to columns for --source db', () => {
    expect(parseEdgeLabels(undefined, 'orm')).toBe('orm');
    expect(parseEdgeLabels(undefined, 'db')).toBe('columns');
    expect(parseEdgeLabels('columns', 'orm')).toBe('columns');
    expect(() => parseEdgeLabels('props', 'orm')).toThrow('--edge-labels must be orm or columns, got "props".');
  });
});
