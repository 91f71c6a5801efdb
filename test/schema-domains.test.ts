/**
 * Domains and exclusion constraints in the `db` source, each case inside a transaction that is
 * rolled back (the shared test database is never changed): a domain column keeps its domain's
 * name as its type and knows the type it is over, which lint compares.
 */
import { describe, expect, it } from 'vitest';
import pg from 'pg';
import { defineEntity, p } from '@mikro-orm/postgresql';
import { targets } from './helpers/targets.ts';
import { modelFromClient } from '../server/schema/from-catalog.ts';
import { advise } from '../server/schema/lint.ts';
import { modelFromEntities } from '../server/schema/from-orm.ts';
import { drift } from '../server/schema/drift.ts';
import { renderMarkdown } from '../server/render/markdown.ts';

/** Runs `work` inside a transaction on one connection and always rolls back. */
async function inRolledBackTransaction<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('begin');
    return await work(client);
  } finally {
    await client.query('rollback').catch(() => {});
    await client.end();
  }
}

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
});
