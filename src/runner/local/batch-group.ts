import { kv, type BoundedWindow, type Instant, type PaneInfo, type WindowingStrategy } from '../../model/index.ts';
import { finalWindows, paneOutputTime, soleOnTimePane, type PaneFold } from '../../semantics/index.ts';
import type { GroupSpill, SpilledGroup } from './group-spill.ts';
import { encodeKey, type EncodedKey } from './key-encoding.ts';

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
  /** The slot used last: in time-ordered input, almost always the one the next element needs. */
  last: Slot;
  /** Every slot, in creation order; indexed by window key once there are many. */
  readonly all: Slot[];
  index?: Map<string, Slot>;
}

const INDEX_AFTER = 8;

type Emit = (value: unknown, timestamp: Instant, window: BoundedWindow, pane: PaneInfo) => void;

/**
 * A key's input under a merging window function: every (window, value, timestamp) as it came, in parallel arrays.
 * Merging window functions give almost every element a window of its own (a session or bid span starting at its
 * timestamp), so folding per window on the way in would cost a slot, an accumulator and a window key per element;
 * the windows are deduplicated and merged once, at the end, over the key's full set.
 */
interface MergingEntries {
  readonly key: unknown;
  readonly windows: BoundedWindow[];
  readonly values: unknown[];
  readonly timestamps: Instant[];
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
  ) {
    this.pane = soleOnTimePane(strategy);
    this.isMerging = strategy.windowFn.isMerging;
  }

  get size(): number {
    return this.table.size + this.merging.size;
  }

  add(key: unknown, value: unknown, timestamp: Instant, windows: readonly BoundedWindow[]): void {
    const spill = this.spill;
    if (spill !== undefined && spill.buffer !== undefined && spill.add(key, value, timestamp, windows)) return;
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
      return;
    }
    let k = this.table.get(encoded);
    if (k === undefined) {
      const first: Slot = { window: windows[0]!, acc: this.folder.create(), minTs: timestamp, maxTs: timestamp, done: false };
      k = { key, last: first, all: [first] };
      this.table.set(encoded, k);
      this.created++;
    }
    for (let i = 0; i < windows.length; i++) {
      const s = this.slot(k, windows[i]!, timestamp);
      s.acc = this.folder.add(s.acc, value);
      if (timestamp < s.minTs) s.minTs = timestamp;
      if (timestamp > s.maxTs) s.maxTs = timestamp;
    }
    // A combining fold's slot does not grow with its input: only new slots are accounted for.
    if (spill !== undefined && (this.created > 0 || spill.keepsValues)) {
      spill.account(value, this.created);
      this.created = 0;
    }
  }

  /** Slots created since the last accounting (for the memory estimate). */
  private created = 0;

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
