import { ByteReader, ByteWriter, GlobalWindow, IntervalWindow, isGlobalWindow, isPlainIntervalWindow, MAX_TIMESTAMP, RiffleError, type BoundedWindow, type Coder, type Instant } from '../../model/index.ts';
import { InMemoryStateInternals, type StateInternals, type TimeDomain, type TimerData, type TimerInternals } from '../../semantics/index.ts';
import type { Clock } from './clock.ts';
import { encodeKey, type EncodedKey } from './key-encoding.ts';
import { defaultKeyGroupAssigner, type KeyGroupAssigner } from './key-group.ts';
import { MinHeap } from './min-heap.ts';
import { structuredStateCoder } from '../state/index.ts';

/** A pending timer in the operator's queues. Replaced timers stay in the heap, marked dead (lazy deletion). */
export interface TimerEntry {
  time: number;
  seq: number;
  live: boolean;
  readonly entry: KeyEntry;
  readonly data: TimerData;
}

interface HoldNode {
  time: number;
  seq: number;
  live: boolean;
}

/**
 * The state, timers and holds of one key of a keyed operator. One object per live key, and also the key's
 * TimerInternals (methods on the prototype, no closures per key): a keyed operator may hold hundreds of thousands of
 * keys, and five closures and a context per key cost more than the key's state (Nexmark Q12: about 1.5 KB a key).
 * The timer and hold maps are made when the key first has one.
 */
export class KeyEntry implements TimerInternals {
  /** Live timers by namespace: a timer is found by comparing its fields, with no id string built per call. */
  timers: Map<string, TimerEntry[]> | undefined = undefined;
  /** Live holds: state holds by their cell, output holds of user timers by timer id. */
  holds: Map<object | string, HoldNode> | undefined = undefined;
  state!: StateInternals;

  constructor(
    private readonly store: KeyedStore,
    readonly key: unknown,
    readonly encoded: EncodedKey,
    /** The key's key group (key-group.ts): the unit of state partitioning, snapshots and rescaling. */
    readonly keyGroup: number,
  ) {}

  get timerInternals(): TimerInternals {
    return this;
  }

  setTimer(t: TimerData): void {
    this.store.setTimer(this, t);
  }
  deleteTimer(namespace: string, id: string, family: string, domain: TimeDomain): void {
    this.store.deleteTimer(this, namespace, id, family, domain);
  }
  currentProcessingTime(): Instant {
    return this.store.now();
  }
  currentInputWatermark(): Instant {
    return this.store.inputWatermark();
  }
  currentOutputWatermark(): Instant {
    return this.store.outputWatermark();
  }
  /** The timers pending in a namespace (none: an empty list). */
  timersIn(namespace: string): readonly TimerEntry[] {
    return this.timers?.get(namespace) ?? NO_TIMERS;
  }
}

const NO_TIMERS: readonly TimerEntry[] = [];

/**
 * Where a key's state lives: the port a state backend plugs into (src/runner/state: `StateBackend.forKey(keyGroup,
 * keyBytes)`). `onHold` must be told of every watermark-hold change of this key's state, with the cell that holds
 * (its identity must last as long as the hold). The default keeps each key's state in an InMemoryStateInternals.
 */
export interface KeyStateFactory {
  create(keyGroup: number, encoded: EncodedKey, key: unknown, onHold: (cell: object, next: Instant | undefined) => void): StateInternals;
  /**
   * Work the state wants done at a bundle boundary (a spilling backend past its budget: `backend.needsFlush ?
   * backend.flush() : undefined`); the engine awaits it before more input. Cells taken before it are stale after it.
   */
  pendingIo?(): Promise<void> | undefined;
  /**
   * The factory of one keyed step's state. Keys of different steps are the same bytes, so steps must not share a
   * backend's key space: when this is present the engine asks it once per keyed step and uses what it returns.
   */
  forStep?(step: string): KeyStateFactory;
  /**
   * The keyed store dropped a key whose state `create` gave and which holds nothing now (no state, timers or holds):
   * a backend that keeps keys apart from the store forgets it here, so that memory follows the live keys as it does
   * with the default (whose per-key state the store simply lets go). The store asks `create` again if the key comes back.
   */
  release?(state: StateInternals): void;
  /**
   * Checkpoints (issue 14): the state of key group `keyGroup` as bytes (through the state tags' coders). Factories
   * without it cannot be checkpointed (a checkpointed run uses runner/checkpoint's `checkpointedKeyState`).
   */
  snapshotGroup?(keyGroup: number, keys: readonly KeyedStateRef[]): Uint8Array;
  /**
   * Replaces key group `keyGroup` with a snapshot's state. Restored watermark holds are reported to the hold listeners
   * of keys `create`d since `beginRestore` (the keyed store creates its keys first, then restores their state).
   */
  restoreGroup?(keyGroup: number, bytes: Uint8Array, keys: readonly KeyedStateRef[]): void;
  beginRestore?(): void;
  endRestore?(): void;
}

