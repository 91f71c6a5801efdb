/**
 * Source `orm`: the schema model from MikroORM's metadata, without touching the database.
 *
 * Tables, columns, keys, indexes and FKs come from the schema MikroORM would create for the
 * metadata (`orm.schema.getTargetSchema()`, a pure function of the metadata, the same one
 * `schema:create` and migrations use), so names and rules match what it really emits.
 * Relations (kinds, owner and inverse properties, cascade, orphan removal, pivots) come from
 * the entity properties themselves.
 */
import { MikroORM, type EntityMetadata, type EntityProperty } from '@mikro-orm/postgresql';
import type { EntityList } from '../orm.ts';
import { canonicalType } from './types.ts';
import {
  schemaModelVersion,
  qualifiedId,
  sortModel,
  type Column,
  type EntityDeclaration,
  type EnumType,
  type ForeignKey,
  type Index,
  type Key,
  type ReferentialAction,
  type Relation,
  type SchemaModel,
  type StiEntity,
  type Table,
  type TableInheritance,
} from '../../common/schema-model.ts';
import { isPlainPivot, relationId, relationsFromForeignKeys } from '../../common/relations.ts';
import { entityDeclarations } from './declarations.ts';
import { ormVersion } from '../project/orm-module.ts';

type AnyMeta = EntityMetadata;
type AnyProp = EntityProperty;

/** Builds the model from entity definitions. MikroORM 7 connects lazily, so this never opens a connection. */
export async function modelFromEntities(entities: EntityList): Promise<SchemaModel> {
  const orm = await MikroORM.init({
    entities,
    dbName: 'relscope_metadata_only',
    debug: false,
    allowGlobalContext: true,
    discovery: { warnWhenNoEntities: false },
  });
  try {
    return modelFromOrm(orm);
  } finally {
    await orm.close(true);
  }
}

const actions: Record<string, ReferentialAction> = {
  cascade: 'cascade',
  'set null': 'set null',
  'set default': 'set default',
  restrict: 'restrict',
  'no action': 'no action',
};

function action(rule: string | undefined): ReferentialAction {
  if (!rule) return 'no action';
  return actions[rule.toLowerCase()] ?? 'no action';
}

/** A pivot table MikroORM made up for an m:n without a pivot entity: its properties are `X_owner` and `Y_inverse`. */
function isGeneratedPivot(meta: AnyMeta): boolean {
  if (!meta.pivotTable) return false;
  const props = Object.values(meta.properties) as AnyProp[];
  return props.length > 0 && props.every((p) => /_(owner|inverse)$/.test(p.name) || (p.primary && p.kind === 'scalar'));
}

