// The CombineFn contract and the built-in combine functions. Each factory returns a fresh CombineFn; pass it to
// `combine.perKey`, `combine.globally` or `combine.groupedValues`.

import { approximateDistinctCount } from './approximate-distinct-count.ts';
import { approximateQuantiles } from './approximate-quantiles.ts';
import { count } from './count.ts';
import { distinctCount } from './distinct-count.ts';
import { mapInput } from './map-input.ts';
import { mean } from './mean.ts';
import { max, min } from './min-max.ts';
import { struct } from './struct.ts';
import { sum, sumBigInt } from './sum.ts';
import { toList } from './to-list.ts';
import { toMap } from './to-map.ts';
import { toSet } from './to-set.ts';
import { bottomN, topN } from './top-n.ts';

export type { CombineFn, InputOf, AccumulatorOf, OutputOf } from './combine-fn.ts';
export type { Compare } from './natural-order.ts';
export type { SumAccumulator } from './sum.ts';
export type { ExtremeAccumulator, ExtremeBy, Ordered } from './min-max.ts';
export type { ToMapOptions } from './to-map.ts';
export type { ApproximateDistinctCountOptions } from './approximate-distinct-count.ts';
export type { ApproximateQuantilesOptions } from './approximate-quantiles.ts';
export type { StructInput, StructOutput, StructAccumulator } from './struct.ts';
export type { CanonicalKey } from './canonical.ts';
export { naturalOrder } from './natural-order.ts';
export { DuplicateKeyError } from './to-map.ts';
export { HyperLogLogSketch } from './hyperloglog.ts';
export { KllSketch } from './kll-sketch.ts';
export {
  approximateDistinctCount,
  approximateQuantiles,
  bottomN,
  count,
  distinctCount,
  mapInput,
  max,
  mean,
  min,
  struct,
  sum,
  sumBigInt,
  toList,
  toMap,
  toSet,
  topN,
};

/**
 * All built-in combine functions, as one object (also spread into `combine`).
 * @example
 * events.apply(combine.perKey((e: Event) => e.country, combineFns.struct({
 *   revenue: combineFns.sum((e) => e.revenue),
 *   p99: combineFns.mapInput(combineFns.approximateQuantiles(101), (e: Event) => e.latencyMs),
 *   visitors: combineFns.approximateDistinctCount({ extract: (e: Event) => e.userId }),
 * })))
 */
export const combineFns = {
  count,
  sum,
  sumBigInt,
  mean,
  min,
  max,
  topN,
  bottomN,
  toList,
  toSet,
  toMap,
  distinctCount,
  approximateDistinctCount,
  approximateQuantiles,
  struct,
  mapInput,
} as const;
