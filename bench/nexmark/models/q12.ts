import { bidsOf, type QueryModel } from './common.ts';

/** Q12 (summed over panes): per bidder, its number of bids. */
export const model12: QueryModel = (events) => {
  const counts = new Map<number, number>();
  for (const { bid } of bidsOf(events)) counts.set(bid.bidder, (counts.get(bid.bidder) ?? 0) + 1);
  return [...counts].map(([bidder, n]) => `${bidder} ${n}`);
};
