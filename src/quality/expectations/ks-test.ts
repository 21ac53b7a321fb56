/**
 * Kolmogorov–Smirnov tests of a column's distribution:
 *
 *  - `expect_column_parameterized_distribution_ks_test_p_value_to_be_greater_than` (GE's name and kwargs): one-sample
 *    KS against a parameterized distribution — `norm` (`params: { mean, std_dev }`), `uniform` (`{ min, max }`, read
 *    as GE passes them to scipy: loc = min, scale = max), `expon` (`{ loc, scale }`), or a positional list of scipy's
 *    arguments. p-value as scipy.stats.kstest (the exact distribution of Dn; see kolmogorov.ts); success when
 *    p ≥ `p_value` (default 0.05).
 *  - `expect_column_two_sample_ks_test_p_value_to_be_greater_than` (Riffle's; GE 0.18 has no two-sample KS
 *    expectation): the column against a `reference_sample` of numbers, p-value as scipy.stats.ks_2samp (exact up to
 *    10 000 values per sample, asymptotic beyond).
 *
 * Streaming: the column's numbers are held exactly up to the profile's quantile budget (`maxExactQuantileValues`,
 * 10M by default), then summarized by the KLL sketch; D is then computed from the sketch's weighted items and the
 * result says `approximate` (D is within about the sketch's rank error, and the p-value is no better than that).
 * Missing values are skipped (GE hands scipy the raw column, where a NaN makes the p-value NaN and the test fail).
 */
import type { ColumnProfile } from '../column-profile.ts';
import { columnOf, columnProfile, missingCounts, type CompiledExpectation, type Kwargs } from '../expectation.ts';
import { ks2SampleSf, kstwoSf } from '../kolmogorov.ts';
import { SuiteError } from '../quality-error.ts';
import type { ExpectationConfig } from '../result.ts';

/** Sorted values with weights (all 1 when exact). */
interface Sample {
  readonly values: Float64Array;
  /** Undefined: every value counts once. */
  readonly weights?: Float64Array;
  readonly n: number;
  readonly approximate: boolean;
}

/** The column's numbers, sorted: exact, or the KLL sketch's weighted items. */
function sampleOf(p: ColumnProfile, type: string, column: string): Sample {
  if (p.nonNumeric > 0) throw new SuiteError(`${type} on '${column}': ${p.nonNumeric} non-numeric values`);
  if (p.kll === undefined) {
    const values = p.exact!.subarray(0, p.exactLength).sort();
    return { values, n: values.length, approximate: false };
  }
  const items: Array<[number, number]> = [];
  p.kll.levels.forEach((level, h) => {
    for (const v of level) items.push([v, 2 ** h]);
  });
  items.sort((a, b) => a[0] - b[0]);
  return { values: Float64Array.from(items, (x) => x[0]), weights: Float64Array.from(items, (x) => x[1]), n: p.kll.n, approximate: true };
}

// ---- distributions ----

/** erfc(x), to about 1e-15 relative: a positive-term series for |x| ≤ 2, Lentz's continued fraction beyond. */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x < 0) return 2 - erfc(-x);
  if (x <= 2) {
    // erf(x) = 2/√π e^(−x²) Σ 2ⁿ x^(2n+1) / (1·3·…·(2n+1))
    let term = x;
    let sum = x;
    for (let n = 1; n < 200; n++) {
      term *= (2 * x * x) / (2 * n + 1);
      sum += term;
      if (term < 1e-17 * sum) break;
    }
    return 1 - (2 / Math.sqrt(Math.PI)) * Math.exp(-x * x) * sum;
  }
  if (x > 27) return 0;
  // erfc(x) = e^(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + …))))), evaluated by modified Lentz.
  const tiny = 1e-300;
  let f = x;
  let c = x;
  let d = 0;
  for (let i = 1; i < 500; i++) {
    const a = i / 2;
    d = x + a * d;
    d = d === 0 ? tiny : 1 / d;
    c = x + a / c;
    if (c === 0) c = tiny;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(-x * x) / Math.sqrt(Math.PI) / f;
}

type Cdf = (x: number) => number;

interface Distribution {
  readonly cdf: Cdf;
  /** The positional arguments as scipy takes them (reported like GE's `expected_params`). */
  readonly positional: number[];
}

function positiveScale(type: string, name: string, v: number): number {
  if (!(v > 0)) throw new SuiteError(`${type}: '${name}' must be positive, got ${v}`);
  return v;
}

