import { sec } from '../queries/query-config.ts';
import { bidsOf, slidingWindowsOf, windowKey, type QueryModel } from './common.ts';

/** Q5: per sliding window, the auctions with the most bids in it (all of them on a tie) and that count. */
export const model5: QueryModel = (events, config) => {
  const counts = new Map<string, Map<number, number>>();
  for (const { bid, timestamp } of bidsOf(events)) {
    for (const w of slidingWindowsOf(timestamp, sec(config.windowSizeSec), sec(config.windowPeriodSec))) {
      const k = windowKey(w);
      const perAuction = counts.get(k) ?? new Map<number, number>();
      perAuction.set(bid.auction, (perAuction.get(bid.auction) ?? 0) + 1);
      counts.set(k, perAuction);
    }
  }
  const out: string[] = [];
  for (const [w, perAuction] of counts) {
    const top = Math.max(...perAuction.values());
    for (const [auction, n] of perAuction) if (n === top) out.push(`${w} ${auction} ${n}`);
  }
  return out;
};
