// Runs Beam's standard coder vectors (standard_coders.yaml) against Riffle's coders, as Beam's CommonCoderTest does:
// every example decodes to its value, and, unless the coder is marked non-deterministic, the value encodes back to
// exactly the example's bytes — in the nested context, the outer one, or both when the document does not say.
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import {
  beamMillisToInstant,
  coderFromBeamSpec,
  decodeFromBytes,
  encodeToBytes,
  GlobalWindow,
  IntervalWindow,
  paneInfo,
  schemaFromProto,
  type BeamCoderSpec,
  type CoderContext,
  type FieldType,
  type PaneInfo,
  type PaneTiming,
  type Schema,
} from '../../src/model/index.ts';

export interface CoderVectorResult {
  readonly file: string;
  /** `urn[components] nested|outer #k decode|encode`. */
  readonly name: string;
  readonly check: 'decode' | 'encode';
  readonly status: 'pass' | 'fail' | 'skip';
  readonly reason?: string;
}

interface YamlSpec {
  urn: string;
  /** The runner state behind state-backed iterables' tokens: token → the encoded elements. */
  state?: Record<string, string>;
  components?: YamlSpec[];
  payload?: string;
  non_deterministic?: boolean;
}

/** The file's byte strings: each code point 0-255 is one byte. */
export function latin1(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let k = 0; k < s.length; k++) {
    const c = s.charCodeAt(k);
    if (c > 255) throw new RangeError(`byte string has code point ${c} > 255`);
    out[k] = c;
  }
  return out;
}

function toSpec(y: YamlSpec): BeamCoderSpec {
  return { urn: y.urn, ...(y.components ? { components: y.components.map(toSpec) } : {}), ...(y.payload !== undefined ? { payload: latin1(y.payload) } : {}) };
}

function describe(y: YamlSpec): string {
  const short = y.urn.replace(/^beam:coder:/, '').replace(/:v1$/, '');
  return y.components ? `${short}(${y.components.map(describe).join(', ')})` : short;
}

const int = (v: unknown): number | bigint => {
  const b = typeof v === 'bigint' ? v : BigInt(v as number);
  return b >= BigInt(Number.MIN_SAFE_INTEGER) && b <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : b;
};
const big = (v: unknown): bigint => (typeof v === 'bigint' ? v : BigInt(v as number));
const num = (v: unknown): number => (typeof v === 'string' ? Number(v) : Number(v));

function pane(p: Record<string, unknown>): PaneInfo {
  return paneInfo({
    isFirst: p['is_first'] as boolean,
    isLast: p['is_last'] as boolean,
    timing: p['timing'] as PaneTiming,
    index: Number(p['index']),
    nonSpeculativeIndex: Number(p['on_time_index']),
  });
}

/** The Riffle value of an example's value, as the coder spec reads it. */
function convert(spec: YamlSpec, v: unknown): unknown {
  const c = spec.components ?? [];
  const o = v as Record<string, unknown>;
  switch (spec.urn) {
    case 'beam:coder:bytes:v1':
      return latin1(v as string);
    case 'beam:coder:string_utf8:v1':
    case 'beam:coder:bool:v1':
      return v;
    case 'beam:coder:varint:v1':
      return int(v);
    case 'beam:coder:double:v1':
      return num(v);
    case 'beam:coder:kv:v1':
      return { key: convert(c[0]!, o['key']), value: convert(c[1]!, o['value']) };
    case 'beam:coder:iterable:v1':
    case 'beam:coder:state_backed_iterable:v1':
      return (v as unknown[]).map((x) => convert(c[0]!, x));
    case 'beam:coder:global_window:v1':
      return GlobalWindow.INSTANCE;
    case 'beam:coder:interval_window:v1': {
      const end = big(o['end']);
      return new IntervalWindow(beamMillisToInstant(end - big(o['span'])), beamMillisToInstant(end));
    }
    case 'beam:coder:custom_window:v1':
      return convert(c[0]!, o['window']);
    case 'beam:coder:nullable:v1':
      return v === null ? null : convert(c[0]!, v);
    case 'beam:coder:sharded_key:v1':
      return { shardId: latin1(o['shardId'] as string), key: convert(c[0]!, o['key']) };
    case 'beam:coder:timer:v1': {
      const base = { userKey: convert(c[0]!, o['userKey']), dynamicTimerTag: o['dynamicTimerTag'], windows: (o['windows'] as unknown[]).map((w) => convert(c[1]!, w)) };
      if (o['clearBit'] === true) return { ...base, clearBit: true };
      return {
        ...base,
        clearBit: false,
        fireTimestamp: beamMillisToInstant(big(o['fireTimestamp'])),
        holdTimestamp: beamMillisToInstant(big(o['holdTimestamp'])),
        pane: pane(o['pane'] as Record<string, unknown>),
      };
    }
    case 'beam:coder:windowed_value:v1':
    case 'beam:coder:param_windowed_value:v1':
      return {
        value: convert(c[0]!, o['value']),
        timestamp: beamMillisToInstant(big(o['timestamp'])),
        windows: (o['windows'] as unknown[]).map((w) => convert(c[1]!, w)),
        pane: pane(o['pane'] as Record<string, unknown>),
      };
    case 'beam:coder:row:v1':
      return convertRow(schemaFromProto(latin1(spec.payload ?? '')), o);
    default:
      throw new RangeError(`no value conversion for ${spec.urn}`);
  }
}

