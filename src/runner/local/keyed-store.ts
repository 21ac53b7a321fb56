import { MAX_TIMESTAMP, type Instant } from '../../model/index.ts';
import { InMemoryStateInternals, type StateInternals, type TimeDomain, type TimerData, type TimerInternals } from '../../semantics/index.ts';
import type { Clock } from './clock.ts';
import type { EncodedKey } from './key-encoding.ts';
import { defaultKeyGroupAssigner, type KeyGroupAssigner } from './key-group.ts';
import { MinHeap } from './min-heap.ts';

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

/** The state, timers and holds of one key of a keyed operator. */
export interface KeyEntry {
  readonly key: unknown;
  readonly encoded: EncodedKey;
  /** The key's key group (key-group.ts): the unit of state partitioning, snapshots and rescaling. */
  readonly keyGroup: number;
  readonly state: StateInternals;
  readonly timerInternals: TimerInternals;
  /** Live timers by namespace: a timer is found by comparing its fields, with no id string built per call. */
  readonly timers: Map<string, TimerEntry[]>;
  /** Live holds: state holds by their cell, output holds of user timers by timer id. */
  readonly holds: Map<object | string, HoldNode>;
}

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
}

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

  private readonly assignKeyGroup: KeyGroupAssigner;
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
    const holds = new Map<object | string, HoldNode>();
    const timers = new Map<string, TimerEntry[]>();
    const keyGroup = this.assignKeyGroup(key, encoded);
    const state = this.keyState.create(keyGroup, encoded, key, (cell, next) => this.setHold(holds, cell, next));
    const entry: KeyEntry = {
      key,
      encoded,
      keyGroup,
      state,
      timers,
      holds,
      timerInternals: {
        setTimer: (t) => this.setTimer(entry, t),
        deleteTimer: (namespace, id, family, domain) => this.deleteTimer(entry, namespace, id, family, domain),
        currentProcessingTime: () => this.clock.now(),
        currentInputWatermark: () => this.watermarks.input(),
        currentOutputWatermark: () => this.watermarks.output(),
      },
    };
    return entry;
  }

  private setHold(holds: Map<object | string, HoldNode>, id: object | string, time: Instant | undefined): void {
    const old = holds.get(id);
    if (old !== undefined && old.time === time) return;
    if (old) old.live = false;
    if (time === undefined) {
      holds.delete(id);
      return;
    }
    const node = { time, seq: this.seq++, live: true };
    holds.set(id, node);
    this.holdHeap.push(node);
  }

  setTimer(entry: KeyEntry, t: TimerData): void {
    let list = entry.timers.get(t.namespace);
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
      entry.timers.set(t.namespace, list);
    } else list.push(node);
    (t.domain === 'event' ? this.eventTimers : this.processingTimers).push(node);
    if (this.timersHoldOutput && t.domain === 'event') this.setHold(entry.holds, `timer\u0000${timerId(t.namespace, t.id, t.family, t.domain)}`, t.outputTimestamp);
  }

  deleteTimer(entry: KeyEntry, namespace: string, id: string, family: string, domain: TimeDomain): void {
    const list = entry.timers.get(namespace);
    if (list === undefined) return;
    const i = indexOfTimer(list, id, family, domain);
    if (i < 0) return;
    this.unlist(entry, list, i);
    if (this.timersHoldOutput && domain === 'event') this.setHold(entry.holds, `timer\u0000${timerId(namespace, id, family, domain)}`, undefined);
  }

  /** Whether the key has this timer pending. */
  hasTimer(entry: KeyEntry, namespace: string, id: string, family: string, domain: TimeDomain): boolean {
    const list = entry.timers.get(namespace);
    return list !== undefined && indexOfTimer(list, id, family, domain) >= 0;
  }

  /** Marks a listed timer dead and takes it off its namespace's list. */
  private unlist(entry: KeyEntry, list: TimerEntry[], i: number): void {
    list[i]!.live = false;
    if (list.length === 1) entry.timers.delete(list[0]!.data.namespace);
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
      const list = top.entry.timers.get(top.data.namespace);
      const i = list === undefined ? -1 : list.indexOf(top);
      if (i >= 0) this.unlist(top.entry, list!, i);
      top.live = false;
      const d = top.data;
      if (this.timersHoldOutput && d.domain === 'event') this.setHold(top.entry.holds, `timer\u0000${timerId(d.namespace, d.id, d.family, d.domain)}`, undefined);
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

  /** Drops a key that holds nothing any more. */
  release(entry: KeyEntry): void {
    if (entry.timers.size === 0 && entry.holds.size === 0 && entry.state.isEmpty()) this.entries.delete(entry.encoded);
  }
}

function indexOfTimer(list: readonly TimerEntry[], id: string, family: string, domain: TimeDomain): number {
  for (let i = 0; i < list.length; i++) {
    const d = list[i]!.data;
    if (d.id === id && d.family === family && d.domain === domain) return i;
  }
  return -1;
}

function timerId(namespace: string, id: string, family: string, domain: TimeDomain): string {
  return `${domain}\u0000${namespace}\u0000${family}\u0000${id}`;
}
