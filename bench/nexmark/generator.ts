/**
 * Nexmark's event generator, reproducing Beam's `Generator` event for event: each event is computed from its event
 * number alone (a `java.util.Random` seeded with the event id), so any range can be generated independently and the
 * same configuration always yields the same people, auctions and bids, with the same timestamps.
 *
 * It is written for speed (it feeds every Nexmark query, so it caps them all): events are made in runs (`fill`), the
 * hot random draws are stepped in locals (see `JavaRandom`), prices avoid most `Math.pow` calls (`nextPrice`), and
 * the characters of strings are written as bytes and turned into strings a run at a time (`flushBids`), since making a
 * string from bytes costs a call into the runtime that takes longer than generating a bid.
 */
import {
  AUCTION_PROPORTION,
  DEFAULT_CONFIG,
  FIRST_AUCTION_ID,
  FIRST_CATEGORY_ID,
  FIRST_PERSON_ID,
  GeneratorConfig,
  PERSON_PROPORTION,
  PROPORTION_DENOMINATOR,
  type NexmarkConfig,
} from './config.ts';
import { JavaRandom } from './java-random.ts';
import type { Auction, Bid, NexmarkEvent, Person } from './model.ts';

/** One generated event with its event time and the watermark the generator reports with it. */
export interface GeneratedEvent {
  readonly event: NexmarkEvent;
  /** Event time (ms): the entity's dateTime, shifted within its out-of-order group. */
  readonly eventTimestamp: number;
  /** No event generated after this one (by the same generator) has an earlier timestamp. */
  readonly watermark: number;
  /** When, relative to the first event, a rate-limited source emits it (ms): its unshuffled event time offset. */
  readonly emitOffsetMs: number;
}

const NUM_CATEGORIES = 5;
const AUCTION_ID_LEAD = 10;
const PERSON_ID_LEAD = 10;
const HOT_SELLER_RATIO = 100;
const HOT_AUCTION_RATIO = 100;
const HOT_BIDDER_RATIO = 100;
const MIN_STRING_LENGTH = 3;
const INT_MAX = 0x7fffffff;
const SPACE = 32;
const LOWER_A = 97;

const US_STATES = ['AZ', 'CA', 'ID', 'OR', 'WA', 'WY'];
const US_CITIES = ['Phoenix', 'Los Angeles', 'San Francisco', 'Boise', 'Portland', 'Bend', 'Redmond', 'Seattle', 'Kent', 'Cheyenne'];
const FIRST_NAMES = ['Peter', 'Paul', 'Luke', 'John', 'Saul', 'Vicky', 'Kate', 'Julie', 'Sarah', 'Deiter', 'Walter'];
const LAST_NAMES = ['Shultz', 'Abrams', 'Spencer', 'White', 'Bartels', 'Walton', 'Smith', 'Jones', 'Noris'];
/** Every "first last" name, indexed first × LAST_NAMES.length + last (the same strings the generator would join). */
const FULL_NAMES = FIRST_NAMES.flatMap((first) => LAST_NAMES.map((last) => first + ' ' + last));

/**
 * Bids' strings (their `extra`) are written into one buffer and cut from one string per this many bytes (about 60
 * bids at the default sizes). The cut strings share that string's memory (V8 makes a substring of 13 or more
 * characters a slice of its parent), so a bid kept alone keeps this much alive; people and auctions, which queries
 * do keep in state, each get a string of their own.
 */
const BID_CHUNK_BYTES = 4096;

