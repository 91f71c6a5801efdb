/**
 * Schema API (mounted under /api):
 *
 *   GET /schema?source=orm|db[&schema=a,b]
 *       -> SchemaModel (server/schema/model.ts)
 *   GET /diagram?source=orm|db&format=mermaid|text|svg[&focus=TABLE&depth=N&collapsePivots=1&collapseAssociations=1&edgeLabels=orm|columns&schema=a,b]
 *       edgeLabels: orm (default for source=orm) labels edges with the ORM's property names and
 *       draws STI / TPT / embeddables; columns (default for source=db) with the FK columns
 *       format=mermaid (default) -> DiagramResponse (JSON, below)
 *       format=text -> the Mermaid text as text/plain
 *       format=svg  -> image/svg+xml rendered by Mermaid in headless Chromium (503 without Chromium)
 *   GET /drift[?schema=a,b]
 *       -> { findings: Finding[], counts: { error, warning, info }, orm: { origin }, db: { origin } }
 *   GET /lint?source=orm|db[&schema=a,b]
 *       -> { source, findings: Finding[], counts: { error, warning, info } }
 *
 * Finding = { severity: 'error'|'warning'|'info', code, table, column?, message }.
 * A bad parameter answers 400 { error } naming it; a database that is down answers 503 with
 * the reason (the server keeps running; the next request reads the catalogs afresh).
 */
import { Hono, type Context } from 'hono';
import type { AppContext } from '../context.ts';
import { UserError } from '../errors.ts';
import { drift, type Finding } from '../schema/drift.ts';
import { countFindings, lint } from '../schema/lint.ts';
import { filterSchemas, loadModel, ormModel, parseSchemaList } from '../schema/load.ts';
import type { SchemaSource } from '../../common/schema-model.ts';
import { planDiagram, resolveTable, type Diagram, type EdgeLabels } from '../render/mermaid.ts';
import { withOrmNames } from '../schema/orm-names.ts';
import { chooseLayout, diagramLimits, type DiagramLayout } from '../../common/mermaid-config.ts';
import { parseLayout } from '../render/layout.ts';
import { renderImage } from '../render/image.ts';

export interface DiagramResponse extends Diagram {
  source: SchemaSource;
  /** The table id `focus` resolved to, or null for the whole schema. */
  focus: string | null;
  depth: number;
  collapsePivots: boolean;
  collapseAssociations: boolean;
  edgeLabels: EdgeLabels;
  limits: typeof diagramLimits;
  /** Mermaid layout to draw it with: the `layout` parameter, else chosen by size (chooseLayout). */
  layout: DiagramLayout;
}

const known = {
  schema: ['source', 'schema'],
  diagram: ['source', 'format', 'focus', 'depth', 'collapsePivots', 'collapseAssociations', 'edgeLabels', 'schema', 'layout'],
  drift: ['schema'],
  lint: ['source', 'schema', 'drift'],
} as const;

function rejectUnknown(c: Context, allowed: readonly string[]): void {
  for (const name of Object.keys(c.req.queries())) {
    if (!allowed.includes(name)) throw new UserError(`Unknown parameter "${name}"; this endpoint takes ${allowed.join(', ')}.`);
  }
}

function single(c: Context, name: string): string | undefined {
  const all = c.req.queries(name);
  if (all && all.length > 1) throw new UserError(`Parameter "${name}" is given ${all.length} times; give it once.`);
  return all?.[0];
}

function sourceParam(c: Context, fallback: SchemaSource = 'db'): SchemaSource {
  const raw = single(c, 'source');
  if (raw === undefined || raw === '') return fallback;
  if (raw === 'orm' || raw === 'db') return raw;
  throw new UserError(`Parameter "source" must be orm or db, got "${raw}".`);
}

function depthParam(c: Context): number {
  const raw = single(c, 'depth');
  if (raw === undefined || raw === '') return 1;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 20) throw new UserError(`Parameter "depth" must be an integer from 0 to 20, got "${raw}".`);
  return n;
}

function booleanParam(c: Context, name: string): boolean {
  const raw = single(c, name);
  if (raw === undefined || raw === '' || raw === '0' || raw === 'false') return false;
  if (raw === '1' || raw === 'true') return true;
  throw new UserError(`Parameter "${name}" must be 1 or 0 (true or false), got "${raw}".`);
}

