import { PipelineValidationError } from './errors.ts';
import type { WindowingStrategy } from './windowing-strategy.ts';
import type { Applicable } from './pcollection.ts';
import type { Coder } from './coder.ts';
import type { PrimitiveKind, PrimitiveSpec } from './primitives.ts';

/**
 * The pipeline graph as data: nodes are applications of primitive transforms, edges are PCollections. The graph is
 * append-only while the pipeline is built, then frozen and handed to a runner, which plans it (fusion, combiner
 * lifting) as passes over this data.
 */
export interface CollectionInfo {
  readonly id: string;
  /** The full name of the step that produced it, with the output tag: `Parse/ParDo.main`. */
  readonly name: string;
  readonly producer: string;
  readonly windowing: WindowingStrategy;
  readonly bounded: boolean;
  /** The coder of the elements, when declared (`withCoder`): used across workers and to check key determinism. */
  coder?: Coder<unknown>;
}

/** A primitive transform application: `kind` says which primitive, `spec` carries its parameters. */
export interface NodeInfo<S = unknown> {
  readonly id: string;
  /** Unique full name, composite names joined by '/': `CountWords/Split`. */
  readonly name: string;
  readonly kind: string;
  readonly spec: S;
  /** Main inputs by collection id (several for flatten). */
  readonly inputs: readonly string[];
  /** Side inputs: view ids this node reads. */
  readonly sideInputs: readonly string[];
  /** Outputs by tag ('main' first). */
  readonly outputs: ReadonlyMap<string, string>;
}

/**
 * A node of the graph as a discriminated union over the primitives: `switch (node.kind)` narrows `node.spec`, and a
 * runner's dispatch ends in a `never` check, so adding a primitive fails to compile until every runner handles it.
 */
export type PrimitiveNode = { [K in PrimitiveKind]: NodeInfo<Extract<PrimitiveSpec, { readonly kind: K }>> & { readonly kind: K } }[PrimitiveKind];

/** A side input: the materialized contents of a collection, read per window by a ParDo. */
export interface ViewInfo {
  readonly id: string;
  readonly name: string;
  readonly collection: string;
  readonly kind: 'singleton' | 'iterable' | 'map' | 'multimap';
  readonly hasDefault: boolean;
  readonly defaultValue: unknown;
}

export class PipelineGraph {
  /** The pipeline root this graph belongs to (what sources are applied to). */
  root: Applicable = { graph: this };
  readonly nodes = new Map<string, PrimitiveNode>();
  readonly collections = new Map<string, CollectionInfo>();
  readonly views = new Map<string, ViewInfo>();
  /** Checks run after a successful run (PAssert-style assertions register here); a throw fails the run. */
  readonly completionChecks: Array<() => void> = [];
  private readonly names = new Set<string>();
  private readonly scope: string[] = [];
  private frozen = false;
  private counter = 0;

  /** Runs `body` inside a composite transform's name scope. */
  inScope<R>(name: string, body: () => R): R {
    this.scope.push(this.uniqueName(name));
    try {
      return body();
    } finally {
      this.scope.pop();
    }
  }

  /** Full name for a step named `name` in the current scope, made unique by a numeric suffix. */
  uniqueName(name: string): string {
    if (name.includes('/')) throw new PipelineValidationError(`step names must not contain '/': '${name}'`);
    const base = [...this.scope, name].join('/');
    let full = base;
    for (let i = 2; this.names.has(full); i++) full = `${base}${i}`;
    this.names.add(full);
    return full.split('/').pop()!;
  }

  addNode<S extends PrimitiveSpec>(opts: {
    name: string;
    kind: S['kind'];
    spec: S;
    inputs: readonly string[];
    sideInputs?: readonly string[];
    outputs: ReadonlyArray<{ tag: string; windowing: WindowingStrategy; bounded: boolean }>;
  }): NodeInfo<S> & { readonly kind: S['kind'] } {
    if (this.frozen) throw new PipelineValidationError('the pipeline has already been run; build a new Pipeline to add steps');
    for (const input of opts.inputs) if (!this.collections.has(input)) throw new PipelineValidationError(`unknown input collection ${input}`);
    for (const v of opts.sideInputs ?? []) {
      if (!this.views.has(v)) {
        throw new PipelineValidationError(`step '${opts.name}' reads side input ${v}, which is not part of this pipeline`, {
          hint: 'create the view from a collection of the same pipeline (view.asSingleton(...) etc.)',
        });
      }
    }
    const id = `n${++this.counter}`;
    const name = [...this.scope, this.uniqueName(opts.name)].join('/');
    const outputs = new Map<string, string>();
    for (const out of opts.outputs) {
      const cid = `c${++this.counter}`;
      this.collections.set(cid, { id: cid, name: `${name}.${out.tag}`, producer: id, windowing: out.windowing, bounded: out.bounded });
      outputs.set(out.tag, cid);
    }
    const node: NodeInfo<S> & { readonly kind: S['kind'] } = { id, name, kind: opts.kind, spec: opts.spec, inputs: [...opts.inputs], sideInputs: [...(opts.sideInputs ?? [])], outputs };
    this.nodes.set(id, node as PrimitiveNode);
    return node;
  }

  addView(opts: Omit<ViewInfo, 'id'>): ViewInfo {
    const id = `v${++this.counter}`;
    const view = { id, ...opts };
    this.views.set(id, view);
    return view;
  }

  /** Consumers of each collection (main inputs) and of each view. */
  consumers(): Map<string, PrimitiveNode[]> {
    const out = new Map<string, PrimitiveNode[]>();
    for (const node of this.nodes.values()) {
      for (const input of node.inputs) {
        const list = out.get(input) ?? [];
        list.push(node);
        out.set(input, list);
      }
    }
    return out;
  }

  /** Freezes the graph and validates it. Steps are appended in a topological order by construction. */
  freeze(): void {
    this.frozen = true;
  }

  isFrozen(): boolean {
    return this.frozen;
  }
}

/** Why a step runs on one worker only (`DoFn.singleWorker`, `Sink.singleWorker`), or undefined. */
export function singleWorkerReason(node: PrimitiveNode): string | undefined {
  if (node.kind === 'parDo') return node.spec.doFn.singleWorker;
  if (node.kind === 'sink') return node.spec.sink.singleWorker;
  return undefined;
}
