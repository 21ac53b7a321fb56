/**
 * The spillable grouping buffer (an external sorter) behind batch groupByKey: `add` encoded keys and values; past its
 * memory budget the buffer sorts what it holds by key and writes it as one sorted run (encoded) to its spill
 * directory; `groups()` then merges the runs (k-way, a bounded fan-in, merging runs first when there are too many)
 * and yields each key once, in key-byte order, with all its values in the order they were added.
 *
 * Throughput, by design: values live in a few large byte arenas (no object per value), keys are latin1 strings in
 * one Map with typed-array linked lists of values, runs are written and read in 1 MiB blocks.
 *
 * I/O: `add` never touches the disk while the buffer is within its budget. The engine calls `await flush()` at
 * bundle boundaries when `needsFlush` is set: it sorts and writes a run with asynchronous writes. If the engine does
 * not (or one bundle is huge), `add` spills synchronously once the buffer holds twice its budget, so memory stays
 * bounded either way. `groups()` reads runs synchronously in 1 MiB blocks.
 *
 * For a windowed groupByKey, one buffer per window: the engine drains a window's buffer when the watermark passes
 * the window's end.
 * @example
 *   const buf = new GroupingBuffer({ budget: MemoryBudget.of('64m') });
 *   buf.add(keyBytes, valueBytes);                 // or buf.addValue(key, value) with keyCoder/valueCoder
 *   if (buf.needsFlush) await buf.flush();
 *   for (const g of buf.groups()) emit(g.key, g.values);
 *   buf.close();
 */
import { ByteReader, ByteWriter, type Coder } from '../../model/index.ts';
import type { MemoryBudget } from './memory-budget.ts';
import { type Run, RunWriter, putVarUint, varUintSize } from './run-file.ts';
import { RunMerger } from './run-merge.ts';
import { SpillDirectory } from './spill-directory.ts';

const CHUNK = 4 << 20;
const TWO32 = 2 ** 32;
/** Heap bytes a key costs beyond its characters (Map entry, string header, typed-array slots). */
export const KEY_OVERHEAD = 96;
/** Heap bytes a value costs beyond its encoded bytes (its slots in the value arrays). */
export const VALUE_OVERHEAD = 12;

export interface SpillOptions {
  /** The budget this buffer reserves its bytes from. */
  budget: MemoryBudget;
  /** Where runs go: a SpillDirectory, a parent directory for a fresh one, or undefined for the OS temp directory. */
  spillDir?: SpillDirectory | string;
  /** At most this many runs are merged at once (default 64); more are first merged into bigger runs. */
  maxFanIn?: number;
}

export interface GroupingBufferOptions<K, V> extends SpillOptions {
  keyCoder?: Coder<K>;
  valueCoder?: Coder<V>;
}

/** Latin1 string of bytes: one character per byte, so string order is byte order. */
export function latin1(bytes: Uint8Array): string {
  if (bytes.length < 24) {
    let s = '';
    for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]!);
    return s;
  }
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1', 0, bytes.length);
}

/** The bytes of a latin1 key string. */
export function latin1Bytes(key: string): Buffer {
  return Buffer.from(key, 'latin1');
}

/** Shared spill plumbing: the directory (created on first spill), the runs written, the budget's accounting. */
export abstract class SpillingBuffer {
  protected readonly runs: Run[] = [];
  private dir: SpillDirectory | undefined;
  private readonly ownsDir: boolean;
  protected reserved = 0;
  protected closed = false;
  protected readonly maxFanIn: number;

  constructor(protected readonly opts: SpillOptions) {
    this.ownsDir = !(opts.spillDir instanceof SpillDirectory);
    if (opts.spillDir instanceof SpillDirectory) this.dir = opts.spillDir;
    this.maxFanIn = Math.max(2, opts.maxFanIn ?? 64);
  }

  protected directory(): SpillDirectory {
    if (this.dir === undefined) this.dir = SpillDirectory.create(typeof this.opts.spillDir === 'string' ? this.opts.spillDir : undefined);
    return this.dir;
  }

  protected account(bytes: number): void {
    this.reserved += bytes;
    this.opts.budget.reserve(bytes);
  }

