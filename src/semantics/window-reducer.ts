import type { BoundedWindow, Instant, PaneInfo, WindowingStrategy } from '../model/index.ts';
import { ActiveWindowSet } from './active-window-set.ts';
import { nextPane } from './pane-tracker.ts';
import type { ReduceFn } from './reduce-fn.ts';
import { stateTags, type StateInternals } from './state.ts';
import type { TimeDomain, TimerData, TimerInternals } from './timers.ts';
import { FinishedBits, type TriggerContext, type TriggerMergeContext, type TriggerStateMachine } from './triggers/trigger-context.ts';
import { triggerStateMachine } from './triggers/trigger-state-machine.ts';
import { WatermarkHolds } from './watermark-holds.ts';

/** One element of a key, with its timestamp and the windows it was assigned to. */
export interface WindowedInput<V> {
  value: V;
  timestamp: Instant;
  windows: readonly BoundedWindow[];
}

/** What the engine gives the reducer for one key: its state, its timers and clocks, and where panes go. */
export interface ReducerContext<O> {
  readonly state: StateInternals;
  readonly timers: TimerInternals;
  output(value: O, timestamp: Instant, window: BoundedWindow, pane: PaneInfo): void;
  /** Metric: data later than the allowed lateness, or for a window whose trigger finished. */
  dropped(count: number, reason: 'late' | 'closed-window'): void;
}

/** The timer family of the reducer's timers. */
export const WINDOW_TIMER_FAMILY = 'window';

/**
 * The id of a reducer timer. Timers are identified by window, domain and timestamp (as in Beam's runners-core), so the
 * end-of-window timer, the trigger's watermark timer and (with no allowed lateness) the GC timer at the same instant are
 * one timer, and setting a timer again is a no-op. The id spells the timestamp relative to the end of the window
 * (`eow`, `eow+1000`): one-to-one per window, and cheap, since the offsets are small numbers (allowed lateness).
 */
export function windowTimerId(window: BoundedWindow, timestamp: Instant): string {
  const offset = timestamp - window.maxTimestamp;
  return offset === 0 ? 'eow' : offset > 0 ? `eow+${offset}` : `eow${offset}`;
}

const PANE_TAG = stateTags.value<PaneInfo>('pane/info');
const NON_EMPTY_TAG = stateTags.value<true>('pane/nonEmpty');

/**
 * The trigger's view of one window, created once per window per call (not per element). `namespace` is the window's
 * state address (its key, unless it is a merged session that kept a source's address); timers are the window's own.
 */
class WindowTriggerContext implements TriggerContext {
  readonly finished: FinishedBits;
  constructor(
    readonly window: BoundedWindow,
    readonly namespace: string,
    readonly state: StateInternals,
    readonly isMerging: boolean,
    private readonly timers: TimerInternals,
  ) {
    this.finished = new FinishedBits(state, namespace);
  }
  // The last timer set through this context, per domain: triggers set the same timer for every element of a bundle.
  private lastEvent = NaN;
  private lastProcessing = NaN;
  setTimer(timestamp: Instant, domain: TimeDomain): void {
    if (domain === 'event') {
      if (timestamp === this.lastEvent) return;
      this.lastEvent = timestamp;
    } else {
      if (timestamp === this.lastProcessing) return;
      this.lastProcessing = timestamp;
    }
    setWindowTimer(this.timers, this.window, timestamp, domain);
  }
  currentInputWatermark(): Instant {
    return this.timers.currentInputWatermark();
  }
  currentProcessingTime(): Instant {
    return this.timers.currentProcessingTime();
  }
  currentSynchronizedProcessingTime(): Instant {
    return this.timers.currentProcessingTime();
  }
}

class WindowMergeContext extends WindowTriggerContext implements TriggerMergeContext {
  constructor(
    window: BoundedWindow,
    namespace: string,
    state: StateInternals,
    timers: TimerInternals,
    readonly mergingNamespaces: readonly string[],
    private readonly mergingBits: ReadonlyArray<readonly boolean[] | undefined>,
  ) {
    super(window, namespace, state, true, timers);
  }
  finishedInAnyMergingWindow(index: number): boolean {
    return this.mergingBits.some((b) => b?.[index] === true);
  }
  finishedInAllMergingWindows(index: number): boolean {
    // A merge of brand-new windows has nothing finished.
    return this.mergingBits.length > 0 && this.mergingBits.every((b) => b?.[index] === true);
  }
}

function setWindowTimer(timers: TimerInternals, window: BoundedWindow, timestamp: Instant, domain: TimeDomain): void {
  timers.setTimer({
    namespace: window.key,
    window,
    id: windowTimerId(window, timestamp),
    family: WINDOW_TIMER_FAMILY,
    timestamp,
    // The reducer's holds are watermark-hold state; its timers hold nothing more than their own time.
    outputTimestamp: domain === 'event' ? timestamp : Number.MAX_SAFE_INTEGER,
    domain,
  });
}

