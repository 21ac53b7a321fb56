import type { CombineFn } from './combine-fn.ts';

/**
 * Collects all elements into an array, in no particular order (the order depends on bundling and merging).
 * Memory grows with the input: prefer a real aggregate where one exists.
 * @example combine.perKey((e) => e.user, combineFns.toList<Event>()) // KV<string, Event[]>
 */
export function toList<T>(): CombineFn<T, T[], T[]> {
  return {
    name: 'toList',
    createAccumulator: () => [],
    addInput: (acc, input) => {
      acc.push(input);
      return acc;
    },
    mergeAccumulators: (accs) => {
      if (accs.length === 0) return [];
      const into = accs[0];
      for (let a = 1; a < accs.length; a++) {
        const other = accs[a];
        for (let i = 0; i < other.length; i++) into.push(other[i]);
      }
      return into;
    },
    extractOutput: (acc) => acc,
  };
}
