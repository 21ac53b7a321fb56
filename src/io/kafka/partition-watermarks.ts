/**
 * Per-partition event-time watermarks of a Kafka read, and the source's watermark over them (Beam's KafkaIO timestamp
 * policies, Flink's per-partition watermarks with idleness). Pure bookkeeping: the reader tells it what it read and
 * when a partition caught up; the clock is passed in.
 *
 * Strategy:
 * 1. A partition's watermark is the largest timestamp read from it minus `maxDelayMs` (how far out of order its
 *    timestamps may come), never decreasing; MIN_TIMESTAMP before its first record.
 * 2. A partition is *idle* when it has caught up (its read position reached the broker's high watermark) and nothing
 *    came from it for `idleMs`. With the `logAppend` policy the broker stamps records as they arrive, so an idle
 *    partition's watermark advances to now − idleMs (its next record cannot be older) and it still counts in step 3;
 *    with producer or field times nothing bounds its next record, so it is left out of step 3 instead.
 * 3. The source's watermark is the minimum over the partitions that count; when none counts (all idle), the maximum
 *    of their watermarks (everything read has been accounted for). A partition that is done (a bounded read reached
 *    its end offset) is left out; all done → MAX_TIMESTAMP.
 * 4. The source's watermark never decreases (a partition leaving idleness cannot take it back: its records older than
 *    the watermark are late, as with any idle source).
 */
import { MAX_TIMESTAMP, MIN_TIMESTAMP, type Instant } from '../../model/index.ts';

interface PartitionState {
  maxTimestamp: Instant;
  watermark: Instant;
  lastRecordAt: number;
  caughtUp: boolean;
  done: boolean;
}

export interface PartitionWatermarkOptions {
  readonly maxDelayMs: number;
  readonly idleMs: number;
  /** Records are stamped by the broker (the logAppend policy): idle partitions advance with the clock. */
  readonly brokerTime: boolean;
}

export class PartitionWatermarks {
  private readonly parts = new Map<string, PartitionState>();
  private last: Instant = MIN_TIMESTAMP;

  constructor(
    private readonly o: PartitionWatermarkOptions,
    partitions: readonly string[],
    now: number,
  ) {
    for (const p of partitions) this.parts.set(p, { maxTimestamp: MIN_TIMESTAMP, watermark: MIN_TIMESTAMP, lastRecordAt: now, caughtUp: false, done: false });
  }

  /** Records of `partition` with timestamps up to `maxTimestamp` were read at `now`. */
  observe(partition: string, maxTimestamp: Instant, now: number): void {
    const s = this.state(partition);
    s.lastRecordAt = now;
    if (maxTimestamp > s.maxTimestamp) s.maxTimestamp = maxTimestamp;
    const wm = s.maxTimestamp - this.o.maxDelayMs;
    if (wm > s.watermark) s.watermark = wm;
  }

  /** Whether `partition`'s read position reached the broker's high watermark in the last fetch. */
  setCaughtUp(partition: string, caughtUp: boolean): void {
    this.state(partition).caughtUp = caughtUp;
  }

  /** A bounded read reached `partition`'s end offset. */
  setDone(partition: string): void {
    this.state(partition).done = true;
  }

  isIdle(partition: string, now: number): boolean {
    const s = this.state(partition);
    return !s.done && s.caughtUp && now - s.lastRecordAt >= this.o.idleMs;
  }

  partitionWatermark(partition: string): Instant {
    return this.state(partition).watermark;
  }

  /** The source's watermark at `now` (steps 2–4 of the module comment). */
  watermark(now: number): Instant {
    let min = MAX_TIMESTAMP;
    let counted = 0;
    let idleMax = MIN_TIMESTAMP;
    let live = 0;
    for (const [p, s] of this.parts) {
      if (s.done) continue;
      live++;
      if (this.isIdle(p, now)) {
        if (this.o.brokerTime) {
          const advanced = now - this.o.idleMs;
          if (advanced > s.watermark) s.watermark = advanced;
        } else {
          if (s.watermark > idleMax) idleMax = s.watermark;
          continue;
        }
      }
      counted++;
      if (s.watermark < min) min = s.watermark;
    }
    const wm = live === 0 ? MAX_TIMESTAMP : counted > 0 ? min : idleMax;
    if (wm > this.last) this.last = wm;
    return this.last;
  }

  private state(partition: string): PartitionState {
    const s = this.parts.get(partition);
    if (!s) throw new Error(`internal: partition ${partition} is not tracked`);
    return s;
  }
}
