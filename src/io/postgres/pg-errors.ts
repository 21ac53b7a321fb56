import { RiffleError, type ErrorContext } from '../../model/index.ts';

/** A PostgreSQL server or connection failed (not a row's fault): names the server and what was being done. */
export class PostgresError extends RiffleError {
  constructor(message: string, opts: { context?: ErrorContext; hint?: string; cause?: unknown } = {}) {
    super('POSTGRES_FAILED', message, { domain: 'external', ...opts });
  }
}

/** The URL without its password, for messages (secrets are never printed). */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparsable URL)';
  }
}

/** The SQLSTATE and message of a driver error, with the server's detail when it gave one. */
export function describePgError(error: unknown): { code: string | undefined; reason: string } {
  const e = error as { code?: unknown; message?: unknown; detail?: unknown };
  const code = typeof e?.code === 'string' ? e.code : undefined;
  const message = typeof e?.message === 'string' ? e.message : String(error);
  const detail = typeof e?.detail === 'string' && e.detail !== '' ? ` (${e.detail})` : '';
  return { code, reason: `${code ? `${code}: ` : ''}${message}${detail}` };
}
