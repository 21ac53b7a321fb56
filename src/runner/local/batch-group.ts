import { ByteReader, ByteWriter, isIntervalWindow, kv, RiffleError, type BoundedWindow, type Coder, type Instant, type PaneInfo, type WindowingStrategy } from '../../model/index.ts';
import { finalWindows, paneOutputTime, soleOnTimePane, type PaneFold } from '../../semantics/index.ts';
import type { GroupSpill, GroupSpillSnapshot, SpilledGroup } from './group-spill.ts';
import { encodeKey, type EncodedKey } from './key-encoding.ts';
import { MinHeap } from './min-heap.ts';

interface Slot {
  readonly window: BoundedWindow;
  acc: unknown;
  minTs: Instant;
  maxTs: Instant;
  /** Emitted already (with the spilled values of its key and window folded in after its own). */
  done: boolean;
}

interface KeySlots {
  readonly key: unknown;
  readonly encoded: EncodedKey;
  /** The slot used last: in time-ordered input, almost always the one the next element needs. */
  last: Slot;
  /** Every slot, in creation order; indexed by window key once there are many. */
  readonly all: Slot[];
  index?: Map<string, Slot>;
}

const INDEX_AFTER = 8;

type Emit = (value: unknown, timestamp: Instant, window: BoundedWindow, pane: PaneInfo) => void;

/**
 * The coders a checkpoint of the table is written through (build.ts: the input's KV coder when it declares one, else
 * the object coder, which refuses what it cannot rebuild rather than flatten it).
 */
export interface TableCoders {
  /** Keys as the pipeline made them (a pane carries its key as written). */
  readonly key: Coder<unknown>;
  /** Values of merging entries. */
  readonly value: Coder<unknown>;
  /** The fold's accumulators (groupByKey's: the list of values). */
  readonly accumulator: Coder<unknown>;
  readonly window: Coder<BoundedWindow>;
}

/** A checkpoint of a batch grouping table (BatchGroupTable.snapshot). */
export interface TableSnapshot {
  /** Per key group: its keys with their slots or merging entries, encoded (see BatchGroupTable.snapshot). */
  readonly groups: Array<[keyGroup: number, bytes: Uint8Array]>;
  /** Event-time progress had started, at this watermark. */
  readonly progress: boolean;
  readonly watermark: Instant;
  /** The spilled input, when the table had spilled. */
  readonly spill?: GroupSpillSnapshot;
}

const SLOTS = 0;
const ENTRIES = 1;

/**
 * A key's input under a merging window function: every (window, value, timestamp) as it came, in parallel arrays.
 * Merging window functions give almost every element a window of its own (a session or bid span starting at its
 * timestamp), so folding per window on the way in would cost a slot, an accumulator and a window key per element;
 * the windows are deduplicated and merged once, at the end, over the key's full set.
 */
interface MergingEntries {
  readonly key: unknown;
  windows: BoundedWindow[];
  values: unknown[];
  timestamps: Instant[];
  /** Event-time progress: the earliest expiry among the key's windows (merged), where the key is looked at next. */
  checkAt?: number;
}

/** Event-time progress, non-merging windows: the slots whose windows expire at one time. */
interface ExpiryBucket {
  readonly slots: Array<{ readonly k: KeySlots; readonly s: Slot }>;
  /** The earliest output time its panes can have (what the step's output watermark is held at). */
  low: Instant;
}

/**
 * Grouping for bounded pipelines with a watermark-only trigger. There, the engine guarantees that a grouping's input
 * watermark goes from −∞ straight to +∞ (sources report +∞ only when done), so nothing is ever late and every window
 * fires exactly once, on time, at the end: the whole trigger/hold/timer machinery of the WindowReducer would only
 * produce that one pane per key and window. This table folds values per key and window and emits those panes —
 * with the same timestamps (per the timestamp combiner), merged windows and PaneInfo as the reducer, which the
 * property tests check (batch = streaming, batch = reference).
 */
