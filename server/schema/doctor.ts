/**
 * Relationship doctor: checks on how relations are declared in the ORM, read from the ORM
 * model's declarations (`SchemaModel.entities`) and, where the database is known, its real
 * FK rules and column nullability. Each finding names the entity and property, says why it
 * matters (`why`) and gives the fix as code in the entity's own style (`fix`).
 *
 *   missing-inverse        info     an owning relation with no inverse side on its target
 *   pivot-two-writers      warning  two relations write the same pivot table or FK columns
 *   two-owners             warning  both sides of a 1:1 or m:n own it (two FKs / two pivots)
 *   cascade-mismatch       warning  the ORM's remove cascade and the FK's ON DELETE disagree
 *                          error    ON DELETE SET NULL on a NOT NULL column
 *   cascade-remove-shared  warning  Cascade.REMOVE toward a row other rows share (m:1, m:n)
 *   eager-to-many          warning  eager loading of a to-many relation
 *   nullable-required      warning  the ORM's required/optional disagrees with the column
 *   orphan-without-owner   warning  orphan removal of children that have another owner
 *   sti-schema             error    an STI subclass without its root's schema (queries miss the table)
 *
 * Existing lint rules cover the rest a MikroORM user would expect: fk-not-indexed (m:1 without
 * an index), fk-type-mismatch (FK type vs PK type), one-to-one-not-unique. MikroORM itself
 * refuses at discovery a mappedBy / inversedBy that names a wrong or missing property, or
 * owners on both ends of one bidirectional relation, so those never reach relscope.
 */
import type { Finding } from '../../common/findings.ts';
import type { EntityDeclaration, PropertyDeclaration, ReferentialAction, SchemaModel, Table } from '../../common/schema-model.ts';
import { collectionName, inEntity, propertyCode, referenceName, type PropertySketch } from './entity-code.ts';

export interface DoctorRule {
  code: string;
  severity: Finding['severity'];
  summary: string;
}

/** Every rule, for the README table and `lint --help`. */
export const doctorRules: DoctorRule[] = [
  { code: 'missing-inverse', severity: 'info', summary: 'an owning relation whose target declares no inverse side (one-sided can be intended)' },
  { code: 'pivot-two-writers', severity: 'warning', summary: 'two relations write the same pivot table or the same FK columns' },
  { code: 'two-owners', severity: 'warning', summary: 'both entities own a 1:1 (two FK columns) or an m:n (two pivot tables) meant as one relation' },
  { code: 'cascade-mismatch', severity: 'warning', summary: 'the ORM\'s remove cascade / orphan removal and the database\'s ON DELETE disagree; error for SET NULL on a NOT NULL column' },
  { code: 'cascade-remove-shared', severity: 'warning', summary: 'Cascade.REMOVE on an m:1 or m:n: deleting one row deletes a row others share' },
  { code: 'eager-to-many', severity: 'warning', summary: 'eager loading of a 1:m or m:n collection' },
  { code: 'nullable-required', severity: 'warning', summary: 'a relation the ORM treats as required over a nullable column, or the reverse' },
  { code: 'orphan-without-owner', severity: 'warning', summary: 'orphan removal of children that have another owner (m:n targets, optional parents, two private owners)' },
  { code: 'sti-schema', severity: 'error', summary: 'a single-table inheritance subclass that does not repeat its root\'s schema: its queries read the table unqualified' },
];

/** What the ORM does to a child row when em.remove() deletes its parent (loaded children only). */
export type OrmDeleteAction = 'remove' | 'set null' | 'none';

export interface DeleteSides {
  orm: OrmDeleteAction;
  /** The property that decides it (the parent's inverse collection), when there is one. */
  ormProperty: string | null;
  db: ReferentialAction;
  /** A sentence when the ORM and the database disagree, else null. */
  disagreement: string | null;
  kind: 'orm-removes-db-restricts' | 'orm-removes-db-keeps' | 'db-cascades-orm-unaware' | 'set-null-not-null' | null;
}

