/**
 * Coders of composite values, byte-compatible with Beam: iterables (`beam:coder:iterable:v1`: a big-endian int32
 * count then the elements; the -1 count of the chunked form is read too), state-backed iterables, maps (Beam's
 * MapCoder), KV (`kv`), length prefixes (`length_prefix`) and sharded keys (`sharded_key`).
 */
import { ByteReader, ByteWriter, CoderInputError } from './byte-io.ts';
import { composedDeterminism, decodeIn, encodeIn, zeroWidthCoders, type Coder, type KvCoder } from './core.ts';

/** Items that take no bytes (global windows, nulls): a count beyond this is taken for corrupt input. */
export const MAX_ZERO_WIDTH_ITEMS = 1 << 20;

/** Options of an iterable coder that may meet Beam's state-backed form (a token in place of the suffix). */
export interface IterableOptions {
  /** The bytes of the elements behind a state token (Beam's state API); without it, a token is an error. */
  readState?: (token: Uint8Array) => Uint8Array;
}

/**
 * Arrays, written as Beam writes iterables: an int32 count and the elements, nested. Reads Beam's chunked form as well
 * (count -1, then blocks each led by a varint count, ended by 0, or by -1 and a state token).
 */
export function iterableCoder<T>(inner: Coder<T>, opts: IterableOptions = {}, name = `iterable(${inner.name})`): Coder<T[]> {
  return {
    name,
    ...composedDeterminism([inner]),
    encode(v, o) {
      o.int32(v.length);
      for (let k = 0; k < v.length; k++) inner.encode(v[k]!, o);
    },
    decode(i) {
      const at = i.position;
      const n = i.int32();
      if (n >= 0) {
        // Every element takes at least one byte unless the element coder writes none (global windows, null).
        if (n > i.remaining && (!zeroWidthCoders.has(inner) || n > MAX_ZERO_WIDTH_ITEMS)) {
          throw new CoderInputError(`coder ${name}: count ${n} at byte ${at} runs past the end (unexpected end of input, ${i.remaining} bytes left)`);
        }
        const out: T[] = new Array<T>(n);
        for (let k = 0; k < n; k++) out[k] = inner.decode(i);
        return out;
      }
      if (n !== -1) throw new CoderInputError(`coder ${name}: count ${n} at byte ${at} is negative (only -1, the chunked form, is valid)`);
      return decodeChunked(inner, i, opts, name);
    },
  };
}

function decodeChunked<T>(inner: Coder<T>, i: ByteReader, opts: IterableOptions, name: string): T[] {
  const out: T[] = [];
  for (;;) {
    const at = i.position;
    const count = i.varInt64();
    if (count === 0) return out;
    if (count === -1) {
      const token = i.bytes();
      if (!opts.readState) {
        throw new CoderInputError(`coder ${name}: a state-backed suffix (token at byte ${at}) needs a state reader; none is configured`);
      }
      const suffix = new ByteReader(opts.readState(token));
      while (!suffix.done) out.push(inner.decode(suffix));
      return out;
    }
    if (typeof count === 'bigint' || count < 0 || count > i.remaining) {
      throw new CoderInputError(`coder ${name}: block count ${count} at byte ${at} is not valid (negative, or past the end of the input: ${i.remaining} bytes left)`);
    }
    for (let k = 0; k < count; k++) out.push(inner.decode(i));
  }
}

/** Maps as Beam's MapCoder writes them: an int32 size then key and value per entry, in insertion order. */
export function mapCoder<K, V>(key: Coder<K>, value: Coder<V>, sorted: boolean): Coder<Map<K, V>> {
  const name = `${sorted ? 'sortedMap' : 'map'}(${key.name}, ${value.name})`;
  const det = composedDeterminism([key, value]);
  return {
    name,
    ...(sorted ? det : { deterministic: false, nonDeterministicReason: 'map entries keep insertion order (coders.sortedMap orders them by encoded key)' }),
    encode(v, o) {
      o.int32(v.size);
      if (!sorted) {
        for (const [k, x] of v) {
          key.encode(k, o);
          value.encode(x, o);
        }
        return;
      }
      const entries = [...v].map(([k, x]) => ({ k: encodeBytes(key, k), x }));
      entries.sort((a, b) => compareBytes(a.k, b.k));
      for (let n = 1; n < entries.length; n++) {
        if (compareBytes(entries[n - 1]!.k, entries[n]!.k) === 0) throw new RangeError(`coder ${name}: two keys encode to the same bytes`);
      }
      for (const e of entries) {
        o.raw(e.k);
        value.encode(e.x, o);
      }
    },
    decode(i) {
      const at = i.position;
      const n = i.int32();
      if (n < 0 || n > i.remaining) throw new CoderInputError(`coder ${name}: size ${n} at byte ${at} is not valid (negative, or past the end of the input: ${i.remaining} bytes left)`);
      const out = new Map<K, V>();
      for (let k = 0; k < n; k++) {
        const mk = key.decode(i);
        out.set(mk, value.decode(i));
      }
      return out;
    },
  };
}

function encodeBytes<T>(coder: Coder<T>, v: T): Uint8Array {
  const w = new ByteWriter();
  coder.encode(v, w);
  return w.toBytes();
}

/** Orders byte strings lexicographically (unsigned bytes). */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let k = 0; k < n; k++) if (a[k] !== b[k]) return a[k]! - b[k]!;
  return a.length - b.length;
}

/** A key and a value: the key nested, the value in the context of the pair (Beam's `kv`). */
export function kvCoder<K, V>(key: Coder<K>, value: Coder<V>): KvCoder<K, V> {
  return {
    name: `kv(${key.name}, ${value.name})`,
    ...composedDeterminism([key, value]),
    keyCoder: key,
    valueCoder: value,
    encode(v, o) {
      key.encode(v.key, o);
      value.encode(v.value, o);
    },
    decode: (i) => ({ key: key.decode(i), value: value.decode(i) }),
    encodeOuter(v, o) {
      key.encode(v.key, o);
      encodeIn(value, v.value, o, 'outer');
    },
    decodeOuter: (i) => ({ key: key.decode(i), value: decodeIn(value, i, 'outer') }),
  };
}

/** The inner coder's outer-context bytes behind a varint length (Beam's `length_prefix`): any coder made nestable. */
export function lengthPrefixCoder<T>(inner: Coder<T>): Coder<T> {
  const name = `lengthPrefix(${inner.name})`;
  return {
    name,
    ...composedDeterminism([inner]),
    encode(v, o: ByteWriter) {
      const body = new ByteWriter(32);
      encodeIn(inner, v, body, 'outer');
      o.bytes(body.written());
    },
    decode(i) {
      const body = new ByteReader(i.bytes());
      const v = decodeIn(inner, body, 'outer');
      if (!body.done) throw new CoderInputError(`coder ${name}: ${body.remaining} bytes left inside the prefixed value`);
      return v;
    },
  };
}

/** A key with the shard it was spread to (Beam's `sharded_key`): the shard id as bytes, then the key, both nested. */
export interface ShardedKey<K> {
  readonly shardId: Uint8Array;
  readonly key: K;
}

export function shardedKeyCoder<K>(key: Coder<K>): Coder<ShardedKey<K>> {
  return {
    name: `shardedKey(${key.name})`,
    ...composedDeterminism([key]),
    encode(v, o) {
      o.bytes(v.shardId);
      key.encode(v.key, o);
    },
    decode: (i) => ({ shardId: i.bytes().slice(), key: key.decode(i) }),
  };
}
