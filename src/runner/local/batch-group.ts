import { kv, type BoundedWindow, type Instant, type PaneInfo, type WindowingStrategy } from '../../model/index.ts';
import { finalWindows, paneOutputTime, soleOnTimePane, type PaneFold } from '../../semantics/index.ts';
import { encodeKey, type EncodedKey } from './key-encoding.ts';

interface Slot {
  readonly window: BoundedWindow;
  acc: unknown;
  minTs: Instant;
  maxTs: Instant;
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
  ) {
    this.pane = soleOnTimePane(strategy);
    this.isMerging = strategy.windowFn.isMerging;
  }

  get size(): number {
    return this.table.size + this.merging.size;
  }

  add(key: unknown, value: unknown, timestamp: Instant, windows: readonly BoundedWindow[]): void {
    const encoded = encodeKey(key, this.step);
    if (this.isMerging) {
      let m = this.merging.get(encoded);
      if (m === undefined) this.merging.set(encoded, (m = { key, windows: [], values: [], timestamps: [] }));
      for (let i = 0; i < windows.length; i++) {
        m.windows.push(windows[i]!);
        m.values.push(value);
        m.timestamps.push(timestamp);
      }
      return;
    }
    let k = this.table.get(encoded);
    if (k === undefined) {
      const first: Slot = { window: windows[0]!, acc: this.folder.create(), minTs: timestamp, maxTs: timestamp };
      k = { key, last: first, all: [first] };
      this.table.set(encoded, k);
    }
    for (let i = 0; i < windows.length; i++) {
      const s = this.slot(k, windows[i]!, timestamp);
      s.acc = this.folder.add(s.acc, value);
      if (timestamp < s.minTs) s.minTs = timestamp;
      if (timestamp > s.maxTs) s.maxTs = timestamp;
    }
  }

  private slot(k: KeySlots, window: BoundedWindow, timestamp: Instant): Slot {
    const last = k.last;
    if (last.window === window || last.window.key === window.key) return last;
    let s: Slot | undefined;
    if (k.index !== undefined) s = k.index.get(window.key);
    else for (let i = k.all.length - 1; i >= 0 && s === undefined; i--) if (k.all[i]!.window.key === window.key) s = k.all[i];
    if (s === undefined) {
      s = { window, acc: this.folder.create(), minTs: timestamp, maxTs: timestamp };
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
    this.tableKeys ??= this.table.values();
    for (let n = 1; ; n++) {
      const next = this.tableKeys.next();
      if (next.done) break;
      const k = next.value;
      for (const s of k.all) emit(kv(k.key, this.folder.output(s.acc)), this.outputTime(s), s.window, this.pane);
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
    return false;
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
      if (s === undefined) slots.set(w, (s = { window: w, acc: this.folder.create(), minTs: Infinity, maxTs: -Infinity }));
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
