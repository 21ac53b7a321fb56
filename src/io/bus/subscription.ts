/**
 * One subscription's delivery state machine over its topic's log: which messages are acked, which are leased (and
 * until when), how often each was delivered, and when a given-back message may go out again.
 *
 * Strategy of a pull:
 *   1. load messages from the log after the read cursor into the pending window (bounded), skipping acked offsets and
 *      auto-acking those the filter rejects or that are older than the subscription's retention;
 *   2. expire leases whose deadline passed: each is given back (backoff per the retry policy) or, past the maximum
 *      delivery attempts, forwarded to the dead-letter topic and then acked;
 *   3. walk the pending window in offset order and lease what is available now; with message ordering, a key is
 *      blocked from the first message of it that is leased or waiting for its backoff, so a key's messages go out in
 *      order and a redelivery repeats the ones after it too.
 *
 * Every change is journalled (see subscription-journal.ts) before it is answered for acks, and without waiting for
 * deliveries (a crash may undercount `deliveryAttempt`, as Pub/Sub says it is best effort).
 *
 * Parts: the pending window and its indexes (pending-window.ts), ack ids (ack-ids.ts), the journal and snapshot
 * (subscription-journal.ts), statistics (subscription-stats.ts).
 */
import { rmSync } from 'node:fs';
import { AckIds } from './ack-ids.ts';
import type { AckFailureReason, AckResponse, Message, ReceivedMessage, SubscriptionInfo, SubscriptionStats } from './bus-api.ts';
import { BusFailedPreconditionError, BusInvalidArgumentError } from './bus-errors.ts';
import type { Clock, ClockTimer } from './clock.ts';
import { parseFilter, type MessageFilter } from './filter.ts';
import type { FsyncPolicy } from './group-commit.ts';
import { OffsetSet } from './offset-set.ts';
import { PendingWindow, type Pending } from './pending-window.ts';
import { backlogStats, SubscriptionCounters } from './subscription-stats.ts';
import { SubscriptionJournal, type DeliveryState, type SubscriptionSnapshotState } from './subscription-journal.ts';
import type { TopicLog } from './topic-log.ts';

export const DELETED_TOPIC = '_deleted-topic_';

/** Below this many ready messages (or a quarter of the pending window), a pull starts loading the next ones. */
const READ_AHEAD_BELOW = 2000;

export interface SubscriptionDeps {
  clock: Clock;
  fsync: FsyncPolicy;
  fsyncIntervalMs: number;
  journalCompactBytes: number;
  maxPendingMessages: number;
  maxPendingBytes: number;
  warn: (m: string) => void;
  /** Publishes a message to the dead-letter topic; resolves once durable. */
  deadLetter: (sub: SubscriptionRuntime, msg: Message, attempts: number) => Promise<void>;
}

/** Exponential backoff: min · 2^(attempts−1), capped at max; 0 without a retry policy. */
export function backoffFor(info: SubscriptionInfo, attempts: number): number {
  const rp = info.retryPolicy;
  if (!rp) return 0;
  return Math.min(rp.maximumBackoff, rp.minimumBackoff * 2 ** Math.max(0, Math.min(attempts - 1, 30)));
}

export class SubscriptionRuntime {
  private filter: MessageFilter | undefined;
  private acked: OffsetSet;
  /** The loaded, unacked messages and their states (pending-window.ts). */
  private readonly window = new PendingWindow();
  private restored: Map<number, DeliveryState>;
  private readCursor = 0;
  private readonly ackIds = new AckIds();
  private epoch = 0;
  private nextLeaseExpiry = Infinity;
  private nextAvailableAt = Infinity;
  private waiters = new Set<() => void>();
  private filling: Promise<void> | undefined;
  private unsubscribe: (() => void) | undefined;
  private journal: SubscriptionJournal;
  private readonly counters = new SubscriptionCounters();
  private closed = false;

