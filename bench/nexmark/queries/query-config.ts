/**
 * The part of Beam's NexmarkConfiguration that the queries read, with Beam's defaults. The generator's own
 * configuration (rates, proportions, hot ratios) lives beside the generator; the fields repeated here (event rates,
 * generators, in-flight auctions) are the ones WinningBids needs to size its bid windows.
 */
export interface NexmarkQueryConfig {
  /** Size of fixed/sliding/session windows (Q5, Q7, Q8, Q10, Q11, Q12; Q4's sliding windows). */
  readonly windowSizeSec: number;
  /** Period of sliding windows (Q4, Q5). */
  readonly windowPeriodSec: number;
  /** Q2 keeps bids whose auction id is a multiple of this. */
  readonly auctionSkip: number;
  /** Hot-key fanout Beam uses for global combines (Q4, Q5, Q7); a performance hint only. */
  readonly fanout: number;
  /** Q10 and Q11: the element count after which a pane fires early. */
  readonly maxLogEvents: number;
  /** Q11's allowed lateness is half of this (integer seconds, as in Beam). */
  readonly occasionalDelaySec: number;
  /** Q3: how long (s) after a seller's last event its join state is kept. */
  readonly maxAuctionsWaitingTime: number;
  /** Q10: shards per window and pane (Beam: maxNumWorkers × 5). */
  readonly numLogShards: number;
  /** Q10: directory the log files go to; Q10 refuses to run without one. */
  readonly outputPath?: string;
  /** Generator rates (events per second), used for WinningBids' expected auction duration. */
  readonly firstEventRate: number;
  readonly nextEventRate: number;
  readonly numEventGenerators: number;
  readonly numInFlightAuctions: number;
}

export const defaultQueryConfig: NexmarkQueryConfig = Object.freeze({
  windowSizeSec: 10,
  windowPeriodSec: 5,
  auctionSkip: 123,
  fanout: 5,
  maxLogEvents: 100_000,
  occasionalDelaySec: 3,
  maxAuctionsWaitingTime: 600,
  numLogShards: 5,
  firstEventRate: 10_000,
  nextEventRate: 10_000,
  numEventGenerators: 100,
  numInFlightAuctions: 100,
});

/** Beam's proportions: 1 person, 3 auctions, 46 bids in every 50 events. */
const PROPORTION_DENOMINATOR = 50;
const AUCTION_PROPORTION = 3;

/**
 * How long an auction is expected to stay open when events come at the slowest configured rate (ms). WinningBids
 * gives each bid a window of twice this, so that a bid for an auction not seen yet still meets it.
 */
export function expectedAuctionDurationMs(config: NexmarkQueryConfig): number {
  // Per-generator delay between events at a rate (µs, rounded as Beam's rate shape does), times the generators.
  const delayUs = (rate: number) => Math.floor((1_000_000 + Math.floor(rate / 2)) / rate) * config.numEventGenerators;
  let longest = Math.max(delayUs(config.firstEventRate), delayUs(config.nextEventRate));
  longest = Math.floor((longest * PROPORTION_DENOMINATOR) / AUCTION_PROPORTION);
  longest *= config.numInFlightAuctions;
  return Math.floor((longest + 999) / 1000);
}

export const sec = (s: number): number => s * 1000;