/** The model of an initialised ORM (connected or not). Reads metadata only. */
export function modelFromOrm(orm: MikroORM): SchemaModel {
  const metadata = orm.getMetadata();
  allMetadata = [...metadata.getAll().values()];
  const defaultSchema = orm.config.get('schema') ?? orm.config.getPlatform().getDefaultSchemaName() ?? 'public';
  // Single-table inheritance children share their root's table (whose metadata already holds
  // their properties); virtual entities have no table and are listed apart.
  const all = [...metadata.getAll().values()].filter((m) => !m.embeddable && !m.virtual && m.collection && !isStiChild(m));
  const virtuals = [...metadata.getAll().values()].filter((m) => m.virtual && !m.embeddable);
  const metaByTable = new Map<string, AnyMeta>();
  for (const meta of all) metaByTable.set(qualifiedId(meta.schema ?? defaultSchema, meta.collection), meta);

  const target = orm.schema.getTargetSchema();
  const tables: Table[] = [];
  const enums = new Map<string, EnumType>();

  for (const [key, value] of Object.entries(target.getNativeEnums())) {
    const schema = value.schema && value.schema !== '*' ? value.schema : defaultSchema;
    const id = qualifiedId(schema, value.name);
    enums.set(key, { id, schema, name: value.name, values: [...value.items], native: true });
  }

  for (const dbTable of target.getTables()) {
    const schema = dbTable.schema ?? defaultSchema;
    const id = qualifiedId(schema, dbTable.name);
    const meta = metaByTable.get(id);
    const generatedPivot = meta ? isGeneratedPivot(meta) : false;
    const propertyOf = new Map<string, string>();
    const embeddedOf = new Map<string, { property: string; embeddable: string }>();
    if (meta && !generatedPivot) {
      for (const prop of ownProps(meta)) {
        if (prop.persist === false) continue;
        const embedded = embeddedGroup(meta, prop);
        for (const field of prop.fieldNames ?? []) {
          if (propertyOf.has(field)) continue;
          propertyOf.set(field, embedded?.path ?? prop.name);
          if (embedded) embeddedOf.set(field, { property: embedded.property, embeddable: embedded.embeddable });
        }
      }
    }
    const columns: Column[] = dbTable.getColumns().map((c) => {
      let enumName: string | null = null;
      if (c.nativeEnumName) {
        const found = enums.get(c.nativeEnumName) ?? enums.get(qualifiedId(schema, c.nativeEnumName));
        enumName = found?.id ?? c.nativeEnumName;
      } else if (c.enumItems?.length) {
        const enumId = `${id}.${c.name}`;
        enums.set(enumId, { id: enumId, schema, name: `${dbTable.name}.${c.name}`, values: [...c.enumItems], native: false });
        enumName = enumId;
      }
      return {
        name: c.name,
        type: canonicalType(c.type),
        nullable: !!c.nullable,
        default: c.default ?? null,
        comment: c.comment ?? null,
        generated: c.autoincrement ? 'serial' : c.generated ? 'stored' : null,
        property: propertyOf.get(c.name) ?? null,
        enum: enumName,
        ...(embeddedOf.has(c.name) ? { embedded: embeddedOf.get(c.name)! } : {}),
      };
    });
    const indexes: Index[] = [];
    const uniques: Key[] = [];
    let primaryKey: Key | null = null;
    for (const idx of dbTable.getIndexes()) {
      const method = typeof idx.type === 'string' ? idx.type : (idx.type?.indexType ?? 'btree');
      indexes.push({
        name: idx.keyName ?? null,
        columns: [...(idx.columnNames ?? [])],
        expressions: idx.expression ? [idx.expression] : [],
        unique: !!idx.unique,
        primary: !!idx.primary,
        where: idx.where ?? null,
        method: method || 'btree',
        definition: idx.expression ?? null,
      });
      if (idx.primary) primaryKey = { name: idx.keyName ?? null, columns: [...idx.columnNames] };
      else if (idx.unique && idx.constraint) uniques.push({ name: idx.keyName ?? null, columns: [...idx.columnNames] });
    }
    const foreignKeys: ForeignKey[] = Object.values(dbTable.getForeignKeys()).map((fk) => ({
      name: fk.constraintName ?? null,
      columns: [...fk.columnNames],
      references: qualify(fk.referencedTableName, defaultSchema),
      referencedColumns: [...fk.referencedColumnNames],
      onDelete: action(fk.deleteRule),
      onUpdate: action(fk.updateRule),
    }));
    const fkColumns = new Set(foreignKeys.flatMap((fk) => fk.columns));
    tables.push({
      id,
      schema,
      name: dbTable.name,
      kind: 'table',
      comment: dbTable.comment ?? meta?.comment ?? null,
      columns,
      primaryKey,
      uniques,
      indexes,
      checks: dbTable.getChecks().map((c) => ({ name: c.name ?? null, expression: String(c.expression) })),
      foreignKeys,
      entity: meta && !generatedPivot ? meta.className : null,
      isPivot: isPlainPivot(columns, foreignKeys, primaryKey, fkColumns),
      ...inheritanceEntry(meta, metadata.getAll().values(), defaultSchema),
    });
  }

  for (const view of target.getViews()) {
    const schema = view.schema ?? defaultSchema;
    const id = qualifiedId(schema, view.name);
    const meta = metaByTable.get(id);
    const columns: Column[] = (meta?.props ?? [])
      .filter((p) => p.kind === 'scalar' && p.persist !== false)
      .flatMap((p) => (p.fieldNames ?? []).map((field, i) => ({
        name: field,
        type: canonicalType(p.columnTypes?.[i] ?? String(p.type)),
        nullable: !!p.nullable,
        default: null,
        comment: p.comment ?? null,
        generated: null,
        property: p.name,
        enum: null,
      })));
    tables.push({
      id, schema, name: view.name, kind: view.materialized ? 'materialized view' : 'view', comment: meta?.comment ?? null,
      columns, primaryKey: null, uniques: [], indexes: [], checks: [], foreignKeys: [], entity: meta?.className ?? null, isPivot: false,
    });
  }

  for (const meta of virtuals) {
    const schema = meta.schema ?? defaultSchema;
    const name = meta.collection || meta.className;
    tables.push({
      id: qualifiedId(schema, name), schema, name, kind: 'virtual', comment: meta.comment ?? null,
      columns: meta.props.filter((p) => p.kind === 'scalar' && p.persist !== false).flatMap((p) => (p.fieldNames ?? []).map((field, i) => ({
        name: field, type: canonicalType(p.columnTypes?.[i] ?? String(p.type)), nullable: !!p.nullable, default: null, comment: p.comment ?? null, generated: null, property: p.name, enum: null,
      }))),
      primaryKey: null, uniques: [], indexes: [], checks: [], foreignKeys: [], entity: meta.className, isPivot: false,
    });
  }

  const tableIds = new Set(tables.map((t) => t.id));
  const relations = relationsFromMetadata(all, tables, defaultSchema, tableIds);
  // FKs the schema has without a property of their own (a TPT child's key to its parent's).
  const covered = new Set(relations.map((r) => relationId(r.from, r.columns, r.to)));
  const orphanFks = tables.map((t) => ({ ...t, isPivot: false, foreignKeys: t.foreignKeys.filter((fk) => !covered.has(relationId(t.id, fk.columns, fk.references))) }));
  const taken = new Set(relations.map((r) => r.id));
  for (const r of relationsFromForeignKeys(orphanFks).filter((r) => r.kind !== 'm:n')) {
    let id = r.id;
    for (let n = 2; taken.has(id); n++) id = `${r.id}#${n}`;
    taken.add(id);
    relations.push({ ...r, id, fromEntity: metaByTable.get(r.from)?.className ?? null, toEntity: metaByTable.get(r.to)?.className ?? null });
  }
  return sortModel({
    version: schemaModelVersion,
    source: 'orm',
    // The project's version when it brings its own copy of MikroORM, not relscope's.
    origin: `MikroORM ${ormVersion(orm)}`,
    tables,
    enums: [...enums.values()],
    relations,
    entities: withStiSchemas(entityDeclarations(orm, defaultSchema), [...metadata.getAll().values()], defaultSchema),
  });
}

