/**
 * The producer side of an exchange (Timely's pacts, Flink's partitioners): a `Channel` that routes each element to
 * a worker, appends it, encoded, to that worker's bundle buffer, and ships full buffers (and every buffer on `flush`
 * and before any control frame) as BUNDLE frames through the ring to that worker.
 *
 * Partitionings:
 * - `hash`: by the key group of the key's deterministic encoding (key-group.ts), to the worker owning that group;
 * - `broadcast`: every element to every worker (side inputs), encoded once;
 * - `forward`: to the same worker index (a stage boundary that needs no shuffle);
 * - `single`: everything to one worker (a global combine's final step, Flink's global partitioner).
 *
 * Control (watermark, idle status, barriers, end) goes to every destination, after the elements buffered before it.
 *
 * The producer calls `flush()` at the end of each of its bundles (as the engine does for every channel): bundles
 * shipped mid-bundle because a buffer filled do not wake the reader on their own, `flush` and control frames do.
 *
 * Back-pressure: when a ring is full, frames wait in a per-destination queue that a pump writes as the consumer frees
 * space; `ready()` returns a promise while the queued bytes exceed `maxQueuedBytes`, and the engine awaits it before
 * producing more. Nothing blocks a thread.
 *
 * @example
 *   const out = new ExchangeChannel({ coder: coders.kv(coders.string(), coders.varInt()), partitioning: { kind: 'hash' },
 *     writers, sender: ctx.index });
 *   out.process(kv('a', 1), ts, GLOBAL_WINDOWS, NO_FIRING); out.flush(); await out.ready();
 *   out.end(); await out.closed();
 */
import {
  ByteWriter,
  isKvCoder,
  PipelineValidationError,
  type BoundedWindow,
  type Coder,
  type Instant,
  type KV,
  type PaneInfo,
} from '../../model/index.ts';
import type { Receiver } from '../local/operator.ts';
import type { Bundle, Channel } from '../local/channel.ts';
import { FrameKind, EMPTY_PAYLOAD, float64Payload } from './frames.ts';
import { keyGroupOf, workerOfKeyGroup } from '../local/key-group.ts';
import { checkWorkers } from './key-group-range.ts';
import type { RingWriter } from './ring.ts';
import { WindowedValueCodec } from './windowed-value-codec.ts';
import { LOCAL_BUNDLE_ELEMENTS, type LocalBundle, type LocalLane } from './local-lane.ts';

export type Partitioning =
  | {
      kind: 'hash';
      maxParallelism?: number;
      /** The key of an element; by default the key of a KV (the coder must then be a KV coder). */
      key?: (value: unknown) => unknown;
      /** The key's deterministic coder; by default the KV coder's key coder. */
      keyCoder?: Coder<unknown>;
    }
  | { kind: 'broadcast' }
  | { kind: 'forward' }
  | { kind: 'single'; worker: number };

export interface ExchangeChannelOptions {
  /** The elements' coder. */
  coder: Coder<unknown>;
  /** Coder of custom windows, if the stage's WindowFn makes any. */
  windowCoder?: Coder<BoundedWindow>;
  partitioning: Partitioning;
  /** This worker's index (forward partitioning sends here). */
  sender: number;
  /** One ring writer per destination worker, by worker index. */
  writers: readonly RingWriter[];
  /** A destination's buffer is shipped when it reaches this many bytes (default 64 KiB). */
  bundleBytes?: number;
  /** `ready()` waits while more than this many bytes are queued behind full rings (default 1 MiB). */
  maxQueuedBytes?: number;
  /** The step named in error messages. */
  step?: string;
  /**
   * The lane to the sender's own input of this exchange: elements routed to the sender stay objects (local-lane.ts).
   * Without it they are encoded like the others. A broadcast encodes once for all and does not use it.
   */
  local?: LocalLane;
}

interface Queued {
  kind: number;
  aux: number;
  payload: Uint8Array;
}

export class ExchangeChannel implements Channel {
  /** The producer stage writes into the channel itself: it routes each element. */
  readonly elementSink: Receiver = this;
  private readonly codec: WindowedValueCodec;
  private readonly writers: readonly RingWriter[];
  private readonly buffers: ByteWriter[];
  private readonly counts: number[];
  private readonly queues: Queued[][];
  private readonly pumping: boolean[];
  private readonly bundleBytes: number;
  private readonly maxQueuedBytes: number;
  private readonly route: (value: unknown) => number;
  private readonly broadcast: boolean;
  /** For KV coders: the key is encoded once, hashed, and its bytes copied as the first part of the element. */
  private readonly kvValueCoder: Coder<unknown> | undefined;
  private readonly keyScratch = new ByteWriter();
  /** The encoded key of the element being routed (set by `route` for hash exchanges; a view of keyScratch). */
  private lastKey: Uint8Array = new Uint8Array(0);
  private queuedBytes = 0;
  private readyWaiters: Array<{ resolve: () => void; reject: (e: unknown) => void }> = [];
  private failure: unknown;
  private lastWatermark = -Infinity;
  private ended = false;
  /** The lane to this worker's own input, and the destination index it stands for (-1 without one). */
  private readonly lane: LocalLane | undefined;
  private readonly laneDest: number;
  private localBundle: LocalBundle = newLocalBundle();
  /** Frames sent (bundles and control, per destination), queued ones included: the lockstep's quiescence count. */
  framesSent = 0;
  /** Elements and bytes shipped, per destination (metrics). */
  readonly elementsTo: number[];
  readonly bytesTo: number[];

