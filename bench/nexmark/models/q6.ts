import type { Bid } from '../model.ts';
import { push, type QueryModel } from './common.ts';
import { winningBidsModel } from './winning-bids.ts';

/** Q6 (final values): per seller, the rounded mean price of its 10 latest winning bids (by bid time, then price). */
export const model6: QueryModel = (events) => {
  const bySeller = new Map<number, Bid[]>();
  for (const wb of winningBidsModel(events)) push(bySeller, wb.auction.seller, wb.bid);
  return [...bySeller].map(([seller, bids]) => {
    const last = bids.sort((a, b) => a.dateTime - b.dateTime || a.price - b.price).slice(-10);
    const mean = last.reduce((s, b) => s + b.price, 0) / last.length;
    return `${seller} ${Math.floor(mean + 0.5)}`;
  });
};
