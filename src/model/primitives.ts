import type { DoFn } from './do-fn.ts';
import type { Sink } from './sink.ts';
import type { Source } from './source.ts';
import type { Instant, Millis } from './time.ts';

/**
 * The primitive transforms a runner executes. Everything users apply (join, distinct, combine.globally, file writes...)
 * expands into these.
 */
export type PrimitiveSpec =
  | ReadSpec
  | TestStreamSpec
  | MapSpec
  | FlatMapSpec
  | FilterSpec
  | ParDoSpec
  | WindowIntoSpec
  | AssignTimestampsSpec
  | GroupByKeySpec
  | CombinePerKeySpec
  | FlattenSpec
  | ViewSpec
  | ReshuffleSpec
  | SinkSpec;

/** The names of the primitives: a runner's dispatch over them is exhaustive (see `PrimitiveNode`). */
export type PrimitiveKind = PrimitiveSpec['kind'];

export interface ReadSpec {
  readonly kind: 'read';
  readonly source: Source<unknown>;
}

/** One scripted event of a TestStream. */
export type TestStreamEvent<T> =
  | { readonly kind: 'elements'; readonly elements: ReadonlyArray<{ readonly value: T; readonly timestamp: Instant }> }
  | { readonly kind: 'watermark'; readonly watermark: Instant }
  | { readonly kind: 'processingTime'; readonly advanceBy: Millis };

export interface TestStreamSpec {
  readonly kind: 'testStream';
  readonly events: readonly TestStreamEvent<unknown>[];
  /** Called by the runner after each event has been fully processed (used by transcript harnesses). */
  readonly onEventDone?: (index: number) => void;
}

/** Stateless element-wise functions. With `errorTag`, exceptions route the element to that output. */
export interface MapSpec {
  readonly kind: 'map';
  readonly fn: (value: any) => unknown;
  readonly errorTag?: string;
}
export interface FlatMapSpec {
  readonly kind: 'flatMap';
  readonly fn: (value: any) => Iterable<unknown>;
  readonly errorTag?: string;
}
export interface FilterSpec {
  readonly kind: 'filter';
  readonly fn: (value: any) => boolean;
  readonly errorTag?: string;
}

export interface ParDoSpec {
  readonly kind: 'parDo';
  readonly doFn: DoFn<any, any, any, any, any, any>;
  /** Tagged outputs besides 'main'. */
  readonly outputTags: readonly string[];
  readonly errorTag?: string;
  /** Side input name → view id. */
  readonly sideInputs: Readonly<Record<string, string>>;
  /** How far before the input timestamp outputWithTimestamp may go. */
  readonly allowedSkew: Millis;
  /** True when the DoFn declares state or timers (its input must be keyed). */
  readonly stateful: boolean;
}

export interface WindowIntoSpec {
  readonly kind: 'windowInto';
}

export interface AssignTimestampsSpec {
  readonly kind: 'assignTimestamps';
  readonly fn: (value: any, previous: Instant) => Instant;
  readonly allowedSkew: Millis;
  readonly errorTag?: string;
}

export interface GroupByKeySpec {
  readonly kind: 'groupByKey';
}

export interface CombinePerKeySpec {
  readonly kind: 'combinePerKey';
  readonly combineFn: { createAccumulator(): any; addInput(a: any, i: any): any; mergeAccumulators(a: any[]): any; extractOutput(a: any): any; compact?(a: any): any };
}

export interface FlattenSpec {
  readonly kind: 'flatten';
}

export interface ViewSpec {
  readonly kind: 'view';
  readonly viewId: string;
}

export interface ReshuffleSpec {
  readonly kind: 'reshuffle';
}

/** Writes the input to a sink the engine awaits (model/sink.ts). No outputs. */
export interface SinkSpec {
  readonly kind: 'sink';
  readonly sink: Sink<unknown, unknown>;
}