/**
 * A key of a key group and the state `create` gave it: what the keyed store hands a factory's `snapshotGroup` and
 * `restoreGroup` (a factory that keeps no index of its own, as the in-memory one, snapshots and restores these).
 */
export interface KeyedStateRef {
  readonly encoded: EncodedKey;
  readonly state: StateInternals;
}

/** What a keyed store's snapshot needs besides its factory: a coder for the keys' values. */
export interface KeyedSnapshotCoders {
  readonly key: Coder<unknown>;
}

/** Keys as plain data (what `encodeKey` accepts: primitives, plain objects and arrays, dates). */
export const KEYED_SNAPSHOT_CODERS: KeyedSnapshotCoders = { key: structuredStateCoder() };

export const IN_MEMORY_KEY_STATE: KeyStateFactory = {
  create: (_keyGroup, _encoded, _key, onHold) => new InMemoryStateInternals({ onHoldChanged: (_namespace, _tagId, _previous, next, cell) => onHold(cell, next) }),
};

/** How a keyed operator addresses its state: key groups, and where each key's state lives. */
export interface KeyedOptions {
  assignKeyGroup?: KeyGroupAssigner;
  keyState?: KeyStateFactory;
}

/**
 * Per-key state, timers and watermark holds of one keyed operator, for the key groups this worker owns. The operator's output watermark
 * is held at the minimum hold across keys, found in O(log n) through a lazily cleaned heap. Keys whose state, timers
 * and holds are all gone are dropped, so memory follows the live keys.
 */
export class KeyedStore {
  readonly entries = new Map<EncodedKey, KeyEntry>();
  private readonly eventTimers = new MinHeap<TimerEntry>();
  private readonly processingTimers = new MinHeap<TimerEntry>();
  private readonly holdHeap = new MinHeap<HoldNode>();
  private seq = 0;

  constructor(
    private readonly clock: Clock,
    private readonly watermarks: { input(): Instant; output(): Instant },
    /** Whether pending event-time timers hold the output watermark at their output timestamp (user timers do). */
    private readonly timersHoldOutput: boolean,
    keyed: KeyedOptions = {},
  ) {
    this.assignKeyGroup = keyed.assignKeyGroup ?? defaultKeyGroupAssigner();
    this.keyState = keyed.keyState ?? IN_MEMORY_KEY_STATE;
  }

  /** The key group of a key (key-group.ts). */
  readonly assignKeyGroup: KeyGroupAssigner;
  private readonly keyState: KeyStateFactory;

  get(encoded: EncodedKey, key: unknown): KeyEntry {
    let e = this.entries.get(encoded);
    if (e === undefined) {
      e = this.createEntry(encoded, key);
      this.entries.set(encoded, e);
    }
    return e;
  }

  private createEntry(encoded: EncodedKey, key: unknown): KeyEntry {
    const entry = new KeyEntry(this, key, encoded, this.assignKeyGroup(key, encoded));
    entry.state = this.keyState.create(entry.keyGroup, encoded, key, (cell, next) => this.setHold(entry, cell, next));
    return entry;
  }

  /** The clock and watermarks, for the keys' TimerInternals. */
  now(): Instant {
    return this.clock.now();
  }
  inputWatermark(): Instant {
    return this.watermarks.input();
  }
  outputWatermark(): Instant {
    return this.watermarks.output();
  }

  private setHold(entry: KeyEntry, id: object | string, time: Instant | undefined): void {
    const old = entry.holds?.get(id);
    if (old !== undefined && old.time === time) return;
    if (old) old.live = false;
    if (time === undefined) {
      if (old !== undefined && entry.holds!.delete(id) && entry.holds!.size === 0) entry.holds = undefined;
      return;
    }
    const node = { time, seq: this.seq++, live: true };
    (entry.holds ??= new Map()).set(id, node);
    this.holdHeap.push(node);
  }

  setTimer(entry: KeyEntry, t: TimerData): void {
    let list = entry.timers?.get(t.namespace);
    const i = list === undefined ? -1 : indexOfTimer(list, t.id, t.family, t.domain);
    const old = i < 0 ? undefined : list![i]!;
    // Re-setting a timer to where it already is (the reducer does so for every bundle) must not churn the heap.
    if (old !== undefined && old.time === t.timestamp && old.data.outputTimestamp === t.outputTimestamp) return;
    const node: TimerEntry = { time: t.timestamp, seq: this.seq++, live: true, entry, data: t };
    if (old !== undefined) {
      old.live = false;
      list![i] = node;
    } else if (list === undefined) {
      list = [node];
      (entry.timers ??= new Map()).set(t.namespace, list);
    } else list.push(node);
    (t.domain === 'event' ? this.eventTimers : this.processingTimers).push(node);
    if (this.timersHoldOutput && t.domain === 'event') this.setHold(entry, `timer\u0000${timerId(t.namespace, t.id, t.family, t.domain)}`, t.outputTimestamp);
  }

