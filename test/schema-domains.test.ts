/**
 * Domains and exclusion constraints in the `db` source, each case inside a transaction that is
 * rolled back (the shared test database is never changed): a domain column keeps its domain's
 * name as its type and knows the type it is over, which lint compares.
 */
import { describe, expect, it } from 'vitest';
import { defineEntity, p } from '@mikro-orm/postgresql';
import { targets } from './helpers/targets.ts';
import { modelFromClient } from '../server/schema/from-catalog.ts';
import { advise } from '../server/schema/lint.ts';
import { modelFromEntities } from '../server/schema/from-orm.ts';
import { drift } from '../server/schema/drift.ts';
import { renderJson } from '../server/render/json.ts';
import { renderDocs } from '../server/render/docs.ts';
import { mermaidBlocks, mermaidVersions, parseError } from './helpers/mermaid-versions.ts';
import { renderMarkdown } from '../server/render/markdown.ts';
import { inRolledBackTransaction } from './helpers/rolled-back.ts';


const enumSchema = `relscope_domenum_${process.pid}`;
const Ticket = defineEntity({
  name: 'Ticket', tableName: 'tickets', schema: enumSchema,
  properties: {
    id: p.integer().primary(),
    priority: p.enum(['low', 'high', 'blocker']).nativeEnumName('ticket_priority'),
  },
});