/** The entities as built here: always every field, in the model's order, so each type has a single hidden class. */
type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * Generates the event a generator for `config` produces after `eventsCountSoFar` events (Beam's `nextEvent`). With a
 * plain `NexmarkConfig`, that is the standard single-timeline generator, where the count is the event number and id.
 */
export function generateEvent(config: NexmarkConfig | GeneratorConfig, eventsCountSoFar: number): GeneratedEvent {
  let generator = generators.get(config);
  if (generator === undefined) {
    generator = new EventGenerator(config instanceof GeneratorConfig ? config : GeneratorConfig.standard(config));
    generators.set(config, generator);
  }
  return generator.generate(eventsCountSoFar);
}
const generators = new WeakMap<NexmarkConfig | GeneratorConfig, EventGenerator>();

/**
 * The `n` events of a batch run over `config` (with `numEvents = n`), as Beam's bounded source produces them: split
 * into `numEventGenerators` id ranges on parallel timelines, each range in order, one after the other.
 */
export function generateEvents(config: NexmarkConfig = DEFAULT_CONFIG, n: number = config.numEvents): NexmarkEvent[] {
  const root = GeneratorConfig.standard({ ...config, numEvents: n });
  const out: NexmarkEvent[] = [];
  for (const part of root.split(config.numEventGenerators)) new EventGenerator(part).fill(0, part.maxEvents, out, null);
  return out;
}

/**
 * A buffer over its own ArrayBuffer (so 16-bit views of it are aligned). `latin1Slice` is the untyped method behind
 * `toString('latin1', ...)`, a good deal faster for the many strings made here.
 */
type Latin1Buffer = Buffer & { latin1Slice(start: number, end: number): string };
function latin1Buffer(size: number): Latin1Buffer {
  return Buffer.from(new ArrayBuffer(size)) as Latin1Buffer;
}

/** Generates the events of one `GeneratorConfig`, reusing one random number generator. */
export class EventGenerator {
  readonly config: GeneratorConfig;
  private readonly random = new JavaRandom();
  private readonly nexmark: NexmarkConfig;
  private readonly firstEventId: number;
  private readonly hotAuctionRatio: number;
  private readonly hotSellersRatio: number;
  private readonly hotBiddersRatio: number;
  private readonly numActivePeople: number;
  private readonly numInFlightAuctions: number;
  /** Events from one auction to the one numInFlightAuctions auctions later (the horizon of its length). */
  private readonly numEventsForAuctions: number;
  /** Bids' `extra` sizes: minimum and spread (0 for none), or a minimum of -1 when bids have no extra. */
  private readonly bidExtraMin: number;
  private readonly bidExtraSpread: number;

  /** Bytes of the bids' strings not made yet, and the bids waiting for them (their extra is '' until then). */
  private bidBytes = latin1Buffer(BID_CHUNK_BYTES + 64);
  private bidPairs = new Uint16Array(this.bidBytes.buffer);
  private bidPos = 0;
  private readonly pendingBids: Mutable<Bid>[] = [];
  private readonly pendingStarts: number[] = [];
  private readonly pendingEnds: number[] = [];
  private pendingCount = 0;
  /** Scratch space for the strings of one person or auction (every character Nexmark draws is a single byte). */
  private bytes = latin1Buffer(1024);
  /** The same bytes as 16-bit words, for writing two characters at once. */
  private pairs = new Uint16Array(this.bytes.buffer);

  constructor(config: GeneratorConfig) {
    this.config = config;
    const nexmark = (this.nexmark = config.config);
    this.firstEventId = config.firstEventId;
    this.hotAuctionRatio = nexmark.hotAuctionRatio;
    this.hotSellersRatio = nexmark.hotSellersRatio;
    this.hotBiddersRatio = nexmark.hotBiddersRatio;
    this.numActivePeople = nexmark.numActivePeople;
    this.numInFlightAuctions = nexmark.numInFlightAuctions;
    this.numEventsForAuctions = Math.floor((nexmark.numInFlightAuctions * PROPORTION_DENOMINATOR) / AUCTION_PROPORTION);
    const bidSize = 8 + 8 + 8 + 8;
    if (bidSize > nexmark.avgBidByteSize) {
      this.bidExtraMin = -1;
      this.bidExtraSpread = 0;
    } else {
      const average = nexmark.avgBidByteSize - bidSize;
      const delta = Math.round(average * 0.2);
      this.bidExtraMin = average - delta;
      this.bidExtraSpread = 2 * delta;
    }
  }

  /** Whether a generator that has produced `eventsCountSoFar` events has more to give. */
  hasNext(eventsCountSoFar: number): boolean {
    return eventsCountSoFar < this.config.maxEvents;
  }

  /** The event id (the Random's seed) of the event after `eventsCountSoFar`. */
  eventIdAt(eventsCountSoFar: number): number {
    return this.config.firstEventId + this.config.nextAdjustedEventNumber(eventsCountSoFar);
  }

  generate(eventsCountSoFar: number): GeneratedEvent {
    const gc = this.config;
    const adjustedNumber = gc.nextAdjustedEventNumber(eventsCountSoFar);
    const timestamp = gc.timestampForEvent(adjustedNumber);
    const event = this.nextEvent(adjustedNumber, timestamp);
    this.flushBids();
    const unshuffledTimestamp = gc.timestampForEvent(gc.nextEventNumber(eventsCountSoFar));
    const watermark = gc.timestampForEvent(gc.nextEventNumberForWatermark(eventsCountSoFar));
    return { event, eventTimestamp: timestamp, watermark, emitOffsetMs: unshuffledTimestamp - gc.baseTime };
  }

  /**
   * Appends the events after `from` up to `to` events (as `generate(from)`, ..., `generate(to - 1)` would make them)
   * to `values`, and their timestamps to `timestamps` unless null.
   */
  fill(from: number, to: number, values: NexmarkEvent[], timestamps: number[] | null): void {
    const gc = this.config;
    for (let count = from; count < to; count++) {
      const adjustedNumber = gc.nextAdjustedEventNumber(count);
      const timestamp = gc.timestampForEvent(adjustedNumber);
      values.push(this.nextEvent(adjustedNumber, timestamp));
      if (timestamps !== null) timestamps.push(timestamp);
    }
    this.flushBids();
  }

  /** The event with this (adjusted) event number. A bid's extra may be left for `flushBids` to fill in. */
  private nextEvent(adjustedNumber: number, timestamp: number): NexmarkEvent {
    const eventId = this.firstEventId + adjustedNumber;
    this.random.setSeed(eventId);
    const rem = eventId % PROPORTION_DENOMINATOR;
    if (rem >= PERSON_PROPORTION + AUCTION_PROPORTION) return { type: 'bid', bid: this.nextBid(eventId, timestamp) };
    if (rem < PERSON_PROPORTION) return { type: 'person', person: this.nextPerson(eventId, timestamp) };
    return { type: 'auction', auction: this.nextAuction(adjustedNumber, eventId, timestamp) };
  }

  private nextPerson(eventId: number, timestamp: number): Person {
    const random = this.random;
    const id = lastBase0PersonId(eventId) + FIRST_PERSON_ID;
    const first = random.nextIntBounded(FIRST_NAMES.length);
    const name = FULL_NAMES[first * LAST_NAMES.length + random.nextIntBounded(LAST_NAMES.length)]!;
    // The email address, "<string 7>@<string 5>.com", then the credit card number, then the extra, in one string.
    const emailEnd = this.writeEmail(0);
    let bytes = this.bytes;
    let pos = emailEnd;
    for (let i = 0; i < 4; i++) {
      if (i > 0) bytes[pos++] = SPACE;
      let n = random.nextIntBounded(10000);
      for (let d = 3; d >= 0; d--) {
        bytes[pos + d] = 48 + (n % 10);
        n = (n / 10) | 0;
      }
      pos += 4;
    }
    const cardEnd = pos;
    const city = US_CITIES[random.nextIntBounded(US_CITIES.length)]!;
    const state = US_STATES[random.nextIntBounded(US_STATES.length)]!;
    const currentSize = 8 + name.length + emailEnd + (cardEnd - emailEnd) + city.length + state.length;
    const extraStart = (cardEnd + 1) & ~1;
    const extraEnd = extraStart + this.writeExtra(extraStart, currentSize, this.nexmark.avgPersonByteSize);
    bytes = this.bytes; // writeExtra may have grown it
    const all = bytes.latin1Slice(0, extraEnd);
    const person: Mutable<Person> = {
      id,
      name,
      emailAddress: all.slice(0, emailEnd),
      creditCard: all.slice(emailEnd, cardEnd),
      city,
      state,
      dateTime: timestamp,
      extra: all.slice(extraStart, extraEnd),
    };
    return person;
  }

  /** Writes "<nextString(7)>@<nextString(5)>.com" at `pos` of the scratch bytes; returns where it ends. */
  private writeEmail(pos: number): number {
    const bytes = this.bytes;
    const userEnd = this.writeString(pos, 7);
    let start = pos;
    let end = userEnd;
    while (start < end && bytes[start] === SPACE) start++;
    while (end > start && bytes[end - 1] === SPACE) end--;
    if (start > pos) bytes.copyWithin(pos, start, end);
    pos += end - start;
    bytes[pos++] = 64; // '@'
    const domainEnd = this.writeString(pos, 5);
    start = pos;
    end = domainEnd;
    while (start < end && bytes[start] === SPACE) start++;
    while (end > start && bytes[end - 1] === SPACE) end--;
    if (start > pos) bytes.copyWithin(pos, start, end);
    pos += end - start;
    bytes[pos++] = 46; // ".com"
    bytes[pos++] = 99;
    bytes[pos++] = 111;
    bytes[pos++] = 109;
    return pos;
  }

  private nextAuction(adjustedNumber: number, eventId: number, timestamp: number): Auction {
    const random = this.random;
    const id = lastBase0AuctionId(eventId) + FIRST_AUCTION_ID;
    let seller: number;
    if (random.nextIntBounded(this.hotSellersRatio) > 0) {
      // A hot seller: the first of the latest block of HOT_SELLER_RATIO people.
      seller = Math.floor(lastBase0PersonId(eventId) / HOT_SELLER_RATIO) * HOT_SELLER_RATIO;
    } else {
      seller = this.nextBase0PersonId(eventId);
    }
    seller += FIRST_PERSON_ID;
    const category = FIRST_CATEGORY_ID + random.nextIntBounded(NUM_CATEGORIES);
    const initialBid = nextPrice(random);
    const expires = timestamp + this.nextAuctionLengthMs(adjustedNumber, timestamp);
    // The item name, the description and the extra, in one string.
    const nameEnd = this.writeString(0, 20);
    const descriptionEnd = this.writeString(nameEnd, 100);
    const reserve = initialBid + nextPrice(random);
    let bytes = this.bytes;
    let nameStart = 0;
    let nameStop = nameEnd;
    while (nameStart < nameStop && bytes[nameStart] === SPACE) nameStart++;
    while (nameStop > nameStart && bytes[nameStop - 1] === SPACE) nameStop--;
    let descriptionStart = nameEnd;
    let descriptionStop = descriptionEnd;
    while (descriptionStart < descriptionStop && bytes[descriptionStart] === SPACE) descriptionStart++;
    while (descriptionStop > descriptionStart && bytes[descriptionStop - 1] === SPACE) descriptionStop--;
    const currentSize = 8 + (nameStop - nameStart) + (descriptionStop - descriptionStart) + 8 + 8 + 8 + 8 + 8;
    const extraStart = (descriptionEnd + 1) & ~1;
    const extraEnd = extraStart + this.writeExtra(extraStart, currentSize, this.nexmark.avgAuctionByteSize);
    bytes = this.bytes; // writeExtra may have grown it
    const all = bytes.latin1Slice(0, extraEnd);
    const auction: Mutable<Auction> = {
      id,
      itemName: all.slice(nameStart, nameStop),
      description: all.slice(descriptionStart, descriptionStop),
      initialBid,
      reserve,
      dateTime: timestamp,
      expires,
      seller,
      category,
      extra: all.slice(extraStart, extraEnd),
    };
    return auction;
  }

  private nextBid(eventId: number, timestamp: number): Bid {
    const random = this.random;
    let auction: number;
    if (random.nextIntBounded(this.hotAuctionRatio) > 0) {
      // A hot auction: the first of the latest block of HOT_AUCTION_RATIO auctions.
      auction = Math.floor(lastBase0AuctionId(eventId) / HOT_AUCTION_RATIO) * HOT_AUCTION_RATIO;
    } else {
      auction = this.nextBase0AuctionId(eventId);
    }
    auction += FIRST_AUCTION_ID;
    let bidder: number;
    if (random.nextIntBounded(this.hotBiddersRatio) > 0) {
      // A hot bidder: the second of the latest block of people, so hot bidders are never hot sellers.
      bidder = Math.floor(lastBase0PersonId(eventId) / HOT_BIDDER_RATIO) * HOT_BIDDER_RATIO + 1;
    } else {
      bidder = this.nextBase0PersonId(eventId);
    }
    bidder += FIRST_PERSON_ID;
    const price = nextPrice(random);
    const bid: Mutable<Bid> = { auction, bidder, price, dateTime: timestamp, extra: '' };
    if (this.bidExtraMin < 0) return bid;
    const size = this.bidExtraMin + (this.bidExtraSpread === 0 ? 0 : random.nextIntBounded(this.bidExtraSpread));
    if (size === 0) return bid;
    // Its extra goes into the bids' buffer (at an even offset, for 16-bit writes), made into a string later.
    let start = this.bidPos;
    if (start + size > BID_CHUNK_BYTES && this.pendingCount > 0) {
      this.flushBids();
      start = 0;
    }
    if (size + 8 > this.bidBytes.length) {
      this.bidBytes = latin1Buffer(2 * (size + 8));
      this.bidPairs = new Uint16Array(this.bidBytes.buffer);
    }
    this.writeExactString(this.bidPairs, start >> 1, size);
    const k = this.pendingCount++;
    this.pendingBids[k] = bid;
    this.pendingStarts[k] = start;
    this.pendingEnds[k] = start + size;
    this.bidPos = (start + size + 1) & ~1;
    return bid;
  }

  /** Gives the bids waiting for their extra their strings, cut from one. */
  private flushBids(): void {
    const n = this.pendingCount;
    if (n === 0) return;
    const chunk = this.bidBytes.latin1Slice(0, this.pendingEnds[n - 1]!);
    const bids = this.pendingBids;
    const starts = this.pendingStarts;
    const ends = this.pendingEnds;
    for (let k = 0; k < n; k++) bids[k]!.extra = chunk.slice(starts[k], ends[k]);
    this.pendingCount = 0;
    this.bidPos = 0;
  }

  /** A random recent person (base 0): one of the active people, or a few ids not created yet. */
  private nextBase0PersonId(eventId: number): number {
    const numPeople = lastBase0PersonId(eventId) + 1;
    const activePeople = Math.min(numPeople, this.numActivePeople);
    return numPeople - activePeople + nextLong(this.random, activePeople + PERSON_ID_LEAD);
  }

  /** A random auction (base 0) among those likely in flight, or a few ids not created yet. */
  private nextBase0AuctionId(eventId: number): number {
    const maxAuction = lastBase0AuctionId(eventId);
    const minAuction = Math.max(maxAuction - this.numInFlightAuctions, 0);
    return minAuction + nextLong(this.random, maxAuction - minAuction + 1 + AUCTION_ID_LEAD);
  }

  /** Auction length: averaging the time until numInFlightAuctions more auctions have been created. */
  private nextAuctionLengthMs(adjustedNumber: number, timestamp: number): number {
    const futureAuction = this.config.timestampForEvent(adjustedNumber + this.numEventsForAuctions);
    const horizonMs = futureAuction - timestamp;
    return 1 + nextLong(this.random, Math.max(horizonMs * 2, 1));
  }

  /**
   * Writes Nexmark's `nextString(maxLength)` at `pos` of the scratch bytes: 3 to maxLength - 1 lower-case letters
   * and spaces (untrimmed), each a draw below 13 (0 for a space) and, for a letter, one below 26. Returns the end.
   */
  private writeString(pos: number, maxLength: number): number {
    const random = this.random;
    const len = MIN_STRING_LENGTH + random.nextIntBounded(maxLength - MIN_STRING_LENGTH);
    if (pos + len > this.bytes.length) this.growBytes(pos + len);
    const bytes = this.bytes;
    const end = pos + len;
    // random.nextIntBounded(13) and (26), inlined with the state in locals (JavaRandom.next, its constants written out).
    let hi = random.hi;
    let lo = random.lo;
    while (pos < end) {
      let u: number;
      let r: number;
      do {
        hi = (Math.imul(hi, 0xece66d) + Math.imul(lo, 0x5de) + (((lo * 0xece66d + 0xb) * 5.9604644775390625e-8) | 0)) & 0xffffff;
        lo = (Math.imul(lo, 0xece66d) + 0xb) & 0xffffff;
        u = (hi << 7) | (lo >>> 17);
        r = u % 13;
      } while (((u - r + 12) | 0) < 0);
      if (r === 0) {
        bytes[pos++] = SPACE;
        continue;
      }
      do {
        hi = (Math.imul(hi, 0xece66d) + Math.imul(lo, 0x5de) + (((lo * 0xece66d + 0xb) * 5.9604644775390625e-8) | 0)) & 0xffffff;
        lo = (Math.imul(lo, 0xece66d) + 0xb) & 0xffffff;
        u = (hi << 7) | (lo >>> 17);
        r = u % 26;
      } while (((u - r + 25) | 0) < 0);
      bytes[pos++] = LOWER_A + r;
    }
    random.hi = hi;
    random.lo = lo;
    return end;
  }

  /**
   * Writes the padding that brings `currentSize` to `desiredAverageSize` on average (±20%) at the even offset `pos`
   * of the scratch bytes, growing them if needed; returns its length.
   */
  private writeExtra(pos: number, currentSize: number, desiredAverageSize: number): number {
    if (currentSize > desiredAverageSize) return 0;
    const average = desiredAverageSize - currentSize;
    const delta = Math.round(average * 0.2);
    const minSize = average - delta;
    const size = minSize + (delta === 0 ? 0 : this.random.nextIntBounded(2 * delta));
    if (pos + size + 8 > this.bytes.length) this.growBytes(pos + size + 8);
    this.writeExactString(this.pairs, pos >> 1, size);
    return size;
  }

  private growBytes(atLeast: number): void {
    const bigger = latin1Buffer(2 * atLeast + 8);
    this.bytes.copy(bigger);
    this.bytes = bigger;
    this.pairs = new Uint16Array(bigger.buffer);
  }

  /**
   * Writes Nexmark's `nextExactString(length)` into `pairs` from index `at` (rounded up to whole random ints: up to
   * 5 bytes past the end are overwritten): six characters from each random int, as base-26 digits from the lowest.
   * Java's `%` and `/` keep the sign of a negative int, so its characters then fall below 'a' (into `[\]^_` and
   * capitals): that is part of the stream and reproduced as is. Two digits at a time come from a table indexed by
   * the int's remainder mod 676.
   */
  private writeExactString(pairs: Uint16Array, at: number, length: number): void {
    const random = this.random;
    // random.nextInt(), inlined with the state in locals (JavaRandom.next, its constants written out).
    let hi = random.hi;
    let lo = random.lo;
    for (let i = 0, k = at; i < length; i += 6) {
      hi = (Math.imul(hi, 0xece66d) + Math.imul(lo, 0x5de) + (((lo * 0xece66d + 0xb) * 5.9604644775390625e-8) | 0)) & 0xffffff;
      lo = (Math.imul(lo, 0xece66d) + 0xb) & 0xffffff;
      let rnd = (hi << 8) | (lo >>> 16);
      pairs[k++] = DIGIT_PAIRS[(rnd % 676) + 675]!;
      rnd = (rnd / 676) | 0;
      pairs[k++] = DIGIT_PAIRS[(rnd % 676) + 675]!;
      rnd = (rnd / 676) | 0;
      pairs[k++] = DIGIT_PAIRS[(rnd % 676) + 675]!;
    }
    random.hi = hi;
    random.lo = lo;
  }
}

/**
 * For r in (-676, 676): the two characters of digits r % 26 and r / 26 (truncated), as one 16-bit word in this
 * machine's byte order, first character in the lower address.
 */
const DIGIT_PAIRS = (() => {
  const table = new Uint16Array(1351);
  const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
  for (let r = -675; r <= 675; r++) {
    const first = 97 + (r % 26);
    const second = 97 + ((r / 26) | 0);
    table[r + 675] = littleEndian ? first | (second << 8) : (first << 8) | second;
  }
  return table;
})();

/** Steps per unit of the exponent in POW10. */
const POW10_STEPS = 512;
/** 10^(j / POW10_STEPS) for the exponents 0 to 6, as Math.pow gives them. */
const POW10 = (() => {
  const table = new Float64Array(6 * POW10_STEPS + 1);
  for (let j = 0; j < table.length; j++) table[j] = Math.pow(10, j / POW10_STEPS);
  return table;
})();

/**
 * A price in cents, log-uniform between 1 and 1,000,000 dollars: Math.round(Math.pow(10, nextDouble() × 6) × 100),
 * exactly. Math.pow is slow, so 10^y is first approximated as a table entry times a short series for the rest of the
 * exponent (below 1/512: e^t to t^5, whose next term is under 2e-17); the approximation is within about 1e-15 of
 * Math.pow's result (relative), so when it is clearly away from a rounding boundary (by 1e-13 relative, 100 times
 * that) it rounds to the same integer. Otherwise (about 1 price in 700,000) it asks Math.pow.
 */
function nextPrice(random: JavaRandom): number {
  const y = random.nextDouble() * 6;
  const j = Math.floor(y * POW10_STEPS); // y × 512 is exact, and so is y - j / 512
  const t = (y - j / POW10_STEPS) * Math.LN10;
  const v = POW10[j]! * (1 + t * (1 + t * (0.5 + t * (1 / 6 + t * (1 / 24 + t * (1 / 120)))))) * 100;
  const r = Math.round(v);
  if (Math.abs(v - r) < 0.5 - v * 1e-13) return r;
  return Math.round(Math.pow(10, y) * 100);
}

/** Uniform in [0, n) as Nexmark draws it: an int draw below Integer.MAX_VALUE, else a (skewed) long draw. */
function nextLong(random: JavaRandom, n: number): number {
  if (n < INT_MAX) return random.nextIntBounded(n);
  const r = random.nextLong() % BigInt(n);
  return Number(r < 0n ? -r : r);
}

/** The latest person id (base 0) at `eventId`: this event's if it creates a person. */
export function lastBase0PersonId(eventId: number): number {
  const epoch = Math.floor(eventId / PROPORTION_DENOMINATOR);
  let offset = eventId % PROPORTION_DENOMINATOR;
  if (offset >= PERSON_PROPORTION) offset = PERSON_PROPORTION - 1;
  return epoch * PERSON_PROPORTION + offset;
}

/** The latest auction id (base 0) at `eventId`: this event's if it creates an auction. */
export function lastBase0AuctionId(eventId: number): number {
  let epoch = Math.floor(eventId / PROPORTION_DENOMINATOR);
  let offset = eventId % PROPORTION_DENOMINATOR;
  if (offset < PERSON_PROPORTION) {
    // A person: the last auction of the previous block.
    epoch--;
    offset = AUCTION_PROPORTION - 1;
  } else if (offset >= PERSON_PROPORTION + AUCTION_PROPORTION) {
    // A bid: the last auction of this block.
    offset = AUCTION_PROPORTION - 1;
  } else {
    offset -= PERSON_PROPORTION;
  }
  return epoch * AUCTION_PROPORTION + offset;
}
