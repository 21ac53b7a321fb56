import { coders, coGroupByKey, IntervalWindow, kv, window, type BoundedWindow, type Coder, type PCollection, type WindowFn, type WindowMerge } from '../../../src/index.ts';
import type { NexmarkEvent } from '../model.ts';
import { compareBids, justBids, justNewAuctions } from './query.ts';
import { expectedAuctionDurationMs, type NexmarkQueryConfig } from './query-config.ts';
import type { AuctionBid } from './results.ts';

/**
 * The window of an auction (its lifetime, [dateTime, expires)) or of one bid (a provisional span from the bid's time).
 * Bid windows merge into their auction's window, which brings an auction and its bids together without global state.
 */
export class AuctionOrBidWindow extends IntervalWindow {
  #key: string | undefined;
  constructor(
    start: number,
    end: number,
    readonly auction: number,
    readonly isAuctionWindow: boolean,
  ) {
    super(start, end);
  }
  override get key(): string {
    return (this.#key ??= `${this.start}:${this.end}:${this.auction}:${this.isAuctionWindow ? 'a' : 'b'}`);
  }
}

const intervalCoder = coders.intervalWindow();

/** An AuctionOrBidWindow's bytes (its interval, auction id and kind), so that it crosses worker threads whole. */
export const auctionOrBidWindowCoder: Coder<BoundedWindow> = {
  name: 'nexmark-auction-or-bid-window',
  deterministic: true,
  encode(w, out) {
    const a = w as AuctionOrBidWindow;
    intervalCoder.encode(a, out);
    out.varUint(a.auction);
    out.byte(a.isAuctionWindow ? 1 : 0);
  },
  decode(input) {
    const i = intervalCoder.decode(input);
    const auction = input.varUint();
    return new AuctionOrBidWindow(i.start, i.end, auction, input.byte() === 1);
  },
};

/**
 * Beam's AuctionOrBidWindowFn. An auction gets the window of its lifetime; a bid gets [t, t + 2 × the expected auction
 * duration), enough to meet an auction the stream has not shown yet. Per auction id, every bid window that starts
 * before the auction closes merges into the auction's window; other bid windows expire on their own, unmatched.
 */
export function auctionOrBidWindows(expectedDurationMs: number): WindowFn<NexmarkEvent> {
  return window.custom<NexmarkEvent>({
    name: `nexmark-auction-or-bid(${expectedDurationMs})`,
    windowCoder: auctionOrBidWindowCoder,
    assign(t, e): readonly BoundedWindow[] {
      if (e.type === 'auction') return [new AuctionOrBidWindow(t, e.auction.expires, e.auction.id, true)];
      if (e.type === 'bid') return [new AuctionOrBidWindow(t, t + 2 * expectedDurationMs, e.bid.auction, false)];
      throw new TypeError(`auction-or-bid windows take auctions and bids, not a ${e.type}`);
    },
    merge(windows): WindowMerge[] {
      const auctions = new Map<number, AuctionOrBidWindow>();
      const bids = new Map<number, AuctionOrBidWindow[]>();
      for (const w of windows as AuctionOrBidWindow[]) {
        if (w.isAuctionWindow) auctions.set(w.auction, w);
        else {
          const list = bids.get(w.auction);
          if (list) list.push(w);
          else bids.set(w.auction, [w]);
        }
      }
      const merges: WindowMerge[] = [];
      for (const [id, auctionWindow] of auctions) {
        const pending = bids.get(id)?.filter((b) => b.start < auctionWindow.end);
        if (pending && pending.length > 0) merges.push({ toMerge: [...pending, auctionWindow], result: auctionWindow });
      }
      return merges;
    },
  });
}

/**
 * Beam's WinningBids: for each auction that closed, its best bid — the highest price at or above the reserve, the
 * earliest among equal prices — made before the auction expired. Auctions without such a bid give nothing. Each
 * result is timestamped at the end of the auction's window (expires − 1).
 */
export function winningBids(events: PCollection<NexmarkEvent>, config: NexmarkQueryConfig): PCollection<AuctionBid> {
  const windowed = events
    .filter((e) => e.type !== 'person', 'AuctionOrBid')
    .apply('WindowAuctionOrBid', window.into<NexmarkEvent>(auctionOrBidWindows(expectedAuctionDurationMs(config))));
  const auctionsById = justNewAuctions(windowed).map((a) => kv(a.id, a), 'AuctionById');
  const bidsByAuction = justBids(windowed).map((b) => kv(b.auction, b), 'BidByAuction');
  return coGroupByKey({ auctions: auctionsById, bids: bidsByAuction }, 'JoinAuctionsAndBids').flatMap(function* (g) {
    const auction = g.value.auctions[0];
    if (auction === undefined) return; // bids whose auction never came (or had already closed)
    let best: AuctionBid['bid'] | undefined;
    for (const bid of g.value.bids) {
      if (bid.dateTime >= auction.expires) throw new Error(`bid at ${bid.dateTime} joined auction ${auction.id} that expired at ${auction.expires}`);
      if (bid.price < auction.reserve) continue;
      if (best === undefined || compareBids(bid, best) > 0) best = bid;
    }
    if (best !== undefined) yield { auction, bid: best };
  }, 'BestBid');
}
