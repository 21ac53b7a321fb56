/**
 * Sorted runs on disk: the one file format every spill in Riffle writes (the grouping sorter's runs and the spilling
 * state backend's runs). A run is a sequence of records `[varint keyLength][key][varint payloadLength][payload]` in
 * strictly increasing key order (keys compare as bytes). Records are written through a large block buffer (one
 * write per block), read back sequentially in large chunks, or found by key through a sparse in-memory index (one
 * entry per ~`indexEvery` bytes) and a Bloom filter that answers most misses without touching the disk.
 *
 * In memory, keys travel as latin1 strings: one character per byte, so JavaScript's string order is byte order and
 * a key is a cheap Map key.
 * @example
 *   const w = new RunWriter(dir.newFile('run'), { bloom: true });
 *   w.add('a', payloadA); w.add('b', payloadB);
 *   const run = w.finish();
 *   const c = run.cursor(); while (c.next()) use(c.key, c.payload());
 *   run.lookup('b');   // payloadB
 */
import { closeSync, fsyncSync, readSync, writeSync } from 'node:fs';
import { write as writeCb } from 'node:fs';
import { RiffleError } from '../../model/index.ts';

const BLOCK = 1 << 20;
const INDEX_EVERY = 16 << 10;

/** Bytes a LEB128 varint of `n` takes. */
export function varUintSize(n: number): number {
  let s = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 0x80);
    s++;
  }
  return s;
}

/** Writes a LEB128 varint at `pos`; returns the position after it. */
export function putVarUint(buf: Buffer, pos: number, n: number): number {
  while (n >= 0x80) {
    buf[pos++] = (n % 0x80) | 0x80;
    n = Math.floor(n / 0x80);
  }
  buf[pos++] = n;
  return pos;
}

/** FNV-1a over a latin1 key, and a second hash for double hashing in the Bloom filter. */
function hash1(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
function hash2(s: string): number {
  let h = 0x9747b28c;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x5bd1e995) ^ (h >>> 13);
  return (h | 1) >>> 0;
}

const BLOOM_HASHES = 7;

/** A Bloom filter over a run's keys (10 bits a key: about 1% false positives). */
export class Bloom {
  private constructor(private readonly bits: Uint32Array) {}
  static build(h1: Uint32Array, h2: Uint32Array, n: number): Bloom {
    const nbits = Math.max(64, n * 10);
    const words = new Uint32Array(Math.ceil(nbits / 32));
    const m = words.length * 32;
    for (let i = 0; i < n; i++) {
      let h = h1[i]!;
      const d = h2[i]!;
      for (let k = 0; k < BLOOM_HASHES; k++) {
        const bit = h % m;
        words[bit >>> 5]! |= 1 << (bit & 31);
        h = (h + d) >>> 0;
      }
    }
    return new Bloom(words);
  }
  mayContain(key: string): boolean {
    const m = this.bits.length * 32;
    let h = hash1(key);
    const d = hash2(key);
    for (let k = 0; k < BLOOM_HASHES; k++) {
      const bit = h % m;
      if ((this.bits[bit >>> 5]! & (1 << (bit & 31))) === 0) return false;
      h = (h + d) >>> 0;
    }
    return true;
  }
  get byteSize(): number {
    return this.bits.byteLength;
  }
}

export interface RunWriterOptions {
  /** Build a Bloom filter for point lookups (the state backend's runs; the sorter reads its runs sequentially). */
  bloom?: boolean;
  /** Keep a sparse index for point lookups (default: with `bloom`). */
  index?: boolean;
}

/**
 * Writes one sorted run. `add` is synchronous and buffers a block; full blocks are written synchronously, or with
 * `async: true` queued until the writer is `drain`ed (the sorter's asynchronous flush awaits each block).
 */
export class RunWriter {
  private buf = Buffer.allocUnsafe(BLOCK);
  private pos = 0;
  private fileOffset = 0;
  private lastKey: string | undefined;
  private records = 0;
  private readonly pending: Buffer[] = [];
  private readonly indexKeys: string[] = [];
  private readonly indexOffsets: number[] = [];
  private nextIndexAt = 0;
  private h1 = new Uint32Array(0);
  private h2 = new Uint32Array(0);
  private readonly withIndex: boolean;
  private readonly withBloom: boolean;
  private payloadLeft = 0;

