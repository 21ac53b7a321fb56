import type { CombineFn } from './combine-fn.ts';
import { canonicalKey, type CanonicalKey } from './canonical.ts';

/**
 * Counts distinct elements (or distinct extracted values) exactly, with a Set. Primitives are distinct by
 * value (-0 equals 0, NaN equals NaN), objects by content (key order does not matter). Memory grows with the
 * number of distinct values; for millions of them per key, prefer `approximateDistinctCount`.
 * @example combine.perKey((e) => e.page, combineFns.distinctCount((e: Event) => e.userId)) // unique visitors
 */
export function distinctCount<T = unknown>(extract?: (element: T) => unknown): CombineFn<T, Set<CanonicalKey>, number> {
  return {
    name: 'distinctCount',
    createAccumulator: () => new Set<CanonicalKey>(),
    addInput: extract ? (acc, input) => acc.add(canonicalKey(extract(input))) : (acc, input) => acc.add(canonicalKey(input)),
    mergeAccumulators: (accs) => {
      if (accs.length === 0) return new Set<CanonicalKey>();
      // Fold the smaller sets into the largest.
      let largest = 0;
      for (let a = 1; a < accs.length; a++) if (accs[a].size > accs[largest].size) largest = a;
      const into = accs[largest];
      for (let a = 0; a < accs.length; a++) if (a !== largest) for (const x of accs[a]) into.add(x);
      return into;
    },
    extractOutput: (acc) => acc.size,
  };
}