  constructor(
    public info: SubscriptionInfo,
    readonly dir: string,
    private log: TopicLog | undefined,
    private readonly deps: SubscriptionDeps,
  ) {
    this.filter = info.filter !== undefined ? parseFilter(info.filter) : undefined;
    const { journal, state } = SubscriptionJournal.open(dir, {
      fsync: deps.fsync,
      fsyncIntervalMs: deps.fsyncIntervalMs,
      compactBytes: deps.journalCompactBytes,
      snapshot: () => this.persistentState(),
      warn: deps.warn,
    });
    this.journal = journal;
    this.acked = OffsetSet.fromRanges(state.acked);
    this.restored = state.deliveries;
    if (log) {
      this.readCursor = log.startOffset;
      this.unsubscribe = log.onCommit(() => this.wake());
    }
  }

  get detached(): boolean {
    return this.log === undefined;
  }

  /** The topic was deleted: the subscription stays, detached. */
  detach(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.log = undefined;
    this.info = { ...this.info, topic: DELETED_TOPIC, detached: true };
    this.window.clear();
    this.wake();
  }

  private requireLog(): TopicLog {
    if (this.closed) throw new BusFailedPreconditionError(`subscription ${this.info.name} is closed`);
    if (!this.log) {
      throw new BusFailedPreconditionError(`subscription ${this.info.name} is detached: its topic was deleted`, {
        hint: `delete it (riffle bus subscriptions delete ${this.info.name}) and create one on an existing topic`,
      });
    }
    return this.log;
  }

  private persistentState(): SubscriptionSnapshotState {
    const deliveries = new Map<number, DeliveryState>(this.restored);
    for (const p of this.window.pending.values()) {
      if (p.attempts > 0 || p.availableAt > 0) deliveries.set(p.offset, { attempts: p.attempts, leaseExpiry: p.state === 'leased' ? p.leaseExpiry : 0, availableAt: p.availableAt });
    }
    return { acked: this.acked.ranges(), deliveries };
  }

  private journalAsync(rec: Parameters<SubscriptionJournal['append']>[0]): void {
    this.journal.append(rec).catch((e: unknown) => this.deps.warn(`subscription ${this.info.name}: could not write its journal: ${(e as Error).message}`));
  }

  // ---------------------------------------------------------------------------------------------------------------
  // 1. Loading

  private fill(): Promise<void> {
    if (this.filling) return this.filling;
    this.filling = this.fillNow().finally(() => (this.filling = undefined));
    return this.filling;
  }

  private async fillNow(): Promise<void> {
    const log = this.log;
    if (!log || this.closed) return;
    const before = this.window.size;
    try {
      await this.load(log);
    } finally {
      // A pull waiting for a change finds what was loaded (a read ahead completes after the pull that started it).
      if (this.window.size > before) this.wake();
    }
  }

  private async load(log: TopicLog): Promise<void> {
    const epoch = this.epoch;
    if (this.readCursor < log.startOffset) this.dropBelow(log.startOffset);
    // Refill in whole reads (loading a few messages at a time costs a disk read each): when nothing is ready, or when
    // a read's worth (1000 messages, or half the window if smaller) fits in the window beside what is leased.
    const w = this.window;
    if (w.readyCount > 0 && this.deps.maxPendingMessages - w.size < Math.min(1000, this.deps.maxPendingMessages / 2)) return;
    while (w.size < this.deps.maxPendingMessages && w.bytes < this.deps.maxPendingBytes) {
      this.readCursor = this.acked.nextAbsent(this.readCursor);
      if (this.readCursor >= log.endOffset) break;
      const msgs = await log.read(this.readCursor, Math.min(1000, this.deps.maxPendingMessages - w.size), this.deps.maxPendingBytes - w.bytes);
      if (epoch !== this.epoch || this.log !== log) return; // a seek or detach happened meanwhile
      if (msgs.length === 0) break;
      const now = this.deps.clock.now();
      const cut = now - this.info.messageRetentionDuration;
      const autoAcked: number[] = [];
      for (const m of msgs) {
        const o = Number(m.id);
        if (this.acked.has(o) || w.has(o)) continue;
        if (m.publishTime < cut || (this.filter !== undefined && !this.filter.matches(m.attributes))) {
          this.acked.add(o);
          this.restored.delete(o);
          autoAcked.push(o);
          continue;
        }
        const r = this.restored.get(o);
        this.restored.delete(o);
        const p: Pending = { offset: o, msg: m, attempts: r?.attempts ?? 0, seq: 0, state: 'ready', leaseExpiry: 0, availableAt: r?.availableAt ?? 0 };
        if (r !== undefined && r.leaseExpiry > now) {
          // Leased before a restart: its ack id is gone with the old process, so it waits for the deadline.
          p.state = 'leased';
          p.leaseExpiry = r.leaseExpiry;
          this.nextLeaseExpiry = Math.min(this.nextLeaseExpiry, r.leaseExpiry);
        }
        w.add(p);
      }
      this.readCursor = Number(msgs[msgs.length - 1]!.id) + 1;
      if (autoAcked.length > 0) this.journalAsync({ a: toRanges(autoAcked) });
    }
  }