  constructor(options: ExchangeChannelOptions) {
    const { coder, partitioning, writers, sender } = options;
    const n = writers.length;
    this.writers = writers;
    this.codec = new WindowedValueCodec(coder, options.windowCoder);
    this.bundleBytes = options.bundleBytes ?? 64 * 1024;
    this.maxQueuedBytes = options.maxQueuedBytes ?? 1024 * 1024;
    this.broadcast = partitioning.kind === 'broadcast';
    const slots = this.broadcast ? 1 : n;
    this.buffers = Array.from({ length: slots }, () => new ByteWriter());
    this.counts = new Array<number>(slots).fill(0);
    this.queues = Array.from({ length: n }, () => []);
    this.pumping = new Array<boolean>(n).fill(false);
    this.elementsTo = new Array<number>(n).fill(0);
    this.bytesTo = new Array<number>(n).fill(0);
    const step = options.step ?? 'exchange';
    this.lane = this.broadcast ? undefined : options.local;
    this.laneDest = this.lane === undefined ? -1 : sender;
    switch (partitioning.kind) {
      case 'hash': {
        const maxP = checkWorkers(n, partitioning.maxParallelism).maxParallelism;
        const keyCoder = partitioning.keyCoder ?? (isKvCoder(coder) ? coder.keyCoder : undefined);
        if (!keyCoder) {
          throw new PipelineValidationError(`step '${step}': a hash exchange needs a key coder (the elements' coder ${coder.name} is not a KV coder)`, {
            context: { step },
            hint: 'key the collection (KV elements with a KV coder), or give the exchange a key function and key coder',
          });
        }
        if (!keyCoder.deterministic) {
          throw new PipelineValidationError(`step '${step}': the key coder ${keyCoder.name} is not deterministic (${keyCoder.nonDeterministicReason ?? 'equal keys may encode differently'}), so equal keys could reach different workers`, {
            context: { step },
            hint: 'key by a type with a deterministic coder (string, integer, bytes, or a row/KV of those)',
          });
        }
        const keyOf = partitioning.key;
        this.kvValueCoder = keyOf === undefined && partitioning.keyCoder === undefined && isKvCoder(coder) ? coder.valueCoder : undefined;
        const scratch = this.keyScratch;
        this.route = (value) => {
          scratch.reset();
          keyCoder.encode(keyOf ? keyOf(value) : (value as KV<unknown, unknown>).key, scratch);
          this.lastKey = scratch.written();
          return workerOfKeyGroup(keyGroupOf(this.lastKey, maxP), n, maxP);
        };
        break;
      }
      case 'forward':
        if (!(sender >= 0 && sender < n)) throw new RangeError(`forward exchange: sender ${sender} is not a worker index below ${n}`);
        this.route = () => sender;
        break;
      case 'single': {
        const to = partitioning.worker;
        if (!(Number.isInteger(to) && to >= 0 && to < n)) throw new RangeError(`single exchange: worker ${to} is not a worker index below ${n}`);
        this.route = () => to;
        break;
      }
      case 'broadcast':
        this.route = () => 0;
        break;
    }
  }

  process(value: unknown, timestamp: Instant, windows: readonly BoundedWindow[], pane: PaneInfo): void {
    const dest = this.route(value);
    if (dest === this.laneDest) {
      const b = this.localBundle;
      b.values.push(value);
      b.timestamps.push(timestamp);
      b.windows.push(windows);
      b.panes.push(pane);
      if (b.values.length >= LOCAL_BUNDLE_ELEMENTS) this.shipLocal();
      return;
    }
    const out = this.buffers[dest]!;
    const vc = this.kvValueCoder;
    if (vc !== undefined) {
      this.codec.encodeHeader(timestamp, windows, pane, out);
      out.raw(this.lastKey);
      vc.encode((value as KV<unknown, unknown>).value, out);
    } else {
      this.codec.encode(value, timestamp, windows, pane, out);
    }
    this.counts[dest]!++;
    if (out.length >= this.bundleBytes) this.ship(dest);
  }

  push(bundle: Bundle): void {
    const { values, timestamps, windows, panes } = bundle;
    for (let i = 0; i < values.length; i++) this.process(values[i], timestamps[i]!, windows[i]!, panes[i]!);
  }

