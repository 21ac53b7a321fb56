import type { BoundedWindow } from './window.ts';
import type { PaneInfo } from './pane.ts';
import type { Instant } from './time.ts';

/** Metrics a user function reports: counters, distributions (count/sum/min/max) and gauges (last value). */
export interface MetricsContext {
  counter(name: string): { inc(n?: number): void };
  distribution(name: string): { update(value: number): void };
  gauge(name: string): { set(value: number): void };
}

/** Where an element is: its event timestamp, window and pane. */
export interface ElementContext {
  readonly timestamp: Instant;
  readonly window: BoundedWindow;
  readonly pane: PaneInfo;
}

/** Outputs of a DoFn: the main output, tagged outputs, and outputs with an explicit timestamp. */
export interface OutputContext<O, Tags> {
  output(value: O): void;
  /** Outputs with a new timestamp; it may not move earlier than the input's timestamp minus the allowed skew. */
  outputWithTimestamp(value: O, timestamp: Instant): void;
  outputTo<K extends keyof Tags & string>(tag: K, value: Tags[K]): void;
}

/** What `process` sees for each element. */
export interface ProcessContext<O, Side, Tags, State, Timers> extends ElementContext, OutputContext<O, Tags> {
  /** Side inputs, read in the window that maps from this element's window. */
  readonly side: Side;
  /** Per key-and-window state (stateful DoFns only). */
  readonly state: State;
  /** Timers of this key and window (stateful DoFns only). */
  readonly timers: Timers;
  /** The element's key (stateful DoFns only, whose input is KV). */
  readonly key: unknown;
  readonly metrics: MetricsContext;
}

/** What `finishBundle` sees: outputs need an explicit timestamp and window. */
export interface FinishBundleContext<O> {
  output(value: O, timestamp: Instant, window: BoundedWindow): void;
  readonly metrics: MetricsContext;
}

/** What a timer callback sees. */
export interface OnTimerContext<O, Tags, State, Timers> extends OutputContext<O, Tags> {
  readonly key: unknown;
  readonly window: BoundedWindow;
  /** The instant the timer was set for. */
  readonly fireTimestamp: Instant;
  /** The timestamp outputs get by default (the timer's output timestamp). */
  readonly timestamp: Instant;
  readonly domain: 'event' | 'processing';
  /** For timer families: the id of the timer that fired. */
  readonly timerId: string;
  readonly state: State;
  readonly timers: Timers;
  readonly metrics: MetricsContext;
}

/** Declared state of a stateful DoFn (see `state.value()` etc. in transforms). */
export type StateSpec =
  | { readonly kind: 'value' }
  | { readonly kind: 'bag' }
  | { readonly kind: 'combining'; readonly combineFn: { createAccumulator(): any; addInput(a: any, i: any): any; mergeAccumulators(a: any[]): any; extractOutput(a: any): any } }
  | { readonly kind: 'map' }
  | { readonly kind: 'set' }
  | { readonly kind: 'orderedList' };

/** Declared timers: one timer, or a family of timers addressed by id. */
export interface TimerSpec {
  readonly domain: 'event' | 'processing';
  readonly family: boolean;
}

/**
 * A DoFn: Beam's element-wise function with a lifecycle. `setup`/`teardown` run once per instance, `startBundle` /
 * `finishBundle` around each bundle, `process` per element. Stateful DoFns declare `state` and `timers` up front.
 */
export interface DoFn<I, O, Side = Record<string, never>, Tags = Record<string, never>, State = Record<string, never>, Timers = Record<string, never>> {
  setup?(): void | Promise<void>;
  startBundle?(): void;
  process(element: I, ctx: ProcessContext<O, Side, Tags, State, Timers>): void;
  finishBundle?(ctx: FinishBundleContext<O>): void;
  teardown?(): void | Promise<void>;
  readonly state?: Record<string, StateSpec>;
  readonly timers?: Record<string, TimerSpec>;
  readonly onTimer?: Record<string, (ctx: OnTimerContext<O, Tags, State, Timers>) => void>;
  /** Called once per key and window when the window expires (watermark past its end plus allowed lateness). */
  onWindowExpiration?(ctx: OnTimerContext<O, Tags, State, Timers>): void;
  /**
   * Set (to the reason) by a DoFn that shares in-process state with another step of the same job — e.g. a sink that
   * stages rows in one step and commits them in another — and so is only correct when the job runs on one worker.
   * A run on several workers refuses such a pipeline before it starts, naming the step and this reason.
   */
  readonly singleWorker?: string;
}
