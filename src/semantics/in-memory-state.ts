import type { Instant } from '../model/index.ts';
import type {
  BagState,
  CombiningState,
  MapState,
  OrderedListState,
  SetState,
  StateCombineFn,
  StateInternals,
  StateTag,
  ValueState,
  WatermarkHoldState,
} from './state.ts';

/**
 * Called when a watermark hold changes (undefined = no hold), so an engine can track the minimum hold across keys.
 * `cell` identifies the hold for as long as it holds anything (an engine can key its bookkeeping by it instead of
 * building a string from namespace and tag on every change).
 */
export type HoldListener = (namespace: string, tagId: string, previous: Instant | undefined, next: Instant | undefined, cell: object) => void;

export interface InMemoryStateOptions {
  onHoldChanged?: HoldListener;
}

/**
 * Every cell can say whether it stores anything (a cleared cell does not count towards `isEmpty()`), and remembers
 * the tag it was made for (a snapshot encodes it through the tag's coders).
 */
interface Cell {
  readonly kind: StateTag<unknown>['kind'];
  readonly tag: StateTag<unknown>;
  hasData(): boolean;
  clear(): void;
}

class ValueCell<T> implements ValueState<T>, Cell {
  readonly kind = 'value';
  constructor(readonly tag: StateTag<unknown>) {}
  private value: T | undefined;
  read(): T | undefined {
    return this.value;
  }
  write(value: T): void {
    this.value = value;
  }
  clear(): void {
    this.value = undefined;
  }
  hasData(): boolean {
    return this.value !== undefined;
  }
}

class BagCell<T> implements BagState<T>, Cell {
  readonly kind = 'bag';
  constructor(readonly tag: StateTag<unknown>) {}
  private items: T[] = [];
  add(value: T): void {
    this.items.push(value);
  }
  read(): readonly T[] {
    return this.items;
  }
  isEmpty(): boolean {
    return this.items.length === 0;
  }
  clear(): void {
    // A fresh array: a reader holding the old one keeps what it read.
    if (this.items.length > 0) this.items = [];
  }
  hasData(): boolean {
    return this.items.length > 0;
  }
}

class CombiningCell<I, A, O> implements CombiningState<I, A, O>, Cell {
  readonly kind = 'combining';
  private acc: A | undefined;
  private present = false;
  constructor(
    readonly tag: StateTag<unknown>,
    private readonly fn: StateCombineFn<I, A, O>,
  ) {}
  add(input: I): void {
    this.acc = this.fn.addInput(this.present ? (this.acc as A) : this.fn.createAccumulator(), input);
    this.present = true;
  }
  addAccumulator(acc: A): void {
    this.acc = this.present ? this.fn.mergeAccumulators([this.acc as A, acc]) : acc;
    this.present = true;
  }
  readAccumulator(): A {
    return this.present ? (this.acc as A) : this.fn.createAccumulator();
  }
  read(): O {
    return this.fn.extractOutput(this.readAccumulator());
  }
  isEmpty(): boolean {
    return !this.present;
  }
  clear(): void {
    this.acc = undefined;
    this.present = false;
  }
  hasData(): boolean {
    return this.present;
  }
}

class MapCell<K, V> implements MapState<K, V>, Cell {
  readonly kind = 'map';
  constructor(readonly tag: StateTag<unknown>) {}
  private readonly map = new Map<K, V>();
  get(key: K): V | undefined {
    return this.map.get(key);
  }
  set(key: K, value: V): void {
    this.map.set(key, value);
  }
  delete(key: K): void {
    this.map.delete(key);
  }
  has(key: K): boolean {
    return this.map.has(key);
  }
  entries(): Iterable<[K, V]> {
    return [...this.map.entries()];
  }
  keys(): Iterable<K> {
    return [...this.map.keys()];
  }
  isEmpty(): boolean {
    return this.map.size === 0;
  }
  clear(): void {
    this.map.clear();
  }
  hasData(): boolean {
    return this.map.size > 0;
  }
}

class SetCell<T> implements SetState<T>, Cell {
  readonly kind = 'set';
  constructor(readonly tag: StateTag<unknown>) {}
  private readonly set = new Set<T>();
  add(value: T): boolean {
    if (this.set.has(value)) return false;
    this.set.add(value);
    return true;
  }
  has(value: T): boolean {
    return this.set.has(value);
  }
  delete(value: T): void {
    this.set.delete(value);
  }
  values(): Iterable<T> {
    return [...this.set];
  }
  isEmpty(): boolean {
    return this.set.size === 0;
  }
  clear(): void {
    this.set.clear();
  }
  hasData(): boolean {
    return this.set.size > 0;
  }
}

