/**
 * The ORM's relation properties as declared (`SchemaModel.entities`), read from MikroORM's
 * metadata: what the relationship checks (doctor.ts) and the cascade preview need beyond the
 * relations themselves (inverse-side eager and orphan removal, mappedBy / inversedBy, persist,
 * primary, the entity's source style).
 */
import { EntitySchema, type EntityMetadata, type EntityProperty, type MikroORM } from '@mikro-orm/postgresql';
import { forEachProjectSource } from '../project/sources.ts';
import { qualifiedId, type EntityDeclaration, type EntityStyle, type PropertyDeclaration } from '../../common/schema-model.ts';

const relationKinds = new Set(['1:1', 'm:1', '1:m', 'm:n']);

/** A pivot MikroORM generated for an m:n without a pivot entity (User_owner / Team_inverse). */
function isGenerated(meta: EntityMetadata): boolean {
  if (!meta.pivotTable) return false;
  const props = Object.values(meta.properties) as EntityProperty[];
  return props.length > 0 && props.every((p) => /_(owner|inverse)$/.test(p.name) || (p.primary && p.kind === 'scalar'));
}

/**
 * decorators: the decorators record the file they ran in (`meta.path`); EntitySchema: a
 * schema given its own class (`new EntitySchema({ class })`, kept in EntitySchema.REGISTRY);
 * anything else is a schema without a class of its own, which is what defineEntity makes.
 */
function styleOf(meta: EntityMetadata): EntityStyle {
  if (meta.path) return 'decorators';
  try {
    if (meta.class && EntitySchema.REGISTRY.has(meta.class)) return 'EntitySchema';
  } catch {
    // an older core without the registry: fall through
  }
  return 'defineEntity';
}

const snake = (name: string) => name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();

/**
 * The FK column MikroORM would name an owning to-one by itself: its naming strategy's join key
 * for the property and the referenced column (MetadataDiscovery.initManyToOneFieldName), so a
 * custom or EntityCase naming strategy's columns are not taken for a `fieldName` of the user's.
 */
function defaultJoinColumn(orm: MikroORM, p: EntityProperty): string {
  const referenced = p.referencedColumnNames ?? [];
  try {
    if (referenced.length === 1) return orm.config.getNamingStrategy().joinKeyColumnName(p.name, referenced[0], false);
  } catch {
    // a naming strategy that throws here: fall back to MikroORM's default
  }
  return `${snake(p.name)}_id`;
}

