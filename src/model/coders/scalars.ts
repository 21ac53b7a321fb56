/**
 * Coders of single values, byte-compatible with Beam's standard coders where Beam has one: bytes
 * (`beam:coder:bytes:v1`), UTF-8 strings (`string_utf8`), booleans (`bool`), signed 64-bit varints (`varint`),
 * doubles (`double`), and nothing (Beam's VoidCoder: zero bytes). Also float32, fixed 64-bit integers, arbitrary
 * precision integers (Beam's BigIntegerCoder), decimals (Beam's BigDecimalCoder) and JSON.
 */
import { CoderInputError, type ByteReader, type ByteWriter } from './byte-io.ts';
import { decodeIn, encodeIn, zeroWidthCoders, type Coder } from './core.ts';

const fromUtf8 = new TextDecoder('utf-8', { fatal: true });

export const bytesCoder: Coder<Uint8Array> = {
  name: 'bytes',
  deterministic: true,
  encode: (v, o) => o.bytes(v),
  decode: (i) => i.bytes().slice(),
  encodeOuter: (v, o) => o.raw(v),
  decodeOuter: (i) => i.rest().slice(),
};

export const stringCoder: Coder<string> = {
  name: 'string',
  deterministic: true,
  encode: (v, o) => o.string(v),
  decode: (i) => i.string(),
  encodeOuter: (v, o) => o.rawString(v),
  decodeOuter: (i) => i.utf8(i.remaining),
};

export const boolCoder: Coder<boolean> = {
  name: 'bool',
  deterministic: true,
  encode: (v, o) => o.byte(v ? 1 : 0),
  decode(i) {
    const b = i.byte();
    if (b > 1) throw new CoderInputError(`coder bool: byte ${b} at ${i.position - 1} is neither 0 nor 1`);
    return b === 1;
  },
};

/** Beam's varint over JS numbers: every safe integer, exactly; a value beyond ±2^53 when decoding is an error. */
export const varIntCoder: Coder<number> = {
  name: 'varInt',
  deterministic: true,
  encode(v, o) {
    if (!Number.isSafeInteger(v)) throw new RangeError(`coders.varInt: ${v} is not a safe integer (use coders.varInt64() for bigints)`);
    o.varInt64(v);
  },
  decode(i) {
    const at = i.position;
    const v = i.varInt64();
    if (typeof v === 'bigint') throw new CoderInputError(`coder varInt: the value ${v} at byte ${at} is beyond ±2^53 (decode it with coders.varInt64())`);
    return v;
  },
};

/** Beam's varint over the whole int64 range: a number when it is a safe integer, a bigint beyond. */
export const varInt64Coder: Coder<number | bigint> = {
  name: 'varInt64',
  deterministic: true,
  encode: (v, o) => o.varInt64(v),
  decode: (i) => i.varInt64(),
};

/** Big-endian two's-complement 64-bit integers (Beam's BigEndianLongCoder). */
export const int64Coder: Coder<bigint> = {
  name: 'int64',
  deterministic: true,
  encode(v, o) {
    if (BigInt.asIntN(64, v) !== v) throw new RangeError(`coders.int64: ${v} is outside the signed 64-bit range`);
    o.int64(v);
  },
  decode: (i) => i.int64(),
};

export const doubleCoder: Coder<number> = {
  name: 'double',
  deterministic: false,
  nonDeterministicReason: 'floating-point encodings are not canonical (-0 vs 0, NaN payloads)',
  encode: (v, o) => o.float64(v),
  decode: (i) => i.float64(),
};

/** IEEE-754 single precision (a value is rounded to float32: a lossy coder for doubles that are not floats). */
export const floatCoder: Coder<number> = {
  name: 'float',
  deterministic: false,
  nonDeterministicReason: 'floating-point encodings are not canonical (-0 vs 0, NaN payloads)',
  encode: (v, o) => o.float32(v),
  decode: (i) => i.float32(),
};

/** Big-endian two's-complement bytes of a bigint, shortest form (as Java's BigInteger.toByteArray). */
export function bigintToBytes(v: bigint): Uint8Array {
  let hex = (v < 0n ? -v - 1n : v).toString(16);
  if (hex.length % 2 === 1) hex = '0' + hex;
  // A leading byte with its high bit set needs a sign byte before it.
  if (parseInt(hex.slice(0, 2), 16) >= 0x80) hex = '00' + hex;
  const out = new Uint8Array(hex.length / 2);
  for (let k = 0; k < out.length; k++) {
    const b = parseInt(hex.slice(2 * k, 2 * k + 2), 16);
    out[k] = v < 0n ? ~b & 0xff : b;
  }
  return out;
}

export function bigintFromBytes(b: Uint8Array): bigint {
  if (b.length === 0) return 0n;
  let hex = '';
  for (const x of b) hex += x.toString(16).padStart(2, '0');
  const u = BigInt('0x' + hex);
  return b[0]! >= 0x80 ? u - (1n << BigInt(8 * b.length)) : u;
}