export class BatchGroupTable {
  private readonly table = new Map<EncodedKey, KeySlots>();
  private readonly merging = new Map<EncodedKey, MergingEntries>();
  private readonly isMerging: boolean;
  private readonly pane: PaneInfo;

  constructor(
    private readonly step: string,
    private readonly strategy: WindowingStrategy,
    private readonly folder: PaneFold<unknown, unknown, unknown>,
    /** Bounded memory: past the step's budget, further input is spilled encoded (see GroupSpill). */
    private readonly spill?: GroupSpill,
    /** Checkpointed runs: the coders `snapshot` writes through (none: the table cannot be checkpointed). */
    private readonly coders?: TableCoders,
  ) {
    this.pane = soleOnTimePane(strategy);
    this.isMerging = strategy.windowFn.isMerging;
    this.lateness = strategy.allowedLateness;
  }

  get size(): number {
    return this.table.size + this.merging.size;
  }

  add(key: unknown, value: unknown, timestamp: Instant, windows: readonly BoundedWindow[]): number {
    if (this.progress) {
      const kept = this.notExpired(windows);
      if (kept !== windows) {
        if (kept.length > 0) this.add(key, value, timestamp, kept);
        return windows.length - kept.length;
      }
    }
    const spill = this.spill;
    if (spill !== undefined && spill.buffer !== undefined && spill.add(key, value, timestamp, windows)) return 0;
    const encoded = encodeKey(key, this.step);
    if (this.isMerging) {
      let m = this.merging.get(encoded);
      if (m === undefined) this.merging.set(encoded, (m = { key, windows: [], values: [], timestamps: [] }));
      // Each element keeps its window, value and timestamp (three array slots and a window object).
      spill?.account(value, 0, 96 * windows.length);
      for (let i = 0; i < windows.length; i++) {
        m.windows.push(windows[i]!);
        m.values.push(value);
        m.timestamps.push(timestamp);
      }
      this.liveEntries += windows.length;
      if (this.progress && this.closesMerged) this.scheduleKey(encoded, m, this.expiryOf(windows));
      return 0;
    }
    let k = this.table.get(encoded);
    if (k === undefined) {
      const first: Slot = { window: windows[0]!, acc: this.folder.create(), minTs: timestamp, maxTs: timestamp, done: false };
      k = { key, encoded, last: first, all: [first] };
      this.table.set(encoded, k);
      this.created++;
      if (this.progress) this.indexSlot(k, first);
    }
    for (let i = 0; i < windows.length; i++) {
      const s = this.slot(k, windows[i]!, timestamp);
      s.acc = this.folder.add(s.acc, value);
      if (timestamp < s.minTs) s.minTs = timestamp;
      if (timestamp > s.maxTs) s.maxTs = timestamp;
    }
    // A combining fold's slot does not grow with its input: only new slots are accounted for.
    if (this.created > 0) {
      this.liveSlots += this.created;
      if (spill !== undefined) spill.account(value, this.created);
      this.created = 0;
    } else if (spill !== undefined && spill.keepsValues) spill.account(value, 0);
    return 0;
  }

  /** Slots created since the last accounting (for the memory estimate). */
  private created = 0;
  /** Slots and merging entries held (for the share of the memory estimate that emitting some of them frees). */
  private liveSlots = 0;
  private liveEntries = 0;

