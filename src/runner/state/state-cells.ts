/**
 * The cells of a state backend: one class per kind of state (the semantics of semantics/in-memory-state.ts), each
 * able to estimate its heap size, encode itself through its tag's coders and be decoded back. Cells report size
 * changes to the backend's accountant as they change, so the backend knows its bytes in memory without walking them.
 */
import type { ByteReader, ByteWriter, Instant } from '../../model/index.ts';
import type { BagState, CombiningState, MapState, OrderedListState, SetState, StateCombineFn, ValueState, WatermarkHoldState } from '../../semantics/index.ts';
import { decodeCellContents, encodeCellContents, NO_CODERS, type CellKind, type ResolvedCoders } from './cell-coding.ts';

// The coding of cells lives in cell-coding.ts; what importers of this file used is re-exported.
export { decodeCellContents, encodeCellContents, KIND_CODE, KIND_OF_CODE, resolvedCoders, type CellKind, type ResolvedCoders } from './cell-coding.ts';

/** Where cells report their size changes. */
export interface Accountant {
  adjust(delta: number): void;
}

/** Estimated heap bytes of a value (shallow below two levels; cheap enough to call per element). */
export function estimateSize(v: unknown, depth = 0): number {
  switch (typeof v) {
    case 'number':
      return 8;
    case 'boolean':
    case 'undefined':
      return 4;
    case 'string':
      return 16 + v.length;
    case 'bigint':
      return 24;
    case 'object': {
      if (v === null) return 4;
      if (ArrayBuffer.isView(v)) return 64 + v.byteLength;
      if (depth >= 2) return 48;
      if (Array.isArray(v)) {
        const n = 16 + 8 * v.length;
        const sample = Math.min(v.length, 8);
        let s = 0;
        for (let i = 0; i < sample; i++) s += estimateSize(v[i], depth + 1);
        return n + (sample > 0 ? (s / sample) * v.length : 0);
      }
      if (v instanceof Map || v instanceof Set) return 64 + 48 * v.size;
      let n = 24;
      for (const k in v) n += 16 + estimateSize((v as Record<string, unknown>)[k], depth + 1);
      return n;
    }
    default:
      return 16;
  }
}

/** A cell: kind, whether it stores anything, its size, and its encoding. */
export interface Cell {
  readonly kind: CellKind;
  /** Estimated heap bytes. */
  size: number;
  hasData(): boolean;
  clear(): void;
  encode(w: ByteWriter, coders: ResolvedCoders): void;
}

/** A cell object and its entry in the namespace's map (measured as KEY_STATE_BYTES is). */
const CELL = 112;

abstract class BaseCell {
  size = CELL;
  constructor(protected readonly acct: Accountant) {
    acct.adjust(CELL);
  }
  protected grow(delta: number): void {
    this.size += delta;
    this.acct.adjust(delta);
  }
  protected resetSize(): void {
    this.acct.adjust(CELL - this.size);
    this.size = CELL;
  }
  /** Called when the cell leaves memory (evicted, dropped): its bytes are no longer counted. */
  detach(): void {
    this.acct.adjust(-this.size);
    this.size = 0;
  }
}

export class ValueCell<T> extends BaseCell implements ValueState<T>, Cell {
  readonly kind = 'value';
  private value: T | undefined;
  read(): T | undefined {
    return this.value;
  }
  write(value: T): void {
    this.value = value;
    this.resetSize();
    this.grow(estimateSize(value));
  }
  clear(): void {
    this.value = undefined;
    this.resetSize();
  }
  hasData(): boolean {
    return this.value !== undefined;
  }
  encode(w: ByteWriter, c: ResolvedCoders): void {
    encodeCellContents('value', this, c, w);
  }
  static decode<T>(r: ByteReader, c: ResolvedCoders, acct: Accountant): ValueCell<T> {
    const cell = new ValueCell<T>(acct);
    decodeCellContents('value', r, c, cell);
    return cell;
  }
}

export class BagCell<T> extends BaseCell implements BagState<T>, Cell {
  readonly kind = 'bag';
  private items: T[] = [];
  add(value: T): void {
    this.items.push(value);
    this.grow(8 + estimateSize(value));
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
    this.resetSize();
  }
  hasData(): boolean {
    return this.items.length > 0;
  }
  encode(w: ByteWriter, c: ResolvedCoders): void {
    encodeCellContents('bag', this, c, w);
  }
  static decode<T>(r: ByteReader, c: ResolvedCoders, acct: Accountant): BagCell<T> {
    const cell = new BagCell<T>(acct);
    decodeCellContents('bag', r, c, cell);
    return cell;
  }
}

export class CombiningCell<I, A, O> extends BaseCell implements CombiningState<I, A, O>, Cell {
  readonly kind = 'combining';
  private acc: A | undefined;
  private present = false;
  private sized = false;
  constructor(
    acct: Accountant,
    private readonly fn: StateCombineFn<I, A, O>,
  ) {
    super(acct);
  }
  private measured(): void {
    // The accumulator is measured once (it usually keeps its shape); re-measured after a clear.
    if (this.sized) return;
    this.sized = true;
    this.grow(estimateSize(this.acc));
  }
  add(input: I): void {
    this.acc = this.fn.addInput(this.present ? (this.acc as A) : this.fn.createAccumulator(), input);
    this.present = true;
    this.measured();
  }
  addAccumulator(acc: A): void {
    this.acc = this.present ? this.fn.mergeAccumulators([this.acc as A, acc]) : acc;
    this.present = true;
    this.measured();
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
    this.sized = false;
    this.resetSize();
  }
  hasData(): boolean {
    return this.present;
  }
  encode(w: ByteWriter, c: ResolvedCoders): void {
    encodeCellContents('combining', this, c, w);
  }
  static decode<I, A, O>(r: ByteReader, c: ResolvedCoders, acct: Accountant, fn: StateCombineFn<I, A, O>): CombiningCell<I, A, O> {
    const cell = new CombiningCell(acct, fn);
    decodeCellContents('combining', r, c, cell);
    return cell;
  }
}

