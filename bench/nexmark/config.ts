/**
 * Nexmark's configuration, with Beam's defaults (`NexmarkConfiguration`), and the values the generator derives from
 * it (Beam's `GeneratorConfig`): inter-event delays, the rate-shape epoch, and which event number an event count maps
 * to when events are shuffled in out-of-order groups.
 */

export type RateShape = 'square' | 'sine';
export type RateUnit = 'perSecond' | 'perMinute';

export interface NexmarkConfig {
  /** Number of events to generate; 0 means as many as the generator's counters allow (effectively unbounded). */
  readonly numEvents: number;
  /**
   * Number of event generators, each on its own timeline (Beam's default is 100). Each covers a contiguous range of
   * event ids, and its events are spaced by `numEventGenerators` times the overall inter-event delay, so the
   * generators together make the configured rate.
   */
  readonly numEventGenerators: number;
  readonly rateShape: RateShape;
  /** Initial overall event rate, in `rateUnit`. */
  readonly firstEventRate: number;
  /** Next overall event rate, in `rateUnit`: the rate moves between the two following `rateShape`. */
  readonly nextEventRate: number;
  readonly rateUnit: RateUnit;
  /** Period of the rate shape, in seconds. */
  readonly ratePeriodSec: number;
  /** Streaming: emit events only when their (wallclock-shifted) time comes. */
  readonly isRateLimited: boolean;
  /** Use the wallclock at generation as the base time instead of `baseTime` (the stream is then not reproducible). */
  readonly useWallclockEventTime: boolean;
  /** Event time of the first event, ms since the epoch (Beam: 2015-07-15T00:00:00Z). */
  readonly baseTime: number;
  readonly avgPersonByteSize: number;
  readonly avgAuctionByteSize: number;
  readonly avgBidByteSize: number;
  /** A bid is for a hot auction with probability 1 - 1/hotAuctionRatio. */
  readonly hotAuctionRatio: number;
  /** An auction is by a hot seller with probability 1 - 1/hotSellersRatio. */
  readonly hotSellersRatio: number;
  /** A bid is by a hot bidder with probability 1 - 1/hotBiddersRatio. */
  readonly hotBiddersRatio: number;
  readonly windowSizeSec: number;
  readonly windowPeriodSec: number;
  /** Streaming: hold the source watermark back by this many seconds. */
  readonly watermarkHoldbackSec: number;
  /** Average number of auctions in flight at any time, per generator. */
  readonly numInFlightAuctions: number;
  /** Number of most recent people who may place auctions or bids. */
  readonly numActivePeople: number;
  /** Query 2 keeps bids of every `auctionSkip`-th auction. */
  readonly auctionSkip: number;
  /** Fanout for queries 4, 5 and 7. */
  readonly fanout: number;
  /** Query 3: how long (event time, seconds) a person waits in state for auctions. */
  readonly maxAuctionsWaitingTime: number;
  /** Streaming and rate limited: a delayed event is held back up to this long (seconds)... */
  readonly occasionalDelaySec: number;
  /** ...with this probability. */
  readonly probDelayedEvent: number;
  /** Query 10: maximum events per log file. */
  readonly maxLogEvents: number;
  /** Events are shuffled within groups of this many (per generator); 1 keeps them in order. */
  readonly outOfOrderGroupSize: number;
  /** Query 11's session gap is `windowSizeSec`; this is the side-input session join's (not in queries 0–12). */
  readonly sessionGapSec: number;
  readonly numKeyBuckets: number;
}

/** 2015-07-15T00:00:00Z: Beam's fixed base time, so every run sees the same event stream. */
export const BEAM_BASE_TIME = Date.UTC(2015, 6, 15);

