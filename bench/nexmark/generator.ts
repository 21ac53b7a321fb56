/**
 * Nexmark's event generator, reproducing Beam's `Generator` event for event: each event is computed from its event
 * number alone (a `java.util.Random` seeded with the event id), so any range can be generated independently and the
 * same configuration always yields the same people, auctions and bids, with the same timestamps.
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

const US_STATES = ['AZ', 'CA', 'ID', 'OR', 'WA', 'WY'];
const US_CITIES = ['Phoenix', 'Los Angeles', 'San Francisco', 'Boise', 'Portland', 'Bend', 'Redmond', 'Seattle', 'Kent', 'Cheyenne'];
const FIRST_NAMES = ['Peter', 'Paul', 'Luke', 'John', 'Saul', 'Vicky', 'Kate', 'Julie', 'Sarah', 'Deiter', 'Walter'];
const LAST_NAMES = ['Shultz', 'Abrams', 'Spencer', 'White', 'Bartels', 'Walton', 'Smith', 'Jones', 'Noris'];

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
  for (const part of root.split(config.numEventGenerators)) {
    const generator = new EventGenerator(part);
    for (let i = 0; i < part.maxEvents; i++) out.push(generator.generate(i).event);
  }
  return out;
}

/**
 * A buffer over its own ArrayBuffer (so 16-bit views of it are aligned). `latin1Slice` is the untyped method behind
 * `toString('latin1', ...)`, a good deal faster for the many short strings made here.
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
  /** Scratch space for building strings: every character Nexmark draws is a single byte (72 to 122). */
  private chars = latin1Buffer(1024);
  /** The same bytes as 16-bit words, for writing two characters at once. */
  private pairs = new Uint16Array(this.chars.buffer);

  constructor(config: GeneratorConfig) {
    this.config = config;
    this.nexmark = config.config;
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
    const unshuffledTimestamp = gc.timestampForEvent(gc.nextEventNumber(eventsCountSoFar));
    const timestamp = gc.timestampForEvent(adjustedNumber);
    const watermark = gc.timestampForEvent(gc.nextEventNumberForWatermark(eventsCountSoFar));
    const eventId = gc.firstEventId + adjustedNumber;
    const random = this.random;
    random.setSeed(eventId);
    const rem = eventId % PROPORTION_DENOMINATOR;
    let event: NexmarkEvent;
    if (rem < PERSON_PROPORTION) {
      event = { type: 'person', person: this.nextPerson(eventId, timestamp) };
    } else if (rem < PERSON_PROPORTION + AUCTION_PROPORTION) {
      event = { type: 'auction', auction: this.nextAuction(eventsCountSoFar, eventId, timestamp) };
    } else {
      event = { type: 'bid', bid: this.nextBid(eventId, timestamp) };
    }
    return { event, eventTimestamp: timestamp, watermark, emitOffsetMs: unshuffledTimestamp - gc.baseTime };
  }

  private nextPerson(eventId: number, timestamp: number): Person {
    const random = this.random;
    const id = lastBase0PersonId(eventId) + FIRST_PERSON_ID;
    const name = FIRST_NAMES[random.nextIntBounded(FIRST_NAMES.length)]! + ' ' + LAST_NAMES[random.nextIntBounded(LAST_NAMES.length)]!;
    const emailAddress = this.nextString(7) + '@' + this.nextString(5) + '.com';
    let creditCard = '';
    for (let i = 0; i < 4; i++) {
      if (i > 0) creditCard += ' ';
      creditCard += String(random.nextIntBounded(10000)).padStart(4, '0');
    }
    const city = US_CITIES[random.nextIntBounded(US_CITIES.length)]!;
    const state = US_STATES[random.nextIntBounded(US_STATES.length)]!;
    const currentSize = 8 + name.length + emailAddress.length + creditCard.length + city.length + state.length;
    const extra = this.nextExtra(currentSize, this.nexmark.avgPersonByteSize);
    return { id, name, emailAddress, creditCard, city, state, dateTime: timestamp, extra };
  }

  private nextAuction(eventsCountSoFar: number, eventId: number, timestamp: number): Auction {
    const random = this.random;
    const id = lastBase0AuctionId(eventId) + FIRST_AUCTION_ID;
    let seller: number;
    if (random.nextIntBounded(this.nexmark.hotSellersRatio) > 0) {
      // A hot seller: the first of the latest block of HOT_SELLER_RATIO people.
      seller = Math.floor(lastBase0PersonId(eventId) / HOT_SELLER_RATIO) * HOT_SELLER_RATIO;
    } else {
      seller = this.nextBase0PersonId(eventId);
    }
    seller += FIRST_PERSON_ID;
    const category = FIRST_CATEGORY_ID + random.nextIntBounded(NUM_CATEGORIES);
    const initialBid = nextPrice(random);
    const expires = timestamp + this.nextAuctionLengthMs(eventsCountSoFar, timestamp);
    const itemName = this.nextString(20);
    const description = this.nextString(100);
    const reserve = initialBid + nextPrice(random);
    const currentSize = 8 + itemName.length + description.length + 8 + 8 + 8 + 8 + 8;
    const extra = this.nextExtra(currentSize, this.nexmark.avgAuctionByteSize);
    return { id, itemName, description, initialBid, reserve, dateTime: timestamp, expires, seller, category, extra };
  }

  private nextBid(eventId: number, timestamp: number): Bid {
    const random = this.random;
    let auction: number;
    if (random.nextIntBounded(this.nexmark.hotAuctionRatio) > 0) {
      // A hot auction: the first of the latest block of HOT_AUCTION_RATIO auctions.
      auction = Math.floor(lastBase0AuctionId(eventId) / HOT_AUCTION_RATIO) * HOT_AUCTION_RATIO;
    } else {
      auction = this.nextBase0AuctionId(eventId);
    }
    auction += FIRST_AUCTION_ID;
    let bidder: number;
    if (random.nextIntBounded(this.nexmark.hotBiddersRatio) > 0) {
      // A hot bidder: the second of the latest block of people, so hot bidders are never hot sellers.
      bidder = Math.floor(lastBase0PersonId(eventId) / HOT_BIDDER_RATIO) * HOT_BIDDER_RATIO + 1;
    } else {
      bidder = this.nextBase0PersonId(eventId);
    }
    bidder += FIRST_PERSON_ID;
    const price = nextPrice(random);
    const extra = this.nextExtra(8 + 8 + 8 + 8, this.nexmark.avgBidByteSize);
    return { auction, bidder, price, dateTime: timestamp, extra };
  }

  /** A random recent person (base 0): one of the active people, or a few ids not created yet. */
  private nextBase0PersonId(eventId: number): number {
    const numPeople = lastBase0PersonId(eventId) + 1;
    const activePeople = Math.min(numPeople, this.nexmark.numActivePeople);
    return numPeople - activePeople + nextLong(this.random, activePeople + PERSON_ID_LEAD);
  }

  /** A random auction (base 0) among those likely in flight, or a few ids not created yet. */
  private nextBase0AuctionId(eventId: number): number {
    const maxAuction = lastBase0AuctionId(eventId);
    const minAuction = Math.max(maxAuction - this.nexmark.numInFlightAuctions, 0);
    return minAuction + nextLong(this.random, maxAuction - minAuction + 1 + AUCTION_ID_LEAD);
  }

  /** Auction length: averaging the time until numInFlightAuctions more auctions have been created. */
  private nextAuctionLengthMs(eventsCountSoFar: number, timestamp: number): number {
    const gc = this.config;
    const currentEventNumber = gc.nextAdjustedEventNumber(eventsCountSoFar);
    const numEventsForAuctions = Math.floor((this.nexmark.numInFlightAuctions * PROPORTION_DENOMINATOR) / AUCTION_PROPORTION);
    const futureAuction = gc.timestampForEvent(currentEventNumber + numEventsForAuctions);
    const horizonMs = futureAuction - timestamp;
    return 1 + nextLong(this.random, Math.max(horizonMs * 2, 1));
  }

  /** A string of 3 to maxLength - 1 lower-case letters and spaces, trimmed. */
  private nextString(maxLength: number): string {
    const random = this.random;
    let len = MIN_STRING_LENGTH + random.nextIntBounded(maxLength - MIN_STRING_LENGTH);
    const chars = this.chars;
    let n = 0;
    while (len-- > 0) {
      chars[n++] = random.nextIntBounded(13) === 0 ? 32 : 97 + random.nextIntBounded(26);
    }
    return chars.latin1Slice(0, n).trim();
  }

  /** Padding so that `currentSize` plus its length averages `desiredAverageSize` (±20%). */
  private nextExtra(currentSize: number, desiredAverageSize: number): string {
    if (currentSize > desiredAverageSize) return '';
    const average = desiredAverageSize - currentSize;
    const delta = Math.round(average * 0.2);
    const minSize = average - delta;
    const size = minSize + (delta === 0 ? 0 : this.random.nextIntBounded(2 * delta));
    return this.nextExactString(size);
  }

  /**
   * `length` characters, six from each random int, as base-26 digits from the lowest. Java's `%` and `/` keep the
   * sign of a negative int, so its characters then fall below 'a' (into `[\]^_` and capitals): that is part of the
   * stream and reproduced as is. Two digits at a time come from a table indexed by the int's remainder mod 676.
   */
  private nextExactString(length: number): string {
    if (length + 6 > this.chars.length) {
      this.chars = latin1Buffer(2 * (length + 6));
      this.pairs = new Uint16Array(this.chars.buffer);
    }
    const chars = this.chars;
    const pairs = this.pairs;
    const random = this.random;
    for (let i = 0, k = 0; i < length; i += 6) {
      let rnd = random.nextInt();
      pairs[k++] = DIGIT_PAIRS[(rnd % 676) + 675]!;
      rnd = (rnd / 676) | 0;
      pairs[k++] = DIGIT_PAIRS[(rnd % 676) + 675]!;
      rnd = (rnd / 676) | 0;
      pairs[k++] = DIGIT_PAIRS[(rnd % 676) + 675]!;
    }
    return chars.latin1Slice(0, length);
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

/** A price in cents, log-uniform between 1 and 1,000,000 dollars. */
function nextPrice(random: JavaRandom): number {
  return Math.round(Math.pow(10, random.nextDouble() * 6) * 100);
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
