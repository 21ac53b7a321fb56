/** A key and a value: the element type of keyed collections (`groupByKey`, `combine.perKey`, state). */
export interface KV<K, V> {
  readonly key: K;
  readonly value: V;
}

export function kv<K, V>(key: K, value: V): KV<K, V> {
  return { key, value };
}
