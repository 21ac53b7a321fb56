import { MAX_TIMESTAMP, MIN_TIMESTAMP, type Instant } from '../../model/index.ts';

interface InputStatus {
  watermark: Instant;
  idle: boolean;
  /** False while a channel back from idleness is behind the valve's output: it cannot pull the output back. */
  aligned: boolean;
  ended: boolean;
}

/**
 * The watermark of one stage input, over its channels (as Flink's StatusWatermarkValve):
 * 1. the output is the minimum watermark over the channels that are active and aligned; ended channels count as +∞;
 * 2. an idle channel is left out, so a silent partition does not stall the stage; when every channel is idle the
 *    valve itself is idle and its output moves to the largest of their watermarks (Flink's valve does the same; so
 *    does one Kafka reader whose partitions are all idle) — else the order in which channels went idle would decide
 *    (the last active one's −∞ kept forever);
 * 3. a channel that becomes active again while behind the output is not aligned until it catches up: the output never
 *    goes backwards;
 * 4. the valve is ended once every channel is.
 * Pure bookkeeping: the stage reads `output` when it advances (see stage.ts).
 */
export class WatermarkValve {
  private readonly inputs: InputStatus[];
  /** The valve's watermark: never decreases. */
  output: Instant = MIN_TIMESTAMP;
  private endedCount = 0;

  constructor(channels: number) {
    this.inputs = Array.from({ length: channels }, () => ({ watermark: MIN_TIMESTAMP, idle: false, aligned: true, ended: false }));
  }

  get channels(): number {
    return this.inputs.length;
  }

  /** A channel's watermark advanced; returns true when the output did. Smaller values than before are ignored. */
  watermark(channel: number, watermark: Instant): boolean {
    const s = this.inputs[channel]!;
    if (s.ended || watermark <= s.watermark) return false;
    s.watermark = watermark;
    if (!s.aligned && watermark >= this.output) s.aligned = true;
    return s.idle && !this.isIdle ? false : this.recompute();
  }

  idle(channel: number, idle: boolean): boolean {
    const s = this.inputs[channel]!;
    if (s.ended || s.idle === idle) return false;
    s.idle = idle;
    if (!idle && s.watermark < this.output) s.aligned = false;
    return this.recompute();
  }

  end(channel: number): boolean {
    const s = this.inputs[channel]!;
    if (s.ended) return false;
    s.ended = true;
    s.idle = false;
    s.aligned = true;
    s.watermark = MAX_TIMESTAMP;
    this.endedCount++;
    return this.recompute();
  }

  /** Every channel is idle (ended ones aside): the stage may report itself idle downstream. */
  get isIdle(): boolean {
    let active = 0;
    for (const s of this.inputs) if (!s.ended && !s.idle) active++;
    return active === 0 && this.endedCount < this.inputs.length;
  }

  /** Whether channel `channel` has ended. */
  isEnded(channel: number): boolean {
    return this.inputs[channel]!.ended;
  }

  get ended(): boolean {
    return this.endedCount === this.inputs.length;
  }

  private recompute(): boolean {
    let min = Infinity;
    let any = false;
    for (const s of this.inputs) {
      if (s.idle || !s.aligned) continue;
      any = true;
      if (s.watermark < min) min = s.watermark;
    }
    if (!any) {
      if (!this.isIdle) return false;
      // Every channel idle: the largest of their watermarks.
      let max = -Infinity;
      for (const s of this.inputs) if (!s.ended && s.watermark > max) max = s.watermark;
      if (max <= this.output) return false;
      this.output = max;
      return true;
    }
    if (min <= this.output) return false;
    this.output = min;
    return true;
  }
}

/**
 * Checkpoint barrier alignment over a stage's input channels (issue 14): a barrier is complete at this input once
 * every channel that has not ended delivered it. Within one worker channels are synchronous, so nothing is blocked
 * here; an exchange input may hold back a channel's later bundles until `complete` (aligned checkpoints).
 */
export class BarrierTracker {
  private readonly seen = new Map<number, Set<number>>();

  constructor(private readonly channels: number) {}

  /** Records channel `channel`'s barrier `id`; true when it completes the barrier (every live channel sent it). */
  barrier(channel: number, id: number, endedChannels: (channel: number) => boolean): boolean {
    let set = this.seen.get(id);
    if (set === undefined) this.seen.set(id, (set = new Set()));
    set.add(channel);
    for (let c = 0; c < this.channels; c++) if (!set.has(c) && !endedChannels(c)) return false;
    this.seen.delete(id);
    return true;
  }
}
