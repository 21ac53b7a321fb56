/**
 * A hash table of byte keys kept off the JavaScript heap: key bytes in arenas, an open-addressing table and per-key
 * typed arrays, so a buffer holding millions of keys costs the garbage collector nothing. Keys get dense indexes
 * (0, 1, 2 … in arrival order) that callers use to index their own per-key arrays, and can be listed in byte order.
 * @example
 *   const t = new ByteKeyTable();
 *   const i = t.indexOf(bytes);           // t.size grew by one if the key is new
 *   for (const idx of t.sortedOrder()) use(t.keyString(idx));
 */

const CHUNK = 4 << 20;
const TWO32 = 2 ** 32;

/** A growable list of byte arenas; positions are chunk index * 2^32 + offset. */
export class Arena {
  chunks: Buffer[] = [];
  used: number[] = [];
  private chunk: Buffer | undefined;
  private pos = 0;
  /** Space for `n` bytes: returns the chunk and sets `at` to the offset in it. */
  at = 0;
  alloc(n: number): Buffer {
    if (this.chunk === undefined || this.pos + n > this.chunk.length) {
      this.chunk = Buffer.allocUnsafeSlow(Math.max(CHUNK, n));
      this.chunks.push(this.chunk);
      this.used.push(0);
      this.pos = 0;
    }
    this.at = this.pos;
    this.pos += n;
    this.used[this.used.length - 1] = this.pos;
    return this.chunk;
  }
  get position(): number {
    return (this.chunks.length - 1) * TWO32 + this.at;
  }
  reset(): void {
    this.chunks = [];
    this.used = [];
    this.chunk = undefined;
    this.pos = 0;
  }
}

