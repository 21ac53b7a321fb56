import {
  ByteReader,
  ByteWriter,
  formatInstant,
  MAX_TIMESTAMP,
  MIN_TIMESTAMP,
  RiffleError,
  StepFailedError,
  type BoundedWindow,
  type DoFn,
  type Instant,
  type KV,
  type MetricsContext,
  type NodeInfo,
  type PaneInfo,
  type ParDoSpec,
  type WindowingStrategy,
} from '../../model/index.ts';
import { stateTags, type StateTag } from '../../semantics/index.ts';
import type { Clock } from './clock.ts';
import { encodeKey } from './key-encoding.ts';
import { decodeWindow, encodeWindow, KEYED_SNAPSHOT_CODERS, KeyedStore, type KeyedOptions, type KeyEntry, type TimerEntry } from './keyed-store.ts';
import { Operator, type Receiver } from './operator.ts';
import { handleElementError } from './step-errors.ts';
import type { ViewStore } from './view-op.ts';

const GC_FAMILY = '__gc';

interface Pushed {
  readonly value: unknown;
  readonly timestamp: Instant;
  readonly pane: PaneInfo;
}

/** Elements of one main-input window waiting for their side inputs: they all become ready together. */
interface WaitingWindow {
  readonly windows: readonly BoundedWindow[];
  readonly items: Pushed[];
  minTimestamp: Instant;
}

/**
 * Runs a DoFn: lifecycle, tagged outputs, error output, side inputs (elements wait, holding the watermark, until
 * their side-input windows are ready), and for keyed inputs per key-and-window state and timers with
 * window-expiration garbage collection.
 */
export class ParDoOp extends Operator {
  private readonly doFn: DoFn<any, any, any, any, any, any>;
  private errorOut: Receiver | undefined;
  private tagged = new Map<string, Receiver>();
  private readonly ctx: DoFnContext;
  private readonly sides: Array<{ name: string; store: ViewStore }>;
  private waiting = new Map<string, WaitingWindow>();
  private waitingMin = Infinity;
  private sideVersion = -1;
  private readonly store: KeyedStore | undefined;
  private readonly stateTagsByName = new Map<string, StateTag<unknown>>();
  private readonly lateness: number;
  // The element being processed (or the timer firing).
  curTimestamp: Instant = MIN_TIMESTAMP;
  curWindows: readonly BoundedWindow[] = [];
  curPane!: PaneInfo;
  curEntry: KeyEntry | undefined;

  constructor(
    node: NodeInfo,
    readonly spec: ParDoSpec,
    views: ReadonlyMap<string, ViewStore>,
    windowing: WindowingStrategy,
    clock: Clock,
    metrics: MetricsContext,
    keyed: KeyedOptions = {},
  ) {
    super(node);
    this.doFn = spec.doFn;
    this.lateness = windowing.allowedLateness;
    this.sides = Object.entries(spec.sideInputs).map(([name, id]) => {
      const store = views.get(id);
      if (!store) throw new RiffleError('PIPELINE_INVALID', `step '${node.name}' reads side input '${name}', which was not materialized`);
      return { name, store };
    });
    if (spec.stateful) {
      this.store = new KeyedStore(clock, { input: () => this.inputWatermark, output: () => this.outputWatermark }, true, keyed);
      for (const [name, s] of Object.entries(this.doFn.state ?? {})) {
        const tag =
          s.kind === 'combining'
            ? stateTags.combining(name, s.combineFn)
            : s.kind === 'value'
              ? stateTags.value(name)
              : s.kind === 'bag'
                ? stateTags.bag(name)
                : s.kind === 'map'
                  ? stateTags.map(name)
                  : s.kind === 'set'
                    ? stateTags.set(name)
                    : stateTags.orderedList(name);
        this.stateTagsByName.set(name, tag as StateTag<unknown>);
      }
    }
    this.ctx = new DoFnContext(this, metrics, clock);
  }

  override wire(outputs: Map<string, Receiver>): void {
    super.wire(outputs);
    this.errorOut = this.spec.errorTag ? outputs.get(this.spec.errorTag) : undefined;
    this.tagged = outputs;
  }

