/**
 * The consumer side of an exchange in one worker: reads the rings of every sender (one per sending worker), decodes
 * bundles straight into the consumer stage's first operator, and hands control to the stage's `ChannelTarget` under
 * the channel index `channelBase + sender` (so the stage's watermark valve sees each sending worker as one channel).
 *
 * Checkpoint barriers are aligned here (Chandy–Lamport, as Flink's aligned checkpoints): once sender i delivered
 * barrier n, its ring is not read again until every sender still running delivered barrier n too; the frames behind
 * the barrier stay in the ring (back-pressuring that sender). So when the target sees the barrier from its last
 * channel, everything before the barrier and nothing after it has been processed.
 *
 * The loop never spins: with nothing to read it awaits the input's doorbell; while busy it yields to the event loop
 * every couple of milliseconds so the worker's other work (its own output pumps, control) goes on.
 */
import { ByteReader, type BoundedWindow, type Instant, type PaneInfo } from '../../model/index.ts';
import type { ChannelTarget } from '../local/channel.ts';
import { FrameKind, readFloat64Payload } from './frames.ts';
import { Doorbell, ExchangeFrameError, RingReader, type Frame } from './ring.ts';
import type { WindowedValueCodec } from './windowed-value-codec.ts';
import type { LocalLane } from './local-lane.ts';

/** A ChannelTarget that may also want to know where decoded bundles end, and may hold the input back. */
export interface ExchangeTarget extends ChannelTarget {
  /** After each decoded bundle: the engine ends its bundle (finishBundle) here. */
  endBundle?(channel: number): void;
  /** Awaited (when it returns a promise) before each frame is read: the consumer stage's own back-pressure. */
  ready?(): Promise<void> | undefined;
}

export interface ExchangeInputOptions {
  /** One ring per sending worker, by sender index. */
  rings: readonly SharedArrayBuffer[];
  /** The doorbell those rings' writers ring. */
  doorbell: SharedArrayBuffer;
  codec: WindowedValueCodec;
  target: ExchangeTarget;
  /** The channel index of sender 0 among the target's inputs (default 0). */
  channelBase?: number;
  /** Align checkpoint barriers (default true). */
  alignBarriers?: boolean;
  /** The lane of the bundles this worker sent itself (LOCAL_BUNDLE frames on its own ring; local-lane.ts). */
  local?: LocalLane;
}

/** Frames read from one ring before the next ring gets its turn. */
const FRAMES_PER_TURN = 16;
/** A busy input yields to the event loop this often (a yield per frame would cost more than small bundles). */
const YIELD_AFTER_MS = 2;

export class ExchangeInput {
  private readonly readers: RingReader[];
  private readonly bell: Doorbell;
  private readonly codec: WindowedValueCodec;
  private readonly target: ExchangeTarget;
  private readonly base: number;
  private readonly align: boolean;
  private readonly lane: LocalLane | undefined;
  private readonly ended: boolean[];
  /** Senders whose barrier of `aligning` arrived: not read until the others' does. */
  private readonly blocked: boolean[];
  private aligning: number | undefined;
  private live: number;
  private readonly sink: (value: unknown, timestamp: Instant, windows: readonly BoundedWindow[], pane: PaneInfo) => void;
  /** Elements and bundles received (metrics). */
  elementsIn = 0;
  bundlesIn = 0;
  bytesIn = 0;
  /** Frames handed to the target, of every kind (the lockstep's quiescence count: one per frame a sender sent). */
  framesIn = 0;

  constructor(options: ExchangeInputOptions) {
    this.readers = options.rings.map((r) => new RingReader(r));
    this.bell = new Doorbell(options.doorbell);
    this.codec = options.codec;
    this.target = options.target;
    this.base = options.channelBase ?? 0;
    this.align = options.alignBarriers ?? true;
    this.lane = options.local;
    this.ended = new Array<boolean>(this.readers.length).fill(false);
    this.blocked = new Array<boolean>(this.readers.length).fill(false);
    this.live = this.readers.length;
    const receiver = this.target.receiver;
    this.sink = (value, timestamp, windows, pane) => receiver.process(value, timestamp, windows, pane);
  }

