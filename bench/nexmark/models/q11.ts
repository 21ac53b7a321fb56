import { sec } from '../queries/query-config.ts';
import { bidsOf, push, type QueryModel } from './common.ts';

/**
 * Q11: per bidder, its bids split into sessions wherever two consecutive bids are windowSizeSec or more apart; each
 * session [first bid, last bid + gap) with its number of bids.
 */
export const model11: QueryModel = (events, config) => {
  const gap = sec(config.windowSizeSec);
  const times = new Map<number, number[]>();
  for (const { bid, timestamp } of bidsOf(events)) push(times, bid.bidder, timestamp);
  const out: string[] = [];
  for (const [bidder, ts] of times) {
    ts.sort((a, b) => a - b);
    let start = ts[0]!;
    let last = start;
    let n = 0;
    for (const t of ts) {
      if (t >= last + gap) {
        out.push(`[${start},${last + gap}) ${bidder} ${n}`);
        start = t;
        n = 0;
      }
      last = t;
      n++;
    }
    out.push(`[${start},${last + gap}) ${bidder} ${n}`);
  }
  return out;
};