export function hashBytes(b: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5 ^ (end - start);
  for (let i = start; i < end; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  return (h ^ (h >>> 12)) | 0;
}


export class ByteKeyTable {
  private readonly arena = new Arena();
  private table = new Int32Array(1 << 12);
  private n = 0;
  private keyHash = new Int32Array(1024);
  private keyPos = new Float64Array(1024);
  private keyLen = new Int32Array(1024);

  /** Keys held. */
  get size(): number {
    return this.n;
  }

  /** The index of a key, added when new (then `size` grows by one). */
  indexOf(kb: Uint8Array): number {
    const h = hashBytes(kb, 0, kb.length);
    const mask = this.table.length - 1;
    let slot = h & mask;
    const klen = kb.length;
    for (;;) {
      const e = this.table[slot]!;
      if (e === 0) break;
      const idx = e - 1;
      if (this.keyHash[idx] === h && this.keyLen[idx] === klen) {
        const pos = this.keyPos[idx]!;
        const ci = Math.floor(pos / TWO32);
        const c = this.arena.chunks[ci]!;
        const off = pos - ci * TWO32;
        let i = 0;
        while (i < klen && c[off + i] === kb[i]) i++;
        if (i === klen) return idx;
      }
      slot = (slot + 1) & mask;
    }
    const idx = this.n++;
    if (idx >= this.keyHash.length) this.grow();
    const c = this.arena.alloc(klen);
    const off = this.arena.at;
    for (let i = 0; i < klen; i++) c[off + i] = kb[i]!;
    this.keyPos[idx] = this.arena.position;
    this.keyLen[idx] = klen;
    this.keyHash[idx] = h;
    this.table[slot] = idx + 1;
    if (this.n * 2 > this.table.length) this.rehash();
    return idx;
  }

  private rehash(): void {
    const table = new Int32Array(this.table.length * 2);
    const mask = table.length - 1;
    for (let idx = 0; idx < this.n; idx++) {
      let slot = this.keyHash[idx]! & mask;
      while (table[slot] !== 0) slot = (slot + 1) & mask;
      table[slot] = idx + 1;
    }
    this.table = table;
  }

  private grow(): void {
    this.keyHash = growInt32(this.keyHash, this.keyHash.length * 2);
    this.keyLen = growInt32(this.keyLen, this.keyLen.length * 2);
    const p = new Float64Array(this.keyPos.length * 2);
    p.set(this.keyPos);
    this.keyPos = p;
  }

  /** The length of a key. */
  keyLength(idx: number): number {
    return this.keyLen[idx]!;
  }

  /** Copies a key's bytes into `out` at `at`; returns the position after them. */
  copyKey(idx: number, out: Uint8Array, at: number): number {
    const klen = this.keyLen[idx]!;
    const pos = this.keyPos[idx]!;
    const ci = Math.floor(pos / TWO32);
    const off = pos - ci * TWO32;
    const c = this.arena.chunks[ci]!;
    for (let i = 0; i < klen; i++) out[at + i] = c[off + i]!;
    return at + klen;
  }

  /** Forgets every key (keeps small tables for reuse). */
  reset(): void {
    this.arena.reset();
    this.n = 0;
    if (this.table.length > 1 << 16) {
      this.table = new Int32Array(1 << 12);
      this.keyHash = new Int32Array(1024);
      this.keyPos = new Float64Array(1024);
      this.keyLen = new Int32Array(1024);
    } else this.table.fill(0);
  }

  /** The key's bytes as a latin1 string. */
  keyString(idx: number): string {
    const pos = this.keyPos[idx]!;
    const ci = Math.floor(pos / TWO32);
    const off = pos - ci * TWO32;
    return this.arena.chunks[ci]!.toString('latin1', off, off + this.keyLen[idx]!);
  }

  /** The key's byte at `i`, or -1 past its end. */
  private keyByte(idx: number, i: number): number {
    if (i >= this.keyLen[idx]!) return -1;
    const pos = this.keyPos[idx]!;
    const ci = Math.floor(pos / TWO32);
    return this.arena.chunks[ci]![pos - ci * TWO32 + i]!;
  }

  /** Byte order of two keys from byte `from` on (equal before it). */
  private compareKeys(a: number, b: number, from: number): number {
    const la = this.keyLen[a]!;
    const lb = this.keyLen[b]!;
    const pa = this.keyPos[a]!;
    const pb = this.keyPos[b]!;
    const ca = Math.floor(pa / TWO32);
    const cb = Math.floor(pb / TWO32);
    const ba = this.arena.chunks[ca]!;
    const bb = this.arena.chunks[cb]!;
    const oa = pa - ca * TWO32;
    const ob = pb - cb * TWO32;
    const n = Math.min(la, lb);
    for (let i = from; i < n; i++) {
      const d = ba[oa + i]! - bb[ob + i]!;
      if (d !== 0) return d;
    }
    return la - lb;
  }

  /**
   * Key indexes in key-byte order, by most-significant-digit radix over 3-byte digits: each range is sorted
   * natively as doubles (digit * 2^28 + position: exact, as 257^3 * 2^28 < 2^53); ranges that tie on a digit are
   * sorted on the next one, small ranges by insertion sort. No string per key, no comparator call per comparison.
   */
  sortedOrder(): Int32Array {
    const order = new Int32Array(this.n);
    for (let i = 0; i < order.length; i++) order[i] = i;
    this.sortRange(order, 0, order.length, 0);
    return order;
  }

  private sortRange(order: Int32Array, lo: number, hi: number, off: number): void {
    const n = hi - lo;
    if (n < 2) return;
    if (n <= 16) {
      for (let i = lo + 1; i < hi; i++) {
        const x = order[i]!;
        let j = i - 1;
        while (j >= lo && this.compareKeys(order[j]!, x, off) > 0) {
          order[j + 1] = order[j]!;
          j--;
        }
        order[j + 1] = x;
      }
      return;
    }
    const packed = new Float64Array(n);
    const digit = new Int32Array(n);
    let longer = false;
    for (let i = 0; i < n; i++) {
      const idx = order[lo + i]!;
      const b0 = this.keyByte(idx, off);
      const b1 = this.keyByte(idx, off + 1);
      const b2 = this.keyByte(idx, off + 2);
      // Past the end sorts first (-1 + 1 = 0): a key before its extensions.
      const d = ((b0 + 1) * 257 + (b1 + 1)) * 257 + (b2 + 1);
      digit[i] = d;
      packed[i] = d * 268435456 + i;
      if (this.keyLen[idx]! > off + 3) longer = true;
    }
    packed.sort();
    const slice = order.slice(lo, hi);
    for (let i = 0; i < n; i++) {
      const from = packed[i]! % 268435456;
      order[lo + i] = slice[from]!;
      packed[i] = digit[from]!;
    }
    if (!longer) return; // every key ended within this digit: the digits decided
    let start = 0;
    for (let i = 1; i <= n; i++) {
      if (i === n || packed[i] !== packed[start]) {
        if (i - start > 1) this.sortRange(order, lo + start, lo + i, off + 3);
        start = i;
      }
    }
  }
}

/** A copy of `a` with room for `n` entries. */
export function growInt32(a: Int32Array, n: number): Int32Array<ArrayBuffer> {
  const b = new Int32Array(n);
  b.set(a);
  return b;
}
