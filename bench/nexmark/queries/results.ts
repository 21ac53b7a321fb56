import type { Auction, Bid } from '../model.ts';

/** Result types of the queries, named as in Beam's `nexmark.model`. */

/** Q2: a selected bid's auction and price. */
export interface AuctionPrice {
  readonly auction: number;
  readonly price: number;
}

/** Q3: a seller in OR/ID/CA and one of their category-10 auctions. */
export interface NameCityStateId {
  readonly name: string;
  readonly city: string;
  readonly state: string;
  readonly id: number;
}

/** Q4: average winning price of a category (in a sliding window). */
export interface CategoryPrice {
  readonly category: number;
  readonly price: number;
  readonly isLast: boolean;
}

/** Q5: an auction with the most bids in a sliding window, and that count. */
export interface AuctionCount {
  readonly auction: number;
  readonly num: number;
}

/** Q6: a seller's average selling price over their last 10 winning bids. */
export interface SellerPrice {
  readonly seller: number;
  readonly price: number;
}

/** Q8: a new person who opened an auction in the same window. */
export interface IdNameReserve {
  readonly id: number;
  readonly name: string;
  readonly reserve: number;
}

/** Q9 (and WinningBids): a closed auction and its winning bid. */
export interface AuctionBid {
  readonly auction: Auction;
  readonly bid: Bid;
}

/** Q11, Q12: a bidder's number of bids in a session / processing-time pane. */
export interface BidsPerSession {
  readonly personId: number;
  readonly sessionCount: number;
}

/** Q10: one window's log files were all written. */
export interface Done {
  readonly message: string;
  /** The window's last instant. */
  readonly windowMaxTimestamp: number;
  readonly files: number;
  readonly records: number;
}