  /*
   * Event-time progress (a bounded source that reports a watermark as it reads, SourceBatch.watermark): windows are
   * emitted as soon as no input can reach them any more — the watermark past their end plus the allowed lateness,
   * when a streaming run drops their state — and let go, so the table holds the windows in flight, not the input.
   * The pane is the same as at the end (an input in time order cannot reach a window the watermark passed); an
   * element for an expired window breaks its source's promise and is dropped and counted as late, as in a stream.
   * Merging windows close early only when the window function merges intersecting intervals (sessions: a window
   * behind the watermark intersects no later element's window); others may merge windows that do not intersect
   * (e.g. Nexmark's bid windows into a later auction's), so their entries wait for the end, as without progress.
   * The index is built at the first finite watermark, so a table that never sees one pays nothing for it.
   */
  private progress = false;
  private watermark: Instant = -Infinity;
  private readonly lateness: number;
  /** Expiry times: one item per bucket of non-merging slots, one per (key, checkAt) of merging entries. */
  private readonly expiries = new MinHeap<{ time: number; seq: number; encoded?: EncodedKey }>();
  private readonly buckets = new Map<number, ExpiryBucket>();
  private seq = 0;

  /**
   * The input watermark moved to `watermark` (finite): emits the windows it expires, until `Date.now()` passes
   * `deadline` (checked every few windows or keys); true while some remain. Once input spills, windows wait for the
   * end (the spilled part is merged back only then).
   */
  advance(watermark: Instant, emit: Emit, deadline: number): boolean {
    if (this.spillStarted()) return false;
    if (!this.progress) this.startProgress();
    if (watermark > this.watermark) this.watermark = watermark;
    const slotsBefore = this.liveSlots;
    const entriesBefore = this.liveEntries;
    let more = false;
    for (let n = 1, top = this.expiries.peek(); top !== undefined && top.time < this.watermark; top = this.expiries.peek(), n++) {
      this.expiries.pop();
      if (top.encoded === undefined) {
        const b = this.buckets.get(top.time);
        if (b === undefined) continue;
        this.buckets.delete(top.time);
        for (const { k, s } of b.slots) this.emitExpired(k, s, emit);
      } else {
        const m = this.merging.get(top.encoded);
        if (m !== undefined && m.checkAt === top.time) this.emitExpiredMerged(top.encoded, m, emit);
      }
      if ((n & 7) === 0 && Date.now() >= deadline) {
        more = true;
        break;
      }
    }
    const held = slotsBefore + entriesBefore;
    const freed = held - this.liveSlots - this.liveEntries;
    if (freed > 0) this.spill?.freed(freed / held);
    return more;
  }

  /**
   * Whether `advance(watermark)` would emit something: always before the first (which builds the expiry index), then
   * when the earliest expiry is behind it. Never once input spilled (windows then wait for the end).
   */
  expiresBy(watermark: Instant): boolean {
    if (this.spillStarted()) return false;
    if (!this.progress) return true;
    const top = this.expiries.peek();
    return top !== undefined && top.time < watermark;
  }

  /**
   * The earliest output time a pane of this table can still have (the step holds its output watermark there), or −∞
   * when unknown (no progress yet, or spilling, or a timestamp combiner whose bound is not tracked).
   */
  minHold(): Instant {
    if (!this.progress || this.spillStarted()) return -Infinity;
    if (this.isMerging && !this.closesMerged && this.merging.size > 0) return -Infinity;
    if (this.strategy.timestampCombiner === 'endOfWindow') {
      const top = this.expiries.peek();
      return top === undefined ? Infinity : top.time - this.lateness;
    }
    if (this.isMerging) return this.merging.size === 0 ? Infinity : -Infinity;
    let low = Infinity;
    for (const b of this.buckets.values()) if (b.low < low) low = b.low;
    return low;
  }

  private spillStarted(): boolean {
    return this.spill !== undefined && this.spill.toMerge !== undefined;
  }

  private startProgress(): void {
    this.progress = true;
    for (const k of this.table.values()) for (const s of k.all) this.indexSlot(k, s);
    if (this.closesMerged) for (const [encoded, m] of this.merging) this.scheduleKey(encoded, m, this.expiryOf(m.windows));
  }

  /** Merged windows may close before the end (see the progress comment above). */
  private get closesMerged(): boolean {
    return this.strategy.windowFn.mergesIntersectingIntervals;
  }

