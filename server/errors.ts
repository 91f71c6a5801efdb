/**
 * An error the user can cause and fix: printed as one line (no stack trace) by the CLI,
 * answered with `status` by the API.
 */
export class UserError extends Error {
  readonly status: number;
  readonly exitCode: number;
  constructor(message: string, options: { status?: number; exitCode?: number; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'UserError';
    this.status = options.status ?? 400;
    this.exitCode = options.exitCode ?? 2;
  }
}

/** The database cannot be reached right now; the API answers 503 and keeps serving. */
export class DatabaseUnavailableError extends UserError {
  constructor(message: string, cause?: unknown) {
    super(message, { status: 503, exitCode: 1, cause });
    this.name = 'DatabaseUnavailableError';
  }
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

const connectionErrorCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', '57P01', '57P02', '57P03', '08000', '08003', '08006', '08001', '08004']);

/** True for errors that mean "the database went away", which the API answers with 503. */
export function isConnectionError(error: unknown): boolean {
  const err = error as { code?: string; message?: string } | null;
  if (!err) return false;
  if (err.code && connectionErrorCodes.has(err.code)) return true;
  return /Connection terminated|connection is closed|Client has encountered a connection error|timeout exceeded when trying to connect|ECONNREFUSED|ECONNRESET/i.test(err.message ?? '');
}
