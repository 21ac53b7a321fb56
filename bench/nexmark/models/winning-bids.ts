import type { Auction, Bid } from '../model.ts';
import { compareBids } from '../queries/query.ts';
import { auctionsOf, bidsOf, push, type TimestampedEvent } from './common.ts';

export interface WinningBid {
  readonly auction: Auction;
  readonly bid: Bid;
  /** When the result is emitted: the end of the auction's window, expires − 1. */
  readonly timestamp: number;
}

/**
 * The winning bid of every auction: among the bids for it made before it expires and at or above its reserve, the
 * highest price, the earliest at equal price (then by bidder, extra — see compareBids). Auctions without one are
 * left out.
 */
export function winningBidsModel(events: readonly TimestampedEvent[]): WinningBid[] {
  const bidsByAuction = new Map<number, Bid[]>();
  for (const { bid } of bidsOf(events)) push(bidsByAuction, bid.auction, bid);
  const out: WinningBid[] = [];
  for (const { auction } of auctionsOf(events)) {
    const valid = (bidsByAuction.get(auction.id) ?? []).filter((b) => b.dateTime < auction.expires && b.price >= auction.reserve);
    if (valid.length === 0) continue;
    const best = valid.reduce((a, b) => (compareBids(b, a) > 0 ? b : a));
    out.push({ auction, bid: best, timestamp: auction.expires - 1 });
  }
  return out;
}