const removes = (p: PropertyDeclaration | undefined) => !!p && (p.orphanRemoval || p.cascade.includes('remove') || p.cascade.includes('all'));

/** The inverse side of an owning property, on its target entity. */
export function inverseOf(owner: EntityDeclaration, prop: PropertyDeclaration, target: EntityDeclaration | undefined): PropertyDeclaration | undefined {
  if (!target) return undefined;
  if (prop.inversedBy) {
    const found = target.relations.find((r) => r.name === prop.inversedBy);
    if (found) return found;
  }
  return target.relations.find((r) => r.mappedBy === prop.name && r.target === owner.name);
}

/**
 * Who deletes a child when its parent is deleted, by the ORM's declarations (child entity
 * `child`, owning property `prop`) and the FK's ON DELETE rule `db`; `notNull` says whether
 * the FK columns are NOT NULL. Shared by cascade-mismatch and the cascade preview, so both
 * say the same.
 */
export function deleteSides(child: EntityDeclaration, prop: PropertyDeclaration, inverse: PropertyDeclaration | undefined, db: ReferentialAction, notNull: boolean): DeleteSides {
  const orm: OrmDeleteAction = removes(inverse) ? 'remove' : inverse && inverse.kind === '1:m' && prop.nullable ? 'set null' : 'none';
  const sides: DeleteSides = { orm, ormProperty: inverse?.name ?? null, db, disagreement: null, kind: null };
  const dbKeeps = db === 'restrict' || db === 'no action';
  if (db === 'set null' && notNull) {
    sides.kind = 'set-null-not-null';
    sides.disagreement = 'ON DELETE SET NULL on a NOT NULL column: the database cannot null it, so the delete fails';
  } else if (orm === 'remove' && dbKeeps) {
    sides.kind = 'orm-removes-db-restricts';
    sides.disagreement = `the ORM removes these (loaded ones only) but the database ${db === 'restrict' ? 'restricts' : 'refuses (no action)'}: a delete whose children are not loaded fails`;
  } else if (orm === 'remove' && (db === 'set null' || db === 'set default')) {
    sides.kind = 'orm-removes-db-keeps';
    sides.disagreement = `the ORM removes these but the database keeps them (${db})`;
  } else if (orm !== 'remove' && db === 'cascade' && !(child.associationEntity && prop.primary)) {
    sides.kind = 'db-cascades-orm-unaware';
    sides.disagreement = inverse
      ? `the database deletes these but ${prop.target}.${inverse.name} declares no remove cascade: the ORM does not know they go`
      : 'the database deletes these but the ORM declares no inverse side that would say so';
  }
  return sides;
}

/** "a Book", "an Attachment". */
const a = (word: string) => `${/^[aeiou]/i.test(word) ? 'an' : 'a'} ${word}`;

interface Ctx {
  orm: SchemaModel;
  db: SchemaModel | null;
  entities: Map<string, EntityDeclaration>;
  ormTables: Map<string, Table>;
  dbTables: Map<string, Table>;
}

function fkAction(c: Ctx, table: string, columns: string[], to: string | null, declared: string | null): ReferentialAction {
  const match = (t: Table | undefined) => t?.foreignKeys.find((f) => f.columns.length === columns.length && f.columns.every((x, i) => x === columns[i]) && (!to || f.references === to));
  const fk = match(c.dbTables.get(table)) ?? (c.db ? undefined : match(c.ormTables.get(table)));
  if (fk) return fk.onDelete;
  const rule = (declared ?? '').toLowerCase();
  return (['cascade', 'set null', 'set default', 'restrict', 'no action'] as const).find((r) => r === rule) ?? 'no action';
}

/** NOT NULL in the database when it has the table, else in the ORM's schema. */
function columnsNotNull(c: Ctx, table: string, columns: string[]): boolean {
  const t = c.dbTables.get(table) ?? c.ormTables.get(table);
  if (!t) return false;
  return columns.some((name) => t.columns.find((x) => x.name === name)?.nullable === false);
}

