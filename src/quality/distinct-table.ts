/**
 * The exact distinct-value table of a column profile: value key → slot, slots numbered in first-seen order, and
 * per slot its count and the row index of its first occurrence (typed arrays, no per-entry objects).
 *
 * Number keys live in a purpose-built open-addressing hash table (linear probing over an Int32Array of slot
 * numbers; the keys themselves in a Float64Array indexed by slot), so a million distinct ids cost ~40 bytes each
 * and no GC pressure. Other keys (strings, booleans, bigints, tagged object keys) go to a Map key → slot: V8
 * caches string hashes, which a JS-side string hash could not beat. Keys are what `valueKey` gives: `-0` is
 * stored as `0`, as a Map would (SameValueZero).
 */

const EMPTY = 0;

export class DistinctTable {
  /** Number of distinct keys (slots). */
  size = 0;
  /** Per slot: occurrences (up to 2^32 - 1 per accumulator). */
  counts: Uint32Array;
  /** Per slot: row index of the first occurrence (within an accumulator's first 2^32 - 1 rows). */
  first: Uint32Array;
  /** Per slot: the number key, or for other keys their index in `otherKeys`. */
  private nums: Float64Array;
  /** Per slot: 1 when the key is not a number. */
  private isOther: Uint8Array;
  /** The keys that are not numbers, in first-seen order (number columns allocate nothing on the JS heap). */
  private readonly otherKeys: unknown[] = [];
  /** Open-addressing table of number keys: slot + 1, or EMPTY. */
  private table: Int32Array;
  private mask: number;
  private readonly others = new Map<unknown, number>();
  private static readonly scratch = new Float64Array(1);
  private static readonly words = new Int32Array(DistinctTable.scratch.buffer);

  constructor(capacity = 64) {
    this.counts = new Uint32Array(capacity);
    this.first = new Uint32Array(capacity);
    this.nums = new Float64Array(capacity);
    this.isOther = new Uint8Array(capacity);
    this.table = new Int32Array(capacity * 2);
    this.mask = capacity * 2 - 1;
  }

  /**
   * Integers keep their low bits (folded with the high ones), so runs of nearby ids land in nearby buckets and a
   * million sequential ids probe the table sequentially instead of missing the cache on every lookup; other
   * doubles are mixed (murmur3's finalizer over both words).
   */
  private static hash(x: number): number {
    if ((x | 0) === x) return x ^ (x >>> 11) ^ (x >>> 22);
    DistinctTable.scratch[0] = x;
    let h = DistinctTable.words[0]! ^ Math.imul(DistinctTable.words[1]!, 0x9e3779b1);
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    return h ^ (h >>> 16);
  }

  /** The slot of a number key, or -1. */
  findNumber(x: number): number {
    const key = x + 0; // -0 → 0
    const table = this.table;
    const mask = this.mask;
    const nums = this.nums;
    for (let pos = DistinctTable.hash(key) & mask; ; pos = (pos + 1) & mask) {
      const s = table[pos]!;
      if (s === EMPTY) return -1;
      if (nums[s - 1] === key) return s - 1;
    }
  }

  /** The slot of a non-number key, or -1. */
  findOther(key: unknown): number {
    return this.others.get(key) ?? -1;
  }

  /** The slot of a key, or -1. */
  find(key: unknown): number {
    return typeof key === 'number' ? this.findNumber(key) : this.findOther(key);
  }

  /** Adds a number key that is not in the table (count 0): its new slot. */
  insertNumber(x: number, firstIndex: number): number {
    const key = x + 0;
    const slot = this.newSlot(firstIndex);
    this.nums[slot] = key;
    this.isOther[slot] = 0;
    this.place(key, slot);
    return slot;
  }

  /** Adds a non-number key that is not in the table (count 0): its new slot. */
  insertOther(key: unknown, firstIndex: number): number {
    const slot = this.newSlot(firstIndex);
    this.nums[slot] = this.otherKeys.length;
    this.isOther[slot] = 1;
    this.otherKeys.push(key);
    this.others.set(key, slot);
    return slot;
  }

  insert(key: unknown, firstIndex: number): number {
    return typeof key === 'number' ? this.insertNumber(key, firstIndex) : this.insertOther(key, firstIndex);
  }

  /** The key of a slot. */
  key(slot: number): unknown {
    return this.isOther[slot] === 1 ? this.otherKeys[this.nums[slot]!] : this.nums[slot];
  }

  private place(key: number, slot: number): void {
    const table = this.table;
    const mask = this.mask;
    let pos = DistinctTable.hash(key) & mask;
    while (table[pos] !== EMPTY) pos = (pos + 1) & mask;
    table[pos] = slot + 1;
  }

  private newSlot(firstIndex: number): number {
    const slot = this.size++;
    if (slot === this.counts.length) this.grow();
    this.counts[slot] = 0;
    this.first[slot] = firstIndex;
    return slot;
  }

  /** Grows 4× (fewer, larger steps: less garbage in ArrayBuffers, which drives V8's external-memory GCs). */
  private grow(): void {
    const capacity = this.counts.length * 4;
    const counts = new Uint32Array(capacity);
    counts.set(this.counts);
    this.counts = counts;
    const first = new Uint32Array(capacity);
    first.set(this.first);
    this.first = first;
    const nums = new Float64Array(capacity);
    nums.set(this.nums);
    this.nums = nums;
    const isOther = new Uint8Array(capacity);
    isOther.set(this.isOther);
    this.isOther = isOther;
    // Rehash number keys at load ≤ 1/2.
    this.table = new Int32Array(capacity * 2);
    this.mask = capacity * 2 - 1;
    for (let s = 0; s < this.size - 1; s++) if (isOther[s] === 0) this.place(this.nums[s]!, s);
  }
}
