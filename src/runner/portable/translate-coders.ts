/**
 * Riffle coders as Beam coder specs. A coder Beam has a standard URN for becomes that URN (string, varint, double,
 * bool, bytes, kv, global/interval windows), so the runner can read what it must (the keys of a grouping); any other
 * coder a pipeline declared becomes `riffle:coder:declared:v1`, whose payload names the collection (and the path
 * inside a kv) where the harness finds it after building the pipeline. A collection without a declared coder uses
 * Riffle's default, `coders.object()` (`riffle:coder:object:v1`), and its canonical form where it keys a grouping.
 * The runner treats the Riffle URNs as opaque (Beam runners length-prefix coders they do not know).
 */
import { coders, isKvCoder, type Coder } from '../../model/index.ts';
import type { CoderSpec } from './components-builder.ts';
import { encodeRifflePayload, type PipelineRef } from './riffle-payload.ts';
import { CODER_URNS, RIFFLE_URNS } from './urns.ts';

/** Riffle's coders that are exactly a Beam standard coder (the `coders.*` factories return these very objects). */
const STANDARD: ReadonlyArray<readonly [Coder<any>, string]> = [
  [coders.string(), CODER_URNS.stringUtf8],
  [coders.varInt(), CODER_URNS.varint],
  [coders.varInt64(), CODER_URNS.varint],
  [coders.double(), CODER_URNS.double],
  [coders.bool(), CODER_URNS.bool],
  [coders.bytes(), CODER_URNS.bytes],
  [coders.globalWindow(), CODER_URNS.globalWindow],
  [coders.intervalWindow(), CODER_URNS.intervalWindow],
];

/** Riffle's default coder for plain values; canonical (deterministic) when it encodes keys. */
export function objectCoderSpec(canonical = false): CoderSpec {
  return canonical ? { urn: RIFFLE_URNS.objectCoder, payload: new TextEncoder().encode('{"canonical":true}') } : { urn: RIFFLE_URNS.objectCoder };
}

/**
 * The Beam spec of a declared coder. `where` names the collection holding it (and `path` the position inside it),
 * so that the harness can find a non-standard coder in the rebuilt pipeline.
 */
export function coderSpecOf(coder: Coder<unknown>, ref: PipelineRef, where: string, path: readonly string[] = [], role: 'coder' | 'windowCoder' = 'coder'): CoderSpec {
  for (const [c, urn] of STANDARD) if (c === coder) return { urn };
  if (isKvCoder(coder)) {
    return { urn: CODER_URNS.kv, components: [coderSpecOf(coder.keyCoder, ref, where, [...path, 'key'], role), coderSpecOf(coder.valueCoder, ref, where, [...path, 'value'], role)] };
  }
  return { urn: RIFFLE_URNS.declaredCoder, payload: encodeRifflePayload({ ...ref, step: where, role, detail: { path, name: coder.name } }) };
}

/** The key and value specs of a kv spec; a non-kv spec (Riffle's object coder) keys by the canonical object coder. */
export function kvParts(spec: CoderSpec): readonly [CoderSpec, CoderSpec] {
  if (spec.urn === CODER_URNS.kv && spec.components?.length === 2) return [spec.components[0]!, spec.components[1]!];
  return [objectCoderSpec(true), objectCoderSpec()];
}

/** A readable form of a spec for messages and tests: `kv(string_utf8, iterable(object))`. */
export function describeCoderSpec(spec: CoderSpec): string {
  const name = spec.urn.replace(/^(beam|riffle):coder:/, '').replace(/:v\d+$/, '');
  return spec.components && spec.components.length > 0 ? `${name}(${spec.components.map(describeCoderSpec).join(', ')})` : name;
}