/** The entity options an sti-schema fix sets, in the entity's own style. */
function stiSchemaFix(e: EntityDeclaration, root: EntityDeclaration, schema: string): string {
  const q = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  const value = e.discriminatorValue != null ? `, discriminatorValue: ${q(e.discriminatorValue)}` : '';
  if (e.style === 'decorators') {
    return `// on class ${e.name} (other options as they are)\n@Entity({ schema: ${q(schema)}${value} })`;
  }
  const call = e.style === 'EntitySchema' ? 'new EntitySchema' : 'defineEntity';
  const lines = [`name: ${q(e.name)},`, `schema: ${q(schema)}, // as on ${root.name}`];
  if (e.discriminatorValue != null) lines.push(`discriminatorValue: ${q(e.discriminatorValue)},`);
  return `// in ${e.name}'s ${call}({ ... }) options (the others as they are)\n${call}({\n${lines.map((l) => `  ${l}`).join('\n')}\n  // ...\n});`;
}

/**
 * The delete rule MikroORM's discovery writes into the metadata when the project wrote none
 * (7.2.1, MetadataDiscovery): 'cascade' on a foreign key that is the whole primary key of an
 * association entity, 'set null' on a nullable to-one. The metadata cannot tell it from one the
 * project wrote; leaving it out of a snippet changes nothing (the same default applies again).
 */
function defaultDeleteRule(e: EntityDeclaration, p: PropertyDeclaration): string | null {
  if (p.primary && e.associationEntity) return 'cascade';
  if (p.nullable && (p.kind === 'm:1' || p.kind === '1:1')) return 'set null';
  return null;
}

/** The relation as the project wrote it, for a fix snippet: without the rule discovery filled in. */
function asWritten(e: EntityDeclaration, p: PropertyDeclaration): PropertyDeclaration {
  return p.deleteRule && p.deleteRule === defaultDeleteRule(e, p) ? { ...p, deleteRule: null } : p;
}