  protected releaseAll(): void {
    this.opts.budget.release(this.reserved);
    this.reserved = 0;
  }

  /** Bytes this buffer holds on the heap (estimated). */
  get bytesInMemory(): number {
    return this.reserved;
  }

  /** Runs on disk now. */
  get runCount(): number {
    return this.runs.length;
  }

  /** Whether the buffer is past its budget and should be flushed at the next bundle boundary. */
  get needsFlush(): boolean {
    return this.reserved > 0 && this.opts.budget.overLimit();
  }

  /** Past twice the budget: spill now, synchronously (the engine did not flush in time). */
  protected get mustSpill(): boolean {
    return this.reserved > 0 && this.opts.budget.bytesInMemory > 2 * this.opts.budget.limit;
  }

  protected newWriter(async: boolean): RunWriter {
    return new RunWriter(this.directory().newFile('sort'), { async });
  }

  protected recordRun(run: Run): void {
    this.runs.push(run);
    this.opts.budget.recordSpill(run.bytes);
  }

  /** Merges the oldest runs while there are more than the fan-in allows (keeps each key's value order). */
  protected compactRuns(mergeRecords: (merger: RunMerger, out: RunWriter) => void): void {
    while (this.runs.length > this.maxFanIn) {
      const group = this.runs.splice(0, this.maxFanIn);
      const w = this.newWriter(false);
      const merger = new RunMerger(group.map((r) => r.cursor()));
      mergeRecords(merger, w);
      const merged = w.finish();
      for (const r of group) {
        r.close();
        this.directory().remove(r.path);
      }
      this.runs.unshift(merged);
      this.opts.budget.recordSpill(merged.bytes);
    }
  }

  /** Removes the runs and the spill directory (if this buffer created it) and releases the budget. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const r of this.runs) r.close();
    if (this.dir !== undefined) {
      if (this.ownsDir) this.dir.close();
      else for (const r of this.runs) this.dir.remove(r.path);
    }
    this.runs.length = 0;
    this.releaseAll();
  }
}

/** One key's values as the merge yields them: the key's bytes and each value's bytes (or decoded values). */
export interface Group<K, V> {
  key: K;
  values: V[];
}

export class GroupingBuffer<K = Uint8Array, V = Uint8Array> extends SpillingBuffer {
  private keyIndex = new Map<string, number>();
  private keys: string[] = [];
  private head = new Int32Array(1024);
  private tail = new Int32Array(1024);
  private count = new Int32Array(1024);
  /** Payload bytes of each key's values as stored ([varint length][bytes] each). */
  private payloadBytes = new Float64Array(1024);
  private valuePos = new Float64Array(4096);
  private valueNext = new Int32Array(4096);
  private nValues = 0;
  private chunks: Buffer[] = [];
  private chunk: Buffer | undefined;
  private chunkPos = 0;
  private readonly writer = new ByteWriter();
  private finished = false;
  private added = 0;

  constructor(private readonly options: GroupingBufferOptions<K, V>) {
    super(options);
  }

  /** Elements added so far. */
  get size(): number {
    return this.added;
  }

  /** Adds one encoded value under an encoded key (a latin1 string of the key bytes is accepted too). */
  add(key: Uint8Array | string, value: Uint8Array): void {
    if (this.finished) throw new Error('GroupingBuffer: add after groups()');
    const k = typeof key === 'string' ? key : latin1(key);
    let idx = this.keyIndex.get(k);
    if (idx === undefined) {
      idx = this.keys.length;
      this.keys.push(k);
      this.keyIndex.set(k, idx);
      if (idx >= this.head.length) this.growKeys();
      this.head[idx] = -1;
      this.count[idx] = 0;
      this.payloadBytes[idx] = 0;
      this.account(KEY_OVERHEAD + k.length);
    }
    const len = value.length;
    const stored = varUintSize(len) + len;
    const pos = this.allocate(stored);
    const c = this.chunk!;
    const off = putVarUint(c, this.chunkPos, len);
    c.set(value, off);
    this.chunkPos = off + len;
    const v = this.nValues++;
    if (v >= this.valuePos.length) this.growValues();
    this.valuePos[v] = pos;
    this.valueNext[v] = -1;
    if (this.head[idx] === -1) this.head[idx] = v;
    else this.valueNext[this.tail[idx]!] = v;
    this.tail[idx] = v;
    this.count[idx]!++;
    this.payloadBytes[idx]! += stored;
    this.account(stored + VALUE_OVERHEAD);
    this.added++;
    if (this.mustSpill) this.spillSync();
  }