/** A distribution from GE's `distribution` and `params` (a dict of named parameters or scipy's positional list). */
function distribution(type: string, name: unknown, params: unknown): Distribution {
  const list = Array.isArray(params) ? params : undefined;
  const dict = list === undefined && typeof params === 'object' && params !== null ? (params as Record<string, unknown>) : undefined;
  if (params !== undefined && params !== null && list === undefined && dict === undefined) throw new SuiteError(`${type}: 'params' must be a mapping or a list of numbers`);
  const num = (key: string, index: number, fallback?: number): number => {
    const v = list !== undefined ? list[index] : dict?.[key];
    if (v === undefined || v === null) {
      if (fallback !== undefined) return fallback;
      throw new SuiteError(`${type}: the ${String(name)} distribution needs '${key}' in params`, { hint: `params: { ${key}: ... }` });
    }
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new SuiteError(`${type}: params.${key} must be a number, got ${JSON.stringify(v)}`);
    return v;
  };
  switch (name) {
    case 'norm': {
      const mean = num('mean', 0, 0);
      const sd = positiveScale(type, 'std_dev', num('std_dev', 1, 1));
      return { cdf: (x) => 0.5 * erfc(-(x - mean) / (sd * Math.SQRT2)), positional: [mean, sd] };
    }
    case 'uniform': {
      // GE passes (min, max) as scipy's (loc, scale): the support is [min, min + max].
      const loc = list !== undefined ? num('loc', 0, 0) : dict?.min !== undefined ? num('min', 0) : num('loc', 0, 0);
      const scale = positiveScale(type, 'scale', list !== undefined ? num('scale', 1, 1) : dict?.max !== undefined ? num('max', 1) : num('scale', 1, 1));
      return { cdf: (x) => (x <= loc ? 0 : x >= loc + scale ? 1 : (x - loc) / scale), positional: [loc, scale] };
    }
    case 'expon': {
      const loc = num('loc', 0, 0);
      const scale = positiveScale(type, 'scale', num('scale', 1, 1));
      return { cdf: (x) => (x <= loc ? 0 : -Math.expm1(-(x - loc) / scale)), positional: [loc, scale] };
    }
    default:
      throw new SuiteError(`${type}: distribution ${JSON.stringify(name)} is not supported`, { hint: "use 'norm', 'uniform' or 'expon'" });
  }
}

// ---- statistics ----

/** The two-sided one-sample statistic sup |F̂(x) − F(x)| over a sorted (weighted) sample. */
export function oneSampleD(s: Sample, cdf: Cdf): number {
  let d = 0;
  let below = 0;
  const { values, weights, n } = s;
  for (let i = 0; i < values.length; i++) {
    const f = cdf(values[i]!);
    const above = below + (weights === undefined ? 1 : weights[i]!);
    const plus = above / n - f;
    const minus = f - below / n;
    if (plus > d) d = plus;
    if (minus > d) d = minus;
    below = above;
  }
  return d;
}

/** The two-sample statistic sup |F̂1(x) − F̂2(x)| (ties advance both samples together). */
export function twoSampleD(a: Sample, b: Sample): number {
  let i = 0;
  let j = 0;
  let ca = 0;
  let cb = 0;
  let d = 0;
  const wa = (k: number) => (a.weights === undefined ? 1 : a.weights[k]!);
  const wb = (k: number) => (b.weights === undefined ? 1 : b.weights[k]!);
  while (i < a.values.length || j < b.values.length) {
    const x = j >= b.values.length || (i < a.values.length && a.values[i]! <= b.values[j]!) ? a.values[i]! : b.values[j]!;
    while (i < a.values.length && a.values[i]! === x) ca += wa(i++);
    while (j < b.values.length && b.values[j]! === x) cb += wb(j++);
    const diff = Math.abs(ca / a.n - cb / b.n);
    if (diff > d) d = diff;
  }
  return d;
}

function pValueThreshold(type: string, args: Kwargs, name: string): number {
  const p = args.optionalNumber(name) ?? 0.05;
  if (!(p > 0 && p < 1)) throw new SuiteError(`${type}: '${name}' must be between 0 and 1 exclusive, got ${p}`);
  return p;
}

/** A KS test of a column's sample: `test` gives the p-value and GE's details; passes when p ≥ `p_value`. */
function ksTest(config: ExpectationConfig, args: Kwargs, test: (sample: Sample) => { pvalue: number; details: Record<string, unknown> }): CompiledExpectation {
  const column = columnOf(args);
  const type = config.expectation_type;
  const threshold = pValueThreshold(type, args, 'p_value');
  return {
    config,
    columns: [column],
    profiles: [columnProfile(column, { quantiles: true })],
    evaluate: (m) => {
      const p = m.profile(column);
      const sample = sampleOf(p, type, column);
      if (sample.n === 0) throw new SuiteError(`${type} on '${column}': no values to test`);
      const { pvalue, details } = test(sample);
      return {
        success: pvalue >= threshold,
        result: { observed_value: pvalue, ...missingCounts(p), details },
        ...(sample.approximate ? { approximate: true } : {}),
      };
    },
  };
}

export function parameterizedKsTest(config: ExpectationConfig, args: Kwargs): CompiledExpectation {
  const dist = distribution(config.expectation_type, args.raw.distribution, args.raw.params);
  return ksTest(config, args, (sample) => {
    const statistic = oneSampleD(sample, dist.cdf);
    const pvalue = kstwoSf(statistic, sample.n);
    return { pvalue, details: { expected_params: dist.positional, observed_ks_result: { statistic, pvalue }, sample_size: sample.n } };
  });
}

export function twoSampleKsTest(config: ExpectationConfig, args: Kwargs): CompiledExpectation {
  const type = config.expectation_type;
  const raw = args.list('reference_sample');
  if (raw.length === 0 || !raw.every((v) => typeof v === 'number' && Number.isFinite(v))) throw new SuiteError(`${type}: 'reference_sample' must be a non-empty list of finite numbers`);
  const reference: Sample = { values: Float64Array.from(raw as number[]).sort(), n: raw.length, approximate: false };
  return ksTest(config, args, (sample) => {
    const statistic = twoSampleD(sample, reference);
    const { pvalue, method } = ks2SampleSf(sample.n, reference.n, statistic);
    return { pvalue, details: { observed_ks_result: { statistic, pvalue }, method, sample_size: sample.n, reference_size: reference.n } };
  });
}