export class MapCell<K, V> extends BaseCell implements MapState<K, V>, Cell {
  readonly kind = 'map';
  private readonly map = new Map<K, V>();
  get(key: K): V | undefined {
    return this.map.get(key);
  }
  set(key: K, value: V): void {
    const had = this.map.has(key);
    this.map.set(key, value);
    if (!had) this.grow(32 + estimateSize(key) + estimateSize(value));
  }
  delete(key: K): void {
    if (this.map.delete(key)) this.grow(-Math.min(this.size - CELL, 32 + 8));
    if (this.map.size === 0) this.resetSize();
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
    this.resetSize();
  }
  hasData(): boolean {
    return this.map.size > 0;
  }
  encode(w: ByteWriter, c: ResolvedCoders): void {
    encodeCellContents('map', this, c, w);
  }
  static decode<K, V>(r: ByteReader, c: ResolvedCoders, acct: Accountant): MapCell<K, V> {
    const cell = new MapCell<K, V>(acct);
    decodeCellContents('map', r, c, cell);
    return cell;
  }
}

export class SetCell<T> extends BaseCell implements SetState<T>, Cell {
  readonly kind = 'set';
  private readonly set = new Set<T>();
  add(value: T): boolean {
    if (this.set.has(value)) return false;
    this.set.add(value);
    this.grow(24 + estimateSize(value));
    return true;
  }
  has(value: T): boolean {
    return this.set.has(value);
  }
  delete(value: T): void {
    if (this.set.delete(value)) this.grow(-Math.min(this.size - CELL, 24 + 8));
    if (this.set.size === 0) this.resetSize();
  }
  values(): Iterable<T> {
    return [...this.set];
  }
  isEmpty(): boolean {
    return this.set.size === 0;
  }
  clear(): void {
    this.set.clear();
    this.resetSize();
  }
  hasData(): boolean {
    return this.set.size > 0;
  }
  encode(w: ByteWriter, c: ResolvedCoders): void {
    encodeCellContents('set', this, c, w);
  }
  static decode<T>(r: ByteReader, c: ResolvedCoders, acct: Accountant): SetCell<T> {
    const cell = new SetCell<T>(acct);
    decodeCellContents('set', r, c, cell);
    return cell;
  }
}

export class OrderedListCell<T> extends BaseCell implements OrderedListState<T>, Cell {
  readonly kind = 'orderedList';
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
    this.grow(40 + estimateSize(value));
  }
  read(from = -Infinity, to = Infinity): Array<{ timestamp: Instant; value: T }> {
    return this.items.slice(this.search(from, false), this.search(to, false));
  }
  clearRange(from: Instant, to: Instant): void {
    const a = this.search(from, false);
    const b = this.search(to, false);
    if (b <= a) return;
    const share = (this.size - CELL) / this.items.length;
    this.items.splice(a, b - a);
    if (this.items.length === 0) this.resetSize();
    else this.grow(-Math.floor(share * (b - a)));
  }
  isEmpty(): boolean {
    return this.items.length === 0;
  }
  clear(): void {
    this.items = [];
    this.resetSize();
  }
  hasData(): boolean {
    return this.items.length > 0;
  }
  encode(w: ByteWriter, c: ResolvedCoders): void {
    encodeCellContents('orderedList', this, c, w);
  }
  static decode<T>(r: ByteReader, c: ResolvedCoders, acct: Accountant): OrderedListCell<T> {
    const cell = new OrderedListCell<T>(acct);
    decodeCellContents('orderedList', r, c, cell);
    return cell;
  }
}

/** Called when a hold changes: the backend turns it into its listener's call with the key. */
export type CellHoldListener = (cell: HoldCell, previous: Instant | undefined, next: Instant | undefined) => void;

export class HoldCell extends BaseCell implements WatermarkHoldState, Cell {
  readonly kind = 'watermarkHold';
  private hold: Instant | undefined;
  constructor(
    acct: Accountant,
    readonly namespace: string,
    readonly tagId: string,
    private readonly latest: boolean,
    private readonly listener: CellHoldListener | undefined,
  ) {
    super(acct);
  }
  add(t: Instant): void {
    const prev = this.hold;
    const next = prev === undefined ? t : this.latest ? Math.max(prev, t) : Math.min(prev, t);
    if (next === prev) return;
    this.hold = next;
    this.listener?.(this, prev, next);
  }
  read(): Instant | undefined {
    return this.hold;
  }
  clear(): void {
    const prev = this.hold;
    if (prev === undefined) return;
    this.hold = undefined;
    this.listener?.(this, prev, undefined);
  }
  hasData(): boolean {
    return this.hold !== undefined;
  }
  encode(w: ByteWriter, c?: ResolvedCoders): void {
    encodeCellContents('watermarkHold', this, c ?? NO_CODERS, w, this.latest);
  }
  /** Decodes a hold (restored holds are reported to the listener as new). */
  static decode(r: ByteReader, acct: Accountant, namespace: string, tagId: string, listener: CellHoldListener | undefined): HoldCell {
    const flag = r.byte();
    const cell = new HoldCell(acct, namespace, tagId, flag === 2, listener);
    if (flag !== 0) cell.add(r.float64());
    return cell;
  }
}

export type AnyCell = ValueCell<unknown> | BagCell<unknown> | CombiningCell<unknown, unknown, unknown> | MapCell<unknown, unknown> | SetCell<unknown> | OrderedListCell<unknown> | HoldCell;
