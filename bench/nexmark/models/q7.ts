import { sec } from '../queries/query-config.ts';
import { bidsOf, fixedWindowOf, push, windowKey, type QueryModel } from './common.ts';
import type { Bid } from '../model.ts';

/** Q7: per fixed window, the bids at that window's highest price. */
export const model7: QueryModel = (events, config) => {
  const byWindow = new Map<string, Bid[]>();
  for (const { bid, timestamp } of bidsOf(events)) push(byWindow, windowKey(fixedWindowOf(timestamp, sec(config.windowSizeSec))), bid);
  const out: string[] = [];
  for (const [w, bids] of byWindow) {
    const top = Math.max(...bids.map((b) => b.price));
    for (const b of bids) if (b.price === top) out.push(`${w} ${b.auction} ${b.bidder} ${b.price} ${b.dateTime}`);
  }
  return out;
};
