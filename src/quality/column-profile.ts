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
import { compareUtf8 } from '../model/index.ts';
import { approximateDistinctCount, approximateQuantiles, type HyperLogLogSketch, type KllSketch } from '../transforms/index.ts';
import { Tag, type ColumnBatch } from './column-batch.ts';
import { DistinctTable } from './distinct-table.ts';
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
const HLL_PRECISION = 14;
/** The HyperLogLog's relative standard error at this precision. */
const HLL_RELATIVE_ERROR = 1.04 / Math.sqrt(2 ** HLL_PRECISION);
const hllFn = approximateDistinctCount({ precision: HLL_PRECISION });
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
  /** Distinct values: key → count and first index (exact), or a sketch past the budget. */
  table: DistinctTable | undefined;
  /** Original values of keys that are not the value itself (dates, objects). */
  originals: Map<unknown, unknown> | undefined;
  hll: HyperLogLogSketch | undefined;
  /** Whether repeated values (for uniqueness) are tracked. */
  readonly duplicatesWanted: boolean;
  repeats: Array<[number, unknown]> = [];
  // Quantiles.
  exact: Float64Array | undefined;
  exactLength = 0;
  kll: KllSketch<number> | undefined;

  constructor(needs: ProfileNeeds, limits: ProfileLimits = DEFAULT_LIMITS) {
    this.needs = needs;
    this.limits = limits;
    this.duplicatesWanted = needs.duplicates === true;
    if (needs.distinct || needs.duplicates) this.table = new DistinctTable();
    if (needs.quantiles) {
      this.#exactBuffer = growableBuffer(1024 * 8, Math.max(1024, limits.maxExactQuantileValues) * 8);
      this.exact = this.#exactBuffer ? new Float64Array(this.#exactBuffer, 0, 1024) : new Float64Array(1024);
    }
  }

  /**
   * The memory of the exact quantile values when it can grow in place (a resizable ArrayBuffer: address space
   * reserved up to the budget, pages used as values arrive): growing never holds the old and the new array at once
   * (at 10M values, 67 + 80 MB while copying), nor copies.
   */
  #exactBuffer: ResizableBuffer | undefined;

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
    this.addPresent(value, index);
  }

  private addPresent(value: unknown, index: number): void {
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
    if (this.table !== undefined) this.addDistinct(typeof value === 'object' ? valueKey(value) : value, value, index);
    else if (this.hll !== undefined) this.hll.add(valueKey(value));
  }

  /**
   * Adds a batch of one column whose first row is row number `base`: the same state as `add` value by value, in
   * one typed loop per metric. Batches holding dates, bigints, booleans or objects take the value-by-value path.
   */
  addBatch(batch: ColumnBatch, base: number): void {
    const n = batch.length;
    const { values, tags, nums } = batch;
    if (batch.others > 0) {
      for (let i = 0; i < n; i++) this.add(tags[i] === Tag.number ? nums[i] : values[i], base + i);
      return;
    }
    this.elements += n;
    this.missing += batch.missing;
    if (batch.missing === n) return;
    const needs = this.needs;
    if (needs.extremes) this.batchExtremes(batch);
    if (needs.moments || needs.quantiles) {
      this.nonNumeric += batch.strings;
      if (batch.numbers > 0) {
        if (needs.moments) {
          let count = this.numeric;
          let mean = this.mean;
          let m2 = this.m2;
          let sum = this.sum;
          for (let i = 0; i < n; i++) {
            if (tags[i] !== Tag.number) continue;
            const x = nums[i]!;
            const d = x - mean;
            mean += d / ++count;
            m2 += d * (x - mean);
            sum += x;
          }
          this.numeric = count;
          this.mean = mean;
          this.m2 = m2;
          this.sum = sum;
        }
        if (needs.quantiles) {
          const exact = this.exact;
          if (exact !== undefined && this.exactLength + batch.numbers <= exact.length) {
            let len = this.exactLength;
            for (let i = 0; i < n; i++) if (tags[i] === Tag.number) exact[len++] = nums[i]!;
            this.exactLength = len;
          } else for (let i = 0; i < n; i++) if (tags[i] === Tag.number) this.addQuantileValue(nums[i]!);
        }
      }
    }
    if (this.table !== undefined || this.hll !== undefined) {
      for (let i = 0; i < n; i++) {
        const t = tags[i];
        if (t === Tag.missing) continue;
        if (t === Tag.number) {
          // A number's value is nums[i] (values[i] is not written for numbers read from a Float64Array).
          const x = nums[i]!;
          if (this.table === undefined) this.hll!.add(x);
          else this.addDistinctNumber(x, x, base + i);
          continue;
        }
        const v = values[i];
        if (this.table === undefined) this.hll!.add(v);
        else this.addDistinct(v, v, base + i);
      }
    }
  }

  /** Min and max of a batch of numbers, strings and missing values (numbers order before strings). */
  private batchExtremes(batch: ColumnBatch): void {
    const { values, tags, nums } = batch;
    const n = batch.length;
    let lo = 0;
    let hi = 0;
    let slo: string | undefined;
    let shi: string | undefined;
    if (batch.numbers > 0) {
      let i = 0;
      while (tags[i] !== Tag.number) i++;
      lo = hi = nums[i]!;
      for (i++; i < n; i++) {
        if (tags[i] !== Tag.number) continue;
        const x = nums[i]!;
        if (x < lo) lo = x;
        else if (x > hi) hi = x;
      }
    }
    if (batch.strings > 0) {
      for (let i = 0; i < n; i++) {
        if (tags[i] !== Tag.string) continue;
        const s = values[i] as string;
        if (slo === undefined) slo = shi = s;
        else if (compareUtf8(s, slo) < 0) slo = s; // code point order, as Python (GE) and Delta statistics
        else if (compareUtf8(s, shi!) > 0) shi = s;
      }
    }
    const min = batch.numbers > 0 ? lo : slo;
    const max = batch.strings > 0 ? shi : hi;
    if (this.min === undefined) {
      this.min = min;
      this.max = max;
      return;
    }
    if (compareValues(min, this.min) < 0) this.min = min;
    if (compareValues(max, this.max) > 0) this.max = max;
  }

  /**
   * A value found at `slot` counts once more; a new one past the distinct budget moves the column to the sketch.
   * True when the value is accounted for; false when the caller must insert it.
   */
  private countKnownOrOverflow(slot: number, key: unknown, value: unknown, index: number): boolean {
    const table = this.table!;
    if (slot >= 0) {
      table.counts[slot]!++;
      if (this.duplicatesWanted && this.repeats.length < PARTIAL) this.repeats.push([index, value]);
      return true;
    }
    if (table.size >= this.limits.maxDistinct) {
      this.overflowDistinct();
      this.hll!.add(key);
      return true;
    }
    return false;
  }

  private addDistinctNumber(key: number, value: unknown, index: number): void {
    const table = this.table!;
    if (this.countKnownOrOverflow(table.findNumber(key), key, value, index)) return;
    const inserted = table.insertNumber(key, index);
    table.counts[inserted] = 1; // (after the insert: it may grow the arrays)
  }

  private addDistinct(key: unknown, value: unknown, index: number): void {
    if (typeof key === 'number') {
      this.addDistinctNumber(key, value, index);
      if (key !== value && this.table !== undefined && this.table.counts[this.table.findNumber(key)] === 1) (this.originals ??= new Map()).set(key, value);
      return;
    }
    const table = this.table!;
    if (this.countKnownOrOverflow(table.findOther(key), key, value, index)) return;
    const inserted = table.insertOther(key, index);
    table.counts[inserted] = 1;
    if (key !== value) (this.originals ??= new Map()).set(key, value);
  }

  private overflowDistinct(): void {
    const hll = hllFn.createAccumulator();
    const table = this.table!;
    for (let s = 0; s < table.size; s++) hll.add(table.key(s));
    this.hll = hll;
    // Duplicates seen so far stay known (their count and first indexes); past the budget they are estimated.
    this.overflowDuplicates = this.duplicatesExact();
    this.table = undefined;
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
        this.#exactBuffer = undefined;
        return;
      }
      const size = Math.min(exact.length * 2, this.limits.maxExactQuantileValues);
      if (this.#exactBuffer !== undefined) {
        this.#exactBuffer.resize(size * 8);
        this.exact = exact = new Float64Array(this.#exactBuffer, 0, size);
      } else {
        const grown = new Float64Array(size);
        grown.set(exact);
        this.exact = exact = grown;
      }
    }
    exact[this.exactLength++] = x;
  }

  /** Non-missing values. */
  get present(): number {
    return this.elements - this.missing;
  }

  /** Number of distinct non-missing values (estimated past the budget). */
  get distinctCount(): number {
    if (this.table !== undefined) return this.table.size;
    return this.hll === undefined ? 0 : Math.round(this.hll.estimate());
  }

  private original(key: unknown): unknown {
    return this.originals?.get(key) ?? key;
  }

  /** The distinct values, sorted (undefined past the budget). */
  distinctValues(): unknown[] | undefined {
    const table = this.table;
    if (table === undefined) return undefined;
    const values: unknown[] = [];
    for (let s = 0; s < table.size; s++) values.push(this.original(table.key(s)));
    return values.sort(compareValues);
  }

  /** Count of each distinct value, in first-seen order (undefined past the budget). */
  valueCounts(): Map<unknown, number> | undefined {
    const table = this.table;
    if (table === undefined) return undefined;
    const out = new Map<unknown, number>();
    for (let s = 0; s < table.size; s++) out.set(this.original(table.key(s)), table.counts[s]!);
    return out;
  }

  /**
   * Every occurrence of a value seen more than once is unexpected (GE's `expect_column_values_to_be_unique`):
   * the count, and the first 20 such values in row order — the earliest of (first occurrences of repeated values)
   * and (later occurrences, kept as they came).
   */
  duplicates(): { unexpected: number; partial: unknown[]; approximate: boolean } {
    if (this.table === undefined) {
      const before = this.overflowDuplicates ?? { unexpected: 0, partial: [] };
      // Past the budget: every value beyond the number of distinct ones is a repeat; first occurrences unknown. A
      // shortfall within three standard errors of the sketch (1.04/√2^14 ≈ 0.8 %) is sketch noise, not evidence of
      // repeats: then only the repeats counted exactly before the overflow are reported (still approximate).
      const distinct = this.distinctCount;
      const beyond = this.present - distinct;
      const resolution = 3 * HLL_RELATIVE_ERROR * distinct;
      const estimate = Math.max(before.unexpected, beyond > resolution ? beyond : 0);
      return { unexpected: estimate, partial: before.partial, approximate: true };
    }
    return { ...this.duplicatesExact(), approximate: false };
  }

  private duplicatesExact(): { unexpected: number; partial: unknown[] } {
    let unexpected = 0;
    const firsts: Array<[number, unknown]> = [];
    const table = this.table!;
    const { counts, first } = table;
    for (let s = 0; s < table.size; s++) {
      const count = counts[s]!;
      if (count < 2) continue;
      unexpected += count;
      if (this.duplicatesWanted) firsts.push([first[s]!, this.original(table.key(s))]);
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
   * count is the mean of the two middle values). Past the budget, KLL's nearest-rank estimate. Exact values are
   * selected in place (quickselect), not sorted.
   */
  quantiles(fractions: readonly number[], interpolation: 'linear' | 'nearest' = 'linear'): number[] {
    if (this.kll !== undefined) return this.kll.quantiles(fractions);
    const n = this.exactLength;
    if (n === 0) return fractions.map(() => NaN);
    const ranks = new Set<number>();
    for (const q of fractions) {
      const pos = q * (n - 1);
      if (interpolation === 'nearest') ranks.add(roundHalfEven(pos));
      else {
        ranks.add(Math.floor(pos));
        ranks.add(Math.ceil(pos));
      }
    }
    const at = rankValues(this.exact!.subarray(0, n), [...ranks].sort((a, b) => a - b));
    return fractions.map((q) => {
      const pos = q * (n - 1);
      if (interpolation === 'nearest') return at.get(roundHalfEven(pos))!;
      const lo = Math.floor(pos);
      const hi = Math.ceil(pos);
      return lo === hi ? at.get(lo)! : at.get(lo)! + (at.get(hi)! - at.get(lo)!) * (pos - lo);
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
    const mine = this.table;
    const theirs = other.table;
    if (theirs !== undefined && mine !== undefined) {
      for (let os = 0; os < theirs.size; os++) {
        const key = theirs.key(os);
        const count = theirs.counts[os]!;
        const otherFirst = theirs.first[os]! + offset;
        const slot = mine.find(key);
        if (slot < 0) {
          if (mine.size >= this.limits.maxDistinct) break;
          const inserted = mine.insert(key, otherFirst);
          mine.counts[inserted] = count;
          const original = other.originals?.get(key);
          if (original !== undefined) (this.originals ??= new Map()).set(key, original);
        } else {
          mine.counts[slot]! += count;
          // The other side's first occurrence is a repeat here.
          if (this.duplicatesWanted && this.repeats.length < PARTIAL) this.repeats.push([otherFirst, other.originals?.get(key) ?? key]);
        }
      }
      for (const [i, v] of other.repeats) if (this.repeats.length < PARTIAL) this.repeats.push([i + offset, v]);
    }
    if ((theirs !== undefined || other.hll !== undefined) && (this.table === undefined || this.table.size >= this.limits.maxDistinct || other.hll !== undefined)) {
      if (this.hll === undefined && this.table !== undefined) this.overflowDistinct();
      if (other.hll !== undefined) this.hll!.merge(other.hll);
      if (theirs !== undefined) for (let s = 0; s < theirs.size; s++) this.hll!.add(theirs.key(s));
    }
    if (other.kll !== undefined || other.exact !== undefined) {
      if (other.kll !== undefined) {
        if (this.kll === undefined) {
          const kll = kllFn.createAccumulator();
          for (let i = 0; i < this.exactLength; i++) kll.add(this.exact![i]!);
          this.kll = kll;
          this.exact = undefined;
          this.#exactBuffer = undefined;
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

/**
 * The values at the given ranks (ascending) of `values` in sorted order, reordering `values` in place (as the sort
 * before it did; no copy, so no second buffer): quickselect for a few ranks, a sort for many. Zeros carry the
 * sign a sort gives them (-0 sorts before +0).
 */
function rankValues(values: Float64Array, ranks: readonly number[]): Map<number, number> {
  const a = values;
  const out = new Map<number, number>();
  if (ranks.length > 16) a.sort();
  else {
    let from = 0;
    for (const k of ranks) {
      if (k === from + 1 && k > ranks[0]!) {
        // The next rank after a selected one: the smallest value above it.
        let m = k;
        for (let i = k + 1; i < a.length; i++) if (a[i]! < a[m]!) m = i;
        swap(a, k, m);
      } else select(a, k, from, a.length - 1);
      from = k;
    }
  }
  let negatives = -1;
  let negativeZeros = 0;
  for (const k of ranks) {
    let v = a[k]!;
    if (v === 0 && ranks.length <= 16) {
      if (negatives < 0) {
        negatives = 0;
        for (let i = 0; i < values.length; i++) {
          const x = values[i]!;
          if (x < 0) negatives++;
          else if (x === 0 && 1 / x < 0) negativeZeros++;
        }
      }
      v = k >= negatives && k < negatives + negativeZeros ? -0 : 0;
    }
    out.set(k, v);
  }
  return out;
}

/** An ArrayBuffer that grows in place (ES2024; Node 20 has it). */
interface ResizableBuffer extends ArrayBuffer {
  resize(byteLength: number): void;
}

/** A resizable ArrayBuffer of `bytes` that may grow to `max`, or undefined where the runtime cannot reserve it. */
function growableBuffer(bytes: number, max: number): ResizableBuffer | undefined {
  try {
    const Resizable = ArrayBuffer as unknown as new (length: number, options: { maxByteLength: number }) => ResizableBuffer;
    const buffer = new Resizable(bytes, { maxByteLength: max });
    return typeof buffer.resize === 'function' ? buffer : undefined;
  } catch {
    return undefined;
  }
}

/** Moves the k-th smallest of a[lo..hi] to a[k] (smaller ones before, larger after): Hoare quickselect. */
function select(a: Float64Array, k: number, lo: number, hi: number): void {
  for (let rounds = 0; hi > lo; rounds++) {
    if (hi - lo < 16 || rounds > 64) {
      a.subarray(lo, hi + 1).sort();
      return;
    }
    const mid = (lo + hi) >>> 1;
    // Median of three as the pivot.
    if (a[mid]! < a[lo]!) swap(a, mid, lo);
    if (a[hi]! < a[lo]!) swap(a, hi, lo);
    if (a[hi]! < a[mid]!) swap(a, hi, mid);
    const pivot = a[mid]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        swap(a, i, j);
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return;
  }
}

function swap(a: Float64Array, i: number, j: number): void {
  const t = a[i]!;
  a[i] = a[j]!;
  a[j] = t;
}
