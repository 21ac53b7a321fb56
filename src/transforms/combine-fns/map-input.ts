import type { CombineFn } from './combine-fn.ts';

/**
 * Adapts a CombineFn to another input type by extracting its input from each element.
 * @example combineFns.mapInput(combineFns.topN(3), (e: Bid) => e.price) // the 3 highest prices
 */
export function mapInput<T, I, A, O>(fn: CombineFn<I, A, O>, extract: (element: T) => I): CombineFn<T, A, O> {
  const adapted: CombineFn<T, A, O> = {
    name: fn.name,
    createAccumulator: () => fn.createAccumulator(),
    addInput: (acc, input) => fn.addInput(acc, extract(input)),
    mergeAccumulators: (accs) => fn.mergeAccumulators(accs),
    extractOutput: (acc) => fn.extractOutput(acc),
  };
  if (fn.compact) {
    const compact = fn.compact.bind(fn);
    adapted.compact = compact;
  }
  return adapted;
}