/**
 * Adds, to the entities of a single-table inheritance hierarchy, each one's own metadata schema
 * and, to a subclass, its root: MikroORM (7.2.1) copies only the root's tableName to a subclass,
 * so the subclass's queries use its own schema (doctor rule sti-schema). Other entities are
 * left as they are.
 */
function withStiSchemas(declarations: EntityDeclaration[], all: AnyMeta[], defaultSchema: string): EntityDeclaration[] {
  const byName = new Map(all.map((m) => [m.className, m]));
  const roots = new Set(all.filter(isStiChild).map((m) => m.root.className));
  const own = (meta: AnyMeta) => (meta.schema && meta.schema !== '*' && meta.schema !== defaultSchema ? meta.schema : null);
  return declarations.map((d) => {
    const meta = byName.get(d.name);
    if (!meta) return d;
    if (roots.has(d.name) && !isStiChild(meta)) return { ...d, schema: own(meta) };
    if (!isStiChild(meta)) return d;
    const value = meta.discriminatorValue;
    return { ...d, schema: own(meta), stiRoot: meta.root.className, discriminatorValue: value === undefined || value === null ? null : String(value) };
  });
}

/** An STI child entity: it maps its root's table. */
function isStiChild(meta: AnyMeta): boolean {
  return !!meta.root && meta.root !== meta && meta.root.collection === meta.collection;
}

