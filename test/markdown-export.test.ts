/**
 * The Markdown export (`export --format markdown`, and the docs folder's table pages):
 * links inside one file go to the table's own section, also when two headings get the same
 * GitHub anchor (`public.Users` and `public.users`: GitHub numbers the later ones `-1`, `-2`,
 * ...), and the columns table says how each column gets its value. Pure: no database.
 */
import { describe, expect, it } from 'vitest';
import { renderMarkdown, uniqueAnchors } from '../server/render/markdown.ts';
import { schemaModelVersion, sortModel, type Column, type SchemaModel, type Table } from '../common/schema-model.ts';
import { relationsFromForeignKeys } from '../common/relations.ts';

const column = (name: string): Column => ({ name, type: 'integer', nullable: true, default: null, comment: null, generated: null, property: null, enum: null });

function table(name: string, references?: string, more: Column[] = []): Table {
  return {
    id: `public.${name}`, schema: 'public', name, kind: 'table', comment: null,
    columns: [column('id'), ...(references ? [column('ref')] : []), ...more],
    primaryKey: { name: null, columns: ['id'] }, uniques: [], indexes: [], checks: [],
    foreignKeys: references ? [{ name: null, columns: ['ref'], references: `public.${references}`, referencedColumns: ['id'], onDelete: 'no action', onUpdate: 'no action' }] : [],
    entity: null, isPivot: false,
  };
}

describe('Markdown anchors', () => {
  it('numbers repeated anchors as GitHub does', () => {
    expect(uniqueAnchors(['Tables', 'public.Users', 'public.users', 'public.users', 'public.users-1'])).toEqual(['tables', 'publicusers', 'publicusers-1', 'publicusers-2', 'publicusers-1-1']);
  });

  it('links each table to its own section when two tables share an anchor', () => {
    const tables = [table('Users'), table('users', 'Users'), table('my table', 'my-table'), table('my-table')];
    const model: SchemaModel = sortModel({ version: schemaModelVersion, source: 'db', origin: 'test', tables, enums: [], relations: relationsFromForeignKeys(tables) });
    const text = renderMarkdown(model);
    // Sections in model order, so GitHub gives the second of each pair the -1.
    expect(text.match(/^### .*$/gm)).toEqual(['### public\\.Users', '### public\\.my table', '### public\\.my\\-table', '### public\\.users']);
    expect(text).toContain('- [public\\.Users](#publicusers)\n');
    // Before: both list entries (and every relation) linked to #publicusers and #publicmy-table.
    expect(text).toContain('- [public\\.users](#publicusers-1)\n');
    expect(text).toContain('- [public\\.my table](#publicmy-table)\n');
    expect(text).toContain('- [public\\.my\\-table](#publicmy-table-1)\n');
    // The relations link the same way.
    expect(text).toContain('](#publicusers-1) (`ref → id`)');
    expect(text).toContain('](#publicmy-table-1) (`ref → id`)');
  });
});

describe('Markdown columns', () => {
  it('says which columns are identity, serial or generated, not only which have a default', () => {
    const generated = (name: string, kind: Column['generated'], def: string | null = null): Column => ({ ...column(name), generated: kind, default: def });
    const tables = [table('rect', undefined, [generated('w', null), generated('area', 'stored'), generated('n', 'identity'), generated('s', 'serial', "nextval('s_seq'::regclass)")])];
    const model: SchemaModel = sortModel({ version: schemaModelVersion, source: 'db', origin: 'test', tables, enums: [], relations: [] });
    const rows = renderMarkdown(model).split('\n').filter((l) => /^\| `(w|area|n|s)` /.test(l));
    // Before: the stored generated column's Default cell was empty, like a plain column's.
    expect(rows).toEqual([
      '| `w` | `integer` | yes |  |  |  |',
      '| `area` | `integer` | yes | generated (stored) |  |  |',
      '| `n` | `integer` | yes | identity |  |  |',
      "| `s` | `integer` | yes | `nextval('s_seq'::regclass)` |  |  |",
    ]);
  });
});
