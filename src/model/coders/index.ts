/**
 * Coders: binary encodings of every built-in type, byte-compatible with Beam's standard coders where Beam has one,
 * and a fast default for plain JS objects. See core.ts for the interface and the nested/outer contexts.
 * @example
 *   const c = coders.kv(coders.string(), coders.varInt());
 *   decodeFromBytes(c, encodeToBytes(c, kv('a', 1)))  // { key: 'a', value: 1 }
 */
import type { Instant } from '../time.ts';
import type { BoundedWindow, GlobalWindow, IntervalWindow } from '../window.ts';
import type { PaneInfo } from '../pane.ts';
import { iterableCoder, kvCoder, lengthPrefixCoder, mapCoder, shardedKeyCoder, type IterableOptions, type ShardedKey } from './collections.ts';
import type { Coder, KvCoder } from './core.ts';
import { declaredObjectCoder, type DeclaredShape } from './declared-object.ts';
import { objectCoder, type ObjectCoderOptions } from './object.ts';
import { rowCoder, type Row } from './row.ts';
import {
  bigintCoder,
  boolCoder,
  bytesCoder,
  constantCoder,
  decimalCoder,
  doubleCoder,
  floatCoder,
  int64Coder,
  jsonCoder,
  nullableCoder,
  stringCoder,
  varInt64Coder,
  varIntCoder,
} from './scalars.ts';
import type { Schema } from './schema.ts';
import {
  customWindowCoder,
  globalWindowCoder,
  instantCoder,
  intervalWindowCoder,
  paneInfoCoder,
  paramWindowedValueCoder,
  timerCoder,
  windowedValueCoder,
  type TimerRecord,
  type WindowedValue,
} from './windows.ts';

export { ByteReader, ByteWriter, CoderInputError } from './byte-io.ts';
export { composedDeterminism, decodeFromBytes, decodeIn, encodeIn, encodeToBytes, isKvCoder, type Coder, type CoderContext, type KvCoder } from './core.ts';
export { compareBytes, type IterableOptions, type ShardedKey } from './collections.ts';
export { formatDecimal, parseDecimal } from './scalars.ts';
export { schemaFromProto, type AtomicType, type FieldType, type Schema, type SchemaField } from './schema.ts';
export type { Row } from './row.ts';
export type { DeclaredShape, FieldSpec } from './declared-object.ts';
export type { ObjectCoderOptions } from './object.ts';
export {
  BEAM_END_OF_GLOBAL_WINDOW,
  BEAM_TIMESTAMP_MAX,
  BEAM_TIMESTAMP_MIN,
  beamMillisToInstant,
  instantToBeamMillis,
  type TimerRecord,
  type WindowedValue,
} from './windows.ts';
export { BEAM_CODER_URNS, coderFromBeamSpec, UnknownCoderUrnError, type BeamCoderSpec } from './beam-urns.ts';

