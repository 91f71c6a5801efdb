/**
 * Validation of a comparison request against the ORM's metadata. Nothing is executed for an
 * invalid request: every field is checked here first, and a problem becomes one UserError
 * (400 / exit 2) naming the field and the valid choices.
 *
 * The where-object is checked property by property as well: MikroORM treats unknown keys in
 * some positions as SQL expressions, so only the entity's own properties and a fixed list of
 * operators get through, and values must be plain JSON scalars (or arrays of them).
 */
import type { EntityMetadata, EntityProperty, MetadataStorage } from '@mikro-orm/core';
import { UserError } from '../errors.ts';
import {
  compareLimits, strategyDescriptions, strategyNames,
  type CompareRequest, type CompareRequestInput, type EntityInfo, type EntityRelationInfo, type StrategyName,
} from '../../common/lab-types.ts';

/** A populate path as a tree: one node per relation, children are the nested paths. */
export interface PathNode {
  /** Full path from the root, e.g. "posts.comments". */
  path: string;
  /** The relation's property name on its parent entity. */
  prop: string;
  kind: '1:1' | 'm:1' | '1:m' | 'm:n';
  toMany: boolean;
  /** Owning side of a 1:1 / m:1 (the FK is on the parent) or owner of an m:n. */
  owner: boolean;
  parentEntity: string;
  targetEntity: string;
  children: PathNode[];
}

/** A request with its entity resolved, ready to run. */
export interface ResolvedRequest {
  request: CompareRequest;
  meta: EntityMetadata;
  tree: PathNode[];
}

/** How fields are named in messages: `limit` for the API, `--limit` for the CLI. */
export type FieldNamer = (field: keyof CompareRequestInput) => string;

const apiNames: FieldNamer = (field) => field;

const relationKinds = new Set(['1:1', 'm:1', '1:m', 'm:n']);

/** The entities a user can compare: every entity with metadata except generated pivot tables. */
export function userEntities(metadata: MetadataStorage): EntityMetadata[] {
  const all = [...metadata.getAll().values()].filter((meta) => !meta.embeddable && !meta.virtual && !meta.abstract);
  // A pivot table MikroORM generated for a plain m:n (user_team) has relations named <Entity>_owner/_inverse.
  const generated = (meta: EntityMetadata) => meta.pivotTable && meta.relations.length > 0 && meta.relations.every((r) => /_(owner|inverse)$/.test(r.name));
  return all.filter((meta) => !generated(meta)).sort((a, b) => a.className.localeCompare(b.className));
}

/**
 * Relations MikroORM adds for its own use: the hidden inverse side of a unidirectional m:n
 * (`User_favorites__inverse`, persist and hydrate off) and the two sides of a pivot table it
 * generated (`User_owner` / `Team_inverse`). They are not in the user's entities, populating them
 * proves nothing about the user's loads, so the lab neither offers nor accepts them.
 */
export function isInternalRelation(prop: EntityProperty, owner?: EntityMetadata): boolean {
  if (/__inverse$/.test(prop.name) && prop.persist === false) return true;
  if (owner?.pivotTable && /_(owner|inverse)$/.test(prop.name) && owner.relations.every((r) => /_(owner|inverse)$/.test(r.name))) return true;
  return false;
}

function internalOwner(prop: EntityProperty): string {
  const owner = prop.targetMeta?.className ?? String(prop.type);
  return prop.mappedBy ? `${owner}.${prop.mappedBy}` : owner;
}

function relationsOf(meta: EntityMetadata): EntityProperty[] {
  return meta.relations.filter((prop) => relationKinds.has(prop.kind) && !isInternalRelation(prop, meta));
}

function listOrNone(names: string[]): string {
  return names.length ? names.join(', ') : '(none)';
}

