import { combine, trigger, window, type Observed } from '../../../src/index.ts';
import { justBids, windowText, type NexmarkQuery } from './query.ts';
import { sec } from './query-config.ts';
import type { BidsPerSession } from './results.ts';

/**
 * Query 11, user sessions: per bidder, sessions of bids with gaps under windowSizeSec, and the number of bids in each.
 * As in Beam the trigger is Repeatedly(AfterCount(maxLogEvents)) (discarding) with occasionalDelaySec / 2 of allowed
 * lateness: a session of fewer than maxLogEvents bids gives one pane when it expires; a longer one gives a pane per
 * maxLogEvents bids and the rest at expiry. What is compared is the count per bidder and session, summed over panes.
 */
export const q11: NexmarkQuery<BidsPerSession> = {
  id: 11,
  name: 'user sessions',
  build: (events, config) =>
    justBids(events)
      .map((b) => b.bidder, 'Q11.Bidder')
      .apply(
        'Q11.Sessions',
        window.into<number>(window.sessions(sec(config.windowSizeSec)), {
          trigger: trigger.repeatedly(trigger.afterCount(config.maxLogEvents)),
          accumulation: 'discarding',
          allowedLateness: sec(Math.floor(config.occasionalDelaySec / 2)),
        }),
      )
      .apply('Q11.CountPerBidder', combine.perKey((bidder: number) => bidder, combine.count<number>()))
      .map((e): BidsPerSession => ({ personId: e.key, sessionCount: e.value }), 'Q11.ToResult'),
  canonical: (o) => `${windowText(o.window)} ${o.value.personId} ${o.value.sessionCount}`,
  summarize: (outs) => sumPerKey(outs, (o) => `${windowText(o.window)} ${o.value.personId}`),
};

/** Sums sessionCount per key (panes of one window, or of one bidder), as `key count` strings. */
export function sumPerKey(outs: readonly Observed<BidsPerSession>[], keyOf: (o: Observed<BidsPerSession>) => string): string[] {
  const sums = new Map<string, number>();
  for (const o of outs) {
    const k = keyOf(o);
    sums.set(k, (sums.get(k) ?? 0) + o.value.sessionCount);
  }
  return [...sums].map(([k, n]) => `${k} ${n}`);
}