/** Beam's `NexmarkConfiguration` defaults. */
export const DEFAULT_CONFIG: NexmarkConfig = Object.freeze({
  numEvents: 100_000,
  numEventGenerators: 100,
  rateShape: 'sine',
  firstEventRate: 10_000,
  nextEventRate: 10_000,
  rateUnit: 'perSecond',
  ratePeriodSec: 600,
  isRateLimited: false,
  useWallclockEventTime: false,
  baseTime: BEAM_BASE_TIME,
  avgPersonByteSize: 200,
  avgAuctionByteSize: 500,
  avgBidByteSize: 100,
  hotAuctionRatio: 2,
  hotSellersRatio: 4,
  hotBiddersRatio: 4,
  windowSizeSec: 10,
  windowPeriodSec: 5,
  watermarkHoldbackSec: 0,
  numInFlightAuctions: 100,
  numActivePeople: 1000,
  auctionSkip: 123,
  fanout: 5,
  maxAuctionsWaitingTime: 600,
  occasionalDelaySec: 3,
  probDelayedEvent: 0.1,
  maxLogEvents: 100_000,
  outOfOrderGroupSize: 1,
  sessionGapSec: 600,
  numKeyBuckets: 20_000,
} satisfies NexmarkConfig);

/** Beam's defaults with some values replaced. */
export function defaultConfig(overrides: Partial<NexmarkConfig> = {}): NexmarkConfig {
  return { ...DEFAULT_CONFIG, ...overrides };
}

/** Proportions of people, auctions and bids: in every 50 consecutive event ids, 1 person, 3 auctions, 46 bids. */
export const PERSON_PROPORTION = 1;
export const AUCTION_PROPORTION = 3;
export const BID_PROPORTION = 46;
export const PROPORTION_DENOMINATOR = PERSON_PROPORTION + AUCTION_PROPORTION + BID_PROPORTION;

/** Ids start above zero so that queries find matches even on small data sets. */
export const FIRST_AUCTION_ID = 1000;
export const FIRST_PERSON_ID = 1000;
export const FIRST_CATEGORY_ID = 10;

const SINE_STEPS = 10;

function rateToPeriodUs(rate: number, unit: RateUnit): number {
  const usPerUnit = unit === 'perSecond' ? 1_000_000 : 60_000_000;
  return Math.floor((usPerUnit + Math.floor(rate / 2)) / rate);
}

/** The successive inter-event delays (µs, per generator) that make `shape` between the two rates. */
export function interEventDelaysUs(config: NexmarkConfig): number[] {
  const { firstEventRate, nextEventRate, rateUnit, numEventGenerators: n } = config;
  if (firstEventRate === nextEventRate) return [rateToPeriodUs(firstEventRate, rateUnit) * n];
  if (config.rateShape === 'square') {
    return [rateToPeriodUs(firstEventRate, rateUnit) * n, rateToPeriodUs(nextEventRate, rateUnit) * n];
  }
  const mid = (firstEventRate + nextEventRate) / 2;
  const amp = (firstEventRate - nextEventRate) / 2;
  const delays: number[] = [];
  for (let i = 0; i < SINE_STEPS; i++) {
    const rate = mid + amp * Math.cos((2 * Math.PI * i) / SINE_STEPS);
    delays.push(rateToPeriodUs(javaRound(rate), rateUnit) * n);
  }
  return delays;
}

/** Seconds between changes of inter-event delay, so the whole shape repeats every `ratePeriodSec`. */
export function stepLengthSec(config: NexmarkConfig): number {
  const steps = config.rateShape === 'square' ? 2 : SINE_STEPS;
  return Math.floor((config.ratePeriodSec + steps - 1) / steps);
}

/** Java's `Math.round(double)` (half up, as JavaScript's `Math.round` for the magnitudes used here). */
export function javaRound(x: number): number {
  return Math.round(x);
}

/**
 * One generator's slice of the event space (Beam's `GeneratorConfig`): `maxEvents` events with ids from
 * `firstEventId + firstEventNumber`, timed from `firstEventNumber` on the shared timeline.
 */
