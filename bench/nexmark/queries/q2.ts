import { justBids, type NexmarkQuery } from './query.ts';
import type { AuctionPrice } from './results.ts';

/** Query 2, selection: the auction and price of bids on every auctionSkip-th auction (auction % 123 == 0). */
export const q2: NexmarkQuery<AuctionPrice> = {
  id: 2,
  name: 'selection',
  build: (events, config) =>
    justBids(events)
      .filter((b) => b.auction % config.auctionSkip === 0, 'Q2.Selected')
      .map((b): AuctionPrice => ({ auction: b.auction, price: b.price }), 'Q2.AuctionPrice'),
  canonical: (o) => `${o.timestamp} ${o.value.auction} ${o.value.price}`,
};