/** The metadata owning the table an entity maps: an STI child's root (which also holds the schema). */
function tableMeta(meta: AnyMeta): AnyMeta {
  return isStiChild(meta) ? meta.root : meta;
}

/** The properties whose columns live in this entity's own table (a TPT child's own ones). */
function ownProps(meta: AnyMeta): AnyProp[] {
  if (meta.inheritanceType === 'tpt' && meta.tptParent && meta.ownProps) {
    const pks = meta.primaryKeys.map((pk) => meta.properties[pk as keyof typeof meta.properties] as AnyProp).filter(Boolean);
    return [...new Set([...pks, ...meta.ownProps])];
  }
  return meta.props;
}

function qualify(name: string, defaultSchema: string): string {
  return name.includes('.') ? name : `${defaultSchema}.${name}`;
}

function relationsFromMetadata(all: AnyMeta[], tables: Table[], defaultSchema: string, tableIds: Set<string>): Relation[] {
  const tableOf = (meta: AnyMeta) => qualifiedId(tableMeta(meta).schema ?? defaultSchema, tableMeta(meta).collection);
  const tableById = new Map(tables.map((t) => [t.id, t]));
  const relations: Relation[] = [];
  const seen = new Set<string>();
  const push = (relation: Relation) => {
    let id = relation.id;
    for (let n = 2; seen.has(id); n++) id = `${relation.id}#${n}`;
    seen.add(id);
    relations.push({ ...relation, id });
  };

  for (const meta of all) {
    if (meta.view) continue;
    const from = tableOf(meta);
    if (!tableIds.has(from)) continue;
    const generatedPivot = isGeneratedPivot(meta);
    const hierarchy = stiHierarchy(meta);
    for (const prop of ownProps(meta)) {
      const targetMeta = prop.targetMeta as AnyMeta | undefined;
      if (!targetMeta || targetMeta.embeddable) continue;
      const to = tableOf(targetMeta);
      // A relation an STI subclass declares is the subclass's (Tweet.poster), not the root's.
      const declaring = hierarchy?.declaring(prop.name) ?? meta;
      // The subclass's own copy knows its inverse side (the root's merged copy does not).
      const declared = (declaring.properties as Record<string, AnyProp>)[prop.name] ?? prop;
      const owningReference = prop.kind === 'm:1' || (prop.kind === '1:1' && prop.owner);
      if (owningReference) {
        const columns = [...(prop.fieldNames ?? prop.joinColumns ?? [])];
        const referencedColumns = [...(prop.referencedColumnNames ?? [])];
        const inverse = generatedPivot ? undefined : findInverse(declared, declaring, targetMeta);
        const fk = tableById.get(from)?.foreignKeys.find((f) => sameColumns(f.columns, columns) && f.references === to);
        push({
          id: relationId(from, columns, to),
          kind: prop.kind === '1:1' ? '1:1' : 'm:1',
          from,
          to,
          fromProperty: generatedPivot ? null : prop.name,
          toProperty: inverse?.name ?? null,
          fromEntity: generatedPivot ? null : declaring.className,
          toEntity: targetMeta.className,
          columns,
          referencedColumns,
          nullable: !!prop.nullable,
          onDelete: fk?.onDelete ?? (prop.deleteRule ? action(prop.deleteRule) : null),
          onUpdate: fk?.onUpdate ?? (prop.updateRule ? action(prop.updateRule) : null),
          cascade: generatedPivot ? [] : cascadeOf(prop),
          inverseCascade: inverse ? cascadeOf(inverse) : [],
          orphanRemoval: !!prop.orphanRemoval || !!inverse?.orphanRemoval,
          via: null,
          selfReference: from === to,
          strategy: prop.strategy ? String(prop.strategy) : null,
          eager: !!prop.eager,
        });
      } else if (prop.kind === 'm:n' && prop.owner) {
        const pivotMeta = all.find((m) => m.class === prop.pivotEntity || m.className === prop.pivotTable) ?? null;
        const pivotId = pivotMeta ? tableOf(pivotMeta) : qualify(prop.pivotTable, defaultSchema);
        const inverse = declared.inversedBy ? (targetMeta.properties as Record<string, AnyProp>)[declared.inversedBy] : undefined;
        const realInverse = inverse && !inverse.name.endsWith('__inverse') ? inverse : undefined;
        const plainPivot = tableById.get(pivotId)?.isPivot ?? false;
        push({
          id: pivotId,
          kind: 'm:n',
          from,
          to,
          fromProperty: prop.name,
          toProperty: realInverse?.name ?? null,
          fromEntity: declaring.className,
          toEntity: targetMeta.className,
          columns: [...(prop.joinColumns ?? [])],
          referencedColumns: [...(prop.inverseJoinColumns ?? [])],
          nullable: true,
          onDelete: null,
          onUpdate: null,
          cascade: cascadeOf(prop),
          inverseCascade: realInverse ? cascadeOf(realInverse) : [],
          orphanRemoval: !!prop.orphanRemoval || !!realInverse?.orphanRemoval,
          via: { table: pivotId, entity: pivotMeta && !isGeneratedPivot(pivotMeta) ? pivotMeta.className : null, plainPivot },
          selfReference: from === to,
          strategy: prop.strategy ? String(prop.strategy) : null,
          eager: !!prop.eager,
        });
      }
    }
  }
  return relations;
}