  /** Retention removed the log before `start`: what was pending there is gone. */
  private dropBelow(start: number): void {
    for (const [o, p] of this.window.pending) {
      if (o >= start) break;
      this.window.remove(p);
    }
    this.acked.addRange(0, start);
    this.readCursor = Math.max(this.readCursor, start);
  }

  // ---------------------------------------------------------------------------------------------------------------
  // 2. Expiry and giving back

  private expireLeases(now: number): void {
    if (now < this.nextLeaseExpiry) return;
    const due: Pending[] = [];
    for (const o of this.window.leased) {
      const p = this.window.get(o);
      if (p === undefined) this.window.leased.delete(o);
      else if (p.leaseExpiry <= now) due.push(p);
    }
    due.sort((a, b) => a.offset - b.offset);
    for (const p of due) {
      if (p.state !== 'leased') continue; // released as a later message of a key given back before it
      this.counters.expiredDeadlines++;
      this.release(p, now, false);
    }
    this.nextLeaseExpiry = this.window.earliestLeaseExpiry();
  }

  /** Gives a leased message back: backoff, or dead letter past the maximum attempts. */
  private release(p: Pending, now: number, nacked: boolean): void {
    this.window.leased.delete(p.offset);
    p.state = 'ready';
    this.window.markReady(p.offset);
    p.leaseExpiry = 0;
    if (nacked) this.counters.nackRate.add(now);
    const dlp = this.info.deadLetterPolicy;
    if (dlp !== undefined && p.attempts >= dlp.maxDeliveryAttempts) this.sendToDeadLetter(p);
    else {
      p.availableAt = now + backoffFor(this.info, p.attempts);
      this.journalAsync({ r: [[p.offset, p.availableAt]] });
    }
    const key = this.info.enableMessageOrdering ? p.msg.orderingKey : undefined;
    if (key !== undefined) {
      // The key's later messages out with it come back too, so that they are redelivered after it, in order.
      for (const o of [...this.window.leased]) {
        const q = this.window.get(o);
        if (q && q.offset > p.offset && q.msg.orderingKey === key && q.state === 'leased') {
          this.window.leased.delete(o);
          q.state = 'ready';
          this.window.markReady(o);
          q.leaseExpiry = 0;
          q.availableAt = 0;
          this.journalAsync({ r: [[q.offset, 0]] });
        }
      }
    }
    this.wake();
  }

