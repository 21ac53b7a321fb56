import type { CombineFn } from './combine-fn.ts';
import { HyperLogLogSketch } from './hyperloglog.ts';

/** Options of {@link approximateDistinctCount}. */
export interface ApproximateDistinctCountOptions<T> {
  /**
   * log2 of the number of registers, 4..18 (default 12). Relative standard error ≈ 1.04 / sqrt(2^precision):
   * 12 → 1.6 % (4 KB per sketch), 14 → 0.8 % (16 KB), 16 → 0.4 % (64 KB). Small sets cost far less (sparse mode).
   */
  precision?: number;
  /** Reads the value to count from each element (default: the element itself). */
  extract?: (element: T) => unknown;
}

/**
 * Estimates the number of distinct elements with a HyperLogLog++-style sketch (see hyperloglog.ts): bounded
 * memory, mergeable, within about 1.04/sqrt(2^precision) relative error (exact-ish below a few hundred values).
 * Values are compared by content, as in `distinctCount`. The output is rounded to an integer.
 * @example combine.perKey((e) => e.page, combineFns.approximateDistinctCount({ extract: (e: Event) => e.userId }))
 * @example combineFns.approximateDistinctCount<string>({ precision: 14 }) // ±0.8 %
 */
export function approximateDistinctCount<T = unknown>(options: ApproximateDistinctCountOptions<T> = {}): CombineFn<T, HyperLogLogSketch, number> {
  const precision = options.precision ?? 12;
  const extract = options.extract;
  new HyperLogLogSketch(precision); // validates the precision when the pipeline is built, not on the first element
  return {
    name: `approximateDistinctCount(p=${precision})`,
    createAccumulator: () => new HyperLogLogSketch(precision),
    addInput: extract
      ? (sketch, input) => {
          sketch.add(extract(input));
          return sketch;
        }
      : (sketch, input) => {
          sketch.add(input);
          return sketch;
        },
    mergeAccumulators: (sketches) => {
      if (sketches.length === 0) return new HyperLogLogSketch(precision);
      const into = sketches[0];
      for (let i = 1; i < sketches.length; i++) into.merge(sketches[i]);
      return into;
    },
    extractOutput: (sketch) => Math.round(sketch.estimate()),
    compact: (sketch) => sketch.compact(),
  };
}
