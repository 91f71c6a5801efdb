/**
 * Schema API (mounted under /api):
 *
 *   GET /schema?source=orm|db[&schema=a,b]
 *       -> SchemaModel (server/schema/model.ts)
 *   GET /diagram?source=orm|db&format=mermaid|text|svg[&focus=TABLE&depth=N&collapsePivots=1&schema=a,b]
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
import type { Diagram } from '../render/mermaid.ts';
import { diagramLimits } from '../../common/mermaid-config.ts';
import { renderImage } from '../render/image.ts';

export interface DiagramResponse extends Omit<Diagram, 'focusTable'> {
  source: SchemaSource;
  /** The table id `focus` resolved to, or null for the whole schema. */
  focus: string | null;
  depth: number;
  collapsePivots: boolean;
  limits: typeof diagramLimits;
}

const known = {
  schema: ['source', 'schema'],
  diagram: ['source', 'format', 'focus', 'depth', 'collapsePivots', 'schema'],
  drift: ['schema'],
  lint: ['source', 'schema'],
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
    if (format === 'text') return c.text(diagram.mermaid, 200, { 'Content-Type': 'text/plain; charset=utf-8' });
    if (format === 'svg') {
      const svg = await renderImage(diagram.mermaid, 'svg');
      return c.body(new Uint8Array(svg), 200, { 'Content-Type': 'image/svg+xml; charset=utf-8' });
    }
    const { focusTable: _resolved, ...drawn } = diagram;
    const body: DiagramResponse = { ...drawn, source: request.source, focus, depth: request.depth, collapsePivots: request.collapsePivots, limits: diagramLimits };
    return c.json(body);
  });

  app.get('/drift', async (c) => {
    const request = parseDiagramRequest(params(c, known.drift), apiFields);
    const { orm, db, drift } = await driftAndLint(ctx, request.schemas);
    const body: DriftResponse = { findings: drift, counts: countFindings(drift), orm: { origin: orm.origin }, db: { origin: db.origin } };
    return c.json(body);
  });

  app.get('/lint', async (c) => {
    const request = parseDiagramRequest(params(c, known.lint), apiFields);
    const body: LintResponse = (await driftAndLint(ctx, request.schemas)).lint(request.source);
    return c.json(body);
  });

  return app;
}
