import { kv, type KV, type PCollection, type PTransform } from '../model/index.ts';

/** `KV<K, T>` from each element and its key. */
export function withKeys<T, K>(keyFn: (value: T) => K): PTransform<PCollection<T>, PCollection<KV<K, T>>> {
  return { name: 'WithKeys', expand: (input) => input.map((v) => kv(keyFn(v), v), 'WithKeys') };
}
export function keys<K, V>(): PTransform<PCollection<KV<K, V>>, PCollection<K>> {
  return { name: 'Keys', expand: (input) => input.map((e) => e.key, 'Keys') };
}
export function values<K, V>(): PTransform<PCollection<KV<K, V>>, PCollection<V>> {
  return { name: 'Values', expand: (input) => input.map((e) => e.value, 'Values') };
}
export function kvSwap<K, V>(): PTransform<PCollection<KV<K, V>>, PCollection<KV<V, K>>> {
  return { name: 'KvSwap', expand: (input) => input.map((e) => kv(e.value, e.key), 'KvSwap') };
}
