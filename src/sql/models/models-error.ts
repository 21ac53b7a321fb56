/**
 * Errors of SQL model projects: a RiffleError with a code, a message that names the file (and line where known),
 * and what to do. The CLI prints these without a stack trace.
 */
import { RiffleError } from '../../model/index.ts';

/** Codes of model-project errors. */
export type ModelsErrorCode =
  | 'MODELS_PROJECT' | 'MODELS_CONFIG' | 'MODELS_TEMPLATE' | 'MODELS_MISSING_REF' | 'MODELS_CYCLE' | 'MODELS_SELECTOR'
  | 'MODELS_SQL' | 'MODELS_DUPLICATE' | 'MODELS_VAR';

/**
 * A project is wrong (a missing ref, a cycle, a template error, an invalid config) or a model's SQL failed.
 *
 * @example
 * throw new ModelsError('MODELS_MISSING_REF', "models/orders.sql:3: ref('stg_order') names no model", { hint: "did you mean 'stg_orders'?" });
 */
export class ModelsError extends RiffleError {
  constructor(code: ModelsErrorCode, message: string, opts: { hint?: string; cause?: unknown; file?: string; line?: number } = {}) {
    super(code, message, { domain: 'user', hint: opts.hint, cause: opts.cause, context: { file: opts.file, line: opts.line } });
  }
}

/** The 1-based line of the first occurrence of `needle` in `text` (1 when absent). */
export function lineOf(text: string, needle: string | RegExp, from = 0): number {
  const at = typeof needle === 'string' ? text.indexOf(needle, from) : text.slice(from).search(needle) + (text.slice(from).search(needle) < 0 ? 0 : from);
  if (at < 0) return 1;
  let line = 1;
  for (let i = 0; i < at; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}
