import { bufferingFold, combiningFold, type PaneFold } from './pane-fold.ts';
import { stateTags, type StateCombineFn, type StateInternals } from './state.ts';

/**
 * What a window reducer does with the elements of a pane (as Beam's ReduceFn): buffer them (groupByKey) or fold them
 * (combine). All of it lives in the window's state namespace, so merging, discarding and garbage collection are uniform.
 */
export interface ReduceFn<V, O> {
  /** Adds one element to the window's pane. */
  addInput(state: StateInternals, namespace: string, value: V): void;
  /** Moves the contents of the `sources` namespaces into `result` (sources never include result). */
  merge(state: StateInternals, sources: readonly string[], result: string): void;
  /** The pane's output (called when a pane fires; does not clear). */
  extractOutput(state: StateInternals, namespace: string): O;
  /** Drops what the window holds (after a discarding pane, or at garbage collection). */
  clear(state: StateInternals, namespace: string): void;
  /** The same reduction as a plain fold, for paths that group without state cells (batch tables). */
  readonly fold?: PaneFold<V, any, O>;
}

const BUFFER = stateTags.bag<any>('reduce/buffer');

/**
 * groupByKey: the pane's output is the array of its values (in arrival order).
 * @example new WindowReducer(strategy, bufferingReduceFn<number>())
 */
export function bufferingReduceFn<V>(): ReduceFn<V, V[]> {
  return {
    fold: bufferingFold<V>(),
    addInput(state, ns, value) {
      state.state(ns, BUFFER).add(value);
    },
    merge(state, sources, result) {
      const target = state.state(result, BUFFER);
      for (const source of sources) {
        const bag = state.state(source, BUFFER);
        for (const v of bag.read()) target.add(v);
        bag.clear();
      }
    },
    extractOutput(state, ns) {
      return state.state(ns, BUFFER).read().slice() as V[];
    },
    clear(state, ns) {
      state.state(ns, BUFFER).clear();
    },
  };
}


/**
 * combine: the pane's output is the combine function's output. With `inputsAreAccumulators` the inputs are partial
 * accumulators (from a lifted, pre-shuffle combine) and merge instead of being added.
 * @example new WindowReducer(strategy, combiningReduceFn(sumFn))
 */
export function combiningReduceFn<I, A, O>(fn: StateCombineFn<I, A, O>, opts: { inputsAreAccumulators?: boolean } = {}): ReduceFn<I, O> {
  const tag = stateTags.combining<I, A, O>('reduce/combined', fn);
  const lifted = opts.inputsAreAccumulators === true;
  return {
    fold: combiningFold(fn, opts),
    addInput(state, ns, value) {
      if (lifted) state.state(ns, tag).addAccumulator(value as unknown as A);
      else state.state(ns, tag).add(value);
    },
    merge(state, sources, result) {
      const target = state.state(result, tag);
      for (const source of sources) {
        const cell = state.state(source, tag);
        if (cell.isEmpty()) continue;
        target.addAccumulator(cell.readAccumulator());
        cell.clear();
      }
    },
    extractOutput(state, ns) {
      return state.state(ns, tag).read();
    },
    clear(state, ns) {
      state.state(ns, tag).clear();
    },
  };
}
