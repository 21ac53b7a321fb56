import type { Person } from '../model.ts';
import { auctionsOf, personsOf, type QueryModel } from './common.ts';

/**
 * Q3: every (seller, auction) with the seller in OR, ID or CA and the auction in category 10, whatever their order.
 * (The pipeline also forgets a seller maxAuctionsWaitingTime — 10 min — of event time after its last event; the
 * generator's sellers are recent people, so within the stream their auctions always come well before that.)
 */
export const model3: QueryModel = (events) => {
  const sellers = new Map<number, Person>();
  for (const { person } of personsOf(events)) if (['OR', 'ID', 'CA'].includes(person.state)) sellers.set(person.id, person);
  const out: string[] = [];
  for (const { auction } of auctionsOf(events)) {
    const p = sellers.get(auction.seller);
    if (auction.category === 10 && p !== undefined) out.push(`${auction.id} ${p.name} ${p.city} ${p.state}`);
  }
  return out;
};
