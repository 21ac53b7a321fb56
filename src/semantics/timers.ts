import type { BoundedWindow, Instant } from '../model/index.ts';

/** Event time follows the input watermark; processing time follows the Clock. */
export type TimeDomain = 'event' | 'processing';

/**
 * A timer of one key. (namespace, family, id, domain) identifies it: setting it again moves it.
 * An event-time timer is due once the input watermark is past its timestamp (watermark > timestamp); a processing-time
 * timer once processing time reaches it (time >= timestamp), as in Beam.
 */
export interface TimerData {
  readonly namespace: string;
  readonly window: BoundedWindow;
  readonly id: string;
  readonly family: string;
  readonly timestamp: Instant;
  /** The timestamp of what the timer outputs; holds the output watermark until the timer fires. */
  readonly outputTimestamp: Instant;
  readonly domain: TimeDomain;
}

/** The timers of one key, and the clocks they run on. */
export interface TimerInternals {
  setTimer(timer: TimerData): void;
  deleteTimer(namespace: string, id: string, family: string, domain: TimeDomain): void;
  currentProcessingTime(): Instant;
  currentInputWatermark(): Instant;
  currentOutputWatermark(): Instant;
}
