import { addPrimitive, requireDeterministicKeys, type PCollection, type GroupByKeySpec, type KV, type PTransform } from '../model/index.ts';

/**
 * Groups values by key within each window; emits one `KV<K, V[]>` per key, window and trigger firing (pane).
 * @example words.apply(map((w: string) => kv(w, 1))).apply(groupByKey())
 */
export function groupByKey<K, V>(name = 'GroupByKey'): PTransform<PCollection<KV<K, V>>, PCollection<KV<K, V[]>>> {
  return {
    name,
    primitive: true,
    expand(input, stepName) {
      requireDeterministicKeys(input, stepName);
      return addPrimitive<KV<K, V[]>>(input, stepName, { kind: 'groupByKey' } satisfies GroupByKeySpec);
    },
  };
}
