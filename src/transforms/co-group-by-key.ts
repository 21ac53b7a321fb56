import { kv, PCollection, PipelineValidationError, type KV, type PTransform } from '../model/index.ts';
import { flattenWith } from './flatten.ts';
import { groupByKey } from './group-by-key.ts';

type Inputs = Record<string, PCollection<KV<any, any>>>;
type KeyOf<C> = C extends PCollection<KV<infer K, any>> ? K : never;
type ValueOf<C> = C extends PCollection<KV<any, infer V>> ? V : never;
/** Per key: the values of each input, by the input's name. */
export type CoGrouped<In extends Inputs> = { [N in keyof In]: ValueOf<In[N]>[] };

/**
 * Groups several keyed collections by key (per window): one `KV<K, { a: A[], b: B[] }>` per key.
 * @example coGroupByKey({ orders, payments })
 */
export function coGroupByKey<In extends Inputs>(inputs: In, name = 'CoGroupByKey'): PCollection<KV<KeyOf<In[keyof In]>, CoGrouped<In>>> {
  const names = Object.keys(inputs);
  if (names.length === 0) throw new PipelineValidationError('coGroupByKey needs at least one input');
  const first = inputs[names[0]!]!;
  const transform: PTransform<PCollection<KV<any, any>>, PCollection<KV<any, CoGrouped<In>>>> = {
    name,
    expand() {
      const tagged = names.map((n, i) => inputs[n]!.map((e) => kv(e.key, { i, v: e.value }), `Tag.${n}`));
      const grouped = tagged[0]!.apply(flattenWith(tagged.slice(1))).apply(groupByKey<unknown, { i: number; v: unknown }>());
      return grouped.map((g) => {
        const lists: unknown[][] = names.map(() => []);
        for (const { i, v } of g.value) lists[i]!.push(v);
        const out: Record<string, unknown[]> = {};
        names.forEach((n, i) => (out[n] = lists[i]!));
        return kv(g.key, out as CoGrouped<In>);
      }, 'Untag');
    },
  };
  return first.apply(transform);
}

export type JoinKind = 'inner' | 'left' | 'right' | 'outer';
type JoinRow<L, R, J extends JoinKind> = J extends 'inner'
  ? { left: L; right: R }
  : J extends 'left'
    ? { left: L; right: R | undefined }
    : J extends 'right'
      ? { left: L | undefined; right: R }
      : { left: L | undefined; right: R | undefined };

/**
 * Joins two keyed collections on key (per window), built on coGroupByKey: every matching pair, plus unmatched rows
 * on the outer side(s) paired with `undefined`.
 * @example join(orders, customers, 'left')  // KV<id, { left: Order, right: Customer | undefined }>
 */
export function join<K, L, R, J extends JoinKind = 'inner'>(
  left: PCollection<KV<K, L>>,
  right: PCollection<KV<K, R>>,
  kind: J = 'inner' as J,
): PCollection<KV<K, JoinRow<L, R, J>>> {
  const grouped = coGroupByKey({ left, right }, `Join.${kind}`);
  return grouped.flatMap(function* (g) {
    const ls = g.value.left as L[];
    const rs = g.value.right as R[];
    if (ls.length > 0 && rs.length > 0) {
      for (const l of ls) for (const r of rs) yield kv(g.key as K, { left: l, right: r } as JoinRow<L, R, J>);
    } else if (ls.length > 0 && (kind === 'left' || kind === 'outer')) {
      for (const l of ls) yield kv(g.key as K, { left: l, right: undefined } as JoinRow<L, R, J>);
    } else if (rs.length > 0 && (kind === 'right' || kind === 'outer')) {
      for (const r of rs) yield kv(g.key as K, { left: undefined, right: r } as JoinRow<L, R, J>);
    }
  }, 'Pairs');
}