/** A window touched by a bundle: its trigger context and whether it was closed when the bundle began. */
interface Touched {
  readonly tc: WindowTriggerContext;
  readonly closed: boolean;
}

/**
 * The heart of grouping in event time (Beam's ReduceFnRunner): for one key, it assigns elements to (merged) windows,
 * buffers or combines them, runs the trigger, emits panes with their PaneInfo and timestamp, holds the watermark, drops
 * late data and garbage-collects each window's state once it expires. It holds no state of its own: everything lives
 * in the key's StateInternals and TimerInternals, so one reducer serves every key.
 *
 * @example
 *   const reducer = new WindowReducer(strategy, bufferingReduceFn<number>());
 *   reducer.processElements(ctx, [{ value: 1, timestamp: 5, windows: strategy.windowFn.assignWindows(5, 1) }]);
 */
export class WindowReducer<V, O> {
  private readonly root: TriggerStateMachine;
  private readonly holds: WatermarkHolds;
  private readonly merging: boolean;
  private readonly lateness: number;
  private readonly discarding: boolean;
  /** Whether merged windows keep a source's state address (sessions: a result contains its sources). */
  private readonly keepsAddresses: boolean;

  constructor(
    private readonly strategy: WindowingStrategy,
    private readonly reduceFn: ReduceFn<V, O>,
  ) {
    if (!(strategy.allowedLateness >= 0)) throw new RangeError(`allowedLateness must be >= 0, got ${strategy.allowedLateness}`);
    this.root = triggerStateMachine(strategy.trigger);
    this.holds = new WatermarkHolds(strategy);
    this.merging = strategy.windowFn.isMerging;
    this.lateness = strategy.allowedLateness;
    this.discarding = strategy.accumulation === 'discarding';
    this.keepsAddresses = strategy.windowFn.mergesIntersectingIntervals;
  }

  /** The instant after which the window's state is dropped and later data for it is late beyond lateness. */
  gcTime(window: BoundedWindow): Instant {
    return window.maxTimestamp + this.lateness;
  }

  /**
   * One key's elements of one bundle.
   *
   * Strategy:
   * 1. Drop each (element, window) whose window has expired (maxTimestamp + allowedLateness < input watermark).
   * 2. Merging window functions: add the new windows to the active set and merge (mergeWindows); each element's window
   *    becomes its result window, whose state is at the result's state address.
   * 3. For each (element, result window): drop it if the window's trigger has finished (closed window); otherwise add it
   *    to the pane, hold the watermark for it, tell the trigger, and (once per window) set the end-of-window timer, or
   *    the GC timer when the end of the window has passed.
   * 4. Fire every touched window whose trigger says so. Firing once per bundle (not per element) matches Beam.
   */
  processElements(ctx: ReducerContext<O>, elements: readonly WindowedInput<V>[]): void {
    if (elements.length === 0) return;
    const state = ctx.state;
    const timers = ctx.timers;
    const inputWM = timers.currentInputWatermark();
    const outputWM = timers.currentOutputWatermark();
    const lateness = this.lateness;
    let late = 0;
    let closedDrops = 0;

    // 2. Merging.
    let resultOf: Map<string, BoundedWindow> | undefined;
    let active: ActiveWindowSet | undefined;
    if (this.merging) {
      active = new ActiveWindowSet(state);
      const fresh = new Map<string, BoundedWindow>();
      for (const e of elements) for (const w of e.windows) if (w.maxTimestamp + lateness >= inputWM && !active.has(w.key)) fresh.set(w.key, w);
      if (fresh.size > 0) resultOf = this.mergeWindows(ctx, active, [...fresh.values()], inputWM, outputWM);
    }

    // 3. Elements into windows.
    const touched = new Map<string, Touched>();
    for (let i = 0; i < elements.length; i++) {
      const e = elements[i]!;
      const windows = e.windows;
      for (let j = 0; j < windows.length; j++) {
        const assigned = windows[j]!;
        // 1. Lateness.
        if (assigned.maxTimestamp + lateness < inputWM) {
          late++;
          continue;
        }
        const window = resultOf?.get(assigned.key) ?? assigned;
        let t = touched.get(window.key);
        if (t === undefined) {
          const tc = new WindowTriggerContext(window, active?.addressOf(window.key) ?? window.key, state, this.merging, timers);
          const closed = tc.finished.isFinished(this.root.index);
          t = { tc, closed };
          touched.set(window.key, t);
          if (!closed) {
            tc.setTimer(window.maxTimestamp < inputWM ? this.gcTime(window) : window.maxTimestamp, 'event');
            state.state(tc.namespace, NON_EMPTY_TAG).write(true);
          }
        }
        if (t.closed) {
          closedDrops++;
          continue;
        }
        const ns = t.tc.namespace;
        this.holds.addElementHolds(state, ns, window, e.timestamp, inputWM, outputWM);
        this.reduceFn.addInput(state, ns, e.value);
        this.root.invokeOnElement(t.tc);
      }
    }
    if (late > 0) ctx.dropped(late, 'late');
    if (closedDrops > 0) ctx.dropped(closedDrops, 'closed-window');

    // 4. Fire.
    for (const t of touched.values()) {
      if (!t.closed && this.root.shouldFire(t.tc)) this.emit(ctx, t.tc, active);
    }
  }