  /** Adds a value under a key, encoding both with the buffer's coders. */
  addValue(key: K, value: V): void {
    const { keyCoder, valueCoder } = this.options;
    if (!keyCoder || !valueCoder) throw new Error('GroupingBuffer.addValue needs keyCoder and valueCoder');
    const w = this.writer;
    w.length = 0;
    keyCoder.encode(key, w);
    const k = latin1(w.toBytes());
    w.length = 0;
    valueCoder.encode(value, w);
    this.add(k, w.toBytes());
  }

  /** Arena space for `n` bytes; returns its position (chunk index * 2^32 + offset). */
  private allocate(n: number): number {
    if (this.chunk === undefined || this.chunkPos + n > this.chunk.length) {
      this.chunk = Buffer.allocUnsafeSlow(Math.max(CHUNK, n));
      this.chunks.push(this.chunk);
      this.chunkPos = 0;
    }
    return (this.chunks.length - 1) * TWO32 + this.chunkPos;
  }

  private growKeys(): void {
    const n = this.head.length * 2;
    const grow = <T extends Int32Array | Float64Array>(a: T, make: (n: number) => T): T => {
      const b = make(n);
      b.set(a);
      return b;
    };
    this.head = grow(this.head, (m) => new Int32Array(m));
    this.tail = grow(this.tail, (m) => new Int32Array(m));
    this.count = grow(this.count, (m) => new Int32Array(m));
    this.payloadBytes = grow(this.payloadBytes, (m) => new Float64Array(m));
  }

  private growValues(): void {
    const n = this.valuePos.length * 2;
    const p = new Float64Array(n);
    p.set(this.valuePos);
    this.valuePos = p;
    const q = new Int32Array(n);
    q.set(this.valueNext);
    this.valueNext = q;
  }

  /** Sorted keys held in memory now. */
  private sortedKeys(): string[] {
    return this.keys.slice().sort();
  }

  /** Writes key `k`'s record: [count][values as stored]. */
  private writeKey(w: RunWriter, k: string): void {
    const idx = this.keyIndex.get(k)!;
    const n = this.count[idx]!;
    w.begin(k, varUintSize(n) + this.payloadBytes[idx]!);
    w.payloadVarUint(n);
    for (let v = this.head[idx]!; v !== -1; v = this.valueNext[v]!) {
      const pos = this.valuePos[v]!;
      const ci = Math.floor(pos / TWO32);
      const off = pos - ci * TWO32;
      const c = this.chunks[ci]!;
      // [varint len][bytes]: find the end from the varint.
      let len = 0;
      let scale = 1;
      let p = off;
      for (;;) {
        const b = c[p++]!;
        len += (b & 0x7f) * scale;
        if (b < 0x80) break;
        scale *= 0x80;
      }
      w.payload(c, off, p + len);
    }
  }

  private resetMemory(): void {
    this.keyIndex = new Map();
    this.keys = [];
    this.nValues = 0;
    this.chunks = [];
    this.chunk = undefined;
    this.chunkPos = 0;
    if (this.head.length > 1 << 16) {
      this.head = new Int32Array(1024);
      this.tail = new Int32Array(1024);
      this.count = new Int32Array(1024);
      this.payloadBytes = new Float64Array(1024);
      this.valuePos = new Float64Array(4096);
      this.valueNext = new Int32Array(4096);
    }
    this.releaseAll();
  }

  /** Sorts what the buffer holds and writes it as a run, synchronously. */
  spillSync(): void {
    if (this.keys.length === 0) return;
    const w = this.newWriter(false);
    for (const k of this.sortedKeys()) this.writeKey(w, k);
    this.recordRun(w.finish());
    this.resetMemory();
  }