function describeRelation(prop: EntityProperty): EntityRelationInfo {
  const info: EntityRelationInfo = {
    name: prop.name,
    kind: prop.kind as EntityRelationInfo['kind'],
    target: prop.targetMeta?.className ?? String(prop.type),
    owner: Boolean(prop.owner) || prop.kind === 'm:1',
    nullable: prop.kind === '1:m' || prop.kind === 'm:n' ? true : Boolean(prop.nullable) || (prop.kind === '1:1' && !prop.owner),
  };
  if (prop.strategy) info.strategy = String(prop.strategy);
  if (prop.kind === 'm:n' && prop.pivotTable) info.pivotTable = prop.pivotTable;
  return info;
}

/** Each entity's scalars and relations, and the populate paths a page can offer. */
export function describeEntities(metadata: MetadataStorage): EntityInfo[] {
  return userEntities(metadata).map((meta) => {
    const relations = relationsOf(meta).map(describeRelation);
    const paths: string[] = [];
    for (const prop of relationsOf(meta)) {
      paths.push(prop.name);
      const back = prop.mappedBy ?? prop.inversedBy;
      for (const child of relationsOf(prop.targetMeta!)) {
        // user.posts.author is the user again: not worth offering.
        if (child.name === back && child.targetMeta?.className === meta.className) continue;
        paths.push(`${prop.name}.${child.name}`);
      }
    }
    return {
      name: meta.className,
      tableName: meta.tableName,
      primaryKeys: [...meta.primaryKeys],
      scalars: Object.values(meta.properties).filter((p) => p.kind === 'scalar' && p.persist !== false).map((p) => p.name),
      relations,
      paths,
    };
  });
}

export function resolveEntity(metadata: MetadataStorage, name: unknown, field = 'entity'): EntityMetadata {
  const entities = userEntities(metadata);
  if (typeof name !== 'string' || !name.trim()) {
    throw new UserError(`${field} is required: one of ${listOrNone(entities.map((m) => m.className))}.`);
  }
  const wanted = name.trim();
  const meta = entities.find((m) => m.className === wanted) ?? entities.find((m) => m.className.toLowerCase() === wanted.toLowerCase());
  if (!meta) throw new UserError(`${field}: unknown entity "${wanted}"; entities: ${listOrNone(entities.map((m) => m.className))}.`);
  return meta;
}

/** Parses populate paths into a tree; every segment must be a relation of the entity before it. */
export function parsePopulate(meta: EntityMetadata, raw: unknown, field = 'populate'): { paths: string[]; tree: PathNode[] } {
  let list: string[];
  if (raw === undefined || raw === null || raw === '') list = [];
  else if (typeof raw === 'string') list = raw.split(',');
  else if (Array.isArray(raw) && raw.every((p) => typeof p === 'string')) list = raw.flatMap((p: string) => p.split(','));
  else throw new UserError(`${field} must be a list of relation paths such as ["posts.comments", "profile"] (or "posts.comments,profile").`);
  const paths = [...new Set(list.map((p) => p.trim()).filter(Boolean))];
  const roots: PathNode[] = [];
  for (const path of paths) {
    let current = meta;
    let level = roots;
    const segments = path.split('.');
    segments.forEach((segment, i) => {
      const prop = ownProperty(current, segment);
      const relations = relationsOf(current).map((r) => r.name);
      if (prop && relationKinds.has(prop.kind) && isInternalRelation(prop, current)) {
        throw new UserError(`${field}: in "${path}", "${segment}" is a relation MikroORM adds internally (the hidden inverse side of the unidirectional ${internalOwner(prop)}), not one of ${current.className}'s own: loading it measures nothing your code does; populate ${internalOwner(prop)} from its owner instead, or one of ${current.className}'s relations: ${listOrNone(relations)}.`);
      }
      if (!prop || !relationKinds.has(prop.kind)) {
        const what = prop ? `is a ${prop.kind} property of ${current.className}, not a relation` : `is not a relation of ${current.className}`;
        throw new UserError(`${field}: in "${path}", "${segment}" ${what}; relations of ${current.className}: ${listOrNone(relations)}.`);
      }
      const full = segments.slice(0, i + 1).join('.');
      let node = level.find((n) => n.prop === segment);
      if (!node) {
        node = {
          path: full,
          prop: segment,
          kind: prop.kind as PathNode['kind'],
          toMany: prop.kind === '1:m' || prop.kind === 'm:n',
          owner: Boolean(prop.owner) || prop.kind === 'm:1',
          parentEntity: current.className,
          targetEntity: prop.targetMeta!.className,
          children: [],
        };
        level.push(node);
      }
      level = node.children;
      current = prop.targetMeta!;
    });
  }
  // Only the leaves matter to MikroORM's populate: "posts.comments" populates posts too.
  const leaves: string[] = [];
  const walk = (nodes: PathNode[]) => nodes.forEach((n) => (n.children.length ? walk(n.children) : leaves.push(n.path)));
  walk(roots);
  return { paths: leaves, tree: roots };
}

