import type { Bid } from '../model.ts';
import { justBids, type NexmarkQuery } from './query.ts';

/** Query 1, currency conversion: every bid with its price in euros (× 89 / 100, rounded down as Beam's longs are). */
export const q1: NexmarkQuery<Bid> = {
  id: 1,
  name: 'currency conversion',
  build: (events) => justBids(events).map((b): Bid => ({ ...b, price: Math.floor((b.price * 89) / 100) }), 'Q1.ToEuros'),
  canonical: (o) => `${o.timestamp} ${o.value.auction} ${o.value.bidder} ${o.value.price} ${o.value.dateTime}`,
};
