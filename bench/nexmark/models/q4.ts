import { sec } from '../queries/query-config.ts';
import { slidingWindowsOf, windowKey, type QueryModel } from './common.ts';
import { winningBidsModel } from './winning-bids.ts';

/** Q4: per sliding window and category, the rounded mean price of the winning bids timestamped in it. */
export const model4: QueryModel = (events, config) => {
  const sums = new Map<string, { sum: number; count: number }>();
  for (const wb of winningBidsModel(events)) {
    for (const w of slidingWindowsOf(wb.timestamp, sec(config.windowSizeSec), sec(config.windowPeriodSec))) {
      const k = `${windowKey(w)} ${wb.auction.category}`;
      const s = sums.get(k) ?? { sum: 0, count: 0 };
      s.sum += wb.bid.price;
      s.count += 1;
      sums.set(k, s);
    }
  }
  return [...sums].map(([k, s]) => `${k} ${Math.floor(s.sum / s.count + 0.5)} true`);
};
