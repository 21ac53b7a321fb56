import { sec } from '../queries/query-config.ts';
import { auctionsOf, fixedWindowOf, personsOf, windowKey, type QueryModel } from './common.ts';

/** Q8: per fixed window, each person registered in it paired with each auction they opened in the same window. */
export const model8: QueryModel = (events, config) => {
  const size = sec(config.windowSizeSec);
  const out: string[] = [];
  const auctions = auctionsOf(events);
  for (const { person, timestamp } of personsOf(events)) {
    const w = windowKey(fixedWindowOf(timestamp, size));
    for (const a of auctions) {
      if (a.auction.seller === person.id && windowKey(fixedWindowOf(a.timestamp, size)) === w) out.push(`${w} ${person.id} ${person.name} ${a.auction.reserve}`);
    }
  }
  return out;
};