export function doctor(orm: SchemaModel, db: SchemaModel | null): Finding[] {
  const declarations = orm.entities ?? [];
  if (!declarations.length) return [];
  const c: Ctx = {
    orm,
    db,
    entities: new Map(declarations.map((e) => [e.name, e])),
    ormTables: new Map(orm.tables.map((t) => [t.id, t])),
    dbTables: new Map((db?.tables ?? []).map((t) => [t.id, t])),
  };
  const findings: Finding[] = [];
  const inModel = (e: EntityDeclaration) => !!e.table && c.ormTables.has(e.table);
  // Entities are written as the project's code names them (ArticleSchema for Article, in MikroORM's guide).
  const named = (name: string) => c.entities.get(name)?.identifier ?? name;
  const code = (e: EntityDeclaration, sketch: PropertySketch) =>
    inEntity(e.name, propertyCode(e.style, { ...sketch, target: named(sketch.target), ...(sketch.pivotEntity ? { pivotEntity: named(sketch.pivotEntity) } : {}) }));
  const push = (e: EntityDeclaration, prop: string, f: Omit<Finding, 'table' | 'entity' | 'property'> & { table?: string }) =>
    findings.push({ ...f, table: f.table ?? e.table!, entity: e.name, property: prop });

  // ---- sti-schema: MikroORM (7.2.1) gives an STI subclass its root's tableName but not its
  // schema (MetadataDiscovery.initSingleTableInheritance), and queries use the subclass's own.
  for (const e of declarations) {
    if (!e.stiRoot || !inModel(e)) continue;
    const root = c.entities.get(e.stiRoot);
    if (!root?.schema || (e.schema ?? null) === root.schema) continue;
    const tableName = e.table!.slice(root.schema.length + 1);
    const queried = e.schema ? `${e.schema}.${tableName}` : `an unqualified "${tableName}"`;
    findings.push({
      severity: 'error', code: 'sti-schema', table: e.table!, entity: e.name,
      message: `${e.name} shares ${root.name}'s table ${e.table} (single-table inheritance) but does not declare its schema '${root.schema}': every query for ${e.name} reads ${queried}${e.schema ? '' : ` and fails with relation "${tableName}" does not exist (unless the search_path happens to include ${root.schema})`}.`,
      why: `MikroORM 7.2.1 copies only the root's tableName to an STI subclass (MetadataDiscovery.initSingleTableInheritance), not its schema, while em.find, populate and every join to ${e.name} build their SQL from ${e.name}'s own metadata. The schema generator, migrations and foreign keys use the root's ${e.table}, so the tables, migrations and drift all look right and nothing fails until the first query for ${e.name}, or it works only on connections whose search_path happens to include ${root.schema}. Repeat the root's schema on each subclass.`,
      fix: stiSchemaFix(e, root, root.schema),
    });
  }

  for (const e of declarations) {
    if (!inModel(e)) continue;
    for (const p of e.relations) {
      const target = c.entities.get(p.target);
      const where = `${e.name}.${p.name}`;
      // Snippets of this relation start from it as written; each fix adds only its own change.
      const written = asWritten(e, p);

      // ---- missing-inverse
      // An association entity's many-to-one toward the owner of an m:n that goes through it is
      // navigated by that m:n; a collection of the association entity there would be a second
      // writer of the pivot (pivot-two-writers), so none is asked for. (Toward the m:n's inverse
      // side, which writes nothing, the collection is still worth suggesting.)
      const throughPivot = !!target && target.relations.some((r) => r.kind === 'm:n' && r.owner && r.pivotEntity === e.name);
      if (p.owner && target && !throughPivot && !inverseOf(e, p, target)) {
        const taken = target.relations.map((r) => r.name);
        const name = p.kind === 'm:1' || p.kind === 'm:n' ? collectionName(e.name, taken) : referenceName(e.name, taken);
        const inverse: PropertySketch = p.kind === 'm:1'
          ? { name, kind: '1:m', target: e.name, mappedBy: p.name }
          : { name, kind: p.kind, target: e.name, mappedBy: p.name, nullable: p.kind === '1:1' };
        const ownerFix = p.kind === 'm:n' || p.kind === '1:1' ? `\n${code(e, { ...written, inversedBy: name, cascade: p.cascade })}` : '';
        push(e, p.name, {
          severity: 'info',
          code: 'missing-inverse',
          ...(p.columns.length === 1 && p.kind !== 'm:n' ? { column: p.columns[0] } : {}),
          message: `${where} has no inverse side: ${p.target} declares no property for it, so ${p.target} cannot navigate, populate or cascade to its ${e.name} rows (one-sided can be intended).`,
          why: `Every other check on cascades reads the inverse side: it is where Cascade.REMOVE and orphanRemoval live, and where populate and em.find with a relation filter start. Without it, deleting ${a(p.target)} leaves the ORM no way to say what happens to its ${e.name} rows (only the database's ON DELETE decides), and queries from ${p.target} must go through ${e.name} by hand. This is SQLAlchemy's missing back_populates; it is info because a one-way relation is sometimes what you want.`,
          fix: `${code(target, inverse)}${ownerFix}`,
        });
      }

      // ---- cascade-mismatch, nullable-required (owning FK side)
      if (p.owner && p.kind !== 'm:n' && p.columns.length && target?.table) {
        const inverse = inverseOf(e, p, target);
        const action = fkAction(c, e.table!, p.columns, target.table, p.deleteRule);
        const notNull = columnsNotNull(c, e.table!, p.columns);
        const sides = deleteSides(e, p, inverse, action, notNull);
        const column = p.columns.length === 1 ? { column: p.columns[0] } : {};
        if (sides.kind === 'set-null-not-null') {
          push(e, p.name, {
            severity: 'error', code: 'cascade-mismatch', ...column,
            message: `${where}: ON DELETE SET NULL on NOT NULL ${p.columns.join(', ')}: deleting ${a(p.target)} that has ${e.name} rows fails with a not-null violation.`,
            why: 'SET NULL can only null a column that accepts NULL. Postgres runs the action inside the parent\'s DELETE, hits the NOT NULL constraint and aborts the whole statement, so no referenced row can ever be deleted while it has children. Decide which one is meant: children that outlive their parent (a nullable FK) or children that go with it (CASCADE).',
            fix: `${code(e, { ...p, nullable: true, deleteRule: 'set null' })}\n// or, when ${e.name} rows go with their ${p.target}:\n${code(e, { ...p, deleteRule: 'cascade' })}`,
          });
        } else if (sides.kind === 'orm-removes-db-restricts' || sides.kind === 'orm-removes-db-keeps') {
          push(e, p.name, {
            severity: 'warning', code: 'cascade-mismatch', ...column,
            message: `${p.target}.${inverse!.name} removes ${e.name} rows with its parent (${inverse!.orphanRemoval ? 'orphanRemoval' : 'Cascade.REMOVE'}) but the database's FK ${e.table}(${p.columns.join(', ')}) is ON DELETE ${action.toUpperCase()}: ${sides.kind === 'orm-removes-db-restricts' ? 'a delete the ORM has not loaded the children for fails' : 'deleted outside the ORM, the children stay with NULL'}.`,
            why: `MikroORM cascades a remove only through what is loaded: UnitOfWork.cascade walks collection.getItems(false), so em.remove(${p.target.toLowerCase()}) without populating ${inverse!.name} deletes the ${p.target} alone${sides.kind === 'orm-removes-db-restricts' ? ', and the database refuses it while children exist; em.nativeDelete, a query builder delete or plain SQL refuse as well' : ', and the database nulls the children the ORM meant to delete; em.nativeDelete and plain SQL do the same'}. Since MikroORM 7 FK rules are no longer inferred from cascade options, so the two must be declared to agree.`,
            fix: code(e, { ...p, deleteRule: 'cascade' }),
          });
        } else if (sides.kind === 'db-cascades-orm-unaware') {
          const fixInverse = inverse
            ? code(target, { ...inverse, cascade: [...new Set([...inverse.cascade, 'persist', 'remove'])].filter((x) => x !== 'all').sort() })
            : code(target, { name: collectionName(e.name, target.relations.map((r) => r.name)), kind: p.kind === '1:1' ? '1:1' : '1:m', target: e.name, mappedBy: p.name, cascade: ['persist', 'remove'], nullable: p.kind === '1:1' });
          push(e, p.name, {
            severity: 'warning', code: 'cascade-mismatch', ...column,
            message: inverse
              ? `${p.target}.${inverse.name} cascades only ${inverse.cascade.join(', ') || 'nothing'} in the ORM while the database deletes ${e.name} rows with their ${p.target} (ON DELETE CASCADE on ${e.table}(${p.columns.join(', ')})): who deletes them is never said.`
              : `The database deletes ${e.name} rows with their ${p.target} (ON DELETE CASCADE on ${e.table}(${p.columns.join(', ')})) but ${p.target} declares no inverse side, so the ORM cannot know.`,
            why: `Deleting ${a(p.target)} through the ORM removes only the ${p.target}; Postgres then deletes its ${e.name} rows behind the ORM's back. Loaded ${e.name} entities stay managed in the identity map${inverse ? ` and in ${inverse.name}` : ''} after their rows are gone (a later flush of one of them updates nothing or fails), and a reader of the entities sees no cascade at all. SQLAlchemy calls the database-side choice passive_deletes and asks for it to be said; here say it with Cascade.REMOVE (the ORM removes loaded children, the database the rest), or keep the children with ON DELETE RESTRICT / SET NULL.`,
            fix: `${fixInverse}\n// or, when ${e.name} rows must outlive their ${p.target}:\n${code(e, { ...p, deleteRule: p.nullable ? 'set null' : 'restrict' })}`,
          });
        }

        // nullable-required: the ORM's view against the database's column (needs the database)
        const dbTable = c.dbTables.get(e.table!);
        const dbCols = p.columns.map((n) => dbTable?.columns.find((x) => x.name === n)).filter((x) => !!x);
        if (dbTable && dbCols.length === p.columns.length && !p.primary) {
          const dbNullable = dbCols.some((x) => x!.nullable);
          if (dbNullable !== p.nullable) {
            push(e, p.name, {
              severity: 'warning', code: 'nullable-required', ...column,
              message: p.nullable
                ? `${where} is optional in the ORM (nullable) but ${e.table}(${p.columns.join(', ')}) is NOT NULL in the database: persisting ${a(e.name)} without ${a(p.target)} fails.`
                : `${where} is required in the ORM but ${e.table}(${p.columns.join(', ')}) accepts NULL in the database: rows without ${a(p.target)} load as null where the type promises one.`,
              why: p.nullable
                ? `The ORM lets code create and flush ${a(e.name)} with ${p.name} unset and types it as optional, but the database rejects the INSERT with a not-null violation at flush time, far from the code that forgot it. Either the relation is required (drop .nullable()) or the column should accept NULL (a migration).`
                : `The entity type says every ${e.name} has ${a(p.target)}, but the database accepts rows without one (written by SQL, another service, an old migration). Such a row hydrates with ${p.name} null and fails where code trusts the type; joined and select-in loading also differ in how they handle it. Add NOT NULL in a migration, or declare the relation nullable.`,
              fix: p.nullable
                ? `${code(e, { ...p, nullable: false, deleteRule: p.deleteRule === 'set null' ? 'cascade' : p.deleteRule })}\n// or keep it optional and let the column accept NULL:\n// ALTER TABLE ${e.table} ALTER COLUMN ${p.columns.join(', ')} DROP NOT NULL;`
                : `${code(e, { ...written, nullable: true })}\n// or keep it required and enforce it (after fixing NULL rows):\n// ALTER TABLE ${e.table} ALTER COLUMN ${p.columns.join(', ')} SET NOT NULL;`,
            });
          }
        }
      }

      // ---- cascade-remove-shared
      if (p.owner && (p.kind === 'm:1' || p.kind === 'm:n') && (p.cascade.includes('remove') || p.cascade.includes('all'))) {
        push(e, p.name, {
          severity: 'warning', code: 'cascade-remove-shared',
          ...(p.kind === 'm:1' && p.columns.length === 1 ? { column: p.columns[0] } : {}),
          message: `${where} cascades remove toward ${p.target}, which other ${e.name} rows share: removing one ${e.name} deletes its ${p.target}${p.kind === 'm:n' ? 's' : ''} for every other row too.`,
          why: `Cascade.REMOVE${p.cascade.includes('all') ? ' (part of Cascade.ALL)' : ''} follows the property from the row being removed: on ${p.kind === 'm:1' ? 'a many-to-one' : 'a many-to-many'} that is the ${p.target} many ${e.name} rows point to. em.remove() on one ${e.name} then deletes the ${p.target}, and with it (database cascade) or against it (restrict) all of its other ${e.name} rows. Remove cascades belong on the parent's collection, pointing at children.`,
          fix: code(e, { ...written, cascade: p.cascade.filter((x) => x !== 'remove' && x !== 'all').concat(p.cascade.includes('all') ? ['persist'] : []) }),
        });
      }

      // ---- eager-to-many
      if (p.eager && (p.kind === '1:m' || p.kind === 'm:n')) {
        push(e, p.name, {
          severity: 'warning', code: 'eager-to-many',
          message: `${where} is eager: every query that loads ${e.name} also loads all of its ${p.target} rows, wanted or not.`,
          why: `An eager collection is populated on every find, findOne and populate of ${e.name}, in lists too: one more query per level (select-in) or rows multiplied by the collection size (joined), plus hydrating entities the caller never reads. The seeds' advice holds in MikroORM: load lists where they are needed (populate: ['${p.name}']), eager only for small to-one data.`,
          fix: `${code(e, { ...written, eager: false })}\n// and where the collection is needed: em.find(${named(e.name)}, where, { populate: ['${p.name}'] })`,
        });
      }

      // ---- orphan-without-owner
      if (p.orphanRemoval && target) {
        let reason: string | null = null;
        if (p.kind === 'm:n') reason = `${p.target} rows are shared by design in a many-to-many: removing one from ${where} deletes the ${p.target} itself, for every other owner too`;
        else if (!p.owner) {
          const owning = target.relations.find((r) => r.owner && r.name === p.mappedBy);
          const other = target.relations.filter((r) => r.owner && r !== owning && r.target !== p.target && r.target !== target.name)
            .map((r) => ({ r, inv: inverseOf(target, r, c.entities.get(r.target)) }))
            .find(({ inv }) => inv?.orphanRemoval && e.name !== target.name);
          if (owning && owning.nullable && p.target !== e.name) reason = `${target.name}.${owning.name} is nullable, so ${a(p.target)} is declared able to exist without ${a(e.name)}, yet removing it from ${p.name} deletes it`;
          else if (other) reason = `${other.r.target}.${other.inv!.name} also removes ${p.target} rows as orphans: ${a(p.target)} taken out of either owner is deleted from both`;
        }
        if (reason) {
          push(e, p.name, {
            severity: 'warning', code: 'orphan-without-owner',
            message: `${where} has orphanRemoval, but ${reason}.`,
            why: `orphanRemoval means "privately owned": the ORM deletes the child as soon as it leaves this collection (or this reference is replaced), without looking at who else holds it. That is right for children that exist only under one parent; for a child another owner still reaches, it deletes data from under that owner.`,
            fix: code(e, { ...written, orphanRemoval: false }),
          });
        }
      }
    }

    // ---- pivot-two-writers: an m:n through an association entity plus a collection of that entity
    for (const m of e.relations.filter((r) => r.kind === 'm:n' && r.pivotEntity && r.persist)) {
      const direct = e.relations.find((r) => r.kind === '1:m' && r.target === m.pivotEntity && r.persist);
      if (!direct) continue;
      const pivot = c.entities.get(m.pivotEntity!);
      push(e, m.name, {
        severity: 'warning', code: 'pivot-two-writers', table: m.pivotTable ?? pivot?.table ?? e.table!,
        message: `${m.pivotTable ?? m.pivotEntity} is written by two relations of ${e.name}: ${m.name} (m:n through ${m.pivotEntity}) and ${direct.name} (1:m of ${m.pivotEntity}).`,
        why: `Both collections insert and delete rows of the same table, and neither knows about the other: adding a ${m.target} to ${m.name} does not show in ${direct.name} (and the reverse) until a reload, and changing the same link through both in one unit of work inserts it twice (duplicate key) or deletes a row the other still holds. SQLAlchemy warns about these overlapping relationships; write the links through one of them.`,
        fix: `// in ${e.name}: write links through the association entity only (it carries its own columns)\n${propertyCode(e.style, direct)}\n// and drop ${m.name}; read its ${m.target} rows with populate: ['${direct.name}.${pivot?.relations.find((r) => r.owner && r.target === m.target)?.name ?? m.target.toLowerCase()}']`,
      });
    }
  }

  // ---- pivot-two-writers: two owning m:n on one pivot table; two relations on the same FK columns
  const byPivot = new Map<string, { e: EntityDeclaration; p: PropertyDeclaration }[]>();
  for (const e of declarations) for (const p of e.relations) if (p.kind === 'm:n' && p.owner && p.pivotTable && p.persist && inModel(e)) {
    byPivot.set(p.pivotTable, [...(byPivot.get(p.pivotTable) ?? []), { e, p }]);
  }
  for (const [pivot, owners] of byPivot) {
    if (owners.length < 2) continue;
    const [a, b] = owners as [{ e: EntityDeclaration; p: PropertyDeclaration }, { e: EntityDeclaration; p: PropertyDeclaration }];
    findings.push({
      severity: 'warning', code: 'pivot-two-writers', table: pivot, entity: b.e.name, property: b.p.name,
      message: `${pivot} is written by two owning many-to-many relations: ${a.e.name}.${a.p.name} and ${b.e.name}.${b.p.name}.`,
      why: 'Each owning m:n side inserts and deletes pivot rows on its own: a link added through one is inserted again through the other, and removing it on one side does not remove it from the other\'s collection. One side must own the pivot, the other be its inverse (mappedBy).',
      fix: inEntity(b.e.name, propertyCode(b.e.style, { name: b.p.name, kind: 'm:n', target: b.p.target, mappedBy: a.p.name })),
    });
  }
  for (const e of declarations) {
    if (!inModel(e)) continue;
    const owning = e.relations.filter((r) => r.owner && r.kind !== 'm:n' && r.persist && r.columns.length);
    for (let i = 0; i < owning.length; i++) for (let j = i + 1; j < owning.length; j++) {
      const a = owning[i]!, b = owning[j]!;
      if (!a.columns.some((x) => b.columns.includes(x))) continue;
      findings.push({
        severity: 'warning', code: 'pivot-two-writers', table: e.table!, entity: e.name, property: b.name, column: a.columns.find((x) => b.columns.includes(x))!,
        message: `${e.name}.${a.name} and ${e.name}.${b.name} both write ${e.table}(${a.columns.filter((x) => b.columns.includes(x)).join(', ')}).`,
        why: 'Two writable properties on one column race at flush: whichever the ORM processes last wins, and setting one does not update the other in memory. Keep one writable and map the other with persist: false.',
        fix: `// in ${e.name}: keep ${a.name} writable; ${b.name} reads the same column\n${propertyCode(e.style, { ...b, persist: false })}`,
      });
    }
  }

  // ---- two-owners: A owns a 1:1 / m:n to B and B owns one to A, neither the other's inverse
  for (const e of declarations) {
    if (!inModel(e)) continue;
    for (const p of e.relations) {
      if (!p.owner || (p.kind !== '1:1' && p.kind !== 'm:n') || p.inversedBy) continue;
      const target = c.entities.get(p.target);
      if (!target || target.name <= e.name) continue; // each pair once
      if (inverseOf(e, p, target)) continue;
      const back = target.relations.find((r) => r.owner && r.kind === p.kind && r.target === e.name && !r.inversedBy && !inverseOf(target, r, e));
      if (!back) continue;
      findings.push({
        severity: 'warning', code: 'two-owners', table: target.table ?? e.table!, entity: target.name, property: back.name,
        message: `${e.name}.${p.name} and ${target.name}.${back.name} both own a ${p.kind} between ${e.name} and ${p.target}: ${p.kind === '1:1' ? 'two FK columns' : `two pivot tables (${p.pivotTable}, ${back.pivotTable})`} that can disagree.`,
        why: p.kind === '1:1'
          ? `A one-to-one needs one FK. With one on each table, "${a(e.name)}'s ${p.target}" and "${a(p.target)}'s ${e.name}" are stored twice, set separately, and drift apart (A points to B, B to C). Make one side the owner and the other its inverse (mappedBy).`
          : `Each owning m:n writes its own pivot table, so a link added on one side is invisible from the other. Make one side the owner and the other its inverse (mappedBy).`,
        fix: `${inEntity(target.name, propertyCode(target.style, { name: back.name, kind: p.kind, target: e.name, mappedBy: p.name, nullable: p.kind === '1:1' }))}\n${inEntity(e.name, propertyCode(e.style, { ...p, inversedBy: back.name }))}`,
      });
    }
  }
  return findings;
}
