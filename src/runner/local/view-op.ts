import { ByteReader, ByteWriter, RiffleError, type BoundedWindow, type Instant, type KV, type NodeInfo, type PaneInfo, type ViewInfo, type WindowingStrategy } from '../../model/index.ts';
import { KEYED_SNAPSHOT_CODERS } from './keyed-store.ts';
import { Operator } from './operator.ts';

/**
 * The materialized contents of a side input, per side-input window. A window is ready once the side input's
 * watermark has passed it, or, for triggered side inputs (a non-default trigger), once it has data. Values are
 * built per window on first read and cached until more data arrives.
 */
export class ViewStore {
  private readonly data = new Map<string, unknown[]>();
  private readonly cache = new Map<string, unknown>();
  private wm: Instant = -Infinity;
  /** Bumped whenever data arrives or the watermark moves: readers re-check readiness only when it changes. */
  version = 0;
  private readonly triggered: boolean;

  constructor(
    readonly info: ViewInfo,
    readonly windowing: WindowingStrategy,
  ) {
    this.triggered = windowing.trigger.kind !== 'default';
  }

  get watermark(): Instant {
    return this.wm;
  }
  set watermark(t: Instant) {
    if (t !== this.wm) this.version++;
    this.wm = t;
  }

  add(value: unknown, windows: readonly BoundedWindow[]): void {
    this.version++;
    for (const w of windows) {
      let list = this.data.get(w.key);
      if (!list) this.data.set(w.key, (list = []));
      list.push(value);
      this.cache.delete(w.key);
    }
  }

  /** The store's contents for a checkpoint (issue 14): its watermark and each window's values, as plain data. */
  snapshot(): { watermark: Instant; data: Array<[string, unknown[]]> } {
    return { watermark: this.wm, data: [...this.data] };
  }

  restore(s: { watermark: Instant; data: Array<[string, unknown[]]> }): void {
    this.data.clear();
    this.cache.clear();
    for (const [key, values] of s.data) this.data.set(key, values);
    this.watermark = s.watermark;
    this.version++;
  }

  /** The side-input window a main-input window reads. */
  sideWindow(mainWindow: BoundedWindow): BoundedWindow {
    return this.windowing.windowFn.getSideInputWindow(mainWindow);
  }

  isReady(sideWindow: BoundedWindow): boolean {
    return this.wm > sideWindow.maxTimestamp || (this.triggered && this.data.has(sideWindow.key));
  }

  read(sideWindow: BoundedWindow): unknown {
    const key = sideWindow.key;
    if (this.cache.has(key)) return this.cache.get(key);
    const values = this.data.get(key) ?? [];
    const v = this.build(values, sideWindow);
    this.cache.set(key, v);
    return v;
  }

  private build(values: unknown[], window: BoundedWindow): unknown {
    const info = this.info;
    switch (info.kind) {
      case 'iterable':
        return Object.freeze(values.slice());
      case 'singleton':
        if (values.length === 1) return values[0];
        if (values.length === 0) {
          if (info.hasDefault) return info.defaultValue;
          throw new RiffleError('SIDE_INPUT_EMPTY', `side input '${info.name}' is empty in window ${String(window)} and has no default`, {
            hint: 'give view.asSingleton({ default }) a default value, or make sure the side input has exactly one element per window',
          });
        }
        throw new RiffleError('SIDE_INPUT_NOT_SINGLETON', `side input '${info.name}' has ${values.length} elements in window ${String(window)}; a singleton view needs exactly one`, {
          hint: 'combine the side input to one value first (combine.globally), or use view.asIterable()',
        });
      case 'map': {
        const m = new Map<unknown, unknown>();
        for (const e of values as KV<unknown, unknown>[]) {
          if (m.has(e.key) && m.get(e.key) !== e.value) {
            throw new RiffleError('SIDE_INPUT_DUPLICATE_KEY', `side input '${info.name}' has key ${JSON.stringify(e.key)} twice in window ${String(window)}`, {
              hint: 'use view.asMultimap() for several values per key',
            });
          }
          m.set(e.key, e.value);
        }
        return m;
      }
      case 'multimap': {
        const m = new Map<unknown, unknown[]>();
        for (const e of values as KV<unknown, unknown>[]) {
          let list = m.get(e.key);
          if (!list) m.set(e.key, (list = []));
          list.push(e.value);
        }
        return m;
      }
    }
  }
}

/** Feeds a ViewStore; its watermark is the store's. */
export class ViewOp extends Operator {
  constructor(
    node: NodeInfo,
    readonly store: ViewStore,
  ) {
    super(node);
  }
  process(value: unknown, _ts: Instant, windows: readonly BoundedWindow[], _pane: PaneInfo): void {
    this.elementsIn++;
    this.store.add(value, windows);
  }
  override onWatermark(watermark: Instant): void {
    this.inputWatermark = watermark;
    this.store.watermark = watermark;
  }
  /** The side input's values (through the structured coder, which refuses what it would change) and watermark. */
  override async snapshot(_checkpointId: number): Promise<unknown> {
    const s = this.store.snapshot();
    const w = new ByteWriter(256);
    KEYED_SNAPSHOT_CODERS.key.encode(s.data, w);
    return { watermark: s.watermark, data: w.toBytes() };
  }
  override async restore(snapshot: unknown): Promise<void> {
    const s = snapshot as { watermark: Instant; data: Uint8Array };
    this.store.restore({ watermark: s.watermark, data: KEYED_SNAPSHOT_CODERS.key.decode(new ByteReader(s.data)) as Array<[string, unknown[]]> });
  }
}
