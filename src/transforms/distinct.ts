import { kv, type KV, type PCollection, type PTransform } from '../model/index.ts';
import { combine } from './combine.ts';
import type { CombineFn } from './combine-fns/index.ts';

/** Keeps the first value seen for a key (an arbitrary one: combining is order-free). */
function anyValue<T>(): CombineFn<T, { has: boolean; v: T | undefined }, T> {
  return {
    name: 'any',
    createAccumulator: () => ({ has: false, v: undefined }),
    addInput(acc, input) {
      if (!acc.has) {
        acc.has = true;
        acc.v = input;
      }
      return acc;
    },
    mergeAccumulators(accs) {
      for (const a of accs) if (a.has) return a;
      return accs[0]!;
    },
    extractOutput: (acc) => acc.v as T,
  };
}

/** Canonical identity of a value: primitives as themselves, objects by their JSON with sorted keys. */
function identity(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  return '\u0000' + JSON.stringify(value, (_k, v) => (v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v));
}

/**
 * Removes duplicates within each window (by value, or by `key`: one element per distinct key).
 * @example clicks.apply(distinct({ key: (c: Click) => c.id }))
 */
export function distinct<T>(opts: { key?: (value: T) => unknown; name?: string } = {}): PTransform<PCollection<T>, PCollection<T>> {
  const keyFn = opts.key ?? identity;
  return {
    name: opts.name ?? 'Distinct',
    expand: (input) =>
      input
        .map((v) => kv(keyFn(v), v), 'WithKeys')
        .apply(combine.perKey<unknown, T, T>(anyValue<T>()))
        .map((e: KV<unknown, T>) => e.value, 'Values'),
  };
}

/** Alias of `distinct({ key })`: keeps one element per key and window (Beam's Deduplicate). */
export function deduplicate<T>(key: (value: T) => unknown): PTransform<PCollection<T>, PCollection<T>> {
  return distinct({ key, name: 'Deduplicate' });
}
