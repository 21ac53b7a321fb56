import type { CombineFn } from './combine-fn.ts';

/**
 * Counts elements. The accumulator is a plain number (a small integer in V8: nothing allocated per element).
 * @example combine.perKey((e) => e.country, combineFns.count()) // KV<string, number>
 */
export function count<T = unknown>(): CombineFn<T, number, number> {
  return {
    name: 'count',
    createAccumulator: () => 0,
    addInput: (acc) => acc + 1,
    mergeAccumulators: (accs) => {
      let total = 0;
      for (let i = 0; i < accs.length; i++) total += accs[i];
      return total;
    },
    extractOutput: (acc) => acc,
  };
}
