/**
 * The page's one way to the server: every request goes through `request`, which turns
 * network failures and API errors ({ error }) into an ApiError with a readable message.
 */
import type { SchemaModel, SchemaSource } from '../common/schema-model.ts';
import type { Finding } from '../common/findings.ts';
import type { DiagramResponse } from '../server/routes/schema.ts';
import type { CompareReport, CompareRequestInput, EntitiesResponse } from '../common/lab-types.ts';
import type { DriftResponse, Health, LintResponse } from '../common/api-types.ts';

export type { SchemaModel, SchemaSource, Finding, DiagramResponse, CompareReport, CompareRequestInput, EntitiesResponse, DriftResponse, Health, LintResponse };

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
}

// ---- Calls -------------------------------------------------------------------------------

export const api = {
  health: (signal?: AbortSignal) => request<Health>('/health', { signal }),
  schema: (source: SchemaSource, signal?: AbortSignal) => request<SchemaModel>(`/schema${query({ source })}`, { signal }),
  diagram: (p: DiagramParams, signal?: AbortSignal) =>
    request<DiagramResponse>(`/diagram${query({ source: p.source, format: 'mermaid', focus: p.focus, depth: p.focus ? p.depth : null, schema: p.schema })}`, { signal }),
  drift: (signal?: AbortSignal) => request<DriftResponse>('/drift', { signal }).then((body) => body.findings),
  lint: (source: SchemaSource, signal?: AbortSignal) => request<LintResponse>(`/lint${query({ source })}`, { signal }).then((body) => body.findings),
  entities: (signal?: AbortSignal) => request<EntitiesResponse>('/entities', { signal }),
  compare: (body: CompareRequestInput, signal?: AbortSignal) => request<CompareReport>('/compare', { method: 'POST', body: JSON.stringify(body), signal }),
};
