/**
 * Nexmark as Riffle sources: bounded (a batch of `numEvents`) and unbounded (a stream, optionally at its real rate).
 * Both follow Beam's sources: the events are split over `numEventGenerators` id ranges on parallel timelines.
 */
import { MAX_TIMESTAMP, type BoundedSource, type Instant, type SourceBatch, type UnboundedReader, type UnboundedSource } from '../../src/index.ts';
import { GeneratorConfig, type NexmarkConfig } from './config.ts';
import { EventGenerator } from './generator.ts';
import type { NexmarkEvent } from './model.ts';

/** Events per batch of the bounded source: big batches, so that the engine's per-batch costs vanish. */
const BOUNDED_BATCH_SIZE = 8192;
/** Events per batch of the unbounded source (smaller: a stream's batches also pace its watermark). */
const BATCH_SIZE = 1024;
/** Beam's generator watermark before any event: a year after the epoch, safely before every event. */
export const BEGINNING_OF_TIME: Instant = 365 * 86_400_000;

export interface NexmarkSourceOptions {
  /** Events per emitted batch (default 8192 for the bounded source, 1024 for the unbounded one). */
  readonly batchSize?: number;
  /** The bounded source reports the generator's watermark as it reads (default true; false: only its end). */
  readonly watermark?: boolean;
}

/** The bounded Nexmark source for a batch run of `config.numEvents` events (which must be > 0). */
export function nexmarkBounded(config: NexmarkConfig, opts: NexmarkSourceOptions = {}): BoundedSource<NexmarkEvent> {
  if (!(config.numEvents > 0)) throw new RangeError('a bounded Nexmark source needs numEvents > 0');
  return new NexmarkBoundedSource(GeneratorConfig.standard(config), config.numEventGenerators, opts.batchSize ?? BOUNDED_BATCH_SIZE, opts.watermark ?? true);
}

/**
 * The events of a batch run: the root's `numEventGenerators` parallel timelines (as Beam's BoundedEventSource splits
 * it), read merged in event-number order — all of them, or the stretch [from, to) of that merged sequence.
 *
 * It splits into consecutive stretches of the merged sequence of about the desired size, not into Beam's timelines:
 * every timeline spans the whole run's event time, so a worker reading timelines one after another would go back in
 * time with each and its progress would say nothing until the last. Stretches are in event-time order
 * (`orderedParts`): the generator's watermark after a stretch's events holds for every stretch after it, so a worker
 * reading some of them in order passes it on and windows fire as it reads on every worker.
 */
export class NexmarkBoundedSource implements BoundedSource<NexmarkEvent> {
  readonly kind = 'bounded' as const;
  readonly orderedParts: boolean;
  /** The stretch of the merged sequence this source reads (merged indexes). */
  private readonly from: number;
  private readonly to: number;

  constructor(
    readonly config: GeneratorConfig,
    readonly numEventGenerators: number,
    private readonly batchSize: number = BOUNDED_BATCH_SIZE,
    private readonly reportsWatermark = true,
    range?: { readonly from: number; readonly to: number },
  ) {
    this.from = range?.from ?? 0;
    this.to = range?.to ?? config.maxEvents;
    this.orderedParts = reportsWatermark;
  }

  describe(): string {
    const whole = this.from === 0 && this.to === this.config.maxEvents;
    return `nexmark(events ${this.config.getStartEventId()}..${this.config.getStopEventId()}${whole ? '' : ` merged ${this.from}..${this.to}`}, ${this.numEventGenerators} generator(s))`;
  }

  async estimateSizeBytes(): Promise<number> {
    return this.config.estimatedBytesForEvents(this.to - this.from);
  }

  async split(desiredBundleSizeBytes: number): Promise<NexmarkBoundedSource[]> {
    const n = this.to - this.from;
    const bytesPerEvent = Math.max(1, this.config.getEstimatedSizeBytes() / Math.max(1, this.config.maxEvents));
    const eventsPerBundle = Math.max(1, Math.floor(desiredBundleSizeBytes / bytesPerEvent));
    const out: NexmarkBoundedSource[] = [];
    for (let start = 0; start < n; start += eventsPerBundle) {
      const range = { from: this.from + start, to: this.from + Math.min(n, start + eventsPerBundle) };
      out.push(new NexmarkBoundedSource(this.config, this.numEventGenerators, this.batchSize, this.reportsWatermark, range));
    }
    return out;
  }

  /**
   * Reads the parallel timelines merged in event-number order, as the unbounded source does (so events come in
   * timestamp order, up to the out-of-order groups), and reports after each batch the generator's watermark: the
   * event time of the start of the out-of-order group of the generator due next (every timeline has the same event
   * times, and the one due next has emitted the fewest events), below which no later event falls. The same events as
   * reading the parts `split` makes.
   */
  read(signal?: AbortSignal): AsyncIterable<SourceBatch<NexmarkEvent>> {
    return this.readFrom({ emitted: 0 }, signal);
  }

