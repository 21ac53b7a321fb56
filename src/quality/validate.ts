import { MetricsPlan, type PlanOptions } from './metrics-plan.ts';
import type { ValidationResult } from './result.ts';
import type { Suite } from './suite.ts';
import type { Row } from './values.ts';

/**
 * Validates rows with a suite in one pass and returns GE-shaped results with statistics.
 * @example
 *   const result = validate(rows, suite('orders', [expect.columnValuesToNotBeNull('id')]));
 *   if (!result.success) console.log(toMarkdown(result));
 */
export function validate(rows: Iterable<Row>, s: Suite | MetricsPlan, options: PlanOptions & { runId?: string } = {}): ValidationResult {
  const plan = s instanceof MetricsPlan ? s : new MetricsPlan(s, options);
  return plan.newAccumulator().addAll(rows).finish(options.runId !== undefined ? { run_id: options.runId } : {});
}
