/**
 * The byte buffers coders write to and read from. `ByteWriter` grows as needed; `ByteReader` checks every read
 * against the end of its input, so a truncated or corrupt encoding is a `CoderInputError` (a RangeError) naming
 * the position, never silent garbage or an endless loop.
 * @example
 *   const w = new ByteWriter(); w.varInt64(-1); w.string('a');
 *   const r = new ByteReader(w.toBytes()); r.varInt64(); r.string()  // -1, 'a'
 */

/** Malformed encoded input: truncated, an over-long varint, a count past the end of the bytes. */
export class CoderInputError extends RangeError {
  readonly code = 'CODER_INPUT_INVALID';
  constructor(message: string) {
    super(message);
    this.name = 'CoderInputError';
  }
}

const TWO_63 = 1n << 63n;
const TWO_64 = 1n << 64n;
const MASK_64 = TWO_64 - 1n;
const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

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

interface Latin1Slicer {
  latin1Slice(start: number, end: number): string;
}

/** Recently decoded short ASCII strings, by a hash of their bytes (shared by all readers: strings are immutable). */
const SHORT_STRINGS = 4096;
const shortStrings: (string | undefined)[] = new Array<string | undefined>(SHORT_STRINGS);

/** Reads what a ByteWriter wrote; every read past the end is a CoderInputError. */
export class ByteReader {
  private pos = 0;
  private readonly view: DataView;
  private readonly end: number;
  /** The input as a Node Buffer (no copy), made on first need. */
  private node: Latin1Slicer | undefined;
  constructor(private readonly buf: Uint8Array) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.end = buf.length;
  }
  /** The read position. */
  get position(): number {
    return this.pos;
  }
  /** Bytes not yet read. */
  get remaining(): number {
    return this.end - this.pos;
  }
  get done(): boolean {
    return this.pos >= this.end;
  }
  private need(n: number, what: string): void {
    if (n > this.end - this.pos) {
      throw new CoderInputError(`coder: unexpected end of input reading ${what} at byte ${this.pos} (needs ${n}, ${this.end - this.pos} left of ${this.end})`);
    }
  }
  byte(): number {
    if (this.pos >= this.end) throw new CoderInputError(`coder: unexpected end of input at byte ${this.pos} of ${this.end}`);
    return this.buf[this.pos++]!;
  }
  /** The next byte, not consumed (-1 at the end). */
  peek(): number {
    return this.pos < this.end ? this.buf[this.pos]! : -1;
  }
  /** Unsigned LEB128 up to 2^53; a longer or larger varint is an error. */
  varUint(): number {
    const buf = this.buf;
    let p = this.pos;
    if (p < this.end) {
      const b = buf[p]!;
      if (b < 0x80) {
        this.pos = p + 1;
        return b;
      }
    }
    let n = 0;
    let scale = 1;
    for (let i = 0; ; i++) {
      if (p >= this.end) throw new CoderInputError(`coder: unexpected end of input inside a varint at byte ${p} of ${this.end}`);
      const b = buf[p++]!;
      n += (b & 0x7f) * scale;
      if (b < 0x80) break;
      scale *= 0x80;
      if (i >= 7) throw new CoderInputError(`coder: varint at byte ${this.pos} is longer than 8 bytes (a length or count beyond 2^56: corrupt input)`);
    }
    if (n > Number.MAX_SAFE_INTEGER) throw new CoderInputError(`coder: varint at byte ${this.pos} exceeds 2^53`);
    this.pos = p;
    return n;
  }
  /** A length or count: a varint that must not exceed the bytes left (each item takes at least `minItemSize` bytes). */
  count(what: string, minItemSize = 1): number {
    const at = this.pos;
    const n = this.varUint();
    if (minItemSize > 0 && n * minItemSize > this.end - this.pos) {
      throw new CoderInputError(`coder: unexpected end of input: ${what} of ${n} at byte ${at} runs past the end (${this.end - this.pos} bytes left)`);
    }
    return n;
  }
  /** Beam's signed 64-bit varint: a number when it is a safe integer, else a bigint. */
  varInt64(): number | bigint {
    const buf = this.buf;
    let p = this.pos;
    // Fast path: non-negative values below 2^49 (up to 7 bytes) fit in a double exactly.
    let n = 0;
    let scale = 1;
    for (let i = 0; i < 7; i++) {
      if (p >= this.end) throw new CoderInputError(`coder: unexpected end of input inside a varint at byte ${p} of ${this.end}`);
      const b = buf[p++]!;
      n += (b & 0x7f) * scale;
      if (b < 0x80) {
        this.pos = p;
        return n;
      }
      scale *= 0x80;
    }
    let u = 0n;
    let shift = 0n;
    p = this.pos;
    for (let i = 0; ; i++) {
      if (p >= this.end) throw new CoderInputError(`coder: unexpected end of input inside a varint at byte ${p} of ${this.end}`);
      const b = buf[p++]!;
      u |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) break;
      shift += 7n;
      if (i >= 9) throw new CoderInputError(`coder: varint at byte ${this.pos} is longer than 10 bytes`);
    }
    this.pos = p;
    const v = BigInt.asIntN(64, u);
    return v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : v;
  }
  int32(): number {
    this.need(4, 'an int32');
    const v = this.view.getInt32(this.pos);
    this.pos += 4;
    return v;
  }
  int64(): bigint {
    this.need(8, 'an int64');
    const v = this.view.getBigInt64(this.pos);
    this.pos += 8;
    return v;
  }
  /** The high and low unsigned 32-bit halves of a big-endian 64-bit value. */
  uint64Parts(): [number, number] {
    this.need(8, 'a 64-bit value');
    const hi = this.view.getUint32(this.pos);
    const lo = this.view.getUint32(this.pos + 4);
    this.pos += 8;
    return [hi, lo];
  }
  float64(): number {
    this.need(8, 'a double');
    const x = this.view.getFloat64(this.pos);
    this.pos += 8;
    return x;
  }
  float32(): number {
    this.need(4, 'a float');
    const x = this.view.getFloat32(this.pos);
    this.pos += 4;
    return x;
  }
  /** Length-prefixed bytes, as a view into the input (copy it to keep it past the input's life). */
  bytes(): Uint8Array {
    const n = this.count('a byte length');
    return this.raw(n);
  }
  /** `n` bytes, as a view into the input. */
  raw(n: number): Uint8Array {
    this.need(n, `${n} bytes`);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
  /** When the next bytes equal `expected`, consumes them and returns true; otherwise reads nothing. */
  skipIfNext(expected: Uint8Array): boolean {
    const n = expected.length;
    if (n > this.end - this.pos) return false;
    const buf = this.buf;
    const p = this.pos;
    for (let k = 0; k < n; k++) if (buf[p + k] !== expected[k]) return false;
    this.pos = p + n;
    return true;
  }
  /** The bytes between two positions already read, as a view. */
  viewAt(start: number, end: number): Uint8Array {
    return this.buf.subarray(start, end);
  }
  /** Everything left (outer context), as a view. */
  rest(): Uint8Array {
    return this.raw(this.end - this.pos);
  }
  /** A length-prefixed UTF-8 string; invalid UTF-8 is an error. */
  string(): string {
    const n = this.count('a string length');
    return this.utf8(n);
  }
  /** A string written by `ByteWriter.flaggedString`. */
  flaggedString(): string {
    const at = this.pos;
    const header = this.varUint();
    const n = Math.floor(header / 2);
    if (n > this.end - this.pos) throw new CoderInputError(`coder: unexpected end of input: a ${n}-byte string at byte ${at} runs past the end (${this.end - this.pos} bytes left)`);
    if (header % 2 === 0 || n <= 16) return this.utf8(n);
    const start = this.pos;
    this.pos = start + n;
    const buf = this.buf;
    return (this.node ??= Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength) as unknown as Latin1Slicer).latin1Slice(start, start + n);
  }
  /** `n` bytes of UTF-8. */
  utf8(n: number): string {
    this.need(n, `a ${n}-byte string`);
    const buf = this.buf;
    const start = this.pos;
    const stop = start + n;
    if (n <= 16) {
      // Short ASCII (keys, names, enum-like values): from a small cache of recent strings when the bytes match,
      // else built directly — both cheaper than a native decoder call.
      let h = n;
      let i = start;
      for (; i < stop; i++) {
        const c = buf[i]!;
        if (c >= 0x80) break;
        h = Math.imul(h ^ c, 0x01000193);
      }
      if (i === stop) {
        this.pos = stop;
        const slot = (h >>> 0) & (SHORT_STRINGS - 1);
        const cached = shortStrings[slot];
        if (cached !== undefined && cached.length === n) {
          let k = 0;
          while (k < n && cached.charCodeAt(k) === buf[start + k]) k++;
          if (k === n) return cached;
        }
        let s = '';
        for (let k = start; k < stop; k++) s += String.fromCharCode(buf[k]!);
        shortStrings[slot] = s;
        return s;
      }
    } else {
      // Longer ASCII: one check, then Node's latin1 slice (a cheaper native call than the validating decoder).
      let i = start;
      while (i < stop && buf[i]! < 0x80) i++;
      if (i === stop) {
        this.pos = stop;
        // latin1Slice is Buffer's own (untyped) method behind toString('latin1'), without its argument checks.
        return (this.node ??= Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength) as unknown as Latin1Slicer).latin1Slice(start, stop);
      }
    }
    let s: string;
    try {
      s = decoder.decode(buf.subarray(start, start + n));
    } catch {
      throw new CoderInputError(`coder: the ${n}-byte string at byte ${start} is not valid UTF-8`);
    }
    this.pos = start + n;
    return s;
  }
}

/** The UTF-8 bytes of a string. */
export function utf8Bytes(s: string): Uint8Array {
  return encoder.encode(s);
}
