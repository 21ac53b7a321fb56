/**
 * One worker's share of a pipeline job (the engine's `WorkerShare`, runner/local/worker-share.ts), over the worker
 * pool's exchanges and splits:
 * - a keyed stage's input (groupByKey, combine.perKey, stateful ParDo) is a hash exchange: by the key's bytes under
 *   the collection's KV coder when it declares one with a deterministic key coder, otherwise the engine's canonical
 *   key encoding (the bytes its in-memory key groups hash, so state and routing agree); elements cross with the
 *   collection's coder, or the default object coder (coders.object()) when it declares none;
 * - a side input's view is a broadcast exchange: every worker's view sees every element;
 * - every other stage input stays direct (same worker);
 * - a bounded read reads the splits this worker takes from the coordinator's queue (one queue for every read: a
 *   split for another read is kept for it); an unbounded read runs on worker 0 only, unless it reads in parallel
 *   (`UnboundedSource.parallel`: every worker opens a reader with its index and the worker count, and reads its share);
 * - a producer's exchange ends (END, in-band) when its output watermark reaches the end of time: nothing follows it;
 * - a read's share passes on its parts' event-time progress (SourceBatch.watermark) when they are in event-time order
 *   (`BoundedSource.orderedParts`) or the read is one part: the parts this worker takes later come after the one it
 *   reads (the queue hands them out in order), so that part's watermark holds for the rest of the share too;
 * - in a job whose sources are all bounded and none passes on its progress, only the last watermark crosses: one
 *   worker's stages jump from −∞ to +∞
 *   there, and the batch groupings rely on it; a finite watermark from another worker (a side-input ParDo holding
 *   elements back) would otherwise reach them mid-input. Nothing is late by it: it only promised what +∞ promises;
 * - a TestStream plays in lockstep (LockstepFeed, `quiesce`): every worker applies each watermark and clock advance,
 *   one worker reads each event's elements, and the next event comes once no frame is in flight anywhere.
 */
import {
  coders,
  isKvCoder,
  MAX_TIMESTAMP,
  RiffleError,
  type BoundedSource,
  type BoundedWindow,
  type Coder,
  type Instant,
  type PaneInfo,
  type PipelineGraph,
  type PrimitiveNode,
  type SourceBatch,
  type UnboundedSource,
} from '../../model/index.ts';
import type { Bundle, Channel, ChannelTarget } from '../local/channel.ts';
import { encodedKeyBytes } from '../local/key-group.ts';
import { encodeKey } from '../local/key-encoding.ts';
import type { ExchangeEdge, ShareLoop, TestStreamFeed, TestStreamStep, WorkerShare } from '../local/worker-share.ts';
import type { ExchangeChannel, Partitioning } from './exchange-channel.ts';
import type { ExchangeInput, ExchangeTarget } from './exchange-input.ts';
import type { WorkerContext } from './worker-context.ts';
import type { RestorePiece } from '../checkpoint/index.ts';
import { WorkerCheckpoints } from './checkpoint-share.ts';

/** A read's splits as the coordinator made them: each worker splits the same way and checks the count. */
export interface SplitPlan {
  readonly desiredBytes: number;
  readonly count: number;
}

export interface SplitRef {
  readonly node: string;
  readonly index: number;
  /** A split resumed from a checkpoint (checkpoint-share.ts): the part's own position, and elements pushed since. */
  readonly from?: unknown;
  readonly skip?: number;
}

/** Whether input `input` of `node` crosses workers, and how. */
export function exchangeKindOf(node: PrimitiveNode, input: number): 'hash' | 'broadcast' | undefined {
  if (input !== 0) return undefined;
  if (node.kind === 'groupByKey' || node.kind === 'combinePerKey' || (node.kind === 'parDo' && node.spec.stateful)) return 'hash';
  if (node.kind === 'view') return 'broadcast';
  return undefined;
}

/** The exchange ids of a plan's order (the coordinator allocates them; every worker opens the same ones). */
export function exchangeIdsOf(order: readonly PrimitiveNode[]): string[] {
  return order.flatMap((n) => n.inputs.flatMap((_, i) => (exchangeKindOf(n, i) !== undefined ? [`${n.id}:${i}`] : [])));
}