  private sendToDeadLetter(p: Pending): void {
    p.state = 'dead-lettering';
    this.window.unready(p.offset);
    const epoch = this.epoch;
    this.deps.deadLetter(this, p.msg, p.attempts).then(
      () => {
        this.counters.deadLettered++;
        if (epoch !== this.epoch || this.window.get(p.offset) !== p) return; // acked or reset meanwhile
        this.window.remove(p);
        this.acked.add(p.offset);
        this.journalAsync({ a: [[p.offset, p.offset + 1]] });
        this.wake();
      },
      (e: unknown) => {
        this.deps.warn(`subscription ${this.info.name}: could not forward message ${p.msg.id} to dead-letter topic ${this.info.deadLetterPolicy?.deadLetterTopic}: ${(e as Error).message}; it stays in the subscription`);
        if (p.state === 'dead-lettering') {
          p.state = 'ready';
          this.window.markReady(p.offset);
          p.availableAt = this.deps.clock.now() + backoffFor(this.info, p.attempts);
        }
        this.wake();
      },
    );
  }

  // ---------------------------------------------------------------------------------------------------------------
  // 3. Delivery

  /** Leases up to `max` messages whose turn it is (no waiting). */
  async pullNow(max: number): Promise<ReceivedMessage[]> {
    this.requireLog();
    // A read ahead in progress is waited for only when too little is ready: the rest goes out meanwhile.
    if (this.filling === undefined || this.window.readyCount < max) await this.fill();
    const now = this.deps.clock.now();
    this.expireLeases(now);
    const out: ReceivedMessage[] = [];
    const ordering = this.info.enableMessageOrdering;
    const blocked = new Set<string>();
    const cut = now - this.info.messageRetentionDuration;
    const tooOld: Pending[] = [];
    const delivered: Array<[number, number, number]> = [];
    let nextAvailable = Infinity;
    const lease = (p: Pending): void => {
      p.attempts++;
      p.seq = this.ackIds.next();
      p.state = 'leased';
      p.leaseExpiry = now + this.info.ackDeadline;
      this.window.leased.add(p.offset);
      this.window.unready(p.offset);
      delivered.push([p.offset, p.attempts, p.leaseExpiry]);
      out.push({ id: p.msg.id, data: p.msg.data, attributes: p.msg.attributes, ...(p.msg.orderingKey !== undefined ? { orderingKey: p.msg.orderingKey } : {}), publishTime: p.msg.publishTime, ackId: this.ackIds.format(p.offset, p.seq), deliveryAttempt: p.attempts });
    };
    if (!ordering) {
      // Only the ready messages, in offset order: a pull does not walk past the leased ones.
      const ready = this.window.readyInOrder();
      for (const o of ready) {
        if (out.length >= max) break;
        const p = this.window.get(o);
        if (p === undefined || p.state !== 'ready') {
          this.window.unready(o);
          continue;
        }
        if (p.msg.publishTime < cut) tooOld.push(p);
        else if (p.availableAt > now) nextAvailable = Math.min(nextAvailable, p.availableAt);
        else lease(p);
      }
      this.window.settleReady();
    } else {
      for (const p of this.window.pending.values()) {
        if (out.length >= max) break;
        const key = p.msg.orderingKey;
        if (p.state !== 'ready') {
          if (key !== undefined) blocked.add(key);
          continue;
        }
        if (p.msg.publishTime < cut) {
          tooOld.push(p);
          continue;
        }
        if (key !== undefined && blocked.has(key)) continue;
        if (p.availableAt > now) {
          nextAvailable = Math.min(nextAvailable, p.availableAt);
          if (key !== undefined) blocked.add(key);
          continue;
        }
        lease(p);
      }
    }
    this.nextAvailableAt = nextAvailable;
    if (out.length > 0) {
      this.nextLeaseExpiry = Math.min(this.nextLeaseExpiry, now + this.info.ackDeadline);
      this.counters.deliveryRate.add(now, out.length);
      this.journalAsync({ d: delivered });
    }
    if (tooOld.length > 0) {
      for (const p of tooOld) {
        this.window.remove(p);
        this.acked.add(p.offset);
      }
      this.journalAsync({ a: toRanges(tooOld.map((p) => p.offset)) });
    }
    this.readAhead();
    return out;
  }

