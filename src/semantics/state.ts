import type { Instant } from '../model/index.ts';

/**
 * State, addressed by typed tags through one port: `StateInternals.state(namespace, tag)` (as Beam's runners-core).
 * The namespace is a window key (or 'global' for per-key state that is not windowed). Implementations: the in-memory
 * reference backend here; later a spilling and a checkpointing one. Every backend passes the same conformance suite.
 */
export interface ValueState<T> {
  read(): T | undefined;
  write(value: T): void;
  clear(): void;
}

export interface BagState<T> {
  add(value: T): void;
  read(): readonly T[];
  isEmpty(): boolean;
  clear(): void;
}

/** A combining value: inputs fold into one accumulator through a CombineFn. */
export interface CombiningState<I, A, O> {
  add(input: I): void;
  addAccumulator(acc: A): void;
  readAccumulator(): A;
  read(): O;
  isEmpty(): boolean;
  clear(): void;
}

export interface MapState<K, V> {
  get(key: K): V | undefined;
  set(key: K, value: V): void;
  delete(key: K): void;
  has(key: K): boolean;
  entries(): Iterable<[K, V]>;
  keys(): Iterable<K>;
  isEmpty(): boolean;
  clear(): void;
}

export interface SetState<T> {
  add(value: T): boolean;
  has(value: T): boolean;
  delete(value: T): void;
  values(): Iterable<T>;
  isEmpty(): boolean;
  clear(): void;
}

/** Values sorted by timestamp; reads and clears by timestamp range [from, to). */
export interface OrderedListState<T> {
  add(timestamp: Instant, value: T): void;
  read(from?: Instant, to?: Instant): Array<{ timestamp: Instant; value: T }>;
  clearRange(from: Instant, to: Instant): void;
  isEmpty(): boolean;
  clear(): void;
}

/**
 * A watermark hold: holds the operator's output watermark back to the instant it reads. The instants added combine by
 * the tag's `combine`: 'earliest' (the default) keeps the minimum, 'latest' the maximum (OUTPUT_AT_LATEST panes).
 */
export interface WatermarkHoldState {
  add(t: Instant): void;
  read(): Instant | undefined;
  clear(): void;
}

/** The minimal combine function that combining state needs (transforms' CombineFn satisfies it). */
export interface StateCombineFn<I, A, O> {
  createAccumulator(): A;
  addInput(acc: A, input: I): A;
  mergeAccumulators(accs: A[]): A;
  extractOutput(acc: A): O;
}

export type StateTag<S> =
  | ({ readonly kind: 'value'; readonly id: string } & Phantom<S>)
  | ({ readonly kind: 'bag'; readonly id: string } & Phantom<S>)
  | ({ readonly kind: 'combining'; readonly id: string; readonly combineFn: StateCombineFn<any, any, any> } & Phantom<S>)
  | ({ readonly kind: 'map'; readonly id: string } & Phantom<S>)
  | ({ readonly kind: 'set'; readonly id: string } & Phantom<S>)
  | ({ readonly kind: 'orderedList'; readonly id: string } & Phantom<S>)
  | ({ readonly kind: 'watermarkHold'; readonly id: string; readonly combine?: HoldCombine } & Phantom<S>);

/** How the instants added to a watermark hold combine. */
export type HoldCombine = 'earliest' | 'latest';

/** Carries the state type in the tag's type without a runtime field. */
interface Phantom<S> {
  readonly __state?: S;
}

/** Typed state tags. */
export const stateTags = {
  value<T>(id: string): StateTag<ValueState<T>> {
    return { kind: 'value', id };
  },
  bag<T>(id: string): StateTag<BagState<T>> {
    return { kind: 'bag', id };
  },
  combining<I, A, O>(id: string, combineFn: StateCombineFn<I, A, O>): StateTag<CombiningState<I, A, O>> {
    return { kind: 'combining', id, combineFn };
  },
  map<K, V>(id: string): StateTag<MapState<K, V>> {
    return { kind: 'map', id };
  },
  set<T>(id: string): StateTag<SetState<T>> {
    return { kind: 'set', id };
  },
  orderedList<T>(id: string): StateTag<OrderedListState<T>> {
    return { kind: 'orderedList', id };
  },
  watermarkHold(id: string, combine: HoldCombine = 'earliest'): StateTag<WatermarkHoldState> {
    return combine === 'earliest' ? { kind: 'watermarkHold', id } : { kind: 'watermarkHold', id, combine };
  },
};

/** The state of one key: every namespace (window) and tag under it. */
export interface StateInternals {
  state<S>(namespace: string, tag: StateTag<S>): S;
  /** Drops every tag of a namespace (window garbage collection). */
  clearNamespace(namespace: string): void;
  /** True when the key holds no state at all (lets a backend drop the key). */
  isEmpty(): boolean;
}
