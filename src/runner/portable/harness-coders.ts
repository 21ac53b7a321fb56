/**
 * The harness's coders: a coder id of a process bundle descriptor → a Riffle coder. Beam's standard coders come from
 * `coderFromBeamSpec` (model/coders, byte for byte as standard_coders.yaml); Riffle's own URNs are added here:
 *
 * - `riffle:coder:object:v1`: Riffle's object coder (`{"canonical":true}` payload: its deterministic form, for keys);
 * - `riffle:coder:source_split:v1`: a source read's restriction, which this harness writes and reads itself (JSON of
 *   `SourceRestriction`, or of an unbounded read's `UnboundedRestriction` — unbounded-read-operator.ts —, as a UTF-8
 *   string);
 * - `riffle:coder:windowed_value:v1`: Beam's windowed value coder of its two components (value, window), opaque to
 *   the runner (a grouping windowed in the harness carries each element's windows through the runner's GroupByKey);
 * - `riffle:coder:declared:v1`: a custom window function's `windowCoder` (role `windowCoder`), found in the rebuilt
 *   pipeline; other declared coders are not resolved yet (a clear error naming the collection).
 *
 * The runner length-prefixes coders it does not know, so the harness sees `length_prefix(riffle:…)` where the runner
 * sees `length_prefix(bytes)`.
 * @example
 *   const coder = descriptorCoder(descriptor.coders, pcollection.coderId);
 */
import { coderFromBeamSpec, coders, type BeamCoderSpec, type BoundedWindow, type Coder } from '../../model/index.ts';
import type { Coder as CoderProto } from './gen/pipeline/v1/beam_runner_api_pb.ts';
import { decodeRifflePayload, type RifflePayload } from './riffle-payload.ts';
import { builtPipelineGraph } from './riffle-steps.ts';
import { RIFFLE_URNS } from './urns.ts';

/**
 * The restriction of a Riffle source read: the whole source, or part `part` of the `of` parts that the source's own
 * `split(desiredBytes)` makes (sources split the same way each time, as the embedded engine's workers rely on too).
 */
export type SourceRestriction = { readonly whole: true } | { readonly part: number; readonly of: number; readonly desiredBytes: number };

const restrictionCoder: Coder<SourceRestriction> = {
  name: 'sourceRestriction',
  deterministic: true,
  encode: (v, o) => coders.string().encode(JSON.stringify(v), o),
  decode: (i) => JSON.parse(coders.string().decode(i)) as SourceRestriction,
};

/**
 * A custom window function's `windowCoder`, found in the rebuilt pipeline (built before the stage's coders are: see
 * BundleProcessor.build): the window function of a collection produced by the payload's step (or named so).
 */
function declaredWindowCoder(p: RifflePayload): Coder<BoundedWindow> {
  const graph = builtPipelineGraph(p);
  if (graph === undefined) throw new RangeError(`Riffle's harness: the window coder of step '${p.step}' is needed before the pipeline ${p.module} was built`);
  for (const c of graph.collections.values()) {
    const fn = c.windowing.windowFn;
    const at = graph.nodes.get(c.producer)?.name ?? c.name;
    if ((at === p.step || c.name === p.step) && fn.windowCoder !== undefined && fn.windowCoder.name === p.detail?.['name']) return fn.windowCoder;
  }
  throw new RangeError(`Riffle's harness: the pipeline built by ${p.module} has no window coder '${String(p.detail?.['name'])}' at step '${p.step}'`);
}

/** The Beam spec of a descriptor coder, with its components resolved (a missing id is a RangeError naming it). */
export function beamSpecOf(all: Readonly<Record<string, CoderProto>>, id: string): BeamCoderSpec {
  const c = all[id];
  if (c === undefined || c.spec === undefined) throw new RangeError(`the descriptor has no coder '${id}'`);
  return { urn: c.spec.urn, payload: c.spec.payload, components: c.componentCoderIds.map((cid) => beamSpecOf(all, cid)) };
}

/** Builds the coder a spec describes, Riffle's URNs included. */
export function harnessCoder(spec: BeamCoderSpec): Coder<unknown> {
  switch (spec.urn) {
    case RIFFLE_URNS.objectCoder: {
      const payload = spec.payload && spec.payload.length > 0 ? (JSON.parse(new TextDecoder().decode(spec.payload)) as { canonical?: boolean }) : {};
      return coders.object(payload.canonical ? { canonical: true } : {}) as Coder<unknown>;
    }
    case RIFFLE_URNS.restrictionCoder:
      return restrictionCoder as Coder<unknown>;
    case RIFFLE_URNS.windowedValueCoder: {
      const [value, window] = (spec.components ?? []).map((c) => harnessCoder(c));
      if (value === undefined || window === undefined) throw new RangeError(`${RIFFLE_URNS.windowedValueCoder} needs two components (value, window)`);
      return coders.windowedValue(value, window as Coder<BoundedWindow>) as Coder<unknown>;
    }
    case RIFFLE_URNS.declaredCoder: {
      const p = spec.payload ? decodeRifflePayload(spec.payload) : undefined;
      if (p?.role === 'windowCoder') return declaredWindowCoder(p) as Coder<unknown>;
      throw new RangeError(`Riffle's harness cannot use a declared coder yet (collection '${p?.step ?? '?'}', coder ${String(p?.detail?.['name'] ?? '?')})`);
    }
  }
  // Components may be Riffle coders: build them here, and let the model build the standard wrapper around them.
  const components = (spec.components ?? []).map((c) => harnessCoder(c));
  if (components.length === 0) return coderFromBeamSpec(spec);
  return withComponents(spec, components);
}

/** A standard coder around already-built components: built from placeholder specs, then with the real ones. */
function withComponents(spec: BeamCoderSpec, components: Coder<unknown>[]): Coder<unknown> {
  if (!(spec.components ?? []).some(hasRiffle)) return coderFromBeamSpec(spec);
  return BUILD_WITH[spec.urn]?.(components, spec) ?? coderFromBeamSpec(spec);
}

function hasRiffle(spec: BeamCoderSpec): boolean {
  return spec.urn.startsWith('riffle:') || (spec.components ?? []).some(hasRiffle);
}

const BUILD_WITH: Record<string, (c: Coder<unknown>[], s: BeamCoderSpec) => Coder<unknown>> = {
  'beam:coder:length_prefix:v1': (c) => coders.lengthPrefix(c[0]!),
  'beam:coder:kv:v1': (c) => coders.kv(c[0]!, c[1]!) as Coder<unknown>,
  'beam:coder:iterable:v1': (c) => coders.iterable(c[0]!),
  'beam:coder:nullable:v1': (c) => coders.nullable(c[0]!),
  'beam:coder:windowed_value:v1': (c) => coders.windowedValue(c[0]!, c[1]! as never) as Coder<unknown>,
  'beam:coder:timer:v1': (c) => coders.timer(c[0]!, c[1]! as Coder<BoundedWindow>) as Coder<unknown>,
};

/** The coder of a descriptor's coder id. */
export function descriptorCoder(all: Readonly<Record<string, CoderProto>>, id: string): Coder<unknown> {
  return harnessCoder(beamSpecOf(all, id));
}
