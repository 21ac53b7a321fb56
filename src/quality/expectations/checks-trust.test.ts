// Regression tests of issue 10 items 7-9: aggregates on all-null columns, impossible configurations, datetime bounds,
// regex lists.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expect } from '../expect.ts';
import { SuiteError } from '../quality-error.ts';
import { suite } from '../suite.ts';
import { validate } from '../validate.ts';
import type { ExpectationConfig } from '../result.ts';

const run = (rows: Array<Record<string, unknown>>, e: ExpectationConfig) => validate(rows, suite('s', [e])).results[0]!;
const nulls = [{ x: null }, { x: null }, { x: undefined }];

test('aggregates on an all-null column observe null and fail (never Number(null) = 0)', () => {
  for (const e of [
    expect.columnMinToBeBetween('x', { min_value: -1, max_value: 1 }),
    expect.columnMaxToBeBetween('x', { min_value: -1, max_value: 1 }),
    expect.columnMeanToBeBetween('x', { min_value: -1, max_value: 1 }),
    expect.columnMedianToBeBetween('x', { min_value: -1, max_value: 1 }),
    expect.columnStdevToBeBetween('x', { min_value: 0, max_value: 1 }),
    expect.columnProportionOfUniqueValuesToBeBetween('x', { min_value: 0, max_value: 1 }),
  ]) {
    const r = run(nulls, e);
    assert.equal(r.result.observed_value, null, e.expectation_type);
    assert.equal(r.success, false, e.expectation_type);
  }
  assert.equal(run([{ x: 0 }, { x: null }], expect.columnMinToBeBetween('x', { min_value: -1, max_value: 1 })).success, true);
});

test('impossible configurations are rejected before reading data', () => {
  const bad: Array<[ExpectationConfig, RegExp]> = [
    [expect.columnMinToBeBetween('x', { min_value: 5, max_value: 1 }), /no value can be ≥ 5 and ≤ 1/],
    [expect.columnValuesToBeBetween('x', { min_value: 3, max_value: 3, strict_min: true }), /no value can be > 3 and ≤ 3/],
    [expect.tableRowCountToBeBetween({ min_value: 10, max_value: 2 }), /no row count/],
    [expect.columnValueLengthsToBeBetween('x', { min_value: 4, max_value: 2 }), /no length/],
    [expect.columnValuesToNotBeNull('x', { mostly: -0.1 }), /mostly.*expected at least 0/],
    [expect.columnValuesToNotBeNull('x', { mostly: 1.5 }), /mostly.*expected at most 1/],
    [expect.columnKlDivergenceToBeLessThan('x', { values: ['a', 'b'], weights: [0.5, 0.6] }, 0.1), /sum to 1, got a sum of 1.1/],
    [expect.columnQuantileValuesToBeBetween('x', { quantiles: [0.5], value_ranges: [[9, 1]] }), /value_ranges\[0\] is \[9, 1\]/],
    [{ expectation_type: 'expect_column_values_to_be_between', kwargs: { column: 'x', min_vaule: 1 } }, /unknown key `min_vaule` \(did you mean `min_value`\?\)/],
    [{ expectation_type: 'expect_column_values_to_be_between', kwargs: { column: 'x', min_value: 1, row_condition: 'y > 2' } }, /unknown key `row_condition`/],
    [{ expectation_type: 'expect_column_values_to_not_be_null', kwargs: { column: 7 } }, /column: expected a string, got number 7/],
    [{ expectation_type: 'expect_column_values_to_be_betwen', kwargs: { column: 'x' } }, /did you mean expect_column_values_to_be_between/],
    [expect.columnValuesToBeBetween('t', { min_value: 'soon', parse_strings_as_datetimes: true } as never), /'min_value' "soon" is not a datetime/],
  ];
  for (const [e, message] of bad) assert.throws(() => validate([], suite('s', [e])), (err: Error) => err instanceof SuiteError && message.test(err.message), `${JSON.stringify(e)} → ${message}`);
});