  override async open(): Promise<void> {
    await this.doFn.setup?.();
  }
  override async close(): Promise<void> {
    await this.doFn.teardown?.();
  }

  override startBundle(): void {
    this.doFn.startBundle?.();
  }

  override finishBundle(): void {
    this.inBundle = false;
    if (this.doFn.finishBundle) {
      try {
        this.doFn.finishBundle(this.ctx.finishContext);
      } catch (e) {
        throw e instanceof RiffleError ? e : new StepFailedError(`${this.name} (finishBundle)`, null, e);
      }
    }
  }

  process(value: unknown, timestamp: Instant, windows: readonly BoundedWindow[], pane: PaneInfo): void {
    this.elementsIn++;
    if (!this.inBundle) this.enterBundle();
    if (windows.length === 1) this.processInWindow(value, timestamp, windows, pane);
    else for (let i = 0; i < windows.length; i++) this.processInWindow(value, timestamp, [windows[i]!], pane);
  }

  /**
   * `released`: the element waited for side inputs (pushed back) and is processed now. Lateness is judged when an
   * element arrives: one that was on time then stays on time while it waits (the input watermark may pass its window
   * meanwhile, e.g. the main input ends before a slow side input is ready).
   */
  private processInWindow(value: unknown, timestamp: Instant, windows: readonly BoundedWindow[], pane: PaneInfo, released = false): void {
    if (this.store !== undefined && !released && windows[0]!.maxTimestamp + this.lateness < this.inputWatermark) {
      this.droppedLate++;
      return;
    }
    if (this.sides.length > 0 && !released) {
      const w = windows[0]!;
      const group = this.waiting.get(w.key);
      if (group !== undefined || !this.sidesReady(w)) {
        this.pushBack(group, windows, value, timestamp, pane);
        return;
      }
    }
    if (this.store !== undefined) {
      const w = windows[0]!;
      const key = (value as KV<unknown, unknown>).key;
      const entry = this.store.get(encodeKey(key, this.name), key);
      this.curEntry = entry;
      this.ensureGcTimer(entry, w);
    }
    this.curTimestamp = timestamp;
    this.curWindows = windows;
    this.curPane = pane;
    try {
      this.doFn.process(value, this.ctx);
    } catch (e) {
      handleElementError(this, this.errorOut, value, e, timestamp, windows, pane);
    }
  }

  private sidesReady(mainWindow: BoundedWindow): boolean {
    for (const s of this.sides) if (!s.store.isReady(s.store.sideWindow(mainWindow))) return false;
    return true;
  }

  private pushBack(group: WaitingWindow | undefined, windows: readonly BoundedWindow[], value: unknown, timestamp: Instant, pane: PaneInfo): void {
    if (group === undefined) {
      group = { windows, items: [], minTimestamp: Infinity };
      this.waiting.set(windows[0]!.key, group);
    }
    group.items.push({ value, timestamp, pane });
    if (timestamp < group.minTimestamp) group.minTimestamp = timestamp;
    if (timestamp < this.waitingMin) this.waitingMin = timestamp;
  }

  /**
   * Releases the waiting windows whose side inputs became ready. Readiness is decided per main-input window (not per
   * element), and only when a side input changed since the last look, so waiting costs nothing per watermark step.
   */
  override onSideInputProgress(): void {
    if (this.waiting.size === 0) return;
    let version = 0;
    for (const s of this.sides) version += s.store.version;
    if (version === this.sideVersion) return;
    this.sideVersion = version;
    let min = Infinity;
    for (const [key, group] of this.waiting) {
      if (!this.sidesReady(group.windows[0]!)) {
        if (group.minTimestamp < min) min = group.minTimestamp;
        continue;
      }
      this.waiting.delete(key);
      if (!this.inBundle) this.enterBundle();
      for (const p of group.items) this.processInWindow(p.value, p.timestamp, group.windows, p.pane, true);
    }
    this.waitingMin = min;
  }

