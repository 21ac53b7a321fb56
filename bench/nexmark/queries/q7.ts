import { combine, parDo, view, window } from '../../../src/index.ts';
import type { Bid } from '../model.ts';
import { justBids, windowText, type NexmarkQuery } from './query.ts';
import { sec } from './query-config.ts';

/**
 * Query 7, highest bid: per fixed window (windowSizeSec), the bids at the window's highest price. As in Beam, the
 * maximum is computed globally per window and read back as a singleton side input by a DoFn that keeps the bids
 * at that price. (Beam adds withFanout(fanout) to the global max; Riffle lifts the combine before its shuffle, so
 * a user has no reason to, and the result is the same.)
 */
export const q7: NexmarkQuery<Bid> = {
  id: 7,
  name: 'highest bid',
  build(events, config) {
    const bids = justBids(events).apply('Q7.Fixed', window.into<Bid>(window.fixed(sec(config.windowSizeSec))));
    const maxPrice = bids
      .map((b) => b.price, 'Q7.Price')
      .apply('Q7.MaxPrice', combine.globally(combine.max(), { withoutDefaults: true }))
      .apply('Q7.MaxPriceView', view.asSingleton<number | undefined>());
    return bids.apply(
      'Q7.AtMaxPrice',
      parDo({
        outputs: {},
        sideInputs: { maxPrice },
        process(b: Bid, ctx) {
          if (b.price === ctx.side.maxPrice) ctx.output(b);
        },
      }),
    );
  },
  canonical: (o) => `${windowText(o.window)} ${o.value.auction} ${o.value.bidder} ${o.value.price} ${o.value.dateTime}`,
};
