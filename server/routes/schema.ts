/**
 * Schema API (mounted under /api):
 *
 *   GET /schema?source=orm|db[&schema=a,b]
 *       -> SchemaModel (common/schema-model.ts)
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
import { countFindings } from '../schema/lint.ts';
import { loadModel } from '../schema/load.ts';
import { apiFields, diagramFor, driftAndLint, parseDiagramRequest, type DiagramRequestInput } from '../schema/service.ts';
import type { SchemaSource } from '../../common/schema-model.ts';
import type { DriftResponse, LintResponse } from '../../common/api-types.ts';
import type { Diagram, EdgeLabels } from '../render/mermaid.ts';
import { chooseLayout, diagramLimits, type DiagramLayout } from '../../common/mermaid-config.ts';
import type { Finding } from '../../common/findings.ts';

export interface DiagramResponse extends Omit<Diagram, 'focusTable'> {
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

/** The endpoint's parameters, each given at most once; unknown ones are refused. */
function params(c: Context, allowed: readonly string[]): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [name, values] of Object.entries(c.req.queries())) {
    if (!allowed.includes(name)) throw new UserError(`Unknown parameter "${name}"; this endpoint takes ${allowed.join(', ')}.`);
    if (values.length > 1) throw new UserError(`Parameter "${name}" is given ${values.length} times; give it once.`);
    out[name] = values[0];
  }
  return out;
}

export function schemaRoutes(ctx: AppContext): Hono {
  const app = new Hono();

  app.get('/schema', async (c) => {
    const request = parseDiagramRequest(params(c, known.schema), apiFields);
    return c.json(await loadModel(ctx, request.source, request.schemas));
  });

  app.get('/diagram', async (c) => {
    const { format = 'mermaid', ...input } = params(c, known.diagram);
    if (format !== 'mermaid' && format !== 'svg' && format !== 'text') throw new UserError(`Parameter "format" must be mermaid, text or svg, got "${format}".`);
    const request = parseDiagramRequest(input as DiagramRequestInput, apiFields);
    const { diagram, focus } = await diagramFor(ctx, request, apiFields);
    const layout = request.layout ?? chooseLayout(diagram.tables.length);
    if (format === 'text') return c.text(diagram.mermaid, 200, { 'Content-Type': 'text/plain; charset=utf-8' });
    if (format === 'svg') {
      // Loaded only here: playwright-core takes seconds to import.
      const { renderImage } = await import('../render/image.ts');
      const svg = await renderImage(diagram.mermaid, 'svg', layout);
      return c.body(new Uint8Array(svg), 200, { 'Content-Type': 'image/svg+xml; charset=utf-8' });
    }
    const { focusTable: _resolved, ...drawn } = diagram;
    const body: DiagramResponse = {
      ...drawn, source: request.source, focus, depth: request.depth, collapsePivots: request.collapsePivots,
      collapseAssociations: request.collapseAssociations, edgeLabels: request.edgeLabels, limits: diagramLimits, layout,
    };
    return c.json(body);
  });

  app.get('/drift', async (c) => {
    const request = parseDiagramRequest(params(c, known.drift), apiFields);
    const { orm, db, drift } = await driftAndLint(ctx, request.schemas);
    const body: DriftResponse = { findings: drift, counts: countFindings(drift), orm: { origin: orm.origin }, db: { origin: db.origin } };
    return c.json(body);
  });

  app.get('/lint', async (c) => {
    const query = params(c, known.lint);
    const { drift: withDrift, ...input } = query;
    // drift=off: lint alone, without the drift findings it includes by default (the page asks
    // so when there is no ORM config of the user's to compare the database with).
    if (withDrift !== undefined && withDrift !== 'on' && withDrift !== 'off') throw new UserError(`Parameter "drift" must be on (the default) or off, got "${withDrift}".`);
    const request = parseDiagramRequest(input, apiFields);
    const checked = await driftAndLint(ctx, request.schemas);
    const body: LintResponse = checked.lint(request.source);
    if (withDrift === 'off') {
      const key = (f: Finding) => `${f.code}\u0000${f.table}\u0000${f.column ?? ''}\u0000${f.message}`;
      const driftKeys = new Set(checked.drift.map(key));
      // The database's lint without the ORM: the relationship checks of entities whose tables
      // this database does not have (the demo model's, on a database of the user's) are not its.
      const dbTables = request.source === 'db' ? new Set(checked.db.tables.map((t) => t.id)) : null;
      const findings = body.findings.filter((f) => !driftKeys.has(key(f)) && (!dbTables || !f.table || dbTables.has(f.table)));
      return c.json({ ...body, findings, counts: countFindings(findings) });
    }
    return c.json(body);
  });

  return app;
}
