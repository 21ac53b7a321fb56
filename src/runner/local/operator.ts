import { MIN_TIMESTAMP, type BoundedWindow, type Instant, type NodeInfo, type PaneInfo } from '../../model/index.ts';

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
 * An executing step. Operators receive elements through `process`, are told when their input watermark advances,
 * and report their output watermark; they never compute the global watermark themselves (the engine does, in one
 * place). Every hook but `process` has a default.
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

  /**
   * Opens a bundle (lazily, before its first element): the engine finishes every operator whose `inBundle` is set,
   * in topological order, when the bundle ends.
   */
  protected enterBundle(): void {
    this.inBundle = true;
    this.startBundle();
  }

  async setup(): Promise<void> {}
  startBundle(): void {}
  /** Ends the bundle: keyed operators process what they buffered, DoFns run finishBundle. */
  finishBundle(): void {}
  /** The input watermark moved forward: fire due event-time timers. */
  advanceInputWatermark(watermark: Instant): void {
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
  async teardown(): Promise<void> {}
}
