import type { QueryModel } from './common.ts';
import { winningBidsModel } from './winning-bids.ts';

/** Q9: the winning bid of every auction that has one, at the auction's close. */
export const model9: QueryModel = (events) =>
  winningBidsModel(events).map((wb) => `${wb.timestamp} ${wb.auction.id} ${wb.bid.bidder} ${wb.bid.price} ${wb.bid.dateTime}`);
