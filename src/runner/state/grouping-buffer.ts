/**
 * The spillable grouping buffer (an external sorter) behind batch groupByKey: `add` encoded keys and values; past its
 * memory budget the buffer sorts what it holds by key and writes it as one sorted run (encoded) to its spill
 * directory; `groups()` then merges the runs (k-way, a bounded fan-in, merging runs first when there are too many)
 * and yields each key once, in key-byte order, with all its values in the order they were added.
 *
 * Throughput, by design: nothing per element lives on the JavaScript heap. Keys sit in a ByteKeyTable (a byte arena
 * behind an open-addressing hash table, no string per element); values are appended to 4 MiB arenas as
 * `[key index][varint length][bytes]` in arrival order. A spill sorts the distinct keys once, lays out each key's
 * record at its final offset, and gathers values in a few sequential passes over the arena (one per 32 MiB window of
 * output) instead of chasing each key's values through memory; runs are written and read in large blocks.
 *
 * I/O: `add` never touches the disk while the buffer is within its budget. The engine calls `await flush()` at
 * bundle boundaries when `needsFlush` is set: it writes a run with asynchronous writes. If the engine does not (or
 * one bundle is huge), `add` spills synchronously once the budget holds twice its limit, so memory stays bounded
 * either way. `groups()` reads runs synchronously in 1 MiB blocks.
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
import { Run, type RunWriter, putVarUint, varUintSize } from './run-file.ts';
import { RunMerger } from './run-merge.ts';
import { Arena, ByteKeyTable, growInt32 } from './byte-key-table.ts';
import { latin1Bytes, SpillingBuffer, type SpillOptions } from './spilling-buffer.ts';

export { latin1, latin1Bytes, type SpillOptions } from './spilling-buffer.ts';

const WINDOW = 32 << 20;
/** Bytes a key costs beyond its own bytes: its slots in the hash table and the per-key typed arrays. */
export const KEY_SLOT_BYTES = 64;
/** Bytes a value costs beyond its encoded bytes: its key index and length. */
export const VALUE_HEADER_BYTES = 5;

export interface GroupingBufferOptions<K, V> extends SpillOptions {
  keyCoder?: Coder<K>;
  valueCoder?: Coder<V>;
}

/** A sorted run as a checkpoint keeps it: its records' bytes (run-file.ts format) and how many there are. */
export interface SpilledRun {
  readonly records: number;
  readonly bytes: Uint8Array;
}

/** One key's values as the merge yields them: the key's bytes and each value's bytes (or decoded values). */
export interface Group<K, V> {
  key: K;
  values: V[];
}

const scratch = Buffer.allocUnsafe(256);

export class GroupingBuffer<K = Uint8Array, V = Uint8Array> extends SpillingBuffer {
  private readonly keys = new ByteKeyTable();
  private readonly valueArena = new Arena();
  private count = new Int32Array(1024);
  /** Bytes of each key's stored values ([varint length][bytes] each). */
  private payloadBytes = new Float64Array(1024);
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

  /** Distinct keys held in memory now. */
  get keysInMemory(): number {
    return this.keys.size;
  }

  /** Adds one encoded value under an encoded key (a latin1 string of the key bytes is accepted too). */
  add(key: Uint8Array | string, value: Uint8Array): void {
    if (this.finished) throw new Error('GroupingBuffer: add after groups()');
    this.checkNotFlushing();
    let kb: Uint8Array;
    if (typeof key === 'string') kb = key.length <= scratch.length ? scratch.subarray(0, scratch.write(key, 0, 'latin1')) : latin1Bytes(key);
    else kb = key;
    const known = this.keys.size;
    const idx = this.keys.indexOf(kb);
    if (idx === known) this.newKey(idx, kb.length);
    const len = value.length;
    const stored = varUintSize(len) + len;
    const c = this.valueArena.alloc(4 + stored);
    let p = this.valueArena.at;
    c.writeUInt32LE(idx, p);
    p = putVarUint(c, p + 4, len);
    if (len <= 32) for (let i = 0; i < len; i++) c[p + i] = value[i]!;
    else c.set(value, p);
    this.count[idx]!++;
    this.payloadBytes[idx]! += stored;
    this.account(4 + stored);
    this.added++;
    if (this.mustSpill) this.spillSync();
  }

