/**
 * A subscription's statistics (`riffle bus stats`, `Bus.stats`): its delivery, ack and nack rates over the last
 * minute and its counts (SubscriptionCounters, kept by subscription.ts as things happen), and its backlog computed
 * from the log and the acked set: messages, bytes (the loaded ones exactly, the rest at the topic's mean size), the
 * oldest unacked message's age, and the outstanding (leased) messages.
 * @example
 *   const counters = new SubscriptionCounters();
 *   counters.ackRate.add(now, 10);
 *   await backlogStats(counters.base(info, now), { log, acked, window, readCursor, now })
 */
import type { SubscriptionInfo, SubscriptionStats } from './bus-api.ts';
import type { OffsetSet } from './offset-set.ts';
import type { PendingWindow } from './pending-window.ts';
import { RateCounter } from './rate-counter.ts';
import type { TopicLog } from './topic-log.ts';

type BaseStats = Pick<SubscriptionStats, 'subscription' | 'topic' | 'deliveryRate' | 'ackRate' | 'nackRate' | 'expiredDeadlines' | 'deadLettered'>;

/** What a subscription counts as it delivers, acks, nacks, expires and dead-letters. */
export class SubscriptionCounters {
  readonly deliveryRate = new RateCounter();
  readonly ackRate = new RateCounter();
  readonly nackRate = new RateCounter();
  expiredDeadlines = 0;
  deadLettered = 0;

  /** The rates and counts at `now`. */
  base(info: SubscriptionInfo, now: number): BaseStats {
    return {
      subscription: info.name,
      topic: info.topic,
      deliveryRate: this.deliveryRate.perSecond(now),
      ackRate: this.ackRate.perSecond(now),
      nackRate: this.nackRate.perSecond(now),
      expiredDeadlines: this.expiredDeadlines,
      deadLettered: this.deadLettered,
    };
  }
}

/** The full statistics: `base` with the backlog over `log` (none for a detached subscription). */
export async function backlogStats(
  base: BaseStats,
  s: { log: TopicLog | undefined; acked: OffsetSet; window: PendingWindow; readCursor: number; now: number },
): Promise<SubscriptionStats> {
  const { log, acked, window, now } = s;
  if (!log) return { ...base, backlogMessages: 0, backlogBytes: 0, outstandingMessages: 0 };
  const start = log.startOffset;
  const end = log.endOffset;
  const backlog = Math.max(0, end - start - acked.countIn(start, end));
  const avg = end > start ? log.bytes / (end - start) : 0;
  const unread = Math.max(0, end - Math.max(s.readCursor, start) - acked.countIn(Math.max(s.readCursor, start), end));
  const backlogBytes = Math.round(window.bytes + unread * avg);
  let oldestUnackedAge: number | undefined;
  const first = acked.nextAbsent(start);
  if (first < end) {
    const p = window.get(first);
    const t = p ? p.msg.publishTime : (await log.read(first, 1, 1))[0]?.publishTime;
    if (t !== undefined) oldestUnackedAge = Math.max(0, now - t);
  }
  return oldestUnackedAge !== undefined
    ? { ...base, backlogMessages: backlog, backlogBytes, oldestUnackedAge, outstandingMessages: window.leased.size }
    : { ...base, backlogMessages: backlog, backlogBytes, outstandingMessages: window.leased.size };
}