  override holdWatermark(): Instant {
    if (this.timersDue) return -Infinity;
    const held = this.store ? this.store.minHold() : Infinity;
    return Math.min(held, this.waitingMin);
  }

  readSide(name: string): unknown {
    for (const s of this.sides) if (s.name === name) return s.store.read(s.store.sideWindow(this.curWindows[0]!));
    throw new RiffleError('PIPELINE_INVALID', `step '${this.name}' has no side input named '${name}'`, {
      hint: `declare it in parDo({ sideInputs: { ${name}: ... } })`,
    });
  }

  // ---- outputs

  emitMain(value: unknown, timestamp: Instant): void {
    this.elementsOut++;
    this.main.process(value, timestamp, this.curWindows, this.curPane);
  }

  emitTagged(tag: string, value: unknown, timestamp: Instant): void {
    const r = this.tagged.get(tag);
    if (r === undefined || tag === 'main' || tag === this.spec.errorTag) {
      throw new RiffleError('UNKNOWN_OUTPUT_TAG', `step '${this.name}' output to undeclared tag '${tag}'`, {
        hint: `declare it: parDo({ outputs: { ${tag}: tag<T>() }, ... })`,
      });
    }
    r.process(value, timestamp, this.curWindows, this.curPane);
  }

  checkSkew(timestamp: Instant): void {
    if (typeof timestamp !== 'number' || Number.isNaN(timestamp)) throw new RangeError(`outputWithTimestamp: invalid timestamp ${String(timestamp)}`);
    if (this.curTimestamp !== MIN_TIMESTAMP && timestamp < this.curTimestamp - this.spec.allowedSkew) {
      throw new RangeError(
        `cannot output with timestamp ${formatInstant(timestamp)}: it is before the input's timestamp ${formatInstant(this.curTimestamp)} by more than the allowed skew (${this.spec.allowedSkew} ms); set allowedTimestampSkew on the DoFn if this is intended`,
      );
    }
  }

  // ---- state and timers

  stateCell(name: string): unknown {
    const tag = this.stateTagsByName.get(name);
    if (tag === undefined || this.curEntry === undefined) throw new RiffleError('PIPELINE_INVALID', `step '${this.name}' has no state named '${name}'`);
    return this.curEntry.state.state(this.curWindows[0]!.key, tag);
  }

  setTimer(family: string, id: string, domain: 'event' | 'processing', timestamp: Instant, outputTimestamp: Instant | undefined): void {
    const entry = this.curEntry;
    if (entry === undefined || this.store === undefined) throw new RiffleError('PIPELINE_INVALID', `timers need a keyed input (step '${this.name}')`);
    const w = this.curWindows[0]!;
    if (domain === 'event' && timestamp > w.maxTimestamp + this.lateness) {
      throw new RangeError(`timer '${family}' set for ${formatInstant(timestamp)}, after its window ${String(w)} expires; event-time timers must fire before window.maxTimestamp + allowedLateness`);
    }
    const out = outputTimestamp ?? (domain === 'event' ? timestamp : this.curTimestamp);
    this.store.setTimer(entry, { namespace: w.key, window: w, id, family, timestamp, outputTimestamp: out, domain });
  }

  clearTimer(family: string, id: string, domain: 'event' | 'processing'): void {
    if (this.curEntry && this.store) this.store.deleteTimer(this.curEntry, this.curWindows[0]!.key, id, family, domain);
  }

  private ensureGcTimer(entry: KeyEntry, w: BoundedWindow): void {
    if (this.store!.hasTimer(entry, w.key, 'gc', GC_FAMILY, 'event')) return;
    // 1 ms after the window expires, as Beam's stateful runner sets its clean-up timer (GC_DELAY_MS): a user timer
    // set for the expiry itself (window.maxTimestamp with no lateness) fires first, instead of being cleared with the
    // window's state by a clean-up timer of the same time set before it.
    const at = Math.min(w.maxTimestamp + this.lateness + 1, MAX_TIMESTAMP - 1);
    this.store!.setTimer(entry, { namespace: w.key, window: w, id: 'gc', family: GC_FAMILY, timestamp: at, outputTimestamp: MAX_TIMESTAMP, domain: 'event' });
  }

