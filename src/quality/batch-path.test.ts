import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DistinctTable } from './distinct-table.ts';
import { expect, MetricsPlan, suite, type ValidationResult } from './index.ts';

// Mixed data over several batches (2048 rows each): numbers, strings, missing values, dates, -0, repeats.
let seed = 3;
const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
const rows = Array.from({ length: 9000 }, (_, i) => ({
  id: i % 1001 === 7 ? 5 : i,
  x: i % 50 === 0 ? null : i % 77 === 0 ? NaN : i % 91 === 0 ? -0 : Math.round(rand() * 2000 - 1000) / 10,
  s: ['a', 'b', 'c', 'dd', null][i % 5],
  m: i % 3 === 0 ? new Date(i) : i % 3 === 1 ? i : 'z',
}));
const s = suite('batch', [
  expect.columnValuesToBeUnique('id'),
  expect.columnValuesToBeUnique('m'),
  expect.columnValuesToBeBetween('x', { min_value: -50, max_value: 50, mostly: 0.1 }),
  expect.columnValuesToBeInSet('s', ['a', 'b']),
  expect.columnValueLengthsToBeBetween('s', { max_value: 1 }),
  expect.columnValuesToMatchRegex('s', '^[ab]$'),
  expect.columnValuesToNotBeNull('x'),
  expect.columnMedianToBeBetween('x', { min_value: -1000 }),
  expect.columnQuantileValuesToBeBetween('x', { quantiles: [0, 0.1, 0.5, 0.9, 1], value_ranges: [[null, null], [null, null], [null, null], [null, null], [null, null]] }),
  expect.columnMeanToBeBetween('x', { min_value: -1000 }),
  expect.columnMinToBeBetween('m', { min_value: 0 }),
  expect.columnMaxToBeBetween('s', { max_value: 'zz' }),
  expect.columnUniqueValueCountToBeBetween('x', { min_value: 1 }),
  expect.columnPairValuesAToBeGreaterThanB('id', 'x', { or_equal: true }),
  expect.columnValuesToBeIncreasing('id'),
]);
const strip = (r: ValidationResult) => ({ ...r, meta: { ...r.meta, validation_time: '' } });

for (const limits of [undefined, { maxDistinct: 300, maxExactQuantileValues: 1000 }]) {
  test(`arrays, row-by-row adds and merged chunks agree (limits ${JSON.stringify(limits)})`, () => {
    const plan = new MetricsPlan(s, limits ? { limits } : {});
    const whole = strip(plan.newAccumulator().addAll(rows).finish());
    const oneByOne = plan.newAccumulator();
    for (const row of rows) oneByOne.add(row);
    assert.deepStrictEqual(strip(oneByOne.finish()), whole);
    // Merged chunks: the same counts (ordering restarts per chunk and moments merge by Chan's formula, so only
    // the order-free, exact results are compared).
    const merged = plan.newAccumulator().addAll(rows.slice(0, 1000)).merge(plan.newAccumulator().addAll(rows.slice(1000, 5000))).merge(plan.newAccumulator().addAll(rows.slice(5000))).finish();
    for (const i of [0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13]) assert.deepStrictEqual(merged.results[i], whole.results[i], `expectation #${i}`);
    assert.equal(whole.meta.approximate, limits !== undefined);
  });
}

test('exact median and quantiles by selection equal those of a full sort', () => {
  const r = new MetricsPlan(s).newAccumulator().addAll(rows).finish();
  const xs = rows.map((row) => row.x).filter((x): x is number => typeof x === 'number' && !Number.isNaN(x)).sort((a, b) => a - b);
  const at = (q: number) => {
    const pos = q * (xs.length - 1);
    const lo = Math.floor(pos);
    return xs[lo]! + (xs[Math.ceil(pos)]! - xs[lo]!) * (pos - lo);
  };
  assert.equal(r.results[7]!.result.observed_value, at(0.5));
  const nearest = (r.results[8]!.result.observed_value as { values: number[] }).values;
  assert.deepEqual(nearest, [0, 0.1, 0.5, 0.9, 1].map((q) => xs[Math.round(q * (xs.length - 1))]));
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  assert.ok(Math.abs((r.results[9]!.result.observed_value as number) - mean) < 1e-9);
});

test('the distinct table keeps counts, first indexes and insertion order through growth', () => {
  const t = new DistinctTable(4);
  const keys: unknown[] = [];
  for (let i = 0; i < 5000; i++) {
    const key = i % 3 === 0 ? `k${i % 700}` : i % 3 === 1 ? (i % 900) * 1.5 : -(i % 400);
    let slot = t.find(key);
    if (slot < 0) {
      slot = t.insert(key, i);
      keys.push(key === 0 ? 0 : key);
    }
    t.counts[slot]!++;
  }
  assert.equal(t.size, keys.length);
  assert.deepEqual(Array.from({ length: t.size }, (_, s) => t.key(s)), keys);
  assert.equal(t.find(-0), t.find(0));
  assert.equal(Array.from(t.counts.subarray(0, t.size)).reduce((a, b) => a + b, 0), 5000);
});
