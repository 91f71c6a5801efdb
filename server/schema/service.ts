/**
 * The schema service: what the schema routes (server/routes/schema.ts, health.ts) and the
 * export, check and lint commands share, so that they read, filter and compare models the same
 * way (as server/lab/request.ts is for the lab):
 * - `parseDiagramRequest`: one validation of source, schemas, focus, depth and collapsePivots,
 *   with messages naming the API parameter or the CLI flag;
 * - `diagramFor`: the model and the diagram for a request (the focus resolved once);
 * - `driftAndLint`: both models filtered to the same schemas, their drift and the advice;
 * - `tableRows`: rows per table for /api/health, from the cached database model.
 * The models themselves come from server/schema/load.ts, cached on the context.
 */
import type { AppContext } from '../context.ts';
import { UserError } from '../errors.ts';
import { drift, type Finding } from './drift.ts';
import { lint, type LintResult } from './lint.ts';
import { quoteTable } from './sql.ts';
import { dbModel, loadModel, ormModel, parseSchemaList, type ModelContext } from './load.ts';
import { filterSchemas, type SchemaModel, type SchemaSource } from '../../common/schema-model.ts';
import { planDiagram, type Diagram, type EdgeLabels } from '../render/mermaid.ts';
import { parseLayout } from '../render/layout.ts';
import { withOrmNames } from './orm-names.ts';
import type { DiagramLayout } from '../../common/mermaid-config.ts';

/** A validated diagram or export request. */
export interface DiagramRequest {
  source: SchemaSource;
  /** Only these schemas; null means all but the system ones. */
  schemas: string[] | null;
  /** A table reference as given (id, name or entity), resolved against the model later. */
  focus: string | null;
  depth: number;
  collapsePivots: boolean;
  /** Association entities of m:n relations drawn as one m:n edge too. */
  collapseAssociations: boolean;
  /** 'orm': property names on edges (the default for source orm); 'columns': FK columns. */
  edgeLabels: EdgeLabels;
  /** svg/png only: the layout asked for; null lets the size decide (chooseLayout). */
  layout: DiagramLayout | null;
}

/** The request as it arrives: query parameters or CLI flags, all strings. */
export interface DiagramRequestInput {
  source?: string;
  schema?: string;
  focus?: string;
  depth?: string;
  collapsePivots?: string | boolean;
  collapseAssociations?: string | boolean;
  edgeLabels?: string;
  layout?: string;
}

export const depthRange = { min: 0, max: 20, default: 1 } as const;

/** How fields are named in messages: `Parameter "depth"` for the API, `--depth` for the CLI. */
export interface FieldNames {
  cli: boolean;
  name(field: keyof DiagramRequestInput): string;
}

export const apiFields: FieldNames = { cli: false, name: (field) => `Parameter "${field}"` };
const cliNames: Partial<Record<keyof DiagramRequestInput, string>> = { collapsePivots: 'collapse-pivots', collapseAssociations: 'collapse-associations', edgeLabels: 'edge-labels' };
export const cliFields: FieldNames = { cli: true, name: (field) => `--${cliNames[field] ?? field}` };

export function parseSource(raw: string | undefined, names: FieldNames, fallback: SchemaSource = 'db'): SchemaSource {
  if (raw === undefined || (!names.cli && raw === '')) return fallback;
  if (raw === 'orm' || raw === 'db') return raw;
  throw new UserError(`${names.name('source')} must be orm or db, got "${raw}".`);
}

export function parseDepth(raw: string | undefined, names: FieldNames): number {
  if (raw === undefined || (!names.cli && raw === '')) return depthRange.default;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isInteger(n) || n < depthRange.min || n > depthRange.max) {
    throw new UserError(`${names.name('depth')} must be an integer from ${depthRange.min} to ${depthRange.max}, got "${raw}".`);
  }
  return n;
}

function parseBoolean(raw: string | boolean | undefined, field: keyof DiagramRequestInput, names: FieldNames): boolean {
  if (typeof raw === 'boolean') return raw;
  if (raw === undefined || raw === '' || raw === '0' || raw === 'false') return false;
  if (raw === '1' || raw === 'true') return true;
  throw new UserError(`${names.name(field)} must be 1 or 0 (true or false), got "${raw}".`);
}

export function parseDiagramRequest(input: DiagramRequestInput, names: FieldNames): DiagramRequest {
  const source = parseSource(input.source, names);
  let focus: string | null = null;
  if (input.focus !== undefined) {
    focus = input.focus.trim() || null;
    if (!focus && names.cli) throw new UserError(`${names.name('focus')} needs a table name.`);
  }
  if (names.cli && input.depth !== undefined && !focus) throw new UserError(`${names.name('depth')} needs ${names.name('focus')} TABLE.`);
  return {
    source,
    schemas: parseSchemaList(input.schema),
    focus,
    depth: parseDepth(input.depth, names),
    collapsePivots: parseBoolean(input.collapsePivots, 'collapsePivots', names),
    collapseAssociations: parseBoolean(input.collapseAssociations, 'collapseAssociations', names),
    edgeLabels: parseEdgeLabels(input.edgeLabels, source, names),
    layout: parseLayout(!names.cli && input.layout === '' ? undefined : input.layout, names.name('layout')),
  };
}