  /** The windows of an element that are not expired yet (the same array when none is). */
  private notExpired(windows: readonly BoundedWindow[]): readonly BoundedWindow[] {
    if (this.isMerging && !this.closesMerged) return windows;
    const limit = this.watermark - this.lateness;
    for (let i = 0; i < windows.length; i++) if (windows[i]!.maxTimestamp < limit) return windows.filter((w) => w.maxTimestamp >= limit);
    return windows;
  }

  private expiryOf(windows: readonly BoundedWindow[]): number {
    let t = Infinity;
    for (const w of windows) if (w.maxTimestamp + this.lateness < t) t = w.maxTimestamp + this.lateness;
    return t;
  }

  private indexSlot(k: KeySlots, s: Slot): void {
    const t = s.window.maxTimestamp + this.lateness;
    let b = this.buckets.get(t);
    if (b === undefined) {
      this.buckets.set(t, (b = { slots: [], low: Infinity }));
      this.expiries.push({ time: t, seq: this.seq++ });
    }
    b.slots.push({ k, s });
    // A pane's output time is at least the window's start (its elements' timestamps are in it), or its end.
    const w = s.window;
    const low = this.strategy.timestampCombiner === 'endOfWindow' ? w.maxTimestamp : this.strategy.timestampCombiner !== 'earliestTransformed' && isIntervalWindow(w) ? w.start : -Infinity;
    if (low < b.low) b.low = low;
  }

  private scheduleKey(encoded: EncodedKey, m: MergingEntries, expiry: number): void {
    if (m.checkAt !== undefined && m.checkAt <= expiry) return;
    m.checkAt = expiry;
    this.expiries.push({ time: expiry, seq: this.seq++, encoded });
  }

  private emitExpired(k: KeySlots, s: Slot, emit: Emit): void {
    emit(kv(k.key, this.folder.output(s.acc)), this.outputTime(s), s.window, this.pane);
    this.liveSlots--;
    const all = k.all;
    const i = all.indexOf(s);
    if (i >= 0) all.splice(i, 1);
    k.index?.delete(s.window.key);
    if (all.length === 0) this.table.delete(k.encoded);
    else if (k.last === s) k.last = all[all.length - 1]!;
  }

  /**
   * A merging key whose earliest window may have expired: its entries are merged over the key's set; the merged
   * windows past expiry are emitted and their entries let go; the rest stay (later input may still merge into them).
   */
  private emitExpiredMerged(encoded: EncodedKey, m: MergingEntries, emit: Emit): void {
    m.checkAt = undefined;
    const final = finalWindows(this.strategy.windowFn, m.windows, this.step);
    const limit = this.watermark - this.lateness;
    const slots = new Map<BoundedWindow, Slot>();
    const keep: number[] = [];
    let next = Infinity;
    for (let i = 0; i < final.length; i++) {
      const w = final[i]!;
      if (w.maxTimestamp >= limit) {
        keep.push(i);
        if (w.maxTimestamp + this.lateness < next) next = w.maxTimestamp + this.lateness;
        continue;
      }
      let s = slots.get(w);
      if (s === undefined) slots.set(w, (s = { window: w, acc: this.folder.create(), minTs: Infinity, maxTs: -Infinity, done: false }));
      const t = m.timestamps[i]!;
      s.acc = this.folder.add(s.acc, m.values[i]);
      if (t < s.minTs) s.minTs = t;
      if (t > s.maxTs) s.maxTs = t;
    }
    for (const s of slots.values()) emit(kv(m.key, this.folder.output(s.acc)), this.outputTime(s), s.window, this.pane);
    this.liveEntries -= final.length - keep.length;
    if (keep.length === 0) {
      this.merging.delete(encoded);
      return;
    }
    if (keep.length < final.length) {
      m.windows = keep.map((i) => m.windows[i]!);
      m.values = keep.map((i) => m.values[i]);
      m.timestamps = keep.map((i) => m.timestamps[i]!);
    }
    this.scheduleKey(encoded, m, next);
  }

