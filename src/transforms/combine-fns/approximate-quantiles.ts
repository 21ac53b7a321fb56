import type { CombineFn } from './combine-fn.ts';
import { ConfigError } from '../../model/index.ts';
import { KllSketch, kllKForEpsilon } from './kll-sketch.ts';
import { checkOrdered } from './number-input.ts';
import { naturalOrder, type Compare } from './natural-order.ts';

/** Options of {@link approximateQuantiles}. */
export interface ApproximateQuantilesOptions<T> {
  /** Orders the elements (default: `<`, for numbers, bigints and strings). */
  compare?: Compare<T>;
  /**
   * Target normalized rank error (default 0.01): each quantile returned is, with high probability, the element at
   * a rank within ±epsilon·n of the exact one. Memory is about 3·(2/epsilon) elements per sketch.
   */
  epsilon?: number;
}

/**
 * Approximate quantiles with a mergeable KLL sketch (see kll-sketch.ts): `numQuantiles` values — the minimum,
 * the evenly spaced quantiles between, and the maximum (Beam's convention; min and max are exact). So
 * `approximateQuantiles(5)` gives min, p25, median, p75, max. Empty input gives `[]`.
 * @example combineFns.approximateQuantiles(101)                  // percentiles of numbers
 * @example combineFns.approximateQuantiles(3, { compare: (a: Trip, b: Trip) => a.seconds - b.seconds }) // min, median, max trip
 */
export function approximateQuantiles<T = number>(numQuantiles: number, options: ApproximateQuantilesOptions<T> = {}): CombineFn<T, KllSketch<T>, T[]> {
  if (!Number.isInteger(numQuantiles) || numQuantiles < 2) {
    throw new ConfigError(`approximateQuantiles(numQuantiles) needs an integer ≥ 2 (the min and the max at least), got ${String(numQuantiles)}`, {
      hint: 'e.g. approximateQuantiles(5) for min, quartiles and max; approximateQuantiles(101) for percentiles',
    });
  }
  const epsilon = options.epsilon ?? 0.01;
  if (!(epsilon > 0 && epsilon < 1)) {
    throw new ConfigError(`approximateQuantiles epsilon must be in (0, 1), got ${String(epsilon)}`, { hint: '0.01 (1 % rank error) is the default' });
  }
  const compare = options.compare ?? naturalOrder;
  const k = kllKForEpsilon(epsilon);
  const fractions = Array.from({ length: numQuantiles }, (_, i) => i / (numQuantiles - 1));
  return {
    name: `approximateQuantiles(${numQuantiles})`,
    createAccumulator: () => new KllSketch<T>(k, compare),
    addInput: options.compare
      ? (sketch, input) => {
          sketch.add(input);
          return sketch;
        }
      : (sketch, input) => {
          // The natural order needs numbers, strings or bigints: undefined or an object would sort anywhere.
          if (typeof input !== 'number') checkOrdered('approximateQuantiles', input);
          sketch.add(input);
          return sketch;
        },
    mergeAccumulators: (sketches) => {
      if (sketches.length === 0) return new KllSketch<T>(k, compare);
      const into = sketches[0];
      for (let i = 1; i < sketches.length; i++) into.merge(sketches[i]);
      return into;
    },
    extractOutput: (sketch) => sketch.quantiles(fractions),
  };
}
