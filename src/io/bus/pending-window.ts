/**
 * A subscription's pending window: the messages loaded from the log and not acked yet, each 'ready' (to be delivered,
 * maybe after its backoff), 'leased' (out, until its lease expires) or 'dead-lettering', with the indexes a pull
 * needs — the leased offsets (for expiry) and the ready offsets in offset order (so that an unordered pull does not
 * walk past every leased message). subscription.ts moves messages between the states; this keeps the indexes and the
 * window's byte count consistent with them.
 * @example
 *   const w = new PendingWindow();
 *   w.add({ offset: 7, msg, attempts: 0, seq: 0, state: 'ready', leaseExpiry: 0, availableAt: 0 });
 *   w.readyInOrder() // Set { 7 }
 */
import type { Message } from './bus-api.ts';

/** One loaded, unacked message of a subscription. */
export interface Pending {
  readonly offset: number;
  readonly msg: Message;
  attempts: number;
  /** The sequence number of the current (or last) delivery; 0 if none in this process. */
  seq: number;
  state: 'ready' | 'leased' | 'dead-lettering';
  leaseExpiry: number;
  availableAt: number;
}

export class PendingWindow {
  /** By offset, in load order (which is offset order). */
  readonly pending = new Map<number, Pending>();
  /** The data bytes of the pending messages. */
  bytes = 0;
  readonly leased = new Set<number>();
  /**
   * Offsets of pending messages in state 'ready' (some maybe waiting for their backoff); in offset order once
   * `readySorted`.
   */
  private ready = new Set<number>();
  private readySorted = true;
  private lastReady = -1;

  get size(): number {
    return this.pending.size;
  }

  get readyCount(): number {
    return this.ready.size;
  }

  get(offset: number): Pending | undefined {
    return this.pending.get(offset);
  }

  has(offset: number): boolean {
    return this.pending.has(offset);
  }

  /** Adds a loaded message; a 'ready' one joins the ready index, a 'leased' one the leased index. */
  add(p: Pending): void {
    this.pending.set(p.offset, p);
    this.bytes += p.msg.data.length;
    if (p.state === 'ready') this.markReady(p.offset);
    else if (p.state === 'leased') this.leased.add(p.offset);
  }

  /** Removes a message (acked, dead-lettered, gone by retention). */
  remove(p: Pending): void {
    if (this.pending.delete(p.offset)) this.bytes -= p.msg.data.length;
    this.leased.delete(p.offset);
    this.ready.delete(p.offset);
  }

  /** `o` became ready: kept in offset order unless it comes before the last ready one (then sorted on the next pull). */
  markReady(o: number): void {
    if (this.ready.has(o)) return;
    if (this.readySorted && this.ready.size > 0 && o < this.lastReady) this.readySorted = false;
    this.ready.add(o);
    this.lastReady = Math.max(this.lastReady, o);
  }

  /** `o` is no longer ready (leased, dead-lettering, or found stale). */
  unready(o: number): void {
    this.ready.delete(o);
  }

  /** The ready offsets in offset order (the set itself: callers may `unready` while iterating). */
  readyInOrder(): Set<number> {
    if (!this.readySorted) {
      this.ready = new Set([...this.ready].sort((a, b) => a - b));
      this.readySorted = true;
    }
    return this.ready;
  }

  /** After a pull walked the ready index: an empty one starts a new order. */
  settleReady(): void {
    if (this.ready.size === 0) this.lastReady = -1;
  }

  /** The earliest lease expiry of the leased messages (Infinity if none). */
  earliestLeaseExpiry(): number {
    let next = Infinity;
    for (const o of this.leased) next = Math.min(next, this.pending.get(o)?.leaseExpiry ?? Infinity);
    return next;
  }

  /** Empties the window (seek, detach). */
  clear(): void {
    this.pending.clear();
    this.leased.clear();
    this.ready.clear();
    this.lastReady = -1;
    this.readySorted = true;
    this.bytes = 0;
  }
}