  /**
   * Loads the next messages from the log in the background when few are ready, so that pulls seldom wait for a disk
   * read (the reads overlap with the delivery of what is loaded). Its failure is the next pull's (which reads again).
   */
  private readAhead(): void {
    const log = this.log;
    if (this.filling !== undefined || this.closed || log === undefined) return;
    if (this.window.readyCount >= Math.min(READ_AHEAD_BELOW, this.deps.maxPendingMessages / 4) || this.readCursor >= log.endOffset) return;
    this.fill().catch(() => undefined);
  }

  /** Pulls, waiting up to `waitMs` (on the bus clock) for a first message. */
  async pull(max: number, waitMs: number, signal?: AbortSignal): Promise<ReceivedMessage[]> {
    const deadline = this.deps.clock.now() + waitMs;
    for (;;) {
      // An aborted pull (a closed stream) leases nothing: a lease given to no one would count a delivery attempt.
      if (signal?.aborted) return [];
      const got = await this.pullNow(max);
      const left = deadline - this.deps.clock.now();
      if (got.length > 0 || left <= 0 || this.closed || signal?.aborted) return got;
      await this.waitForChange(left, signal);
    }
  }

  /** Resolves on a change that may make a message available (publish, give-back, ack), a due lease or backoff, or `ms`. */
  private waitForChange(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const box: { timer?: ClockTimer } = {};
      const done = () => {
        box.timer?.cancel();
        this.waiters.delete(done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      this.waiters.add(done);
      signal?.addEventListener('abort', done, { once: true });
      const now = this.deps.clock.now();
      const nextEvent = Math.min(this.nextLeaseExpiry, this.nextAvailableAt) - now;
      box.timer = this.deps.clock.setTimer(done, Math.max(0, Math.min(ms, nextEvent)));
    });
  }

