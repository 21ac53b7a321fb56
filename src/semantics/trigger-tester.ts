import { MIN_TIMESTAMP, type BoundedWindow, type Instant, type PaneInfo, type WindowingStrategy } from '../model/index.ts';
import { InMemoryStateInternals } from './in-memory-state.ts';
import { bufferingReduceFn, type ReduceFn } from './reduce-fn.ts';
import type { TimeDomain, TimerData, TimerInternals } from './timers.ts';
import { WindowReducer, type ReducerContext, type WindowedInput } from './window-reducer.ts';

/** One pane the reducer emitted. */
export interface TesterOutput<O> {
  value: O;
  timestamp: Instant;
  window: BoundedWindow;
  pane: PaneInfo;
}

/** An element to inject: a value with its event timestamp (windows are assigned by the strategy's window function). */
export interface TimestampedValue<V> {
  value: V;
  timestamp: Instant;
}

class TesterTimers implements TimerInternals {
  readonly pending = new Map<string, TimerData>();
  inputWatermark: Instant = MIN_TIMESTAMP;
  outputWatermark: Instant = MIN_TIMESTAMP;
  processingTime: Instant = 0;
  private static key(namespace: string, id: string, family: string, domain: TimeDomain): string {
    return `${namespace}\u0000${family}\u0000${id}\u0000${domain}`;
  }
  setTimer(timer: TimerData): void {
    this.pending.set(TesterTimers.key(timer.namespace, timer.id, timer.family, timer.domain), timer);
  }
  deleteTimer(namespace: string, id: string, family: string, domain: TimeDomain): void {
    this.pending.delete(TesterTimers.key(namespace, id, family, domain));
  }
  currentProcessingTime(): Instant {
    return this.processingTime;
  }
  currentInputWatermark(): Instant {
    return this.inputWatermark;
  }
  currentOutputWatermark(): Instant {
    return this.outputWatermark;
  }
  /** Removes and returns the earliest due timer: event-time ones first (watermark > timestamp), then processing-time. */
  takeNextDue(): TimerData | undefined {
    let best: [string, TimerData] | undefined;
    for (const entry of this.pending) {
      const t = entry[1];
      const due = t.domain === 'event' ? t.timestamp < this.inputWatermark : t.timestamp <= this.processingTime;
      if (!due) continue;
      if (best === undefined || rank(t) < rank(best[1]) || (rank(t) === rank(best[1]) && t.timestamp < best[1].timestamp)) best = entry;
    }
    if (best === undefined) return undefined;
    this.pending.delete(best[0]);
    return best[1];
  }
}

function rank(t: TimerData): number {
  return t.domain === 'event' ? 0 : 1;
}

/**
 * A pure harness for one key (as Beam's ReduceFnTester / TriggerStateMachineTester): in-memory state, a timer queue,
 * an input watermark and a processing-time clock. Each action fires the timers it makes due, one at a time in time
 * order, then moves the output watermark to min(input watermark, holds). Tests then read like transcripts.
 *
 * @example
 *   const t = TriggerTester.buffering<number>(windowingStrategy(windowFns.fixed(10)));
 *   t.injectElements({ value: 1, timestamp: 1 });
 *   t.advanceInputWatermark(10);
 *   t.extractOutput(); // [{ value: [1], timestamp: 9, window: [0, 10), pane: ON_TIME }]
 *   t.assertCleared();
 */
export class TriggerTester<V, O> {
  readonly state: InMemoryStateInternals;
  readonly timers = new TesterTimers();
  readonly reducer: WindowReducer<V, O>;
  readonly dropped = { late: 0, 'closed-window': 0 };
  private readonly holds = new Map<string, Instant>();
  private outputs: TesterOutput<O>[] = [];
  private readonly ctx: ReducerContext<O>;

  constructor(
    readonly strategy: WindowingStrategy,
    reduceFn: ReduceFn<V, O>,
  ) {
    this.reducer = new WindowReducer(strategy, reduceFn);
    this.state = new InMemoryStateInternals({
      onHoldChanged: (ns, id, _prev, next) => {
        if (next === undefined) this.holds.delete(`${ns}\u0000${id}`);
        else this.holds.set(`${ns}\u0000${id}`, next);
      },
    });
    const outputs = (): TesterOutput<O>[] => this.outputs;
    const dropped = this.dropped;
    this.ctx = {
      state: this.state,
      timers: this.timers,
      output(value, timestamp, window, pane) {
        outputs().push({ value, timestamp, window, pane });
      },
      dropped(count, reason) {
        dropped[reason] += count;
      },
    };
  }

  /** A tester whose panes are the arrays of their values (groupByKey). */
  static buffering<V>(strategy: WindowingStrategy): TriggerTester<V, V[]> {
    return new TriggerTester(strategy, bufferingReduceFn<V>());
  }

  /** Injects elements as one bundle; numbers are taken as values whose timestamp is the value itself. */
  injectElements(...elements: Array<TimestampedValue<V> | (V & number)>): void {
    const bundle: WindowedInput<V>[] = elements.map((e) => {
      const { value, timestamp } = typeof e === 'number' ? { value: e as V, timestamp: e } : (e as TimestampedValue<V>);
      return { value, timestamp, windows: this.strategy.windowFn.assignWindows(timestamp, value) };
    });
    this.reducer.processElements(this.ctx, bundle);
    this.fireDueTimers();
  }

  /** Injects elements already in their windows as one bundle (windows assigned, or merged, by the caller). */
  injectWindowed(elements: readonly WindowedInput<V>[]): void {
    this.reducer.processElements(this.ctx, elements);
    this.fireDueTimers();
  }

  advanceInputWatermark(t: Instant): void {
    if (t < this.timers.inputWatermark) throw new RangeError(`the input watermark cannot go back (from ${this.timers.inputWatermark} to ${t})`);
    this.timers.inputWatermark = t;
    this.fireDueTimers();
  }

  advanceProcessingTime(t: Instant): void {
    if (t < this.timers.processingTime) throw new RangeError(`processing time cannot go back (from ${this.timers.processingTime} to ${t})`);
    this.timers.processingTime = t;
    this.fireDueTimers();
  }

  get inputWatermark(): Instant {
    return this.timers.inputWatermark;
  }
  get outputWatermark(): Instant {
    return this.timers.outputWatermark;
  }
  /** The earliest watermark hold of the key, if any. */
  earliestHold(): Instant | undefined {
    let min: Instant | undefined;
    for (const h of this.holds.values()) if (min === undefined || h < min) min = h;
    return min;
  }

  /** Returns and forgets the panes emitted so far. */
  extractOutput(): TesterOutput<O>[] {
    const out = this.outputs;
    this.outputs = [];
    return out;
  }

  /** Throws unless the key holds no state at all (every window was garbage collected). */
  assertCleared(): void {
    if (!this.state.isEmpty()) throw new Error(`state was not cleared: ${JSON.stringify(this.state.describe())}`);
  }

  private fireDueTimers(): void {
    let timer: TimerData | undefined;
    while ((timer = this.timers.takeNextDue()) !== undefined) this.reducer.onTimers(this.ctx, [timer]);
    const hold = this.earliestHold();
    const next = hold === undefined ? this.timers.inputWatermark : Math.min(hold, this.timers.inputWatermark);
    if (next > this.timers.outputWatermark) this.timers.outputWatermark = next;
  }
}