test('timestamp columns compare with string bounds as datetimes; parse_strings_as_datetimes parses string values', () => {
  const rows = [{ t: new Date('2024-01-01T00:00:00Z') }, { t: new Date('2024-06-15T12:00:00Z') }, { t: new Date('2025-01-01T00:00:00Z') }, { t: null }];
  const r = run(rows, expect.columnValuesToBeBetween('t', { min_value: '2024-01-01', max_value: '2024-12-31T23:59:59Z' }));
  assert.equal(r.result.unexpected_count, 1);
  assert.deepEqual(r.result.partial_unexpected_list, ['2025-01-01T00:00:00.000Z']);
  assert.equal(run(rows, expect.columnMaxToBeBetween('t', { max_value: '2025-01-01' })).success, true);
  assert.equal(run(rows, expect.columnMaxToBeBetween('t', { max_value: '2025-01-01', strict_max: true })).success, false);
  assert.equal(run(rows, expect.columnMinToBeBetween('t', { min_value: '2024-01-01T00:00:00+01:00' })).success, true);
  // Strings parsed as datetimes: '2024-6-1' is not ISO, '2024-02-30' is not a date: both unexpected.
  const text = [{ s: '2024-01-05' }, { s: '2024-01-05 10:00' }, { s: '2023-12-31' }, { s: '2024-02-30' }, { s: 'soon' }];
  const p = run(text, expect.columnValuesToBeBetween('s', { min_value: '2024-01-01', max_value: '2024-12-31', parse_strings_as_datetimes: true } as never));
  assert.deepEqual(p.result.partial_unexpected_list, ['2023-12-31', '2024-02-30', 'soon']);
  const mx = run([{ s: '2024-01-05' }, { s: '2024-10-01' }], { expectation_type: 'expect_column_max_to_be_between', kwargs: { column: 's', max_value: '2024-12-31', parse_strings_as_datetimes: true } });
  assert.equal(mx.success, true);
  assert.equal(mx.result.observed_value, '2024-10-01T00:00:00.000Z');
  // A bound that is not a datetime cannot be compared with datetimes: the values fail, and the reason says why.
  const odd = run(rows, expect.columnValuesToBeBetween('t', { min_value: 'abc' }));
  assert.equal(odd.result.unexpected_count, 3);
});

test('regex lists: match any (default) or all, and not match any; patterns are Python\'s', () => {
  const rows = [{ s: 'ab12' }, { s: 'ab' }, { s: '12' }, { s: 'ÀB' }, { s: null }];
  const any = run(rows, expect.columnValuesToMatchRegexList('s', ['^[a-z]+', '\\d+\\Z']));
  assert.deepEqual(any.result.partial_unexpected_list, ['ÀB']);
  const all = run(rows, expect.columnValuesToMatchRegexList('s', ['^[a-z]+', '\\d+\\Z'], { match_on: 'all' }));
  assert.deepEqual(all.result.partial_unexpected_list, ['ab', '12', 'ÀB']);
  const none = run(rows, expect.columnValuesToNotMatchRegexList('s', ['\\d', '(?i)^àb$']));
  assert.deepEqual(none.result.partial_unexpected_list, ['ab12', '12', 'ÀB']);
  assert.equal(run([{ s: 'é' }], expect.columnValuesToMatchRegex('s', '^\\w$')).success, true, '\\w is Unicode, as in Python');
  assert.throws(() => validate([], suite('s', [expect.columnValuesToMatchRegex('s', '(a)?(?(1)b|c)')])), /conditional group/);
});

test('sets and ordering on datetimes: string members match instants; parse_strings_as_datetimes orders text as datetimes', () => {
  const rows = [{ t: new Date('2024-01-01T00:00:00Z') }, { t: new Date('2024-01-02T00:00:00Z') }];
  assert.equal(run(rows, expect.columnValuesToBeInSet('t', ['2024-01-01', '2024-01-02T00:00:00Z'])).success, true);
  assert.equal(run(rows, expect.columnValuesToNotBeInSet('t', ['2024-01-02'])).result.unexpected_count, 1);
  const text = [{ s: '2024-01-09' }, { s: '2024-01-10T00:00:00+02:00' }, { s: '2024-01-10' }];
  assert.equal(run(text, expect.columnValuesToBeIncreasing('s', { strictly: true })).success, false, 'as text, 2024-01-10 sorts before 2024-01-10T...');
  const parsed = run(text, { expectation_type: 'expect_column_values_to_be_increasing', kwargs: { column: 's', strictly: true, parse_strings_as_datetimes: true } });
  assert.equal(parsed.success, true);
  const back = run([{ s: '2024-01-10T00:00:00Z' }, { s: '2024-01-09T23:00:00-02:00' }], { expectation_type: 'expect_column_values_to_be_increasing', kwargs: { column: 's', parse_strings_as_datetimes: true } });
  assert.equal(back.success, true, '23:00-02:00 is 01:00Z the next day');
  assert.throws(() => validate([], suite('s', [{ expectation_type: 'expect_column_values_to_be_in_set', kwargs: { column: 't', value_set: [], parse_strings_as_datetimes: true } }])), /unknown key `parse_strings_as_datetimes`/);
});

test('strings are ordered by code point, as Python compares them (fullwidth Ａ before an emoji)', () => {
  // Python: max('Ａ', '😀') == '😀' and ['Ａ', '😀'] is increasing; JavaScript's < says the opposite (UTF-16 units).
  const rows = [{ s: 'Ａ' }, { s: '😀' }];
  assert.equal(run(rows, { expectation_type: 'expect_column_max_to_be_between', kwargs: { column: 's' } }).result.observed_value, '😀');
  assert.equal(run(rows, { expectation_type: 'expect_column_min_to_be_between', kwargs: { column: 's' } }).result.observed_value, 'Ａ');
  assert.equal(run(rows, { expectation_type: 'expect_column_values_to_be_increasing', kwargs: { column: 's', strictly: true } }).success, true);
  assert.equal(run(rows, { expectation_type: 'expect_column_values_to_be_decreasing', kwargs: { column: 's' } }).success, false);
});
