import type { PCollection, PTransform } from '../model/index.ts';
import { MetricsPlan, type PlanOptions } from './metrics-plan.ts';
import { validateRows, type ValidatedOutputs } from './pipeline-validate.ts';
import type { ValidationResult } from './result.ts';
import type { Suite } from './suite.ts';
import type { Row } from './values.ts';

/**
 * Validates with a suite, in one pass. Two forms:
 *  - `validate(rows, suite)` → a GE-shaped validation result (with statistics) for in-memory rows;
 *  - `validate(suite)` → a pipeline transform giving `{ valid, quarantine, results }` (see pipeline-validate.ts).
 * @example
 *   const result = quality.validate(rows, quality.suite('orders', [quality.expect.columnValuesToNotBeNull('id')]));
 *   const { valid, quarantine, results } = orders.apply(quality.validate(ordersSuite));
 */
export function validate(rows: Iterable<Row>, s: Suite | MetricsPlan, options?: PlanOptions & { runId?: string }): ValidationResult;
export function validate<T extends Row>(s: Suite, options?: PlanOptions): PTransform<PCollection<T>, ValidatedOutputs<T>>;
export function validate(a: unknown, b?: unknown, c?: unknown): unknown {
  if (b === undefined || !(b instanceof MetricsPlan || (typeof b === 'object' && b !== null && 'expectations' in b))) return validateRows(a as Suite, (b ?? {}) as PlanOptions);
  const options = (c ?? {}) as PlanOptions & { runId?: string };
  const plan = b instanceof MetricsPlan ? b : new MetricsPlan(b as Suite, options);
  return plan.newAccumulator().addAll(a as Iterable<Row>).finish(options.runId !== undefined ? { run_id: options.runId } : {});
}
