import { PipelineValidationError } from './errors.ts';
import { isKvCoder, type Coder } from './coder.ts';
import type { PipelineGraph, ViewInfo } from './graph.ts';
import type { FilterSpec, FlatMapSpec, MapSpec, PrimitiveSpec } from './primitives.ts';
import type { WindowingStrategy } from './windowing-strategy.ts';

/**
 * A transform: something applied to an input (a PCollection, a tuple of them, or the pipeline root) that adds steps to
 * the graph and returns its outputs. Composite transforms open a name scope; `primitive` ones add exactly one node
 * named after themselves.
 */
export interface PTransform<I, O> {
  readonly name: string;
  readonly primitive?: boolean;
  expand(input: I, name: string): O;
}

/** Anything transforms can be applied to: a collection, or the pipeline root. */
export interface Applicable {
  readonly graph: PipelineGraph;
}

export function applyTransform<I extends Applicable, O>(input: I, transform: PTransform<I, O>, name?: string): O {
  const stepName = name ?? transform.name;
  if (transform.primitive) return transform.expand(input, stepName);
  return input.graph.inScope(stepName, () => transform.expand(input, stepName));
}

/**
 * An immutable, possibly unbounded collection of elements of type T, each with a timestamp and windows. Built by
 * applying transforms; holds no data itself.
 */
export class PCollection<T> implements Applicable {
  /** @internal */ declare readonly __type?: T;
  constructor(
    readonly graph: PipelineGraph,
    readonly id: string,
  ) {}

  get info() {
    const info = this.graph.collections.get(this.id);
    if (!info) throw new PipelineValidationError(`collection ${this.id} is not part of this pipeline`);
    return info;
  }
  get windowing(): WindowingStrategy {
    return this.info.windowing;
  }
  get bounded(): boolean {
    return this.info.bounded;
  }
  get name(): string {
    return this.info.name;
  }
  get coder(): Coder<T> | undefined {
    return this.info.coder as Coder<T> | undefined;
  }

  /** Declares the coder of this collection's elements (checked by grouping for deterministic keys). */
  withCoder(coder: Coder<T>): this {
    this.info.coder = coder as Coder<unknown>;
    return this;
  }

  apply<O>(transform: PTransform<PCollection<T>, O>): O;
  apply<O>(name: string, transform: PTransform<PCollection<T>, O>): O;
  apply<O>(a: string | PTransform<PCollection<T>, O>, b?: PTransform<PCollection<T>, O>): O {
    return typeof a === 'string' ? applyTransform(this, b!, a) : applyTransform(this, a);
  }

  /** One output per element. */
  map<U>(fn: (value: T) => U, name = 'Map'): PCollection<U> {
    return this.elementwise<U>({ kind: 'map', fn }, name);
  }
  /** Zero or more outputs per element. */
  flatMap<U>(fn: (value: T) => Iterable<U>, name = 'FlatMap'): PCollection<U> {
    return this.elementwise<U>({ kind: 'flatMap', fn }, name);
  }
  /** Keeps the elements for which `fn` is true. */
  filter(fn: (value: T) => boolean, name = 'Filter'): PCollection<T> {
    return this.elementwise<T>({ kind: 'filter', fn }, name);
  }

  private elementwise<U>(spec: MapSpec | FlatMapSpec | FilterSpec, name: string): PCollection<U> {
    return addPrimitive<U>(this, name, spec);
  }
}

/**
 * Adds a primitive with one main input and one main output (the shape of most primitives) and returns the output.
 * `windowing` defaults to the input's (windowInto passes the new strategy).
 */
export function addPrimitive<O>(input: PCollection<any>, stepName: string, spec: PrimitiveSpec, windowing: WindowingStrategy = input.windowing): PCollection<O> {
  const node = input.graph.addNode({
    name: stepName,
    kind: spec.kind,
    spec,
    inputs: [input.id],
    outputs: [{ tag: 'main', windowing, bounded: input.bounded }],
  });
  return new PCollection<O>(input.graph, node.outputs.get('main')!);
}

/** A side input: a collection materialized as a value of type V per window. */
export class PCollectionView<V> {
  /** @internal */ declare readonly __type?: V;
  constructor(
    readonly graph: PipelineGraph,
    readonly info: ViewInfo,
  ) {}
  get id(): string {
    return this.info.id;
  }
}

/** The value a view gives in a DoFn. */
export type ViewValue<W> = W extends PCollectionView<infer V> ? V : never;

/**
 * Grouping and state need keys that encode deterministically. When the input declares a KV coder whose key coder is
 * not deterministic, the pipeline is rejected here, before it runs; undeclared keys are checked per element by the
 * runner (which rejects functions, class instances, Maps and the like).
 */
export function requireDeterministicKeys(input: PCollection<unknown>, step: string): void {
  const c = input.coder;
  if (c === undefined) return;
  if (!isKvCoder(c)) {
    throw new PipelineValidationError(`step '${step}' needs keyed input (KV), but '${input.name}' has coder ${c.name}`, {
      hint: 'key the elements first, e.g. with withKeys(fn) or map((e) => kv(key, e))',
    });
  }
  if (!c.keyCoder.deterministic) {
    throw new PipelineValidationError(`step '${step}' groups by key, but the key coder ${c.keyCoder.name} of '${input.name}' is not deterministic${c.keyCoder.nonDeterministicReason ? ` (${c.keyCoder.nonDeterministicReason})` : ''}`, {
      hint: 'key by a string or an integer (coders.string(), coders.varInt()), e.g. map((e) => kv(String(e.key), e.value))',
    });
  }
}
