import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Pipeline, assertThat, create } from '../index.ts';
import { expect, gate, isDateutilParseable, MetricsPlan, suite, toHtml, toMarkdown, validate, type ValidationResult } from './index.ts';

const rows = [
  { id: 1, amount: 10, status: 'new', at: '2024-01-01' },
  { id: 2, amount: 20, status: 'new', at: '2024-01-02' },
  { id: 2, amount: null, status: 'old', at: 'not a date' },
  { id: 4, amount: 40, status: 'bogus', at: '2024-02-30' },
];

test('column-map semantics: missing values excluded from the percent, mostly over non-missing', () => {
  const r = validate(rows, suite('s', [expect.columnValuesToBeBetween('amount', { min_value: 15, mostly: 0.6 }), expect.columnValuesToBeInSet('status', ['new', 'old'], { mostly: 0.8 })]));
  assert.deepEqual(r.results[0]!.result, {
    element_count: 4, unexpected_count: 1, unexpected_percent: (1 / 3) * 100, partial_unexpected_list: [10], missing_count: 1, missing_percent: 25, unexpected_percent_total: 25, unexpected_percent_nonmissing: (1 / 3) * 100,
  });
  assert.equal(r.results[0]!.success, true);
  assert.equal(r.results[1]!.success, false);
  assert.deepEqual(r.statistics, { evaluated_expectations: 2, successful_expectations: 1, unsuccessful_expectations: 1, success_percent: 50 });
});

test('aggregates: median of an even count, sample stdev, distinct sets, uniqueness partial list in row order', () => {
  const data = [3, 1, 4, 1, 5, 9, 2, 6].map((x, i) => ({ x, i }));
  const r = validate(data, suite('s', [
    expect.columnMedianToBeBetween('x', { min_value: 3.5, max_value: 3.5 }),
    expect.columnStdevToBeBetween('x', { min_value: 0 }),
    expect.columnValuesToBeUnique('x'),
    expect.columnDistinctValuesToEqualSet('x', [1, 2, 3, 4, 5, 6, 9]),
    expect.columnUniqueValueCountToBeBetween('x', { min_value: 7, max_value: 7 }),
  ]));
  assert.equal(r.results[0]!.result.observed_value, 3.5);
  assert.ok(Math.abs((r.results[1]!.result.observed_value as number) - 2.748376143938713) < 1e-12);
  assert.deepEqual(r.results[2]!.result.partial_unexpected_list, [1, 1]);
  assert.equal(r.results[3]!.success, true);
  assert.equal(r.results[4]!.success, true);
});

test('past the budget, sketches stand in and results say approximate', () => {
  const data = Array.from({ length: 5000 }, (_, i) => ({ x: i % 3000 }));
  const s = suite('s', [expect.columnUniqueValueCountToBeBetween('x', { min_value: 2900, max_value: 3100 }), expect.columnMedianToBeBetween('x', { min_value: 1100, max_value: 1400 })]);
  const r = validate(data, new MetricsPlan(s, { limits: { maxDistinct: 100, maxExactQuantileValues: 1024 } }));
  assert.equal(r.meta.approximate, true);
  assert.ok(r.results.every((x) => x.success && x.approximate === true), JSON.stringify(r.results.map((x) => x.result.observed_value)));
});

test('merged accumulators give the same result as one pass', () => {
  const s = suite('s', [expect.columnValuesToBeUnique('id'), expect.columnMeanToBeBetween('amount', { min_value: 0 }), expect.columnValuesToBeDateutilParseable('at')]);
  const plan = new MetricsPlan(s);
  const whole = plan.newAccumulator().addAll(rows).finish();
  const merged = plan.newAccumulator().addAll(rows.slice(0, 2)).merge(plan.newAccumulator().addAll(rows.slice(2))).finish();
  assert.deepEqual(merged.results, whole.results);
});

test('a missing column fails the expectation with an exception, as GE does', () => {
  const r = validate(rows, suite('s', [expect.columnValuesToNotBeNull('nope')]));
  assert.equal(r.results[0]!.success, false);
  assert.match(r.results[0]!.exception_info.exception_message!, /"nope"/);
});

test('dateutil subset', () => {
  for (const ok of ['2024-01-05', '2024-01-05T10:00:00Z', '2024-01-05 10:00:00+02:00', '1/5/2024', 'Jan 5 2024', '5 January 2024', 'Thu, 05 Jan 2024 10:00:00 GMT', '10:30', '20240105']) assert.ok(isDateutilParseable(ok), ok);
  for (const bad of ['', 'not a date', '2024-02-30', '2024-13-01', '25:00', 'yesterday']) assert.ok(!isDateutilParseable(bad), bad);
});

test('reports: Markdown and HTML name failed expectations and observed values', () => {
  const r = validate(rows, suite('orders', [expect.columnValuesToBeInSet('status', ['new', 'old']), expect.tableRowCountToEqual(4)]));
  const md = toMarkdown(r);
  assert.match(md, /❌ orders: failed/);
  assert.match(md, /\| \*\*FAIL\*\* \| expect_column_values_to_be_in_set \| .* \| 1 unexpected of 4 \(25%\), e.g. "bogus" \|/);
  const html = toHtml(r);
  assert.match(html, /<title>orders — validation<\/title>/);
  assert.ok(html.indexOf('FAIL') < html.indexOf('>pass<'));
});

test('quality.validate in a pipeline: quarantine with reasons, per-window results; gate fails the job', async () => {
  const s = suite('orders', [expect.columnValuesToBeInSet('status', ['new', 'old']), expect.columnValuesToBeUnique('id'), expect.rowsToSatisfy('amount present for new orders', (r: { status: string; amount: number | null }) => r.status !== 'new' || r.amount !== null)]);
  const p = Pipeline.create();
  const { valid, quarantine, results } = p.apply(create(rows)).apply(validate(s));
  assertThat(valid.map((r) => r.id)).containsInAnyOrder([1, 2, 2]);
  assertThat(quarantine).satisfies((got) => {
    assert.equal(got.length, 1);
    const q = got[0]!.value;
    assert.equal(q.row.id, 4);
    assert.deepEqual(q.failures, [{ expectation: 'expect_column_values_to_be_in_set', column: 'status', reason: 'status="bogus" is not in ["new","old"]' }]);
  });
  assertThat(results).satisfies((got) => {
    const r = got[0]!.value as ValidationResult;
    assert.deepEqual(r.results.map((x) => x.success), [false, false, true]);
  });
  await p.run();

  const g = Pipeline.create();
  g.apply(create(rows)).apply(gate(s));
  await assert.rejects(g.run(), /quality gate 'orders' failed: 2 of 3 expectations failed: expect_column_values_to_be_in_set\(status\), expect_column_values_to_be_unique\(id\)/);
});

test('uniqueness past the distinct budget: sketch noise is not taken for repeats, real repeats still fail', () => {
  const s = suite('s', [expect.columnValuesToBeUnique('id')]);
  const limits = { maxDistinct: 1000 };
  const unique = validate(Array.from({ length: 50_000 }, (_, i) => ({ id: i * 7 + 1 })), s, { limits }).results[0]!;
  assert.equal(unique.approximate, true);
  assert.equal(unique.success, true, JSON.stringify(unique.result));
  const repeated = validate(Array.from({ length: 50_000 }, (_, i) => ({ id: i % 40_000 })), s, { limits }).results[0]!;
  assert.equal(repeated.success, false);
  assert.ok(Math.abs(repeated.result.unexpected_count! - 10_000) < 1500, String(repeated.result.unexpected_count));
});
