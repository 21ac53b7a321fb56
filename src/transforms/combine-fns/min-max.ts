import type { CombineFn } from './combine-fn.ts';
import type { Compare } from './natural-order.ts';
import { checkOrdered } from './number-input.ts';

/** The accumulator of {@link min} and {@link max}: the extreme so far, if any. Mutated in place. */
export interface ExtremeAccumulator<V> {
  has: boolean;
  value: V | undefined;
}

/** Values with a natural order (`<`), usable by `min`/`max` without a comparator. */
export type Ordered = number | bigint | string;

/** How `min`/`max` read elements: nothing (the element is the value), an extractor, or a comparator. */
export type ExtremeBy<T, V extends Ordered> = ((element: T) => V) | Compare<T> | { compare: Compare<T> };

/**
 * The smallest number (or extracted number/string/bigint, or element by a comparator); `undefined` on empty
 * input. A function of two parameters is taken as a comparator, of one as an extractor; `{ compare }` says
 * so explicitly. NaN is sticky: one NaN input makes the result NaN (whatever the order of inputs). Without a
 * comparator, values must be of one kind (numbers, strings, bigints or dates): a mix fails the step.
 * @example combineFns.min()                                   // CombineFn<number, _, number | undefined>
 * @example combineFns.min((e: Bid) => e.price)                // the lowest price
 * @example combineFns.min((a: Bid, b: Bid) => a.price - b.price) // the cheapest bid itself
 */
export function min(): CombineFn<number, ExtremeAccumulator<number>, number | undefined>;
export function min<T, V extends Ordered>(extract: (element: T) => V): CombineFn<T, ExtremeAccumulator<V>, V | undefined>;
export function min<T>(compare: Compare<T> | { compare: Compare<T> }): CombineFn<T, ExtremeAccumulator<T>, T | undefined>;
export function min<T>(by?: ExtremeBy<T, Ordered>): CombineFn<T, ExtremeAccumulator<unknown>, unknown> {
  return extreme('min', -1, by);
}

/**
 * The largest number (or extracted number/string/bigint, or element by a comparator); `undefined` on empty
 * input. Same reading rules as {@link min}.
 * @example combineFns.max((e: Bid) => e.price)                // the highest price
 * @example combineFns.max({ compare: (a: Bid, b: Bid) => a.price - b.price }) // the top bid itself
 */
export function max(): CombineFn<number, ExtremeAccumulator<number>, number | undefined>;
export function max<T, V extends Ordered>(extract: (element: T) => V): CombineFn<T, ExtremeAccumulator<V>, V | undefined>;
export function max<T>(compare: Compare<T> | { compare: Compare<T> }): CombineFn<T, ExtremeAccumulator<T>, T | undefined>;
export function max<T>(by?: ExtremeBy<T, Ordered>): CombineFn<T, ExtremeAccumulator<unknown>, unknown> {
  return extreme('max', 1, by);
}

function extreme<T>(name: string, sign: 1 | -1, by: ExtremeBy<T, Ordered> | undefined): CombineFn<T, ExtremeAccumulator<unknown>, unknown> {
  // `better(x, v)`: should x replace the current extreme v? NaN (x !== x) always wins and then never loses.
  let better: (x: any, v: any) => boolean;
  let read: ((element: T) => unknown) | undefined;
  const compare = typeof by === 'object' ? by.compare : typeof by === 'function' && by.length >= 2 ? (by as Compare<T>) : undefined;
  if (compare) better = sign < 0 ? (x, v) => compare(x, v) < 0 : (x, v) => compare(x, v) > 0;
  else {
    read = by as ((element: T) => unknown) | undefined;
    better = sign < 0 ? (x, v) => x < v || (x !== x && v === v) : (x, v) => x > v || (x !== x && v === v);
  }
  // Without a comparator, `<` must compare values of one kind: '10' < 9 or undefined < 3 would answer silently wrong.
  const offer = compare
    ? (acc: ExtremeAccumulator<unknown>, x: unknown): void => {
        if (!acc.has) {
          acc.has = true;
          acc.value = x;
        } else if (better(x, acc.value)) acc.value = x;
      }
    : (acc: ExtremeAccumulator<unknown>, x: unknown): void => {
        if (!acc.has) {
          checkOrdered(name, x);
          acc.has = true;
          acc.value = x;
        } else {
          if (typeof x !== typeof acc.value) checkOrdered(name, x, acc.value);
          if (better(x, acc.value)) acc.value = x;
        }
      };
  return {
    name,
    createAccumulator: () => ({ has: false, value: undefined }),
    addInput: read
      ? (acc, input) => {
          offer(acc, read(input));
          return acc;
        }
      : (acc, input) => {
          offer(acc, input);
          return acc;
        },
    mergeAccumulators: (accs) => {
      if (accs.length === 0) return { has: false, value: undefined };
      const into = accs[0];
      for (let i = 1; i < accs.length; i++) if (accs[i].has) offer(into, accs[i].value);
      return into;
    },
    extractOutput: (acc) => (acc.has ? acc.value : undefined),
  };
}
