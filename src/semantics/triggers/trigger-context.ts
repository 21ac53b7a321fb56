import type { BoundedWindow, Instant } from '../../model/index.ts';
import { stateTags, type CombiningState, type StateCombineFn, type StateInternals, type StateTag } from '../state.ts';
import type { TimeDomain } from '../timers.ts';

/**
 * What a trigger state machine sees (as Beam's TriggerStateMachine.TriggerContext): its window, the key's state under
 * the window's namespace, timers for the window, the clocks, and the finished bits of the trigger tree. Never elements,
 * never output.
 */
export interface TriggerContext {
  readonly window: BoundedWindow;
  /** The window's state namespace (its key). */
  readonly namespace: string;
  readonly state: StateInternals;
  readonly finished: FinishedBits;
  /** True when the window function merges (some composite triggers then keep every sub-trigger up to date). */
  readonly isMerging: boolean;
  setTimer(timestamp: Instant, domain: TimeDomain): void;
  currentInputWatermark(): Instant;
  currentProcessingTime(): Instant;
  currentSynchronizedProcessingTime(): Instant;
}

/** The context of a merge: the windows being merged into `window` (which may be one of them). */
export interface TriggerMergeContext extends TriggerContext {
  readonly mergingNamespaces: readonly string[];
  finishedInAnyMergingWindow(index: number): boolean;
  finishedInAllMergingWindows(index: number): boolean;
}

const FINISHED_TAG = stateTags.value<readonly boolean[]>('trigger/finished');

/**
 * The finished bit of every node of a window's trigger tree (indexed by the node's pre-order index), kept in the
 * window's state. The root's bit set means the window is closed.
 */
export class FinishedBits {
  constructor(
    private readonly state: StateInternals,
    private readonly namespace: string,
  ) {}
  read(): readonly boolean[] | undefined {
    return this.state.state(this.namespace, FINISHED_TAG).read();
  }
  isFinished(index: number): boolean {
    return this.read()?.[index] === true;
  }
  setFinished(index: number, finished: boolean): void {
    const cell = this.state.state(this.namespace, FINISHED_TAG);
    const bits = cell.read();
    if ((bits?.[index] === true) === finished) return;
    const next = bits ? bits.slice() : [];
    next[index] = finished;
    if (next.some((b) => b === true)) cell.write(next);
    else cell.clear();
  }
  clear(): void {
    this.state.state(this.namespace, FINISHED_TAG).clear();
  }
  /** Sets every bit at once (moving a window's bits to another namespace). */
  replace(bits: readonly boolean[] | undefined): void {
    const cell = this.state.state(this.namespace, FINISHED_TAG);
    if (bits?.some((b) => b === true) === true) cell.write(bits);
    else cell.clear();
  }
}

/**
 * One node of a trigger state machine tree. Its state lives under tag ids prefixed by `trigger/<index>/`, and its
 * finished bit at `index`. The `invoke*`-free style of Beam is kept simple: callers check finished bits where Beam's
 * ExecutableTrigger would.
 */
export abstract class TriggerStateMachine {
  constructor(
    /** Pre-order index in the tree: the root is 0. */
    readonly index: number,
    readonly subTriggers: readonly TriggerStateMachine[] = [],
  ) {}

  /** An element arrived in the window (only called while this node is not finished). */
  abstract onElement(c: TriggerContext): void;
  /** Windows merged into `c.window`: merge this node's state from `c.mergingNamespaces` and decide its finished bit. */
  abstract onMerge(c: TriggerMergeContext): void;
  abstract shouldFire(c: TriggerContext): boolean;
  /** The pane fired (only called when shouldFire said so); a trigger that is done sets its finished bit here. */
  abstract onFire(c: TriggerContext): void;

  /** Clears this node's state and its sub-triggers' (not the finished bits). */
  clear(c: TriggerContext): void {
    for (const sub of this.subTriggers) sub.clear(c);
  }

  isFinished(c: TriggerContext): boolean {
    return c.finished.isFinished(this.index);
  }
  setFinished(c: TriggerContext, finished: boolean): void {
    c.finished.setFinished(this.index, finished);
  }

  /** onElement unless finished (Beam's ExecutableTrigger.invokeOnElement). */
  invokeOnElement(c: TriggerContext): void {
    if (!this.isFinished(c)) this.onElement(c);
  }

  /** Starts this subtree over: finished bits off, state cleared. */
  resetTree(c: TriggerContext): void {
    this.clearFinishedTree(c);
    this.clear(c);
  }
  private clearFinishedTree(c: TriggerContext): void {
    this.setFinished(c, false);
    for (const sub of this.subTriggers) sub.clearFinishedTree(c);
  }

  protected tag<S>(make: (id: string) => StateTag<S>, name: string): StateTag<S> {
    return make(`trigger/${this.index}/${name}`);
  }
}

/** Folds a combining cell of the merging windows into the result window's, clearing the sources. */
export function mergeCombining<I, A, O>(c: TriggerMergeContext, tag: StateTag<CombiningState<I, A, O>>): CombiningState<I, A, O> {
  const target = c.state.state(c.namespace, tag);
  for (const ns of c.mergingNamespaces) {
    if (ns === c.namespace) continue;
    const source = c.state.state(ns, tag);
    if (source.isEmpty()) continue;
    target.addAccumulator(source.readAccumulator());
    source.clear();
  }
  return target;
}

/** True once the input watermark is past the end of the window. */
export function endOfWindowReached(c: TriggerContext): boolean {
  return c.currentInputWatermark() > c.window.maxTimestamp;
}

/** Sums counts (AfterCount). */
export const COUNT_FN: StateCombineFn<number, number, number> = {
  createAccumulator: () => 0,
  addInput: (a, x) => a + x,
  mergeAccumulators: (as) => as.reduce((a, b) => a + b, 0),
  extractOutput: (a) => a,
};

/** Keeps the earliest instant (processing-time targets). */
export const EARLIEST_FN: StateCombineFn<Instant, Instant, Instant> = {
  createAccumulator: () => Infinity,
  addInput: (a, x) => (x < a ? x : a),
  mergeAccumulators: (as) => as.reduce((a, b) => (b < a ? b : a), Infinity),
  extractOutput: (a) => a,
};
