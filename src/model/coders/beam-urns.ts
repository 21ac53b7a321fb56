/**
 * Beam's standard coders by URN: builds a Riffle coder from a Runner API coder spec (URN, component coders,
 * payload), so that data from and for Beam SDKs and runners is read and written byte for byte.
 * @example
 *   coderFromBeamSpec({ urn: 'beam:coder:kv:v1', components: [{ urn: 'beam:coder:string_utf8:v1' }, { urn: 'beam:coder:varint:v1' }] })
 */
import type { BoundedWindow } from '../window.ts';
import { iterableCoder, kvCoder, lengthPrefixCoder, shardedKeyCoder, type IterableOptions } from './collections.ts';
import type { Coder } from './core.ts';
import { rowCoder } from './row.ts';
import { boolCoder, bytesCoder, constantCoder, doubleCoder, nullableCoder, stringCoder, varInt64Coder } from './scalars.ts';
import { schemaFromProto } from './schema.ts';
import {
  customWindowCoder,
  decodeParamWindowedValuePayload,
  globalWindowCoder,
  intervalWindowCoder,
  paramWindowedValueCoder,
  timerCoder,
  windowedValueCoder,
} from './windows.ts';

export interface BeamCoderSpec {
  readonly urn: string;
  readonly components?: readonly BeamCoderSpec[];
  readonly payload?: Uint8Array;
}

/** Raised for a URN Riffle has no coder for (the message names it). */
export class UnknownCoderUrnError extends RangeError {
  readonly code = 'CODER_URN_UNKNOWN';
  constructor(readonly urn: string) {
    super(`no coder for Beam URN '${urn}' (known: ${[...Object.keys(BUILDERS)].join(', ')})`);
    this.name = 'UnknownCoderUrnError';
  }
}

type Builder = (components: Coder<unknown>[], spec: BeamCoderSpec, opts: IterableOptions) => Coder<unknown>;

const one = (urn: string, components: Coder<unknown>[], n: number): void => {
  if (components.length !== n) throw new RangeError(`coder ${urn} takes ${n} component coder(s), got ${components.length}`);
};

const BUILDERS: Record<string, Builder> = {
  'beam:coder:bytes:v1': () => bytesCoder as Coder<unknown>,
  'beam:coder:string_utf8:v1': () => stringCoder as Coder<unknown>,
  'beam:coder:bool:v1': () => boolCoder as Coder<unknown>,
  'beam:coder:varint:v1': () => varInt64Coder as Coder<unknown>,
  'beam:coder:double:v1': () => doubleCoder as Coder<unknown>,
  'beam:coder:global_window:v1': () => globalWindowCoder as Coder<unknown>,
  'beam:coder:interval_window:v1': () => intervalWindowCoder as Coder<unknown>,
  'beam:coder:kv:v1': (c, s) => (one(s.urn, c, 2), kvCoder(c[0]!, c[1]!) as Coder<unknown>),
  'beam:coder:iterable:v1': (c, s, o) => (one(s.urn, c, 1), iterableCoder(c[0]!, o) as Coder<unknown>),
  'beam:coder:state_backed_iterable:v1': (c, s, o) => (one(s.urn, c, 1), iterableCoder(c[0]!, o, `stateBackedIterable(${c[0]!.name})`) as Coder<unknown>),
  'beam:coder:length_prefix:v1': (c, s) => (one(s.urn, c, 1), lengthPrefixCoder(c[0]!) as Coder<unknown>),
  'beam:coder:nullable:v1': (c, s) => (one(s.urn, c, 1), nullableCoder(c[0]!) as Coder<unknown>),
  'beam:coder:sharded_key:v1': (c, s) => (one(s.urn, c, 1), shardedKeyCoder(c[0]!) as Coder<unknown>),
  'beam:coder:custom_window:v1': (c, s) => (one(s.urn, c, 1), customWindowCoder(c[0]! as Coder<BoundedWindow>) as Coder<unknown>),
  'beam:coder:windowed_value:v1': (c, s) => (one(s.urn, c, 2), windowedValueCoder(c[0]!, c[1]! as Coder<BoundedWindow>) as Coder<unknown>),
  'beam:coder:param_windowed_value:v1': (c, s) => {
    one(s.urn, c, 2);
    const fixed = decodeParamWindowedValuePayload(c[1]! as Coder<BoundedWindow>, s.payload ?? new Uint8Array());
    return paramWindowedValueCoder(c[0]!, c[1]! as Coder<BoundedWindow>, fixed) as Coder<unknown>;
  },
  'beam:coder:timer:v1': (c, s) => (one(s.urn, c, 2), timerCoder(c[0]!, c[1]! as Coder<BoundedWindow>) as Coder<unknown>),
  'beam:coder:row:v1': (_c, s) => rowCoder(schemaFromProto(s.payload ?? new Uint8Array())) as Coder<unknown>,
  'beam:coder:void:v1': () => constantCoder('null', null) as Coder<unknown>,
};

/** The URNs `coderFromBeamSpec` knows. */
export const BEAM_CODER_URNS: readonly string[] = Object.keys(BUILDERS);

/** Builds the coder a Beam coder spec describes; an unknown URN is an UnknownCoderUrnError. */
export function coderFromBeamSpec(spec: BeamCoderSpec, opts: IterableOptions = {}): Coder<unknown> {
  const build = BUILDERS[spec.urn];
  if (!build) throw new UnknownCoderUrnError(spec.urn);
  return build((spec.components ?? []).map((c) => coderFromBeamSpec(c, opts)), spec, opts);
}