export class GeneratorConfig {
  readonly config: NexmarkConfig;
  readonly baseTime: number;
  readonly firstEventId: number;
  readonly maxEvents: number;
  readonly firstEventNumber: number;
  readonly interEventDelayUs: readonly number[];
  readonly stepLengthSec: number;
  /** With several delays: events and milliseconds to run through all of them once. */
  readonly eventsPerEpoch: number;
  readonly epochPeriodMs: number;
  /** For the hot path: the single delay, or -1 when the rate varies. */
  private readonly fixedDelayUs: number;
  private readonly groupSize: number;

  constructor(config: NexmarkConfig, baseTime: number, firstEventId: number, maxEventsOrZero: number, firstEventNumber: number) {
    this.config = config;
    this.baseTime = baseTime;
    this.firstEventId = firstEventId;
    this.firstEventNumber = firstEventNumber;
    this.interEventDelayUs = interEventDelaysUs(config);
    this.stepLengthSec = stepLengthSec(config);
    this.maxEvents = maxEventsOrZero === 0 ? unboundedMaxEvents(config) : maxEventsOrZero;
    let eventsPerEpoch = 0;
    let epochPeriodMs = 0;
    if (this.interEventDelayUs.length > 1) {
      for (const delay of this.interEventDelayUs) {
        const eventsThisCycle = Math.floor((this.stepLengthSec * 1_000_000) / delay);
        eventsPerEpoch += eventsThisCycle;
        epochPeriodMs += Math.floor((eventsThisCycle * delay) / 1000);
      }
    }
    this.eventsPerEpoch = eventsPerEpoch;
    this.epochPeriodMs = epochPeriodMs;
    this.fixedDelayUs = this.interEventDelayUs.length === 1 ? this.interEventDelayUs[0]! : -1;
    this.groupSize = config.outOfOrderGroupSize;
    if (!(this.groupSize >= 1)) throw new RangeError(`outOfOrderGroupSize must be ≥ 1, got ${this.groupSize}`);
  }

  /** The standard config of a run: all events, from event id 0, at Beam's base time (or now, with wallclock time). */
  static standard(config: NexmarkConfig): GeneratorConfig {
    const baseTime = config.useWallclockEventTime ? Date.now() : config.baseTime;
    return new GeneratorConfig(config, baseTime, 0, config.numEvents, 0);
  }

  copyWith(firstEventId: number, maxEvents: number, firstEventNumber: number): GeneratorConfig {
    return new GeneratorConfig(this.config, this.baseTime, firstEventId, maxEvents, firstEventNumber);
  }

  /** Splits into `n` configs over disjoint id ranges on parallel timelines (the last takes the remainder). */
  split(n: number): GeneratorConfig[] {
    if (n === 1) return [this];
    const parts: GeneratorConfig[] = [];
    let subMaxEvents = Math.floor(this.maxEvents / n);
    let subFirstEventId = this.firstEventId;
    for (let i = 0; i < n; i++) {
      if (i === n - 1) subMaxEvents = this.maxEvents - subMaxEvents * (n - 1);
      parts.push(this.copyWith(subFirstEventId, subMaxEvents, this.firstEventNumber));
      subFirstEventId += subMaxEvents;
    }
    return parts;
  }

  /** Approximate bytes of `numEvents` events, from the average sizes. */
  estimatedBytesForEvents(numEvents: number): number {
    const people = Math.floor((numEvents * PERSON_PROPORTION) / PROPORTION_DENOMINATOR);
    const auctions = Math.floor((numEvents * AUCTION_PROPORTION) / PROPORTION_DENOMINATOR);
    const bids = Math.floor((numEvents * BID_PROPORTION) / PROPORTION_DENOMINATOR);
    return people * this.config.avgPersonByteSize + auctions * this.config.avgAuctionByteSize + bids * this.config.avgBidByteSize;
  }

  /** Approximate bytes of all the events of this config. */
  getEstimatedSizeBytes(): number {
    return this.estimatedBytesForEvents(this.maxEvents);
  }

