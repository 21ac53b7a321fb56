import type { CombineFn } from './combine-fn.ts';
import { ConfigError } from '../../model/index.ts';
import { naturalOrder, type Compare } from './natural-order.ts';
import { checkOrdered } from './number-input.ts';

/**
 * The n largest elements, largest first (fewer if the input is smaller). Keeps a bounded binary heap of n
 * elements per accumulator: O(log n) per input, never the whole input. Ties are broken arbitrarily.
 * Without a comparator, elements are compared with `<` (numbers, bigints, strings or dates, of one kind: a mix, or a
 * missing value, fails the step).
 * @example combineFns.topN(3)                                     // CombineFn<number, number[], number[]>
 * @example combineFns.topN(10, (a: Bid, b: Bid) => a.price - b.price) // the 10 highest bids
 */
export function topN<T = number>(n: number, compare: Compare<T> = naturalOrder): CombineFn<T, T[], T[]> {
  return bounded('topN', n, compare, compare === naturalOrder);
}

/**
 * The n smallest elements, smallest first (fewer if the input is smaller). See {@link topN}.
 * @example combineFns.bottomN(5, (a: Trip, b: Trip) => a.seconds - b.seconds) // the 5 fastest trips
 */
export function bottomN<T = number>(n: number, compare: Compare<T> = naturalOrder): CombineFn<T, T[], T[]> {
  return bounded('bottomN', n, (a, b) => compare(b, a), compare === naturalOrder);
}

/** Keeps the n greatest by `order` in a heap whose root is the least of them (the next to evict). */
function bounded<T>(name: string, n: number, order: Compare<T>, natural: boolean): CombineFn<T, T[], T[]> {
  if (!Number.isInteger(n) || n < 0) {
    throw new ConfigError(`${name}(n) needs a non-negative integer n, got ${String(n)}`, { hint: `pass the number of elements to keep, e.g. ${name}(10)` });
  }
  const offer = (heap: T[], x: T): void => {
    if (heap.length < n) {
      // Sift up.
      let i = heap.length;
      heap.push(x);
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (order(heap[parent], x) <= 0) break;
        heap[i] = heap[parent];
        i = parent;
      }
      heap[i] = x;
    } else if (n > 0 && order(x, heap[0]) > 0) {
      // Replace the root and sift down.
      let i = 0;
      const size = heap.length;
      while (true) {
        let child = 2 * i + 1;
        if (child >= size) break;
        if (child + 1 < size && order(heap[child + 1], heap[child]) < 0) child++;
        if (order(heap[child], x) >= 0) break;
        heap[i] = heap[child];
        i = child;
      }
      heap[i] = x;
    }
  };
  return {
    name: `${name}(${n})`,
    createAccumulator: () => [],
    addInput: natural
      ? (heap, input) => {
          // `<` must compare values of one kind: '10' < 9 or undefined < 3 would answer silently wrong.
          if (typeof input !== 'number') checkOrdered(name, input);
          if (heap.length > 0 && typeof input !== typeof heap[0]) checkOrdered(name, input, heap[0]);
          offer(heap, input);
          return heap;
        }
      : (heap, input) => {
          offer(heap, input);
          return heap;
        },
    mergeAccumulators: (heaps) => {
      if (heaps.length === 0) return [];
      const into = heaps[0];
      for (let h = 1; h < heaps.length; h++) {
        const other = heaps[h];
        for (let i = 0; i < other.length; i++) offer(into, other[i]);
      }
      return into;
    },
    extractOutput: (heap) => heap.slice().sort((a, b) => order(b, a)),
  };
}
