import { combine, kv, parDo, window, type KV } from '../../../src/index.ts';
import { windowText, type NexmarkQuery } from './query.ts';
import { sec } from './query-config.ts';
import type { CategoryPrice } from './results.ts';
import { winningBids } from './winning-bids.ts';

/**
 * Query 4, average price for a category: the winning bids of closed auctions (WinningBids, timestamped when the
 * auction closes), keyed by the auction's category, averaged per sliding window (windowSizeSec every
 * windowPeriodSec) and rounded (Java's Math.round). isLast records whether the pane was the window's final one.
 */
export const q4: NexmarkQuery<CategoryPrice> = {
  id: 4,
  name: 'average price for a category',
  build: (events, config) =>
    winningBids(events, config)
      .map((ab) => kv(ab.auction.category, ab.bid.price), 'Q4.ByCategory')
      .apply('Q4.Sliding', window.into<KV<number, number>>(window.sliding(sec(config.windowSizeSec), sec(config.windowPeriodSec))))
      .apply('Q4.Mean', combine.perKey<number, number, number>(combine.mean()))
      .apply(
        'Q4.Project',
        parDo<KV<number, number>, CategoryPrice>({
          process: (e, ctx) => ctx.output({ category: e.key, price: javaRound(e.value), isLast: ctx.pane.isLast }),
        }),
      ),
  canonical: (o) => `${windowText(o.window)} ${o.value.category} ${o.value.price} ${o.value.isLast}`,
};

/** Java's Math.round: halves round up. */
export function javaRound(x: number): number {
  return Math.floor(x + 0.5);
}