describe.each(targets)('domains and exclusion constraints on $name', (target) => {
  it('compares an FK over a domain by the type the domain is over: posint referencing integer needs no cast', async () => {
    const S = `relscope_dom_${process.pid}`;
    const model = await inRolledBackTransaction(target.url, async (client) => {
      await client.query(`create schema ${S};
        create domain ${S}.posint as integer check (value > 0);
        create domain ${S}.posint2 as ${S}.posint;
        create domain ${S}.bigid as bigint;
        create domain ${S}.code as varchar(10);
        create table ${S}.room (id integer primary key, code ${S}.code);
        create table ${S}.booking (id serial primary key,
          room_id ${S}.posint references ${S}.room (id),
          room2_id ${S}.posint2 references ${S}.room (id),
          room3_id ${S}.bigid references ${S}.room (id),
          rooms ${S}.posint[]);`);
      return modelFromClient(client, { schemas: [S] });
    });
    const booking = model.tables.find((t) => t.name === 'booking')!;
    expect(booking.columns.map((c) => [c.name, c.type, c.baseType])).toEqual([
      ['id', 'integer', undefined],
      ['room_id', `${S}.posint`, 'integer'],
      ['room2_id', `${S}.posint2`, 'integer'],
      ['room3_id', `${S}.bigid`, 'bigint'],
      ['rooms', `${S}.posint[]`, 'integer[]'],
    ]);
    // Only a domain column carries the field, so other columns' JSON is unchanged.
    expect('baseType' in booking.columns[0]!).toBe(false);
    expect(model.tables.find((t) => t.name === 'room')!.columns[1]).toMatchObject({ type: `${S}.code`, baseType: 'character varying(10)' });
    // Before: all three FKs were fk-type-mismatch, "so joins need no cast"; only the bigint one needs one.
    expect(advise(model).filter((f) => f.code === 'fk-type-mismatch').map((f) => f.message)).toEqual([
      `Column ${S}.booking.room3_id is ${S}.bigid (a domain over bigint) but references ${S}.room.id, which is integer: use the same type so joins need no cast.`,
    ]);
    expect(renderMarkdown(model)).toContain(`| \`room_id\` | \`${S}.posint\` (domain over \`integer\`) | yes |`);
  });

  it('resolves a domain over an enum to the enum: its values show and drift against the ORM as for an enum column', async () => {
    const S = enumSchema;
    const db = await inRolledBackTransaction(target.url, async (client) => {
      await client.query(`create schema ${S};
        create type ${S}.ticket_priority as enum ('low', 'high', 'urgent');
        create domain ${S}.priority_d as ${S}.ticket_priority;
        create domain ${S}.priority_dd as ${S}.priority_d;
        create table ${S}.tickets (id serial primary key, priority ${S}.priority_dd not null, history ${S}.priority_d[]);`);
      return modelFromClient(client, { schemas: [S] });
    });
    const tickets = db.tables[0]!;
    // Before: enum null on both, and the enum type not in the model.
    expect(tickets.columns.map((c) => [c.name, c.type, c.baseType, c.enum])).toEqual([
      ['id', 'integer', undefined, null],
      ['priority', `${S}.priority_dd`, `${S}.ticket_priority`, `${S}.ticket_priority`],
      ['history', `${S}.priority_d[]`, `${S}.ticket_priority[]`, `${S}.ticket_priority`],
    ]);
    expect(db.enums).toEqual([{ id: `${S}.ticket_priority`, schema: S, name: 'ticket_priority', values: ['low', 'high', 'urgent'], native: true }]);
    const orm = await modelFromEntities([Ticket]);
    const findings = drift(orm, db).filter((f) => f.code.startsWith('enum-'));
    expect(findings.map((f) => `${f.severity} ${f.code} ${f.column}: ${f.message.replaceAll(S, 'S')}`)).toEqual([
      "error enum-mismatch priority: Column S.tickets.priority does not accept 'blocker' in the database (its enum type S.ticket_priority allows 'low', 'high', 'urgent'), which the ORM's enum (Ticket.priority) has: saving it fails; add it in a migration.",
      "info enum-mismatch priority: Column S.tickets.priority accepts 'urgent' in the database (its enum type S.ticket_priority), which the ORM's enum (Ticket.priority) does not list.",
    ]);
  });

  it('reads exclusion constraints into the model and Markdown, and lint never calls their indexes duplicates or redundant', async () => {
    const S = `relscope_excl_${process.pid}`;
    const read = async () => inRolledBackTransaction(target.url, async (client) => {
      // The brief's own example needs btree_gist (gist over integer =): there where it is installable.
      const btreeGist = target.kind === 'external' && (await client.query(`select 1 from pg_available_extensions where name = 'btree_gist'`)).rowCount === 1;
      await client.query(`create schema ${S};${btreeGist ? ` create extension btree_gist schema ${S};` : ''}
        create table ${S}.booking (id int primary key, room int not null, during tsrange not null, who text, canceled boolean not null default false,
          constraint overlap_live exclude using gist (during with &&) where (not canceled),
          constraint overlap_all exclude using gist (during with &&),
          constraint adjacent exclude using gist (during with -|-),
          constraint who_once exclude using btree (who with =),
          constraint lower_who exclude using hash (lower(who) with =)
          ${btreeGist ? `, constraint room_during exclude using gist (room with =, during with &&)` : ''});
        create index during_plain on ${S}.booking using gist (during);
        create index who_id on ${S}.booking (who, id);`);
      return { model: await modelFromClient(client, { schemas: [S] }), btreeGist };
    });
    const { model, btreeGist } = await read();
    const booking = model.tables[0]!;
    expect(booking.exclusions).toEqual([
      { name: 'adjacent', method: 'gist', elements: [{ column: 'during', expression: null, operator: '-|-' }], where: null, definition: 'EXCLUDE USING gist (during WITH -|-)' },
      { name: 'lower_who', method: 'hash', elements: [{ column: null, expression: 'lower(who)', operator: '=' }], where: null, definition: 'EXCLUDE USING hash (lower(who) WITH =)' },
      { name: 'overlap_all', method: 'gist', elements: [{ column: 'during', expression: null, operator: '&&' }], where: null, definition: 'EXCLUDE USING gist (during WITH &&)' },
      { name: 'overlap_live', method: 'gist', elements: [{ column: 'during', expression: null, operator: '&&' }], where: '(NOT canceled)', definition: 'EXCLUDE USING gist (during WITH &&) WHERE ((NOT canceled))' },
      ...(btreeGist ? [{ name: 'room_during', method: 'gist', elements: [{ column: 'room', expression: null, operator: '=' }, { column: 'during', expression: null, operator: '&&' }], where: null, definition: 'EXCLUDE USING gist (room WITH =, during WITH &&)' }] : []),
      { name: 'who_once', method: 'btree', elements: [{ column: 'who', expression: null, operator: '=' }], where: null, definition: 'EXCLUDE USING btree (who WITH =)' },
    ]);
    // Their indexes stay listed, as a primary key's does.
    expect(booking.indexes.map((i) => i.name)).toEqual(expect.arrayContaining(['adjacent', 'overlap_all', 'who_once']));
    // Before: "Indexes adjacent and during_plain / overlap_all are identical: drop one" (a constraint
    // cannot be dropped as an index, and && and -|- are two constraints), and who_once "may be dropped".
    expect(advise(model).filter((f) => f.code === 'duplicate-index' || f.code === 'redundant-index').map((f) => f.message)).toEqual([
      `Index during_plain on ${S}.booking is the same as adjacent, the index of the exclusion constraint adjacent: drop during_plain.`,
    ]);
    const markdown = renderMarkdown(model);
    expect(markdown).toContain('- Exclusion `EXCLUDE USING gist (during WITH &&) WHERE ((NOT canceled))` `overlap_live`\n');
    expect(markdown).toContain('- `adjacent` on `(during)` — gist, of the exclusion constraint\n');
    // Deterministic: a second read gives the same bytes.
    const again = (await read()).model;
    expect(renderJson(again)).toBe(renderJson(model));
    expect(renderMarkdown(again)).toBe(markdown);
    // The JSON export carries them.
    expect(JSON.parse(renderJson(model)).tables[0].exclusions).toHaveLength(btreeGist ? 6 : 5);
    // Every diagram still parses in every Mermaid release.
    const failures: string[] = [];
    for (const version of mermaidVersions) {
      const syntax = version.syntax === 10 ? 10 : 12;
      const texts = [...mermaidBlocks(renderMarkdown(model, { mermaid: syntax })), ...[...renderDocs({ spec: { source: 'db', schemas: null, collapsePivots: false, drift: false, mermaid: syntax }, model, drift: null, rows: null }).values()].flatMap(mermaidBlocks)];
      expect(texts.length).toBeGreaterThan(0);
      for (const text of texts) {
        const error = await parseError(version.module, text);
        if (error) failures.push(`${version.name}: ${error}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('leaves the exclusions key out of a table that has none', async () => {
    const S = `relscope_noexcl_${process.pid}`;
    const model = await inRolledBackTransaction(target.url, async (client) => {
      await client.query(`create schema ${S}; create table ${S}.t (id int primary key);`);
      return modelFromClient(client, { schemas: [S] });
    });
    expect('exclusions' in model.tables[0]!).toBe(false);
  });
});