  /**
   * Merges the active windows with a bundle's new windows; returns the result window of every merged window.
   *
   * Strategy:
   * 1. Ask the window function for the merges of (active ∪ new) (planMerges).
   * 2. For each merge, pick the result's state address: the result's own if it was active; with sessions, else the
   *    address of its first active source (Beam's state address windows: extending a session moves nothing); else the
   *    result's key.
   * 3. Move the other active sources' pane contents, non-empty flag and holds to that address (holds are recomputed
   *    for the result window where they depend on it); merge trigger state with the finished bits of the active
   *    sources (new windows have none). Pane numbering restarts unless the result was active.
   * 4. Drop the merged-away windows: their end-of-window/GC timers, active-set entries and state (the other sources'
   *    addresses; a new window's or the result's own key, where a closed window may have left its finished bits).
   * 5. Record every result, and every new window that merged with nothing, as active.
   */
  private mergeWindows(ctx: ReducerContext<O>, active: ActiveWindowSet, fresh: readonly BoundedWindow[], inputWM: Instant, outputWM: Instant): Map<string, BoundedWindow> {
    const state = ctx.state;
    const { merges, resultOf } = active.planMerges(this.strategy.windowFn, fresh);
    for (const m of merges) {
      const result = m.result;
      const rns = result.key;
      // 2. The state address.
      const self = m.active.find((a) => a.window.key === rns);
      const address = self?.address ?? (this.keepsAddresses ? m.active[0]?.address : undefined) ?? rns;
      // 3. State.
      const sources = m.active.filter((a) => a.address !== address).map((a) => a.address);
      if (sources.length > 0) {
        this.reduceFn.merge(state, sources, address);
        if (sources.some((s) => state.state(s, NON_EMPTY_TAG).read() === true)) state.state(address, NON_EMPTY_TAG).write(true);
      }
      this.holds.onMerge(state, sources, address, result, inputWM, outputWM);
      if (self === undefined) state.state(address, PANE_TAG).clear();
      const mergingNamespaces = m.active.map((a) => a.address);
      const bits = mergingNamespaces.map((ns) => new FinishedBits(state, ns).read());
      const mc = new WindowMergeContext(result, address, state, ctx.timers, mergingNamespaces, bits);
      mc.finished.clear();
      this.root.onMerge(mc);
      // 4. Merged-away windows.
      for (const ns of sources) state.clearNamespace(ns);
      for (const w of m.toMerge) {
        if (w.key === rns) continue;
        this.deleteWindowTimers(ctx.timers, w);
        if (active.has(w.key)) active.remove(w.key);
        else if (w.key !== address) state.clearNamespace(w.key);
      }
      if (self === undefined && rns !== address) state.clearNamespace(rns);
      // 5. The result.
      active.add(result, address);
    }
    for (const w of fresh) if (!resultOf.has(w.key)) active.add(w);
    return resultOf;
  }

  private deleteWindowTimers(timers: TimerInternals, window: BoundedWindow): void {
    timers.deleteTimer(window.key, 'eow', WINDOW_TIMER_FAMILY, 'event');
    if (this.lateness > 0) timers.deleteTimer(window.key, windowTimerId(window, this.gcTime(window)), WINDOW_TIMER_FAMILY, 'event');
  }