class OrderedListCell<T> implements OrderedListState<T>, Cell {
  readonly kind = 'orderedList';
  constructor(readonly tag: StateTag<unknown>) {}
  private items: Array<{ timestamp: Instant; value: T }> = [];
  /** The first index whose timestamp is >= t (or > t when `after`). */
  private search(t: Instant, after: boolean): number {
    let lo = 0;
    let hi = this.items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const ts = this.items[mid]!.timestamp;
      if (ts < t || (after && ts === t)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
  add(timestamp: Instant, value: T): void {
    // After equal timestamps: values with one timestamp keep their insertion order.
    this.items.splice(this.search(timestamp, true), 0, { timestamp, value });
  }
  read(from = -Infinity, to = Infinity): Array<{ timestamp: Instant; value: T }> {
    return this.items.slice(this.search(from, false), this.search(to, false));
  }
  clearRange(from: Instant, to: Instant): void {
    const a = this.search(from, false);
    const b = this.search(to, false);
    if (b > a) this.items.splice(a, b - a);
  }
  isEmpty(): boolean {
    return this.items.length === 0;
  }
  clear(): void {
    this.items = [];
  }
  hasData(): boolean {
    return this.items.length > 0;
  }
}

class HoldCell implements WatermarkHoldState, Cell {
  readonly kind = 'watermarkHold';
  private hold: Instant | undefined;
  constructor(
    readonly tag: StateTag<unknown>,
    private readonly namespace: string,
    private readonly tagId: string,
    private readonly latest: boolean,
    private readonly listener: HoldListener | undefined,
  ) {}
  add(t: Instant): void {
    const prev = this.hold;
    const next = prev === undefined ? t : this.latest ? Math.max(prev, t) : Math.min(prev, t);
    if (next === prev) return;
    this.hold = next;
    this.listener?.(this.namespace, this.tagId, prev, next, this);
  }
  read(): Instant | undefined {
    return this.hold;
  }
  clear(): void {
    const prev = this.hold;
    if (prev === undefined) return;
    this.hold = undefined;
    this.listener?.(this.namespace, this.tagId, prev, undefined, this);
  }
  hasData(): boolean {
    return this.hold !== undefined;
  }
}

/**
 * The reference state backend: the state of ONE key, in memory. Cells are created on first access and dropped when
 * their namespace is cleared; a cell that was cleared holds nothing and does not count towards `isEmpty()`.
 *
 * @example
 *   const state = new InMemoryStateInternals();
 *   state.state('0:10', stateTags.bag<number>('buffer')).add(1);
 *   state.clearNamespace('0:10'); state.isEmpty() === true
 */
export class InMemoryStateInternals implements StateInternals {
  private readonly namespaces = new Map<string, Map<string, Cell>>();
  private readonly onHoldChanged: HoldListener | undefined;

  constructor(opts: InMemoryStateOptions = {}) {
    this.onHoldChanged = opts.onHoldChanged;
  }

  // The reducer touches several cells of one window in a row: remember the last namespace's cells.
  private lastNamespace: string | undefined;
  private lastCells: Map<string, Cell> | undefined;

  state<S>(namespace: string, tag: StateTag<S>): S {
    let cells = namespace === this.lastNamespace ? this.lastCells : this.namespaces.get(namespace);
    if (cells === undefined) {
      cells = new Map();
      this.namespaces.set(namespace, cells);
    }
    this.lastNamespace = namespace;
    this.lastCells = cells;
    const cell = cells.get(tag.id);
    if (cell !== undefined) {
      if (cell.kind !== tag.kind) {
        throw new TypeError(`state '${tag.id}' in namespace '${namespace}' is ${cell.kind} state but was accessed as ${tag.kind}; give each tag its own id`);
      }
      return cell as S;
    }
    const created = this.create(namespace, tag);
    cells.set(tag.id, created);
    return created as S;
  }

  private create(namespace: string, tag: StateTag<unknown>): Cell {
    switch (tag.kind) {
      case 'value':
        return new ValueCell(tag);
      case 'bag':
        return new BagCell(tag);
      case 'combining':
        return new CombiningCell(tag, tag.combineFn);
      case 'map':
        return new MapCell(tag);
      case 'set':
        return new SetCell(tag);
      case 'orderedList':
        return new OrderedListCell(tag);
      case 'watermarkHold':
        return new HoldCell(tag, namespace, tag.id, tag.combine === 'latest', this.onHoldChanged);
    }
  }

  clearNamespace(namespace: string): void {
    const cells = this.namespaces.get(namespace);
    if (cells === undefined) return;
    // Clear holds first so that listeners see them released.
    for (const cell of cells.values()) if (cell.kind === 'watermarkHold') cell.clear();
    this.namespaces.delete(namespace);
    if (namespace === this.lastNamespace) this.lastNamespace = this.lastCells = undefined;
  }

  isEmpty(): boolean {
    for (const cells of this.namespaces.values()) for (const cell of cells.values()) if (cell.hasData()) return false;
    return true;
  }

  /** What is stored, for messages and tests: namespace → tag ids of the cells holding data. */
  describe(): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const [ns, cells] of this.namespaces) {
      const ids = [...cells].filter(([, c]) => c.hasData()).map(([id]) => id);
      if (ids.length > 0) out[ns] = ids;
    }
    return out;
  }

  /** The namespaces holding data. */
  namespacesWithData(): string[] {
    return Object.keys(this.describe());
  }

  /**
   * The cells holding data, namespace by namespace, each with the tag it was made for and its state (the interface
   * `state()` returned): what a snapshot encodes.
   */
  forEachCellWithData(each: (namespace: string, tag: StateTag<unknown>, state: unknown) => void): void {
    // Map#forEach: no iterator objects (a snapshot walks every key's cells).
    this.namespaces.forEach((cells, namespace) => {
      cells.forEach((cell) => {
        if (cell.hasData()) each(namespace, cell.tag, cell);
      });
    });
  }
}
