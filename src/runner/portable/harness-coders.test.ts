// The harness's coders: Beam's standard coder vectors (standard_coders.yaml, read from the shared conformance checkout
// at test time; skipped without it) decode through `harnessCoder` and re-encode to the same bytes; Riffle's URNs
// inside standard coders (the read's SDF elements) round trip, and their length-prefixed form reads as the runner
// reads it (length_prefix(bytes)).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { coderFromBeamSpec, decodeFromBytes, encodeToBytes, GLOBAL_WINDOWS, MIN_TIMESTAMP, NO_FIRING, type BeamCoderSpec, type CoderContext } from '../../model/index.ts';
import { beamSpecOf, harnessCoder } from './harness-coders.ts';
import { RIFFLE_URNS } from './urns.ts';

const VECTORS = resolve(import.meta.dirname, '../../../../shared/conformance/beam/standard_coders.yaml');

interface YamlSpec {
  urn: string;
  state?: unknown;
  components?: YamlSpec[];
  payload?: string;
  non_deterministic?: boolean;
}

const latin1 = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const toSpec = (y: YamlSpec): BeamCoderSpec => ({ urn: y.urn, ...(y.components ? { components: y.components.map(toSpec) } : {}), ...(y.payload !== undefined ? { payload: latin1(y.payload) } : {}) });

test("standard_coders.yaml: every example decodes through the harness's coders as the model's, and re-encodes to its bytes", { skip: !existsSync(VECTORS) && `${VECTORS} not found` }, () => {
  let checked = 0;
  const failures: string[] = [];
  for (const doc of parseAllDocuments(readFileSync(VECTORS, 'utf8'), { intAsBigInt: true })) {
    const body = doc.toJS() as { coder?: YamlSpec; nested?: boolean; examples?: Record<string, unknown> } | null;
    // State-backed iterables read the runner's state: not the harness's path yet.
    if (!body?.coder || body.coder.state !== undefined || JSON.stringify(body.coder).includes('state_backed')) continue;
    const spec = toSpec(body.coder);
    const coder = harnessCoder(spec);
    const model = coderFromBeamSpec(spec);
    const contexts: CoderContext[] = body.nested === undefined ? ['nested', 'outer'] : [body.nested ? 'nested' : 'outer'];
    for (const context of contexts) {
      for (const encoded of Object.keys(body.examples ?? {})) {
        const bytes = latin1(encoded);
        const name = `${body.coder.urn} ${context} ${JSON.stringify(encoded).slice(0, 40)}`;
        try {
          const value = decodeFromBytes(coder, bytes, context);
          assert.deepEqual(value, decodeFromBytes(model, bytes, context));
          if (!body.coder.non_deterministic) assert.deepEqual(encodeToBytes(coder, value, context), bytes);
          checked++;
        } catch (e) {
          failures.push(`${name}: ${(e as Error).message.split('\n')[0]}`);
        }
      }
    }
  }
  assert.deepEqual(failures, []);
  assert.ok(checked >= 150, `checked ${checked} examples×contexts`);
});

test("the read's SDF elements: Riffle's restriction inside Beam's coders round trips, and the runner reads it as length-prefixed bytes", () => {
  const coders = {
    bytes: { $typeName: 'org.apache.beam.model.pipeline.v1.Coder', spec: { urn: 'beam:coder:bytes:v1', payload: new Uint8Array() }, componentCoderIds: [] },
    split: { $typeName: 'org.apache.beam.model.pipeline.v1.Coder', spec: { urn: RIFFLE_URNS.restrictionCoder, payload: new Uint8Array() }, componentCoderIds: [] },
    lp: { $typeName: 'org.apache.beam.model.pipeline.v1.Coder', spec: { urn: 'beam:coder:length_prefix:v1', payload: new Uint8Array() }, componentCoderIds: ['split'] },
    pair: { $typeName: 'org.apache.beam.model.pipeline.v1.Coder', spec: { urn: 'beam:coder:kv:v1', payload: new Uint8Array() }, componentCoderIds: ['bytes', 'lp'] },
    dbl: { $typeName: 'org.apache.beam.model.pipeline.v1.Coder', spec: { urn: 'beam:coder:double:v1', payload: new Uint8Array() }, componentCoderIds: [] },
    sized: { $typeName: 'org.apache.beam.model.pipeline.v1.Coder', spec: { urn: 'beam:coder:kv:v1', payload: new Uint8Array() }, componentCoderIds: ['pair', 'dbl'] },
    gw: { $typeName: 'org.apache.beam.model.pipeline.v1.Coder', spec: { urn: 'beam:coder:global_window:v1', payload: new Uint8Array() }, componentCoderIds: [] },
    wire: { $typeName: 'org.apache.beam.model.pipeline.v1.Coder', spec: { urn: 'beam:coder:windowed_value:v1', payload: new Uint8Array() }, componentCoderIds: ['sized', 'gw'] },
  } as const;
  const spec = beamSpecOf(coders as never, 'wire');
  const coder = harnessCoder(spec);
  const element = { value: { key: { key: new Uint8Array(), value: { whole: true } }, value: 1 }, timestamp: MIN_TIMESTAMP, windows: GLOBAL_WINDOWS, pane: NO_FIRING };
  const bytes = encodeToBytes(coder, element, 'nested');
  assert.deepEqual(decodeFromBytes(coder, bytes, 'nested'), element);
  // The runner substitutes length_prefix(bytes) for the coder it does not know: it reads the restriction's bytes.
  const runnerSpec = JSON.parse(JSON.stringify(spec, (k, v: unknown) => (k === 'payload' ? undefined : v)).replaceAll(RIFFLE_URNS.restrictionCoder, 'beam:coder:bytes:v1')) as BeamCoderSpec;
  const seen = decodeFromBytes(coderFromBeamSpec(runnerSpec), bytes, 'nested') as { value: { key: { value: Uint8Array } } };
  const restriction = seen.value.key.value;
  assert.equal(new TextDecoder().decode(restriction.subarray(1)), '{"whole":true}');
  assert.throws(() => harnessCoder({ urn: RIFFLE_URNS.declaredCoder, payload: new TextEncoder().encode('{"module":"m.ts","params":{},"step":"Parse.main","role":"coder","detail":{"name":"money"}}') }), /declared coder yet \(collection 'Parse.main', coder money\)/);
});
