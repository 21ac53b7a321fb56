/**
 * Nexmark's data model, as Beam's `org.apache.beam.sdk.nexmark.model` defines it: people register, open auctions,
 * and bid. Timestamps (`dateTime`, `expires`) are event time in milliseconds since the epoch.
 */
export interface Person {
  readonly id: number;
  readonly name: string;
  readonly emailAddress: string;
  readonly creditCard: string;
  readonly city: string;
  readonly state: string;
  readonly dateTime: number;
  readonly extra: string;
}

export interface Auction {
  readonly id: number;
  readonly itemName: string;
  readonly description: string;
  readonly initialBid: number;
  readonly reserve: number;
  readonly dateTime: number;
  readonly expires: number;
  readonly seller: number;
  readonly category: number;
  readonly extra: string;
}

export interface Bid {
  readonly auction: number;
  readonly bidder: number;
  readonly price: number;
  readonly dateTime: number;
  readonly extra: string;
}

/** One event of the stream: exactly one of a new person, a new auction, or a bid. */
export type NexmarkEvent =
  | { readonly type: 'person'; readonly person: Person }
  | { readonly type: 'auction'; readonly auction: Auction }
  | { readonly type: 'bid'; readonly bid: Bid };

/** The timestamp of an event (its entity's dateTime). */
export function eventTimestamp(e: NexmarkEvent): number {
  return e.type === 'person' ? e.person.dateTime : e.type === 'auction' ? e.auction.dateTime : e.bid.dateTime;
}
