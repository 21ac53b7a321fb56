import type { CombineFn } from './combine-fn.ts';
import { addCompensated, mergeSums, totalOf, type SumAccumulator } from './sum.ts';

/**
 * The arithmetic mean of numbers, or of a number extracted from each element (compensated sum / count).
 * NaN on empty input, as in Beam's `Mean`.
 * @example combine.perKey((e) => e.sensor, combineFns.mean((e) => e.celsius)) // KV<string, number>
 */
export function mean(): CombineFn<number, SumAccumulator, number>;
export function mean<T>(extract: (element: T) => number): CombineFn<T, SumAccumulator, number>;
export function mean<T>(extract?: (element: T) => number): CombineFn<T, SumAccumulator, number> {
  return {
    name: 'mean',
    createAccumulator: () => ({ sum: 0, compensation: 0, count: 0 }),
    addInput: extract
      ? (acc, input) => {
          addCompensated(acc, extract(input));
          acc.count++;
          return acc;
        }
      : (acc, input) => {
          addCompensated(acc, input as unknown as number);
          acc.count++;
          return acc;
        },
    mergeAccumulators: mergeSums,
    extractOutput: (acc) => (acc.count === 0 ? NaN : totalOf(acc) / acc.count),
  };
}