function findInverse(prop: AnyProp, meta: AnyMeta, targetMeta: AnyMeta): AnyProp | undefined {
  const props = targetMeta.properties as Record<string, AnyProp>;
  if (prop.inversedBy && props[prop.inversedBy]) return props[prop.inversedBy];
  const wanted = prop.kind === '1:1' ? '1:1' : '1:m';
  // The inverse side may point at the declaring STI subclass or at one of its ancestors.
  const lineage = new Set<string>();
  for (let m: AnyMeta | undefined = meta; m && !lineage.has(m.className); m = parentMeta(m)) lineage.add(m.className);
  return targetMeta.props.find((p) => p.kind === wanted && p.mappedBy === prop.name && lineage.has((p.targetMeta as AnyMeta | undefined)?.className ?? ''));
}

/** The entity an entity extends (its metadata), when known. */
function parentMeta(meta: AnyMeta): AnyMeta | undefined {
  const parent = meta.extends as unknown;
  if (!parent || !meta.root || meta.root === meta) return undefined;
  const candidates = [meta.root, ...stiChildrenOf(meta.root)];
  const parentName = typeof parent === 'function' ? (parent as { name?: string }).name : typeof parent === 'string' ? parent : (parent as { meta?: { className?: string } }).meta?.className;
  return candidates.find((m) => m.class === parent || m.className === parentName) ?? meta.root;
}

const stiChildren = new WeakMap<AnyMeta, AnyMeta[]>();
let allMetadata: AnyMeta[] = [];

/** The subclasses of an STI root (every level), in entity-name order. */
function stiChildrenOf(root: AnyMeta): AnyMeta[] {
  let found = stiChildren.get(root);
  if (!found) {
    found = allMetadata.filter((m) => m !== root && m.root === root && isStiChild(m)).sort((a, b) => (a.className < b.className ? -1 : a.className > b.className ? 1 : 0));
    stiChildren.set(root, found);
  }
  return found;
}

/** For an STI root: which entity of the hierarchy declares each property (the topmost one that has it). */
function stiHierarchy(root: AnyMeta): { members: AnyMeta[]; declaring(name: string): AnyMeta } | null {
  if (!isStiRoot(root)) return null;
  const members = [root, ...stiChildrenOf(root)];
  const cache = new Map<string, AnyMeta>();
  const depth = (m: AnyMeta) => {
    let d = 0;
    for (let x: AnyMeta | undefined = m; x && x !== root && d < 50; x = parentMeta(x)) d++;
    return d;
  };
  return {
    members,
    declaring(name) {
      let found = cache.get(name);
      if (found) return found;
      const rootProp = (root.properties as Record<string, AnyProp>)[name];
      // The root holds its subclasses' properties too, flagged as inherited.
      if (rootProp && !(rootProp as AnyProp & { inherited?: boolean }).inherited) found = root;
      else found = members.filter((m) => m !== root && (m.properties as Record<string, AnyProp>)[name]).sort((a, b) => depth(a) - depth(b))[0] ?? root;
      cache.set(name, found);
      return found;
    },
  };
}