/**
 * Elements of a collection that declares no coder: the default object coder (plain values, objects, arrays, Maps,
 * Sets, Dates, bigints, bytes; a class instance it cannot rebuild is refused with an error, never flattened).
 */
const DEFAULT_CODER: Coder<unknown> = coders.object();
const DEFAULT_KV_CODER: Coder<unknown> = coders.kv(coders.object(), coders.object()) as Coder<unknown>;

/** The key bytes the engine's in-memory key groups hash (key-encoding.ts, key-group.ts): routing only. */
function canonicalKeyCoder(step: string): Coder<unknown> {
  return {
    name: 'canonical-key',
    deterministic: true,
    encode(key, out) {
      out.raw(encodedKeyBytes(encodeKey(key, step)));
    },
    decode() {
      throw new Error('canonical-key: routing only, never decoded');
    },
  };
}

/** The coordinator's TestStream commands (run-on-workers.ts plays the script; every worker gets each command). */
export type TestStreamCommand =
  | { readonly kind: 'testStream'; readonly step: 'start' }
  | { readonly kind: 'testStream'; readonly step: 'event'; readonly index: number; readonly reader: number }
  /** Event `index` is at rest in every worker: its `onEventDone` runs in each, before any plays the next event. */
  | { readonly kind: 'testStream'; readonly step: 'done'; readonly index: number }
  | { readonly kind: 'testStream'; readonly step: 'end' }
  /** Processing-time timers of the stages up to `upTo` fire on the advanced clock (null: every stage's). */
  | { readonly kind: 'testStream'; readonly step: 'timers'; readonly upTo: number | null };

/**
 * A worker's answer to `quiesce`: frames it sent into exchanges and frames its exchange inputs handed on, so far; and
 * the first stage past the timer gate with a processing-time timer due (-1: none).
 */
export interface QuiesceReply {
  readonly sent: number;
  readonly received: number;
  readonly due: number;
}

export class PipelineShare implements WorkerShare {
  readonly worker: number;
  readonly workers: number;
  private readonly inputs: ExchangeInput[] = [];
  private readonly outs: ExchangeChannel[] = [];
  private readonly feed: LockstepFeed;
  /** During a TestStream clock advance: the last stage whose timers fire on the advanced clock (the others' wait). */
  private timerGate: number | undefined;
  /** The clock before that advance (the time the gated stages' timers stay at). */
  private gateTime = 0;
  private loop: ShareLoop | undefined;
  private readonly queue: SplitQueue;
  /** Checkpoints on workers: this worker's part (checkpoint-share.ts). */
  readonly checkpoints?: WorkerCheckpoints;
  /** Splits of each bounded read this worker finished (all their elements pushed), for checkpoints. */
  private readonly splitsDone = new Map<string, number[]>();
  /** Every source is bounded and no read's share passes on event-time progress: only the end of time crosses. */
  private readonly endOnly: boolean;

  constructor(
    private readonly ctx: WorkerContext,
    private readonly graph: PipelineGraph,
    private readonly splits: Readonly<Record<string, SplitPlan>>,
    private readonly closed: Promise<void>,
    /** The job takes checkpoints (issue 14): this worker's pieces of the checkpoint it resumes from, if any. */
    checkpoint?: { readonly restore?: readonly RestorePiece[]; readonly allowNonRestored?: boolean },
    /** The job's count of rejected records, shared by every worker (Int32 at 0). */
    private readonly rejected?: Int32Array,
  ) {
    this.worker = ctx.index;
    this.workers = ctx.workers;
    this.queue = new SplitQueue(ctx);
    if (checkpoint !== undefined) this.checkpoints = new WorkerCheckpoints(ctx, this, checkpoint.restore, checkpoint.allowNonRestored === true);
    this.feed = new LockstepFeed(ctx.index, (index) => this.beforeEvent(index));
    const nodes = [...graph.nodes.values()];
    const bounded = nodes.every((n) => n.kind !== 'testStream' && (n.kind !== 'read' || n.spec.source.kind === 'bounded'));
    this.endOnly = bounded && !nodes.some((n) => n.kind === 'read' && n.spec.source.kind === 'bounded' && passesProgress(n.spec.source, splits[n.id]));
  }