  private newKey(idx: number, keyLength: number): void {
    if (idx >= this.count.length) {
      this.count = growInt32(this.count, this.count.length * 2);
      const p = new Float64Array(this.payloadBytes.length * 2);
      p.set(this.payloadBytes);
      this.payloadBytes = p;
    }
    this.count[idx] = 0;
    this.payloadBytes[idx] = 0;
    this.account(KEY_SLOT_BYTES + keyLength);
  }

  /** Adds a value under a key, encoding both with the buffer's coders. */
  addValue(key: K, value: V): void {
    const { keyCoder, valueCoder } = this.options;
    if (!keyCoder || !valueCoder) throw new Error('GroupingBuffer.addValue needs keyCoder and valueCoder');
    const w = this.writer;
    w.length = 0;
    keyCoder.encode(key, w);
    const k = w.toBytes();
    w.length = 0;
    valueCoder.encode(value, w);
    this.add(k, w.toBytes());
  }

  /**
   * The held data as formatted run records in key order, in windows of about 32 MiB: each window's records are laid
   * out at their final offsets, then one sequential pass over the value arenas copies every value of the window's
   * keys into place (arrival order within a key).
   */
  private *windows(): Generator<{ block: Buffer; records: number; lastKey: string }> {
    const keys = this.keys;
    const order = keys.sortedOrder();
    const n = order.length;
    const rank = new Int32Array(n);
    for (let r = 0; r < n; r++) rank[order[r]!] = r;
    const cursor = new Float64Array(n);
    let lo = 0;
    while (lo < n) {
      // The window: ranks [lo, hi) whose records fit WINDOW bytes (at least one key).
      let hi = lo;
      let bytes = 0;
      while (hi < n) {
        const idx = order[hi]!;
        const payload = varUintSize(this.count[idx]!) + this.payloadBytes[idx]!;
        const klen = keys.keyLength(idx);
        const rec = varUintSize(klen) + klen + varUintSize(payload) + payload;
        if (hi > lo && bytes + rec > WINDOW) break;
        bytes += rec;
        hi++;
      }
      const block = Buffer.allocUnsafe(bytes);
      let p = 0;
      for (let r = lo; r < hi; r++) {
        const idx = order[r]!;
        const payload = varUintSize(this.count[idx]!) + this.payloadBytes[idx]!;
        p = putVarUint(block, p, keys.keyLength(idx));
        p = keys.copyKey(idx, block, p);
        p = putVarUint(block, p, payload);
        p = putVarUint(block, p, this.count[idx]!);
        cursor[idx] = p;
        p += this.payloadBytes[idx]!;
      }
      const all = lo === 0 && hi === n;
      const arena = this.valueArena;
      for (let ci = 0; ci < arena.chunks.length; ci++) {
        const c = arena.chunks[ci]!;
        const end = arena.used[ci]!;
        let q = 0;
        while (q < end) {
          const idx = c.readUInt32LE(q);
          q += 4;
          const start = q;
          let len = 0;
          let scale = 1;
          for (;;) {
            const b = c[q++]!;
            len += (b & 0x7f) * scale;
            if (b < 0x80) break;
            scale *= 0x80;
          }
          q += len;
          if (!all) {
            const r = rank[idx]!;
            if (r < lo || r >= hi) continue;
          }
          const at = cursor[idx]!;
          const n2 = q - start;
          if (n2 <= 48) for (let i = 0; i < n2; i++) block[at + i] = c[start + i]!;
          else c.copy(block, at, start, q);
          cursor[idx] = at + n2;
        }
      }
      yield { block, records: hi - lo, lastKey: keys.keyString(order[hi - 1]!) };
      lo = hi;
    }
  }