  private wake(): void {
    if (this.waiters.size === 0) return;
    const ws = [...this.waiters];
    this.waiters.clear();
    for (const w of ws) w();
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Acknowledgment

  /**
   * Checks an ack id against the current delivery. Exactly-once subscriptions need the current, unexpired lease;
   * others accept any delivery of a message not yet acked.
   */
  private check(id: string, now: number, strict: boolean): { p: Pending } | { reason: AckFailureReason; acked?: boolean } {
    const a = this.ackIds.parse(id);
    if (a === undefined) return { reason: 'invalid' };
    const p = this.window.get(a.offset);
    if (p === undefined) return this.acked.has(a.offset) ? { reason: 'already-acked', acked: true } : { reason: 'invalid' };
    if (a.seq > p.seq) return { reason: 'invalid' };
    if (!strict) return { p };
    if (p.state === 'leased' && p.seq === a.seq && now < p.leaseExpiry) return { p };
    return { reason: 'expired' };
  }

  async acknowledge(ackIds: readonly string[]): Promise<AckResponse> {
    this.requireLog();
    const now = this.deps.clock.now();
    const eod = this.info.enableExactlyOnceDelivery;
    const succeeded: string[] = [];
    const failed: Array<{ ackId: string; reason: AckFailureReason }> = [];
    const offsets: number[] = [];
    for (const id of ackIds) {
      const c = this.check(id, now, eod);
      if ('p' in c) {
        this.window.remove(c.p);
        this.acked.add(c.p.offset);
        offsets.push(c.p.offset);
        succeeded.push(id);
      } else if (c.acked && !eod) succeeded.push(id); // at-least-once: acking twice is harmless
      else failed.push({ ackId: id, reason: c.reason });
    }
    if (offsets.length > 0) {
      this.counters.ackRate.add(now, offsets.length);
      this.wake();
      await this.journal.append({ a: toRanges(offsets) });
    }
    return { succeeded, failed };
  }

  async modifyAckDeadline(ackIds: readonly string[], ms: number): Promise<AckResponse> {
    if (!Number.isFinite(ms) || ms < 0 || ms > 600_000) {
      throw new BusInvalidArgumentError(`an ack deadline must be between 0 and 600 s, not ${ms} ms`, { hint: "pass e.g. '30s'; 0 gives the message back at once" });
    }
    if (ms === 0) return this.nack(ackIds);
    this.requireLog();
    const now = this.deps.clock.now();
    const succeeded: string[] = [];
    const failed: Array<{ ackId: string; reason: AckFailureReason }> = [];
    const recs: Array<[number, number, number]> = [];
    for (const id of ackIds) {
      const c = this.check(id, now, true);
      if ('p' in c) {
        c.p.leaseExpiry = now + ms;
        recs.push([c.p.offset, c.p.attempts, c.p.leaseExpiry]);
        succeeded.push(id);
      } else failed.push({ ackId: id, reason: c.reason });
    }
    if (recs.length > 0) {
      this.nextLeaseExpiry = this.window.earliestLeaseExpiry();
      await this.journal.append({ d: recs });
    }
    return { succeeded, failed };
  }

  async nack(ackIds: readonly string[]): Promise<AckResponse> {
    this.requireLog();
    const now = this.deps.clock.now();
    const succeeded: string[] = [];
    const failed: Array<{ ackId: string; reason: AckFailureReason }> = [];
    const due: Pending[] = [];
    for (const id of ackIds) {
      const c = this.check(id, now, true);
      if ('p' in c) {
        due.push(c.p);
        succeeded.push(id);
      } else failed.push({ ackId: id, reason: c.reason });
    }
    due.sort((a, b) => a.offset - b.offset);
    for (const p of due) if (p.state === 'leased') this.release(p, now, true);
    // An empty record resolves after the give-back records queued before it: the nack is durable when answered.
    if (due.length > 0) await this.journal.append({ a: [] });
    return { succeeded, failed };
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Seek and snapshots

  /** The acked offsets now (for a snapshot). */
  ackedRanges(): Array<[number, number]> {
    return this.acked.ranges();
  }

  /** Replaces the acknowledgment state (seek); outstanding ack ids become invalid. Durable when it resolves. */
  async resetTo(acked: OffsetSet): Promise<void> {
    const log = this.requireLog();
    this.epoch++;
    this.window.clear();
    this.restored.clear();
    this.acked = acked;
    this.readCursor = log.startOffset;
    this.nextLeaseExpiry = Infinity;
    this.nextAvailableAt = Infinity;
    this.ackIds.invalidateIssued(); // ack ids issued before the seek no longer match any delivery
    await this.journal.compact();
    this.wake();
  }

  /** Seeks to a time: published before it → acked; at or after → unacked (acked ones too only if retained). */
  async seekToTime(t: number): Promise<void> {
    const log = this.requireLog();
    const at = await log.offsetForTime(t);
    const next = new OffsetSet();
    next.addRange(0, at);
    if (!this.info.retainAckedMessages) for (const [a, b] of this.acked.ranges()) if (b > at) next.addRange(Math.max(a, at), b);
    await this.resetTo(next);
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Stats and lifecycle

  async stats(): Promise<SubscriptionStats> {
    const now = this.deps.clock.now();
    // Leases due now expire first, so that expiredDeadlines and outstandingMessages agree.
    if (this.log) this.expireLeases(now);
    const base = this.counters.base(this.info, now);
    return backlogStats(base, { log: this.log, acked: this.acked, window: this.window, readCursor: this.readCursor, now });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe?.();
    this.wake();
    await this.journal.close();
  }

  /** Closes and removes the subscription's files. */
  async destroy(): Promise<void> {
    await this.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Sorted offsets → [start, end) ranges. */
export function toRanges(offsets: readonly number[]): Array<[number, number]> {
  const s = [...offsets].sort((a, b) => a - b);
  const out: Array<[number, number]> = [];
  for (const o of s) {
    const last = out[out.length - 1];
    if (last && last[1] === o) last[1] = o + 1;
    else if (!last || o >= last[1]) out.push([o, o + 1]);
  }
  return out;
}
