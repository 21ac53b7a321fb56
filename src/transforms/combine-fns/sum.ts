import type { CombineFn } from './combine-fn.ts';
import { CombineInputError, notANumber } from './number-input.ts';

/**
 * The accumulator of {@link sum} and {@link mean}: a running sum with Neumaier's compensation term (the
 * low-order bits lost by each addition, added back at the end). A mutable object rather than a number, because
 * the compensation must travel with the sum through merges; it is created once per key, then mutated in place.
 */
export interface SumAccumulator {
  sum: number;
  compensation: number;
  count: number;
}

/** @internal Adds `x` to `acc` with Neumaier's compensated summation. */
export function addCompensated(acc: SumAccumulator, x: number): void {
  const s = acc.sum;
  const t = s + x;
  if (Math.abs(s) >= Math.abs(x)) acc.compensation += s - t + x;
  else acc.compensation += x - t + s;
  acc.sum = t;
}

/** @internal Folds `accs[1..]` into `accs[0]` (or a fresh accumulator when empty). */
export function mergeSums(accs: SumAccumulator[]): SumAccumulator {
  if (accs.length === 0) return { sum: 0, compensation: 0, count: 0 };
  const into = accs[0];
  for (let i = 1; i < accs.length; i++) {
    const a = accs[i];
    addCompensated(into, a.sum);
    into.compensation += a.compensation;
    into.count += a.count;
  }
  return into;
}

/** @internal The compensated total (an infinite or NaN running sum is returned as is). */
export function totalOf(acc: SumAccumulator): number {
  return Number.isFinite(acc.sum) ? acc.sum + acc.compensation : acc.sum;
}

/**
 * Sums numbers, or a number extracted from each element, with compensated (Neumaier) summation: the result does
 * not drift with the order or the number of additions the way naive `+=` does. 0 on empty input. An input that is
 * not a number (e.g. an untyped CSV column's string) fails the step, naming the element, instead of concatenating.
 * @example combine.perKey((e) => e.country, combineFns.sum((e) => e.revenue)) // KV<string, number>
 */
export function sum(): CombineFn<number, SumAccumulator, number>;
export function sum<T>(extract: (element: T) => number): CombineFn<T, SumAccumulator, number>;
export function sum<T>(extract?: (element: T) => number): CombineFn<T, SumAccumulator, number> {
  return {
    name: 'sum',
    createAccumulator: () => ({ sum: 0, compensation: 0, count: 0 }),
    addInput: extract
      ? (acc, input) => {
          const x = extract(input);
          if (typeof x !== 'number') notANumber('sum', x);
          addCompensated(acc, x);
          return acc;
        }
      : (acc, input) => {
          if (typeof input !== 'number') notANumber('sum', input);
          addCompensated(acc, input);
          return acc;
        },
    mergeAccumulators: mergeSums,
    extractOutput: totalOf,
  };
}

/**
 * Sums bigints (exactly), or a bigint extracted from each element. 0n on empty input.
 * @example combineFns.sumBigInt((row: { bytes: bigint }) => row.bytes)
 */
export function sumBigInt(): CombineFn<bigint, bigint, bigint>;
export function sumBigInt<T>(extract: (element: T) => bigint): CombineFn<T, bigint, bigint>;
export function sumBigInt<T>(extract?: (element: T) => bigint): CombineFn<T, bigint, bigint> {
  return {
    name: 'sumBigInt',
    createAccumulator: () => 0n,
    addInput: extract
      ? (acc, input) => {
          const x = extract(input);
          if (typeof x !== 'bigint') throw new CombineInputError('sumBigInt', 'bigints', x);
          return acc + x;
        }
      : (acc, input) => {
          if (typeof input !== 'bigint') throw new CombineInputError('sumBigInt', 'bigints', input);
          return acc + input;
        },
    mergeAccumulators: (accs) => {
      let total = 0n;
      for (let i = 0; i < accs.length; i++) total += accs[i];
      return total;
    },
    extractOutput: (acc) => acc,
  };
}
