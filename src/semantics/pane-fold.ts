import type { BoundedWindow, Instant, TimestampCombiner, WindowingStrategy } from '../model/index.ts';
import type { StateCombineFn } from './state.ts';

/**
 * How a grouping folds a pane's inputs outside state cells (batch tables, lifted precombines): the one adapter from a
 * combine function (or from buffering) to create / add / output. The window reducer's reduce functions carry theirs
 * (`ReduceFn.fold`), so every grouping path folds the same way.
 */
export interface PaneFold<I, A, O> {
  create(): A;
  add(acc: A, input: I): A;
  output(acc: A): O;
  /** A smaller equivalent accumulator to ship (CombineFn.compact), or the accumulator itself. */
  compact(acc: A): A;
}

/** The combine functions grouping accepts (Beam's CombineFn, with an optional compact). */
export interface CombineFnLike<I, A, O> extends StateCombineFn<I, A, O> {
  compact?(acc: A): A;
}

/** groupByKey's fold: the values in arrival order. */
export function bufferingFold<V>(): PaneFold<V, V[], V[]> {
  return {
    create: () => [],
    add(acc, v) {
      acc.push(v);
      return acc;
    },
    output: (acc) => acc,
    compact: (acc) => acc,
  };
}

/** A combine function's fold; with `inputsAreAccumulators` the inputs are partial accumulators (after a precombine). */
export function combiningFold<I, A, O>(fn: CombineFnLike<I, A, O>, opts: { inputsAreAccumulators?: boolean } = {}): PaneFold<I, A, O> {
  const compact = fn.compact ? (acc: A) => fn.compact!(acc) : (acc: A) => acc;
  return {
    create: () => fn.createAccumulator(),
    add: opts.inputsAreAccumulators === true ? (acc, a) => fn.mergeAccumulators([acc, a as unknown as A]) : (acc, v) => fn.addInput(acc, v),
    output: (acc) => fn.extractOutput(acc),
    compact,
  };
}

/**
 * The output time rule (Beam's TimestampCombiner), in one place for every grouping path:
 * - `elementOutputTime`: what one element contributes to its window's pane;
 * - combining contributions: the latest for 'latest', the earliest otherwise (`combinesToLatest`);
 * - `paneOutputTime`: the pane's timestamp from the earliest and latest element timestamps, when every element was on
 *   time (the batch path; the reducer's holds give the same).
 */
export function elementOutputTime(strategy: WindowingStrategy, window: BoundedWindow, timestamp: Instant): Instant {
  switch (strategy.timestampCombiner) {
    case 'endOfWindow':
      return window.maxTimestamp;
    case 'earliestTransformed':
      return strategy.windowFn.assignOutputTime(window, timestamp);
    default:
      return timestamp;
  }
}

/** Whether output times combine to the latest (else to the earliest). */
export function combinesToLatest(combiner: TimestampCombiner): boolean {
  return combiner === 'latest';
}

export function paneOutputTime(strategy: WindowingStrategy, window: BoundedWindow, minTimestamp: Instant, maxTimestamp: Instant): Instant {
  return elementOutputTime(strategy, window, combinesToLatest(strategy.timestampCombiner) ? maxTimestamp : minTimestamp);
}
