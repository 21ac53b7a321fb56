import { RiffleError } from '../../model/index.ts';

/** A Kafka broker or client failure (connection, leadership, a lost transaction), or a topic that cannot be read as asked. */
export class KafkaError extends RiffleError {
  constructor(code: string, message: string, opts: { hint?: string; cause?: unknown; domain?: 'user' | 'external' } = {}) {
    super(code, message, { domain: opts.domain ?? 'external', ...(opts.hint !== undefined ? { hint: opts.hint } : {}), ...(opts.cause !== undefined ? { cause: opts.cause } : {}) });
  }
}

/** The message of an error from the client, with its Kafka error code name when it has one. */
export function describeKafkaError(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const parts = [e.message];
  const errors = (e as { errors?: unknown[] }).errors;
  if (Array.isArray(errors)) for (const inner of errors.slice(0, 3)) if (inner instanceof Error && inner.message !== e.message) parts.push(inner.message);
  const cause = (e as { cause?: unknown }).cause;
  if (cause instanceof Error && !parts.includes(cause.message)) parts.push(cause.message);
  return parts.join(': ');
}
