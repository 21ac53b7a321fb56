/**
 * How the server answers an error: `{ "error": { "code", "message", "hint"? } }` with the HTTP status of its code.
 * Bus errors keep their code (the client rebuilds the same class with busErrorFromCode); errors before the bus
 * (unreadable body, unknown route) are HttpErrors; anything else is a 500 "internal error".
 */
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { BusError, type BusErrorCode } from '../bus-errors.ts';
import type { WireError } from './bus-wire.ts';

/** The HTTP status of each bus error code (as Google's APIs map their canonical codes). */
export const STATUS_OF_CODE: Record<BusErrorCode, ContentfulStatusCode> = {
  BUS_NOT_FOUND: 404,
  BUS_ALREADY_EXISTS: 409,
  BUS_INVALID_ARGUMENT: 400,
  BUS_FAILED_PRECONDITION: 400,
  BUS_SCHEMA_VIOLATION: 400,
  BUS_FILTER_SYNTAX: 400,
  BUS_ORDERING_KEY_PAUSED: 400,
  BUS_CLOSED: 503,
  BUS_STORAGE_CORRUPT: 500,
  BUS_UNAVAILABLE: 503,
};

/** A request that fails before reaching the bus (unreadable body, unknown route): same JSON shape as bus errors. */
export class HttpError extends Error {
  constructor(readonly status: ContentfulStatusCode, readonly code: string, message: string, readonly hint?: string) {
    super(message);
  }
}

/** The error body and status of anything thrown by a route. */
export function errorAnswer(e: unknown): { status: ContentfulStatusCode; body: { error: WireError } } {
  if (e instanceof HttpError) return { status: e.status, body: { error: { code: e.code, message: e.message, ...(e.hint !== undefined ? { hint: e.hint } : {}) } } };
  if (e instanceof BusError) {
    return { status: STATUS_OF_CODE[e.code] ?? 500, body: { error: { code: e.code, message: messageWithoutHint(e), ...(e.hint !== undefined ? { hint: e.hint } : {}) } } };
  }
  const message = e instanceof Error ? e.message : String(e);
  return { status: 500, body: { error: { code: 'INTERNAL', message: `internal error: ${message}`, hint: 'this is a bug in Riffle; the server log has the stack' } } };
}

/** A RiffleError's message carries its hint on a second line; the wire keeps them apart. */
function messageWithoutHint(e: BusError): string {
  return e.hint !== undefined && e.message.endsWith(`\n  hint: ${e.hint}`) ? e.message.slice(0, -`\n  hint: ${e.hint}`.length) : e.message;
}