  constructor(
    private readonly file: { path: string; fd: number },
    opts: RunWriterOptions & { async?: boolean } = {},
  ) {
    this.withBloom = opts.bloom ?? false;
    this.withIndex = opts.index ?? this.withBloom;
    this.async = opts.async ?? false;
  }
  private readonly async: boolean;

  /** Starts a record of `key` whose payload is `payloadLength` bytes, given next through `payload()` calls. */
  begin(key: string, payloadLength: number): void {
    if (this.payloadLeft !== 0) throw new RiffleError('SPILL_INTERNAL', 'run writer: a record was begun before the previous payload was complete', { domain: 'internal' });
    if (this.lastKey !== undefined && !(key > this.lastKey)) {
      throw new RiffleError('SPILL_INTERNAL', 'run writer: keys must be added in strictly increasing order', { domain: 'internal' });
    }
    this.lastKey = key;
    const recordStart = this.fileOffset + this.pos;
    if (this.withIndex && recordStart >= this.nextIndexAt) {
      this.indexKeys.push(key);
      this.indexOffsets.push(recordStart);
      this.nextIndexAt = recordStart + INDEX_EVERY;
    }
    if (this.withBloom) {
      if (this.records >= this.h1.length) {
        const n = Math.max(1024, this.h1.length * 2);
        const a = new Uint32Array(n);
        a.set(this.h1);
        this.h1 = a;
        const b = new Uint32Array(n);
        b.set(this.h2);
        this.h2 = b;
      }
      this.h1[this.records] = hash1(key);
      this.h2[this.records] = hash2(key);
    }
    this.records++;
    this.room(10 + key.length + 10);
    this.pos = putVarUint(this.buf, this.pos, key.length);
    this.pos += this.buf.write(key, this.pos, 'latin1');
    this.pos = putVarUint(this.buf, this.pos, payloadLength);
    this.payloadLeft = payloadLength;
  }

  /** Appends payload bytes of the current record. */
  payload(bytes: Uint8Array, start = 0, end = bytes.length): void {
    const n = end - start;
    this.payloadLeft -= n;
    if (this.payloadLeft < 0) throw new RiffleError('SPILL_INTERNAL', 'run writer: payload longer than announced', { domain: 'internal' });
    if (n > BLOCK) {
      this.flushBlock();
      this.emit(Buffer.from(bytes.buffer, bytes.byteOffset + start, n));
      return;
    }
    this.room(n);
    const out = this.buf;
    let q = this.pos;
    if (n <= 64) for (let i = start; i < end; i++) out[q++] = bytes[i]!;
    else if (start === 0 && end === bytes.length) out.set(bytes, q);
    else if (Buffer.isBuffer(bytes)) bytes.copy(out, q, start, end);
    else out.set(bytes.subarray(start, end), q);
    this.pos += n;
  }

  /** Appends one varint to the current record's payload. */
  payloadVarUint(n: number): void {
    this.payloadLeft -= varUintSize(n);
    this.room(10);
    this.pos = putVarUint(this.buf, this.pos, n);
  }

  /**
   * Appends `records` preformatted records (`[varint keyLength][key][varint payloadLength][payload]` each, in key
   * order after every key written so far). For runs without index or Bloom filter (read sequentially).
   */
  appendRaw(block: Buffer, records: number, lastKey: string): void {
    if (this.withIndex || this.payloadLeft !== 0) throw new RiffleError('SPILL_INTERNAL', 'run writer: raw records need a run without index', { domain: 'internal' });
    if (records === 0) return;
    this.flushBlock();
    this.emit(block, true);
    this.records += records;
    this.lastKey = lastKey;
  }

  /** A whole record at once. */
  add(key: string, payload: Uint8Array): void {
    this.begin(key, payload.length);
    this.payload(payload);
  }

  private room(n: number): void {
    if (this.pos + n > this.buf.length) this.flushBlock();
  }