function convertRow(schema: Schema, o: Record<string, unknown>): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  for (const f of schema.fields) row[f.name] = convertField(f.type, o[f.name]);
  return row;
}

function convertField(t: FieldType, v: unknown): unknown {
  if (v === null || v === undefined) return null;
  switch (t.kind) {
    case 'atomic':
      switch (t.type) {
        case 'bytes':
          return latin1(v as string);
        case 'int64':
          return int(v);
        case 'byte':
        case 'int16':
        case 'int32':
        case 'double':
          return num(v);
        case 'float':
          return Math.fround(num(v));
        default:
          return v;
      }
    case 'array':
    case 'iterable':
      return (v as unknown[]).map((x) => convertField(t.element, x));
    case 'map':
      return new Map(Object.entries(v as object).map(([k, x]) => [convertField(t.key, k), convertField(t.value, x)]));
    case 'row':
      return convertRow(t.schema, v as Record<string, unknown>);
    case 'logical':
      if (t.urn === 'beam:logical_type:millis_instant:v1') {
        // The file gives this field as the signed long of its 8 encoded bytes (InstantCoder's, sign bit flipped).
        return beamMillisToInstant(BigInt.asIntN(64, big(v) ^ -(1n << 63n)));
      }
      if (t.urn === 'beam:logical_type:decimal:v1') return String(v);
      return convertField(t.representation, v);
  }
}

/** Structural equality for decoded values: bytes by content, numbers by Object.is, windows by bounds, maps by entries. */
export function sameValue(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' && typeof b === 'number') return Object.is(a, b);
  if (a === b) return true;
  if (a instanceof Uint8Array && b instanceof Uint8Array) return a.length === b.length && a.every((x, k) => x === b[k]);
  if (a instanceof IntervalWindow && b instanceof IntervalWindow) return a.start === b.start && a.end === b.end;
  if (a instanceof Map && b instanceof Map) {
    if (a.size !== b.size) return false;
    const rest = [...b];
    return [...a].every(([k, x]) => {
      const at = rest.findIndex(([k2, x2]) => sameValue(k, k2) && sameValue(x, x2));
      return at >= 0 && rest.splice(at, 1).length === 1;
    });
  }
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, k) => sameValue(x, b[k]));
  if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
    const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
  }
  return false;
}

function show(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) =>
    typeof x === 'bigint' ? `${x}n` : x instanceof Uint8Array ? `bytes[${[...x].join(',')}]` : x instanceof Map ? Object.fromEntries(x) : x,
  );
}

const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');

/** Runs every example of a standard_coders.yaml file. */
export function runStandardCoders(file: string): CoderVectorResult[] {
  const results: CoderVectorResult[] = [];
  const docs = parseAllDocuments(readFileSync(file, 'utf8'), { intAsBigInt: true });
  for (const [d, doc] of (Array.isArray(docs) ? docs : [docs]).entries()) {
    const body = doc.toJS() as { coder?: YamlSpec; nested?: boolean; examples?: Record<string, unknown> } | null;
    if (!body?.coder) continue;
    const spec = body.coder;
    const contexts: CoderContext[] = body.nested === undefined ? ['nested', 'outer'] : [body.nested ? 'nested' : 'outer'];
    const state = spec.state;
    const readState = state ? (token: Uint8Array) => latin1(state[String.fromCharCode(...token)] ?? fail(`no state for token ${hex(token)}`)) : undefined;
    let coder: ReturnType<typeof coderFromBeamSpec> | undefined;
    let buildError: string | undefined;
    try {
      coder = coderFromBeamSpec(toSpec(spec), readState ? { readState } : {});
    } catch (e) {
      buildError = (e as Error).message;
    }
    for (const [k, [encoded, raw]] of Object.entries(body.examples ?? {}).entries()) {
      for (const context of contexts) {
        const name = `doc ${d + 1} ${describe(spec)} ${context} #${k + 1}`;
        const bytes = latin1(encoded);
        if (!coder) {
          results.push({ file, name, check: 'decode', status: 'fail', reason: `cannot build the coder: ${buildError}` });
          continue;
        }
        let expected: unknown;
        try {
          expected = convert(spec, raw);
        } catch (e) {
          results.push({ file, name, check: 'decode', status: 'fail', reason: `cannot read the example value: ${(e as Error).message}` });
          continue;
        }
        try {
          const got = decodeFromBytes(coder, bytes, context);
          results.push(sameValue(got, expected) ? { file, name, check: 'decode', status: 'pass' } : { file, name, check: 'decode', status: 'fail', reason: `decoded ${show(got)}, expected ${show(expected)}` });
        } catch (e) {
          results.push({ file, name, check: 'decode', status: 'fail', reason: `decoding threw: ${(e as Error).message}` });
        }
        if (spec.non_deterministic) {
          results.push({ file, name, check: 'encode', status: 'skip', reason: 'the coder is marked non-deterministic: decode only (as Beam checks it)' });
          continue;
        }
        try {
          const out = encodeToBytes(coder, expected, context);
          const same = out.length === bytes.length && out.every((x, n) => x === bytes[n]);
          results.push(same ? { file, name, check: 'encode', status: 'pass' } : { file, name, check: 'encode', status: 'fail', reason: `encoded [${hex(out)}], expected [${hex(bytes)}]` });
        } catch (e) {
          results.push({ file, name, check: 'encode', status: 'fail', reason: `encoding threw: ${(e as Error).message}` });
        }
      }
    }
  }
  return results;
}

function fail(message: string): never {
  throw new RangeError(message);
}