  private slot(k: KeySlots, window: BoundedWindow, timestamp: Instant): Slot {
    const last = k.last;
    if (last.window === window || last.window.key === window.key) return last;
    let s: Slot | undefined;
    if (k.index !== undefined) s = k.index.get(window.key);
    else for (let i = k.all.length - 1; i >= 0 && s === undefined; i--) if (k.all[i]!.window.key === window.key) s = k.all[i];
    if (s === undefined) {
      s = { window, acc: this.folder.create(), minTs: timestamp, maxTs: timestamp, done: false };
      this.created++;
      k.all.push(s);
      if (k.index !== undefined) k.index.set(window.key, s);
      else if (k.all.length > INDEX_AFTER) k.index = new Map(k.all.map((x) => [x.window.key, x]));
      if (this.progress) this.indexSlot(k, s);
    }
    k.last = s;
    return s;
  }

  /**
   * Emits one pane per key and (merged) window, then forgets everything.
   * 1. Merging window functions: each key's values fold into the windows they merge into over the key's full set.
   * 2. The pane's timestamp follows the timestamp combiner: end of window, earliest, latest, or earliest transformed.
   */
  flush(emit: Emit): void {
    while (this.flushSome(emit, Infinity));
  }

  /**
   * Like flush, in slices: emits keys until `Date.now()` passes `deadline` (checked every few keys) and returns true
   * while keys remain. Nothing may be added once flushing has begun.
   */
  flushSome(emit: Emit, deadline: number): boolean {
    if (this.spill?.toMerge !== undefined && this.spilledGroups !== false) {
      this.spilledGroups ??= this.spill.groups();
      for (let n = 1; ; n++) {
        const next = this.spilledGroups.next();
        if (next.done) break;
        this.emitSpilled(next.value, emit);
        if ((n & 7) === 0 && Date.now() >= deadline) return true;
      }
      this.spilledGroups = false;
    }
    this.tableKeys ??= this.table.values();
    for (let n = 1; ; n++) {
      const next = this.tableKeys.next();
      if (next.done) break;
      const k = next.value;
      for (const s of k.all) if (!s.done) emit(kv(k.key, this.folder.output(s.acc)), this.outputTime(s), s.window, this.pane);
      if ((n & 7) === 0 && Date.now() >= deadline) return true;
    }
    this.mergingKeys ??= this.merging.values();
    for (let n = 1; ; n++) {
      const next = this.mergingKeys.next();
      if (next.done) break;
      const m = next.value;
      for (const s of this.mergeEntries(m)) emit(kv(m.key, this.folder.output(s.acc)), this.outputTime(s), s.window, this.pane);
      if ((n & 7) === 0 && Date.now() >= deadline) return true;
    }
    this.table.clear();
    this.merging.clear();
    this.tableKeys = undefined;
    this.mergingKeys = undefined;
    this.spilledGroups = undefined;
    this.spill?.close();
    return false;
  }

  private spilledGroups: Iterator<SpilledGroup> | false | undefined;

  /**
   * One spilled (key, window) group: its values fold after those the table holds for the same key and window (they
   * came earlier: the table stopped taking input when spilling began), and the pane goes out once.
   */
  private emitSpilled(g: SpilledGroup, emit: Emit): void {
    if (g.windows !== undefined) return this.emitSpilledMerging(g, g.windows, emit);
    const window = g.window!;
    const k = this.table.get(encodeKey(g.key, this.step));
    let s: Slot | undefined;
    if (k !== undefined) for (let i = 0; i < k.all.length && s === undefined; i++) if (k.all[i]!.window.key === window.key) s = k.all[i];
    if (s === undefined) s = { window, acc: this.folder.create(), minTs: Infinity, maxTs: -Infinity, done: false };
    for (const e of g.elements) {
      s.acc = this.folder.add(s.acc, e.key);
      if (e.value < s.minTs) s.minTs = e.value;
      if (e.value > s.maxTs) s.maxTs = e.value;
    }
    s.done = true;
    const output = this.folder.output(s.acc);
    // The table holds this slot until the end: let its (now complete) accumulator go.
    s.acc = undefined;
    emit(kv(k?.key ?? g.key, output), this.outputTime(s), s.window, this.pane);
  }

