/**
 * What a worker's module gets: who it is, its key groups, its exchanges, splits to read, the coordinator's commands,
 * and a way to report metrics. The module exports `runWorker(ctx)`; what it resolves to is the worker's result.
 *
 * @example
 *   export async function runWorker(ctx: WorkerContext): Promise<number> {
 *     const out = ctx.exchangeOutput('sums', { coder, partitioning: { kind: 'hash' } });
 *     const input = ctx.exchangeInput('sums', { coder, target });
 *     const reading = input.run();
 *     for (let s = await ctx.nextSplit(); s !== undefined; s = await ctx.nextSplit()) { ...out.process(...); await out.ready(); }
 *     out.end(); await out.closed(); await reading;
 *     return total;
 *   }
 */
import type { MessagePort } from 'node:worker_threads';
import type { BoundedWindow, Coder } from '../../model/index.ts';
import { ExchangeChannel, type ExchangeChannelOptions } from './exchange-channel.ts';
import { ExchangeInput, type ExchangeTarget } from './exchange-input.ts';
import { FrameKind, readJsonPayload } from './frames.ts';
import { keyGroupRangeOf, type KeyGroupRange } from './key-group-range.ts';
import type { CoordinatorMessage, WorkerInit, WorkerMessage } from './protocol.ts';
import { Doorbell, ExchangeAbortedError, RingReader, RingWriter } from './ring.ts';
import { WindowedValueCodec } from './windowed-value-codec.ts';
import { LocalLane } from './local-lane.ts';

/** A coordinator command; `seq` orders them and is acknowledged when the handler is done. */
export interface ControlCommand {
  readonly seq: number;
  readonly command: unknown;
}

export interface WorkerContext {
  readonly index: number;
  readonly workers: number;
  readonly maxParallelism: number;
  /** The key groups this worker owns. */
  readonly keyGroups: KeyGroupRange;
  /** What the coordinator passed to every worker. */
  readonly data: unknown;
  /**
   * The next split of the job's input to read, or undefined when none is left (splits go to whoever asks first).
   * `of`: the next split of that read (the pool's `splitOf` names each split's read), undefined when it has none left.
   */
  nextSplit(of?: string): Promise<unknown>;
  /** Tells the coordinator this worker's exchange inputs are running (with `splitsOnceStarted`, splits wait for it). */
  started(): void;
  /** This worker's sending side of exchange `id`. */
  exchangeOutput(id: string, options: Omit<ExchangeChannelOptions, 'writers' | 'sender'>): ExchangeChannel;
  /** This worker's receiving side of exchange `id`; call `run()` on it. */
  exchangeInput(id: string, options: { coder: Coder<unknown>; windowCoder?: Coder<BoundedWindow>; target: ExchangeTarget; channelBase?: number; alignBarriers?: boolean }): ExchangeInput;
  /**
   * Handles the coordinator's commands in order, one at a time; the coordinator's `control()` resolves once every
   * worker's handler finished the command (lockstep). What the handler returns (structured-cloneable) is the worker's
   * reply (`WorkerPool.request`).
   */
  onControl(handler: (command: unknown) => unknown): void;
  /** Sends metrics to the coordinator (the latest per worker is kept; the final ones go with the result). */
  reportMetrics(metrics: Record<string, number>): void;
}

export class WorkerContextImpl implements WorkerContext {
  readonly index: number;
  readonly workers: number;
  readonly maxParallelism: number;
  readonly keyGroups: KeyGroupRange;
  readonly data: unknown;
  private splitRequests = new Map<number, (split: unknown) => void>();
  private nextRequest = 0;
  private readonly opened = new Set<string>();
  /** Per exchange, the lane between this worker's output and its own input (local-lane.ts). */
  private readonly lanes = new Map<string, LocalLane>();
  private controlLoop: Promise<void> | undefined;
  private readonly controlBell: Doorbell;
  private stopping = false;
  latestMetrics: Record<string, number> = {};