function isStiRoot(meta: AnyMeta): boolean {
  return (meta.root === meta || !meta.root) && (meta.inheritanceType === 'sti' || !!meta.discriminatorColumn) && stiChildrenOf(meta).length > 0;
}

/** Table.inheritance for the table an entity maps (spread into the table; nothing when there is none). */
function inheritanceEntry(meta: AnyMeta | undefined, every: Iterable<AnyMeta>, defaultSchema: string): { inheritance?: TableInheritance } {
  if (!meta) return {};
  allMetadata = [...every];
  if (meta.inheritanceType === 'tpt' && meta.tptParent) {
    const parent = meta.tptParent as AnyMeta;
    const parentTable = tableMeta(parent);
    return { inheritance: { kind: 'tpt', parentTable: qualifiedId(parentTable.schema ?? defaultSchema, parentTable.collection), parentEntity: parent.className } };
  }
  const hierarchy = stiHierarchy(meta);
  if (!hierarchy) return {};
  const discriminator = meta.discriminatorColumn ? String(meta.discriminatorColumn) : '';
  const discriminatorColumn = (meta.properties as Record<string, AnyProp>)[discriminator]?.fieldNames?.[0] ?? discriminator;
  const entities: StiEntity[] = hierarchy.members.map((m) => ({
    entity: m.className,
    parent: m === meta ? null : (parentMeta(m)?.className ?? meta.className),
    discriminatorValue: m.discriminatorValue === undefined || m.discriminatorValue === null ? null : String(m.discriminatorValue),
    abstract: !!m.abstract,
    columns: m.props
      .filter((p) => p.persist !== false && (p.kind === 'scalar' || p.kind === 'embedded' || p.kind === 'm:1' || (p.kind === '1:1' && p.owner)) && hierarchy.declaring(p.name) === m)
      .flatMap((p) => [...(p.fieldNames ?? [])]),
  }));
  return { inheritance: { kind: 'sti', discriminatorColumn, entities } };
}

/**
 * The embedded property a flattened column belongs to: its path ("billing.street"), the
 * owning embedded property ("billing", or "billing.geo" when nested) and the embeddable's class.
 */
function embeddedGroup(meta: AnyMeta, prop: AnyProp): { path: string; property: string; embeddable: string } | null {
  const props = meta.properties as Record<string, AnyProp>;
  const className = (p: AnyProp) => (p.targetMeta as AnyMeta | undefined)?.className ?? String(p.type);
  if (prop.kind === 'embedded') {
    // An embeddable stored as one JSON column (object: true).
    const path = embeddedPath(props, prop);
    return { path, property: path, embeddable: className(prop) };
  }
  if (!prop.embedded) return null;
  const owner = props[prop.embedded[0]];
  if (!owner) return null;
  const ownerPath = embeddedPath(props, owner);
  return { path: `${ownerPath}.${prop.embedded[1]}`, property: ownerPath, embeddable: className(owner) };
}

function embeddedPath(props: Record<string, AnyProp>, prop: AnyProp): string {
  const names: string[] = [];
  let current: AnyProp | undefined = prop;
  for (let guard = 0; current && guard < 20; guard++) {
    if (!current.embedded) {
      names.unshift(current.name);
      break;
    }
    names.unshift(current.embedded[1]);
    current = props[current.embedded[0]];
  }
  return names.join('.');
}

function cascadeOf(prop: AnyProp): string[] {
  return [...new Set((prop.cascade ?? []).map(String))].sort();
}

function sameColumns(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((c, i) => c === b[i]);
}
