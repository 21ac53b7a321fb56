import { RiffleError, StepFailedError, type ErrorRecord, type Instant, type BoundedWindow, type PaneInfo } from '../../model/index.ts';
import type { Operator, Receiver } from './operator.ts';

/** A record for an error output: the original element, the reason, the step and the time. */
export function errorRecord(step: string, element: unknown, error: unknown): ErrorRecord {
  return { step, error: error instanceof Error ? error.message : String(error), element, time: new Date().toISOString() };
}

/**
 * What a step does when its function throws on an element: with an error output, the element goes there and the
 * job goes on; without one, the job fails with the step name, an excerpt of the element and the stack.
 */
export function handleElementError(
  op: Operator,
  errorOutput: Receiver | undefined,
  element: unknown,
  error: unknown,
  timestamp: Instant,
  windows: readonly BoundedWindow[],
  pane: PaneInfo,
): void {
  if (error instanceof StepFailedError) throw error;
  op.errors++;
  if (errorOutput === undefined) throw new StepFailedError(op.name, element, error);
  errorOutput.process(errorRecord(op.name, element, error), timestamp, windows, pane);
}

/**
 * An error thrown while a grouping step folded an element (a combiner refusing a string where it sums numbers): the
 * job fails naming the step and the element. Riffle errors that already say where they come from pass unchanged.
 */
export function groupingError(step: string, element: unknown, error: unknown): unknown {
  return error instanceof RiffleError ? error : new StepFailedError(step, element, error);
}
