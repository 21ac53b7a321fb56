import { MAX_TIMESTAMP, type Instant } from '../../model/index.ts';
import { InMemoryStateInternals, type StateInternals, type TimeDomain, type TimerData, type TimerInternals } from '../../semantics/index.ts';
import type { Clock } from './clock.ts';
import type { EncodedKey } from './key-encoding.ts';
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
  readonly state: StateInternals;
  readonly timerInternals: TimerInternals;
  readonly timers: Map<string, TimerEntry>;
  readonly holds: Map<string, HoldNode>;
}

/**
 * Per-key state, timers and watermark holds of one keyed operator (one key group). The operator's output watermark
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
  ) {}

  get(encoded: EncodedKey, key: unknown): KeyEntry {
    let e = this.entries.get(encoded);
    if (e === undefined) {
      e = this.createEntry(encoded, key);
      this.entries.set(encoded, e);
    }
    return e;
  }

  private createEntry(encoded: EncodedKey, key: unknown): KeyEntry {
    const holds = new Map<string, HoldNode>();
    const timers = new Map<string, TimerEntry>();
    const state = new InMemoryStateInternals({
      onHoldChanged: (namespace, tagId, _previous, next) => this.setHold(holds, `${namespace}\u0000${tagId}`, next),
    });
    const entry: KeyEntry = {
      key,
      encoded,
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

  private setHold(holds: Map<string, HoldNode>, id: string, time: Instant | undefined): void {
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
    const id = timerId(t.namespace, t.id, t.family, t.domain);
    const old = entry.timers.get(id);
    // Re-setting a timer to where it already is (the reducer does so for every bundle) must not churn the heap.
    if (old !== undefined && old.time === t.timestamp && old.data.outputTimestamp === t.outputTimestamp) return;
    if (old) old.live = false;
    const node: TimerEntry = { time: t.timestamp, seq: this.seq++, live: true, entry, data: t };
    entry.timers.set(id, node);
    (t.domain === 'event' ? this.eventTimers : this.processingTimers).push(node);
    if (this.timersHoldOutput && t.domain === 'event') this.setHold(entry.holds, `timer\u0000${id}`, t.outputTimestamp);
  }

  deleteTimer(entry: KeyEntry, namespace: string, id: string, family: string, domain: TimeDomain): void {
    const tid = timerId(namespace, id, family, domain);
    const old = entry.timers.get(tid);
    if (!old) return;
    old.live = false;
    entry.timers.delete(tid);
    if (this.timersHoldOutput && domain === 'event') this.setHold(entry.holds, `timer\u0000${tid}`, undefined);
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
      top.live = false;
      const id = timerId(top.data.namespace, top.data.id, top.data.family, top.data.domain);
      if (top.entry.timers.get(id) === top) top.entry.timers.delete(id);
      if (this.timersHoldOutput && top.data.domain === 'event') this.setHold(top.entry.holds, `timer\u0000${id}`, undefined);
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

  /** Drops a key that holds nothing any more. */
  release(entry: KeyEntry): void {
    if (entry.timers.size === 0 && entry.holds.size === 0 && entry.state.isEmpty()) this.entries.delete(entry.encoded);
  }
}

function timerId(namespace: string, id: string, family: string, domain: TimeDomain): string {
  return `${domain}\u0000${namespace}\u0000${family}\u0000${id}`;
}
