import { parseDuration, type DurationLike, type Millis } from './time.ts';
import { describeTrigger, type Trigger } from './trigger.ts';
import { windowFns, type WindowFn } from './window-fn.ts';

/** How panes relate: discarding panes hold only new elements; accumulating panes hold all elements so far. */
export type AccumulationMode = 'discarding' | 'accumulating';

/**
 * The timestamp of a pane's output: the end of the window, or the earliest / latest element timestamp in it.
 * 'earliestTransformed' applies the window function's output-time transform to the earliest (Python Beam's
 * OUTPUT_AT_EARLIEST_TRANSFORMED).
 */
export type TimestampCombiner = 'endOfWindow' | 'earliest' | 'latest' | 'earliestTransformed';

/** Whether the ON_TIME pane / the final pane at window expiry fire when they would be empty. */
export type EmptyPaneBehavior = 'fireAlways' | 'fireIfNonEmpty';

/** Everything that decides how a PCollection's elements are windowed and when grouped results are emitted. */
export interface WindowingStrategy {
  readonly windowFn: WindowFn<any>;
  readonly trigger: Trigger;
  readonly accumulation: AccumulationMode;
  readonly allowedLateness: Millis;
  readonly timestampCombiner: TimestampCombiner;
  readonly onTimeBehavior: EmptyPaneBehavior;
  readonly closingBehavior: EmptyPaneBehavior;
}

/** What `windowInto` accepts besides the window function. */
export interface WindowingOptions {
  trigger?: Trigger;
  accumulation?: AccumulationMode;
  allowedLateness?: DurationLike;
  timestampCombiner?: TimestampCombiner;
  onTimeBehavior?: EmptyPaneBehavior;
  closingBehavior?: EmptyPaneBehavior;
}

export const GLOBAL_WINDOWING: WindowingStrategy = Object.freeze({
  windowFn: windowFns.global(),
  trigger: { kind: 'default' },
  accumulation: 'discarding',
  allowedLateness: 0,
  timestampCombiner: 'endOfWindow',
  onTimeBehavior: 'fireAlways',
  closingBehavior: 'fireIfNonEmpty',
}) as WindowingStrategy;

export function windowingStrategy(windowFn: WindowFn<any>, opts: WindowingOptions = {}, base: WindowingStrategy = GLOBAL_WINDOWING): WindowingStrategy {
  const allowedLateness = opts.allowedLateness !== undefined ? parseDuration(opts.allowedLateness, 'allowedLateness') : base.allowedLateness;
  if (allowedLateness < 0) throw new RangeError(`allowedLateness must not be negative, got ${allowedLateness}`);
  const accumulation = opts.accumulation ?? base.accumulation;
  if (accumulation !== 'discarding' && accumulation !== 'accumulating') {
    throw new RangeError(`accumulation must be 'discarding' or 'accumulating', got '${String(accumulation)}'`);
  }
  return Object.freeze({
    windowFn,
    trigger: opts.trigger ?? base.trigger,
    accumulation,
    allowedLateness,
    timestampCombiner: opts.timestampCombiner ?? base.timestampCombiner,
    onTimeBehavior: opts.onTimeBehavior ?? base.onTimeBehavior,
    closingBehavior: opts.closingBehavior ?? base.closingBehavior,
  });
}

export function describeWindowing(s: WindowingStrategy): string {
  return `${s.windowFn.describe()} ${describeTrigger(s.trigger)} ${s.accumulation} lateness=${s.allowedLateness} ts=${s.timestampCombiner}`;
}
