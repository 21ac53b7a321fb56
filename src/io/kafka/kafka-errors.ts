import { RiffleError } from '../../model/index.ts';

/** A Kafka broker or client failure (connection, leadership, a lost transaction), or a topic that cannot be read as asked. */
export class KafkaError extends RiffleError {
  constructor(code: string, message: string, opts: { hint?: string; cause?: unknown; domain?: 'user' | 'external' } = {}) {
    super(code, message, { domain: opts.domain ?? 'external', ...(opts.hint !== undefined ? { hint: opts.hint } : {}), ...(opts.cause !== undefined ? { cause: opts.cause } : {}) });
  }
}

/**
 * The message of an error from the client: the client nests retries and per-partition failures in AggregateErrors,
 * so this walks them and names the distinct root causes (with Kafka's error names, e.g. UNKNOWN_TOPIC_OR_PARTITION).
 */
export function describeKafkaError(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const leaves: string[] = [];
  const walk = (x: unknown, depth: number): void => {
    if (!(x instanceof Error) || depth > 6) return;
    const inner = (x as { errors?: unknown[] }).errors;
    const cause = (x as { cause?: unknown }).cause;
    if (Array.isArray(inner) && inner.length > 0) for (const i of inner) walk(i, depth + 1);
    else if (cause instanceof Error) walk(cause, depth + 1);
    else {
      const id = (x as { apiId?: string }).apiId;
      const server = (x as { serverErrorMessage?: string | null }).serverErrorMessage;
      const text = `${id ? `${id}: ` : ''}${x.message}${server ? ` (${server})` : ''}`;
      if (!leaves.includes(text)) leaves.push(text);
    }
  };
  walk(e, 0);
  return leaves.length === 0 || (leaves.length === 1 && leaves[0] === e.message) ? e.message : `${e.message}: ${leaves.slice(0, 4).join('; ')}`;
}
