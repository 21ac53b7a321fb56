/**
 * What the per-primitive translations share: the components being built, the pipeline reference every Riffle payload
 * carries, the environment of Riffle's functions, and each Riffle collection's Beam PCollection (its id, coder and
 * windowing strategy), decided once.
 *
 * Coders of collections without a declared coder (strategy):
 * 1. a declared coder (`withCoder`) is used as it is (translate-coders.ts);
 * 2. a groupByKey's output is kv(K, iterable(V)) of its input's K and V; a combinePerKey's is kv(K, object);
 * 3. a collection that is keyed by its consumer (groupByKey, combinePerKey, a stateful ParDo, a map/multimap side
 *    input) is kv(canonical object, object), so the runner can group by the key's bytes;
 * 4. anything else is Riffle's object coder.
 */
import { IsBounded_Enum } from './gen/pipeline/v1/beam_runner_api_pb.ts';
import type { PipelineGraph } from '../../model/index.ts';
import type { ComponentsBuilder, CoderSpec } from './components-builder.ts';
import { CODER_URNS } from './urns.ts';
import { coderSpecOf, kvParts, objectCoderSpec } from './translate-coders.ts';
import { windowCoderSpec, windowingStrategyProto } from './translate-windowing.ts';
import type { PipelineRef } from './riffle-payload.ts';

export class TranslationContext {
  readonly requirements = new Set<string>();
  private readonly keyed = new Set<string>();
  private readonly coders = new Map<string, CoderSpec>();
  private readonly ids = new Map<string, string>();

  constructor(
    readonly graph: PipelineGraph,
    readonly b: ComponentsBuilder,
    readonly ref: PipelineRef,
    readonly environmentId: string,
  ) {
    for (const node of graph.nodes.values()) {
      const keyedInput = node.kind === 'groupByKey' || node.kind === 'combinePerKey' || (node.kind === 'parDo' && node.spec.stateful);
      if (keyedInput) this.keyed.add(node.inputs[0]!);
    }
    for (const v of graph.views.values()) if (v.kind === 'map' || v.kind === 'multimap') this.keyed.add(v.collection);
  }

  /** The Beam coder spec of a Riffle collection's elements (see the strategy above). */
  coderSpec(cid: string): CoderSpec {
    const known = this.coders.get(cid);
    if (known !== undefined) return known;
    const info = this.collection(cid);
    let spec: CoderSpec;
    const producer = this.graph.nodes.get(info.producer);
    if (info.coder !== undefined) spec = coderSpecOf(info.coder, this.ref, info.name);
    else if (producer?.kind === 'groupByKey') {
      const [k, v] = kvParts(this.coderSpec(producer.inputs[0]!));
      spec = { urn: CODER_URNS.kv, components: [k, { urn: CODER_URNS.iterable, components: [v] }] };
    } else if (producer?.kind === 'combinePerKey') spec = { urn: CODER_URNS.kv, components: [kvParts(this.coderSpec(producer.inputs[0]!))[0], objectCoderSpec()] };
    else if (this.keyed.has(cid)) spec = { urn: CODER_URNS.kv, components: [objectCoderSpec(true), objectCoderSpec()] };
    else spec = objectCoderSpec();
    this.coders.set(cid, spec);
    return spec;
  }

  /** The window coder of a collection's windowing strategy. */
  windowCoderSpec(cid: string): CoderSpec {
    const info = this.collection(cid);
    return windowCoderSpec(info.windowing.windowFn, this.ref, this.graph.nodes.get(info.producer)?.name ?? info.name);
  }

  /** The Beam PCollection id of a Riffle collection, added (with its coder and windowing strategy) on first use. */
  pcollectionId(cid: string): string {
    const known = this.ids.get(cid);
    if (known !== undefined) return known;
    const info = this.collection(cid);
    const step = this.graph.nodes.get(info.producer)?.name ?? info.name;
    const windowCoderId = this.b.coder(this.windowCoderSpec(cid));
    const producer = this.graph.nodes.get(info.producer)?.kind;
    const grouped = producer === 'groupByKey' || producer === 'combinePerKey';
    const windowingStrategyId = this.b.windowingStrategy(windowingStrategyProto(info.windowing, { ref: this.ref, step, windowCoderId, environmentId: this.environmentId, grouped }));
    const id = this.b.uniqueId(info.name);
    this.b.addPCollection(id, {
      uniqueName: info.name,
      coderId: this.b.coder(this.coderSpec(cid)),
      isBounded: info.bounded ? IsBounded_Enum.BOUNDED : IsBounded_Enum.UNBOUNDED,
      windowingStrategyId,
    });
    this.ids.set(cid, id);
    return id;
  }

  /** A PCollection of the translation's own (inside an expanded composite), windowed as `like`. */
  intermediate(name: string, coder: CoderSpec, like: string): string {
    const base = this.components().pcollections[this.pcollectionId(like)]!;
    const id = this.b.uniqueId(name);
    this.b.addPCollection(id, { uniqueName: name, coderId: this.b.coder(coder), isBounded: base.isBounded, windowingStrategyId: base.windowingStrategyId });
    return id;
  }

  /** Each Riffle collection's PCollection id, for the ones translated so far. */
  pcollectionIds(): ReadonlyMap<string, string> {
    return this.ids;
  }

  components() {
    return this.b.components;
  }

  private collection(cid: string) {
    const info = this.graph.collections.get(cid);
    if (info === undefined) throw new RangeError(`collection ${cid} is not part of the pipeline`);
    return info;
  }
}
