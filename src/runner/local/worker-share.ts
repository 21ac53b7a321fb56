import type { BoundedSource, Instant, PrimitiveNode, UnboundedSource } from '../../model/index.ts';
import type { Channel, ChannelTarget } from './channel.ts';
import type { SourceOp } from './source-op.ts';
import type { CheckpointedJob } from '../checkpoint/index.ts';

/**
 * A run that is one worker's share of a job on several threads (runner/exchange implements it; the engine never
 * knows how the other workers are reached). Given as `LocalRunOptions.share`:
 * - `edge`: the channel of a stage input that crosses workers (a keyed stage's input, hashed by key; a side input's
 *   view, broadcast), or undefined for a direct channel. Its consumer's valve takes `width` channels (one per
 *   sending worker) from `channelBase` on.
 * - `source`: what a read reads in this worker (its splits, or nothing).
 * - `runInputs`: the exchanges' receiving sides feeding this worker's stages, until every sender ended.
 * - `afterFinish`: awaited after every operator finished (sinks committed), before any is closed: every worker's
 *   finish is done by then (a commit may move another worker's temp files).
 */
export interface WorkerShare {
  readonly worker: number;
  readonly workers: number;
  /**
   * `carries: 'accumulators'`: what crosses is a lifted combine's partial accumulators (keyed as the input, values the
   * combine's accumulators), not the input's elements: its values cross with the default object coder.
   */
  edge(node: PrimitiveNode, input: number, carries?: 'accumulators'): ExchangeEdge | undefined;
  source(node: PrimitiveNode, source: BoundedSource<unknown> | UnboundedSource<unknown>): BoundedSource<unknown> | UnboundedSource<unknown>;
  runInputs(loop: ShareLoop): Promise<void>;
  afterFinish(): Promise<void>;
  /**
   * A TestStream's script in this worker, played in lockstep with the other workers: the coordinator sends each
   * event to every worker (watermark and processing-time advances apply everywhere; an event's elements are read by
   * one worker) and the next one only when the whole job is at rest.
   */
  testStream?(node: PrimitiveNode): TestStreamFeed;
  /**
   * The processing time up to which the timers of stage `stage` (the plan's stage index) fire now, when not `now`:
   * on workers a TestStream's clock advance reaches the stages in topological order, with the whole job at rest in
   * between, as one worker's settle fires them (a timer's output reaches the next stage before that stage's timers).
   */
  processingTimeLimit?(stage: number, now: Instant): Instant;
  /**
   * Checkpoints of a job on worker threads (issue 14; runner/exchange checkpoint-share.ts), driven by the coordinator:
   * the worker's keyed steps keep snapshottable state and group on the streaming path, as a checkpointed run in one
   * thread does.
   */
  readonly checkpoints?: ShareCheckpoints;
  /** Counts one record rejected to the dead letters, job-wide: the job's total so far (`maxErrors` is the job's). */
  countRejected?(): number;
}

/** One worker's part in the job's checkpoints (the coordinator pauses, snapshots and commits every worker). */
export interface ShareCheckpoints {
  /** After the operators opened, before any input: restores this worker's share of a checkpoint, if any. */
  attach(job: CheckpointedJob): Promise<void>;
  /** A source is about to push a batch: it waits while the coordinator holds the sources. */
  beforeBatch(op: SourceOp): Promise<void> | undefined;
  /** A source finished a batch (its position is up to date). */
  atBoundary(op: SourceOp): Promise<void> | undefined;
  sourceDone(op: SourceOp): void;
  /** Every input ended and this worker is at rest: resolves once the coordinator took the final checkpoint. */
  finalCheckpoint(): Promise<void>;
}

/**
 * One step of a TestStream's script in one worker: play event `index` (`read`: this worker reads its elements), or
 * event `index` is complete in every worker (`done`: the script's `onEventDone` runs here, before any worker plays
 * the next event — so nothing of event index+1 reaches this worker, e.g. through an exchange, before it).
 */
export type TestStreamStep = { readonly kind: 'event'; readonly index: number; readonly read: boolean } | { readonly kind: 'done'; readonly index: number };

/** The TestStream events one worker plays, as the coordinator sends them. */
export interface TestStreamFeed {
  /** The next step of the script, or undefined at its end. */
  next(): Promise<TestStreamStep | undefined>;
  /** The step `next` gave was taken (an event played) and this worker is at rest. */
  played(index: number): void;
}

export interface ExchangeEdge {
  /** Channels this edge takes at the consumer's valve (the number of sending workers). */
  readonly width: number;
  /** The producer side (the stage writes into it); the receiving side feeds `target` as channels channelBase… */
  open(target: ChannelTarget, channelBase: number): Channel;
}

/** What the exchange inputs need from the engine's loop. */
export interface ShareLoop {
  readonly signal: AbortSignal;
  /** Resolves once the job is at rest (no drain in progress): input from other workers enters only then. */
  idle(): Promise<void> | undefined;
  /** Input arrived: bring the job to rest soon (coalesced). */
  kick(): void;
  /** Brings the job to rest now (settle, drain, sinks' I/O) and resolves when it is. */
  settle(): Promise<void>;
  /**
   * Settles the job now (watermarks moved, timers and windows they fire, pending work drained) without awaiting sinks'
   * I/O or full channels: an exchange input awaits it after a frame that moved a watermark, before the next frame.
   * (Awaiting back-pressure there could deadlock two workers whose inputs each wait for the other's ring to drain.)
   */
  settleInput(): Promise<void>;
  /** The first stage after stage `after` with a processing-time timer due on the clock, or -1. */
  dueTimerStage(after: number): number;
}