/** All nodes of a path tree, parents before children, breadth first (the lazy loop's order). */
export function levels(tree: PathNode[]): PathNode[][] {
  const out: PathNode[][] = [];
  let level = tree;
  while (level.length) {
    out.push(level);
    level = level.flatMap((n) => n.children);
  }
  return out;
}

function parseJsonField(raw: unknown, field: string): unknown {
  if (typeof raw !== 'string') return raw;
  try {
    return JSON.parse(raw);
  } catch (error) {
    throw new UserError(`${field} is not valid JSON (${error instanceof Error ? error.message : String(error)}); expected an object such as {"name": {"$like": "a%"}}.`);
  }
}

const scalarOperators = new Set(['$eq', '$ne', '$in', '$nin', '$gt', '$gte', '$lt', '$lte', '$like', '$ilike', '$re', '$exists', '$contains', '$contained', '$overlap', '$fulltext', '$not']);
const relationOperators = new Set(['$eq', '$ne', '$in', '$nin', '$exists', '$some', '$none', '$every', '$not']);
const collectionOperators = new Set(['$some', '$none', '$every']);

/**
 * The entity's own property `name`: never one inherited from Object.prototype, so that keys
 * such as "constructor", "toString" or "__proto__" are unknown properties, not functions.
 */
function ownProperty(meta: EntityMetadata, name: string): EntityProperty | undefined {
  return Object.hasOwn(meta.properties, name) ? meta.properties[name as keyof typeof meta.properties] as EntityProperty : undefined;
}

/** Bounds on a request's shape, checked before anything walks it recursively. */
export const requestShapeLimits = { depth: 12, listItems: 1000, nodes: 10_000 } as const;

/**
 * Refuses a request nested deeper, with longer lists or with more values than
 * `requestShapeLimits` allow (400, naming where). Iterative, so a where-object nested
 * 100,000 deep is refused instead of overflowing the stack; runs in time linear in the body.
 */
export function checkShape(value: unknown, field: string): void {
  const stack: { value: unknown; path: string; depth: number }[] = [{ value, path: field, depth: 0 }];
  let nodes = 0;
  while (stack.length) {
    const { value: v, path, depth } = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (depth >= requestShapeLimits.depth) throw new UserError(`${path || 'The request'} is nested more than ${requestShapeLimits.depth} levels deep; simplify the condition.`);
    const entries = Array.isArray(v) ? v.map((item, i) => [`[${i}]`, item] as const) : Object.entries(v).map(([k, item]) => [`.${k}`, item] as const);
    if (Array.isArray(v) && v.length > requestShapeLimits.listItems) throw new UserError(`${path || 'The request'} has ${v.length.toLocaleString('en-US')} items; at most ${requestShapeLimits.listItems.toLocaleString('en-US')} are allowed.`);
    nodes += entries.length;
    if (nodes > requestShapeLimits.nodes) throw new UserError(`${field || 'The request'} has more than ${requestShapeLimits.nodes.toLocaleString('en-US')} values; at most that many are allowed.`);
    for (const [key, item] of entries) stack.push({ value: item, path: path ? `${path}${key}` : key.replace(/^\./, ''), depth: depth + 1 });
  }
}

