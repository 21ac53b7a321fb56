/**
 * Builds a Runner API `Components`: ids that are unique and readable (derived from Riffle's step and collection
 * names), coders and windowing strategies shared when equal (so a pipeline has one `kv(string, varint)` coder however
 * many collections use it).
 */
import { create, toBinary } from '@bufbuild/protobuf';
import {
  CoderSchema,
  ComponentsSchema,
  type Components,
  type PCollection,
  type PTransform,
  type Environment,
  type WindowingStrategy,
  WindowingStrategySchema,
  PTransformSchema,
  PCollectionSchema,
} from './gen/pipeline/v1/beam_runner_api_pb.ts';
import type { MessageInitShape } from '@bufbuild/protobuf';

/** A coder as a tree: a URN, an optional payload and component coders. */
export interface CoderSpec {
  readonly urn: string;
  readonly payload?: Uint8Array;
  readonly components?: readonly CoderSpec[];
}

export class ComponentsBuilder {
  readonly components: Components = create(ComponentsSchema);
  private readonly used = new Set<string>();
  private readonly coderIds = new Map<string, string>();
  private readonly windowingIds = new Map<string, string>();

  /** A fresh id starting with `base` (made unique by a numeric suffix). */
  uniqueId(base: string): string {
    const clean = base.replace(/\s+/g, '_') || 'id';
    let id = clean;
    for (let i = 2; this.used.has(id); i++) id = `${clean}_${i}`;
    this.used.add(id);
    return id;
  }

  /** The id of this coder (and its components), added once. */
  coder(spec: CoderSpec): string {
    const componentIds = (spec.components ?? []).map((c) => this.coder(c));
    const payload = spec.payload ?? new Uint8Array();
    const key = `${spec.urn}|${Buffer.from(payload).toString('base64')}|${componentIds.join(',')}`;
    const known = this.coderIds.get(key);
    if (known !== undefined) return known;
    const id = this.uniqueId(`coder:${spec.urn.replace(/^(beam|riffle):coder:/, '').replace(/:v\d+$/, '')}`);
    this.components.coders[id] = create(CoderSchema, { spec: { urn: spec.urn, payload }, componentCoderIds: componentIds });
    this.coderIds.set(key, id);
    return id;
  }

  /** The id of this windowing strategy, added once (equal strategies by their encoded bytes). */
  windowingStrategy(init: MessageInitShape<typeof WindowingStrategySchema>): string {
    const ws: WindowingStrategy = create(WindowingStrategySchema, init);
    const key = Buffer.from(toBinary(WindowingStrategySchema, ws)).toString('base64');
    const known = this.windowingIds.get(key);
    if (known !== undefined) return known;
    const id = this.uniqueId(`windowing${this.windowingIds.size}`);
    this.components.windowingStrategies[id] = ws;
    this.windowingIds.set(key, id);
    return id;
  }

  addTransform(id: string, init: MessageInitShape<typeof PTransformSchema>): PTransform {
    const t = create(PTransformSchema, init);
    this.components.transforms[id] = t;
    return t;
  }

  addPCollection(id: string, init: MessageInitShape<typeof PCollectionSchema>): PCollection {
    const c = create(PCollectionSchema, init);
    this.components.pcollections[id] = c;
    return c;
  }

  addEnvironment(id: string, env: Environment): void {
    this.components.environments[id] = env;
  }
}
