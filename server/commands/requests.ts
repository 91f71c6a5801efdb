import { parseCommand, parseIntegerOption } from './options.ts';
import { UserError, errorMessage } from '../errors.ts';
import type { TracedRequest, TracedRequestsState } from '../../common/trace-types.ts';

export const summary = 'requests traced in your app (relscope/trace) with their N+1 and duplicate findings';

export const help = `relscope requests [--url URL] [--findings] [--limit N] [--format text|json]

Reads the requests that relscope/trace sent to a running \`relscope serve\` (the same data as the
page's Requests view and GET /api/requests). Exit 1 when a shown request has an N+1.

  --url URL             the relscope server (default RELSCOPE_URL or http://127.0.0.1:5177)
  --findings            only requests with findings
  --limit N             the newest N requests (default 50)
  --format text|json    text (default), or JSON: { requests: [...], dropped: { byTracers, byServer } }`;

function ms(value: number): string {
  return value >= 100 ? `${Math.round(value)} ms` : value >= 10 ? `${value.toFixed(1)} ms` : `${value.toFixed(2)} ms`;
}

export function formatRequests(state: TracedRequestsState): string {
  const out: string[] = [];
  for (const r of state.requests) {
    const total = r.statements.reduce((sum, s) => sum + s.ms, 0);
    out.push(`#${r.n} ${r.name}${r.status ? ` → ${r.status}` : ''}  ${r.statements.length} statement${r.statements.length === 1 ? '' : 's'}, ${ms(total)} in SQL of ${ms(r.durationMs)}  (${r.source.app} pid ${r.source.pid})`);
    for (const f of r.findings) {
      out.push(`  ${f.kind === 'n-plus-one' ? 'N+1' : f.kind}: ${f.message}`);
      if (f.callSite) out.push(`    at ${f.callSite.file}:${f.callSite.line}:${f.callSite.column}`);
    }
  }
  if (!state.requests.length) out.push('No traced requests yet: attach the tracer in your app (see README, "Find N+1 in your app") and make a request.');
  const dropped = state.dropped.byTracers + state.dropped.byServer;
  if (dropped) out.push(`(${dropped} dropped: ${state.dropped.byTracers} by tracers while this server was away, ${state.dropped.byServer} by this server's bound)`);
  return `${out.join('\n')}\n`;
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parseCommand('requests', argv, { url: { type: 'string' }, findings: { type: 'boolean' }, limit: { type: 'string' }, format: { type: 'string' }, help: { type: 'boolean', short: 'h' } });
  if (values.help) {
    console.log(help);
    return 0;
  }
  const format = values.format ?? 'text';
  if (format !== 'text' && format !== 'json') throw new UserError(`--format must be text or json, got "${format}".`);
  const limit = parseIntegerOption('--limit', values.limit, 50, 1, 500);
  const base = values.url ?? process.env.RELSCOPE_URL ?? 'http://127.0.0.1:5177';
  let url: URL;
  try {
    url = new URL('/api/requests', base);
  } catch {
    throw new UserError(`--url "${base}" is not a URL; pass e.g. --url http://127.0.0.1:5177.`);
  }
  url.searchParams.set('limit', String(limit));
  if (values.findings) url.searchParams.set('findings', '1');
  let state: TracedRequestsState;
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(5000) });
    if (!response.ok) throw new Error(`${response.status} ${await response.text()}`);
    state = (await response.json()) as TracedRequestsState;
  } catch (error) {
    throw new UserError(`No relscope server answered at ${url.origin} (${errorMessage(error)}); start one with \`relscope serve\` or pass --url.`, { exitCode: 1 });
  }
  if (format === 'json') console.log(JSON.stringify(state, null, 2));
  else process.stdout.write(formatRequests(state));
  return state.requests.some((r: TracedRequest) => r.findings.some((f) => f.kind === 'n-plus-one')) ? 1 : 0;
}
