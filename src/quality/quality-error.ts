import { ConfigError, RiffleError, type ErrorContext } from '../model/index.ts';

/**
 * A suite, contract or checkpoint is malformed (an unknown expectation, a missing argument): found before reading
 * data, so it is a ConfigError (the CLI exits 2).
 */
export class SuiteError extends ConfigError {
  constructor(message: string, opts: { hint?: string; context?: ErrorContext } = {}) {
    super(message, { code: 'QUALITY_SUITE_INVALID', ...opts });
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

/** A data asset cannot be read as given (a directory that is not a Delta table...): names the path and what is accepted. */
export class DataAssetError extends ConfigError {
  constructor(message: string, opts: { hint?: string; context?: ErrorContext } = {}) {
    super(message, { code: 'QUALITY_ASSET_INVALID', ...opts });
  }
}
