/**
 * Quality inside pipelines. `quality.validate(suite)` splits a collection into `valid` rows and a `quarantine`
 * (each bad row with the row-level expectations it failed and why) and adds `results`: one validation result per
 * window (and pane) computed by a combine over the same metrics plan — so table-level expectations (row counts,
 * uniqueness, means...) are judged per window. `quality.gate()` fails the job when a result fails.
 *
 * Which expectations quarantine a row: those whose verdict depends on the row alone (column-map, pair, multicolumn
 * and custom row expectations). Uniqueness, ordering and aggregates need the whole window; they only show in
 * `results`.
 */
import { combine, parDo, tag, type CombineFn } from '../transforms/index.ts';
import type { PCollection, PTransform } from '../model/index.ts';
import { MetricsPlan, type PlanOptions, type RowFailure, type SuiteAccumulator } from './metrics-plan.ts';
import { QualityGateError } from './quality-error.ts';
import type { ValidationResult } from './result.ts';
import type { Suite } from './suite.ts';
import type { Row } from './values.ts';

/** A quarantined row: the row, and each row-level expectation it failed with the reason. */
export interface QuarantinedRow<T> {
  readonly row: T;
  readonly failures: readonly RowFailure[];
}

export interface ValidatedOutputs<T> {
  readonly valid: PCollection<T>;
  readonly quarantine: PCollection<QuarantinedRow<T>>;
  /** One validation result per window and pane. */
  readonly results: PCollection<ValidationResult>;
}

/** A CombineFn computing a suite's validation result in one pass (mergeable across bundles and workers). */
export function suiteCombineFn<T extends Row>(plan: MetricsPlan): CombineFn<T, SuiteAccumulator, ValidationResult> {
  return {
    name: `validate(${plan.suite.expectation_suite_name})`,
    createAccumulator: () => plan.newAccumulator(),
    addInput: (acc, row) => {
      acc.add(row);
      return acc;
    },
    mergeAccumulators: (accs) => {
      const into = accs[0] ?? plan.newAccumulator();
      for (let i = 1; i < accs.length; i++) into.merge(accs[i]!);
      return into;
    },
    extractOutput: (acc) => acc.finish(),
  };
}

/**
 * Splits rows into valid and quarantined ones and validates each window with the suite.
 * @example
 *   const { valid, quarantine, results } = orders.apply(quality.validate(ordersSuite));
 *   quarantine.apply(io.files.writeJsonl('out/quarantine'));
 *   results.apply(quality.gate());
 */
export function validateRows<T extends Row>(s: Suite, options: PlanOptions = {}): PTransform<PCollection<T>, ValidatedOutputs<T>> {
  const plan = new MetricsPlan(s, options);
  return {
    name: `QualityValidate(${s.expectation_suite_name})`,
    expand(input) {
      const split = input.apply(
        parDo<T, T, Record<never, never>, { quarantine: ReturnType<typeof tag<QuarantinedRow<T>>> }>(
          {
            outputs: { quarantine: tag<QuarantinedRow<T>>() },
            process(row: T, ctx) {
              const failures = plan.rowFailures(row);
              if (failures.length === 0) ctx.output(row);
              else ctx.outputTo('quarantine', { row, failures });
            },
          },
          'QuarantineRows',
        ),
      );
      const global = input.windowing.windowFn.kind === 'global';
      const results = input.apply(combine.globally(suiteCombineFn<T>(plan), { withoutDefaults: !global }));
      return { valid: split.main, quarantine: split.quarantine, results };
    },
  };
}

/** The names of the failed expectations of a result, with their column when they have one. */
export function failedExpectations(result: ValidationResult): string[] {
  return result.results
    .filter((r) => !r.success)
    .map((r) => {
      const column = r.expectation_config.kwargs.column;
      return typeof column === 'string' ? `${r.expectation_config.expectation_type}(${column})` : r.expectation_config.expectation_type;
    });
}

/** Throws a QualityGateError naming the failed expectations when the result failed (for tasks and scripts). */
export function assertPasses(result: ValidationResult): ValidationResult {
  if (result.success) return result;
  const failed = failedExpectations(result);
  throw new QualityGateError(`quality gate '${result.meta.expectation_suite_name}' failed: ${failed.length} of ${result.results.length} expectations failed: ${failed.join(', ')}`, failed, {
    hint: 'see the validation result (quality.toMarkdown) for observed values; fix the data or relax the suite',
  });
}

/**
 * Fails the job when a validation result fails (passes results through otherwise). Apply it to `results` of
 * `quality.validate`, or give it a suite to validate rows directly.
 * @example orders.apply(quality.gate(ordersSuite))   // the job fails with QUALITY_GATE_FAILED naming expectations
 */
export function gate(): PTransform<PCollection<ValidationResult>, PCollection<ValidationResult>>;
export function gate<T extends Row>(s: Suite, options?: PlanOptions): PTransform<PCollection<T>, PCollection<ValidationResult>>;
export function gate(s?: Suite, options: PlanOptions = {}): PTransform<PCollection<any>, PCollection<ValidationResult>> {
  const check = parDo<ValidationResult, ValidationResult>(
    {
      process(result, ctx) {
        ctx.output(assertPasses(result));
      },
    },
    'QualityGate',
  );
  return {
    name: s ? `QualityGate(${s.expectation_suite_name})` : 'QualityGate',
    expand(input) {
      if (s === undefined) return (input as PCollection<ValidationResult>).apply(check);
      return (input as PCollection<Row>).apply(validateRows(s, options)).results.apply(check);
    },
  };
}
