import { kv, type BoundedWindow, type CombinePerKeySpec, type Instant, type KV, type NodeInfo, type PaneInfo, type TimestampCombiner } from '../../model/index.ts';
import { combinesToLatest, combiningFold, type PaneFold } from '../../semantics/index.ts';
import { encodeKey, type EncodedKey } from './key-encoding.ts';
import { groupingError } from './step-errors.ts';
import { Operator } from './operator.ts';

interface Partial {
  readonly key: unknown;
  readonly window: BoundedWindow;
  readonly windows: readonly BoundedWindow[];
  acc: unknown;
  minTs: Instant;
  maxTs: Instant;
  /** The earliest timestamp not behind the input watermark: only such elements hold the watermark downstream. */
  minHeldTs: Instant;
}

/**
 * Combiner lifting: folds inputs into one accumulator per key and window before the shuffle, so the grouping step
 * sees accumulators instead of every element. The table lives across bundles (so a batch job with 10K keys ships
 * ~10K accumulators, not one per element) and is flushed when it grows past `maxEntries` or before the watermark
 * moves: the planner lifts only where triggers depend on the watermark alone, so flushing then is invisible —
 * except for late data (a window the watermark already passed fires on each late element with the default trigger),
 * so a bundle that brought late data is flushed when it ends. Timestamps follow the reducer's hold rule: elements
 * behind the input watermark hold nothing, so a partial carries the earliest timestamp among those that do.
 */
export class PrecombineOp extends Operator {
  private table = new Map<EncodedKey, Partial | Partial[]>();
  private size = 0;
  private late = false;
  private readonly fold: PaneFold<unknown, unknown, unknown>;
  private readonly latest: boolean;

  constructor(
    node: NodeInfo,
    spec: CombinePerKeySpec,
    private readonly timestampCombiner: TimestampCombiner,
    private readonly maxEntries = 100_000,
  ) {
    super(node);
    this.fold = combiningFold(spec.combineFn);
    this.latest = combinesToLatest(timestampCombiner);
  }

  override get name(): string {
    return `${this.node.name}/Precombine`;
  }

  process(value: unknown, timestamp: Instant, windows: readonly BoundedWindow[], _pane: PaneInfo): void {
    this.elementsIn++;
    const { key, value: input } = value as KV<unknown, unknown>;
    const encoded = encodeKey(key, this.node.name);
    for (let i = 0; i < windows.length; i++) {
      const w = windows[i]!;
      const p = this.partial(encoded, key, w, windows.length === 1 ? windows : [w]);
      try {
        p.acc = this.fold.add(p.acc, input);
      } catch (e) {
        throw groupingError(this.node.name, value, e);
      }
      if (timestamp < p.minTs) p.minTs = timestamp;
      if (timestamp > p.maxTs) p.maxTs = timestamp;
      if (timestamp >= this.inputWatermark && timestamp < p.minHeldTs) p.minHeldTs = timestamp;
      if (w.maxTimestamp < this.inputWatermark && !this.late) {
        this.late = true;
        if (!this.inBundle) this.enterBundle();
      }
    }
    if (this.size >= this.maxEntries) this.flush();
  }

  private partial(encoded: EncodedKey, key: unknown, window: BoundedWindow, windows: readonly BoundedWindow[]): Partial {
    const slot = this.table.get(encoded);
    if (slot !== undefined) {
      if (!Array.isArray(slot)) {
        if (slot.window === window || slot.window.key === window.key) return slot;
        const p = this.newPartial(key, window, windows);
        this.table.set(encoded, [slot, p]);
        return p;
      }
      for (let i = slot.length - 1; i >= 0; i--) {
        const p = slot[i]!;
        if (p.window === window || p.window.key === window.key) return p;
      }
      const p = this.newPartial(key, window, windows);
      slot.push(p);
      return p;
    }
    const p = this.newPartial(key, window, windows);
    this.table.set(encoded, p);
    return p;
  }

  private newPartial(key: unknown, window: BoundedWindow, windows: readonly BoundedWindow[]): Partial {
    this.size++;
    return { key, window, windows, acc: this.fold.create(), minTs: Infinity, maxTs: -Infinity, minHeldTs: Infinity };
  }

  /** Ships every partial accumulator downstream. */
  flush(): void {
    if (this.size === 0) return;
    const table = this.table;
    this.table = new Map();
    this.size = 0;
    const emit = (p: Partial) => {
      const acc = this.fold.compact(p.acc);
      const ts = this.latest ? p.maxTs : p.minHeldTs !== Infinity ? p.minHeldTs : p.minTs;
      this.elementsOut++;
      this.main.process(kv(p.key, acc), ts, p.windows, { isFirst: true, isLast: true, timing: 'UNKNOWN', index: 0, nonSpeculativeIndex: 0 });
    };
    for (const slot of table.values()) {
      if (Array.isArray(slot)) slot.forEach(emit);
      else emit(slot);
    }
  }

  override finishBundle(): void {
    this.inBundle = false;
    if (this.late) {
      this.late = false;
      this.flush();
    }
  }

  override onWatermark(watermark: Instant): void {
    this.flush();
    this.inputWatermark = watermark;
  }

  override holdWatermark(): Instant {
    return this.size > 0 ? -Infinity : Infinity;
  }
}