  /** Reads until every sender has sent END. Rejects if the exchange is aborted or a frame is malformed. */
  async run(): Promise<void> {
    const readers = this.readers;
    let lastYield = performance.now();
    while (this.live > 0) {
      const seen = this.bell.current();
      let progressed = false;
      for (let i = 0; i < readers.length; i++) {
        for (let k = 0; k < FRAMES_PER_TURN && !this.ended[i] && !this.blocked[i]; k++) {
          const hold = this.target.ready?.();
          if (hold !== undefined) await hold;
          const frame = readers[i]!.poll();
          if (frame === undefined) break;
          progressed = true;
          this.deliver(i, frame);
          this.framesIn++;
        }
      }
      if (this.live === 0) return;
      if (!progressed) {
        await this.bell.wait(seen);
        lastYield = performance.now();
      } else if (performance.now() - lastYield > YIELD_AFTER_MS) {
        // Busy for a while: let the worker's other work run (its output pumps, control), then go on.
        await new Promise<void>((resolve) => setImmediate(resolve));
        lastYield = performance.now();
      }
    }
  }

  private deliver(sender: number, frame: Frame): void {
    const channel = this.base + sender;
    switch (frame.kind) {
      case FrameKind.BUNDLE: {
        const input = new ByteReader(frame.payload);
        const n = frame.aux;
        for (let k = 0; k < n; k++) this.codec.decode(input, this.sink);
        if (!input.done) throw corrupt(`a bundle of ${n} elements from worker ${sender} has trailing bytes`);
        this.elementsIn += n;
        this.bundlesIn++;
        this.bytesIn += frame.payload.length;
        this.target.endBundle?.(channel);
        return;
      }
      case FrameKind.LOCAL_BUNDLE: {
        const b = this.lane?.shift();
        if (b === undefined || b.values.length !== frame.aux) throw corrupt(`a local bundle of ${frame.aux} elements from worker ${sender} is not in its lane`);
        const { values, timestamps, windows, panes } = b;
        const receiver = this.target.receiver;
        for (let k = 0; k < values.length; k++) receiver.process(values[k], timestamps[k]!, windows[k]!, panes[k]!);
        this.elementsIn += values.length;
        this.bundlesIn++;
        this.target.endBundle?.(channel);
        return;
      }
      case FrameKind.WATERMARK:
        this.target.watermark(channel, readFloat64Payload(frame.payload));
        return;
      case FrameKind.STATUS:
        this.target.idle(channel, frame.aux === 1);
        return;
      case FrameKind.BARRIER: {
        const id = readFloat64Payload(frame.payload);
        if (this.align) {
          if (this.aligning !== undefined && this.aligning !== id) {
            throw corrupt(`worker ${sender} sent barrier ${id} while barrier ${this.aligning} is being aligned`);
          }
          this.aligning = id;
          this.blocked[sender] = true;
        }
        this.target.barrier(channel, id);
        this.releaseIfAligned();
        return;
      }
      case FrameKind.END:
        this.ended[sender] = true;
        this.live--;
        this.target.end(channel);
        this.releaseIfAligned();
        return;
      default:
        throw corrupt(`unexpected frame kind ${frame.kind} from worker ${sender}`);
    }
  }

  /** Every running sender delivered the barrier being aligned: read them all again. */
  private releaseIfAligned(): void {
    if (this.aligning === undefined) return;
    for (let i = 0; i < this.blocked.length; i++) if (!this.ended[i] && !this.blocked[i]) return;
    this.blocked.fill(false);
    this.aligning = undefined;
  }
}

function corrupt(message: string): ExchangeFrameError {
  return new ExchangeFrameError(message);
}
