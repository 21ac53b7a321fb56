import { RiffleError, type ErrorContext } from '../model/index.ts';

/**
 * A DAG is malformed (a cycle, an unknown task, a bad schedule or option): found when the DAG file is loaded, before
 * anything runs.
 * @example
 *   throw new DagDefinitionError("dag 'etl': task 'load' is defined twice", { hint: 'give each task a unique id' });
 */
export class DagDefinitionError extends RiffleError {
  constructor(message: string, opts: { context?: ErrorContext; hint?: string } = {}) {
    super('DAG_INVALID', message, { domain: 'user', ...opts });
  }
}

/** The metadata store refused or failed an operation (a duplicate run, a lock held by another scheduler...). */
export class MetadataStoreError extends RiffleError {
  constructor(code: string, message: string, opts: { context?: ErrorContext; hint?: string; cause?: unknown } = {}) {
    super(code, message, { domain: 'external', ...opts });
  }
}

/** A scheduler request cannot be met (an unknown DAG, a run that already exists). */
export class SchedulerError extends RiffleError {
  constructor(code: string, message: string, opts: { context?: ErrorContext; hint?: string } = {}) {
    super(code, message, { domain: 'user', ...opts });
  }
}