  private resetMemory(): void {
    this.keys.reset();
    this.valueArena.reset();
    if (this.count.length > 1 << 16) {
      this.count = new Int32Array(1024);
      this.payloadBytes = new Float64Array(1024);
    }
    this.releaseAll();
  }

  /** Sorts what the buffer holds and writes it as a run, synchronously. */
  spillSync(): void {
    if (this.keys.size === 0) return;
    const w = this.newWriter(false);
    for (const { block, records, lastKey } of this.windows()) w.appendRaw(block, records, lastKey);
    this.recordRun(w.finish());
    this.resetMemory();
  }

  /** Sorts what the buffer holds and writes it as a run with asynchronous writes (await it at a bundle boundary). */
  async flush(): Promise<void> {
    if (this.keys.size === 0) return;
    await this.flushing(async () => {
      const w = this.newWriter(true);
      for (const { block, records, lastKey } of this.windows()) {
        w.appendRaw(block, records, lastKey);
        await w.drain();
      }
      this.recordRun(await w.finishAsync());
      this.resetMemory();
    });
  }

  /**
   * Checkpoints: what the buffer holds, as sorted runs in the order they were written (what it held in memory is
   * written as a last run first). `fromRuns` on another buffer gives back the same groups. Runs are immutable: the
   * bytes are a copy of each run file.
   */
  async snapshotRuns(): Promise<SpilledRun[]> {
    if (this.finished) throw new Error('GroupingBuffer: snapshot after groups()');
    await this.flush();
    return this.runs.map((r) => ({ records: r.records, bytes: r.readAll() }));
  }

  /** Adopts runs a snapshot kept, before any input: they come before what is added next. */
  restoreRuns(runs: readonly SpilledRun[]): void {
    if (this.added > 0 || this.runs.length > 0) throw new Error('GroupingBuffer: restoreRuns on a buffer that holds input');
    for (const r of runs) this.recordRun(Run.fromBytes(this.directory().newFile('sort'), r.bytes, r.records));
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
      for (const { block } of this.windows()) {
        let p = 0;
        while (p < block.length) {
          let klen = 0;
          let scale = 1;
          for (;;) {
            const b = block[p++]!;
            klen += (b & 0x7f) * scale;
            if (b < 0x80) break;
            scale *= 0x80;
          }
          const key = block.toString('latin1', p, p + klen);
          p += klen;
          let plen = 0;
          scale = 1;
          for (;;) {
            const b = block[p++]!;
            plen += (b & 0x7f) * scale;
            if (b < 0x80) break;
            scale *= 0x80;
          }
          yield { key, values: readGroupPayload(block, p, vc) };
          p += plen;
        }
      }
      this.resetMemory();
      return;
    }
    this.spillSync();
    this.compactRuns((m, out) => mergeGroupRecords(m, out));
    const merger = new RunMerger(this.runs.map((r) => r.cursor()));
    for (let k = merger.nextKey(); k !== undefined; k = merger.nextKey()) {
      let values: Array<V | Uint8Array> | undefined;
      while (merger.nextRecord()) {
        const c = merger.cursor!;
        if (values === undefined) values = readGroupPayload(c.payloadBuffer, c.payloadStart, vc);
        else for (const v of readGroupPayload(c.payloadBuffer, c.payloadStart, vc)) values.push(v);
      }
      yield { key: k, values: values! };
    }
  }
}

/** Reads a group record's payload ([varint count] then [varint len][bytes] per value) at `p`. */
function readGroupPayload<V>(buf: Buffer, p: number, coder: Coder<V> | undefined): Array<V | Uint8Array> {
  let n = 0;
  let scale = 1;
  for (;;) {
    const b = buf[p++]!;
    n += (b & 0x7f) * scale;
    if (b < 0x80) break;
    scale *= 0x80;
  }
  const out: Array<V | Uint8Array> = [];
  readValues(buf, p, n, coder, out);
  return out;
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
