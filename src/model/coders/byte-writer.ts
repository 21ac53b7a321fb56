/**
 * The growable buffer coders write to. Strings are written as UTF-8 (a lone surrogate, which UTF-8 cannot carry, is
 * refused rather than replaced); integers as LEB128 varints or big-endian fixed widths.
 */
const TWO_63 = 1n << 63n;
const TWO_64 = 1n << 64n;
const MASK_64 = TWO_64 - 1n;
const encoder = new TextEncoder();

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** UTF-8 cannot carry a lone surrogate (an encoder would write U+FFFD in its place): refuse it rather than change it. */
function checkWellFormed(s: string): void {
  const wellFormed = (s as { isWellFormed?: () => boolean }).isWellFormed?.() ?? !LONE_SURROGATE.test(s);
  if (!wellFormed) throw new RangeError('coder: the string holds a lone surrogate (half of a UTF-16 pair), which UTF-8 cannot carry; fix the text or encode it as bytes');
}

/** How many bytes the unsigned LEB128 of a non-negative safe integer takes. */
export function varUintSize(n: number): number {
  let size = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 0x80);
    size++;
  }
  return size;
}

/** A growable byte buffer. */
export class ByteWriter {
  private buf: Uint8Array;
  private view: DataView;
  length = 0;
  constructor(initialSize = 64) {
    this.buf = new Uint8Array(Math.max(8, initialSize));
    this.view = new DataView(this.buf.buffer);
  }
  private ensure(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
  /** Forgets what was written (keeps the buffer): for reuse across elements. */
  reset(): void {
    this.length = 0;
  }
  byte(b: number): void {
    this.ensure(1);
    this.buf[this.length++] = b;
  }
  /** Unsigned LEB128 of a non-negative safe integer. */
  varUint(n: number): void {
    this.ensure(10);
    const buf = this.buf;
    let p = this.length;
    if (n < 0x80000000) {
      // Small values: 32-bit arithmetic.
      while (n >= 0x80) {
        buf[p++] = (n & 0x7f) | 0x80;
        n >>>= 7;
      }
    } else {
      while (n >= 0x80) {
        buf[p++] = (n % 0x80) | 0x80;
        n = Math.floor(n / 0x80);
      }
    }
    buf[p++] = n;
    this.length = p;
  }
  /**
   * Beam's varint: a signed 64-bit integer as the unsigned LEB128 of its two's complement (so -1 takes ten bytes).
   * Numbers must be safe integers; a bigint must lie in the int64 range.
   */
  varInt64(v: number | bigint): void {
    if (typeof v === 'number') {
      if (v >= 0 && v <= Number.MAX_SAFE_INTEGER && Number.isInteger(v)) return this.varUint(v);
      if (!Number.isSafeInteger(v)) throw new RangeError(`varint: ${v} is not an integer within ±2^53 (pass a bigint for larger values)`);
      v = BigInt(v);
    }
    if (v < -TWO_63 || v >= TWO_63) throw new RangeError(`varint: ${v} is outside the signed 64-bit range`);
    let u = v & MASK_64;
    this.ensure(10);
    while (u >= 0x80n) {
      this.buf[this.length++] = Number(u & 0x7fn) | 0x80;
      u >>= 7n;
    }
    this.buf[this.length++] = Number(u);
  }
  /** Big-endian signed 32-bit. */
  int32(n: number): void {
    this.ensure(4);
    this.view.setInt32(this.length, n);
    this.length += 4;
  }
  /** Big-endian 64-bit two's complement. */
  int64(v: bigint): void {
    this.ensure(8);
    this.view.setBigInt64(this.length, BigInt.asIntN(64, v));
    this.length += 8;
  }
  /** Big-endian unsigned 64-bit from its high and low 32-bit halves. */
  uint64Parts(hi: number, lo: number): void {
    this.ensure(8);
    this.view.setUint32(this.length, hi >>> 0);
    this.view.setUint32(this.length + 4, lo >>> 0);
    this.length += 8;
  }
  float64(x: number): void {
    this.ensure(8);
    this.view.setFloat64(this.length, x);
    this.length += 8;
  }
  float32(x: number): void {
    this.ensure(4);
    this.view.setFloat32(this.length, x);
    this.length += 4;
  }
  /** Length-prefixed bytes (Beam's nested context). */
  bytes(b: Uint8Array): void {
    this.varUint(b.length);
    this.raw(b);
  }
  /** Bytes as they are, no length (Beam's outer context, or fixed-size fields). */
  raw(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }
  /** A length-prefixed UTF-8 string (the same bytes as `bytes(utf8(s))`, without the intermediate array). */
  string(s: string): void {
    const n = s.length;
    if (n < 128) {
      // Short ASCII strings (most keys and fields): one pass, no encoder call.
      this.ensure(1 + n * 3);
      const buf = this.buf;
      let p = this.length + 1;
      let i = 0;
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        buf[p++] = c;
      }
      if (i === n) {
        buf[this.length] = n;
        this.length = p;
        return;
      }
    }
    checkWellFormed(s);
    const max = n * 3;
    const reserve = varUintSize(max);
    this.ensure(reserve + max);
    const start = this.length + reserve;
    const written = encoder.encodeInto(s, this.buf.subarray(start)).written;
    const size = varUintSize(written);
    this.varUint(written);
    if (size !== reserve) this.buf.copyWithin(this.length, start, start + written);
    this.length += written;
  }
  /**
   * A UTF-8 string led by a varint of (byte length × 2 + 1 when every character is ASCII): the reader then skips
   * validation and uses the cheapest decoding. Used by Riffle's own object coders (not a Beam encoding).
   */
  flaggedString(s: string): void {
    const n = s.length;
    if (n < 64) {
      this.ensure(1 + n * 3);
      const buf = this.buf;
      let p = this.length + 1;
      let i = 0;
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        buf[p++] = c;
      }
      if (i === n) {
        buf[this.length] = (n << 1) | 1;
        this.length = p;
        return;
      }
    }
    checkWellFormed(s);
    const max = n * 3;
    const reserve = varUintSize(max * 2 + 1);
    this.ensure(reserve + max);
    const start = this.length + reserve;
    const written = encoder.encodeInto(s, this.buf.subarray(start)).written;
    // Fewer bytes than characters is impossible; as many means every character was ASCII.
    const header = written * 2 + (written === n ? 1 : 0);
    const size = varUintSize(header);
    this.varUint(header);
    if (size !== reserve) this.buf.copyWithin(this.length, start, start + written);
    this.length += written;
  }
  /** A UTF-8 string with no length (outer context). */
  rawString(s: string): void {
    checkWellFormed(s);
    this.ensure(s.length * 3);
    this.length += encoder.encodeInto(s, this.buf.subarray(this.length)).written;
  }
  /** A copy of the bytes written. */
  toBytes(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
  /** The bytes written, without a copy (valid until the next write or reset). */
  written(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }
}
