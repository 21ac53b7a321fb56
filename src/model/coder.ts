/**
 * Coders turn elements into bytes and back: what elements become when they cross a worker or process boundary, or
 * are spilled or checkpointed. A coder also says whether equal values always encode to equal bytes
 * (`deterministic`): grouping and state need that of their keys, and a pipeline that keys by a non-deterministic
 * coder is rejected before it runs.
 * @example
 *   const c = coders.kv(coders.string(), coders.varInt());
 *   decodeFromBytes(c, encodeToBytes(c, kv('a', 1)))  // { key: 'a', value: 1 }
 */
import type { KV } from './kv.ts';

export interface Coder<T> {
  readonly name: string;
  readonly deterministic: boolean;
  /** Why the coder is not deterministic (for error messages). */
  readonly nonDeterministicReason?: string;
  encode(value: T, out: ByteWriter): void;
  decode(input: ByteReader): T;
}

/** A growable byte buffer. */
export class ByteWriter {
  private buf = new Uint8Array(64);
  private view = new DataView(this.buf.buffer);
  length = 0;
  private ensure(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
  byte(b: number): void {
    this.ensure(1);
    this.buf[this.length++] = b;
  }
  /** Unsigned LEB128 of a non-negative safe integer. */
  varUint(n: number): void {
    while (n >= 0x80) {
      this.byte((n % 0x80) | 0x80);
      n = Math.floor(n / 0x80);
    }
    this.byte(n);
  }
  float64(x: number): void {
    this.ensure(8);
    this.view.setFloat64(this.length, x);
    this.length += 8;
  }
  bytes(b: Uint8Array): void {
    this.varUint(b.length);
    this.ensure(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }
  toBytes(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

export class ByteReader {
  private pos = 0;
  private readonly view: DataView;
  constructor(private readonly buf: Uint8Array) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  byte(): number {
    if (this.pos >= this.buf.length) throw new RangeError('coder: unexpected end of input');
    return this.buf[this.pos++]!;
  }
  varUint(): number {
    let n = 0;
    let scale = 1;
    for (;;) {
      const b = this.byte();
      n += (b & 0x7f) * scale;
      if (b < 0x80) return n;
      scale *= 0x80;
    }
  }
  float64(): number {
    if (this.pos + 8 > this.buf.length) throw new RangeError('coder: unexpected end of input');
    const x = this.view.getFloat64(this.pos);
    this.pos += 8;
    return x;
  }
  bytes(): Uint8Array {
    const n = this.varUint();
    if (this.pos + n > this.buf.length) throw new RangeError('coder: unexpected end of input');
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
  get done(): boolean {
    return this.pos >= this.buf.length;
  }
}

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

export function encodeToBytes<T>(coder: Coder<T>, value: T): Uint8Array {
  const w = new ByteWriter();
  coder.encode(value, w);
  return w.toBytes();
}

export function decodeFromBytes<T>(coder: Coder<T>, bytes: Uint8Array): T {
  const r = new ByteReader(bytes);
  const v = coder.decode(r);
  if (!r.done) throw new RangeError(`coder ${coder.name}: trailing bytes after the value`);
  return v;
}

export const coders = {
  string(): Coder<string> {
    return { name: 'string', deterministic: true, encode: (v, o) => o.bytes(utf8.encode(v)), decode: (i) => fromUtf8.decode(i.bytes()) };
  },
  /** Integers (a sign byte and a varint magnitude, exact over all safe integers): deterministic. */
  varInt(): Coder<number> {
    return {
      name: 'varInt',
      deterministic: true,
      encode(v, o) {
        if (!Number.isSafeInteger(v)) throw new RangeError(`coders.varInt: ${v} is not a safe integer`);
        o.byte(v < 0 ? 1 : 0);
        o.varUint(Math.abs(v));
      },
      decode(i) {
        const negative = i.byte() === 1;
        const m = i.varUint();
        return negative ? -m : m;
      },
    };
  },
  /** IEEE-754 doubles. Not deterministic as a key (as in Beam): -0/0 and NaN payloads encode differently though they compare alike. */
  double(): Coder<number> {
    return { name: 'double', deterministic: false, nonDeterministicReason: 'floating-point encodings are not canonical (-0 vs 0, NaN payloads)', encode: (v, o) => o.float64(v), decode: (i) => i.float64() };
  },
  bool(): Coder<boolean> {
    return { name: 'bool', deterministic: true, encode: (v, o) => o.byte(v ? 1 : 0), decode: (i) => i.byte() === 1 };
  },
  bytes(): Coder<Uint8Array> {
    return { name: 'bytes', deterministic: true, encode: (v, o) => o.bytes(v), decode: (i) => i.bytes().slice() };
  },
  /** Any JSON value. Not deterministic: object key order is not canonical. */
  json<T = unknown>(): Coder<T> {
    return {
      name: 'json',
      deterministic: false,
      nonDeterministicReason: 'JSON object keys keep insertion order',
      encode: (v, o) => o.bytes(utf8.encode(JSON.stringify(v))),
      decode: (i) => JSON.parse(fromUtf8.decode(i.bytes())) as T,
    };
  },
  nullable<T>(inner: Coder<T>): Coder<T | null> {
    return {
      name: `nullable(${inner.name})`,
      deterministic: inner.deterministic,
      ...(inner.nonDeterministicReason ? { nonDeterministicReason: inner.nonDeterministicReason } : {}),
      encode(v, o) {
        if (v === null) o.byte(0);
        else {
          o.byte(1);
          inner.encode(v, o);
        }
      },
      decode: (i) => (i.byte() === 0 ? null : inner.decode(i)),
    };
  },
  list<T>(inner: Coder<T>): Coder<T[]> {
    return {
      name: `list(${inner.name})`,
      deterministic: inner.deterministic,
      ...(inner.nonDeterministicReason ? { nonDeterministicReason: inner.nonDeterministicReason } : {}),
      encode(v, o) {
        o.varUint(v.length);
        for (const x of v) inner.encode(x, o);
      },
      decode(i) {
        const n = i.varUint();
        const out: T[] = new Array(n);
        for (let k = 0; k < n; k++) out[k] = inner.decode(i);
        return out;
      },
    };
  },
  kv<K, V>(key: Coder<K>, value: Coder<V>): KvCoder<K, V> {
    return {
      name: `kv(${key.name}, ${value.name})`,
      deterministic: key.deterministic && value.deterministic,
      keyCoder: key,
      valueCoder: value,
      encode(v, o) {
        key.encode(v.key, o);
        value.encode(v.value, o);
      },
      decode: (i) => ({ key: key.decode(i), value: value.decode(i) }),
    };
  },
};

/** The coder of keyed collections: its key coder is what grouping checks. */
export interface KvCoder<K, V> extends Coder<KV<K, V>> {
  readonly keyCoder: Coder<K>;
  readonly valueCoder: Coder<V>;
}

export function isKvCoder(c: Coder<unknown> | undefined): c is KvCoder<unknown, unknown> {
  return c !== undefined && 'keyCoder' in c;
}