  /**
   * Reads on after the events a batch's position counted (checkpoints: `{ emitted }`, the generator's position, as
   * the unbounded source's; within a stretch, counted from its start): the generator starts right at the next event,
   * nothing is generated twice.
   */
  async *readFrom(position: unknown, signal?: AbortSignal): AsyncIterable<SourceBatch<NexmarkEvent>> {
    const start = (position as { emitted: number }).emitted;
    if (!Number.isSafeInteger(start) || start < 0 || start > this.to - this.from) throw new RangeError(`not a position of ${this.describe()}: ${JSON.stringify(position)}`);
    const parts = this.numEventGenerators > 1 ? this.config.split(this.numEventGenerators) : [this.config];
    const reader = new NexmarkUnboundedReader({ ...this.config.config, isRateLimited: false }, parts, this.from + start, this.batchSize, Date.now, this.to);
    const k = parts.length;
    const perPart = parts[0]!.maxEvents;
    const full = perPart * k;
    const total = full - perPart + parts[k - 1]!.maxEvents;
    for (;;) {
      signal?.throwIfAborted();
      const batch = await reader.next(0);
      if (batch === null) return;
      const emitted = reader.position();
      const at = { emitted: emitted - this.from };
      if (!this.reportsWatermark) {
        yield { ...batch, position: at };
        continue;
      }
      if (emitted >= total) {
        yield { ...batch, position: at };
        return;
      }
      const gc = parts[emitted < full ? emitted % k : k - 1]!;
      const count = emitted < full ? Math.floor(emitted / k) : perPart + emitted - full;
      yield { values: batch.values, timestamps: batch.timestamps!, watermark: gc.timestampForEvent(gc.nextEventNumberForWatermark(count)), position: at };
    }
  }
}

export interface NexmarkUnboundedOptions extends NexmarkSourceOptions {
  /** The wallclock (ms) for rate limiting; defaults to Date.now. Tests pass a fake one. */
  readonly now?: () => number;
}

/**
 * The unbounded Nexmark source: all `numEventGenerators` timelines read by one reader, merged in event-number order
 * (so events come in timestamp order). Its position is the number of events emitted so far: a reader opened there
 * continues with exactly the next event. The watermark is Beam's: the minimum over the generators of the watermark
 * each reported with its latest event (less `watermarkHoldbackSec`), and +∞ once all events are out. With
 * `isRateLimited`, events come no sooner than their event time shifted to the wallclock of the reader's start.
 * The source ends after `numEvents` events (never, in practice, with numEvents = 0).
 */
export function nexmarkUnbounded(config: NexmarkConfig, opts: NexmarkUnboundedOptions = {}): UnboundedSource<NexmarkEvent, number> {
  const root = GeneratorConfig.standard(config);
  const parts = root.split(config.numEventGenerators);
  const batchSize = opts.batchSize ?? BATCH_SIZE;
  const now = opts.now ?? Date.now;
  return {
    kind: 'unbounded',
    describe: () => `nexmark-stream(${config.numEvents || '∞'} events, ${config.numEventGenerators} generator(s)${config.isRateLimited ? ', rate limited' : ''})`,
    open: async (position) => new NexmarkUnboundedReader(config, parts, position ?? 0, batchSize, now),
  };
}

class NexmarkUnboundedReader implements UnboundedReader<NexmarkEvent, number> {
  private readonly generators: EventGenerator[];
  /** Per generator, scratch for its run of a batch: the events, their timestamps, and the count of the first. */
  private readonly runValues: NexmarkEvent[][];
  private readonly runTimestamps: Instant[][];
  private readonly runFirstCounts: number[];
  private readonly k: number;
  /** Events per generator, except the last, which also takes the remainder. */
  private readonly perPart: number;
  private readonly total: number;
  /** The merged index at which this reader stops (a bounded stretch), or `total`. */
  private readonly end: number;
  private readonly holdbackMs: number;
  private emitted: number;
  private currentWatermark: Instant;
  private readonly wallclockBase: number;
  private closed = false;

