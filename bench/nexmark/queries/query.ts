import { isIntervalWindow, type BoundedWindow, type Observed, type PCollection } from '../../../src/index.ts';
import type { Auction, Bid, NexmarkEvent, Person } from '../model.ts';
import type { NexmarkQueryConfig } from './query-config.ts';

/**
 * A Nexmark query: the pipeline (built with Riffle's public API) and how its outputs are written down to compare
 * them with the reference model (`../models/`), which produces the same canonical strings.
 */
export interface NexmarkQuery<R> {
  readonly id: number;
  readonly name: string;
  readonly build: (events: PCollection<NexmarkEvent>, config: NexmarkQueryConfig) => PCollection<R>;
  /** One output, with where it was (timestamp, window, pane), as a canonical string. */
  readonly canonical: (out: Observed<R>) => string;
  /**
   * For queries whose panes depend on bundling or processing time (Q6, Q11, Q12): reduces all outputs to what is
   * compared. Without it, the multiset of canonical forms is compared.
   */
  readonly summarize?: (outs: readonly Observed<R>[]) => string[];
}

/** A window as text: `[start,end)` for interval windows, else its key. */
export function windowText(w: BoundedWindow): string {
  return isIntervalWindow(w) ? `[${w.start},${w.end})` : w.key;
}

type Of<K extends NexmarkEvent['type']> = Extract<NexmarkEvent, { type: K }>;
const isBid = (e: NexmarkEvent): e is Of<'bid'> => e.type === 'bid';
const isAuction = (e: NexmarkEvent): e is Of<'auction'> => e.type === 'auction';
const isPerson = (e: NexmarkEvent): e is Of<'person'> => e.type === 'person';

/** The bids of the stream (Beam's JUST_BIDS). */
export function justBids(events: PCollection<NexmarkEvent>): PCollection<Bid> {
  return events.filter(isBid, 'IsBid').map((e) => (e as Of<'bid'>).bid, 'AsBid');
}

/** The new auctions of the stream (Beam's JUST_NEW_AUCTIONS). */
export function justNewAuctions(events: PCollection<NexmarkEvent>): PCollection<Auction> {
  return events.filter(isAuction, 'IsAuction').map((e) => (e as Of<'auction'>).auction, 'AsAuction');
}

/** The new people of the stream (Beam's JUST_NEW_PERSONS). */
export function justNewPersons(events: PCollection<NexmarkEvent>): PCollection<Person> {
  return events.filter(isPerson, 'IsPerson').map((e) => (e as Of<'person'>).person, 'AsPerson');
}

/** Bids first by price, then earlier is better (Beam's PRICE_THEN_DESCENDING_TIME), then by bidder and extra. */
export function compareBids(a: Bid, b: Bid): number {
  if (a.price !== b.price) return a.price < b.price ? -1 : 1;
  if (a.dateTime !== b.dateTime) return a.dateTime > b.dateTime ? -1 : 1;
  // Beam stops here and keeps whichever it saw first; a total order makes ties deterministic under any bundling.
  if (a.bidder !== b.bidder) return a.bidder > b.bidder ? -1 : 1;
  return a.extra === b.extra ? 0 : a.extra > b.extra ? -1 : 1;
}
