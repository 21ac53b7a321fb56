import type { CombineFn } from './combine-fn.ts';

/**
 * Collects the distinct elements into a Set. Distinct means SameValueZero (`===`, with NaN equal to NaN), so
 * objects are distinct by identity — which does not survive a shuffle between workers: collect a primitive key
 * (an id) rather than objects, or use `distinctCount` to count by content.
 * @example combine.perKey((e) => e.user, combineFns.mapInput(combineFns.toSet<string>(), (e: Event) => e.page))
 */
export function toSet<T>(): CombineFn<T, Set<T>, Set<T>> {
  return {
    name: 'toSet',
    createAccumulator: () => new Set<T>(),
    addInput: (acc, input) => acc.add(input),
    mergeAccumulators: (accs) => {
      if (accs.length === 0) return new Set<T>();
      const into = accs[0];
      for (let a = 1; a < accs.length; a++) for (const x of accs[a]) into.add(x);
      return into;
    },
    extractOutput: (acc) => acc,
  };
}