  countRejected(): number {
    return this.rejected === undefined ? 0 : Atomics.add(this.rejected, 0, 1) + 1;
  }

  edge(node: PrimitiveNode, input: number, carries?: 'accumulators'): ExchangeEdge | undefined {
    const kind = exchangeKindOf(node, input);
    if (kind === undefined) return undefined;
    const collection = this.graph.collections.get(node.inputs[input]!)!;
    const inputCoder = collection.coder;
    // A custom window function's windows cross with its coder (global and interval windows need none).
    const windowCoder = collection.windowing.windowFn.windowCoder;
    // A lifted combine's partial accumulators: keyed (and routed) as the input, values with the default object coder.
    const declared = carries === 'accumulators' ? (isKvCoder(inputCoder) ? (coders.kv(inputCoder.keyCoder, DEFAULT_CODER) as Coder<unknown>) : undefined) : inputCoder;
    const id = `${node.id}:${input}`;
    let coder: Coder<unknown>;
    let partitioning: Partitioning;
    if (kind === 'broadcast') {
      coder = declared ?? DEFAULT_CODER;
      partitioning = { kind: 'broadcast' };
    } else if (isKvCoder(declared) && declared.keyCoder.deterministic) {
      coder = declared;
      partitioning = { kind: 'hash' };
    } else {
      coder = declared ?? DEFAULT_KV_CODER;
      partitioning = { kind: 'hash', key: (v) => (v as { key: unknown }).key, keyCoder: canonicalKeyCoder(node.name) };
    }
    return {
      width: this.workers,
      open: (target: ChannelTarget, channelBase: number): Channel => {
        const out = this.ctx.exchangeOutput(id, { coder, partitioning, step: node.name, ...(windowCoder !== undefined ? { windowCoder } : {}) });
        this.outs.push(out);
        this.inputs.push(this.ctx.exchangeInput(id, { coder, target: this.target(target), channelBase, ...(windowCoder !== undefined ? { windowCoder } : {}) }));
        return new EndingChannel(out, this.endOnly);
      },
    };
  }

  /**
   * The stage as an exchange target: after input, the engine settles; input waits while the engine drains. After a
   * frame that may move the stage's watermark (a watermark, idle status, end), the next frame waits until the job has
   * settled on it: the timers and windows it fires come before the data that followed it, as in one worker (a timer
   * re-set by every element would otherwise be moved on by the next batch's elements before it fired).
   */
  private target(t: ChannelTarget): ExchangeTarget {
    const kick = () => this.loop?.kick();
    let moved = false;
    return {
      receiver: t.receiver,
      watermark: (c, w) => {
        t.watermark(c, w);
        moved = true;
        kick();
      },
      idle: (c, idle) => {
        t.idle(c, idle);
        moved = true;
        kick();
      },
      barrier: (c, id) => t.barrier(c, id),
      end: (c) => {
        t.end(c);
        moved = true;
        kick();
      },
      endBundle: kick,
      ready: () => {
        if (!moved) return this.loop?.idle();
        moved = false;
        return this.loop?.settleInput();
      },
    };
  }

