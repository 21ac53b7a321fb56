/**
 * Beam's CombineFn: associative, commutative folding through an accumulator. addInput/mergeAccumulators MAY
 * mutate and return their first accumulator (the engine never reuses an accumulator after passing it in).
 *
 * @example
 * const longest: CombineFn<string, number, number> = {
 *   name: 'longest',
 *   createAccumulator: () => 0,
 *   addInput: (acc, s) => Math.max(acc, s.length),
 *   mergeAccumulators: (accs) => Math.max(0, ...accs),
 *   extractOutput: (acc) => acc,
 * };
 */
export interface CombineFn<I, A, O> {
  createAccumulator(): A;
  addInput(acc: A, input: I): A;
  mergeAccumulators(accs: A[]): A;
  extractOutput(acc: A): O;
  /** Optional: shrink an accumulator before it is stored or shuffled. */
  compact?(acc: A): A;
  /** A short description for plans, e.g. 'sum'. */
  readonly name?: string;
}

/**
 * The input type of a CombineFn.
 * @example type I = InputOf<ReturnType<typeof count>>; // unknown
 */
export type InputOf<F> = F extends CombineFn<infer I, any, any> ? I : never;

/**
 * The accumulator type of a CombineFn.
 * @example type A = AccumulatorOf<ReturnType<typeof count>>; // number
 */
export type AccumulatorOf<F> = F extends CombineFn<any, infer A, any> ? A : never;

/**
 * The output type of a CombineFn.
 * @example type O = OutputOf<ReturnType<typeof mean>>; // number
 */
export type OutputOf<F> = F extends CombineFn<any, any, infer O> ? O : never;
