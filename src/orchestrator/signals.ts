/**
 * Signals a task throws to end its attempt in a state other than failed-and-retry: `skip()` (the task is skipped and
 * the skip propagates per trigger rules) and `failWithoutRetry()` (the task fails now, whatever retries remain).
 * Recognised by a brand, not `instanceof`, because a DAG file may load another copy of Riffle.
 * @example
 *   d.task('load', (ctx) => { if (noData) skip('no new rows'); ... });
 */
const BRAND = 'riffle.orchestrator.signal';

/** A thrown task signal. */
export class TaskSignal extends Error {
  readonly [BRAND]: 'skip' | 'fail';
  constructor(kind: 'skip' | 'fail', message: string) {
    super(message);
    this.name = kind === 'skip' ? 'SkipTask' : 'FailWithoutRetry';
    this[BRAND] = kind;
  }
}

/** Ends the attempt as skipped. */
export function skip(reason = 'skipped by the task'): never {
  throw new TaskSignal('skip', reason);
}

/** Ends the attempt as failed, with no retry (use for errors a retry cannot fix: bad config, bad input). */
export function failWithoutRetry(reason: string): never {
  throw new TaskSignal('fail', reason);
}

/** The signal kind of a thrown value, if it is one. */
export function signalOf(e: unknown): 'skip' | 'fail' | undefined {
  if (typeof e !== 'object' || e === null) return undefined;
  const kind = (e as Record<string, unknown>)[BRAND];
  return kind === 'skip' || kind === 'fail' ? kind : undefined;
}
