import { ByteReader, ByteWriter, kv, MAX_TIMESTAMP, MIN_TIMESTAMP, RiffleError, type BoundedWindow, type Coder, type Instant, type KV, type NodeInfo, type PaneInfo, type WindowingStrategy } from '../../model/index.ts';
import { finalWindowLists, WindowReducer, type ReduceFn, type ReducerContext, type StateInternals, type TimerInternals, type WindowedInput } from '../../semantics/index.ts';
import type { BatchGroupTable, TableSnapshot } from './batch-group.ts';
import type { Clock } from './clock.ts';
import { encodeKey, type EncodedKey } from './key-encoding.ts';
import { KEYED_SNAPSHOT_CODERS, KeyedStore, type KeyedOptions, type KeyEntry, type TimerEntry } from './keyed-store.ts';
import { Operator } from './operator.ts';
import { groupingError } from './step-errors.ts';
import { estimateHeapBytes } from './group-spill.ts';
import type { MemoryBudget } from '../state/index.ts';

/** Default budget of a deferred grouping: about 100 MB of buffered elements for small values. */
export const DEFAULT_DEFERRED_BUDGET = 1_000_000;
/** Heap bytes a deferred element costs beyond its value (three array slots, their growth, the window list's share). */
const DEFERRED_ELEMENT_BYTES = 48;
/** Reservations for deferred input are made in chunks of this many bytes. */
const DEFERRED_CHUNK = 64 << 10;

interface PendingKey {
  readonly key: unknown;
  readonly items: WindowedInput<unknown>[];
}

/** A key's whole input in a deferred grouping, in parallel arrays (an element's window list is shared, not copied). */
interface DeferredKey {
  readonly key: unknown;
  readonly values: unknown[];
  readonly timestamps: Instant[];
  readonly windows: (readonly BoundedWindow[])[];
}

/** The coders a checkpoint of a deferred grouping's input goes through (build.ts: the input's, as for the batch table). */
export interface DeferredCoders {
  readonly key: Coder<unknown>;
  readonly value: Coder<unknown>;
  readonly window: Coder<BoundedWindow>;
}

/**
 * Grouping (groupByKey, and combine with a combining reduce function): drives the pure WindowReducer per key.
 * Elements of one bundle are buffered per key and handed over together at the end of the bundle (Beam's keyed work
 * items), so triggers see a key's whole bundle at once; timers fire as the input watermark or the clock advance.
 */
export class GroupOp extends Operator {
  private readonly store: KeyedStore;
  private readonly reducer: WindowReducer<unknown, unknown>;
  private pending = new Map<EncodedKey, PendingKey>();
  private readonly ctx: MutableReducerContext;
  private onDropped: (count: number) => void = () => {};

  /**
   * @param batch when given (bounded pipelines, watermark-only triggers), elements fold into this table and fire once
   *   at +∞ instead of going through the reducer; see BatchGroupTable for why that is the same result.
   */
  constructor(
    node: NodeInfo,
    strategy: WindowingStrategy,
    reduceFn: ReduceFn<unknown, unknown>,
    clock: Clock,
    private batch?: BatchGroupTable,
    deferred = false,
    /** Elements deferred at most before they are handed over at a bundle's end anyway (bounds memory). */
    private readonly deferredBudget = DEFAULT_DEFERRED_BUDGET,
    keyed: KeyedOptions = {},
    /** Checkpointed runs: the coders the deferred input is snapshotted through (none: the deferred grouping is off there). */
    private readonly deferredCoders?: DeferredCoders,
    /** The step's share of the job's memory budget: past it, deferred input is handed over (see accountDeferred). */
    private readonly deferredMemory?: MemoryBudget,
  ) {
    super(node);
    this.store = new KeyedStore(clock, { input: () => this.reducerWatermark, output: () => this.outputWatermark }, false, keyed);
    this.reducer = new WindowReducer(strategy, reduceFn);
    this.ctx = new MutableReducerContext(this);
    this.windowFn = strategy.windowFn;
    if (deferred && batch === undefined) this.deferred = new Map();
    this.progressEvery = Math.max(1, deferredBudget >> 2);
  }