  /** Sorts what the buffer holds and writes it as a run with asynchronous writes (await it at a bundle boundary). */
  async flush(): Promise<void> {
    if (this.keys.length === 0) return;
    const w = this.newWriter(true);
    let i = 0;
    for (const k of this.sortedKeys()) {
      this.writeKey(w, k);
      if ((++i & 0x3ff) === 0 && w.pendingBytes >= 4 << 20) await w.drain();
    }
    this.recordRun(await w.finishAsync());
    this.resetMemory();
  }

  /**
   * Every key once, in key-byte order, with its values in the order they were added: decoded with the buffer's
   * coders when it has them, as bytes otherwise. Ends the buffer's input; spill files are removed by `close()`.
   */
  *groups(): Generator<Group<K, V>> {
    for (const g of this.rawGroups()) {
      const key = this.options.keyCoder ? this.options.keyCoder.decode(new ByteReader(latin1Bytes(g.key))) : (latin1Bytes(g.key) as unknown as K);
      yield { key, values: g.values as V[] };
    }
  }

  /** As `groups()`, with keys as latin1 strings of their bytes (no decoding of keys). */
  *rawGroups(): Generator<{ key: string; values: Array<V | Uint8Array> }> {
    this.finished = true;
    const vc = this.options.valueCoder;
    if (this.runs.length === 0) {
      for (const k of this.sortedKeys()) {
        const idx = this.keyIndex.get(k)!;
        const values: Array<V | Uint8Array> = [];
        for (let v = this.head[idx]!; v !== -1; v = this.valueNext[v]!) {
          const pos = this.valuePos[v]!;
          const ci = Math.floor(pos / TWO32);
          readValues(this.chunks[ci]!, pos - ci * TWO32, 1, vc, values);
        }
        yield { key: k, values };
      }
      this.resetMemory();
      return;
    }
    this.spillSync();
    this.compactRuns((m, out) => mergeGroupRecords(m, out));
    const merger = new RunMerger(this.runs.map((r) => r.cursor()));
    for (let k = merger.nextKey(); k !== undefined; k = merger.nextKey()) {
      const values: Array<V | Uint8Array> = [];
      while (merger.nextRecord()) {
        const c = merger.cursor!;
        const buf = c.payloadBuffer;
        let p = c.payloadStart;
        let n = 0;
        let scale = 1;
        for (;;) {
          const b = buf[p++]!;
          n += (b & 0x7f) * scale;
          if (b < 0x80) break;
          scale *= 0x80;
        }
        readValues(buf, p, n, vc, values);
      }
      yield { key: k, values };
    }
  }
}

/** Reads `n` stored values ([varint len][bytes]) from `buf` at `p` into `out`: decoded, or copied as bytes. */
function readValues<V>(buf: Buffer, p: number, n: number, coder: Coder<V> | undefined, out: Array<V | Uint8Array>): void {
  for (let i = 0; i < n; i++) {
    let len = 0;
    let scale = 1;
    for (;;) {
      const b = buf[p++]!;
      len += (b & 0x7f) * scale;
      if (b < 0x80) break;
      scale *= 0x80;
    }
    if (coder) out.push(coder.decode(new ByteReader(buf.subarray(p, p + len))));
    else out.push(Uint8Array.prototype.slice.call(buf, p, p + len));
    p += len;
  }
}

/** Merges grouping records of one key from several runs into one record (counts summed, values concatenated). */
function mergeGroupRecords(m: RunMerger, out: RunWriter): void {
  for (let k = m.nextKey(); k !== undefined; k = m.nextKey()) {
    const parts: Buffer[] = [];
    let total = 0;
    let bytes = 0;
    while (m.nextRecord()) {
      const c = m.cursor!;
      const buf = c.payloadBuffer;
      let p = c.payloadStart;
      let n = 0;
      let scale = 1;
      for (;;) {
        const b = buf[p++]!;
        n += (b & 0x7f) * scale;
        if (b < 0x80) break;
        scale *= 0x80;
      }
      total += n;
      const part = Buffer.from(buf.subarray(p, c.payloadEnd));
      parts.push(part);
      bytes += part.length;
    }
    out.begin(k, varUintSize(total) + bytes);
    out.payloadVarUint(total);
    for (const part of parts) out.payload(part);
  }
}