  flush(): void {
    if (this.localBundle.values.length > 0) this.shipLocal();
    for (let d = 0; d < this.buffers.length; d++) if (this.counts[d]! > 0) this.ship(d);
    // Bundles shipped because a buffer filled did not wake their readers (one wake-up per bundle costs more than
    // the bundle when bundles are small): the end of the producer's bundle does.
    for (let d = 0; d < this.writers.length; d++) this.writers[d]!.wake();
  }

  watermark(watermark: Instant): void {
    if (watermark <= this.lastWatermark) return;
    this.lastWatermark = watermark;
    this.control(FrameKind.WATERMARK, 0, float64Payload(watermark));
  }

  idle(idle: boolean): void {
    this.control(FrameKind.STATUS, idle ? 1 : 0, EMPTY_PAYLOAD);
  }

  barrier(id: number): void {
    this.control(FrameKind.BARRIER, 0, float64Payload(id));
  }

  end(): void {
    if (this.ended) return;
    this.control(FrameKind.END, 0, EMPTY_PAYLOAD);
    this.ended = true;
  }

  ready(): Promise<void> | undefined {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (this.queuedBytes <= this.maxQueuedBytes) return undefined;
    return new Promise((resolve, reject) => this.readyWaiters.push({ resolve, reject }));
  }

  /** Resolves once every frame sent so far is in the rings (after `end`, the channel is then done). */
  async closed(): Promise<void> {
    while (this.queuedBytes > 0 || this.pumping.some((p) => p)) {
      if (this.failure !== undefined) throw this.failure;
      await new Promise<void>((resolve, reject) => this.readyWaiters.push({ resolve, reject }));
    }
    if (this.failure !== undefined) throw this.failure;
  }

  private control(kind: number, aux: number, payload: Uint8Array): void {
    if (this.ended) throw new Error('exchange channel: control after end()');
    this.flush();
    for (let d = 0; d < this.writers.length; d++) this.send(d, kind, aux, payload);
  }

  private ship(slot: number): void {
    const out = this.buffers[slot]!;
    const count = this.counts[slot]!;
    // The buffer's bytes go straight into the ring when it has room; only a frame that must wait is copied.
    const bytes = out.written();
    let copy: Uint8Array | undefined;
    const first = this.broadcast ? 0 : slot;
    const last = this.broadcast ? this.writers.length - 1 : slot;
    for (let d = first; d <= last; d++) {
      this.elementsTo[d]! += count;
      this.bytesTo[d]! += bytes.length;
      this.framesSent++;
      if (this.failure !== undefined) throw this.failure;
      if (this.queues[d]!.length === 0 && this.writers[d]!.tryWriteFrame(FrameKind.BUNDLE, count, bytes, false)) continue;
      this.enqueue(d, FrameKind.BUNDLE, count, (copy ??= out.toBytes()));
    }
    out.reset();
    this.counts[slot] = 0;
  }

  /** Hands the local bundle to the lane and writes its frame where an encoded bundle to this worker would go. */
  private shipLocal(): void {
    const b = this.localBundle;
    const d = this.laneDest;
    this.localBundle = newLocalBundle();
    this.lane!.push(b);
    this.elementsTo[d]! += b.values.length;
    this.send(d, FrameKind.LOCAL_BUNDLE, b.values.length, EMPTY_PAYLOAD, false);
  }

  private send(dest: number, kind: number, aux: number, payload: Uint8Array, wake = true): void {
    if (this.failure !== undefined) throw this.failure;
    this.framesSent++;
    if (this.queues[dest]!.length === 0 && this.writers[dest]!.tryWriteFrame(kind, aux, payload, wake)) return;
    this.enqueue(dest, kind, aux, payload);
  }

  private enqueue(dest: number, kind: number, aux: number, payload: Uint8Array): void {
    this.queues[dest]!.push({ kind, aux, payload });
    this.queuedBytes += payload.length;
    if (!this.pumping[dest]) void this.pump(dest);
  }

  /** Writes a destination's queued frames in order as its ring frees space. */
  private async pump(dest: number): Promise<void> {
    this.pumping[dest] = true;
    const queue = this.queues[dest]!;
    const writer = this.writers[dest]!;
    try {
      while (queue.length > 0) {
        const f = queue[0]!;
        await writer.writeFrame(f.kind, f.aux, f.payload);
        queue.shift();
        this.queuedBytes -= f.payload.length;
        if (this.queuedBytes <= this.maxQueuedBytes) this.wake();
      }
    } catch (e) {
      this.failure = e;
    } finally {
      this.pumping[dest] = false;
      this.wake();
    }
  }

  private wake(): void {
    const waiters = this.readyWaiters;
    if (waiters.length === 0) return;
    this.readyWaiters = [];
    for (const w of waiters) {
      if (this.failure !== undefined) w.reject(this.failure);
      else w.resolve();
    }
  }
}

function newLocalBundle(): LocalBundle {
  return { values: [], timestamps: [], windows: [], panes: [] };
}
