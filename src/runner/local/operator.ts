import { MIN_TIMESTAMP, type BoundedWindow, type Instant, type NodeInfo, type PaneInfo } from '../../model/index.ts';
import type { Bundle } from './channel.ts';

/** Something elements are pushed into, one call per element (the fused hot path: no allocation per hop). */
export interface Receiver {
  process(value: unknown, timestamp: Instant, windows: readonly BoundedWindow[], pane: PaneInfo): void;
}

/** Discards elements (an output nobody consumes). */
export const NULL_RECEIVER: Receiver = { process() {} };

/** Pushes each element to several receivers (a collection consumed by several steps). */
export class FanOut implements Receiver {
  constructor(private readonly receivers: readonly Receiver[]) {}
  process(value: unknown, timestamp: Instant, windows: readonly BoundedWindow[], pane: PaneInfo): void {
    const rs = this.receivers;
    for (let i = 0; i < rs.length; i++) rs[i]!.process(value, timestamp, windows, pane);
  }
}

export function receiverOf(receivers: readonly Receiver[]): Receiver {
  if (receivers.length === 0) return NULL_RECEIVER;
  if (receivers.length === 1) return receivers[0]!;
  return new FanOut(receivers);
}

/**
 * An executing step (as Arroyo's operators: one required method, defaults for every hook). Lifecycle:
 * 1. `open` (async, awaited before any input);
 * 2. per bundle: `process` per element (or `processBundle` for a whole bundle), then `finishBundle` — synchronous, the
 *    hot path;
 * 3. `onWatermark` when the stage's valve lets the input watermark advance (fire event-time timers); the engine reads
 *    `holdWatermark` to compute this operator's output watermark — operators never compute the global watermark;
 * 4. `snapshot` at a checkpoint barrier and `restore` before the first input of a resumed run (issue 14), per key group;
 * 5. `finish` (async, awaited) once the input ended and every pane and timer has fired: sinks commit here;
 * 6. `close` (async) always, also after a failure or cancellation: release resources, remove temporary files.
 */
export abstract class Operator implements Receiver {
  inputWatermark: Instant = MIN_TIMESTAMP;
  outputWatermark: Instant = MIN_TIMESTAMP;
  elementsIn = 0;
  elementsOut = 0;
  droppedLate = 0;
  errors = 0;
  inBundle = false;
  /** Output receivers by tag, wired by the engine. */
  outputs = new Map<string, Receiver>();
  protected main: Receiver = NULL_RECEIVER;

  constructor(readonly node: NodeInfo) {}

  get name(): string {
    return this.node.name;
  }

  wire(outputs: Map<string, Receiver>): void {
    this.outputs = outputs;
    this.main = outputs.get('main') ?? NULL_RECEIVER;
  }

  abstract process(value: unknown, timestamp: Instant, windows: readonly BoundedWindow[], pane: PaneInfo): void;

  /** A run of elements at once (a decoded exchange bundle, a source batch); by default one `process` call each. */
  processBundle(bundle: Bundle): void {
    const { values, timestamps, windows, panes } = bundle;
    for (let i = 0; i < values.length; i++) this.process(values[i], timestamps[i]!, windows[i]!, panes[i]!);
  }

  /**
   * Opens a bundle (lazily, before its first element): the engine finishes every operator whose `inBundle` is set,
   * in topological order, when the bundle ends.
   */
  protected enterBundle(): void {
    this.inBundle = true;
    this.startBundle();
  }

  async open(): Promise<void> {}
  startBundle(): void {}
  /** Ends the bundle: keyed operators process what they buffered, DoFns run finishBundle. */
  finishBundle(): void {}
  /** The input watermark moved forward: fire due event-time timers. */
  onWatermark(watermark: Instant): void {
    this.inputWatermark = watermark;
  }
  /**
   * Work that the last watermark advance started and that is not done yet (firing timers, emitting groups). The
   * engine does it in slices through `drain`, checking for cancellation between them; meanwhile the operator holds
   * its output watermark (see holdWatermark overrides).
   */
  hasPendingWork(): boolean {
    return false;
  }
  /** Goes on with the pending work until it is done or `Date.now()` passes `deadline`; true while work remains. */
  drain(_deadline: number): boolean {
    return false;
  }
  /** Processing time moved: fire due processing-time timers. */
  advanceProcessingTime(_now: Instant): void {}
  /** The earliest processing-time timer pending, if any. */
  nextProcessingTimer(): Instant | undefined {
    return undefined;
  }
  /** Side inputs may have become ready: retry pushed-back elements. */
  onSideInputProgress(): void {}
  /** The minimum of this operator's holds (buffered elements, state holds), MAX when none. */
  holdWatermark(): Instant {
    return Infinity;
  }
  /**
   * Work that must finish before the engine pushes more input (a sink's writes in flight): awaited between bundles,
   * so an asynchronous write never blocks the bundle loop and never piles up unbounded. Undefined when there is none.
   */
  pendingIo(): Promise<void> | undefined {
    return undefined;
  }
  /** The operator's state for checkpoint `checkpointId`, as plain data (stateless operators: undefined). */
  async snapshot(_checkpointId: number): Promise<unknown> {
    return undefined;
  }
  /** Restores what `snapshot` returned, before any input. */
  async restore(_snapshot: unknown): Promise<void> {}
  /** The input ended and everything fired: commit (sinks), flush. Awaited; not called after a failure. */
  async finish(): Promise<void> {}
  async close(): Promise<void> {}
}