  private readonly windowFn: WindowingStrategy['windowFn'];
  /**
   * Bounded pipelines whose trigger is not watermark-only (see the engine): the input watermark stays at −∞ until it
   * jumps to +∞, so each key's whole input is kept here and handed to the reducer as one bundle just before the jump.
   * The panes are those of a streaming run in which each key's input came in one bundle; the reducer's work per call
   * (merging, holds, timers, trigger state) is paid per key instead of per bundle, and with a merging window function
   * the windows are merged once, over the key's full set, before the reducer sees them (its own merge then has
   * nothing left to do). Past `deferredBudget` elements, what is deferred is handed over at the end of the bundle
   * (one large bundle: the same semantics), so memory stays bounded by the budget plus the reducer's state.
   */
  private deferred?: Map<EncodedKey, DeferredKey>;
  private deferredCount = 0;

  /** Where dropped-late counts go (a job metric), besides this step's own count. */
  setDroppedCounter(fn: (count: number) => void): void {
    this.onDropped = fn;
  }

  process(value: unknown, timestamp: Instant, windows: readonly BoundedWindow[], _pane: PaneInfo): void {
    this.elementsIn++;
    const { key, value: v } = value as KV<unknown, unknown>;
    if (this.batch !== undefined) {
      let dropped: number;
      try {
        dropped = this.batch.add(key, v, timestamp, windows);
      } catch (e) {
        throw groupingError(this.name, value, e);
      }
      if (dropped > 0) this.dropped(dropped);
      return;
    }
    if (this.deferred !== undefined) {
      const encoded = encodeKey(key, this.name);
      let d = this.deferred.get(encoded);
      if (d === undefined) this.deferred.set(encoded, (d = { key, values: [], timestamps: [], windows: [] }));
      d.values.push(v);
      d.timestamps.push(timestamp);
      d.windows.push(windows);
      if (this.deferredMemory !== undefined) this.accountDeferred(v);
      // At the budget, take part in the bundle, whose end hands the deferred input over.
      if ((++this.deferredCount >= this.deferredBudget || this.deferredFull) && !this.inBundle) this.enterBundle();
      return;
    }
    if (!this.inBundle) this.enterBundle();
    const encoded = encodeKey(key, this.name);
    let p = this.pending.get(encoded);
    if (p === undefined) {
      p = { key, items: [] };
      this.pending.set(encoded, p);
    }
    p.items.push({ value: v, timestamp, windows });
  }

  override finishBundle(): void {
    this.inBundle = false;
    if (this.deferred !== undefined && (this.deferredCount >= this.deferredBudget || this.deferredFull)) this.handOverDeferred();
    const pending = this.pending;
    if (pending.size === 0) return;
    this.pending = new Map();
    for (const [encoded, p] of pending) {
      const entry = this.store.get(encoded, p.key);
      this.ctx.bind(entry);
      try {
        this.reducer.processElements(this.ctx, p.items);
      } catch (e) {
        throw groupingError(this.name, { key: p.key }, e);
      }
      this.store.release(entry);
    }
  }

  /**
   * The input watermark moved: the work it starts is done by `drain`, in slices (see Operator.hasPendingWork):
   * 1. a deferred grouping hands each key's input to the reducer, still at the old watermark, where the elements
   *    were when they came (the reducer reads `reducerWatermark`);
   * 2. then the reducer sees the new watermark; a batch table emits its panes (at +∞ only), or due event-time
   *    timers fire.
   */
  override onWatermark(watermark: Instant): void {
    const finite = watermark < MAX_TIMESTAMP;
    if (finite && (this.batch !== undefined || this.deferred !== undefined)) {
      // A finite watermark in a bounded pipeline (a source reporting event-time progress, a side-input ParDo upstream
      // holding elements back) is taken once `progressEvery` elements came since the last one (the panes are those
      // of a stream whose bundles are that large; until then the input watermark, and the output's, stay put):
      // a batch table emits the windows it expires and lets them go (BatchGroupTable.advance); a deferred grouping
      // hands its input over to the reducer, whose timers then fire, and defers again.
      // In the global window nothing expires before the end: taking the watermark would only cost (e.g. fire
      // processing-time triggers per hand-over instead of once).
      // A batch table takes every one, and emits as soon as it expires a window, whatever came since: emitting is all
      // it does then (no trigger runs, a pane is the same whenever it is emitted), so the table holds only the windows
      // in flight (Nexmark Q8 at 10M events held up to 190 MB of people and auctions between takes 250K elements apart,
      // ~20 MB now), and the output watermark follows the input where no window holds it — a worker whose table gets
      // no input (a global combine's `single` exchange) held every side-input reader downstream at its first watermark.
      if (this.windowFn.isGlobal) return;
      if (this.batch !== undefined) {
        this.inputWatermark = watermark;
        if (this.batch.expiresBy(watermark)) {
          this.takenAt = this.elementsIn;
          this.advancing = true;
        }
        return;
      }
      if (this.elementsIn - this.takenAt < this.progressEvery) return;
      this.takenAt = this.elementsIn;
    }
    this.advancing = false;
    // A hand-over still under way (an earlier finite watermark) completes first, at the watermark it was taken at.
    if (this.handingOver !== undefined) this.handOver(this.handingOver, Infinity);
    this.handingOver = undefined;
    this.inputWatermark = watermark;
    if (this.deferred !== undefined) {
      this.handingOver = this.deferred.entries();
      this.deferred = finite ? new Map() : undefined;
      this.deferredCount = 0;
      this.releaseDeferred();
    }
    if (this.batch !== undefined) {
      if (watermark < MAX_TIMESTAMP) {
        throw new RiffleError('ENGINE_INVARIANT', `step '${this.name}': a bounded grouping saw the watermark stop at ${watermark} before +∞`, { domain: 'internal' });
      }
      this.flushing = this.batch;
      // Anything arriving after +∞ (e.g. from a processing-time timer upstream) takes the reducer path, which drops it
      // as late and counts it, exactly as a streaming run would.
      this.batch = undefined;
    }
    this.timersDue = true;
  }