  /**
   * A key's spilled input under a merging window function: after what the table holds of the key (earlier input),
   * its windows are merged over the key's full set, as for a key that stayed in memory.
   */
  private emitSpilledMerging(g: SpilledGroup, windows: BoundedWindow[], emit: Emit): void {
    const encoded = encodeKey(g.key, this.step);
    const held = this.merging.get(encoded);
    const m: MergingEntries = held ?? { key: g.key, windows: [], values: [], timestamps: [] };
    this.merging.delete(encoded);
    for (let i = 0; i < g.elements.length; i++) {
      m.windows.push(windows[i]!);
      m.values.push(g.elements[i]!.key);
      m.timestamps.push(g.elements[i]!.value);
    }
    for (const s of this.mergeEntries(m)) emit(kv(m.key, this.folder.output(s.acc)), this.outputTime(s), s.window, this.pane);
  }

  /**
   * Checkpoints (issue 14), taken at rest (no emission under way): what the table holds, per key group, through the
   * table's coders — for each key, tag SLOTS then the key, the slot count and per slot (window, accumulator, minTs,
   * maxTs, done); or tag ENTRIES then the key, the entry count and per entry (window, value, timestamp) — followed
   * by the spilled input's runs (copies: a run file never changes once written) and the progress watermark.
   */
  async snapshot(assignKeyGroup: (key: unknown, encoded: EncodedKey) => number): Promise<TableSnapshot> {
    const c = this.coders;
    if (c === undefined) throw new RiffleError('ENGINE_INVARIANT', `step '${this.step}': a checkpoint reached a batch grouping built without checkpoint coders`, { domain: 'internal' });
    const writers = new Map<number, ByteWriter>();
    const writerFor = (key: unknown, encoded: EncodedKey): ByteWriter => {
      const g = assignKeyGroup(key, encoded);
      let w = writers.get(g);
      if (w === undefined) writers.set(g, (w = new ByteWriter(1024)));
      return w;
    };
    try {
      for (const k of this.table.values()) {
        const w = writerFor(k.key, k.encoded);
        w.byte(SLOTS);
        c.key.encode(k.key, w);
        w.varUint(k.all.length);
        for (const s of k.all) {
          c.window.encode(s.window, w);
          c.accumulator.encode(s.acc, w);
          w.float64(s.minTs);
          w.float64(s.maxTs);
          w.byte(s.done ? 1 : 0);
        }
      }
      for (const [encoded, m] of this.merging) {
        const w = writerFor(m.key, encoded);
        w.byte(ENTRIES);
        c.key.encode(m.key, w);
        w.varUint(m.windows.length);
        for (let i = 0; i < m.windows.length; i++) {
          c.window.encode(m.windows[i]!, w);
          c.value.encode(m.values[i], w);
          w.float64(m.timestamps[i]!);
        }
      }
    } catch (e) {
      if (e instanceof RiffleError) throw e;
      throw new RiffleError('CHECKPOINT_NOT_ENCODABLE', `step '${this.step}': its grouped data cannot be checkpointed: ${(e as Error).message}`, {
        domain: 'user',
        context: { step: this.step },
        hint: 'give the collection a coder that encodes its keys and values (e.g. coders.kv(...) on the step before), or run without --checkpoint-dir',
      });
    }
    const groups: Array<[number, Uint8Array]> = [...writers].sort((a, b) => a[0] - b[0]).map(([g, w]) => [g, w.toBytes()]);
    const spill = await this.spill?.snapshot();
    return { groups, progress: this.progress, watermark: this.watermark, ...(spill !== undefined ? { spill } : {}) };
  }

