import type { Instant, StateSpec, TimerSpec } from '../model/index.ts';
import type { BagState, CombiningState, MapState, OrderedListState, SetState, StateCombineFn, ValueState } from '../semantics/index.ts';

/** A declared piece of state; the phantom type is what `ctx.state.<name>` gives. */
export type StateDecl<S> = StateSpec & { readonly __access?: S };

/**
 * State declarations for stateful DoFns (per key and window).
 * @example parDo({ state: { seen: state.value<boolean>(), total: state.combining(combine.sum()) }, process(e, ctx) { ... } })
 */
export const state = {
  value<T>(): StateDecl<ValueState<T>> {
    return { kind: 'value' };
  },
  bag<T>(): StateDecl<BagState<T>> {
    return { kind: 'bag' };
  },
  combining<I, A, O>(combineFn: StateCombineFn<I, A, O>): StateDecl<CombiningState<I, A, O>> {
    return { kind: 'combining', combineFn };
  },
  map<K, V>(): StateDecl<MapState<K, V>> {
    return { kind: 'map' };
  },
  set<T>(): StateDecl<SetState<T>> {
    return { kind: 'set' };
  },
  orderedList<T>(): StateDecl<OrderedListState<T>> {
    return { kind: 'orderedList' };
  },
};

/** A timer of the current key and window. */
export interface Timer {
  /** Sets (or moves) the timer to fire at `timestamp` (event time: when the watermark passes it; processing time: the clock). */
  set(timestamp: Instant, opts?: { outputTimestamp?: Instant }): void;
  /** Sets the timer `delayMs` after now (processing time) or after the element's timestamp (event time). */
  offset(delayMs: number, opts?: { outputTimestamp?: Instant }): void;
  clear(): void;
}

/** A family of timers addressed by id (Beam's TimerMap). */
export interface TimerFamily {
  set(id: string, timestamp: Instant, opts?: { outputTimestamp?: Instant }): void;
  clear(id: string): void;
}

export type TimerDecl<T> = TimerSpec & { readonly __access?: T };

export const timer = {
  eventTime(): TimerDecl<Timer> {
    return { domain: 'event', family: false };
  },
  processingTime(): TimerDecl<Timer> {
    return { domain: 'processing', family: false };
  },
  eventTimeFamily(): TimerDecl<TimerFamily> {
    return { domain: 'event', family: true };
  },
  processingTimeFamily(): TimerDecl<TimerFamily> {
    return { domain: 'processing', family: true };
  },
};

export type StateAccess<S> = { readonly [K in keyof S]: S[K] extends StateDecl<infer A> ? A : never };
export type TimerAccess<T> = { readonly [K in keyof T]: T[K] extends TimerDecl<infer A> ? A : never };
