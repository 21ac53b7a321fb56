import { combine, kv, trigger, window, type CombineFn, type KV, type Observed } from '../../../src/index.ts';
import type { Bid } from '../model.ts';
import type { NexmarkQuery } from './query.ts';
import type { SellerPrice } from './results.ts';
import { winningBids } from './winning-bids.ts';
import { javaRound } from './q4.ts';

const LAST_BIDS = 10;

/** Bids by time, then price (Beam's ASCENDING_TIME_THEN_PRICE). */
export function byTimeThenPrice(a: Bid, b: Bid): number {
  return a.dateTime - b.dateTime || a.price - b.price;
}

/** The mean price of the `n` most recent bids (Beam's MovingMeanSellingPrice), rounded; 0 without bids. */
function movingMeanSellingPrice(n: number): CombineFn<Bid, Bid[], number> {
  const keepLast = (bids: Bid[]) => {
    bids.sort(byTimeThenPrice);
    return bids.length > n ? bids.slice(bids.length - n) : bids;
  };
  return {
    name: `movingMean(${n})`,
    createAccumulator: () => [],
    addInput: (acc, bid) => {
      acc.push(bid);
      return acc.length > 2 * n ? keepLast(acc) : acc;
    },
    mergeAccumulators: (accs) => keepLast(accs.flat()),
    compact: keepLast,
    extractOutput(acc) {
      const last = keepLast(acc.slice());
      if (last.length === 0) return 0;
      let sum = 0;
      for (const b of last) sum += b.price;
      return javaRound(sum / last.length);
    },
  };
}

/**
 * Query 6, average selling price by seller: the winning bids keyed by seller, in the global window with a pane after
 * every winning bid (accumulating), each pane the mean of the seller's last 10 winning bids (by bid time).
 *
 * Panes depend on how elements are bundled, so what is compared is each seller's final value: the output of its
 * last pane (highest pane index), which covers all its winning bids.
 */
export const q6: NexmarkQuery<SellerPrice> = {
  id: 6,
  name: 'average selling price by seller',
  build: (events, config) =>
    winningBids(events, config)
      .map((ab) => kv(ab.auction.seller, ab.bid), 'Q6.BySeller')
      .apply(
        'Q6.EveryWinningBid',
        window.into<KV<number, Bid>>(window.global(), { trigger: trigger.repeatedly(trigger.afterCount(1)), accumulation: 'accumulating', allowedLateness: 0 }),
      )
      .apply('Q6.MovingMean', combine.perKey<number, Bid, number>(movingMeanSellingPrice(LAST_BIDS)))
      .map((e): SellerPrice => ({ seller: e.key, price: e.value }), 'Q6.Select'),
  canonical: (o) => `${o.value.seller} ${o.value.price}`,
  summarize(outs) {
    const last = new Map<number, Observed<SellerPrice>>();
    for (const o of outs) {
      const prev = last.get(o.value.seller);
      if (prev === undefined || o.pane.index > prev.pane.index) last.set(o.value.seller, o);
    }
    return [...last.values()].map((o) => `${o.value.seller} ${o.value.price}`);
  },
};