/** Arbitrary-precision integers: length-prefixed two's-complement bytes (Beam's BigIntegerCoder). */
export const bigintCoder: Coder<bigint> = {
  name: 'bigint',
  deterministic: true,
  encode: (v, o) => o.bytes(bigintToBytes(v)),
  decode(i) {
    const b = i.bytes();
    if (b.length === 0) throw new CoderInputError(`coder bigint: empty integer at byte ${i.position}`);
    return bigintFromBytes(b);
  },
};

/**
 * Decimal numbers as exact strings ('3.1415', '-100.123', '1.0', '12E+3'): a varint scale then the unscaled value as
 * a bigint (Beam's BigDecimalCoder, the encoding of its decimal logical type). The scale is the digits after the
 * point, so '1.0' and '1' are different values, as in Java's BigDecimal.
 */
export const decimalCoder: Coder<string> = {
  name: 'decimal',
  deterministic: true,
  encode(v, o) {
    const { unscaled, scale } = parseDecimal(v);
    o.varInt64(scale);
    o.bytes(bigintToBytes(unscaled));
  },
  decode(i) {
    const scale = i.varInt64();
    if (typeof scale === 'bigint' || scale < -(2 ** 31) || scale >= 2 ** 31) throw new CoderInputError(`coder decimal: scale ${scale} is not a 32-bit integer`);
    return formatDecimal(bigintCoder.decode(i), scale);
  },
};

/** Parses '3.1415' into its unscaled value and scale (31415, 4); 'E' exponents are allowed. */
export function parseDecimal(text: string): { unscaled: bigint; scale: number } {
  const m = /^([+-]?)(\d+)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text.trim());
  if (!m) throw new RangeError(`coders.decimal: '${text}' is not a decimal number (write digits with an optional point and exponent, e.g. '-100.123')`);
  const fraction = m[3] ?? '';
  const unscaled = BigInt(m[1] + m[2]! + fraction);
  return { unscaled, scale: fraction.length - Number(m[4] ?? 0) };
}

export function formatDecimal(unscaled: bigint, scale: number): string {
  if (scale <= 0) return scale === 0 ? unscaled.toString() : `${unscaled}E+${-scale}`;
  const negative = unscaled < 0n;
  const digits = (negative ? -unscaled : unscaled).toString().padStart(scale + 1, '0');
  return `${negative ? '-' : ''}${digits.slice(0, digits.length - scale)}.${digits.slice(digits.length - scale)}`;
}

/** Encodes nothing: a fixed value (null, undefined) in zero bytes (Beam's VoidCoder). */
export function constantCoder<T>(name: string, value: T): Coder<T> {
  const coder: Coder<T> = { name, deterministic: true, encode: () => {}, decode: () => value };
  zeroWidthCoders.add(coder as Coder<unknown>);
  return coder;
}

const utf8 = new TextEncoder();

/** Any JSON value. Not deterministic: object key order is not canonical. */
export function jsonCoder<T>(): Coder<T> {
  return {
    name: 'json',
    deterministic: false,
    nonDeterministicReason: 'JSON object keys keep insertion order',
    encode: (v, o) => o.bytes(utf8.encode(JSON.stringify(v))),
    decode(i: ByteReader) {
      const at = i.position;
      const text = fromUtf8.decode(i.bytes());
      try {
        return JSON.parse(text) as T;
      } catch (e) {
        throw new CoderInputError(`coder json: the value at byte ${at} is not JSON (${(e as Error).message})`);
      }
    },
  };
}

/** null, or a value of `inner`: a presence byte then the value (Beam's `nullable`, inner in the same context). */
export function nullableCoder<T>(inner: Coder<T>): Coder<T | null> {
  return {
    name: `nullable(${inner.name})`,
    deterministic: inner.deterministic,
    ...(inner.nonDeterministicReason ? { nonDeterministicReason: inner.nonDeterministicReason } : {}),
    encode(v, o: ByteWriter) {
      if (v === null) o.byte(0);
      else {
        o.byte(1);
        inner.encode(v, o);
      }
    },
    decode: (i) => (presence(i, inner.name) ? inner.decode(i) : null),
    encodeOuter(v, o: ByteWriter) {
      if (v === null) o.byte(0);
      else {
        o.byte(1);
        encodeIn(inner, v, o, 'outer');
      }
    },
    decodeOuter: (i) => (presence(i, inner.name) ? decodeIn(inner, i, 'outer') : null),
  };
}

function presence(i: ByteReader, inner: string): boolean {
  const b = i.byte();
  if (b > 1) throw new CoderInputError(`coder nullable(${inner}): presence byte ${b} at ${i.position - 1} is neither 0 nor 1`);
  return b === 1;
}
