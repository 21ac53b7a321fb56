import type { Instant } from '../../model/index.ts';
import type { Channel, ChannelTarget } from './channel.ts';
import { NULL_RECEIVER, type Operator, type Receiver } from './operator.ts';
import { BarrierTracker, WatermarkValve } from './watermark-valve.ts';

interface OutputEdge {
  readonly from: Operator;
  readonly channel: Channel;
  /** The last watermark sent on the channel. */
  sent: Instant;
  /** The last idle status sent on the channel (idle: left out of the receivers' watermark minimum). */
  idle: boolean;
}

/**
 * One stage of the plan at run time: a fused chain (a tree, when a step has several consumed outputs) of operators
 * that elements pass through synchronously, fed by its input channels and feeding its output channels.
 *
 * The stage is its inputs' `ChannelTarget`: elements go straight to its first operator; watermarks, idleness, the end
 * of input and barriers go to its valve. `settle` moves the stage forward:
 * 1. in the chain's order, each operator's open bundle is finished (keyed operators hand buffered keys to the reducer,
 *    DoFns run finishBundle), so everything sent before a watermark is processed before it;
 * 2. each operator's input watermark becomes its upstream operator's output watermark (the valve's output for the
 *    first one); an advance fires its event-time timers (`onWatermark`); pushed-back side-input elements retry; its
 *    output watermark becomes min(input, holds), never backwards;
 * 3. output watermarks go out on the channels that left an operator, in-band after the elements it emitted.
 */
export class StageExecutor implements ChannelTarget {
  readonly ops: Operator[] = [];
  /** For each operator, the operator of this stage that feeds it; undefined for the first (it reads the valve). */
  private readonly feeders: Array<Operator | undefined> = [];
  private readonly edges: OutputEdge[] = [];
  private valveState: WatermarkValve;
  private barriers: BarrierTracker;
  /** Barriers aligned at this stage's input and not yet taken by the engine (snapshots, issue 14). */
  readonly alignedBarriers: number[] = [];
  receiver: Receiver = NULL_RECEIVER;
  private sourceStage = false;

  constructor(
    readonly id: number,
    /** Why the stage starts where it does (planner.ts): 'source', 'shuffle', 'flatten', 'side-input', ... */
    readonly startsAt: string,
  ) {
    this.valveState = new WatermarkValve(0);
    this.barriers = new BarrierTracker(0);
  }

  get valve(): WatermarkValve {
    return this.valveState;
  }

  /**
   * Adds an operator. `feeder` is the operator of this stage whose output it reads; none for the stage's first
   * operator, which reads `inputs` channels (none for a source).
   */
  add(op: Operator, feeder: Operator | undefined, inputs = 0): void {
    if (feeder === undefined) {
      if (this.ops.length > 0) throw new Error(`stage ${this.id}: only its first operator reads channels (${op.name})`);
      this.receiver = op;
      this.sourceStage = inputs === 0;
      this.valveState = new WatermarkValve(inputs);
      this.barriers = new BarrierTracker(inputs);
    }
    this.ops.push(op);
    this.feeders.push(feeder);
  }

  /** Records that `channel` leaves operator `from` of this stage (its watermarks are sent by `settle`). */
  connect(from: Operator, channel: Channel): void {
    this.edges.push({ from, channel, sent: -Infinity, idle: false });
  }

  // ---- ChannelTarget: control from the input channels

  watermark(channel: number, watermark: Instant): void {
    this.valveState.watermark(channel, watermark);
  }

  idle(channel: number, idle: boolean): void {
    this.valveState.idle(channel, idle);
  }

  end(channel: number): void {
    this.valveState.end(channel);
  }

  barrier(channel: number, id: number): void {
    if (!this.barriers.barrier(channel, id, (c) => this.valveState.isEnded(c))) return;
    // Aligned: everything before the barrier is in. Within one worker input is synchronous, so nothing was held back.
    this.passBarrier(id);
  }

  /** A source stage starts checkpoint `id` here (issue 14): what it read so far is before the barrier. */
  injectBarrier(id: number): void {
    if (!this.sourceStage) throw new Error(`stage ${this.id} reads channels: barriers enter it through them`);
    this.passBarrier(id);
  }

  /** Ends the open bundles (their output precedes the barrier), records the barrier, and sends it on in-band. */
  private passBarrier(id: number): void {
    this.finishBundles();
    this.alignedBarriers.push(id);
    for (const e of this.edges) {
      e.channel.flush();
      e.channel.barrier(id);
    }
  }

  // ---- progress

  /** Finishes every open bundle of the stage, in chain order. */
  finishBundles(): void {
    const ops = this.ops;
    for (let i = 0; i < ops.length; i++) {
      finish(ops[i]!);
    }
  }

  /** Moves the stage forward (see the class comment): bundles, watermarks, side inputs, then the output channels. */
  settle(): void {
    const ops = this.ops;
    const feeders = this.feeders;
    for (let i = 0; i < ops.length; i++) {
      const op = ops[i]!;
      finish(op);
      const feeder = feeders[i];
      if (feeder === undefined && this.sourceStage) continue; // a source: the engine sets its watermark
      const inWm = feeder === undefined ? this.valveState.output : feeder.outputWatermark;
      if (inWm > op.inputWatermark) op.onWatermark(inWm);
      op.onSideInputProgress();
      finish(op);
      const out = Math.min(op.inputWatermark, op.holdWatermark());
      if (out > op.outputWatermark) op.outputWatermark = out;
    }
    // Idle: an unbounded reader with nothing to read (SourceOp.idle), or every input channel idle. Active status goes
    // out before the watermark, idle status after it.
    const idle = this.sourceStage ? (ops[0] as { idle?: boolean } | undefined)?.idle === true : this.valveState.isIdle;
    const edges = this.edges;
    for (let i = 0; i < edges.length; i++) {
      const e = edges[i]!;
      e.channel.flush();
      if (!idle && e.idle) {
        e.idle = false;
        e.channel.idle(false);
      }
      const wm = e.from.outputWatermark;
      if (wm > e.sent) {
        e.sent = wm;
        e.channel.watermark(wm);
      }
      if (idle && !e.idle) {
        e.idle = true;
        e.channel.idle(true);
      }
    }
  }

  /** Resolves once every output channel can take more (back-pressure); undefined when all can now. */
  ready(): Promise<void> | undefined {
    let pending: Array<Promise<void>> | undefined;
    for (const e of this.edges) {
      const r = e.channel.ready();
      if (r !== undefined) (pending ??= []).push(r);
    }
    return pending === undefined ? undefined : Promise.all(pending).then(() => undefined);
  }

  /** The input is done and everything fired: tells every output channel (in-band end of input). */
  endOutputs(): void {
    for (const e of this.edges) {
      e.channel.flush();
      e.channel.end();
    }
  }
}

function finish(op: Operator): void {
  if (op.inBundle) {
    op.inBundle = false;
    op.finishBundle();
  }
}
