/**
 * The one-pass metrics of one column (or one tuple of columns): counts, extremes, moments, distinct values,
 * duplicates and quantiles — only those some expectation asked for. Exact while it fits in its budget; past it,
 * distinct counts move to a HyperLogLog sketch and quantiles to a KLL sketch, and the profile says `approximate`.
 *
 * Strategy (per value, on the hot path — no allocation for numbers and strings):
 *  1. Missing values (null, undefined, NaN) only bump `missing`.
 *  2. Extremes compare with `compareValues`; moments use Welford's update (stable mean and variance) plus a plain
 *     running sum, as pandas does.
 *  3. Distinct counts live in a Map from value key to count; the first index of each value and the first 20 repeat
 *     occurrences are kept when duplicates are wanted, so the partial list of duplicated values comes out in row
 *     order without a second pass (see `duplicates()`).
 *  4. Numbers for quantiles go to a growing Float64Array until `exactLimit`, then into a KLL sketch.
 */
import { approximateDistinctCount, approximateQuantiles, type HyperLogLogSketch, type KllSketch } from '../transforms/index.ts';
import { compareValues, numericValue, valueKey } from './values.ts';

/** Which metrics a profile keeps. */
export interface ProfileNeeds {
  extremes?: boolean;
  moments?: boolean;
  distinct?: boolean;
  duplicates?: boolean;
  quantiles?: boolean;
}

/** Memory budgets of a profile. */
export interface ProfileLimits {
  /** Distinct values held exactly before switching to HyperLogLog (default 1 000 000). */
  maxDistinct: number;
  /** Numbers held exactly for quantiles before switching to KLL (default 10 000 000 = 80 MB). */
  maxExactQuantileValues: number;
}

export const DEFAULT_LIMITS: ProfileLimits = { maxDistinct: 1_000_000, maxExactQuantileValues: 10_000_000 };

const PARTIAL = 20;
const hllFn = approximateDistinctCount({ precision: 14 });
const kllFn = approximateQuantiles<number>(2, { epsilon: 0.001 });

export class ColumnProfile {
  readonly needs: ProfileNeeds;
  readonly limits: ProfileLimits;
  elements = 0;
  missing = 0;
  /** Non-missing values that are not numeric (they make moments and quantiles undefined). */
  nonNumeric = 0;
  min: unknown = undefined;
  max: unknown = undefined;
  // Moments over numeric values (Welford), and the plain sum.
  numeric = 0;
  mean = 0;
  m2 = 0;
  sum = 0;
  // Distinct values: key → count (exact), or a sketch past the budget.
  counts: Map<unknown, number> | undefined;
  /** Original values of keys that are not the value itself (dates, objects). */
  originals: Map<unknown, unknown> | undefined;
  hll: HyperLogLogSketch | undefined;
  firstIndex: Map<unknown, number> | undefined;
  repeats: Array<[number, unknown]> = [];
  // Quantiles.
  exact: Float64Array | undefined;
  exactLength = 0;
  kll: KllSketch<number> | undefined;

  constructor(needs: ProfileNeeds, limits: ProfileLimits = DEFAULT_LIMITS) {
    this.needs = needs;
    this.limits = limits;
    if (needs.distinct || needs.duplicates) this.counts = new Map();
    if (needs.duplicates) this.firstIndex = new Map();
    if (needs.quantiles) this.exact = new Float64Array(1024);
  }

  /** Whether some metric is estimated by a sketch. */
  get approximate(): boolean {
    return this.hll !== undefined || this.kll !== undefined;
  }

  /** Adds the value of row number `index` (row order matters only for the duplicates' partial list). */
  add(value: unknown, index: number): void {
    this.elements++;
    if (value === null || value === undefined || (typeof value === 'number' && value !== value)) {
      this.missing++;
      return;
    }
    const needs = this.needs;
    if (needs.extremes) {
      if (this.min === undefined) this.min = this.max = value;
      else if (compareValues(value, this.min) < 0) this.min = value;
      else if (compareValues(value, this.max) > 0) this.max = value;
    }
    if (needs.moments || needs.quantiles) {
      const x = typeof value === 'number' ? value : numericValue(value);
      if (x === undefined) this.nonNumeric++;
      else {
        if (needs.moments) {
          const n = ++this.numeric;
          const d = x - this.mean;
          this.mean += d / n;
          this.m2 += d * (x - this.mean);
          this.sum += x;
        }
        if (needs.quantiles) this.addQuantileValue(x);
      }
    }
    if (this.counts !== undefined) this.addDistinct(value, index);
    else if (this.hll !== undefined) this.hll.add(valueKey(value));
  }