  constructor(
    private readonly nexmark: NexmarkConfig,
    parts: GeneratorConfig[],
    position: number,
    private readonly batchSize: number,
    private readonly now: () => number,
    end?: number,
  ) {
    this.generators = parts.map((p) => new EventGenerator(p));
    this.runValues = parts.map(() => []);
    this.runTimestamps = parts.map(() => []);
    this.runFirstCounts = parts.map(() => 0);
    this.k = parts.length;
    this.perPart = parts[0]!.maxEvents;
    this.total = parts.reduce((sum, p) => sum + p.maxEvents, 0);
    if (!Number.isSafeInteger(position) || position < 0 || position > this.total) {
      throw new RangeError(`Nexmark stream position must be an event count in [0, ${this.total}], got ${position}`);
    }
    this.end = end ?? this.total;
    this.holdbackMs = nexmark.watermarkHoldbackSec * 1000;
    this.emitted = position;
    this.currentWatermark = this.watermarkAt(position);
    // Resuming a rate-limited stream: the next event is due now, and the rest at the configured rate after it.
    this.wallclockBase = now() - (position < this.total ? this.dueOffsetMs(position) : 0);
  }

  /** The generator and its event count for the event at merged index `index`. */
  private locate(index: number): [part: number, count: number] {
    const full = this.perPart * this.k;
    if (index < full) return [index % this.k, Math.floor(index / this.k)];
    return [this.k - 1, this.perPart + (index - full)];
  }

  /**
   * Appends the events at merged indexes [from, to) and their timestamps. Each generator's share of the range is a
   * run of consecutive counts: each is generated in one `fill`, then the runs are interleaved.
   */
  private generateRange(from: number, to: number, values: NexmarkEvent[], timestamps: Instant[]): void {
    const k = this.k;
    const full = this.perPart * k;
    const mid = Math.min(to, full);
    if (from < mid) {
      if (k === 1) {
        this.generators[0]!.fill(from, mid, values, timestamps);
      } else {
        const firstCounts = this.runFirstCounts;
        for (let p = 0; p < k; p++) {
          // The counts c of part p with from ≤ c·k + p < mid.
          const first = Math.max(0, Math.ceil((from - p) / k));
          const end = Math.ceil((mid - p) / k);
          firstCounts[p] = first;
          this.runValues[p]!.length = 0;
          this.runTimestamps[p]!.length = 0;
          if (end > first) this.generators[p]!.fill(first, end, this.runValues[p]!, this.runTimestamps[p]!);
        }
        for (let i = from; i < mid; i++) {
          const p = i % k;
          const j = (i - p) / k - firstCounts[p]!;
          values.push(this.runValues[p]![j]!);
          timestamps.push(this.runTimestamps[p]![j]!);
        }
      }
    }
    if (to > full) this.generators[k - 1]!.fill(this.perPart + Math.max(from, full) - full, this.perPart + to - full, values, timestamps);
  }

  /** When a rate-limited stream emits the event at merged index `index`: its unshuffled event time, from the base. */
  private dueOffsetMs(index: number): number {
    const [part, count] = this.locate(index);
    const gc = this.generators[part]!.config;
    return gc.timestampForEvent(gc.nextEventNumber(count)) - gc.baseTime;
  }

  /**
   * The watermark after `emitted` events: the lowest of the generators' latest reported watermarks, which is that of
   * the generator due next (it has emitted one event fewer than those before it in the round, or as many).
   */
  private watermarkAt(emitted: number): Instant {
    if (emitted >= this.total) return MAX_TIMESTAMP;
    const [part, count] = this.locate(emitted);
    if (count === 0) return BEGINNING_OF_TIME; // that generator has not reported yet
    const gc = this.generators[part]!.config;
    const reported = gc.timestampForEvent(gc.nextEventNumberForWatermark(count - 1)) - this.holdbackMs;
    return Math.max(BEGINNING_OF_TIME, reported);
  }

  async next(waitMs: number): Promise<SourceBatch<NexmarkEvent> | null> {
    if (this.closed) throw new Error('the Nexmark reader is closed');
    if (this.emitted >= this.end) return null;
    let limit = Math.min(this.end, this.emitted + this.batchSize);
    if (this.nexmark.isRateLimited) {
      const wait = this.wallclockBase + this.dueOffsetMs(this.emitted) - this.now();
      if (wait > 0) {
        if (wait > waitMs) {
          if (waitMs > 0) await sleep(waitMs);
          return null;
        }
        await sleep(wait);
      }
      // Emit only what is due by now.
      const clock = this.now();
      let end = this.emitted + 1;
      while (end < limit && this.wallclockBase + this.dueOffsetMs(end) <= clock) end++;
      limit = end;
    }
    const values: NexmarkEvent[] = [];
    const timestamps: Instant[] = [];
    this.generateRange(this.emitted, limit, values, timestamps);
    this.emitted = limit;
    const watermark = this.watermarkAt(limit);
    if (watermark > this.currentWatermark) this.currentWatermark = watermark;
    return { values, timestamps };
  }

  position(): number {
    return this.emitted;
  }

  watermark(): Instant {
    return this.currentWatermark;
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