export function entityDeclarations(orm: MikroORM, defaultSchema: string): EntityDeclaration[] {
  const all = [...orm.getMetadata().getAll().values()].filter((m) => !m.embeddable && !isGenerated(m));
  const tableOf = (meta: EntityMetadata): string | null => {
    if (meta.virtual || !meta.collection) return null;
    const root = meta.root && meta.root !== meta && meta.root.collection === meta.collection ? meta.root : meta;
    return qualifiedId(root.schema ?? defaultSchema, root.collection);
  };
  const out: EntityDeclaration[] = all.map((meta) => {
    const pks = meta.primaryKeys.map((k) => meta.properties[k as keyof typeof meta.properties] as EntityProperty | undefined).filter((p): p is EntityProperty => !!p);
    // A table-per-type child also lists the relations of its parent, which the parent declares
    // (and maps in its own table): they are the parent's, checked there once.
    const tptOwn = meta.inheritanceType === 'tpt' && meta.tptParent && meta.ownProps ? new Set(meta.ownProps.map((p) => p.name)) : null;
    const relations: PropertyDeclaration[] = (meta.relations as EntityProperty[])
      // MikroORM adds a hidden `<Owner>_<prop>__inverse` side to every unidirectional m:n.
      .filter((p) => relationKinds.has(p.kind) && p.targetMeta && !p.targetMeta.embeddable && !p.name.endsWith('__inverse'))
      .filter((p) => !tptOwn || tptOwn.has(p.name))
      .map((p) => {
        const kind = p.kind as PropertyDeclaration['kind'];
        const owner = kind === 'm:1' || (kind === '1:1' && !!p.owner) || (kind === 'm:n' && (!!p.owner || !p.mappedBy));
        const pivotMeta = kind === 'm:n' && p.pivotEntity ? orm.getMetadata().find(p.pivotEntity) : undefined;
        const columns = owner ? [...(kind === 'm:n' ? (p.joinColumns ?? []) : (p.fieldNames ?? p.joinColumns ?? []))] : [];
        return {
          name: p.name,
          kind,
          target: p.targetMeta!.className,
          owner,
          mappedBy: p.mappedBy || null,
          inversedBy: p.inversedBy && !p.inversedBy.endsWith('__inverse') ? p.inversedBy : null,
          cascade: [...new Set((p.cascade ?? []).map(String))].sort(),
          orphanRemoval: !!p.orphanRemoval,
          eager: !!p.eager,
          nullable: !!p.nullable,
          primary: !!p.primary,
          unique: !!p.unique,
          persist: p.persist !== false,
          deleteRule: owner && kind !== 'm:n' && p.deleteRule ? String(p.deleteRule).toLowerCase() : null,
          columns,
          pivotTable: pivotMeta ? tableOf(pivotMeta) : null,
          pivotEntity: pivotMeta && !isGenerated(pivotMeta) ? pivotMeta.className : null,
          fieldName: owner && kind !== 'm:n' && columns.length === 1 && columns[0] !== defaultJoinColumn(orm, p) ? columns[0]! : null,
          strategy: p.strategy ? String(p.strategy) : null,
          hasOrderBy: !!p.orderBy && Object.keys(p.orderBy as object).length > 0,
          ...((kind === 'm:1' || kind === '1:1') && p.ref ? { ref: true } : {}),
        };
      });
    return {
      name: meta.className,
      table: tableOf(meta),
      style: styleOf(meta),
      primaryKeys: [...meta.primaryKeys],
      associationEntity: pks.length > 0 && pks.every((p) => p.kind === 'm:1' || p.kind === '1:1'),
      relations,
    };
  });
  // A defineEntity schema can land in EntitySchema.REGISTRY too (a TPT parent its children
  // extend gets a class set): when any schema of the project reads as defineEntity, they all are.
  if (out.some((e) => e.style === 'defineEntity')) for (const e of out) if (e.style === 'EntitySchema') e.style = 'defineEntity';
  const baseDir = orm.config.get('baseDir');
  if (typeof baseDir === 'string' && out.some((e) => e.style !== 'decorators')) {
    const identifiers = schemaIdentifiers(baseDir);
    for (const e of out) {
      const id = e.style !== 'decorators' ? identifiers.get(e.name) : undefined;
      if (id && id !== e.name) e.identifier = id;
    }
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** `const X = defineEntity({ name: 'Y'` / `new EntitySchema<…>({ name: 'Y'`: X is what the code calls entity Y. */
const schemaDeclaration = /\b(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*(?::[^=;]+)?=\s*(?:defineEntity|new\s+EntitySchema)\s*(?:<[^(]*>)?\s*\(\s*\{((?:(?!defineEntity|EntitySchema)[\s\S]){0,400}?)\bname\s*:\s*(['"`])([^'"`]+)\3/g;

/**
 * Entity name -> the variable that holds its schema, read from the project's sources (its baseDir,
 * at most 400 files, 5 levels, node_modules, dot folders and a top-level dist skipped, as the
 * lab reads the style): MikroORM's guide writes `ArticleSchema` for entity Article, so a fix that
 * says `p.oneToMany(Article)` would not compile there. A name declared twice differently is left out.
 */
export function schemaIdentifiers(baseDir: string): Map<string, string> {
  const found = new Map<string, string | null>();
  forEachProjectSource(baseDir, (text) => {
    if (!text.includes('defineEntity') && !text.includes('EntitySchema')) return;
    for (const m of text.matchAll(schemaDeclaration)) {
      const [, variable, , , entity] = m;
      const seen = found.get(entity!);
      found.set(entity!, seen === undefined || seen === variable ? variable! : null);
    }
  });
  return new Map([...found].filter((e): e is [string, string] => e[1] !== null));
}
