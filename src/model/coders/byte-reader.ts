/**
 * The reader of what a ByteWriter wrote. Every read is checked against the end of the input, so a truncated or
 * corrupt encoding is a `CoderInputError` (a RangeError) naming the position, never silent garbage or an endless loop.
 */

/** Malformed encoded input: truncated, an over-long varint, a count past the end of the bytes. */
export class CoderInputError extends RangeError {
  readonly code = 'CODER_INPUT_INVALID';
  constructor(message: string) {
    super(message);
    this.name = 'CoderInputError';
  }
}

const decoder = new TextDecoder('utf-8', { fatal: true });

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
