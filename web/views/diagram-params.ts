/**
 * The Schema view's URL parameters, read and checked: every value the page does not
 * understand becomes a readable problem with a suggestion (shown above the diagram), never
 * a silent fallback. Also the state the view's modules share (DiagramContext).
 */
import type { Finding, SchemaModel, SchemaSource } from '../api.ts';
import { nearest, type UrlProblem } from './url-problems.ts';

export type { UrlProblem };

export interface Params {
  source: SchemaSource;
  focus: string | null;
  depth: number;
  table: string | null;
  tab: 'table' | 'drift' | 'lint';
  /** '1': draw the whole schema even when it is large. */
  full: boolean;
  /** Draw only this database schema (a large database's per-schema overview). */
  schema: string | null;
}

export const maxDepth = 4;
const known = ['source', 'focus', 'depth', 'table', 'tab', 'full', 'schema'];

/**
 * `defaultSource`: the source shown when the URL names none: the ORM model, except for
 * relscope's demo model on a database without its tables (no MikroORM config of the user's),
 * where the database is the only schema of theirs (see defaultSourceFor).
 */
export function readParams(p: URLSearchParams, defaultSource: SchemaSource = 'orm'): { params: Params; problems: UrlProblem[] } {
  const problems: UrlProblem[] = [];
  const rawSource = p.get('source');
  if (rawSource !== null && rawSource !== 'orm' && rawSource !== 'db') {
    problems.push({ param: 'source', message: `source=${rawSource} is not a schema source: use source=orm (the MikroORM entities) or source=db (the database catalogs). Showing the ${defaultSource === 'orm' ? 'ORM model' : 'database'}.`, fix: { source: null } });
  }
  const rawDepth = p.get('depth');
  const depth = Number(rawDepth);
  const depthOk = rawDepth === null || (Number.isInteger(depth) && depth >= 1 && depth <= maxDepth);
  if (!depthOk) problems.push({ param: 'depth', message: `depth=${rawDepth} is not a number of hops from 1 to ${maxDepth}. Showing 1 hop.`, fix: { depth: null } });
  if (rawDepth !== null && depthOk && !p.get('focus')) problems.push({ param: 'depth', message: `depth=${rawDepth} needs focus=TABLE: it counts hops around the focused table.`, fix: { depth: null } });
  const tab = p.get('tab');
  if (tab !== null && tab !== 'drift' && tab !== 'lint' && tab !== 'table') {
    problems.push({ param: 'tab', message: `tab=${tab} is not a panel: use tab=drift or tab=lint (or leave it out for the tables).`, fix: { tab: null } });
  }
  const full = p.get('full');
  if (full !== null && full !== '1') problems.push({ param: 'full', message: `full=${full} is not understood: use full=1 to draw the whole schema.`, fix: { full: null } });
  for (const key of new Set(p.keys())) {
    if (!known.includes(key)) problems.push({ param: key, message: `${key} is not a parameter of the Schema view (it reads ${known.join(', ')}).`, fix: { [key]: null } });
  }
  return {
    params: {
      source: rawSource === 'db' || rawSource === 'orm' ? rawSource : defaultSource,
      focus: p.get('focus') || null,
      depth: depthOk && rawDepth !== null ? depth : 1,
      table: p.get('table') || null,
      tab: tab === 'drift' || tab === 'lint' ? tab : 'table',
      full: full === '1',
      schema: p.get('schema') || null,
    },
    problems,
  };
}

/** Problems only the model can tell: a table or schema the source does not have. */
export function modelProblems(params: Params, model: SchemaModel): UrlProblem[] {
  const problems: UrlProblem[] = [];
  const where = params.source === 'orm' ? 'the ORM model' : 'the database';
  if (params.schema && !model.tables.some((t) => t.schema === params.schema)) {
    const schemas = [...new Set(model.tables.map((t) => t.schema))].sort();
    problems.push({ param: 'schema', message: `schema=${params.schema}: ${where} has no tables in a schema of that name (it has ${schemas.join(', ') || 'none'}).`, fix: { schema: null } });
  }
  if (params.table && !model.tables.some((t) => t.id === params.table)) {
    const near = nearest(params.table, model.tables.map((t) => t.id));
    problems.push({ param: 'table', message: `table=${params.table}: ${where} has no such table.${near.length ? ` Did you mean ${near.join(', ')}?` : ''}`, fix: { table: null } });
  }
  return problems;
}

export const diagramKey = (p: Params) => `${p.source}|${p.focus ?? ''}|${p.focus ? p.depth : ''}|${p.full}|${p.focus ? '' : (p.schema ?? '')}`;

export const severityOrder: Record<string, number> = { error: 0, warning: 1, info: 2 };
export const bySeverity = (a: Finding, b: Finding) => (severityOrder[a.severity] ?? 3) - (severityOrder[b.severity] ?? 3) || String(a.table).localeCompare(String(b.table));

export function shortName(id: string): string {
  return id.startsWith('public.') ? id.slice(7) : id;
}

/** What drift compares, as the server tells it (GET /health `orm`). */
export interface DriftBasis {
  /** 'project': the user's MikroORM config; 'demo': relscope's built-in demo model. */
  model: 'project' | 'demo';
  /** False when the database does not hold the demo model's tables: drift would list them all. */
  databaseHasModel: boolean;
}

/** The source the Schema view opens on when the URL names none. */
export function defaultSourceFor(basis: DriftBasis | null): SchemaSource {
  return basis && basis.model === 'demo' && !basis.databaseHasModel ? 'db' : 'orm';
}

/** What the panel, map, search and export modules read from the view and ask it to do. */
export interface DiagramContext {
  params(): Params;
  schema(): SchemaModel | null;
  schemaFor(source: SchemaSource): Promise<SchemaModel>;
  lint(): Finding[];
  /** Whether lint() holds the current source's findings yet. */
  lintLoaded(): boolean;
  /** null while loading; [] when off. */
  drift(): Finding[] | null;
  driftError(): string | null;
  /** Drift is not computed (no ORM config on an unrelated database) until the user asks. */
  driftOff(): boolean;
  driftBasis(): DriftBasis | null;
  /** The user's one-click choice: compare with the (demo) model, or not. */
  setDrift(on: boolean): void;
  /** True when the table is in the drawn picture. */
  isDrawn(table: string): boolean;
  hasPicture(): boolean;
  jumpTo(table: string): void;
  selectTable(table: string | null): void;
  /** Opens the panel on the list of tables. */
  showTableList(): void;
}
