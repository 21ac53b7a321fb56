/**
 * Column aggregate expectations: a metric of the column's non-missing values (min, max, mean, median, quantiles,
 * stdev, sum, distinct counts and sets) checked against bounds or sets. Results carry `observed_value`, with
 * `element_count` and `missing_count` where GE reports them.
 */
import type { ProfileNeeds, ColumnProfile } from '../column-profile.ts';
import { columnOf, columnProfile, missingCounts, withinBounds, type CompiledExpectation, type Evaluation, type Kwargs } from '../expectation.ts';
import { SuiteError } from '../quality-error.ts';
import type { ExpectationConfig } from '../result.ts';
import { compareValues, numericValue, resultValue, valueKey } from '../values.ts';
import { parseDatetime, readBound, timeWithin } from './temporal-bounds.ts';

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

/**
 * GE's metric-between judgement. A null observation (no non-missing values: min, mean... of nothing) fails, as in GE
 * (never `Number(null)`, which is 0). Dates compare as datetimes against bounds parsed as datetimes. Impossible
 * bounds (min > max, or equal with a strict side) are a configuration error.
 */
function bounds(args: Kwargs, parseStrings = false): (observed: unknown) => boolean {
  const minB = readBound(args, 'min_value', parseStrings);
  const maxB = readBound(args, 'max_value', parseStrings);
  const min = minB.value;
  const max = maxB.value;
  const strictMin = args.boolean('strict_min', false);
  const strictMax = args.boolean('strict_max', false);
  if (min !== undefined && max !== undefined && typeof min === typeof max && (min > max || (min === max && (strictMin || strictMax)))) {
    throw new SuiteError(`${args.type}: no value can be ${strictMin ? '>' : '≥'} ${JSON.stringify(min)} and ${strictMax ? '<' : '≤'} ${JSON.stringify(max)}`, { hint: 'min_value must be below max_value' });
  }
  return (observed) => {
    if (observed === null || observed === undefined) return false;
    if (observed instanceof Date) return timeWithin(observed.getTime(), minB, maxB, strictMin, strictMax);
    if (typeof observed === 'number' || typeof observed === 'string') return withinBounds(observed, min, max, strictMin, strictMax);
    const n = numericValue(observed);
    return n !== undefined && withinBounds(n, min, max, strictMin, strictMax);
  };
}

/** min/max with `parse_strings_as_datetimes`: string values are read as datetimes (one that does not parse is an error). */
function extremes(config: ExpectationConfig, args: Kwargs, pick: (p: ColumnProfile) => unknown): CompiledExpectation {
  const parseStrings = args.boolean('parse_strings_as_datetimes', false);
  const judge = bounds(args, parseStrings);
  if (!parseStrings) return aggregate(config, args, { extremes: true }, (p) => ({ value: pick(p) ?? null }), judge);
  const column = columnOf(args);
  const domain = `datetime(${column})`;
  const compiled = aggregate(config, args, { extremes: true }, (p) => {
    if (p.nonNumeric > 0) return { value: null, error: 'values that are not datetimes (parse_strings_as_datetimes is true)' };
    const v = pick(p);
    return { value: typeof v === 'number' ? new Date(v) : v ?? null };
  }, judge);
  return {
    ...compiled,
    profiles: [{ domain, extract: (row) => {
      const v = row[column];
      if (typeof v !== 'string') return v instanceof Date ? v.getTime() : v;
      const t = parseDatetime(v);
      return t === undefined ? v : t;
    }, needs: { extremes: true } }],
    evaluate: (m) => compiled.evaluate({ ...m, profile: (d) => m.profile(d === column ? domain : d) }),
  };
}

const numericOnly = (p: ColumnProfile) => (p.nonNumeric > 0 ? `${p.nonNumeric} non-numeric values` : undefined);

export const minBetween = (c: ExpectationConfig, a: Kwargs) => extremes(c, a, (p) => p.min);
export const maxBetween = (c: ExpectationConfig, a: Kwargs) => extremes(c, a, (p) => p.max);
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
  vr.forEach(([lo, hi], i) => {
    if (lo !== null && hi !== null && lo > hi) throw new SuiteError(`${config.expectation_type}: value_ranges[${i}] is [${lo}, ${hi}]: no value can be in it`);
  });
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
