/**
 * A relation property written as code in one of MikroORM's entity styles, for the fixes the
 * relationship checks show: `defineEntity` property builders, decorators (legacy and ES take
 * the same arguments), or an `EntitySchema` property object.
 */
import type { EntityStyle, PropertyDeclaration } from '../../common/schema-model.ts';

/** The options a fix may set; everything else about the property is left as it is. */
export type PropertySketch = Pick<PropertyDeclaration, 'name' | 'kind' | 'target'> & Partial<Omit<PropertyDeclaration, 'name' | 'kind' | 'target'>>;

const cascadeNames: Record<string, string> = { persist: 'PERSIST', remove: 'REMOVE', all: 'ALL', merge: 'MERGE' };
const cascadeCode = (list: string[]) => list.map((c) => `Cascade.${cascadeNames[c] ?? c.toUpperCase()}`).join(', ');
/** MikroORM's default cascade is [persist]: not worth writing. */
const writeCascade = (list: string[] | undefined) => !!list && !(list.length === 1 && list[0] === 'persist');
const q = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

export function propertyCode(style: EntityStyle, prop: PropertySketch): string {
  if (style === 'decorators') return decoratorCode(prop);
  if (style === 'EntitySchema') return schemaCode(prop);
  return builderCode(prop);
}

function builderCode(p: PropertySketch): string {
  const fn = { 'm:1': 'manyToOne', '1:m': 'oneToMany', '1:1': 'oneToOne', 'm:n': 'manyToMany' }[p.kind];
  let code = `${p.name}: () => p.${fn}(${p.target})`;
  if (p.kind === 'm:n' && p.owner && p.pivotEntity) code += `.pivotEntity(() => ${p.pivotEntity})`;
  if (p.mappedBy) code += `.mappedBy(${q(p.mappedBy)})`;
  if (p.inversedBy && p.kind !== 'm:1') code += `.inversedBy(${q(p.inversedBy)})`;
  if (p.kind === '1:1' && p.owner) code += '.owner()';
  if (p.fieldName) code += `.fieldName(${q(p.fieldName)})`;
  if (p.primary) code += '.primary()';
  if (p.kind === '1:1' && p.owner && p.unique !== false) code += '.unique()';
  if (p.ref && (p.kind === 'm:1' || p.kind === '1:1')) code += '.ref()';
  if (p.nullable) code += '.nullable()';
  if (p.deleteRule) code += `.deleteRule(${q(p.deleteRule)})`;
  if (writeCascade(p.cascade)) code += `.cascade(${cascadeCode(p.cascade!)})`;
  if (p.orphanRemoval) code += '.orphanRemoval()';
  if (p.eager) code += '.eager()';
  if (p.persist === false) code += '.persist(false)';
  return `${code},`;
}

function options(p: PropertySketch, skip: Set<string> = new Set()): string[] {
  const o: string[] = [];
  if (p.kind === 'm:n' && p.owner && p.pivotEntity) o.push(`pivotEntity: () => ${p.pivotEntity}`);
  if ((p.kind === '1:1' || p.kind === 'm:n') && p.owner) o.push('owner: true');
  if (p.fieldName) o.push(`fieldName: ${q(p.fieldName)}`);
  if (p.primary) o.push('primary: true');
  if (p.kind === '1:1' && p.owner && p.unique !== false) o.push('unique: true');
  if (p.ref && (p.kind === 'm:1' || p.kind === '1:1')) o.push('ref: true');
  if (p.nullable) o.push('nullable: true');
  if (p.deleteRule) o.push(`deleteRule: ${q(p.deleteRule)}`);
  if (writeCascade(p.cascade)) o.push(`cascade: [${cascadeCode(p.cascade!)}]`);
  if (p.orphanRemoval) o.push('orphanRemoval: true');
  if (p.eager) o.push('eager: true');
  if (p.persist === false) o.push('persist: false');
  return o.filter((x) => !skip.has(x.split(':')[0]!));
}

function decoratorCode(p: PropertySketch): string {
  const decorator = { 'm:1': 'ManyToOne', '1:m': 'OneToMany', '1:1': 'OneToOne', 'm:n': 'ManyToMany' }[p.kind];
  const args = [`() => ${p.target}`];
  const other = p.mappedBy ?? p.inversedBy;
  if (other && p.kind !== 'm:1') args.push(`(e) => e.${other}`);
  const o = options(p);
  if (o.length) args.push(`{ ${o.join(', ')} }`);
  const field = p.kind === '1:m' || p.kind === 'm:n'
    ? `${p.name} = new Collection<${p.target}>(this);`
    : `${p.name}${p.nullable ? '?' : '!'}: ${p.ref ? 'Ref' : 'Rel'}<${p.target}>;`;
  return `@${decorator}(${args.join(', ')})\n${field}`;
}

function schemaCode(p: PropertySketch): string {
  const o = [`kind: ${q(p.kind)}`, `entity: () => ${p.target}`];
  if (p.mappedBy) o.push(`mappedBy: ${q(p.mappedBy)}`);
  if (p.inversedBy && p.kind !== 'm:1') o.push(`inversedBy: ${q(p.inversedBy)}`);
  o.push(...options(p));
  return `${p.name}: { ${o.join(', ')} },`;
}

/** Where the code goes, as a comment line in the style's syntax. */
export function inEntity(entity: string, code: string): string {
  return `// in ${entity} (other options as they are)\n${code}`;
}

/** A likely name for a new collection of `entity`: PostCategory -> postCategories. */
export function collectionName(entity: string, taken: string[]): string {
  const base = entity.charAt(0).toLowerCase() + entity.slice(1);
  const plural = /[^aeiou]y$/.test(base) ? `${base.slice(0, -1)}ies` : /(s|x|ch|sh)$/.test(base) ? `${base}es` : `${base}s`;
  let name = plural;
  for (let n = 2; taken.includes(name); n++) name = `${plural}${n}`;
  return name;
}

export function referenceName(entity: string, taken: string[]): string {
  const base = entity.charAt(0).toLowerCase() + entity.slice(1);
  let name = base;
  for (let n = 2; taken.includes(name); n++) name = `${base}${n}`;
  return name;
}
