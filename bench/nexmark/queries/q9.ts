import type { NexmarkQuery } from './query.ts';
import type { AuctionBid } from './results.ts';
import { winningBids } from './winning-bids.ts';

/** Query 9, winning bids: Beam's WinningBids transform on its own (see winning-bids.ts). */
export const q9: NexmarkQuery<AuctionBid> = {
  id: 9,
  name: 'winning bids',
  build: (events, config) => winningBids(events, config),
  canonical: (o) => `${o.timestamp} ${o.value.auction.id} ${o.value.bid.bidder} ${o.value.bid.price} ${o.value.bid.dateTime}`,
};
