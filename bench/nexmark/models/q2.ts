import { bidsOf, type QueryModel } from './common.ts';

/** Q2: auction and price of the bids whose auction id is a multiple of auctionSkip. */
export const model2: QueryModel = (events, config) =>
  bidsOf(events)
    .filter(({ bid }) => bid.auction % config.auctionSkip === 0)
    .map(({ bid, timestamp }) => `${timestamp} ${bid.auction} ${bid.price}`);
