/**
 * Issue 14, item 3: diagrams in the ORM's language. Edge labels with the property names of
 * both sides and the owning side marked, association entities collapsed into m:n edges, STI
 * subclasses drawn over their table, TPT children as "extends" edges, embedded columns
 * grouped, virtual entities left out (issue 11, item 9). Every hostile name of
 * test/mermaid-hostile.ts still parses, in every Mermaid this checkout has installed
 * (`mermaid`, and any `mermaid…` alias such as a 10.7 kept for GitLab). Pure: no database.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { decodeMermaidEntities, displayed } from './mermaid-hostile.ts';
import { hostileOrmModel as ormModel } from './mermaid-hostile-orm.ts';
import { ormEdgeLabel, planDiagram, renderErDiagram } from '../server/render/mermaid.ts';
import { renderMarkdown, tableCount } from '../server/render/markdown.ts';
import { repoRoot } from './fixtures/tools/harness.ts';

interface ErAttribute { type: string; name: string; keys: string[]; comment: string }
interface ErEntity { id: string; alias: string; attributes: ErAttribute[] }
interface ErRelationship { entityA: string; entityB: string; roleA: string; relSpec: { cardA: string; cardB: string } }
interface MermaidApi {
  parse(text: string): Promise<unknown>;
  mermaidAPI: { getDiagramFromText(text: string): Promise<{ db: { getEntities(): Map<string, ErEntity>; getRelationships(): ErRelationship[] } }> };
}

/** Every Mermaid installed: the `mermaid` dependency and aliases named mermaid… (e.g. mermaid-10.7). */
const installed = readdirSync(join(repoRoot, 'node_modules')).filter((d) => /^mermaid/.test(d)).sort();
const parsers = new Map<string, MermaidApi>();
beforeAll(async () => {
  for (const name of installed) {
    try {
      parsers.set(name, ((await import(name)) as { default: MermaidApi }).default);
    } catch (error) {
      // An older Mermaid may need a DOM to import; the identifier tests set one up for those.
      if (name === 'mermaid') throw error;
    }
  }
});

const mermaid = () => parsers.get('mermaid')!;

async function parsedBy(api: MermaidApi, text: string) {
  await api.parse(text);
  const { db } = await api.mermaidAPI.getDiagramFromText(text);
  // Mermaid 10 keeps entities in a plain object, later releases in a Map.
  const raw: unknown = db.getEntities();
  const entities = raw instanceof Map ? (raw as Map<string, ErEntity>) : new Map(Object.entries(raw as Record<string, ErEntity>));
  return { entities, relationships: db.getRelationships() };
}