  /**
   * Checkpoints (issue 14), taken at rest: keyed state and timers per key group (stateful DoFns), and the elements
   * waiting for their side inputs (windows, timestamps, panes; values through the structured coder).
   */
  override async snapshot(_checkpointId: number): Promise<unknown> {
    let waiting: Uint8Array | undefined;
    if (this.waiting.size > 0) {
      const w = new ByteWriter(256);
      const values = KEYED_SNAPSHOT_CODERS.key;
      w.varUint(this.waiting.size);
      for (const group of this.waiting.values()) {
        w.varUint(group.windows.length);
        for (const win of group.windows) encodeWindow(win, w, this.name);
        w.varUint(group.items.length);
        for (const p of group.items) {
          w.float64(p.timestamp);
          values.encode(p.pane, w);
          values.encode(p.value, w);
        }
      }
      waiting = w.toBytes();
    }
    return { keyed: this.store?.snapshot(this.name, KEYED_SNAPSHOT_CODERS), waiting };
  }

  override async restore(snapshot: unknown): Promise<void> {
    const s = snapshot as { keyed?: Array<[number, Uint8Array]>; waiting?: Uint8Array };
    if (s.keyed !== undefined && this.store !== undefined) this.store.restore(this.name, s.keyed, KEYED_SNAPSHOT_CODERS);
    if (s.waiting !== undefined) {
      const r = new ByteReader(s.waiting);
      const values = KEYED_SNAPSHOT_CODERS.key;
      for (let g = r.count('windows'); g > 0; g--) {
        const windows: BoundedWindow[] = [];
        for (let n = r.count('window'); n > 0; n--) windows.push(decodeWindow(r));
        for (let n = r.count('elements'); n > 0; n--) {
          const timestamp = r.float64();
          const pane = values.decode(r) as PaneInfo;
          this.pushBack(this.waiting.get(windows[0]!.key), windows, values.decode(r), timestamp, pane);
        }
      }
    }
  }

  /** Due event-time timers fire in `drain`, in slices (see Operator.hasPendingWork). */
  override pendingIo(): Promise<void> | undefined {
    return this.store?.pendingIo();
  }

  override onWatermark(watermark: Instant): void {
    this.inputWatermark = watermark;
    if (this.store) this.timersDue = true;
  }

  private timersDue = false;

  override hasPendingWork(): boolean {
    return this.timersDue;
  }

  override drain(deadline: number): boolean {
    if (!this.timersDue) return false;
    let t: TimerEntry | undefined;
    for (let n = 1; (t = this.store!.popDueEventTimer(this.inputWatermark)) !== undefined; n++) {
      this.fire(t);
      if ((n & 7) === 0 && Date.now() >= deadline) return true;
    }
    this.timersDue = false;
    return false;
  }

  override advanceProcessingTime(now: Instant): void {
    if (!this.store) return;
    let t: TimerEntry | undefined;
    while ((t = this.store.popDueProcessingTimer(now)) !== undefined) this.fire(t);
  }

  override nextProcessingTimer(): Instant | undefined {
    return this.store?.nextProcessingTimer();
  }

  private fire(t: TimerEntry): void {
    if (!this.inBundle) this.enterBundle();
    const { data, entry } = t;
    this.curEntry = entry;
    this.curWindows = [data.window];
    this.curPane = { isFirst: true, isLast: true, timing: 'UNKNOWN', index: 0, nonSpeculativeIndex: 0 };
    this.curTimestamp = data.outputTimestamp === MAX_TIMESTAMP ? data.window.maxTimestamp : data.outputTimestamp;
    const tc = this.ctx.timerContext;
    // The clean-up timer reports the window's expiry, when it would have fired without the 1 ms delay.
    tc.fireTimestamp = data.family === GC_FAMILY ? Math.min(data.window.maxTimestamp + this.lateness, MAX_TIMESTAMP - 1) : data.timestamp;
    tc.domain = data.domain;
    tc.timerId = data.id;
    try {
      if (data.family === GC_FAMILY) {
        this.doFn.onWindowExpiration?.(tc);
        entry.state.clearNamespace(data.window.key);
        for (const other of [...entry.timersIn(data.window.key)]) {
          this.store!.deleteTimer(entry, other.data.namespace, other.data.id, other.data.family, other.data.domain);
        }
      } else {
        const cb = this.doFn.onTimer?.[data.family];
        if (!cb) throw new RiffleError('PIPELINE_INVALID', `step '${this.name}': timer '${data.family}' fired but the DoFn has no onTimer.${data.family}`);
        cb(tc);
      }
    } catch (e) {
      if (e instanceof RiffleError) throw e;
      throw new StepFailedError(`${this.name} (timer ${data.family})`, entry.key, e);
    }
    this.store!.release(entry);
  }
}