export const coders = {
  /** UTF-8 strings (Beam's string_utf8). */
  string: (): Coder<string> => stringCoder,
  /** Safe integers as Beam's varint (signed 64-bit LEB128; a negative takes ten bytes). */
  varInt: (): Coder<number> => varIntCoder,
  /** Beam's varint over the whole int64 range: numbers within ±2^53, bigints beyond. */
  varInt64: (): Coder<number | bigint> => varInt64Coder,
  /** Fixed 8-byte big-endian int64 (Beam's BigEndianLongCoder). */
  int64: (): Coder<bigint> => int64Coder,
  /** Arbitrary-precision integers (Beam's BigIntegerCoder). */
  bigint: (): Coder<bigint> => bigintCoder,
  /** Exact decimals as strings (Beam's BigDecimalCoder). */
  decimal: (): Coder<string> => decimalCoder,
  /** IEEE-754 doubles, big-endian (Beam's double). Not deterministic as a key, as in Beam. */
  double: (): Coder<number> => doubleCoder,
  /** IEEE-754 single precision (rounds doubles). */
  float: (): Coder<number> => floatCoder,
  bool: (): Coder<boolean> => boolCoder,
  /** Byte strings (Beam's bytes). */
  bytes: (): Coder<Uint8Array> => bytesCoder,
  /** `null` in zero bytes (Beam's VoidCoder). */
  null: (): Coder<null> => constantCoder('null', null),
  /** `undefined` in zero bytes. */
  undefined: (): Coder<undefined> => constantCoder('undefined', undefined),
  /** Any JSON value. Not deterministic: object key order is not canonical. */
  json: <T = unknown>(): Coder<T> => jsonCoder<T>(),
  /** null or a value (Beam's nullable). */
  nullable: <T>(inner: Coder<T>): Coder<T | null> => nullableCoder(inner),
  /** Arrays as Beam's iterable coder writes them. */
  list: <T>(inner: Coder<T>): Coder<T[]> => iterableCoder(inner, {}, `list(${inner.name})`),
  /** Beam's iterable (the same bytes as `list`); reads the chunked and state-backed forms too. */
  iterable: <T>(inner: Coder<T>, opts: IterableOptions = {}): Coder<T[]> => iterableCoder(inner, opts),
  /** Maps in insertion order (Beam's MapCoder): not deterministic. */
  map: <K, V>(key: Coder<K>, value: Coder<V>): Coder<Map<K, V>> => mapCoder(key, value, false),
  /** Maps with entries ordered by encoded key: deterministic when key and value coders are. */
  sortedMap: <K, V>(key: Coder<K>, value: Coder<V>): Coder<Map<K, V>> => mapCoder(key, value, true),
  kv: <K, V>(key: Coder<K>, value: Coder<V>): KvCoder<K, V> => kvCoder(key, value),
  /** Any coder behind a length (Beam's length_prefix). */
  lengthPrefix: <T>(inner: Coder<T>): Coder<T> => lengthPrefixCoder(inner),
  /** Beam's sharded_key. */
  shardedKey: <K>(key: Coder<K>): Coder<ShardedKey<K>> => shardedKeyCoder(key),
  /** Event-time instants (Beam's InstantCoder; byte order is time order). */
  instant: (): Coder<Instant> => instantCoder,
  globalWindow: (): Coder<GlobalWindow> => globalWindowCoder,
  intervalWindow: (): Coder<IntervalWindow> => intervalWindowCoder,
  /** A window prefixed by its max timestamp (Beam's custom_window). */
  customWindow: <W extends BoundedWindow>(window: Coder<W>): Coder<W> => customWindowCoder(window),
  paneInfo: (): Coder<PaneInfo> => paneInfoCoder,
  /** Values with timestamp, windows and pane (Beam's windowed_value). */
  windowedValue: <T, W extends BoundedWindow>(value: Coder<T>, window: Coder<W>): Coder<WindowedValue<T>> => windowedValueCoder(value, window),
  /** Values sharing fixed metadata, given once (Beam's param_windowed_value). */
  paramWindowedValue: <T, W extends BoundedWindow>(value: Coder<T>, window: Coder<W>, fixed: Omit<WindowedValue<unknown>, 'value'>): Coder<WindowedValue<T>> =>
    paramWindowedValueCoder(value, window, fixed),
  /** Beam's timer coder. */
  timer: <K, W extends BoundedWindow>(key: Coder<K>, window: Coder<W>): Coder<TimerRecord<K>> => timerCoder(key, window),
  /** Rows of a schema (Beam's row coder). */
  row: (schema: Schema): Coder<Row> => rowCoder(schema),
  /**
   * Plain JS values, fast: object shapes learned as they come (`coders.object()`), written canonically
   * (`{ canonical: true }`, deterministic) or declared (`{ fields: { id: 'int', name: 'string' } }`, deterministic).
   */
  object: <T = unknown>(opts: ObjectCoderOptions | DeclaredShape = {}): Coder<T> =>
    'fields' in opts ? (declaredObjectCoder(opts) as Coder<T>) : objectCoder<T>(opts),
};