/** Whether a property holds an array (text[], int[]) or JSON, for $contains / $contained / $overlap. */
function containerKind(prop: EntityProperty): 'array' | 'json' | null {
  const column = String(prop.columnTypes?.[0] ?? '').toLowerCase();
  const type = String(prop.runtimeType ?? prop.type ?? '').toLowerCase();
  if (prop.array || column.endsWith('[]') || type.endsWith('[]') || type === 'arraytype') return 'array';
  if (column === 'json' || column === 'jsonb' || type === 'json' || type === 'jsontype' || type === 'object') return 'json';
  return null;
}

function validateContainment(prop: EntityProperty, op: string, value: unknown, path: string): void {
  const kind = containerKind(prop);
  if (!kind) throw new UserError(`${path}.${op} applies to array and JSON properties; ${prop.name} is neither (use $eq, $in, $like, ...).`);
  if (kind === 'array' && !(Array.isArray(value) && value.every(isScalar))) throw new UserError(`${path}.${op} must be a list of values, e.g. ["a", "b"], for the array property ${prop.name}.`);
  if (kind === 'json') {
    if (op === '$overlap') throw new UserError(`${path}.$overlap applies to array properties; ${prop.name} is JSON (use $contains or $contained).`);
    if (typeof value !== 'object' || value === null) throw new UserError(`${path}.${op} must be a JSON object or array for the JSON property ${prop.name}.`);
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isScalar(value: unknown): boolean {
  return value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

function isScalarOrList(value: unknown): boolean {
  return isScalar(value) || (Array.isArray(value) && value.every(isScalar));
}

/** Checks a MikroORM where-object: known properties, known operators, JSON scalar values. */
export function validateWhere(meta: EntityMetadata, value: unknown, field: string, at = ''): void {
  const here = at || field;
  if (!isPlainObject(value)) throw new UserError(`${here} must be an object of ${meta.className} properties, e.g. {"id": {"$lt": 100}}.`);
  for (const [key, v] of Object.entries(value)) {
    const path = at ? `${at}.${key}` : `${field}.${key}`;
    if (key === '$and' || key === '$or') {
      if (!Array.isArray(v) || v.length === 0) throw new UserError(`${path} must be a non-empty array of conditions.`);
      v.forEach((item, i) => validateWhere(meta, item, field, `${path}[${i}]`));
      continue;
    }
    if (key === '$not') {
      validateWhere(meta, v, field, path);
      continue;
    }
    if (key.startsWith('$')) throw new UserError(`${path}: operator "${key}" is not allowed on an entity; use $and, $or or $not, or a property of ${meta.className}.`);
    const prop = ownProperty(meta, key);
    const names = Object.values(meta.properties).filter((p) => p.kind !== 'embedded').map((p) => p.name);
    if (!prop || prop.kind === 'embedded') throw new UserError(`${path}: "${key}" is not a property of ${meta.className}; properties: ${listOrNone(names)}.`);
    if (relationKinds.has(prop.kind)) validateRelationCondition(prop, v, field, path);
    else validateScalarCondition(prop, v, path);
  }
}

function validateScalarCondition(prop: EntityProperty, value: unknown, path: string): void {
  if (isScalarOrList(value)) return;
  if (!isPlainObject(value)) throw new UserError(`${path} must be a value, a list of values or an object of operators.`);
  for (const [op, v] of Object.entries(value)) {
    if (!scalarOperators.has(op)) throw new UserError(`${path}: "${op}" is not an operator allowed on ${prop.name}; operators: ${[...scalarOperators].join(', ')}.`);
    if (op === '$not') validateScalarCondition(prop, v, `${path}.$not`);
    else if (op === '$contains' || op === '$contained' || op === '$overlap') validateContainment(prop, op, v, path);
    else if (!isScalarOrList(v)) throw new UserError(`${path}.${op} must be a value or a list of values.`);
  }
}

function validateRelationCondition(prop: EntityProperty, value: unknown, field: string, path: string): void {
  if (isScalarOrList(value)) return; // primary key values
  if (!isPlainObject(value)) throw new UserError(`${path} must be a primary key, a list of them, or a condition on ${prop.targetMeta!.className}.`);
  const target = prop.targetMeta!;
  const toMany = prop.kind === '1:m' || prop.kind === 'm:n';
  for (const [key, v] of Object.entries(value)) {
    const sub = `${path}.${key}`;
    if (key.startsWith('$')) {
      if (!relationOperators.has(key)) throw new UserError(`${sub}: operator "${key}" is not allowed on relation ${prop.name}; operators: ${[...relationOperators].join(', ')}.`);
      if (collectionOperators.has(key)) {
        if (!toMany) throw new UserError(`${sub}: ${key} applies to to-many relations only; ${prop.name} is ${prop.kind}.`);
        validateWhere(target, v, field, sub);
      } else if (key === '$not') {
        validateRelationCondition(prop, v, field, sub);
      } else if (!isScalarOrList(v)) {
        throw new UserError(`${sub} must be a primary key value or a list of them.`);
      }
      continue;
    }
    validateWhere(target, { [key]: v }, field, path);
  }
}

const orderValues = new Set(['asc', 'desc', 'asc nulls last', 'asc nulls first', 'desc nulls last', 'desc nulls first']);

/** Checks a MikroORM orderBy (object or array of objects) and returns it as an array. */
export function validateOrderBy(meta: EntityMetadata, value: unknown, field: string): Record<string, unknown>[] {
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0) throw new UserError(`${field} must not be empty.`);
  const check = (m: EntityMetadata, obj: unknown, at: string): void => {
    if (!isPlainObject(obj) || Object.keys(obj).length === 0) throw new UserError(`${at} must be an object such as {"id": "asc"}.`);
    for (const [key, v] of Object.entries(obj)) {
      const prop = ownProperty(m, key);
      const names = Object.values(m.properties).filter((p) => p.kind === 'scalar' || p.kind === 'm:1' || p.kind === '1:1').map((p) => p.name);
      if (!prop || !(prop.kind === 'scalar' || prop.kind === 'm:1' || prop.kind === '1:1')) {
        throw new UserError(`${at}: cannot order by "${key}" on ${m.className}; properties: ${listOrNone(names)}.`);
      }
      if (isPlainObject(v) && prop.kind !== 'scalar') {
        check(prop.targetMeta!, v, `${at}.${key}`);
        continue;
      }
      const ok = (typeof v === 'string' && orderValues.has(v.toLowerCase())) || v === 1 || v === -1;
      if (!ok) throw new UserError(`${at}.${key} must be one of ${[...orderValues].map((o) => `"${o}"`).join(', ')}, 1 or -1.`);
    }
  };
  list.forEach((item, i) => check(meta, item, Array.isArray(value) ? `${field}[${i}]` : field));
  return list as Record<string, unknown>[];
}

function parseInteger(raw: unknown, field: string, limits: { min: number; max: number; default: number }): number {
  if (raw === undefined || raw === null || raw === '') return limits.default;
  const value = typeof raw === 'string' ? Number(raw.trim()) : raw;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < limits.min || value > limits.max) {
    throw new UserError(`${field} must be an integer from ${limits.min} to ${limits.max}, got ${JSON.stringify(raw)}.`);
  }
  return value;
}

function parseStrategies(raw: unknown, field: string): StrategyName[] {
  // Left out means all; given but empty ("" or --strategies '') is a mistake, as [""] is.
  if (raw === undefined || raw === null) return [...strategyNames];
  const list = typeof raw === 'string' ? raw.split(',') : Array.isArray(raw) ? raw : null;
  if (!list || !list.every((s) => typeof s === 'string')) throw new UserError(`${field} must be a list of strategies: ${strategyNames.join(', ')}.`);
  const out: StrategyName[] = [];
  for (const item of list as string[]) {
    const name = item.trim().toLowerCase().replace(/^selectin$/, 'select-in');
    if (!name) continue;
    if (!(strategyNames as readonly string[]).includes(name)) {
      throw new UserError(`${field}: unknown strategy "${item.trim()}"; strategies: ${strategyNames.join(', ')}.`);
    }
    if (!out.includes(name as StrategyName)) out.push(name as StrategyName);
  }
  if (out.length === 0) throw new UserError(`${field} must name at least one strategy: ${strategyNames.join(', ')}.`);
  return out;
}

function parseSweep(raw: unknown, field: string): number[] {
  if (raw === undefined || raw === null || raw === false || raw === '' || raw === 'false' || raw === 'none') return [];
  if (raw === true || raw === 'true' || raw === 'default') return [...compareLimits.sweepDefault];
  const list = typeof raw === 'string' ? raw.split(',').map((s) => s.trim()).filter(Boolean) : Array.isArray(raw) ? raw : null;
  if (!list || list.length === 0) throw new UserError(`${field} must be a list of page sizes such as 1,10,100,1000 (or true for that default).`);
  const sizes = list.map((item) => parseInteger(item, `${field} page size`, { ...compareLimits.limit, default: NaN }));
  if (sizes.length > 8) throw new UserError(`${field}: at most 8 page sizes, got ${sizes.length}.`);
  return [...new Set(sizes)].sort((a, b) => a - b);
}

const knownFields = new Set<string>(['entity', 'populate', 'where', 'orderBy', 'limit', 'offset', 'strategies', 'repeat', 'sweep', 'sweepRepeat', 'explain', 'explainTimeoutMs', 'maxStatementsPerRun',
  'timeBudgetMs', 'maxRowsPerRun', 'populateWhere', 'populateOrderBy', 'fields', 'exclude', 'filters', 'eager']);

/** Validates a request completely; throws a UserError naming the first bad field. */
export function resolveRequest(metadata: MetadataStorage, input: unknown, name: FieldNamer = apiNames, context: LoadingContext = {}): ResolvedRequest {
  if (!isPlainObject(input)) throw new UserError('The request body must be a JSON object with at least "entity".');
  const unknown = Object.keys(input).filter((k) => !knownFields.has(k));
  if (unknown.length) throw new UserError(`Unknown field${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `"${k}"`).join(', ')}; fields: ${[...knownFields].join(', ')}.`);
  checkShape(input, '');
  const body = input as unknown as CompareRequestInput;
  const meta = resolveEntity(metadata, body.entity, name('entity'));
  const { paths, tree } = parsePopulate(meta, body.populate, name('populate'));

  const whereRaw = parseJsonField(body.where ?? {}, name('where'));
  if (typeof body.where === 'string') checkShape(whereRaw, name('where'));
  validateWhere(meta, whereRaw, name('where'));
  const where = whereRaw as Record<string, unknown>;

  let orderBy: Record<string, unknown>[];
  let orderByDefaulted = false;
  const orderRaw = parseJsonField(body.orderBy, name('orderBy'));
  if (typeof body.orderBy === 'string') checkShape(orderRaw, name('orderBy'));
  if (orderRaw === undefined || orderRaw === null) {
    // LIMIT without ORDER BY may page differently per strategy: order by the key so all load the same roots.
    orderBy = [Object.fromEntries(meta.primaryKeys.map((pk) => [pk, 'asc']))];
    orderByDefaulted = true;
  } else {
    orderBy = validateOrderBy(meta, orderRaw, name('orderBy'));
  }

  if (body.explain !== undefined && typeof body.explain !== 'boolean') throw new UserError(`${name('explain')} must be true or false.`);
  const request: CompareRequest = {
    entity: meta.className,
    populate: paths,
    where,
    orderBy,
    orderByDefaulted,
    limit: parseInteger(body.limit, name('limit'), compareLimits.limit),
    offset: parseInteger(body.offset, name('offset'), compareLimits.offset),
    strategies: parseStrategies(body.strategies, name('strategies')),
    repeat: parseInteger(body.repeat, name('repeat'), compareLimits.repeat),
    sweep: parseSweep(body.sweep, name('sweep')),
    sweepRepeat: parseInteger(body.sweepRepeat, name('sweepRepeat'), compareLimits.sweepRepeat),
    explain: body.explain ?? true,
    explainTimeoutMs: parseInteger(body.explainTimeoutMs, name('explainTimeoutMs'), compareLimits.explainTimeoutMs),
    maxStatementsPerRun: parseInteger(body.maxStatementsPerRun, name('maxStatementsPerRun'), compareLimits.maxStatementsPerRun),
    timeBudgetMs: parseInteger(body.timeBudgetMs, name('timeBudgetMs'), compareLimits.timeBudgetMs),
    maxRowsPerRun: parseInteger(body.maxRowsPerRun, name('maxRowsPerRun'), compareLimits.maxRowsPerRun),
  };
  Object.assign(request, resolveLoadingOptions(meta, tree, body, name, context));
  return { request, meta, tree };
}

export function strategyList(): { name: StrategyName; description: string }[] {
  return strategyNames.map((name) => ({ name, description: strategyDescriptions[name] }));
}

// ---- MikroORM loading options (issue 12, item 7) -----------------------------------------

/** What the validator needs to know besides the metadata: the config's filter names. */
export interface LoadingContext {
  filters?: string[];
}

type LoadingOptions = Pick<CompareRequest, 'populateWhere' | 'populateOrderBy' | 'fields' | 'exclude' | 'filters' | 'eager'>;

function treeNode(tree: PathNode[], path: string): PathNode | undefined {
  let level = tree;
  let node: PathNode | undefined;
  for (const segment of path.split('.')) {
    node = level.find((n) => n.prop === segment);
    if (!node) return undefined;
    level = node.children;
  }
  return node;
}

function metaAt(meta: EntityMetadata, path: string[]): EntityMetadata | undefined {
  let current: EntityMetadata | undefined = meta;
  for (const segment of path) current = current?.properties[segment]?.targetMeta;
  return current;
}

/** Field paths such as "name" or "posts.title": every segment but the last a relation, the last any property. */
function parseFieldList(meta: EntityMetadata, raw: unknown, field: string): string[] | undefined {
  if (raw === undefined || raw === null || raw === '') return undefined;
  const list = typeof raw === 'string' ? raw.split(',') : Array.isArray(raw) && raw.every((x) => typeof x === 'string') ? (raw as string[]) : null;
  if (!list) throw new UserError(`${field} must be a list of field paths such as ["name", "posts.title"] (or "name,posts.title").`);
  const out: string[] = [];
  for (const item of list.map((x) => x.trim()).filter(Boolean)) {
    const segments = item.split('.');
    const owner = metaAt(meta, segments.slice(0, -1));
    const last = segments[segments.length - 1]!;
    if (!owner || (segments.length > 1 && !segments.slice(0, -1).every((s, i) => relationKinds.has(metaAt(meta, segments.slice(0, i))?.properties[s]?.kind ?? '')))) {
      throw new UserError(`${field}: in "${item}", every segment before the last must be a relation of ${meta.className}.`);
    }
    if (!owner.properties[last]) {
      throw new UserError(`${field}: "${last}" is not a property of ${owner.className}; properties: ${listOrNone(Object.keys(owner.properties))}.`);
    }
    if (!out.includes(item)) out.push(item);
  }
  return out.length ? out : undefined;
}

export function resolveLoadingOptions(meta: EntityMetadata, tree: PathNode[], body: CompareRequestInput, name: FieldNamer, context: LoadingContext = {}): LoadingOptions {
  const out: LoadingOptions = {};

  const pwRaw = body.populateWhere;
  if (pwRaw !== undefined && pwRaw !== null && pwRaw !== '') {
    if (pwRaw === 'all' || pwRaw === 'infer') out.populateWhere = pwRaw;
    else {
      const parsed = parseJsonField(pwRaw, name('populateWhere'));
      if (parsed === 'all' || parsed === 'infer') out.populateWhere = parsed;
      else {
        validateWhere(meta, parsed, name('populateWhere'));
        for (const key of Object.keys(parsed as object)) {
          if (!key.startsWith('$') && !treeNode(tree, key)) throw new UserError(`${name('populateWhere')}.${key}: only populated relations can be conditioned here; populate: ${listOrNone(tree.map((n) => n.path))} (or use "all" / "infer").`);
        }
        out.populateWhere = parsed as Record<string, unknown>;
      }
    }
  }

  const poRaw = parseJsonField(body.populateOrderBy, name('populateOrderBy'));
  if (poRaw !== undefined && poRaw !== null && poRaw !== '') {
    if (!isPlainObject(poRaw)) throw new UserError(`${name('populateOrderBy')} must be an object keyed by populated collection, e.g. {"posts": {"id": "desc"}}.`);
    const check = (obj: Record<string, unknown>, nodes: PathNode[], m: EntityMetadata, at: string) => {
      for (const [key, v] of Object.entries(obj)) {
        const node = nodes.find((n) => n.prop === key);
        const sub = `${at}.${key}`;
        if (node) {
          if (!isPlainObject(v)) throw new UserError(`${sub} must be an object such as {"id": "desc"}.`);
          const target = m.properties[key]!.targetMeta!;
          const scalars: Record<string, unknown> = {};
          const nested: Record<string, unknown> = {};
          for (const [k, x] of Object.entries(v)) (node.children.some((c) => c.prop === k) ? nested : scalars)[k] = x;
          if (Object.keys(scalars).length) validateOrderBy(target, scalars, sub);
          check(nested, node.children, target, sub);
        } else {
          throw new UserError(`${sub}: "${key}" is not a populated relation of ${m.className}; populated: ${listOrNone(nodes.map((n) => n.prop))}.`);
        }
      }
    };
    check(poRaw, tree, meta, name('populateOrderBy'));
    out.populateOrderBy = poRaw;
  }

  const fields = parseFieldList(meta, body.fields, name('fields'));
  if (fields) out.fields = fields;
  const exclude = parseFieldList(meta, body.exclude, name('exclude'));
  if (exclude) {
    const keys = exclude.filter((f) => !f.includes('.') && meta.primaryKeys.includes(f));
    if (keys.length) throw new UserError(`${name('exclude')}: the primary key ${keys.join(', ')} cannot be excluded.`);
    out.exclude = exclude;
  }
  if (fields && exclude) throw new UserError(`${name('fields')} and ${name('exclude')} cannot be combined; give one of them.`);

  const fRaw = typeof body.filters === 'string' && body.filters.trim().startsWith('{') ? parseJsonField(body.filters, name('filters')) : body.filters;
  if (fRaw !== undefined && fRaw !== null && fRaw !== '') {
    const known = new Set([...(context.filters ?? []), ...Object.keys((meta as { filters?: Record<string, unknown> }).filters ?? {})]);
    let entries: [string, unknown][];
    if (typeof fRaw === 'string') entries = fRaw.split(',').map((n) => n.trim()).filter(Boolean).map((n) => [n, true]);
    else if (Array.isArray(fRaw) && fRaw.every((x) => typeof x === 'string')) entries = (fRaw as string[]).map((n) => [n.trim(), true]);
    else if (isPlainObject(fRaw)) entries = Object.entries(fRaw);
    else throw new UserError(`${name('filters')} must be a list of filter names such as ["active"], or an object such as {"active": false}.`);
    const filters: Record<string, boolean | Record<string, unknown>> = {};
    for (const [filter, value] of entries) {
      if (!known.has(filter)) throw new UserError(`${name('filters')}: unknown filter "${filter}"; filters defined: ${listOrNone([...known])}.`);
      if (typeof value !== 'boolean' && !isPlainObject(value)) throw new UserError(`${name('filters')}.${filter} must be true, false or an object of arguments.`);
      filters[filter] = value as boolean | Record<string, unknown>;
    }
    if (Object.keys(filters).length) out.filters = filters;
  }

  const eager = body.eager;
  if (eager !== undefined && eager !== null && eager !== '') {
    if (eager !== 'honour' && eager !== 'override') throw new UserError(`${name('eager')} must be "honour" (eager relations load as configured) or "override" (they load only when populated), got ${JSON.stringify(eager)}.`);
    out.eager = eager;
  }
  return out;
}
