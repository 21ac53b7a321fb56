/**
 * Typed errors. Every Riffle error has a stable `code`, a `domain` (whose fault: the user's pipeline or data, an
 * external system, or Riffle itself), optional context (the step, an excerpt of the element) and a `hint` saying
 * what to do next.
 */
export type ErrorDomain = 'user' | 'external' | 'internal';

export interface ErrorContext {
  step?: string;
  element?: unknown;
  [k: string]: unknown;
}

/**
 * The brand every RiffleError carries (a registry symbol, so it is the same in every copy of Riffle loaded in one
 * process): the CLI recognises errors of a user's installed copy by it and their `code`, never by `instanceof`.
 */
export const RIFFLE_ERROR_BRAND: unique symbol = Symbol.for('riffle.error');

export class RiffleError extends Error {
  readonly [RIFFLE_ERROR_BRAND] = true;
  readonly code: string;
  readonly domain: ErrorDomain;
  readonly context: ErrorContext;
  readonly hint: string | undefined;
  constructor(code: string, message: string, opts: { domain?: ErrorDomain; context?: ErrorContext; hint?: string; cause?: unknown } = {}) {
    super(opts.hint ? `${message}\n  hint: ${opts.hint}` : message, opts.cause !== undefined ? { cause: opts.cause } : undefined);
    this.name = new.target.name;
    this.code = code;
    this.domain = opts.domain ?? 'user';
    this.context = opts.context ?? {};
    this.hint = opts.hint;
  }
}

/** The pipeline is malformed (a cycle, a missing side input, a non-deterministic key...): found before running. */
export class PipelineValidationError extends RiffleError {
  constructor(message: string, opts: { context?: ErrorContext; hint?: string } = {}) {
    super('PIPELINE_INVALID', message, { domain: 'user', ...opts });
  }
}

/** A parameter or option is invalid: found before running. */
export class ConfigError extends RiffleError {
  /** `code` lets an area name its kind of configuration (QUALITY_SUITE_INVALID); the default is CONFIG_INVALID. */
  constructor(message: string, opts: { context?: ErrorContext; hint?: string; code?: string } = {}) {
    const { code = 'CONFIG_INVALID', ...rest } = opts;
    super(code, message, { domain: 'user', ...rest });
  }
}

/** A user function threw while processing an element, in a step without an error output: the job fails. */
export class StepFailedError extends RiffleError {
  constructor(step: string, element: unknown, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super('STEP_FAILED', `step '${step}' failed on element ${excerpt(element)}: ${reason}`, {
      domain: 'user',
      context: { step, element },
      cause,
      hint: `fix the function of '${step}', or give the step an error output (.withErrors()) to route bad records aside`,
    });
    if (cause instanceof Error && cause.stack) this.stack = `${this.name}: ${this.message}\n  caused by: ${cause.stack}`;
  }
}

/** A short, single-line rendering of an element for messages (at most `max` characters). */
export function excerpt(value: unknown, max = 200): string {
  let text: string;
  try {
    text = typeof value === 'string' ? JSON.stringify(value) : (JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v)) ?? String(value));
  } catch {
    text = String(value);
  }
  text = text.replace(/\s+/g, ' ');
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
