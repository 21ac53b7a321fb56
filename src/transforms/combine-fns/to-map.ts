import type { CombineFn } from './combine-fn.ts';
import { RiffleError, excerpt, type KV } from '../../model/index.ts';
import { sameContent } from './canonical.ts';

/** Options of {@link toMap}. */
export interface ToMapOptions<V> {
  /**
   * Combines two values of the same key. It must be associative and commutative (e.g. `(a, b) => a + b`,
   * `Math.max`), since values meet in any order. Without it, a key seen twice must carry equal values.
   */
  merge?: (a: V, b: V) => V;
}

/** A key appeared twice with different values in `toMap` without a `merge` option. */
export class DuplicateKeyError extends RiffleError {
  constructor(key: unknown, a: unknown, b: unknown) {
    super('COMBINE_DUPLICATE_KEY', `toMap: key ${excerpt(key, 80)} has two different values, ${excerpt(a, 80)} and ${excerpt(b, 80)}`, {
      domain: 'user',
      context: { key, values: [a, b] },
      hint: 'pass toMap({ merge: (a, b) => ... }) to combine the values of a key (it must be associative and commutative), or make keys unique upstream',
    });
  }
}

/**
 * Collects `KV<K, V>` elements into a Map. "Last key wins" would depend on arrival order, so it is not
 * offered: a duplicate key with an equal value (by content) is fine, a different value throws
 * {@link DuplicateKeyError} unless `merge` says how to combine them.
 * @example combineFns.toMap<string, number>()                        // CombineFn<KV<string, number>, _, Map<string, number>>
 * @example combineFns.toMap<string, number>({ merge: (a, b) => a + b }) // sums the values of repeated keys
 */
export function toMap<K, V>(options: ToMapOptions<V> = {}): CombineFn<KV<K, V>, Map<K, V>, Map<K, V>> {
  const merge = options.merge;
  const put = (map: Map<K, V>, key: K, value: V): void => {
    if (!map.has(key)) map.set(key, value);
    else {
      const old = map.get(key) as V;
      if (merge) map.set(key, merge(old, value));
      else if (!sameContent(old, value)) throw new DuplicateKeyError(key, old, value);
    }
  };
  return {
    name: 'toMap',
    createAccumulator: () => new Map<K, V>(),
    addInput: (acc, input) => {
      put(acc, input.key, input.value);
      return acc;
    },
    mergeAccumulators: (accs) => {
      if (accs.length === 0) return new Map<K, V>();
      const into = accs[0];
      for (let a = 1; a < accs.length; a++) for (const [k, v] of accs[a]) put(into, k, v);
      return into;
    },
    extractOutput: (acc) => acc,
  };
}