  /** Restores what `snapshot` returned (the key groups this worker owns), before any input. */
  restore(s: TableSnapshot): void {
    const c = this.coders;
    if (c === undefined) throw new RiffleError('ENGINE_INVARIANT', `step '${this.step}': a batch grouping built without checkpoint coders was restored`, { domain: 'internal' });
    const spill = this.spill;
    for (const [, bytes] of s.groups) {
      const r = new ByteReader(bytes);
      while (!r.done) {
        const tag = r.byte();
        const key = c.key.decode(r);
        const encoded = encodeKey(key, this.step);
        const n = r.varUint();
        if (tag === SLOTS) {
          const all: Slot[] = new Array(n);
          for (let i = 0; i < n; i++) {
            const window = c.window.decode(r);
            const acc = c.accumulator.decode(r);
            all[i] = { window, acc, minTs: r.float64(), maxTs: r.float64(), done: r.byte() === 1 };
            if (spill !== undefined) {
              const values = spill.keepsValues && Array.isArray(acc) ? (acc as unknown[]) : undefined;
              spill.account(values !== undefined ? values[0] : acc, 1);
              if (values !== undefined) for (let j = 1; j < values.length; j++) spill.account(values[j], 0);
            }
          }
          const k: KeySlots = { key, encoded, last: all[all.length - 1]!, all };
          if (all.length > INDEX_AFTER) k.index = new Map(all.map((x) => [x.window.key, x]));
          this.table.set(encoded, k);
          this.liveSlots += n;
        } else if (tag === ENTRIES) {
          const m: MergingEntries = { key, windows: new Array(n), values: new Array(n), timestamps: new Array(n) };
          for (let i = 0; i < n; i++) {
            m.windows[i] = c.window.decode(r);
            m.values[i] = c.value.decode(r);
            m.timestamps[i] = r.float64();
            spill?.account(m.values[i], 0, 96);
          }
          this.merging.set(encoded, m);
          this.liveEntries += n;
        } else {
          throw new RiffleError('CHECKPOINT_INVALID', `step '${this.step}': its grouping table in the checkpoint is damaged (tag ${tag})`, { domain: 'user', hint: 'resume from an earlier checkpoint, or run without --resume' });
        }
      }
    }
    if (s.spill !== undefined) {
      if (spill === undefined) throw new RiffleError('ENGINE_INVARIANT', `step '${this.step}': the checkpoint holds spilled input but the step has no memory budget`, { domain: 'internal' });
      spill.restore(s.spill);
    }
    if (s.progress) {
      this.watermark = s.watermark;
      this.startProgress();
    }
  }

  /** Work for a bundle boundary (a spill's asynchronous write). */
  pendingIo(): Promise<void> | undefined {
    return this.spill?.pendingIo();
  }

  /** Removes spill files (a failed or cancelled run). */
  close(): void {
    this.spill?.close();
  }

  private tableKeys: Iterator<KeySlots> | undefined;
  private mergingKeys: Iterator<MergingEntries> | undefined;

  /** One key's entries under a merging window function, folded into one slot per final window, in arrival order. */
  private mergeEntries(m: MergingEntries): Slot[] {
    const final = finalWindows(this.strategy.windowFn, m.windows, this.step);
    const slots = new Map<BoundedWindow, Slot>();
    for (let i = 0; i < final.length; i++) {
      const w = final[i]!;
      let s = slots.get(w);
      if (s === undefined) slots.set(w, (s = { window: w, acc: this.folder.create(), minTs: Infinity, maxTs: -Infinity, done: false }));
      const t = m.timestamps[i]!;
      s.acc = this.folder.add(s.acc, m.values[i]);
      if (t < s.minTs) s.minTs = t;
      if (t > s.maxTs) s.maxTs = t;
    }
    return [...slots.values()];
  }

  private outputTime(s: Slot): Instant {
    return paneOutputTime(this.strategy, s.window, s.minTs, s.maxTs);
  }
}
