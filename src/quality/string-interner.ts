/**
 * One string per distinct UTF-8 value of a column, across a whole read: a cell whose bytes were seen before gives
 * the string made the first time (no decode, no allocation, so no garbage per cell), and repeated strings are the
 * same object, whose hash V8 computes once for every Set/Map lookup of the metrics. Columnar readers (CSV, Delta)
 * keep one per string column.
 *
 * Strategy:
 *  1. The caller hashes the value's bytes (FNV-1a, `fnv1a`; the CSV reader does it while it looks for the field's
 *     end) and calls `intern(bytes, start, end, hash)`.
 *  2. An open-addressing table (linear probing over an Int32Array of 2^17 slots) finds the entry of that hash whose
 *     bytes equal the value's (compared in a JS loop: values are short). Entries keep their bytes in one pool.
 *  3. A miss decodes the value (Buffer#utf8Slice) and adds it while the table has room (4,096 entries, values of at
 *     most 64 bytes, 256 KiB of bytes): memory stays bounded whatever the column.
 *  4. Once the table is full, a window of 8K lookups with fewer than half hits means a high-cardinality column
 *     (ids, e-mails, free text) where hashing only costs: the interner turns itself off and decodes every value.
 */

type Utf8Slice = (this: Uint8Array, start: number, end: number) => string;
/** Node's Buffer#utf8Slice (what toString('utf8', s, e) ends in, without its argument checks), or toString. */
const utf8Slice: Utf8Slice = (Buffer.prototype as unknown as { utf8Slice?: Utf8Slice }).utf8Slice ?? function (this: Uint8Array, start: number, end: number) {
  return Buffer.from(this.buffer, this.byteOffset, this.byteLength).toString('utf8', start, end);
};

/** The UTF-8 text of bytes[start, end) (bytes must be a Buffer for the fast native call). */
export function decodeUtf8(bytes: Uint8Array, start: number, end: number): string {
  return utf8Slice.call(bytes, start, end);
}

/** The 32-bit FNV-1a hash of bytes[start, end) (the CSV reader computes the same while it scans a field). */
export function fnv1a(bytes: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  return h;
}

/** Values longer than this are decoded, not interned (hashing and comparing them costs more than it saves). */
export const INTERN_MAX_BYTES = 64;
// Small enough to stay in cache: a larger table (64K entries) was measured slower than decoding each value, its
// lookups missing the cache on a 50K-distinct column.
const SLOTS = 1 << 13;
const MAX_ENTRIES = 1 << 12;
const MAX_POOL = 256 << 10;
const WINDOW = 1 << 13;

export class StringInterner {
  readonly #slots = new Int32Array(SLOTS); // entry id + 1, 0 = empty
  #hashes = new Int32Array(1024);
  #starts = new Int32Array(1024);
  #ends = new Int32Array(1024);
  #pool = new Uint8Array(16 * 1024);
  #poolUsed = 0;
  readonly #texts: Array<string | null> = [];
  /** What a value's text becomes (e.g. NA strings → null); identity when absent. */
  readonly #map: ((text: string) => string | null) | undefined;
  #enabled = true;
  #lookups = 0;
  #hits = 0;

  constructor(map?: (text: string) => string | null) {
    this.#map = map;
  }

  /** Whether lookups still happen (false once the column proved high-cardinality: callers may skip hashing). */
  get enabled(): boolean {
    return this.#enabled;
  }

  /** The (mapped) text of bytes[start, end), whose `fnv1a` hash is `hash`. `bytes` must be a Buffer. */
  intern(bytes: Uint8Array, start: number, end: number, hash: number): string | null {
    const length = end - start;
    if (!this.#enabled || length > INTERN_MAX_BYTES) return this.decode(bytes, start, end);
    const slots = this.#slots;
    const mask = SLOTS - 1;
    let slot = hash & mask;
    const full = this.#texts.length >= MAX_ENTRIES;
    if (full && ++this.#lookups === WINDOW) this.#endWindow();
    for (let id = slots[slot]! - 1; id >= 0; slot = (slot + 1) & mask, id = slots[slot]! - 1) {
      if (this.#hashes[id] !== hash) continue;
      const s = this.#starts[id]!;
      if (this.#ends[id]! - s !== length) continue;
      const pool = this.#pool;
      let k = 0;
      while (k < length && pool[s + k] === bytes[start + k]) k++;
      if (k === length) {
        if (full) this.#hits++;
        return this.#texts[id]!;
      }
    }
    const text = this.decode(bytes, start, end);
    if (!full && this.#poolUsed + length <= MAX_POOL) this.#add(bytes, start, end, hash, slot, text);
    return text;
  }

  /** The (mapped) text of bytes[start, end), decoded without a lookup (what a disabled interner gives). */
  decode(bytes: Uint8Array, start: number, end: number): string | null {
    const text = utf8Slice.call(bytes, start, end);
    return this.#map === undefined ? text : this.#map(text);
  }

  #add(bytes: Uint8Array, start: number, end: number, hash: number, slot: number, text: string | null): void {
    const id = this.#texts.length;
    if (id === this.#hashes.length) {
      const grow = (a: Int32Array) => {
        const b = new Int32Array(a.length * 2);
        b.set(a);
        return b;
      };
      this.#hashes = grow(this.#hashes);
      this.#starts = grow(this.#starts);
      this.#ends = grow(this.#ends);
    }
    const length = end - start;
    if (this.#poolUsed + length > this.#pool.length) {
      const pool = new Uint8Array(Math.min(MAX_POOL, Math.max(this.#pool.length * 2, this.#poolUsed + length)));
      pool.set(this.#pool.subarray(0, this.#poolUsed));
      this.#pool = pool;
    }
    this.#pool.set(bytes.subarray(start, end), this.#poolUsed);
    this.#hashes[id] = hash;
    this.#starts[id] = this.#poolUsed;
    this.#ends[id] = this.#poolUsed + length;
    this.#poolUsed += length;
    this.#texts.push(text);
    this.#slots[slot] = id + 1;
  }

  /** The end of a window of lookups on a full table: off for good when fewer than half of them hit. */
  #endWindow(): void {
    if (this.#hits * 2 < WINDOW) {
      this.#enabled = false;
      // Let the entries go: only decoding from now on.
      this.#slots.fill(0);
      this.#texts.length = 0;
      this.#pool = new Uint8Array(0);
      this.#hashes = this.#starts = this.#ends = new Int32Array(0);
    }
    this.#lookups = 0;
    this.#hits = 0;
  }
}