  private addDistinct(value: unknown, index: number): void {
    const counts = this.counts!;
    const key = typeof value === 'object' ? valueKey(value) : value;
    const seen = counts.get(key);
    if (seen === undefined) {
      if (counts.size >= this.limits.maxDistinct) {
        this.overflowDistinct();
        this.hll!.add(key);
        return;
      }
      // With duplicates wanted, a value seen once stores -(index + 1): one Map entry per distinct value; the first
      // index moves to `firstIndex` only when the value repeats.
      counts.set(key, this.firstIndex !== undefined ? -(index + 1) : 1);
      if (key !== value) (this.originals ??= new Map()).set(key, value);
    } else if (seen < 0) {
      counts.set(key, 2);
      this.firstIndex!.set(key, -seen - 1);
      if (this.repeats.length < PARTIAL) this.repeats.push([index, value]);
    } else {
      counts.set(key, seen + 1);
      if (this.firstIndex !== undefined && this.repeats.length < PARTIAL) this.repeats.push([index, value]);
    }
  }

  /** The count of a key's value (decoding the seen-once marker). */
  private static count(stored: number): number {
    return stored < 0 ? 1 : stored;
  }

  private overflowDistinct(): void {
    const hll = hllFn.createAccumulator();
    for (const key of this.counts!.keys()) hll.add(key);
    this.hll = hll;
    // Duplicates seen so far stay known (their count and first indexes); past the budget they are estimated.
    this.overflowDuplicates = this.duplicatesExact();
    this.counts = undefined;
    this.originals = undefined;
  }

  /** Exact duplicate statistics taken when the distinct budget overflowed. */
  overflowDuplicates: { unexpected: number; partial: unknown[] } | undefined;

  private addQuantileValue(x: number): void {
    if (this.kll !== undefined) {
      this.kll.add(x);
      return;
    }
    let exact = this.exact!;
    if (this.exactLength === exact.length) {
      if (exact.length >= this.limits.maxExactQuantileValues) {
        const kll = kllFn.createAccumulator();
        for (let i = 0; i < this.exactLength; i++) kll.add(exact[i]!);
        kll.add(x);
        this.kll = kll;
        this.exact = undefined;
        return;
      }
      const grown = new Float64Array(Math.min(exact.length * 2, this.limits.maxExactQuantileValues));
      grown.set(exact);
      this.exact = exact = grown;
    }
    exact[this.exactLength++] = x;
  }

  /** Non-missing values. */
  get present(): number {
    return this.elements - this.missing;
  }

  /** Number of distinct non-missing values (estimated past the budget). */
  get distinctCount(): number {
    if (this.counts !== undefined) return this.counts.size;
    return this.hll === undefined ? 0 : Math.round(this.hll.estimate());
  }

  /** The distinct values, sorted (undefined past the budget). */
  distinctValues(): unknown[] | undefined {
    if (this.counts === undefined) return undefined;
    const values = [...this.counts.keys()].map((k) => this.originals?.get(k) ?? k);
    return values.sort(compareValues);
  }

  /** Count of each distinct value (undefined past the budget). */
  valueCounts(): Map<unknown, number> | undefined {
    if (this.counts === undefined) return undefined;
    return new Map([...this.counts].map(([k, c]) => [this.originals?.get(k) ?? k, ColumnProfile.count(c)]));
  }

  /**
   * Every occurrence of a value seen more than once is unexpected (GE's `expect_column_values_to_be_unique`):
   * the count, and the first 20 such values in row order — the earliest of (first occurrences of repeated values)
   * and (later occurrences, kept as they came).
   */
  duplicates(): { unexpected: number; partial: unknown[]; approximate: boolean } {
    if (this.counts === undefined) {
      const before = this.overflowDuplicates ?? { unexpected: 0, partial: [] };
      // Past the budget: every value beyond the number of distinct ones is a repeat; first occurrences unknown.
      const estimate = Math.max(before.unexpected, this.present - this.distinctCount);
      return { unexpected: estimate, partial: before.partial, approximate: true };
    }
    return { ...this.duplicatesExact(), approximate: false };
  }

