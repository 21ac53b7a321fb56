import type { CombineFn } from './combine-fn.ts';
import { notANumber } from './number-input.ts';
import { addCompensated, mergeSums, totalOf, type SumAccumulator } from './sum.ts';

/**
 * The arithmetic mean of numbers, or of a number extracted from each element (compensated sum / count).
 * NaN on empty input, as in Beam's `Mean`. An input that is not a number fails the step, naming the element.
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
          const x = extract(input);
          if (typeof x !== 'number') notANumber('mean', x);
          addCompensated(acc, x);
          acc.count++;
          return acc;
        }
      : (acc, input) => {
          if (typeof input !== 'number') notANumber('mean', input);
          addCompensated(acc, input);
          acc.count++;
          return acc;
        },
    mergeAccumulators: mergeSums,
    extractOutput: (acc) => (acc.count === 0 ? NaN : totalOf(acc) / acc.count),
  };
}
