import { combine, window, type CombineFn, type KV } from '../../../src/index.ts';
import type { Bid } from '../model.ts';
import { justBids, windowText, type NexmarkQuery } from './query.ts';
import { sec } from './query-config.ts';
import type { AuctionCount } from './results.ts';

interface Top {
  num: number;
  auctions: number[];
}

/** Keeps every auction that has the highest bid count (ties kept), as Beam's TopCombineFn. */
const topAuctions: CombineFn<KV<number, number>, Top, Top> = {
  name: 'topAuctions',
  createAccumulator: () => ({ num: 0, auctions: [] }),
  addInput(acc, e) {
    if (e.value > acc.num) {
      acc.num = e.value;
      acc.auctions = [e.key];
    } else if (e.value === acc.num) acc.auctions.push(e.key);
    return acc;
  },
  mergeAccumulators(accs) {
    const out: Top = { num: 0, auctions: [] };
    for (const a of accs) {
      if (a.num > out.num) {
        out.num = a.num;
        out.auctions = a.auctions.slice();
      } else if (a.num === out.num) out.auctions.push(...a.auctions);
    }
    return out;
  },
  extractOutput: (acc) => acc,
};

/**
 * Query 5, hot items: per sliding window (windowSizeSec every windowPeriodSec), the auctions with the most bids and
 * that count — bids counted per auction, then a global combine keeping the maximum with ties.
 */
export const q5: NexmarkQuery<AuctionCount> = {
  id: 5,
  name: 'hot items',
  build: (events, config) =>
    justBids(events)
      .apply('Q5.Sliding', window.into<Bid>(window.sliding(sec(config.windowSizeSec), sec(config.windowPeriodSec))))
      .apply('Q5.CountPerAuction', combine.perKey((b: Bid) => b.auction, combine.count<Bid>()))
      .apply('Q5.Top', combine.globally(topAuctions, { withoutDefaults: true }))
      .flatMap((top) => top.auctions.map((auction): AuctionCount => ({ auction, num: top.num })), 'Q5.Select'),
  canonical: (o) => `${windowText(o.window)} ${o.value.auction} ${o.value.num}`,
};