  private flushBlock(): void {
    if (this.pos === 0) return;
    const block = this.buf.subarray(0, this.pos);
    if (this.async) {
      this.pending.push(block);
      this.buf = Buffer.allocUnsafe(BLOCK);
    } else writeFully(this.file.fd, block);
    this.fileOffset += this.pos;
    this.pos = 0;
  }

  private emit(bytes: Buffer, owned = false): void {
    if (this.async) this.pending.push(owned ? bytes : Buffer.from(bytes));
    else writeFully(this.file.fd, bytes);
    this.fileOffset += bytes.length;
  }

  /** Bytes queued by an asynchronous writer and not yet written. */
  get pendingBytes(): number {
    let n = 0;
    for (const b of this.pending) n += b.length;
    return n;
  }

  /** Writes the queued blocks (asynchronous writers). */
  async drain(): Promise<void> {
    while (this.pending.length > 0) {
      const b = this.pending.shift()!;
      let off = 0;
      while (off < b.length) off += await writeAsync(this.file.fd, b, off);
    }
  }

  /** Writes what is buffered and returns the run, open for reading. */
  finish(): Run {
    this.finishBlocks();
    for (const b of this.pending.splice(0)) writeFully(this.file.fd, b);
    return this.toRun();
  }

  /** `finish` for asynchronous writers: the remaining blocks are written asynchronously. */
  async finishAsync(): Promise<Run> {
    this.finishBlocks();
    await this.drain();
    return this.toRun();
  }

  private finishBlocks(): void {
    if (this.payloadLeft !== 0) throw new RiffleError('SPILL_INTERNAL', 'run writer: the last record is incomplete', { domain: 'internal' });
    this.flushBlock();
  }

  private toRun(): Run {
    const bloom = this.withBloom ? Bloom.build(this.h1, this.h2, this.records) : undefined;
    this.h1 = this.h2 = new Uint32Array(0);
    return new Run(this.file.path, this.file.fd, this.fileOffset, this.records, this.indexKeys, this.indexOffsets, bloom);
  }

  /** Closes the file without producing a run (on error). */
  abort(): void {
    closeSync(this.file.fd);
  }
}

function writeFully(fd: number, b: Uint8Array): void {
  let off = 0;
  while (off < b.length) off += writeSync(fd, b, off, b.length - off);
}

function writeAsync(fd: number, b: Buffer, off: number): Promise<number> {
  return new Promise((resolve, reject) => writeCb(fd, b, off, b.length - off, null, (err, n) => (err ? reject(err) : resolve(n))));
}

/** One sorted run on disk, open for reading. */
export class Run {
  private closed = false;
  constructor(
    readonly path: string,
    private readonly fd: number,
    readonly bytes: number,
    readonly records: number,
    private readonly indexKeys: string[],
    private readonly indexOffsets: number[],
    private readonly bloom: Bloom | undefined,
  ) {}

  /** Bytes this run holds on the heap (its index and Bloom filter). */
  get heapBytes(): number {
    let n = this.bloom?.byteSize ?? 0;
    for (const k of this.indexKeys) n += k.length + 24;
    return n + 64;
  }

  /** A sequential reader over all records, reading `chunk` bytes at a time (or from `fromKey` on, with an index). */
  cursor(chunk = BLOCK, fromKey?: string): RunCursor {
    let start = 0;
    if (fromKey !== undefined && this.indexKeys.length > 0) {
      const i = floorIndex(this.indexKeys, fromKey);
      start = i < 0 ? 0 : this.indexOffsets[i]!;
    }
    return new RunCursor(this.fd, start, this.bytes, chunk);
  }

  /** The payload stored under `key`, or undefined. Needs the sparse index (runs written with `index`/`bloom`). */
  lookup(key: string): Buffer | undefined {
    if (this.bloom !== undefined && !this.bloom.mayContain(key)) return undefined;
    const i = floorIndex(this.indexKeys, key);
    if (i < 0) return undefined;
    const start = this.indexOffsets[i]!;
    const end = i + 1 < this.indexOffsets.length ? this.indexOffsets[i + 1]! : this.bytes;
    const c = new RunCursor(this.fd, start, end, Math.min(end - start, BLOCK) || 1);
    while (c.next()) {
      if (c.key === key) return Buffer.from(c.payload());
      if (c.key > key) return undefined;
    }
    return undefined;
  }