  override hasPendingWork(): boolean {
    return this.handingOver !== undefined || this.flushing !== undefined || this.timersDue || this.advancing;
  }

  override drain(deadline: number): boolean {
    if (this.advancing) {
      if (this.batch !== undefined && this.batch.advance(this.inputWatermark, this.emitPane, deadline)) return true;
      this.advancing = false;
    }
    if (this.handingOver !== undefined) {
      if (this.handOver(this.handingOver, deadline)) return true;
      this.handingOver = undefined;
    }
    this.reducerWatermark = this.inputWatermark;
    if (this.flushing !== undefined) {
      if (this.flushing.flushSome(this.emitPane, deadline)) return true;
      this.flushing = undefined;
    }
    if (this.timersDue) {
      let t: TimerEntry | undefined;
      for (let n = 1; (t = this.store.popDueEventTimer(this.inputWatermark)) !== undefined; n++) {
        this.fire(t);
        if ((n & 7) === 0 && Date.now() >= deadline) return true;
      }
      this.timersDue = false;
    }
    return false;
  }

  override holdWatermark(): Instant {
    // While work is pending the output watermark stays where it is: what it would emit is not out yet.
    if (this.hasPendingWork()) return -Infinity;
    const held = this.store.minHold();
    return this.batch === undefined ? held : Math.min(held, this.batch.minHold());
  }

  private readonly emitPane = (value: unknown, ts: Instant, window: BoundedWindow, pane: PaneInfo): void => {
    this.elementsOut++;
    this.main.process(value, ts, [window], pane);
  };
  private handingOver: Iterator<[EncodedKey, DeferredKey]> | undefined;
  private flushing: BatchGroupTable | undefined;
  private timersDue = false;
  /** A batch table has windows to emit for a finite input watermark (event-time progress). */
  private advancing = false;
  /** `elementsIn` when a finite watermark was last taken, and how many elements come before the next is. */
  private takenAt = 0;
  private readonly progressEvery: number;
  /** The input watermark as the reducer sees it: behind `inputWatermark` while deferred input is handed over. */
  private reducerWatermark: Instant = MIN_TIMESTAMP;

  override advanceProcessingTime(now: Instant): void {
    let t: TimerEntry | undefined;
    while ((t = this.store.popDueProcessingTimer(now)) !== undefined) this.fire(t);
  }

  /** At a full budget: gives each key's deferred input to the reducer in one call, then defers later input again. */
  private handOverDeferred(): void {
    const deferred = this.deferred!;
    this.deferred = new Map();
    this.deferredCount = 0;
    this.releaseDeferred();
    this.handOver(deferred.entries(), Infinity);
  }

  /*
   * Bounded memory (issue 13): a deferred grouping's input is estimated (a sample of the values, no encoding) and
   * reserved from the step's share of the job's budget in chunks; once the budget refuses, what is deferred is handed
   * over at the end of the bundle, as at `deferredBudget` elements (the same semantics: one larger bundle).
   */
  private deferredFull = false;
  private deferredEstimate = 0;
  private deferredReserved = 0;
  private deferredSeen = 0;
  private deferredAvgBytes = 64;