  source(node: PrimitiveNode, source: BoundedSource<unknown> | UnboundedSource<unknown>): BoundedSource<unknown> | UnboundedSource<unknown> {
    if (source.kind === 'unbounded') {
      if (source.parallel === true) return parallelShare(source, this.worker, this.workers);
      return this.worker === 0 ? source : new SplitSource(source.describe(), async function* () {});
    }
    const plan = this.splits[node.id];
    if (plan === undefined) throw new RiffleError('WORKER_SPLITS', `worker ${this.worker}: no splits were planned for the read '${node.name}'`, { domain: 'internal' });
    let parts: Promise<BoundedSource<unknown>[]> | undefined;
    const partsOf = async () => {
      const got = await (parts ??= source.split(plan.desiredBytes));
      if (got.length !== plan.count) {
        throw new RiffleError('WORKER_SPLITS', `the read '${node.name}' split into ${got.length} parts in worker ${this.worker} but ${plan.count} in the coordinator (${source.describe()})`, {
          domain: 'internal',
          context: { step: node.name },
          hint: 'the source must split the same way each time (e.g. list its files in a fixed order); run with --workers 1 meanwhile',
        });
      }
      return got;
    };
    const queue = this.queue;
    let done = this.splitsDone.get(node.id);
    if (done === undefined) this.splitsDone.set(node.id, (done = []));
    return new SplitSource(
      source.describe(),
      async function* () {
        for (let k = await queue.next(node.id); k !== undefined; k = await queue.next(node.id)) yield { ...k, part: (await partsOf())[k.index]! };
      },
      passesProgress(source, plan),
      done,
    );
  }

  /** A bounded read's split plan and the splits this worker finished (checkpoints). */
  readOf(node: string): { desiredBytes: number; count: number; done: readonly number[] } | undefined {
    const plan = this.splits[node];
    return plan === undefined ? undefined : { desiredBytes: plan.desiredBytes, count: plan.count, done: this.splitsDone.get(node) ?? [] };
  }

  testStream(): TestStreamFeed {
    return this.feed;
  }

  /** A TestStream command of the coordinator's: resolves once this worker played it (see LockstepFeed). */
  async testStreamCommand(command: TestStreamCommand): Promise<void> {
    if (command.step !== 'timers') return this.feed.command(command);
    this.timerGate = command.upTo ?? undefined;
    await this.loop?.settle();
  }

  processingTimeLimit(stage: number, now: Instant): Instant {
    return this.timerGate !== undefined && stage > this.timerGate ? this.gateTime : now;
  }

  /**
   * Before a TestStream event plays here: a clock advance closes the timer gate (no stage's timers fire on the new
   * time until the coordinator opens the gate stage by stage, the job at rest in between).
   */
  private beforeEvent(index: number): void {
    const node = [...this.graph.nodes.values()].find((n) => n.kind === 'testStream');
    if (node?.kind !== 'testStream' || node.spec.events[index]?.kind !== 'processingTime') return;
    // The virtual clock starts at 0 and moves only by the script's advances.
    let before = 0;
    for (let i = 0; i < index; i++) {
      const ev = node.spec.events[i]!;
      if (ev.kind === 'processingTime') before += ev.advanceBy;
    }
    this.timerGate = -1;
    this.gateTime = before;
  }

  /**
   * Brings this worker to rest — settled until no exchange frame arrived during the settle — and counts the frames
   * it sent and received. The coordinator repeats this over all workers until two rounds give the same totals with
   * as many received as sent (double counting): then nothing is in flight and every worker is at rest.
   */
  async quiesce(): Promise<QuiesceReply> {
    const received = () => this.inputs.reduce((n, i) => n + i.framesIn, 0);
    for (;;) {
      const before = received();
      await this.loop?.settle();
      if (received() === before || this.loop?.signal.aborted === true) break;
    }
    const due = this.timerGate === undefined ? -1 : (this.loop?.dueTimerStage(this.timerGate) ?? -1);
    return { sent: this.outs.reduce((n, o) => n + o.framesSent, 0), received: received(), due };
  }

  async runInputs(loop: ShareLoop): Promise<void> {
    this.loop = loop;
    // The engine runs the inputs before its sources: the coordinator hands out splits once every worker is here.
    this.ctx.started();
    // A run that stops (cancelled, failed) plays no more events: the coordinator's commands waiting on it resolve.
    if (loop.signal.aborted) this.feed.stop();
    else loop.signal.addEventListener('abort', () => this.feed.stop(), { once: true });
    if (this.inputs.length === 0) return;
    const { signal } = loop;
    const aborted = new Promise<never>((_, reject) => {
      if (signal.aborted) reject(signal.reason);
      signal.addEventListener('abort', () => reject(signal.reason), { once: true });
    });
    aborted.catch(() => {});
    await Promise.race([Promise.all(this.inputs.map((i) => i.run())), aborted]);
  }

