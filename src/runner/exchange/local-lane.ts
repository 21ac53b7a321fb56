/**
 * The part of an exchange that stays in one worker: elements a worker routes to itself. They keep their objects —
 * no encoding, no decoding (within a worker nothing crosses as bytes, DESIGN.md principle 4) — and only their order
 * goes through the worker's own ring: the channel appends each bundle here and writes a LOCAL_BUNDLE frame (no
 * payload, aux = element count) to the ring where an encoded bundle would go; the input, reading that frame, takes the
 * next bundle from here. So a local bundle keeps its place among the watermarks, idle statuses, checkpoint barriers
 * and end that follow it (barrier alignment holds the ring, and with it these bundles), the ring's capacity and abort
 * still bound and stop the sender, and the lockstep's frame counts are unchanged.
 *
 * Measured (Nexmark Q8, 2 workers, 5M events): decoding and encoding the half of the join's input each worker keeps
 * for itself cost about 0.7 of each worker's 5.5 CPU-seconds.
 */
import type { BoundedWindow, Instant, PaneInfo } from '../../model/index.ts';

/** One bundle of elements, as arrays (what a BUNDLE frame's bytes would decode to). */
export interface LocalBundle {
  readonly values: unknown[];
  readonly timestamps: Instant[];
  readonly windows: Array<readonly BoundedWindow[]>;
  readonly panes: PaneInfo[];
}

/** Elements per local bundle (an encoded bundle ships at 64 KiB; this keeps local bundles about as long). */
export const LOCAL_BUNDLE_ELEMENTS = 1024;

/** A FIFO of local bundles between one exchange's channel and input in the same worker. */
export class LocalLane {
  private bundles: LocalBundle[] = [];
  private head = 0;

  push(bundle: LocalBundle): void {
    this.bundles.push(bundle);
  }

  /** The oldest bundle not yet taken; a LOCAL_BUNDLE frame without one is a bug (the frames and bundles are paired). */
  shift(): LocalBundle | undefined {
    if (this.head >= this.bundles.length) return undefined;
    const b = this.bundles[this.head]!;
    this.bundles[this.head++] = EMPTY;
    if (this.head === this.bundles.length) {
      this.bundles = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.bundles.length) {
      this.bundles = this.bundles.slice(this.head);
      this.head = 0;
    }
    return b;
  }

  /** Bundles waiting (tests). */
  get length(): number {
    return this.bundles.length - this.head;
  }
}

const EMPTY: LocalBundle = { values: [], timestamps: [], windows: [], panes: [] };
