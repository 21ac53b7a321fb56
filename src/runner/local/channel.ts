import type { BoundedWindow, Instant, PaneInfo } from '../../model/index.ts';
import type { Receiver } from './operator.ts';

/**
 * Channels connect the stages of a plan (a stage is a fused chain of operators; see planner.ts). A channel carries,
 * in order: elements, the end of each bundle, watermarks, idleness, checkpoint barriers and the end of the input —
 * control travels in-band with the data, so everything a producer sent before a watermark reaches the consumer before
 * it (as Timely's pacts and Flink's record writers do).
 *
 * Two implementations:
 * - `DirectChannel` (this file): producer and consumer run in the same worker. Elements go by reference, one
 *   synchronous call each, straight into the consumer stage's first operator: no bundle copy, no Promise, no Map lookup
 *   per element (principle 3).
 * - an exchange channel (src/runner/exchange/): the producer side hashes each element's encoded key to a key group
 *   (`keyGroupOf`, key-group.ts), the key group to a worker, appends the element to that worker's buffer, and ships
 *   buffers as encoded bundles on `flush` (and when a buffer fills); the receiving worker decodes them and calls
 *   `StageInput.receive` / `receiveBundle`, `watermark`, `end`, `barrier` on the consumer's `ChannelTarget`, in the
 *   order they were sent. Back-pressure: `ready()` returns a promise while the channel's buffers are full; the engine
 *   awaits it before a source reads its next batch.
 *
 * Operators never see a channel: the producer stage's last operator writes into it as into any `Receiver`.
 */
export interface Channel extends Receiver {
  /**
   * Where the producer writes elements: for a direct channel the consumer stage's first operator itself (so the hop
   * costs nothing), for an exchange the channel (it routes each element by key group).
   */
  readonly elementSink: Receiver;
  /** One element of the current bundle (see Receiver.process). */
  process(value: unknown, timestamp: Instant, windows: readonly BoundedWindow[], pane: PaneInfo): void;
  /** Elements that are already gathered in a bundle (a source's batch, a decoded exchange bundle). */
  push(bundle: Bundle): void;
  /** The producer finished a bundle: an exchange ships what it buffered; a direct channel has nothing to do. */
  flush(): void;
  /** The producer's output watermark advanced (never called with a smaller value than before). */
  watermark(watermark: Instant): void;
  /** The producer has no data for a while (Flink's IDLE status): the consumer's valve leaves this channel out. */
  idle(idle: boolean): void;
  /** A checkpoint barrier (issue 14): every element sent before it belongs to checkpoint `id`. */
  barrier(id: number): void;
  /** The producer is done: no more elements; the channel's watermark is +∞ from here on. */
  end(): void;
  /** Resolves when the consumer can take more (back-pressure); `undefined` when it can right now (always, for direct). */
  ready(): Promise<void> | undefined;
}

/** A run of elements in parallel arrays: the unit an exchange encodes, and what a source batch becomes. */
export interface Bundle {
  readonly values: readonly unknown[];
  readonly timestamps: ArrayLike<Instant>;
  /** Each element's windows; may share one array between elements. */
  readonly windows: ReadonlyArray<readonly BoundedWindow[]>;
  readonly panes: readonly PaneInfo[];
}

/**
 * The consumer side of a channel: a stage input. Elements go to `receiver` (the consumer's first operator); control
 * goes to the stage's watermark valve, addressed by the channel's index among the stage's inputs.
 */
export interface ChannelTarget {
  readonly receiver: Receiver;
  watermark(channel: number, watermark: Instant): void;
  idle(channel: number, idle: boolean): void;
  barrier(channel: number, id: number): void;
  end(channel: number): void;
}

/** A channel between two stages of one worker. */
export class DirectChannel implements Channel {
  private readonly receiver: Receiver;
  readonly elementSink: Receiver;

  constructor(
    private readonly target: ChannelTarget,
    /** This channel's index among the consumer stage's inputs. */
    readonly index: number,
  ) {
    this.receiver = target.receiver;
    this.elementSink = target.receiver;
  }

  process(value: unknown, timestamp: Instant, windows: readonly BoundedWindow[], pane: PaneInfo): void {
    this.receiver.process(value, timestamp, windows, pane);
  }

  push(bundle: Bundle): void {
    const r = this.receiver;
    const { values, timestamps, windows, panes } = bundle;
    for (let i = 0; i < values.length; i++) r.process(values[i], timestamps[i]!, windows[i]!, panes[i]!);
  }

  flush(): void {}

  watermark(watermark: Instant): void {
    this.target.watermark(this.index, watermark);
  }

  idle(idle: boolean): void {
    this.target.idle(this.index, idle);
  }

  barrier(id: number): void {
    this.target.barrier(this.index, id);
  }

  end(): void {
    this.target.end(this.index);
  }

  ready(): undefined {
    return undefined;
  }
}