/** The context object a DoFn sees; one per operator, its fields re-pointed per element. */
class DoFnContext {
  readonly side: Record<string, unknown> = {};
  readonly state: Record<string, unknown> = {};
  readonly timers: Record<string, unknown> = {};
  readonly finishContext;
  readonly timerContext;
  constructor(
    private readonly op: ParDoOp,
    readonly metrics: MetricsContext,
    private readonly clock: Clock,
  ) {
    const spec = op.spec;
    for (const name of Object.keys(spec.sideInputs)) Object.defineProperty(this.side, name, { get: () => op.readSide(name), enumerable: true });
    for (const name of Object.keys(spec.doFn.state ?? {})) Object.defineProperty(this.state, name, { get: () => op.stateCell(name), enumerable: true });
    for (const [name, t] of Object.entries(spec.doFn.timers ?? {})) {
      const timer = t.family
        ? {
            set: (id: string, ts: Instant, o?: { outputTimestamp?: Instant }) => op.setTimer(name, id, t.domain, ts, o?.outputTimestamp),
            clear: (id: string) => op.clearTimer(name, id, t.domain),
          }
        : {
            set: (ts: Instant, o?: { outputTimestamp?: Instant }) => op.setTimer(name, name, t.domain, ts, o?.outputTimestamp),
            offset: (delay: number, o?: { outputTimestamp?: Instant }) =>
              op.setTimer(name, name, t.domain, (t.domain === 'event' ? op.curTimestamp : this.clock.now()) + delay, o?.outputTimestamp),
            clear: () => op.clearTimer(name, name, t.domain),
          };
      this.timers[name] = timer;
    }
    this.finishContext = {
      metrics,
      output(value: unknown, timestamp: Instant, window: BoundedWindow) {
        op.curWindows = [window];
        op.curPane = { isFirst: true, isLast: true, timing: 'UNKNOWN', index: 0, nonSpeculativeIndex: 0 };
        op.emitMain(value, timestamp);
      },
    };
    this.timerContext = {
      fireTimestamp: 0 as Instant,
      domain: 'event' as 'event' | 'processing',
      timerId: '',
      get key() {
        return op.curEntry?.key;
      },
      get window() {
        return op.curWindows[0]!;
      },
      get timestamp() {
        return op.curTimestamp;
      },
      state: this.state,
      timers: this.timers,
      metrics,
      output: (v: unknown) => this.output(v),
      outputWithTimestamp: (v: unknown, ts: Instant) => op.emitMain(v, ts),
      outputTo: (tag: string, v: unknown) => op.emitTagged(tag, v, op.curTimestamp),
    };
  }

  get timestamp(): Instant {
    return this.op.curTimestamp;
  }
  get window(): BoundedWindow {
    return this.op.curWindows[0]!;
  }
  get pane(): PaneInfo {
    return this.op.curPane;
  }
  get key(): unknown {
    return this.op.curEntry?.key;
  }
  output(value: unknown): void {
    this.op.emitMain(value, this.op.curTimestamp);
  }
  outputWithTimestamp(value: unknown, timestamp: Instant): void {
    this.op.checkSkew(timestamp);
    this.op.emitMain(value, timestamp);
  }
  outputTo(tag: string, value: unknown): void {
    this.op.emitTagged(tag, value, this.op.curTimestamp);
  }
}
