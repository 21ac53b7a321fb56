import { kv, type KV, type PCollection, type PTransform } from '../model/index.ts';
import { combine } from './combine.ts';

/** Counting helpers: `count.globally()`, `count.perKey()`, `count.perElement()`. */
export const count = {
  globally<T>(): PTransform<PCollection<T>, PCollection<number>> {
    return combine.globally<T, number>(combine.count());
  },
  perKey<K, V>(): PTransform<PCollection<KV<K, V>>, PCollection<KV<K, number>>> {
    return combine.perKey<K, V, number>(combine.count());
  },
  perElement<T>(): PTransform<PCollection<T>, PCollection<KV<T, number>>> {
    return { name: 'CountPerElement', expand: (input) => input.map((v) => kv(v, null), 'WithKeys').apply(combine.perKey<T, null, number>(combine.count())) };
  },
};
