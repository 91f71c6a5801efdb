/**
 * The relationship doctor's sti-schema rule: MikroORM 7.2.1 gives a single-table inheritance
 * subclass its root's table name but not its schema, so a subclass that does not repeat the
 * root's `schema` is queried unqualified ("relation \"person\" does not exist"). Built from
 * in-memory entity definitions (no database connection); es-org, which repeats the schema, and
 * the demo, which has no STI, stay silent.
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { EntitySchema, defineEntity, p } from '@mikro-orm/postgresql';
import { fixturesRoot, relscope } from './fixtures/tools/harness.ts';
import { doctor } from '../server/schema/doctor.ts';
import { modelFromEntities } from '../server/schema/from-orm.ts';
import { demoEntities } from '../entities/index.ts';
import type { SchemaModel } from '../common/schema-model.ts';

const sti = (model: SchemaModel) => doctor(model, null).filter((f) => f.code === 'sti-schema');

function definedHierarchy(subclassSchema: string | undefined) {
  const Person = defineEntity({
    name: 'Person',
    schema: 'hr',
    tableName: 'person',
    discriminatorColumn: 'kind',
    abstract: true,
    properties: { id: p.integer().primary(), fullName: p.string(), kind: p.string() },
  });
  const Employee = defineEntity({ name: 'Employee', extends: Person, ...(subclassSchema ? { schema: subclassSchema } : {}), discriminatorValue: 'employee', properties: { hiredOn: p.string().nullable() } });
  const Contractor = defineEntity({ name: 'Contractor', extends: Person, ...(subclassSchema ? { schema: subclassSchema } : {}), discriminatorValue: 'contractor', properties: { dailyRate: p.integer().nullable() } });
  return [Person, Employee, Contractor];
}

function schemaHierarchy(subclassSchema: string | undefined) {
  class Person { id!: number; fullName!: string; kind!: string; }
  class Employee extends Person { hiredOn?: string; }
  const PersonSchema = new EntitySchema<Person>({
    class: Person,
    schema: 'hr',
    tableName: 'person',
    discriminatorColumn: 'kind',
    abstract: true,
    properties: { id: { type: 'integer', primary: true }, fullName: { type: 'string' }, kind: { type: 'string' } },
  });
  const EmployeeSchema = new EntitySchema<Employee, Person>({
    class: Employee,
    extends: PersonSchema,
    ...(subclassSchema ? { schema: subclassSchema } : {}),
    discriminatorValue: 'employee',
    properties: { hiredOn: { type: 'string', nullable: true } },
  });
  return [PersonSchema, EmployeeSchema];
}

describe('sti-schema', () => {
  it('fires for each STI subclass without its root\'s schema, with why and a defineEntity fix', async () => {
    const model = await modelFromEntities(definedHierarchy(undefined) as Parameters<typeof modelFromEntities>[0]);
    const found = sti(model);
    expect(found.map((f) => f.entity).sort()).toEqual(['Contractor', 'Employee']);
    const employee = found.find((f) => f.entity === 'Employee')!;
    expect(employee.severity).toBe('error');
    expect(employee.table).toBe('hr.person');
    expect(employee.message).toMatch(/unqualified "person"/);
    expect(employee.why!.length).toBeGreaterThan(120);
    expect(employee.fix).toContain("defineEntity({\n  name: 'Employee',\n  schema: 'hr', // as on Person\n  discriminatorValue: 'employee',");
  });

  it('fires on EntitySchema subclasses, with the fix in EntitySchema options', async () => {
    const model = await modelFromEntities(schemaHierarchy(undefined) as Parameters<typeof modelFromEntities>[0]);
    const found = sti(model);
    expect(found.map((f) => f.entity)).toEqual(['Employee']);
    expect(found[0]!.fix).toContain("new EntitySchema({\n  name: 'Employee',\n  schema: 'hr', // as on Person\n  discriminatorValue: 'employee',");
  });

  it('stays silent when the subclasses repeat the schema', async () => {
    expect(sti(await modelFromEntities(definedHierarchy('hr') as Parameters<typeof modelFromEntities>[0]))).toEqual([]);
    expect(sti(await modelFromEntities(schemaHierarchy('hr') as Parameters<typeof modelFromEntities>[0]))).toEqual([]);
  });

  it('stays silent on es-org (decorators, subclasses declare schema: \'hr\') and on the demo', async () => {
    const result = await relscope(['export', '--source', 'orm', '--format', 'json'], join(fixturesRoot, 'es-org'));
    expect(result.code, result.stderr).toBe(0);
    const esOrg = JSON.parse(result.stdout) as SchemaModel;
    const employee = esOrg.entities!.find((e) => e.name === 'Employee')!;
    expect(employee).toMatchObject({ style: 'decorators', stiRoot: 'Person', schema: 'hr', discriminatorValue: 'employee' });
    expect(sti(esOrg)).toEqual([]);
    // Without the subclasses' schema the same model fires, with the fix in decorator style.
    const stripped: SchemaModel = { ...esOrg, entities: esOrg.entities!.map((e) => (e.stiRoot ? { ...e, schema: null } : e)) };
    const found = sti(stripped);
    expect(found.map((f) => f.entity).sort()).toEqual(['Contractor', 'Employee']);
    expect(found.find((f) => f.entity === 'Employee')!.fix).toContain("@Entity({ schema: 'hr', discriminatorValue: 'employee' })");
    expect(sti(await modelFromEntities(demoEntities))).toEqual([]);
  });
});