  constructor(
    private readonly init: WorkerInit,
    private readonly port: MessagePort,
  ) {
    this.index = init.index;
    this.workers = init.workers;
    this.maxParallelism = init.maxParallelism;
    this.keyGroups = keyGroupRangeOf(init.index, init.workers, init.maxParallelism);
    this.data = init.data;
    this.controlBell = new Doorbell(init.control.doorbell);
    port.on('message', (m: CoordinatorMessage) => {
      if (m.type === 'split') {
        const resolve = this.splitRequests.get(m.id);
        this.splitRequests.delete(m.id);
        resolve?.(m.done ? undefined : m.split);
      }
    });
  }

  post(message: WorkerMessage): void {
    this.port.postMessage(message);
  }

  started(): void {
    this.post({ type: 'started' });
  }

  nextSplit(of?: string): Promise<unknown> {
    const id = this.nextRequest++;
    return new Promise((resolve) => {
      this.splitRequests.set(id, resolve);
      this.post(of === undefined ? { type: 'split-request', id } : { type: 'split-request', id, of });
    });
  }

  private wiring(id: string, side: string) {
    const w = this.init.exchanges[id];
    if (w === undefined) throw new RangeError(`worker ${this.index}: no exchange '${id}' (the coordinator allocated: ${Object.keys(this.init.exchanges).join(', ') || 'none'})`);
    const key = `${side}:${id}`;
    if (this.opened.has(key)) throw new Error(`worker ${this.index}: the ${side} of exchange '${id}' is already open (rings have a single ${side === 'output' ? 'writer' : 'reader'})`);
    this.opened.add(key);
    return w;
  }

  exchangeOutput(id: string, options: Omit<ExchangeChannelOptions, 'writers' | 'sender'>): ExchangeChannel {
    const w = this.wiring(id, 'output');
    const writers = w.outRings.map((ring, d) => new RingWriter(ring, w.outDoorbells[d]!));
    const partitioning = options.partitioning.kind === 'hash' ? { maxParallelism: this.maxParallelism, ...options.partitioning } : options.partitioning;
    return new ExchangeChannel({ ...options, partitioning, writers, sender: this.index, local: this.laneOf(id) });
  }

  private laneOf(id: string): LocalLane {
    let lane = this.lanes.get(id);
    if (lane === undefined) this.lanes.set(id, (lane = new LocalLane()));
    return lane;
  }

  exchangeInput(id: string, options: { coder: Coder<unknown>; windowCoder?: Coder<BoundedWindow>; target: ExchangeTarget; channelBase?: number; alignBarriers?: boolean }): ExchangeInput {
    const w = this.wiring(id, 'input');
    const { coder, windowCoder, ...rest } = options;
    return new ExchangeInput({ ...rest, rings: w.inRings, doorbell: w.doorbell, codec: new WindowedValueCodec(coder, windowCoder), local: this.laneOf(id) });
  }

  onControl(handler: (command: unknown) => unknown): void {
    if (this.controlLoop) throw new Error(`worker ${this.index}: onControl was already called`);
    this.controlLoop = this.readControl(handler);
    // A failing handler fails the worker: the rejection surfaces through `stop()` and runWorker's caller.
    this.controlLoop.catch(() => {});
  }

  private async readControl(handler: (command: unknown) => unknown): Promise<void> {
    const reader = new RingReader(this.init.control.ring);
    for (;;) {
      const seen = this.controlBell.current();
      const frame = reader.poll();
      if (frame === undefined) {
        try {
          await this.controlBell.wait(seen);
        } catch (e) {
          if (this.stopping && e instanceof ExchangeAbortedError) return;
          throw e;
        }
        continue;
      }
      if (frame.kind === FrameKind.END) return;
      if (frame.kind !== FrameKind.CONTROL) throw new Error(`worker ${this.index}: unexpected frame kind ${frame.kind} on the control ring`);
      const { seq, command } = readJsonPayload(frame.payload) as ControlCommand;
      const reply = await handler(command);
      this.post(reply === undefined ? { type: 'ack', seq } : { type: 'ack', seq, reply });
    }
  }

  reportMetrics(metrics: Record<string, number>): void {
    this.latestMetrics = metrics;
    this.post({ type: 'metrics', metrics });
  }

  /** After runWorker: ends the control loop (rethrowing a handler's failure) so nothing keeps the thread alive. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.controlLoop === undefined) return;
    this.controlBell.abort();
    await this.controlLoop;
  }
}