  private duplicatesExact(): { unexpected: number; partial: unknown[] } {
    let unexpected = 0;
    const firsts: Array<[number, unknown]> = [];
    for (const [key, count] of this.counts!) {
      if (count < 2) continue;
      unexpected += count;
      const first = this.firstIndex?.get(key);
      if (first !== undefined) firsts.push([first, this.originals?.get(key) ?? key]);
    }
    firsts.sort((a, b) => a[0] - b[0]);
    const merged = [...firsts.slice(0, PARTIAL), ...this.repeats].sort((a, b) => a[0] - b[0]);
    return { unexpected, partial: merged.slice(0, PARTIAL).map(([, v]) => v) };
  }

  /** Sample standard deviation (ddof = 1, pandas' `std()`); NaN under two values. */
  get stdev(): number {
    return this.numeric < 2 ? NaN : Math.sqrt(this.m2 / (this.numeric - 1));
  }

  /**
   * Quantiles by linear interpolation between closest ranks (pandas' default `quantile`; the median of an even
   * count is the mean of the two middle values). Past the budget, KLL's nearest-rank estimate.
   */
  quantiles(fractions: readonly number[], interpolation: 'linear' | 'nearest' = 'linear'): number[] {
    if (this.kll !== undefined) return this.kll.quantiles(fractions);
    const n = this.exactLength;
    if (n === 0) return fractions.map(() => NaN);
    const sorted = this.exact!.subarray(0, n).sort();
    return fractions.map((q) => {
      const pos = q * (n - 1);
      if (interpolation === 'nearest') return sorted[roundHalfEven(pos)]!;
      const lo = Math.floor(pos);
      const hi = Math.ceil(pos);
      return lo === hi ? sorted[lo]! : sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
    });
  }

  /** Folds another profile of the same column into this one (for combining across bundles and workers). */
  merge(other: ColumnProfile): this {
    const offset = this.elements;
    this.elements += other.elements;
    this.missing += other.missing;
    this.nonNumeric += other.nonNumeric;
    if (other.min !== undefined) {
      if (this.min === undefined || compareValues(other.min, this.min) < 0) this.min = other.min;
      if (this.max === undefined || compareValues(other.max, this.max) > 0) this.max = other.max;
    }
    if (other.numeric > 0) {
      // Chan et al.'s parallel variance.
      const n = this.numeric + other.numeric;
      const d = other.mean - this.mean;
      this.m2 += other.m2 + (d * d * this.numeric * other.numeric) / n;
      this.mean += (d * other.numeric) / n;
      this.numeric = n;
      this.sum += other.sum;
    }
    if (other.counts !== undefined && this.counts !== undefined) {
      for (const [key, stored] of other.counts) {
        const count = ColumnProfile.count(stored);
        const mine = this.counts.get(key);
        const otherFirst = stored < 0 ? -stored - 1 : other.firstIndex?.get(key);
        if (mine === undefined) {
          if (this.counts.size >= this.limits.maxDistinct) break;
          this.counts.set(key, this.firstIndex !== undefined && count === 1 && otherFirst !== undefined ? -(otherFirst + offset + 1) : count);
          const original = other.originals?.get(key);
          if (original !== undefined) (this.originals ??= new Map()).set(key, original);
          if (count > 1 && otherFirst !== undefined) this.firstIndex?.set(key, otherFirst + offset);
        } else {
          if (mine < 0) this.firstIndex?.set(key, -mine - 1);
          this.counts.set(key, ColumnProfile.count(mine) + count);
          // The other side's first occurrence is a repeat here.
          if (otherFirst !== undefined && this.firstIndex !== undefined && this.repeats.length < PARTIAL) this.repeats.push([otherFirst + offset, other.originals?.get(key) ?? key]);
        }
      }
      for (const [i, v] of other.repeats) if (this.repeats.length < PARTIAL) this.repeats.push([i + offset, v]);
    }
    if ((other.counts !== undefined || other.hll !== undefined) && (this.counts === undefined || this.counts.size >= this.limits.maxDistinct || other.hll !== undefined)) {
      if (this.hll === undefined && this.counts !== undefined) this.overflowDistinct();
      if (other.hll !== undefined) this.hll!.merge(other.hll);
      if (other.counts !== undefined) for (const key of other.counts.keys()) this.hll!.add(key);
    }
    if (other.kll !== undefined || other.exact !== undefined) {
      if (other.kll !== undefined) {
        if (this.kll === undefined) {
          const kll = kllFn.createAccumulator();
          for (let i = 0; i < this.exactLength; i++) kll.add(this.exact![i]!);
          this.kll = kll;
          this.exact = undefined;
        }
        this.kll.merge(other.kll);
      } else for (let i = 0; i < other.exactLength; i++) this.addQuantileValue(other.exact![i]!);
    }
    return this;
  }
}

function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x - Math.trunc(x)) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}