  async afterFinish(): Promise<void> {
    this.ctx.reportMetrics({ finished: 1 });
    await this.closed;
  }
}

/**
 * The TestStream events this worker plays, as the coordinator's commands bring them: `start` is taken once the
 * worker's bounded reads are done (the script starts after them, as in one worker); each `event` resolves once played
 * and settled here; each `done` once the script's `onEventDone` ran here; `end` ends the script. Commands wait in
 * order until the engine's source driver asks for them.
 */
class LockstepFeed implements TestStreamFeed {
  private queue: Array<{ readonly command: TestStreamCommand; readonly done: () => void }> = [];
  private wakeUp: (() => void) | undefined;
  private playing: (() => void) | undefined;
  private stopped = false;

  constructor(
    private readonly worker: number,
    /** Called as an event is handed to the source driver, before it plays. */
    private readonly beforeEvent: (index: number) => void,
  ) {}

  command(command: TestStreamCommand): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise<void>((done) => {
      this.queue.push({ command, done });
      this.wake();
    });
  }

  async next(): Promise<TestStreamStep | undefined> {
    for (;;) {
      while (this.queue.length === 0) {
        if (this.stopped) return undefined;
        await new Promise<void>((resolve) => (this.wakeUp = resolve));
      }
      const { command, done } = this.queue.shift()!;
      if (command.step === 'start') {
        done();
        continue;
      }
      if (command.step === 'end') {
        done();
        return undefined;
      }
      if (command.step === 'done') {
        this.playing = done;
        return { kind: 'done', index: command.index };
      }
      if (command.step !== 'event') {
        done();
        continue;
      }
      this.beforeEvent(command.index);
      this.playing = done;
      return { kind: 'event', index: command.index, read: command.reader === this.worker };
    }
  }

  played(): void {
    const done = this.playing;
    this.playing = undefined;
    done?.();
  }

  /** The run stopped: every command waiting resolves (so the worker's control loop ends), and so do later ones. */
  stop(): void {
    this.stopped = true;
    for (const q of this.queue) q.done();
    this.queue = [];
    this.played();
    this.wake();
  }

  private wake(): void {
    const w = this.wakeUp;
    this.wakeUp = undefined;
    w?.();
  }
}

/**
 * The coordinator's split queue, asked per read (`nextSplit(node)`): a read's next split when it finished the one
 * before. (One queue for every read handed a worker's impulse read the splits of the other reads, all kept for them:
 * one worker could hold most of a big read's parts, in no useful order.)
 */
class SplitQueue {
  constructor(private readonly ctx: WorkerContext) {}

  async next(node: string): Promise<SplitRef | undefined> {
    const s = await this.ctx.nextSplit(node);
    return s === undefined ? undefined : (s as SplitRef);
  }
}

/** A parallel unbounded read's share in one worker: its reader opens with this worker's index and the worker count. */
function parallelShare(source: UnboundedSource<unknown>, worker: number, workers: number): UnboundedSource<unknown> {
  return {
    kind: 'unbounded',
    parallel: true,
    describe: () => source.describe(),
    ...(source.mergePositions !== undefined ? { mergePositions: (positions: readonly unknown[]) => source.mergePositions!(positions) } : {}),
    open: (position, signal, context) => source.open(position, signal, { ...context, worker, workers }),
  };
}

/**
 * Whether a read's share passes on its parts' event-time progress: when the parts are in event-time order (a part's
 * watermark holds for every part after it, and a worker takes its parts in list order) or the read is one part.
 */
function passesProgress(source: BoundedSource<unknown>, plan: SplitPlan | undefined): boolean {
  return source.orderedParts === true || (plan !== undefined && plan.count <= 1);
}

/**
 * A read's share in one worker: the parts it takes from the queue, each read as it comes. The share's watermark is
 * that of the part it reads when `progress` (parts in event-time order: the parts it takes later come after it, so
 * that promise holds for them too; the parts before it are another worker's or done); otherwise none is passed on.
 */
