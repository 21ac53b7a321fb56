// KS tests: p-values equal scipy's (reference values computed with scipy 1.17), exact and sketched (approximate)
// paths, bad arguments. The oracle test (test/integration/quality) compares many more cases with GE and scipy.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { expect, suite, validate } from './index.ts';
import { kolmogorovSf, ks2SampleSf, kstwoSf } from './kolmogorov.ts';
import { erfc } from './expectations/ks-test.ts';

const near = (a: number, b: number, rel = 1e-9) => assert.ok(Math.abs(a - b) <= rel * Math.abs(b) + 1e-300, `${a} vs ${b}`);

test('Kolmogorov distributions agree with scipy (kstwo.sf across its algorithm regions, kstwobign.sf)', () => {
  near(kstwoSf(0.3, 10), 0.27053557479999946); // Durbin matrix, n ≤ 140
  near(kstwoSf(0.05, 1000), 0.013012074781090332); // 2 × Smirnov tail (n·d² ≥ 2.2)
  near(kstwoSf(0.002, 200_000), 0.39995085369038097); // Pelz–Good
  near(kstwoSf(0.6, 50), 9.634070456142374e-18, 1e-6); // d ≥ 1/2: exact Smirnov
  near(kolmogorovSf(1.2), 0.11224966667072497);
  near(ks2SampleSf(8, 6, 2 / 3).pvalue, 0.0606060606060606); // ks_2samp([1..8], [2.5, 3.5, 9..12]): D = 2/3
  near(erfc(0.5), 0.4795001221869535);
  near(erfc(3), 2.209049699858544e-05);
  near(erfc(-1), 1.8427007929497148);
});

test('one-sample and two-sample KS expectations: p-values, success against p_value, details', () => {
  const rows = [0.1, 0.4, 0.35, 0.8, 0.95, null].map((x) => ({ x }));
  const r = validate(rows, suite('ks', [
    expect.columnParameterizedDistributionKsTestPValueToBeGreaterThan('x', 'uniform', { min: 0, max: 1 }),
    expect.columnTwoSampleKsTestPValueToBeGreaterThan('x', [5, 6, 7, 8, 9], { p_value: 0.01 }),
  ]));
  near(r.results[0]!.result.observed_value as number, 0.9615999999999999);
  assert.equal(r.results[0]!.success, true);
  assert.equal(r.results[0]!.result.missing_count, 1);
  // Disjoint samples of 5 and 5: p = 2 / C(10, 5).
  near(r.results[1]!.result.observed_value as number, 2 / 252);
  assert.equal(r.results[1]!.success, false);
});

test('past the exact budget the KS statistic comes from the KLL sketch and the result says approximate', () => {
  let s = 1;
  const rand = () => ((s = (s * 16807) % 2147483647) / 2147483647);
  const rows = Array.from({ length: 60_000 }, () => ({ x: rand() }));
  const ks = suite('ks', [expect.columnParameterizedDistributionKsTestPValueToBeGreaterThan('x', 'uniform', { min: 0, max: 1 })]);
  const exact = validate(rows, ks).results[0]!;
  const sketched = validate(rows, ks, { limits: { maxExactQuantileValues: 5000 } }).results[0]!;
  assert.equal(exact.approximate, undefined);
  assert.equal(sketched.approximate, true);
  const d = (x: typeof exact) => (x.result.details as { observed_ks_result: { statistic: number } }).observed_ks_result.statistic;
  assert.ok(Math.abs(d(exact) - d(sketched)) < 0.01, `${d(exact)} vs ${d(sketched)}`);
  assert.equal(sketched.success, true);
  // A shifted distribution fails either way.
  const shifted = suite('ks', [expect.columnParameterizedDistributionKsTestPValueToBeGreaterThan('x', 'uniform', { min: 0.05, max: 1 })]);
  assert.equal(validate(rows, shifted, { limits: { maxExactQuantileValues: 5000 } }).results[0]!.success, false);
});

test('bad KS arguments are named', () => {
  assert.throws(() => validate([], suite('x', [{ expectation_type: 'expect_column_parameterized_distribution_ks_test_p_value_to_be_greater_than', kwargs: { column: 'x', distribution: 'cauchy' } }])), /distribution: expected one of norm, uniform, expon, got the string "cauchy"/);
  assert.throws(() => validate([], suite('x', [{ expectation_type: 'expect_column_parameterized_distribution_ks_test_p_value_to_be_greater_than', kwargs: { column: 'x', distribution: 'norm', params: { mean: 0, std_dev: -1 } } }])), /'std_dev' must be positive/);
  assert.throws(() => validate([], suite('x', [{ expectation_type: 'expect_column_two_sample_ks_test_p_value_to_be_greater_than', kwargs: { column: 'x', reference_sample: [] } }])), /reference_sample/);
  const strings = validate([{ x: 'a' }], suite('x', [expect.columnTwoSampleKsTestPValueToBeGreaterThan('x', [1])])).results[0]!;
  assert.match(strings.exception_info.exception_message!, /non-numeric/);
});

test('KL divergence over continuous bins: bad partitions are named', () => {
  const kl = (partition_object: unknown) => validate([{ x: 1 }], suite('x', [{ expectation_type: 'expect_column_kl_divergence_to_be_less_than', kwargs: { column: 'x', partition_object, threshold: 0.1 } }]));
  assert.throws(() => kl({ bins: [0, 2, 1], weights: [0.5, 0.5] }), /bins must increase/);
  assert.throws(() => kl({ bins: [0, 1, 2], weights: [0.5] }), /weights must be 2 non-negative numbers/);
  assert.throws(() => kl({ bins: [0, 1, 2], weights: [0.5, 0.4] }), /must sum to 1/);
  assert.equal(kl({ bins: [0, 1, 2], weights: [0.5, 0.5] }).results[0]!.result.observed_value, Math.log(2));
});
