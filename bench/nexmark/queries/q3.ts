import { flattenWith, kv, parDo, state, timer, type KV } from '../../../src/index.ts';
import type { Auction, Person } from '../model.ts';
import { justNewAuctions, justNewPersons, type NexmarkQuery } from './query.ts';
import { sec } from './query-config.ts';
import type { NameCityStateId } from './results.ts';

type SellerEvent = { readonly person: Person; readonly auction?: undefined } | { readonly auction: Auction; readonly person?: undefined };

const STATES = new Set(['OR', 'ID', 'CA']);

/**
 * Query 3, local item suggestion: sellers in OR, ID or CA with each of their auctions in category 10 — (name, city,
 * state, auction id). As in Beam, an incremental join in the global window with a stateful DoFn per seller: the
 * person is kept once seen (auctions then join at once), auctions wait in a bag until their seller registers, and a
 * timer clears both maxAuctionsWaitingTime after the seller's latest event.
 */
export const q3: NexmarkQuery<NameCityStateId> = {
  id: 3,
  name: 'local item suggestion',
  build(events, config) {
    const auctions = justNewAuctions(events)
      .filter((a) => a.category === 10, 'Q3.InCategory')
      .map((a): KV<number, SellerEvent> => kv(a.seller, { auction: a }), 'Q3.BySeller');
    const persons = justNewPersons(events)
      .filter((p) => STATES.has(p.state), 'Q3.InState')
      .map((p): KV<number, SellerEvent> => kv(p.id, { person: p }), 'Q3.ById');
    const waitMs = sec(config.maxAuctionsWaitingTime);
    return auctions.apply('Q3.Flatten', flattenWith([persons])).apply(
      'Q3.Join',
      parDo({
        outputs: {},
        state: { person: state.value<Person>(), auctions: state.bag<Auction>() },
        timers: { expiry: timer.eventTime() },
        process(e: KV<number, SellerEvent>, ctx) {
          const known = ctx.state.person.read();
          const { person, auction } = e.value;
          if (person !== undefined) {
            if (known === undefined) {
              ctx.state.person.write(person);
              for (const pending of ctx.state.auctions.read()) ctx.output(result(person, pending));
              ctx.state.auctions.clear();
            }
            // A second registration of the same id is a generator error; Beam counts it and ignores it.
          } else if (known !== undefined) {
            ctx.output(result(known, auction));
          } else {
            ctx.state.auctions.add(auction);
          }
          ctx.timers.expiry.set(ctx.timestamp + waitMs);
        },
        onTimer: {
          expiry(ctx) {
            ctx.state.person.clear();
            ctx.state.auctions.clear();
          },
        },
      }),
    );
  },
  canonical: (o) => `${o.value.id} ${o.value.name} ${o.value.city} ${o.value.state}`,
};

function result(p: Person, a: Auction): NameCityStateId {
  return { name: p.name, city: p.city, state: p.state, id: a.id };
}
