import { RiffleError } from '../../model/index.ts';

/**
 * A Delta sink failed: a commit, a staged file, a schema conflict between workers; `code` is the lakehouse error's
 * (e.g. DELTA_SCHEMA_MISMATCH) or the sink's own (DELTA_SINK_FAILED).
 *
 * @example
 * try { await p.run(); } catch (e) { if (e instanceof DeltaSinkError) console.log(e.code); }
 */
export class DeltaSinkError extends RiffleError {
  constructor(code: string, message: string, opts: { hint?: string; cause?: unknown } = {}) {
    super(code, message, { domain: code.startsWith('DELTA_') ? 'user' : 'external', ...opts });
  }
}
