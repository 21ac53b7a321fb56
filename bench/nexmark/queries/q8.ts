import { coGroupByKey, kv, window } from '../../../src/index.ts';
import type { Auction, Person } from '../model.ts';
import { justNewAuctions, justNewPersons, windowText, type NexmarkQuery } from './query.ts';
import { sec } from './query-config.ts';
import type { IdNameReserve } from './results.ts';

/**
 * Query 8, monitor new users: people who registered and opened an auction in the same fixed window
 * (windowSizeSec) — (person id, name, the auction's reserve), one per auction, from a per-window join of new people by
 * id with new auctions by seller.
 */
export const q8: NexmarkQuery<IdNameReserve> = {
  id: 8,
  name: 'monitor new users',
  build(events, config) {
    const size = sec(config.windowSizeSec);
    const persons = justNewPersons(events)
      .apply('Q8.PersonWindows', window.into<Person>(window.fixed(size)))
      .map((p) => kv(p.id, p), 'Q8.PersonById');
    const auctions = justNewAuctions(events)
      .apply('Q8.AuctionWindows', window.into<Auction>(window.fixed(size)))
      .map((a) => kv(a.seller, a), 'Q8.AuctionBySeller');
    return coGroupByKey({ persons, auctions }, 'Q8.Join').flatMap(function* (g) {
      if (g.value.auctions.length === 0) return;
      for (const p of g.value.persons) for (const a of g.value.auctions) yield { id: p.id, name: p.name, reserve: a.reserve };
    }, 'Q8.Select');
  },
  canonical: (o) => `${windowText(o.window)} ${o.value.id} ${o.value.name} ${o.value.reserve}`,
};
