/**
 * The messages between the server's main thread and its lab worker (server/lab/lab-worker.ts
 * is the main side, server/lab/worker.ts the worker). Only plain data crosses: the worker
 * re-creates the ORM from a description of the model (OrmSource), never from objects.
 */
import type { DatabaseKind, UrlOrigin } from '../db/connect.ts';
import type { EmbeddedStartInfo } from '../db/embedded.ts';
import { DatabaseUnavailableError, UserError, errorMessage } from '../errors.ts';

/** Where the worker's entities come from: the same model the main thread's ORM has. */
export type OrmSource =
  | { model: 'demo' }
  /** A user's MikroORM config, loaded again inside the worker as loadProject does (tsx, decorator metadata hooks). */
  | { model: 'project'; configPath: string; via: 'convention' | '--config' | 'MIKRO_ORM_CLI_CONFIG' | 'package.json'; cwd: string; contextName?: string }
  /** Named exports of a module (an entity list written to be importable, e.g. a test fixture). */
  | { model: 'module'; moduleUrl: string; exportNames: string[] };

export interface WorkerSetup {
  source: OrmSource;
  database: { kind: DatabaseKind; url: string; display: string; label?: string; urlOrigin?: UrlOrigin; embedded: boolean };
  projectLabel: string;
}

export type ToWorker =
  | { type: 'run'; id: number; input: unknown; url: string }
  | { type: 'abort'; id: number }
  /** The main thread's answer to an `embedded` request. */
  | { type: 'embedded-done'; requestId: number; info?: EmbeddedStartInfo; error?: string };

export type FromWorker =
  | { type: 'ready' }
  | { type: 'init-failed'; error: SerializedError }
  /** One CompareEvent as JSON text (exactly what the NDJSON stream sends). */
  | { type: 'event'; id: number; json: string }
  | { type: 'progress'; id: number; message: string }
  | { type: 'done'; id: number; json: string }
  | { type: 'failed'; id: number; error: SerializedError }
  /** Sent the moment an abort arrives: the worker's event loop is free, so it will stop by itself. */
  | { type: 'abort-seen'; id: number }
  /** The EXPLAIN watchdog asks the main thread (which owns the embedded database's process) to kill or start it. */
  | { type: 'embedded'; requestId: number; op: 'kill' | 'start' };

export interface SerializedError {
  name: string;
  message: string;
  /** A UserError's HTTP status. */
  status?: number;
  exitCode?: number;
  /** The driver's error code (ECONNRESET, 57P01, ...): isConnectionError reads it. */
  code?: string;
  stack?: string;
}

export function serializeError(error: unknown): SerializedError {
  const out: SerializedError = { name: error instanceof Error ? error.name : 'Error', message: errorMessage(error) };
  if (error instanceof UserError) {
    out.status = error.status;
    out.exitCode = error.exitCode;
  }
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string') out.code = code;
  if (error instanceof Error && error.stack) out.stack = error.stack;
  return out;
}

/** The error as the route's status mapping (UserError status, connection → 503, else 500) expects it. */
export function deserializeError(error: SerializedError): Error {
  let out: Error;
  if (error.name === 'DatabaseUnavailableError') out = new DatabaseUnavailableError(error.message);
  else if (error.status !== undefined) out = new UserError(error.message, { status: error.status, ...(error.exitCode !== undefined ? { exitCode: error.exitCode } : {}) });
  else {
    out = Object.assign(new Error(error.message), error.code ? { code: error.code } : {});
    out.name = error.name;
  }
  if (error.stack) out.stack = error.stack;
  return out;
}
