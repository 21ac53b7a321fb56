/**
 * How the server answers an error: `{"error": {"code", "message", "hint"?, ...details}}` with an HTTP status (the
 * shape of the bus server's errors and of the CLI's --json errors). Anything not an ApiError is a 500 whose
 * message says it is a bug; its stack goes to the server's log, never to the client.
 */
import type { ContentfulStatusCode } from 'hono/utils/http-status';

export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly hint?: string,
    /** More fields of the error object: `file`, `key`, `expected` for a parameter error. */
    readonly details: Readonly<Record<string, string | null>> = {},
  ) {
    super(message);
  }
}

export interface ErrorBody {
  error: { code: string; message: string; hint?: string } & Record<string, string | null | undefined>;
}

export function errorBody(e: unknown): { status: ContentfulStatusCode; body: ErrorBody } {
  if (e instanceof ApiError) return { status: e.status, body: { error: { ...e.details, code: e.code, message: e.message, ...(e.hint !== undefined ? { hint: e.hint } : {}) } } };
  const message = e instanceof Error ? e.message : String(e);
  return { status: 500, body: { error: { code: 'INTERNAL', message: `internal error: ${message}`, hint: 'this is a bug in Riffle; the server log has the stack' } } };
}