/** orm or columns; the default follows the source (the ORM's words for the ORM's model). */
function parseEdgeLabels(raw: string | undefined, source: SchemaSource, names: FieldNames): EdgeLabels {
  if (raw === undefined || (!names.cli && raw === '')) return source === 'orm' ? 'orm' : 'columns';
  if (raw === 'orm' || raw === 'columns') return raw;
  throw new UserError(`${names.name('edgeLabels')} must be orm or columns, got "${raw}".`);
}

/** The model a request reads and the one diagram for it; `focus` is the table id it resolved to. */
export async function diagramFor(ctx: ModelContext, request: DiagramRequest, names: FieldNames): Promise<{ model: SchemaModel; diagram: Diagram; focus: string | null }> {
  let model = await loadModel(ctx, request.source, request.schemas);
  // The database's tables in the ORM's words, where the ORM maps them.
  if (request.source === 'db' && request.edgeLabels === 'orm') model = withOrmNames(model, filterSchemas(await ormModel(ctx), request.schemas));
  const diagram = planDiagram(model, {
    focus: request.focus, depth: request.depth, collapsePivots: request.collapsePivots, collapseAssociations: request.collapseAssociations,
    edgeLabels: request.edgeLabels, focusLabel: names.name('focus'),
  });
  return { model, diagram, focus: diagram.focusTable ?? null };
}

export interface DriftAndLint {
  /** Both models cover the same schemas: an ORM table in another schema is not "missing". */
  orm: SchemaModel;
  db: SchemaModel;
  drift: Finding[];
  /** Drift plus advice on `source`'s model, without duplicates. */
  lint(source: SchemaSource): LintResult;
}

/** The ORM's and the database's models for the same schemas, and what differs between them. */
export async function driftAndLint(ctx: ModelContext, schemas: string[] | null): Promise<DriftAndLint> {
  const [orm, db] = await Promise.all([ormModel(ctx).then((m) => filterSchemas(m, schemas)), dbModel(ctx, schemas)]);
  return { orm, db, drift: drift(orm, db), lint: (source) => lint(orm, db, source) };
}

/** Rows are counted exactly for up to this many tables; a larger database gets planner estimates. */
const exactCountLimit = 60;

export interface TableRows {
  serverVersion: string;
  rowsAre: 'exact' | 'estimated';
  /** Rows per table id ("public.users"), in id order. */
  tables: Record<string, number>;
}

/** Rows per table of the database (its tables and partitioned tables), for /api/health. */
export async function tableRows(ctx: ModelContext & Pick<AppContext, 'withClient'>): Promise<TableRows> {
  const model = await dbModel(ctx);
  const tables = model.tables.filter((t) => t.kind === 'table' || t.kind === 'partitioned table').sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return ctx.withClient(async (client) => {
    const serverVersion = (await client.query<{ server_version: string }>('show server_version')).rows[0]!.server_version;
    if (tables.length <= exactCountLimit) {
      const counts = tables.length
        ? (await client.query<{ i: number; n: string }>(tables.map((t, i) => `select ${i} as i, count(*)::bigint as n from ${quoteTable(t)}`).join(' union all '))).rows
        : [];
      const byIndex = new Map(counts.map((r) => [r.i, Number(r.n)]));
      return { serverVersion, rowsAre: 'exact', tables: Object.fromEntries(tables.map((t, i) => [t.id, byIndex.get(i) ?? 0])) };
    }
    // reltuples is -1 for a table never analysed: shown as 0.
    const { rows } = await client.query<{ schema: string; name: string; n: string }>(
      `select n.nspname as schema, c.relname as name, greatest(c.reltuples, 0)::bigint as n
         from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
        where c.relkind in ('r', 'p') and n.nspname = any ($1::text[])`,
      [[...new Set(tables.map((t) => t.schema))]],
    );
    const estimate = new Map(rows.map((r) => [`${r.schema}\u0000${r.name}`, Number(r.n)]));
    return { serverVersion, rowsAre: 'estimated', tables: Object.fromEntries(tables.map((t) => [t.id, estimate.get(`${t.schema}\u0000${t.name}`) ?? 0])) };
  });
}

/** Whether the database holds any of the ORM model's tables (what drift's 'auto' asks). */
export function databaseHoldsOrmTables(orm: SchemaModel, db: SchemaModel): boolean {
  const dbIds = new Set(db.tables.map((t) => t.id));
  return orm.tables.some((t) => dbIds.has(t.id));
}

/**
 * Drift notes for a Markdown export of `schemas`: `true` or `false` as decided by a flag (or
 * recorded in a file `check` remakes); `'auto'` turns them on when the database holds any of
 * the ORM's tables in those schemas.
 */

export async function exportDrift(ctx: ModelContext, format: string, schemas: string[] | null, wanted: boolean | 'auto'): Promise<{ enabled: boolean; findings: Finding[] | null }> {
  if (format !== 'markdown' || wanted === false) return { enabled: false, findings: null };
  const { orm, db, drift: findings } = await driftAndLint(ctx, schemas);
  if (wanted === 'auto' && !databaseHoldsOrmTables(orm, db)) return { enabled: false, findings: null };
  return { enabled: true, findings };
}
