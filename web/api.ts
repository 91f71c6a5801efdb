/**
 * The page's one way to the server: every request goes through `request`, which turns
 * network failures and API errors ({ error }) into an ApiError with a readable message.
 */
import type { SchemaModel, SchemaSource } from '../common/schema-model.ts';
import type { Finding } from '../common/findings.ts';
import type { DiagramResponse } from '../server/routes/schema.ts';
import type { CompareEvent, CompareReport, CompareRequestInput, EntitiesResponse } from '../common/lab-types.ts';
import { ndjsonType } from '../common/lab-types.ts';
import type { CascadeReport } from '../common/cascade-types.ts';
import type { Table } from '../common/schema-model.ts';
import type { DriftResponse, Health, LintResponse } from '../common/api-types.ts';

export type { SchemaModel, SchemaSource, Finding, DiagramResponse, CompareReport, CompareRequestInput, EntitiesResponse, CompareEvent, CascadeReport, Table, DriftResponse, Health, LintResponse };

export class ApiError extends Error {
  readonly status: number;
  constructor(message: string, status: number) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
  }
}

async function request<T>(path: string, init?: RequestInit & { signal?: AbortSignal }): Promise<T> {
  let response: Response;
  try {
    response = await fetch(`/api${path}`, { ...init, headers: { accept: 'application/json', ...(init?.body ? { 'content-type': 'application/json' } : {}), ...init?.headers } });
  } catch (error) {
    if ((error as Error).name === 'AbortError') throw error;
    throw new ApiError('The relscope server did not answer. Is `npm start` (or `relscope serve`) still running?', 0);
  }
  const text = await response.text();
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    // A proxy's HTML error page or a plain-text answer: show its first line.
  }
  if (!response.ok) {
    const message = body && typeof body === 'object' && 'error' in body && typeof (body as { error: unknown }).error === 'string'
      ? (body as { error: string }).error
      : `${response.status} ${response.statusText}${text && !body ? `: ${text.split('\n')[0]!.slice(0, 200)}` : ''}`;
    throw new ApiError(message, response.status);
  }
  if (body === null && text) throw new ApiError(`The server answered ${path} with something that is not JSON.`, response.status);
  return body as T;
}

const query = (params: Record<string, string | number | boolean | null | undefined>): string => {
  const usp = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== null && v !== undefined && v !== '') usp.set(k, String(v));
  const s = usp.toString();
  return s ? `?${s}` : '';
};

// ---- Shapes ------------------------------------------------------------------------------

export interface DiagramParams {
  source: SchemaSource;
  focus?: string | null;
  depth?: number | null;
  /** Only these schemas (comma-separated), e.g. one schema's overview of a large database. */
  schema?: string | null;
  /** Mermaid layout (dagre, elk); absent: the server chooses by size. */
  layout?: string | null;
}

// ---- Calls -------------------------------------------------------------------------------

export const api = {
  health: (signal?: AbortSignal) => request<Health>('/health', { signal }),
  schema: (source: SchemaSource, signal?: AbortSignal) => request<SchemaModel>(`/schema${query({ source })}`, { signal }),
  diagram: (p: DiagramParams, signal?: AbortSignal) =>
    request<DiagramResponse>(`/diagram${query({ source: p.source, format: 'mermaid', focus: p.focus, depth: p.focus ? p.depth : null, schema: p.schema, layout: p.layout ?? null })}`, { signal }),
  drift: (signal?: AbortSignal) => request<DriftResponse>('/drift', { signal }).then((body) => body.findings),
  lint: (source: SchemaSource, signal?: AbortSignal, options: { drift?: 'off' } = {}) => request<LintResponse>(`/lint${query({ source, drift: options.drift })}`, { signal }).then((body) => body.findings),
  entities: (signal?: AbortSignal) => request<EntitiesResponse>('/entities', { signal }),
  cascade: (entity: string, id: string, signal?: AbortSignal) => request<CascadeReport>(`/cascade${query({ entity, id })}`, { signal }),
  compare: (body: CompareRequestInput, signal?: AbortSignal) => request<CompareReport>('/compare', { method: 'POST', body: JSON.stringify(body), signal }),
};

/**
 * POST /compare with `Accept: application/x-ndjson`: calls `onEvent` for every line as it
 * arrives and resolves with the final report. Aborting `signal` closes the request, which stops
 * the comparison on the server (or drops it from the queue).
 */
export async function compareStream(body: CompareRequestInput, onEvent: (event: CompareEvent) => void, signal?: AbortSignal): Promise<CompareReport> {
  let response: Response;
  try {
    response = await fetch('/api/compare', { method: 'POST', body: JSON.stringify(body), signal, headers: { accept: ndjsonType, 'content-type': 'application/json' } });
  } catch (error) {
    if ((error as Error).name === 'AbortError') throw error;
    throw new ApiError('The relscope server did not answer. Is `npm start` (or `relscope serve`) still running?', 0);
  }
  if (!response.ok || !response.body) {
    const text = await response.text();
    let message = `${response.status} ${response.statusText}`;
    try {
      const parsed = JSON.parse(text) as { error?: unknown };
      if (typeof parsed.error === 'string') message = parsed.error;
    } catch {
      // not JSON: keep the status line
    }
    throw new ApiError(message, response.status);
  }
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (value) buffer += value;
    let newline: number;
    while ((newline = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, newline).trim();
      buffer = buffer.slice(newline + 1);
      if (!line) continue;
      const event = JSON.parse(line) as CompareEvent;
      if (event.type === 'report') return event.report;
      if (event.type === 'error') throw new ApiError(event.error, event.status);
      onEvent(event);
    }
    if (done) break;
  }
  throw new ApiError('The comparison stream ended without a report (the server stopped or restarted).', 0);
}

let healthOnce: Promise<Health> | null = null;
/** The health answer of this page load, shared by the header and the views. */
export function sharedHealth(): Promise<Health> {
  healthOnce ??= api.health().catch((error: unknown) => {
    healthOnce = null;
    throw error;
  });
  return healthOnce;
}
