import { AUCTION_PROPORTION, DEFAULT_CONFIG, interEventDelaysUs, PROPORTION_DENOMINATOR, type NexmarkConfig } from '../config.ts';

/**
 * What the queries read: Beam's NexmarkConfiguration (the generator's `NexmarkConfig`: windowSizeSec 10,
 * windowPeriodSec 5, auctionSkip 123, fanout 5, maxLogEvents 100,000, occasionalDelaySec 3,
 * maxAuctionsWaitingTime 600 s, and the rates WinningBids sizes its bid windows from), plus Query 10's output.
 */
export interface NexmarkQueryConfig extends NexmarkConfig {
  /** Q10: shards per window and pane (Beam: maxNumWorkers × 5 shards per worker). */
  readonly numLogShards: number;
  /** Q10: directory the log files go to; Q10 refuses to build without one. */
  readonly outputPath?: string;
}

export const defaultQueryConfig: NexmarkQueryConfig = Object.freeze({ ...DEFAULT_CONFIG, numLogShards: 5 });

/** Beam's defaults with some values replaced. */
export function queryConfig(overrides: Partial<NexmarkQueryConfig> = {}): NexmarkQueryConfig {
  return { ...defaultQueryConfig, ...overrides };
}

/**
 * How long an auction is expected to stay open when events come at the slowest configured rate (ms): the longest
 * per-generator inter-event delay, scaled to auctions only, times the auctions in flight. WinningBids gives each bid a
 * window of twice this, so that a bid for an auction not seen yet still meets it. 16,667 ms with the defaults.
 */
export function expectedAuctionDurationMs(config: NexmarkConfig): number {
  let longestUs = Math.max(...interEventDelaysUs(config));
  longestUs = Math.floor((longestUs * PROPORTION_DENOMINATOR) / AUCTION_PROPORTION);
  longestUs *= config.numInFlightAuctions;
  return Math.floor((longestUs + 999) / 1000);
}

export const sec = (s: number): number => s * 1000;
