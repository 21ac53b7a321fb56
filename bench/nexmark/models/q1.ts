import { bidsOf, type QueryModel } from './common.ts';

/** Q1: every bid, price × 89 / 100 rounded down. */
export const model1: QueryModel = (events) =>
  bidsOf(events).map(({ bid: b, timestamp }) => `${timestamp} ${b.auction} ${b.bidder} ${Math.floor((b.price * 89) / 100)} ${b.dateTime}`);