  deleteTimer(entry: KeyEntry, namespace: string, id: string, family: string, domain: TimeDomain): void {
    const list = entry.timers?.get(namespace);
    if (list === undefined) return;
    const i = indexOfTimer(list, id, family, domain);
    if (i < 0) return;
    this.unlist(entry, list, i);
    if (this.timersHoldOutput && domain === 'event') this.setHold(entry, `timer\u0000${timerId(namespace, id, family, domain)}`, undefined);
  }

  /** Whether the key has this timer pending. */
  hasTimer(entry: KeyEntry, namespace: string, id: string, family: string, domain: TimeDomain): boolean {
    const list = entry.timers?.get(namespace);
    return list !== undefined && indexOfTimer(list, id, family, domain) >= 0;
  }

  /** Marks a listed timer dead and takes it off its namespace's list. */
  private unlist(entry: KeyEntry, list: TimerEntry[], i: number): void {
    list[i]!.live = false;
    if (list.length === 1) {
      entry.timers!.delete(list[0]!.data.namespace);
      if (entry.timers!.size === 0) entry.timers = undefined;
    }
    else {
      list[i] = list[list.length - 1]!;
      list.pop();
    }
  }

  /** Removes and returns the earliest live event-time timer strictly before the watermark (Beam fires a timer once the watermark passes it). */
  popDueEventTimer(watermark: Instant): TimerEntry | undefined {
    return this.popDue(this.eventTimers, (t) => t < watermark);
  }

  /** Removes and returns the earliest live processing-time timer due at `now`. */
  popDueProcessingTimer(now: Instant): TimerEntry | undefined {
    return this.popDue(this.processingTimers, (t) => t <= now);
  }

  private popDue(heap: MinHeap<TimerEntry>, due: (t: number) => boolean): TimerEntry | undefined {
    for (;;) {
      const top = heap.peek();
      if (top === undefined) return undefined;
      if (!top.live) {
        heap.pop();
        continue;
      }
      if (!due(top.time)) return undefined;
      heap.pop();
      const list = top.entry.timers?.get(top.data.namespace);
      const i = list === undefined ? -1 : list.indexOf(top);
      if (i >= 0) this.unlist(top.entry, list!, i);
      top.live = false;
      const d = top.data;
      if (this.timersHoldOutput && d.domain === 'event') this.setHold(top.entry, `timer\u0000${timerId(d.namespace, d.id, d.family, d.domain)}`, undefined);
      return top;
    }
  }

  /** The earliest pending processing-time timer, if any (lets a real-time engine sleep until then). */
  nextProcessingTimer(): Instant | undefined {
    for (;;) {
      const top = this.processingTimers.peek();
      if (top === undefined) return undefined;
      if (top.live) return top.time;
      this.processingTimers.pop();
    }
  }

  /** The minimum watermark hold across keys, MAX_TIMESTAMP when none. */
  minHold(): Instant {
    for (;;) {
      const top = this.holdHeap.peek();
      if (top === undefined) return MAX_TIMESTAMP;
      if (top.live) return top.time;
      this.holdHeap.pop();
    }
  }

  /** The state's work at a bundle boundary, if any (see KeyStateFactory.pendingIo). */
  pendingIo(): Promise<void> | undefined {
    return this.keyState.pendingIo?.();
  }

  /**
   * The store's state per key group, for a checkpoint taken at rest (issue 14): each group's bytes are the
   * factory's state snapshot followed by the group's keys (through `coders.key`) and their timers (windows encoded
   * as global / interval; other windows cannot be checkpointed yet and are refused naming the step). State holds come
   * back with the state; timers' output holds come back with the timers.
   */
  snapshot(step: string, coders: KeyedSnapshotCoders): Array<[keyGroup: number, bytes: Uint8Array]> {
    const factory = this.keyState;
    if (factory.snapshotGroup === undefined) {
      throw new RiffleError('CHECKPOINT_UNSUPPORTED', `step '${step}': its keyed state lives where checkpoints cannot read it`, { domain: 'internal' });
    }
    const byGroup = new Map<number, KeyEntry[]>();
    for (const e of this.entries.values()) {
      let list = byGroup.get(e.keyGroup);
      if (list === undefined) byGroup.set(e.keyGroup, (list = []));
      list.push(e);
    }
    const out: Array<[number, Uint8Array]> = [];
    const w = new ByteWriter(256);
    for (const [group, entries] of [...byGroup].sort((a, b) => a[0] - b[0])) {
      w.reset();
      w.varUint(1);
      w.bytes(factory.snapshotGroup(group, entries));
      w.varUint(entries.length);
      for (const e of entries) {
        try {
          coders.key.encode(e.key, w);
        } catch (cause) {
          throw new RiffleError('CHECKPOINT_UNSUPPORTED', `step '${step}': the key ${String(e.key)} cannot be written to a checkpoint: ${(cause as Error).message}`, { domain: 'user', cause });
        }
        let n = 0;
        const lists = e.timers === undefined ? [] : [...e.timers.values()];
        for (const list of lists) n += list.length;
        w.varUint(n);
        for (const list of lists) {
          for (const t of list) {
            const d = t.data;
            w.string(d.namespace);
            w.string(d.id);
            w.string(d.family);
            w.byte(d.domain === 'event' ? 0 : 1);
            w.float64(d.timestamp);
            w.float64(d.outputTimestamp);
            encodeWindow(d.window, w, step);
          }
        }
      }
      out.push([group, w.toBytes()]);
    }
    return out;
  }

