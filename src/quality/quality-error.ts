import { RiffleError, type ErrorContext } from '../model/index.ts';

/** A suite or contract is malformed (an unknown expectation, a missing argument): found before reading data. */
export class SuiteError extends RiffleError {
  constructor(message: string, opts: { hint?: string; context?: ErrorContext } = {}) {
    super('QUALITY_SUITE_INVALID', message, { domain: 'user', ...opts });
  }
}

/** Data failed a quality gate: the job (or task) stops, naming the failed expectations. */
export class QualityGateError extends RiffleError {
  readonly failed: readonly string[];
  constructor(message: string, failed: readonly string[], opts: { hint?: string; context?: ErrorContext } = {}) {
    super('QUALITY_GATE_FAILED', message, { domain: 'user', ...opts });
    this.failed = failed;
  }
}