describe('diagrams in the ORM’s language', () => {
  const { model, stiChildren } = ormModel();
  const drawnTables = model.tables.filter((t) => t.kind !== 'virtual');

  it('labels each edge with both sides’ properties, the owning side marked, and parses in every installed Mermaid', async () => {
    expect(stiChildren).toBeGreaterThan(20);
    const { text, aliases } = renderErDiagram(model, model.tables.map((t) => t.id), { attributes: true, collapsePivots: false, edgeLabels: 'orm' });
    expect(parsers.size).toBeGreaterThanOrEqual(1);
    for (const [version, api] of parsers) {
      const { entities, relationships } = await parsedBy(api, text);
      expect(entities.size, version).toBe(drawnTables.length + stiChildren);
      expect(Object.keys(aliases)).toHaveLength(entities.size);
      const tablesById = new Map(model.tables.map((t) => [t.id, t]));
      const fkEdges = model.relations.filter((r) => r.kind !== 'm:n');
      // One edge per FK plus one "extends" edge per STI subclass.
      expect(relationships.length, version).toBe(fkEdges.length + stiChildren);
      const labels = relationships.map((r) => decodeMermaidEntities(r.roleA)).sort();
      const want = [
        ...fkEdges.map((r) => displayed(ormEdgeLabel(r, tablesById) ?? r.columns.join(', '))),
        ...model.tables.flatMap((t) => (t.inheritance?.kind === 'sti' ? t.inheritance.entities.filter((e) => e.parent).map((e) => displayed(`${e.entity} extends ${e.parent}`)) : [])),
      ].sort();
      expect(labels, version).toEqual(want);
    }
    expect(text).toContain(' : "to (owner) / many"');
    expect(text).toContain(' : "end (owner) / -"');
  });

  it('draws STI subclasses over their table with their own columns and their relations, TPT children with "extends", embedded columns grouped', async () => {
    const sti = model.tables.find((t) => t.inheritance?.kind === 'sti' && t.inheritance.entities[1]!.columns.length > 0)!;
    const tpt = model.tables.find((t) => t.inheritance?.kind === 'tpt')!;
    const embedded = model.tables.find((t) => t.columns.some((c) => c.embedded))!;
    const { text, aliases } = renderErDiagram(model, [sti.id, tpt.id, embedded.id, ...model.relations.filter((r) => r.from === sti.id || r.from === tpt.id).map((r) => r.to)], { attributes: true, collapsePivots: false, edgeLabels: 'orm', mermaid: 12 });
    // Written for Mermaid 12, whose backtick names keep every hostile name exactly as it is.
    const { entities, relationships } = await parsedBy(mermaid(), text);
    const stiAlias = Object.entries(aliases).find(([alias, id]) => id === sti.id && /^e\d+$/.test(alias))![0];
    const inheritance = sti.inheritance!.kind === 'sti' ? sti.inheritance! : null;
    const sub = inheritance!.entities[1]!;
    const subAlias = `${stiAlias}c1`;
    expect(decodeMermaidEntities(entities.get(subAlias)!.alias)).toBe(displayed(`${sub.entity} (${sti.name}, ${inheritance!.discriminatorColumn} = ${sub.discriminatorValue})`));
    expect(entities.get(subAlias)!.attributes.map((a) => decodeMermaidEntities(a.name))).toEqual(sub.columns.map(displayed));
    // The root's node keeps the columns no subclass owns; the discriminator is marked.
    expect(entities.get(stiAlias)!.attributes.map((a) => decodeMermaidEntities(a.name))).toEqual(sti.columns.filter((c) => !sub.columns.includes(c.name)).map((c) => displayed(c.name)));
    expect(decodeMermaidEntities(entities.get(stiAlias)!.attributes.find((a) => decodeMermaidEntities(a.name) === displayed(inheritance!.discriminatorColumn))!.comment)).toMatch(/^discriminator/);
    // The subclass's FK is drawn from the subclass, not from the table.
    const fk = model.relations.find((r) => r.from === sti.id && r.fromEntity === sub.entity)!;
    const aliasOfId = new Map([...entities].map(([alias, e]) => [e.id, alias]));
    const fromSub = relationships.filter((r) => aliasOfId.get(r.entityA) === subAlias).map((r) => decodeMermaidEntities(r.roleA));
    expect(fromSub).toContain(displayed(`${fk.fromProperty} (owner) / ${fk.toProperty ?? '-'}`));
    // --focus takes a subclass's name and draws its table.
    expect(planDiagram(model, { focus: sub.entity, depth: 0, edgeLabels: 'orm' }).tables).toEqual([sti.id]);
    const tptLabel = displayed(`${tpt.entity} extends ${tpt.inheritance!.kind === 'tpt' ? tpt.inheritance!.parentEntity : ''}`);
    expect(relationships.map((r) => decodeMermaidEntities(r.roleA))).toContain(tptLabel);
    const group = embedded.columns.find((c) => c.embedded)!;
    const embeddedAlias = Object.entries(aliases).find(([alias, id]) => id === embedded.id && /^e\d+$/.test(alias))![0];
    const shownComment = entities.get(embeddedAlias)!.attributes.find((a) => decodeMermaidEntities(a.name) === displayed(group.name))!.comment;
    expect(decodeMermaidEntities(shownComment)).toBe(displayed(`${group.embedded!.property}: ${group.embedded!.embeddable}; ${group.comment}`));
  });

  it('collapses an association entity into one m:n edge naming it, only when asked', async () => {
    const assoc = model.tables.find((t) => t.entity === 'one')!;
    const plain = renderErDiagram(model, model.tables.map((t) => t.id), { attributes: false, collapsePivots: false, edgeLabels: 'orm' });
    expect(plain.tables).toContain(assoc.id);
    const collapsed = planDiagram(model, { collapseAssociations: true, edgeLabels: 'orm', limits: { maxTextSize: 10_000_000, maxEntities: 10_000, maxOverviewEntities: 10_000, maxEdges: 10_000 } });
    expect(collapsed.tables).not.toContain(assoc.id);
    const { relationships } = await parsedBy(mermaid(), collapsed.mermaid);
    const mn = relationships.filter((r) => r.relSpec.cardA === 'ZERO_OR_MORE' && r.relSpec.cardB === 'ZERO_OR_MORE').map((r) => decodeMermaidEntities(r.roleA));
    expect(mn).toEqual([displayed('x"y (owner) / %z via one')]);
  });

  it('leaves virtual entities out of every diagram, and refuses to focus on one', () => {
    const virtual = model.tables.find((t) => t.kind === 'virtual')!;
    const drawn = renderErDiagram(model, model.tables.map((t) => t.id), { attributes: true, collapsePivots: false });
    expect(drawn.tables).not.toContain(virtual.id);
    expect(Object.values(drawn.aliases)).not.toContain(virtual.id);
    expect(planDiagram(model, { limits: { maxTextSize: 10_000_000, maxEntities: 10_000, maxOverviewEntities: 10_000, maxEdges: 10_000 } }).tables).not.toContain(virtual.id);
    expect(() => planDiagram(model, { focus: virtual.id })).toThrow(/is a virtual entity \(a query, no table\)/);
    // Not counted as a table either; the Markdown lists it, marked.
    const md = renderMarkdown(model, { edgeLabels: 'orm' });
    expect(md).toContain(`${drawnTables.length} tables (and 1 virtual entity, a query with no table) and `);
    expect(md).toContain('*virtual*');
    expect(tableCount({ ...model, tables: model.tables.filter((t) => t.kind === 'virtual' || t.id === drawnTables[0]!.id) })).toBe('1 table (and 1 virtual entity, a query with no table)');
  });

  it('keeps the FK column labels as before with edgeLabels "columns" (the default of renderErDiagram)', () => {
    const a = renderErDiagram(model, model.tables.map((t) => t.id), { attributes: true, collapsePivots: false }).text;
    const b = renderErDiagram(model, model.tables.map((t) => t.id), { attributes: true, collapsePivots: false, edgeLabels: 'columns' }).text;
    expect(a).toBe(b);
    expect(a).not.toContain('(owner)');
    expect(a).not.toMatch(/e\d+c\d+/);
  });
});