class SplitSource implements BoundedSource<unknown> {
  readonly kind = 'bounded';
  constructor(
    private readonly description: string,
    private readonly parts: () => AsyncIterable<SplitRef & { readonly part: BoundedSource<unknown> }>,
    private readonly progress = false,
    /** Splits finished here (checkpoints): a split is marked once the batch after its last one is asked for. */
    private readonly done: number[] = [],
  ) {}
  describe(): string {
    return this.description;
  }
  async estimateSizeBytes(): Promise<number> {
    return 0;
  }
  async split(): Promise<BoundedSource<unknown>[]> {
    return [this];
  }
  /**
   * Each batch carries where this worker's read stands: `{ index, from, skip }` — the split, its part's own position
   * (parts that give positions) and the elements pushed since — for checkpoints (checkpoint-share.ts). A split resumed
   * from a checkpoint (`from`/`skip` in its ref) reads from its position and drops the elements already pushed.
   */
  async *read(signal?: AbortSignal): AsyncIterable<SourceBatch<unknown>> {
    for await (const { index, part, from, skip = 0 } of this.parts()) {
      if (signal?.aborted) return;
      if (from !== undefined && typeof part.readFrom !== 'function') {
        throw new RiffleError('CHECKPOINT_INVALID', `the checkpoint holds a position in part ${index} of ${this.description}, which reads no positions`, { domain: 'user', hint: 'the pipeline changed its source since the checkpoint; run without --resume' });
      }
      let position = from;
      let pushed = skip;
      let drop = skip;
      for await (const read of from !== undefined ? part.readFrom!(from, signal) : part.read(signal)) {
        let b = read;
        if (drop > 0) {
          const n = b.values.length;
          if (n <= drop) {
            drop -= n;
            continue;
          }
          b = { ...b, values: b.values.slice(drop), ...(b.timestamps ? { timestamps: b.timestamps.slice(drop) } : {}) };
          drop = 0;
        }
        if (b.position !== undefined) [position, pushed] = [b.position, 0];
        else pushed += b.values.length;
        // Unordered parts: a part's watermark (SourceBatch.watermark) promises nothing about the parts read after it.
        const own = this.progress || b.watermark === undefined ? b : { values: b.values, ...(b.timestamps ? { timestamps: b.timestamps } : {}), ...(b.errors ? { errors: b.errors } : {}) };
        yield { ...own, position: { index, ...(position !== undefined ? { from: position } : {}), skip: pushed } };
      }
      // Asked for the batch after the split's last one: every element of it was pushed.
      if (!signal?.aborted) this.done.push(index);
    }
  }

  /** Never called: a worker's share is resumed through its splits' refs (see `read`). */
  readFrom(): AsyncIterable<SourceBatch<unknown>> {
    throw new RiffleError('ENGINE_INVARIANT', `${this.description}: a worker's share of a read is resumed through its splits`, { domain: 'internal' });
  }
}

/** An exchange that ends when its producer's output watermark reaches the end of time (nothing can follow). */
class EndingChannel implements Channel {
  readonly elementSink: ExchangeChannel;
  private ended = false;
  constructor(
    private readonly inner: ExchangeChannel,
    /** Only the end of time crosses (a bounded job). */
    private readonly endOnly: boolean,
  ) {
    this.elementSink = inner;
  }
  process(value: unknown, timestamp: Instant, windows: readonly BoundedWindow[], pane: PaneInfo): void {
    this.inner.process(value, timestamp, windows, pane);
  }
  push(bundle: Bundle): void {
    this.inner.push(bundle);
  }
  flush(): void {
    this.inner.flush();
  }
  watermark(watermark: Instant): void {
    if (this.ended || (this.endOnly && watermark < MAX_TIMESTAMP)) return;
    this.inner.watermark(watermark);
    if (watermark >= MAX_TIMESTAMP) this.end();
  }
  idle(idle: boolean): void {
    if (!this.ended) this.inner.idle(idle);
  }
  barrier(id: number): void {
    if (!this.ended) this.inner.barrier(id);
  }
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.inner.end();
  }
  ready(): Promise<void> | undefined {
    return this.inner.ready();
  }
}