function schemasParam(c: Context): string[] | null {
  return parseSchemaList(single(c, 'schema'));
}

export function schemaRoutes(ctx: AppContext): Hono {
  const app = new Hono();

  app.get('/schema', async (c) => {
    rejectUnknown(c, known.schema);
    const model = await loadModel(ctx, sourceParam(c), schemasParam(c));
    return c.json(model);
  });

  app.get('/diagram', async (c) => {
    rejectUnknown(c, known.diagram);
    const source = sourceParam(c);
    const format = single(c, 'format') ?? 'mermaid';
    if (format !== 'mermaid' && format !== 'svg' && format !== 'text') throw new UserError(`Parameter "format" must be mermaid, text or svg, got "${format}".`);
    const focusRaw = single(c, 'focus');
    const focus = focusRaw === undefined || focusRaw.trim() === '' ? null : focusRaw.trim();
    const depth = depthParam(c);
    const collapsePivots = booleanParam(c, 'collapsePivots');
    const collapseAssociations = booleanParam(c, 'collapseAssociations');
    const rawLabels = single(c, 'edgeLabels');
    if (rawLabels !== undefined && rawLabels !== '' && rawLabels !== 'orm' && rawLabels !== 'columns') throw new UserError(`Parameter "edgeLabels" must be orm or columns, got "${rawLabels}".`);
    const edgeLabels: EdgeLabels = rawLabels === 'orm' || rawLabels === 'columns' ? rawLabels : source === 'orm' ? 'orm' : 'columns';
    const schemas = schemasParam(c);
    let model = await loadModel(ctx, source, schemas);
    // The database's tables in the ORM's words, where the ORM maps them.
    if (source === 'db' && edgeLabels === 'orm') model = withOrmNames(model, filterSchemas(await ormModel(ctx), schemas));
    const focusId = focus ? resolveTable(model, focus, 'Parameter "focus"').id : null;
    const diagram = planDiagram(model, { focus: focusId, depth, collapsePivots, collapseAssociations, edgeLabels, focusLabel: 'Parameter "focus"' });
    const layout = parseLayout(single(c, 'layout'), 'Parameter "layout"') ?? chooseLayout(diagram.tables.length);
    if (format === 'text') return c.text(diagram.mermaid, 200, { 'Content-Type': 'text/plain; charset=utf-8' });
    if (format === 'svg') {
      const svg = await renderImage(diagram.mermaid, 'svg', layout);
      return c.body(new Uint8Array(svg), 200, { 'Content-Type': 'image/svg+xml; charset=utf-8' });
    }
    const body: DiagramResponse = { ...diagram, source, focus: focusId, depth, collapsePivots, collapseAssociations, edgeLabels, limits: diagramLimits, layout };
    return c.json(body);
  });

  app.get('/drift', async (c) => {
    rejectUnknown(c, known.drift);
    const schemas = schemasParam(c);
    const orm = filterSchemas(await ormModel(ctx), schemas);
    const db = await loadModel(ctx, 'db', schemas);
    const findings: Finding[] = drift(orm, db);
    return c.json({ findings, counts: countFindings(findings), orm: { origin: orm.origin }, db: { origin: db.origin } });
  });

  app.get('/lint', async (c) => {
    rejectUnknown(c, known.lint);
    const source = sourceParam(c);
    const schemas = schemasParam(c);
    const orm = filterSchemas(await ormModel(ctx), schemas);
    const db = await loadModel(ctx, 'db', schemas);
    const result = lint(orm, db, source);
    // drift=off: lint alone, without the drift findings it includes by default (the page asks
    // so when there is no ORM config of the user's to compare the database with).
    const withDrift = c.req.query('drift');
    if (withDrift !== undefined && withDrift !== 'on' && withDrift !== 'off') throw new UserError(`drift=${withDrift}: use drift=on (the default) or drift=off.`);
    if (withDrift === 'off') {
      const key = (f: Finding) => `${f.code}\u0000${f.table}\u0000${f.column ?? ''}\u0000${f.message}`;
      const driftKeys = new Set(drift(orm, db).map(key));
      const findings = result.findings.filter((f) => !driftKeys.has(key(f)));
      return c.json({ ...result, findings, counts: countFindings(findings) });
    }
    return c.json(result);
  });

  return app;
}