  private accountDeferred(value: unknown): void {
    if ((this.deferredSeen++ & 63) === 0) this.deferredAvgBytes = (this.deferredAvgBytes * 3 + estimateHeapBytes(value)) / 4;
    // The value, and its slots in the key's three arrays (value, timestamp, window list) with their growth.
    this.deferredEstimate += this.deferredAvgBytes + DEFERRED_ELEMENT_BYTES;
    const delta = this.deferredEstimate - this.deferredReserved;
    if (delta < DEFERRED_CHUNK || this.deferredFull) return;
    if (this.deferredMemory!.tryReserve(delta)) this.deferredReserved += delta;
    else this.deferredFull = true;
  }

  private releaseDeferred(): void {
    if (this.deferredReserved > 0) this.deferredMemory!.release(this.deferredReserved);
    this.deferredReserved = 0;
    this.deferredEstimate = 0;
    this.deferredFull = false;
  }

  /** Hands keys over until `deadline` (checked every few keys); true while keys remain. */
  private handOver(keys: Iterator<[EncodedKey, DeferredKey]>, deadline: number): boolean {
    for (let n = 1; ; n++) {
      const next = keys.next();
      if (next.done) return false;
      const [encoded, d] = next.value;
      const items = this.windowFn.isMerging ? this.mergedItems(d) : d.values.map((value, i) => ({ value, timestamp: d.timestamps[i]!, windows: d.windows[i]! }));
      const entry = this.store.get(encoded, d.key);
      this.ctx.bind(entry);
      try {
        this.reducer.processElements(this.ctx, items);
      } catch (e) {
        throw groupingError(this.name, { key: d.key }, e);
      }
      this.store.release(entry);
      if ((n & 7) === 0 && Date.now() >= deadline) return true;
    }
  }

  /** A key's elements with their windows replaced by the windows those merge into over the key's whole input. */
  private mergedItems(d: DeferredKey): WindowedInput<unknown>[] {
    const lists = finalWindowLists(this.windowFn, d.windows, this.name);
    return d.values.map((value, i) => ({ value, timestamp: d.timestamps[i]!, windows: lists[i]! }));
  }

  private fire(t: TimerEntry): void {
    this.ctx.bind(t.entry);
    this.reducer.onTimers(this.ctx, [t.data]);
    this.store.release(t.entry);
  }

  override nextProcessingTimer(): Instant | undefined {
    return this.store.nextProcessingTimer();
  }

  override pendingIo(): Promise<void> | undefined {
    return this.batch?.pendingIo() ?? this.store.pendingIo();
  }

  /**
   * Checkpoints (issue 14), taken at rest: each key's reducer state (panes in progress, trigger state, holds) and
   * timers, per key group, and a batch table's contents (BatchGroupTable.snapshot: per key group, with its spilled
   * runs), so checkpointed bounded runs keep the batch path; a deferred grouping's input not yet handed over.
   */
  override async snapshot(_checkpointId: number): Promise<unknown> {
    if (this.flushing !== undefined || this.advancing || this.handingOver !== undefined || this.pending.size > 0) {
      throw new RiffleError('ENGINE_INVARIANT', `step '${this.name}': a checkpoint reached a grouping that holds input outside its keyed state`, { domain: 'internal' });
    }
    const batch = this.batch !== undefined ? await this.batch.snapshot(this.store.assignKeyGroup) : undefined;
    const deferred = this.deferred !== undefined && this.deferred.size > 0 ? this.snapshotDeferred(this.deferred) : undefined;
    return {
      keyed: this.store.snapshot(this.name, KEYED_SNAPSHOT_CODERS),
      reducerWatermark: this.reducerWatermark,
      takenAt: this.takenAt,
      ...(batch !== undefined ? { batch } : {}),
      ...(deferred !== undefined ? { deferred } : {}),
    };
  }

  /**
   * The deferred input not yet handed to the reducer, per key group: per key, the key, its element count, and per
   * element its value, timestamp and windows (count, then each), through the deferred coders.
   */
  private snapshotDeferred(deferred: Map<EncodedKey, DeferredKey>): Array<[number, Uint8Array]> {
    const c = this.deferredCoders;
    if (c === undefined) throw new RiffleError('ENGINE_INVARIANT', `step '${this.name}': a checkpoint reached a deferred grouping built without checkpoint coders`, { domain: 'internal' });
    const writers = new Map<number, ByteWriter>();
    try {
      for (const [encoded, d] of deferred) {
        const g = this.store.assignKeyGroup(d.key, encoded);
        let w = writers.get(g);
        if (w === undefined) writers.set(g, (w = new ByteWriter(1024)));
        c.key.encode(d.key, w);
        w.varUint(d.values.length);
        for (let i = 0; i < d.values.length; i++) {
          c.value.encode(d.values[i], w);
          w.float64(d.timestamps[i]!);
          const ws = d.windows[i]!;
          w.varUint(ws.length);
          for (const x of ws) c.window.encode(x, w);
        }
      }
    } catch (e) {
      if (e instanceof RiffleError) throw e;
      throw new RiffleError('CHECKPOINT_NOT_ENCODABLE', `step '${this.name}': its grouped input cannot be checkpointed: ${(e as Error).message}`, {
        domain: 'user',
        context: { step: this.name },
        hint: 'give the collection a coder that encodes its keys and values (e.g. coders.kv(...) on the step before), or run without --checkpoint-dir',
      });
    }
    return [...writers].sort((a, b) => a[0] - b[0]).map(([g, w]) => [g, w.toBytes()]);
  }