  fsync(): void {
    fsyncSync(this.fd);
  }

  /** The run's records as written (its file's bytes): what a checkpoint keeps of it. */
  readAll(): Buffer {
    const out = Buffer.allocUnsafe(this.bytes);
    let off = 0;
    while (off < this.bytes) {
      const n = readSync(this.fd, out, off, this.bytes - off, off);
      if (n === 0) throw new RiffleError('SPILL_INTERNAL', `run ${this.path} ended at ${off} of ${this.bytes} bytes`, { domain: 'internal' });
      off += n;
    }
    return out;
  }

  /**
   * Writes records `readAll` returned (a run restored from a checkpoint) into `file` and opens it as a run, without
   * index or Bloom filter (as the grouping sorter writes its runs).
   */
  static fromBytes(file: { path: string; fd: number }, bytes: Uint8Array, records: number): Run {
    writeFully(file.fd, bytes);
    return new Run(file.path, file.fd, bytes.length, records, [], [], undefined);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }
}

/** The last index whose key is <= `key`, or -1. */
function floorIndex(keys: readonly string[], key: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid]! <= key) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

/**
 * Reads a run's records in order. After `next()` returns true, `key` is the record's key and `payload()` (or
 * `payloadBuffer`/`payloadStart`/`payloadEnd`, valid until the next call) its payload.
 */
export class RunCursor {
  private buf: Buffer;
  private bufStart = 0; // file offset of buf[0]
  private bufLen = 0;
  private p = 0; // read position in buf
  key = '';
  payloadStart = 0;
  payloadEnd = 0;

  constructor(
    private readonly fd: number,
    fileOffset: number,
    private readonly end: number,
    chunk: number,
  ) {
    this.buf = Buffer.allocUnsafe(Math.max(64, chunk));
    this.bufStart = fileOffset;
  }

  get payloadBuffer(): Buffer {
    return this.buf;
  }

  payload(): Buffer {
    return this.buf.subarray(this.payloadStart, this.payloadEnd);
  }

  /** Makes at least `n` bytes available from `p` (false at the end of the run). */
  private fill(n: number): boolean {
    if (this.p + n <= this.bufLen) return true;
    const have = this.bufLen - this.p;
    if (this.bufStart + this.bufLen >= this.end) return false;
    if (n > this.buf.length) {
      const bigger = Buffer.allocUnsafe(Math.max(n, this.buf.length * 2));
      this.buf.copy(bigger, 0, this.p, this.bufLen);
      this.buf = bigger;
    } else if (have > 0) this.buf.copy(this.buf, 0, this.p, this.bufLen);
    this.bufStart += this.p;
    this.p = 0;
    this.bufLen = have;
    while (this.bufLen < n) {
      const want = Math.min(this.buf.length - this.bufLen, this.end - (this.bufStart + this.bufLen));
      if (want <= 0) return false;
      const got = readSync(this.fd, this.buf, this.bufLen, want, this.bufStart + this.bufLen);
      if (got === 0) throw truncated();
      this.bufLen += got;
    }
    return true;
  }

  private varUint(): number {
    let n = 0;
    let scale = 1;
    for (;;) {
      if (!this.fill(1)) throw truncated();
      const b = this.buf[this.p++]!;
      n += (b & 0x7f) * scale;
      if (b < 0x80) return n;
      scale *= 0x80;
    }
  }

  next(): boolean {
    if (this.p >= this.bufLen && this.bufStart + this.bufLen >= this.end) return false;
    if (!this.fill(1)) return false;
    const klen = this.varUint();
    if (!this.fill(klen)) throw truncated();
    this.key = this.buf.toString('latin1', this.p, this.p + klen);
    this.p += klen;
    const plen = this.varUint();
    if (!this.fill(plen)) throw truncated();
    this.payloadStart = this.p;
    this.payloadEnd = this.p + plen;
    this.p += plen;
    return true;
  }
}

function truncated(): RiffleError {
  return new RiffleError('SPILL_CORRUPT', 'a spill file ended in the middle of a record', {
    domain: 'external',
    hint: 'the spill directory was changed or the disk filled up while the job ran; free disk space and run the job again',
  });
}
