import type { CombineFn, InputOf, OutputOf } from './combine-fn.ts';

type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer R) => void ? R : never;

/**
 * The input a struct of CombineFns needs: the intersection of its members' inputs (boxed in a tuple so that a
 * member taking `unknown`, like `count()`, does not widen the whole to `unknown`).
 */
export type StructInput<S> = UnionToIntersection<{ [K in keyof S]: [InputOf<S[K]>] }[keyof S]> extends [infer I] ? I : never;

/** The output of a struct of CombineFns: an object with one field per member, typed by the member's output. */
export type StructOutput<S> = { [K in keyof S]: OutputOf<S[K]> };

/** The accumulator of a struct: the members' accumulators, by position (the order of the fields). Opaque. */
export type StructAccumulator = unknown[];

/**
 * Computes several aggregates in one pass: one CombineFn per field, each fed every element.
 * The input type comes from the context (e.g. `combine.perKey`) or from the members' own annotations.
 * @example
 * combine.perKey((e: Event) => e.country, combineFns.struct({
 *   total: combineFns.sum((e) => e.revenue),
 *   users: combineFns.distinctCount((e) => e.userId),
 *   events: combineFns.count(),
 * })) // KV<string, { total: number; users: number; events: number }>
 */
export function struct<I, S extends Record<string, CombineFn<I, any, any>>>(
  fns: S,
): CombineFn<I & StructInput<S>, StructAccumulator, StructOutput<S>> {
  // Fields become positions: the accumulator is an array of the members' accumulators, so the hot loop walks
  // arrays rather than looking object keys up.
  const names = Object.keys(fns);
  const members = names.map((k) => fns[k]);
  const n = members.length;
  const fn: CombineFn<any, unknown[], any> = {
    name: `struct(${names.map((k, i) => `${k}: ${members[i].name ?? 'fn'}`).join(', ')})`,
    createAccumulator: () => {
      const accs = new Array<unknown>(n);
      for (let i = 0; i < n; i++) accs[i] = members[i].createAccumulator();
      return accs;
    },
    addInput: (acc, input) => {
      for (let i = 0; i < n; i++) acc[i] = members[i].addInput(acc[i], input);
      return acc;
    },
    mergeAccumulators: (accs) => {
      if (accs.length === 0) return fn.createAccumulator();
      const into = accs[0];
      const column = new Array<unknown>(accs.length);
      for (let i = 0; i < n; i++) {
        for (let a = 0; a < accs.length; a++) column[a] = accs[a][i];
        into[i] = members[i].mergeAccumulators(column);
      }
      return into;
    },
    extractOutput: (acc) => {
      const out: Record<string, unknown> = {};
      for (let i = 0; i < n; i++) out[names[i]] = members[i].extractOutput(acc[i]);
      return out;
    },
  };
  if (members.some((m) => m.compact !== undefined)) {
    fn.compact = (acc) => {
      for (let i = 0; i < n; i++) {
        const m = members[i];
        if (m.compact) acc[i] = m.compact(acc[i]);
      }
      return acc;
    };
  }
  return fn;
}
