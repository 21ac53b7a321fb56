/**
 * Column aggregate expectations: a metric of the column's non-missing values (min, max, mean, median, quantiles,
 * stdev, sum, distinct counts and sets) checked against bounds or sets. Results carry `observed_value`, with
 * `element_count` and `missing_count` where GE reports them.
 */
import type { ProfileNeeds, ColumnProfile } from '../column-profile.ts';
import { columnOf, columnProfile, missingCounts, withinBounds, type CompiledExpectation, type Evaluation, type Kwargs } from '../expectation.ts';
import { SuiteError } from '../quality-error.ts';
import type { ExpectationConfig } from '../result.ts';
import { compareValues, resultValue, valueKey } from '../values.ts';

type Observe = (p: ColumnProfile) => { value: unknown; approximate?: boolean; error?: string };

function aggregate(config: ExpectationConfig, args: Kwargs, needs: ProfileNeeds, observe: Observe, judge: (observed: unknown) => boolean, withCounts = true): CompiledExpectation {
  const column = columnOf(args);
  return {
    config,
    columns: [column],
    profiles: [columnProfile(column, needs)],
    evaluate: (m): Evaluation => {
      const p = m.profile(column);
      const { value, approximate, error } = observe(p);
      if (error !== undefined) throw new SuiteError(`${config.expectation_type} on '${column}': ${error}`);
      const result: Evaluation['result'] = { observed_value: resultValue(value) };
      if (withCounts) {
        Object.assign(result, missingCounts(p));
      }
      return { success: judge(value), result, ...(approximate ? { approximate } : {}) };
    },
  };
}

function bounds(args: Kwargs): (observed: unknown) => boolean {
  const min = args.optionalBound('min_value');
  const max = args.optionalBound('max_value');
  const strictMin = args.boolean('strict_min', false);
  const strictMax = args.boolean('strict_max', false);
  return (observed) => {
    const o = typeof observed === 'number' || typeof observed === 'string' ? observed : observed === undefined ? null : Number(observed);
    return withinBounds(o, min, max, strictMin, strictMax);
  };
}

const numericOnly = (p: ColumnProfile) => (p.nonNumeric > 0 ? `${p.nonNumeric} non-numeric values` : undefined);

export const minBetween = (c: ExpectationConfig, a: Kwargs) => aggregate(c, a, { extremes: true }, (p) => ({ value: p.min ?? null }), bounds(a));
export const maxBetween = (c: ExpectationConfig, a: Kwargs) => aggregate(c, a, { extremes: true }, (p) => ({ value: p.max ?? null }), bounds(a));
export const meanBetween = (c: ExpectationConfig, a: Kwargs) =>
  aggregate(c, a, { moments: true }, (p) => ({ value: p.numeric === 0 ? null : p.mean, error: numericOnly(p) }), bounds(a));
export const sumBetween = (c: ExpectationConfig, a: Kwargs) => aggregate(c, a, { moments: true }, (p) => ({ value: p.sum, error: numericOnly(p) }), bounds(a));
/** Sample standard deviation (ddof = 1), as pandas' `Series.std()`. */
export const stdevBetween = (c: ExpectationConfig, a: Kwargs) =>
  aggregate(c, a, { moments: true }, (p) => ({ value: p.numeric < 2 ? null : p.stdev, error: numericOnly(p) }), bounds(a));
/** The median of an even count is the mean of the two middle values (pandas). */
export const medianBetween = (c: ExpectationConfig, a: Kwargs) =>
  aggregate(c, a, { quantiles: true }, (p) => ({ value: p.exactLength === 0 && p.kll === undefined ? null : p.quantiles([0.5])[0], approximate: p.kll !== undefined, error: numericOnly(p) }), bounds(a));
export const uniqueValueCountBetween = (c: ExpectationConfig, a: Kwargs) =>
  aggregate(c, a, { distinct: true }, (p) => ({ value: p.distinctCount, approximate: p.hll !== undefined }), bounds(a));
export const proportionOfUniqueValuesBetween = (c: ExpectationConfig, a: Kwargs) =>
  aggregate(c, a, { distinct: true }, (p) => ({ value: p.present === 0 ? null : p.distinctCount / p.present, approximate: p.hll !== undefined }), bounds(a));

/**
 * Quantiles with GE's `quantile_ranges: { quantiles, value_ranges }`. GE computes them on pandas with
 * `interpolation="nearest"`; so do we while exact.
 */
export function quantileValuesBetween(config: ExpectationConfig, args: Kwargs): CompiledExpectation {
  const ranges = args.raw.quantile_ranges as { quantiles?: number[]; value_ranges?: Array<[number | null, number | null]> } | undefined;
  const qs = ranges?.quantiles;
  const vr = ranges?.value_ranges;
  if (!Array.isArray(qs) || !Array.isArray(vr) || qs.length !== vr.length) throw new SuiteError(`${config.expectation_type}: quantile_ranges needs quantiles and value_ranges of the same length`);
  return aggregate(
    config,
    args,
    { quantiles: true },
    (p) => ({ value: { quantiles: qs, values: p.quantiles(qs, 'nearest') }, approximate: p.kll !== undefined, error: numericOnly(p) }),
    (o) => {
      const values = (o as { values: number[] }).values;
      return values.every((v, i) => withinBounds(v, vr[i]![0] ?? undefined, vr[i]![1] ?? undefined, false, false));
    },
  );
}

function valueSet(args: Kwargs): Set<unknown> {
  return new Set(args.list('value_set').map(valueKey));
}

function distinctSetExpectation(config: ExpectationConfig, args: Kwargs, judge: (observed: Set<unknown>, expected: Set<unknown>) => boolean): CompiledExpectation {
  const expected = valueSet(args);
  const column = columnOf(args);
  return {
    config,
    columns: [column],
    profiles: [columnProfile(column, { distinct: true })],
    evaluate: (m) => {
      const p = m.profile(column);
      const counts = p.valueCounts();
      if (counts === undefined) throw new SuiteError(`${config.expectation_type} on '${column}': more than ${p.limits.maxDistinct} distinct values; the set cannot be checked`, { hint: 'use expect_column_values_to_be_in_set, which checks each value in bounded memory' });
      const values = [...counts.keys()].sort(compareValues);
      const observed = new Set(values.map(valueKey));
      return {
        success: judge(observed, expected),
        result: {
          observed_value: values.map(resultValue),
          ...missingCounts(p),
          details: { value_counts: values.map((v) => ({ value: resultValue(v), count: counts.get(v) })) },
        },
      };
    },
  };
}

export const distinctValuesInSet = (c: ExpectationConfig, a: Kwargs) => distinctSetExpectation(c, a, (o, e) => [...o].every((v) => e.has(v)));
export const distinctValuesEqualSet = (c: ExpectationConfig, a: Kwargs) => distinctSetExpectation(c, a, (o, e) => o.size === e.size && [...o].every((v) => e.has(v)));
export const distinctValuesContainSet = (c: ExpectationConfig, a: Kwargs) => distinctSetExpectation(c, a, (o, e) => [...e].every((v) => o.has(v)));