  /**
   * Timers of this key that are due, in the order they should fire.
   *
   * Strategy, per timer:
   * 0. The window's state is at its state address if it is active, else under its own key. A timer of a window that
   *    merged away is stale; it must not touch the state of the window that kept its key as address.
   * 1. A garbage-collection timer (event time, at or after maxTimestamp + allowedLateness): if the window is still
   *    open, emit its final pane (ON_TIME if it is the first non-early one); then clear all of the window's state and
   *    timers. With no allowed lateness the end-of-window timer is the GC timer.
   * 2. Any other timer: if the window is active and open and its trigger should fire, emit a pane. Processing-time
   *    timers of expired windows are stale and ignored.
   * 3. An end-of-window timer (with allowed lateness) then sets the GC timer.
   */
  onTimers(ctx: ReducerContext<O>, timers: readonly TimerData[]): void {
    const state = ctx.state;
    const active = this.merging ? new ActiveWindowSet(state) : undefined;
    for (const timer of timers) {
      if (timer.family !== WINDOW_TIMER_FAMILY) continue;
      const window = timer.window;
      const key = window.key;
      const address = active?.addressOf(key);
      const isActive = active === undefined || address !== undefined;
      if (!isActive && active.isAddressOfOther(key)) continue;
      const ns = address ?? key;
      const gcTime = this.gcTime(window);
      const isEvent = timer.domain === 'event';
      const tc = new WindowTriggerContext(window, ns, state, this.merging, ctx.timers);
      const activeAndOpen = isActive && !tc.finished.isFinished(this.root.index);
      if (isEvent && timer.timestamp >= gcTime) {
        if (activeAndOpen && this.hasWindowState(state, ns)) this.onTrigger(ctx, tc, true);
        this.deleteWindowTimers(ctx.timers, window);
        state.clearNamespace(ns);
        active?.remove(key);
        continue;
      }
      if (!isEvent && gcTime < ctx.timers.currentInputWatermark()) continue;
      if (activeAndOpen && this.root.shouldFire(tc)) this.emit(ctx, tc, active);
      if (isEvent && timer.timestamp === window.maxTimestamp) setWindowTimer(ctx.timers, window, gcTime, 'event');
    }
  }

  /** Whether a window has anything a final pane could report (guards against stale timers of collected windows). */
  private hasWindowState(state: StateInternals, ns: string): boolean {
    return state.state(ns, NON_EMPTY_TAG).read() === true || state.state(ns, PANE_TAG).read() !== undefined || this.holds.hasHolds(state, ns);
  }

  /**
   * Fires a pane for a window whose trigger said so.
   *
   * Strategy:
   * 1. Tell the trigger it fired; the window is finished when the root trigger is.
   * 2. Produce the pane (onTrigger), then mark the pane empty.
   * 3. Discarding mode, or finished: drop the pane contents.
   * 4. Finished: drop trigger state (keeping the finished bits, so later elements are dropped as closed-window until
   *    garbage collection), pane numbering, and the active-set entry. A closed window keeps its state under its own
   *    key, so finished bits at another state address move there.
   */
  private emit(ctx: ReducerContext<O>, tc: WindowTriggerContext, active: ActiveWindowSet | undefined): void {
    const state = ctx.state;
    const ns = tc.namespace;
    this.root.onFire(tc);
    const isFinished = tc.finished.isFinished(this.root.index);
    this.onTrigger(ctx, tc, isFinished);
    state.state(ns, NON_EMPTY_TAG).clear();
    if (isFinished || this.discarding) this.reduceFn.clear(state, ns);
    if (isFinished) {
      this.root.clear(tc);
      state.state(ns, PANE_TAG).clear();
      const key = tc.window.key;
      active?.remove(key);
      if (ns !== key) {
        const bits = tc.finished.read();
        state.clearNamespace(ns);
        new FinishedBits(state, key).replace(bits);
      }
    }
  }

  /**
   * Produces a pane: its timestamp from the released holds, its PaneInfo from the previous pane and the watermarks.
   * An empty pane is emitted only when it is the ON_TIME pane and onTimeBehavior is 'fireAlways', or the final pane
   * and closingBehavior is 'fireAlways'.
   */
  private onTrigger(ctx: ReducerContext<O>, tc: WindowTriggerContext, isFinished: boolean): void {
    const state = ctx.state;
    const ns = tc.namespace;
    const window = tc.window;
    const inputWM = ctx.timers.currentInputWatermark();
    const outputWM = ctx.timers.currentOutputWatermark();
    const { outputTimestamp } = this.holds.extractAndRelease(state, ns, window, isFinished, inputWM, outputWM);
    const isEmpty = state.state(ns, NON_EMPTY_TAG).read() !== true;
    const s = this.strategy;
    if (isEmpty && s.closingBehavior === 'fireIfNonEmpty' && s.onTimeBehavior === 'fireIfNonEmpty') return;
    const paneCell = state.state(ns, PANE_TAG);
    const pane = nextPane(paneCell.read(), isFinished, window.maxTimestamp, inputWM, outputWM);
    const emitIt =
      !isEmpty || (pane.timing === 'ON_TIME' && s.onTimeBehavior === 'fireAlways') || (isFinished && s.closingBehavior === 'fireAlways');
    if (!emitIt) return;
    paneCell.write(pane);
    ctx.output(this.reduceFn.extractOutput(state, ns), outputTimestamp, window, pane);
  }
}