  private restoreDeferred(groups: ReadonlyArray<readonly [number, Uint8Array]>): void {
    const c = this.deferredCoders;
    if (this.deferred === undefined || c === undefined) {
      throw new RiffleError('CHECKPOINT_MISMATCH', `step '${this.name}': the checkpoint holds deferred grouping input, but this run hands input to the reducer as it comes`, {
        domain: 'user',
        hint: 'resume with the options of the checkpointed run, or run without --resume',
      });
    }
    for (const [, bytes] of groups) {
      const r = new ByteReader(bytes);
      while (!r.done) {
        const key = c.key.decode(r);
        const n = r.varUint();
        const d: DeferredKey = { key, values: new Array(n), timestamps: new Array(n), windows: new Array(n) };
        for (let i = 0; i < n; i++) {
          d.values[i] = c.value.decode(r);
          d.timestamps[i] = r.float64();
          const ws: BoundedWindow[] = new Array(r.varUint());
          for (let j = 0; j < ws.length; j++) ws[j] = c.window.decode(r);
          d.windows[i] = ws;
        }
        this.deferred.set(encodeKey(key, this.name), d);
        this.deferredCount += n;
        if (this.deferredMemory !== undefined) for (const v of d.values) this.accountDeferred(v);
      }
    }
  }

  override async restore(snapshot: unknown): Promise<void> {
    const s = snapshot as { keyed: Array<[number, Uint8Array]>; reducerWatermark: Instant; takenAt?: number; batch?: TableSnapshot; deferred?: Array<[number, Uint8Array]> };
    this.store.restore(this.name, s.keyed, KEYED_SNAPSHOT_CODERS);
    if (s.deferred !== undefined) this.restoreDeferred(s.deferred);
    this.reducerWatermark = s.reducerWatermark;
    this.takenAt = s.takenAt ?? 0;
    if (s.batch !== undefined && this.batch !== undefined) this.batch.restore(s.batch);
    else if (s.batch !== undefined) {
      throw new RiffleError('CHECKPOINT_MISMATCH', `step '${this.name}': the checkpoint holds a batch grouping table, but this run groups on the streaming path`, {
        domain: 'user',
        hint: 'resume with the options of the checkpointed run, or run without --resume',
      });
    } else if (this.batch !== undefined) {
      // The checkpoint's grouping went through the reducer (its table was emitted already, or an earlier Riffle wrote
      // it): go on that way, from the restored keyed state.
      this.batch.close();
      this.batch = undefined;
    }
  }

  /** Removes what a spilling batch table wrote, if the run stopped before it was emitted. */
  override async close(): Promise<void> {
    this.batch?.close();
    this.flushing?.close();
  }

  /** Called by the reducer context for each pane. */
  emit(key: unknown, value: unknown, timestamp: Instant, window: BoundedWindow, pane: PaneInfo): void {
    this.elementsOut++;
    this.main.process(kv(key, value), timestamp, [window], pane);
  }

  dropped(count: number): void {
    this.droppedLate += count;
    this.onDropped(count);
  }

  /** Live keys (for tests and memory accounting). */
  get liveKeys(): number {
    return this.store.entries.size;
  }
}

/** One context object per operator, re-pointed at the current key: no allocation per key or element. */
class MutableReducerContext implements ReducerContext<unknown> {
  state!: StateInternals;
  timers!: TimerInternals;
  private key: unknown;
  constructor(private readonly op: GroupOp) {}
  bind(entry: KeyEntry): void {
    this.state = entry.state;
    this.timers = entry.timerInternals;
    this.key = entry.key;
  }
  output(value: unknown, timestamp: Instant, window: BoundedWindow, pane: PaneInfo): void {
    this.op.emit(this.key, value, timestamp, window, pane);
  }
  dropped(count: number): void {
    this.op.dropped(count);
  }
}