  /** Restores what `snapshot` returned (only the key groups this store owns are given), before any input. */
  restore(step: string, groups: ReadonlyArray<readonly [number, Uint8Array]>, coders: KeyedSnapshotCoders): void {
    const factory = this.keyState;
    if (factory.restoreGroup === undefined) throw new RiffleError('CHECKPOINT_UNSUPPORTED', `step '${step}': its keyed state cannot be restored here`, { domain: 'internal' });
    factory.beginRestore?.();
    try {
      for (const [group, bytes] of groups) {
        const r = new ByteReader(bytes);
        if (r.varUint() !== 1) throw new RiffleError('CHECKPOINT_INVALID', `step '${step}': key group ${group} has an unknown format`, { domain: 'user' });
        const state = r.bytes();
        const keys = r.count('keys');
        const timers: Array<[KeyEntry, TimerData[]]> = [];
        const entries: KeyEntry[] = [];
        for (let k = 0; k < keys; k++) {
          const key = coders.key.decode(r);
          const entry = this.get(encodeKey(key, step), key);
          entries.push(entry);
          const n = r.count('timers');
          const list: TimerData[] = [];
          for (let i = 0; i < n; i++) {
            const namespace = r.string();
            const id = r.string();
            const family = r.string();
            const domain = r.byte() === 0 ? 'event' : 'processing';
            const timestamp = r.float64();
            const outputTimestamp = r.float64();
            const window = decodeWindow(r);
            list.push({ namespace, id, family, domain, timestamp, outputTimestamp, window });
          }
          timers.push([entry, list]);
        }
        factory.restoreGroup(group, state, entries);
        for (const [entry, list] of timers) for (const t of list) this.setTimer(entry, t);
      }
    } finally {
      factory.endRestore?.();
    }
  }

  /** Drops a key that holds nothing any more. */
  release(entry: KeyEntry): void {
    if (entry.timers === undefined && entry.holds === undefined && entry.state.isEmpty()) {
      this.entries.delete(entry.encoded);
      this.keyState.release?.(entry.state);
    }
  }
}

function indexOfTimer(list: readonly TimerEntry[], id: string, family: string, domain: TimeDomain): number {
  for (let i = 0; i < list.length; i++) {
    const d = list[i]!.data;
    if (d.id === id && d.family === family && d.domain === domain) return i;
  }
  return -1;
}

const WINDOW_GLOBAL = 0;
const WINDOW_INTERVAL = 1;

/** A window in a checkpoint: global, or an interval's bounds; others are refused naming the step. */
export function encodeWindow(w: BoundedWindow, out: ByteWriter, step: string): void {
  if (isGlobalWindow(w)) out.byte(WINDOW_GLOBAL);
  else if (isPlainIntervalWindow(w)) {
    out.byte(WINDOW_INTERVAL);
    out.float64(w.start);
    out.float64(w.end);
  } else {
    throw new RiffleError('CHECKPOINT_UNSUPPORTED', `step '${step}' has a timer in a custom window (${String(w)}), which checkpoints cannot write yet`, {
      domain: 'user',
      hint: 'use fixed, sliding, session or global windows in checkpointed jobs, or run without --checkpoint-dir',
    });
  }
}

export function decodeWindow(r: ByteReader): BoundedWindow {
  const tag = r.byte();
  if (tag === WINDOW_GLOBAL) return GlobalWindow.INSTANCE;
  if (tag === WINDOW_INTERVAL) {
    const start = r.float64();
    return new IntervalWindow(start, r.float64());
  }
  throw new RiffleError('CHECKPOINT_INVALID', `a timer's window has unknown tag ${tag}`, { domain: 'user' });
}

function timerId(namespace: string, id: string, family: string, domain: TimeDomain): string {
  return `${domain}\u0000${namespace}\u0000${family}\u0000${id}`;
}