  getStartEventId(): number {
    return this.firstEventId + this.firstEventNumber;
  }

  getStopEventId(): number {
    return this.firstEventId + this.firstEventNumber + this.maxEvents;
  }

  /** The event number of the next event after `numEvents` have been generated. */
  nextEventNumber(numEvents: number): number {
    return this.firstEventNumber + numEvents;
  }

  /** Like `nextEventNumber`, but shuffled within its out-of-order group (953 is coprime with typical group sizes). */
  nextAdjustedEventNumber(numEvents: number): number {
    const n = this.groupSize;
    const eventNumber = this.firstEventNumber + numEvents;
    if (n === 1) return eventNumber;
    const base = Math.floor(eventNumber / n) * n;
    return base + mulMod(eventNumber, 953, n);
  }

  /** The event number whose timestamp is a watermark for the events still to come (the start of the group). */
  nextEventNumberForWatermark(numEvents: number): number {
    const n = this.groupSize;
    const eventNumber = this.firstEventNumber + numEvents;
    return Math.floor(eventNumber / n) * n;
  }

  /** The event time of event number `eventNumber` on this generator's timeline. */
  timestampForEvent(eventNumber: number): number {
    if (this.fixedDelayUs >= 0) return this.baseTime + exactFloorDiv(eventNumber, this.fixedDelayUs, 1000);
    return this.timestampAndInterEventDelayUsForEvent(eventNumber)[0];
  }

  /** The event time of event number `eventNumber`, and the inter-event delay (µs) in force then. */
  timestampAndInterEventDelayUsForEvent(eventNumber: number): [timestamp: number, interEventDelayUs: number] {
    if (this.fixedDelayUs >= 0) {
      return [this.baseTime + exactFloorDiv(eventNumber, this.fixedDelayUs, 1000), this.fixedDelayUs];
    }
    const epoch = Math.floor(eventNumber / this.eventsPerEpoch);
    let n = eventNumber % this.eventsPerEpoch;
    let offsetInEpochMs = 0;
    for (const delay of this.interEventDelayUs) {
      const eventsThisCycle = Math.floor((this.stepLengthSec * 1_000_000) / delay);
      if (n < eventsThisCycle) {
        const offsetInCycleUs = n * delay;
        return [this.baseTime + epoch * this.epochPeriodMs + offsetInEpochMs + Math.floor(offsetInCycleUs / 1000), delay];
      }
      n -= eventsThisCycle;
      offsetInEpochMs += Math.floor((eventsThisCycle * delay) / 1000);
    }
    throw new Error('internal: eventsPerEpoch is inconsistent with the inter-event delays');
  }
}

/** Java's maximum for an unbounded run: Long.MAX_VALUE / (50 × the largest average size), so sizes never overflow. */
function unboundedMaxEvents(config: NexmarkConfig): number {
  const largest = Math.max(config.avgPersonByteSize, config.avgAuctionByteSize, config.avgBidByteSize);
  const max = 0x7fffffffffffffffn / BigInt(PROPORTION_DENOMINATOR * largest);
  return Number(max > BigInt(Number.MAX_SAFE_INTEGER) ? BigInt(Number.MAX_SAFE_INTEGER) : max);
}

/** floor(a × b / d) for non-negative integers, exact even when a × b passes 2^53. */
function exactFloorDiv(a: number, b: number, d: number): number {
  const product = a * b;
  if (product <= Number.MAX_SAFE_INTEGER) return Math.floor(product / d);
  return Number((BigInt(a) * BigInt(b)) / BigInt(d));
}

/** (a × b) mod n for non-negative integers, exact beyond 2^53 (Java computes it on longs). */
function mulMod(a: number, b: number, n: number): number {
  const product = a * b;
  if (product <= Number.MAX_SAFE_INTEGER) return product % n;
  return Number((BigInt(a) * BigInt(b)) % BigInt(n));
}
