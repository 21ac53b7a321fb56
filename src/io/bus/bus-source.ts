/**
 * `io.bus.read(subscription, options)`: a subscription of Riffle's bus as an unbounded source (streaming pull with flow
 * control), as Dataflow reads Pub/Sub.
 *
 * - **Timestamps**: the publish time, or the event time in an attribute (`timestampAttribute`: milliseconds since the
 *   epoch or RFC 3339) or computed from the decoded value (`timestampFn`).
 * - **Watermark** (Dataflow's estimate): the oldest event time among the messages of the batch just read, and the
 *   oldest unacked publish time in the subscription's backlog minus `allowedSkew` (how far before its publish time an
 *   event time may be: default 0 with publish times); never decreasing. An idle subscription (empty backlog) advances
 *   it to now − allowedSkew. An element older than the watermark is late (dropped per the windowing's lateness).
 * - **Dedup**: a message id seen before (a redelivery) and, with `idAttribute`, an id attribute seen before are
 *   dropped (acked without output), remembered for `dedupWindow` (default 10 min).
 * - **Acks**: in a run that takes checkpoints (`ack: 'checkpoint'`, chosen by itself when the run says it takes
 *   checkpoints or the reader is restored from one), messages are held (leases extended) and acked in
 *   `finalizeCheckpoint(position)`: everything read before that checkpoint's position. A reader restored at a position
 *   acks the messages that position held when they come again (they are in the restored state: the finalize was lost)
 *   and reads the rest again. Without checkpoints: with `ack: 'bundle'` (default) the messages of a batch are acked
 *   when the engine asks for the next batch, which it does only after the batch passed every step and every sink's
 *   flush of that bundle returned; with `ack: 'end'`, all at once when a read that ended closes (its final watermark
 *   has fired the windows by then). A failed or cancelled job acks nothing more: what it held is nacked (redelivered).
 *   See README.md, "Pipeline I/O", for what each promises and what it does not.
 * - **Malformed messages** (undecodable data, an unparseable timestamp attribute, a failing timestampFn) go to the
 *   read's error output with the reason and the raw bytes (as text when UTF-8, else base64, named in the origin).
 * - **Ending**: `until: 'drained'` ends the read at the first poll that finds nothing and an empty backlog;
 *   `maxMessages` after that many messages. Without either the read runs until the job is cancelled.
 */
import {
  ConfigError,
  MAX_TIMESTAMP,
  RiffleError,
  MIN_TIMESTAMP,
  type DurationLike,
  type ErrorRecord,
  type Instant,
  type SourceBatch,
  type SourceContext,
  type UnboundedReader,
  type UnboundedSource,
} from '../../model/index.ts';
import { durationOption } from '../connector-options.ts';
import { read as readTransform, type ReadTransform } from '../../transforms/index.ts';
import type { Bus, MessageStream, StreamedMessage } from './bus-api.ts';
import { acquireBus, checkBusLocation, type BusHandle, type BusLocation } from './bus-handle.ts';
import { validateName } from './names.ts';

/** When `io.bus.read` acknowledges what it read (see `BusReadOptions.ack`). */
export type BusAckMode = 'bundle' | 'end' | 'checkpoint';

/** How a message's data becomes an element. */
export type BusDataFormat = 'json' | 'text' | 'bytes';

/** A message as `withMetadata` gives it. */
export interface BusRecord<T> {
  readonly data: T;
  readonly attributes: Readonly<Record<string, string>>;
  readonly id: string;
  readonly publishTime: Instant;
  readonly orderingKey?: string;
}

/** What `timestampFn` sees besides the decoded value. */
export interface BusMessageInfo {
  readonly id: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly publishTime: Instant;
}

export interface BusReadOptions<T = unknown> {
  /** A bus directory, a server URL, or an opened Bus (default $RIFFLE_BUS_URL, else `.riffle/bus`). */
  readonly bus?: BusLocation;
  /** `json` (default): JSON.parse of the UTF-8 data; `text`: the UTF-8 string; `bytes`: the Uint8Array. */
  readonly format?: BusDataFormat;
  /** The attribute holding the event time (ms since the epoch, or RFC 3339). Default: the publish time. */
  readonly timestampAttribute?: string;
  /** The event time from the decoded value (instead of `timestampAttribute`). */
  readonly timestampFn?: (value: T, message: BusMessageInfo) => Instant;
  /** The attribute holding the publisher's id: a message whose id was seen within `dedupWindow` is dropped. */
  readonly idAttribute?: string;
  /** How long ids are remembered for dedup (default '10m'). */
  readonly dedupWindow?: DurationLike;
  /** How far before its publish time a message's event time may be (default 0). */
  readonly allowedSkew?: DurationLike;
  /** `drained`: end at the first poll that finds no message and an empty backlog. Default: never end. */
  readonly until?: 'drained';
  /** End after this many messages (counting malformed and duplicate ones). */
  readonly maxMessages?: number;
  /** Messages per batch (bundle) at most, and held unacked at most (default 1000). */
  readonly batchSize?: number;
  /** Elements are `BusRecord`s (data with attributes, id, publish time) instead of the data alone. */
  readonly withMetadata?: boolean;
  /**
   * When messages are acked. `checkpoint`: in `finalizeCheckpoint`, once a checkpoint holding them completed (the
   * mode of every run that takes checkpoints, whatever this says). Without checkpoints: `bundle` (default): a batch
   * once it passed every step and every sink's flush (when the next batch is asked for). `end`: all of them once a
   * read that ends (`until`, `maxMessages`) ended and its final watermark fired the windows — at-least-once for
   * windowed output too, but every message stays held (leased, in memory) until then: for jobs that catch up on a
   * bounded backlog.
   */
  readonly ack?: BusAckMode;
}

const READ_KEYS = ['bus', 'format', 'timestampAttribute', 'timestampFn', 'idAttribute', 'dedupWindow', 'allowedSkew', 'until', 'maxMessages', 'batchSize', 'withMetadata', 'ack'];

interface ResolvedRead {
  readonly bus: BusLocation | undefined;
  readonly format: BusDataFormat;
  readonly timestampAttribute: string | undefined;
  readonly timestampFn: ((value: any, message: BusMessageInfo) => Instant) | undefined;
  readonly idAttribute: string | undefined;
  readonly dedupWindowMs: number;
  readonly allowedSkewMs: number;
  readonly untilDrained: boolean;
  readonly maxMessages: number;
  readonly batchSize: number;
  readonly withMetadata: boolean;
  readonly ack: BusAckMode;
}

function positiveInt(v: unknown, key: string, dflt: number, what: string): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new ConfigError(`${what}: option '${key}' must be a whole number ≥ 1, not ${JSON.stringify(v)}`);
  return v;
}

function attributeName(v: unknown, key: string, what: string): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v === '') throw new ConfigError(`${what}: option '${key}' must be an attribute name, not ${JSON.stringify(v)}`);
  return v;
}

function resolveRead(subscription: string, o: BusReadOptions<any>): ResolvedRead {
  const what = `io.bus.read('${subscription}')`;
  try {
    validateName('subscription', subscription);
  } catch (e) {
    throw new ConfigError(`${what}: ${(e as Error).message}`);
  }
  if (o === null || typeof o !== 'object') throw new ConfigError(`${what}: options must be an object`);
  for (const k of Object.keys(o)) if (!READ_KEYS.includes(k)) throw new ConfigError(`${what}: unknown option '${k}'`, { hint: `options are ${READ_KEYS.join(', ')}` });
  checkBusLocation(o.bus, what);
  const format = o.format ?? 'json';
  if (!['json', 'text', 'bytes'].includes(format)) throw new ConfigError(`${what}: option 'format' must be json, text or bytes, not ${JSON.stringify(format)}`);
  if (o.timestampAttribute !== undefined && o.timestampFn !== undefined) throw new ConfigError(`${what}: give timestampAttribute or timestampFn, not both`);
  if (o.timestampFn !== undefined && typeof o.timestampFn !== 'function') throw new ConfigError(`${what}: option 'timestampFn' must be a function`);
  if (o.until !== undefined && o.until !== 'drained') throw new ConfigError(`${what}: option 'until' must be 'drained', not ${JSON.stringify(o.until)}`);
  if (o.withMetadata !== undefined && typeof o.withMetadata !== 'boolean') throw new ConfigError(`${what}: option 'withMetadata' must be true or false`);
  if (o.ack !== undefined && o.ack !== 'bundle' && o.ack !== 'end' && o.ack !== 'checkpoint') throw new ConfigError(`${what}: option 'ack' must be 'bundle', 'end' or 'checkpoint', not ${JSON.stringify(o.ack)}`);
  if (o.ack === 'end' && o.until === undefined && o.maxMessages === undefined) {
    throw new ConfigError(`${what}: ack 'end' needs a read that ends`, { hint: "give until: 'drained' or maxMessages, or ack: 'bundle'" });
  }
  return {
    bus: o.bus,
    format,
    timestampAttribute: attributeName(o.timestampAttribute, 'timestampAttribute', what),
    timestampFn: o.timestampFn,
    idAttribute: attributeName(o.idAttribute, 'idAttribute', what),
    dedupWindowMs: durationOption(o.dedupWindow, 'dedupWindow', 10 * 60_000, what),
    allowedSkewMs: durationOption(o.allowedSkew, 'allowedSkew', 0, what),
    untilDrained: o.until === 'drained',
    maxMessages: o.maxMessages === undefined ? Infinity : positiveInt(o.maxMessages, 'maxMessages', 1, what),
    batchSize: positiveInt(o.batchSize, 'batchSize', 1000, what),
    withMetadata: o.withMetadata ?? false,
    ack: o.ack ?? 'bundle',
  };
}

/**
 * Where a bus reader is: the count of messages it took (the subscription itself keeps the acked positions) and, when
 * it acks at checkpoints, the ids (log offsets, as [start, end) ranges) of the messages read before this position and
 * not known to be acked: what `finalizeCheckpoint` acks, and what a reader restored here acks when they come again.
 */
export interface BusReadPosition {
  readonly messages: number;
  readonly unacked?: ReadonlyArray<readonly [number, number]>;
}


/** Ranges of message ids (decimal offsets); a non-numeric id (never issued by this bus) is left out. */
function idRanges(ids: Iterable<string>): Array<[number, number]> {
  const offsets: number[] = [];
  for (const id of ids) {
    const o = Number(id);
    if (Number.isSafeInteger(o) && o >= 0) offsets.push(o);
  }
  offsets.sort((a, b) => a - b);
  const out: Array<[number, number]> = [];
  for (const o of offsets) {
    const last = out[out.length - 1];
    if (last !== undefined && last[1] === o) last[1] = o + 1;
    else if (last === undefined || o >= last[1]) out.push([o, o + 1]);
  }
  return out;
}

/** Whether `id` falls in `ranges` (sorted, disjoint). */
function inRanges(ranges: ReadonlyArray<readonly [number, number]>, id: string): boolean {
  const o = Number(id);
  if (!Number.isSafeInteger(o)) return false;
  let lo = 0;
  let hi = ranges.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const [a, b] = ranges[mid]!;
    if (o < a) hi = mid - 1;
    else if (o >= b) lo = mid + 1;
    else return true;
  }
  return false;
}

function checkPosition(position: unknown, what: string): BusReadPosition | undefined {
  if (position === undefined) return undefined;
  const p = position as BusReadPosition;
  const ok =
    typeof p === 'object' && p !== null && Number.isInteger(p.messages) && p.messages >= 0 &&
    (p.unacked === undefined || (Array.isArray(p.unacked) && p.unacked.every((r) => Array.isArray(r) && r.length === 2 && Number.isSafeInteger(r[0]) && Number.isSafeInteger(r[1]) && r[0] < r[1])));
  if (!ok) throw new RiffleError('CHECKPOINT_INVALID', `${what}: the checkpoint's position of this read is not a bus read position: ${JSON.stringify(position)?.slice(0, 200)}`, { hint: 'the checkpoint is from another pipeline or version; run without --resume' });
  return p;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
/** With ack 'end': the most messages held unacked (the embedded bus's default maxPendingMessages per subscription). */
const MAX_HELD = 10_000;

/** The subscription as an unbounded source. */
export class BusSource<T> implements UnboundedSource<T, BusReadPosition> {
  readonly kind = 'unbounded';
  constructor(
    readonly subscription: string,
    private readonly options: ResolvedRead,
  ) {}

  describe(): string {
    return `bus(${this.subscription})`;
  }

  /**
   * Opens a reader. At a `position` (a restored checkpoint) or in a run that takes checkpoints (`context`), it acks
   * at checkpoints whatever `ack` says: acking a batch before the checkpoint that holds its effect would lose it.
   */
  async open(position: BusReadPosition | undefined, signal?: AbortSignal, context?: SourceContext): Promise<BusReader<T>> {
    const restored = checkPosition(position, `io.bus.read('${this.subscription}')`);
    const ack: BusAckMode = restored !== undefined || context?.checkpoints === true ? 'checkpoint' : this.options.ack;
    const options: ResolvedRead = { ...this.options, ack };
    const handle = await acquireBus(options.bus);
    try {
      await handle.bus.getSubscription(this.subscription);
      // Acking at the end or at checkpoints holds messages: flow control must not wait for acks that come only then
      // (the bus's own bound on unacked messages, maxPendingMessages, still holds).
      const stream = handle.bus.streamingPull(
        this.subscription,
        ack !== 'bundle' ? { maxOutstandingMessages: Number.MAX_SAFE_INTEGER, maxOutstandingBytes: Number.MAX_SAFE_INTEGER } : { maxOutstandingMessages: options.batchSize },
      );
      return new BusReader<T>(this.subscription, options, handle, stream, signal, restored);
    } catch (e) {
      await handle.release();
      throw e;
    }
  }
}

/** Reads batches from a streaming pull; see the module comment for timestamps, watermark, dedup and acks. */
export class BusReader<T> implements UnboundedReader<T, BusReadPosition> {
  private readonly it: AsyncIterator<StreamedMessage>;
  private pending: Promise<IteratorResult<StreamedMessage>> | undefined;
  /**
   * Messages returned (or dropped as duplicates or malformed) and not acked yet: acked when the next batch is asked
   * for (`bundle`), when the read closes (`end`), or by `finalizeCheckpoint` (`checkpoint`).
   */
  private toAck: StreamedMessage[] = [];
  /** `checkpoint`: ids a restored position held, not seen again yet (their messages are in the restored state). */
  private restoredUnacked: Array<[number, number]>;
  private taken = 0;
  private wm: Instant = MIN_TIMESTAMP;
  private ended = false;
  private readonly seen = new Map<string, number>();
  private readonly bus: Bus;
  /** Counts, for tests and reports. */
  readonly counts = { messages: 0, duplicates: 0, malformed: 0, acked: 0, restored: 0 };

  constructor(
    private readonly subscription: string,
    private readonly o: ResolvedRead,
    private readonly handle: BusHandle,
    private readonly stream: MessageStream,
    private readonly signal: AbortSignal | undefined,
    restored?: BusReadPosition,
  ) {
    this.bus = handle.bus;
    this.it = stream[Symbol.asyncIterator]();
    this.taken = restored?.messages ?? 0;
    this.restoredUnacked = (restored?.unacked ?? []).map(([a, b]) => [a, b]);
  }

  /** How messages are acked: 'checkpoint' in a run that takes checkpoints. */
  get ackMode(): BusAckMode {
    return this.o.ack;
  }

  position(): BusReadPosition {
    if (this.o.ack !== 'checkpoint') return { messages: this.taken };
    const ids = this.toAck.map((m) => m.id);
    for (const [a, b] of this.restoredUnacked) for (let o = a; o < b; o++) ids.push(String(o));
    return { messages: this.taken, unacked: idRanges(ids) };
  }

  /**
   * A checkpoint holding `position` completed: acks every held message it lists (read before it), in one call. The
   * messages read after it stay held (their leases extended) for a later checkpoint.
   */
  async finalizeCheckpoint(position: BusReadPosition): Promise<void> {
    if (this.o.ack !== 'checkpoint') return;
    const covered = position.unacked ?? [];
    if (covered.length === 0) return;
    const now: StreamedMessage[] = [];
    const later: StreamedMessage[] = [];
    for (const m of this.toAck) (inRanges(covered, m.id) ? now : later).push(m);
    this.toAck = later;
    // What the restored position held and this one covers is acked already or will be when it comes again.
    this.restoredUnacked = this.restoredUnacked.filter(([a, b]) => !covered.some(([c, d]) => c <= a && b <= d));
    if (now.length === 0) return;
    const r = await this.stream.acknowledge(now.map((m) => m.ackId));
    this.counts.acked += r.succeeded.length;
  }

  /**
   * A message a restored position held (read before the checkpoint, so in the restored state) came again: the ack
   * that checkpoint's completion owed it is made now, and it is not read twice.
   */
  private takeRestored(m: StreamedMessage): boolean {
    if (this.restoredUnacked.length === 0 || !inRanges(this.restoredUnacked, m.id)) return false;
    const o = Number(m.id);
    this.counts.restored++;
    // Its id stays in the position until the ack is answered: if the ack fails, it comes again and is recognised again.
    void m.ack().then(
      (r) => {
        this.counts.acked += r.succeeded.length;
        const at = this.restoredUnacked.findIndex(([x, y]) => x <= o && o < y);
        if (at >= 0) {
          const [x, y] = this.restoredUnacked[at]!;
          this.restoredUnacked.splice(at, 1, ...([[x, o], [o + 1, y]] as Array<[number, number]>).filter(([c, d]) => c < d));
        }
      },
      () => undefined,
    );
    return true;
  }

  watermark(): Instant {
    return this.ended ? MAX_TIMESTAMP : this.wm;
  }

  async next(waitMs: number): Promise<SourceBatch<T> | null> {
    // The engine asks for a batch only once the previous one went through every step and every sink's flush.
    if (this.o.ack === 'bundle') await this.ackHeld();
    if (this.ended) return null;
    const held = () => new Set(this.toAck.map((m) => m.id)).size;
    const room = Math.min(this.o.batchSize, this.o.maxMessages - this.taken, this.o.ack !== 'bundle' ? MAX_HELD - held() : Infinity);
    const got: StreamedMessage[] = [];
    if (room > 0) {
      const first = await this.take(waitMs);
      if (first) {
        got.push(first);
        // Then whatever arrives without waiting long (the stream pulls up to 100 at a time).
        while (got.length < room) {
          const m = await this.take(5);
          if (!m) break;
          got.push(m);
        }
      }
    }
    const batch = this.decode(got);
    this.taken += got.length - batch.restored;
    await this.estimateWatermark(got.length === 0 ? undefined : batch.minTimestamp);
    if (this.taken >= this.o.maxMessages) {
      this.ended = true;
    } else if (got.length === 0 && this.o.untilDrained) {
      // Drained: nothing unacked but what this reader holds (with ack 'end', all it read), nothing buffered unread.
      const h = held();
      const s = (await this.bus.stats({ subscription: this.subscription })).subscriptions[0];
      if (s && s.backlogMessages === h && s.outstandingMessages === h) this.ended = true;
    }
    if (this.o.ack === 'end' && !this.ended && held() >= MAX_HELD) {
      throw new RiffleError('BUS_READ_HOLDS_TOO_MANY', `io.bus.read('${this.subscription}') with ack 'end' holds ${MAX_HELD} unacked messages and the subscription has more: a bus delivers at most ${MAX_HELD} unacked messages of a subscription at a time (its maxPendingMessages), so the read cannot reach its end`, {
        hint: "use ack: 'bundle', or maxMessages ≤ 10000 per run",
      });
    }
    if (batch.values.length === 0 && batch.errors.length === 0) return null;
    return { values: batch.values, timestamps: batch.timestamps, errors: batch.errors };
  }

  /** The next message within `ms`, or undefined; a message arriving later is kept for the next call. */
  private async take(ms: number): Promise<StreamedMessage | undefined> {
    this.pending ??= this.it.next();
    const p = this.pending;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), Math.max(0, ms))));
    const r = await Promise.race([p, timeout]);
    clearTimeout(timer);
    if (r === 'timeout') return undefined;
    this.pending = undefined;
    if (r.done) {
      this.ended = true;
      return undefined;
    }
    return r.value;
  }

  private decode(msgs: readonly StreamedMessage[]): { values: T[]; timestamps: Instant[]; errors: ErrorRecord<string>[]; minTimestamp: Instant; restored: number } {
    const values: T[] = [];
    const timestamps: Instant[] = [];
    const errors: ErrorRecord<string>[] = [];
    let minTimestamp = MAX_TIMESTAMP;
    const now = Date.now();
    let restored = 0;
    for (const m of msgs) {
      if (this.o.ack === 'checkpoint' && this.takeRestored(m)) {
        restored++;
        continue;
      }
      this.toAck.push(m);
      this.counts.messages++;
      if (this.isDuplicate(m, now)) {
        this.counts.duplicates++;
        continue;
      }
      try {
        const data = this.decodeData(m.data);
        const info: BusMessageInfo = { id: m.id, attributes: m.attributes, publishTime: m.publishTime };
        const ts = this.timestampOf(data, info);
        const value = this.o.withMetadata
          ? ({ data, attributes: m.attributes, id: m.id, publishTime: m.publishTime, ...(m.orderingKey !== undefined ? { orderingKey: m.orderingKey } : {}) } as BusRecord<unknown> as T)
          : (data as T);
        values.push(value);
        timestamps.push(ts);
        if (ts < minTimestamp) minTimestamp = ts;
      } catch (e) {
        this.counts.malformed++;
        errors.push(this.errorRecord(m, (e as Error).message));
      }
    }
    return { values, timestamps, errors, minTimestamp, restored };
  }

  private isDuplicate(m: StreamedMessage, now: number): boolean {
    // Forget ids past the window (the map is in insertion order, so the oldest come first).
    for (const [id, at] of this.seen) {
      if (now - at <= this.o.dedupWindowMs) break;
      this.seen.delete(id);
    }
    const keys = [`m:${m.id}`];
    const attr = this.o.idAttribute !== undefined ? m.attributes[this.o.idAttribute] : undefined;
    if (attr !== undefined) keys.push(`a:${attr}`);
    const dup = keys.some((k) => this.seen.has(k));
    for (const k of keys) {
      this.seen.delete(k);
      this.seen.set(k, now);
    }
    return dup;
  }

  private decodeData(bytes: Uint8Array): unknown {
    if (this.o.format === 'bytes') return bytes;
    let text: string;
    try {
      text = utf8.decode(bytes);
    } catch (e) {
      throw new Error('the data is not valid UTF-8', { cause: e });
    }
    if (this.o.format === 'text') return text;
    try {
      return JSON.parse(text);
    } catch (e) {
      throw new Error(`the data is not JSON: ${(e as Error).message}`, { cause: e });
    }
  }

  private timestampOf(data: unknown, info: BusMessageInfo): Instant {
    if (this.o.timestampFn) {
      let t: unknown;
      try {
        t = this.o.timestampFn(data, info);
      } catch (e) {
        throw new Error(`timestampFn threw: ${(e as Error).message}`, { cause: e });
      }
      if (typeof t !== 'number' || !Number.isFinite(t)) throw new Error(`timestampFn returned ${JSON.stringify(t)}, not a time in ms`);
      return t;
    }
    const attr = this.o.timestampAttribute;
    if (attr === undefined) return info.publishTime;
    const raw = info.attributes[attr];
    if (raw === undefined) throw new Error(`the timestamp attribute '${attr}' is missing`);
    const t = /^-?\d+$/.test(raw) ? Number(raw) : /^\d{4}-\d\d-\d\dT/.test(raw) ? Date.parse(raw) : NaN;
    if (!Number.isFinite(t) || Math.abs(t) >= MAX_TIMESTAMP) throw new Error(`the timestamp attribute '${attr}' is ${JSON.stringify(raw)}: not ms since the epoch nor an RFC 3339 time`);
    return t;
  }

  private errorRecord(m: StreamedMessage, reason: string): ErrorRecord<string> {
    let element: string;
    let encoding: 'utf8' | 'base64';
    try {
      element = utf8.decode(m.data);
      encoding = 'utf8';
    } catch {
      element = Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength).toString('base64');
      encoding = 'base64';
    }
    return {
      step: `bus(${this.subscription})`,
      error: reason,
      element,
      time: new Date().toISOString(),
      origin: { subscription: this.subscription, messageId: m.id, publishTime: m.publishTime, attributes: m.attributes, encoding },
    };
  }

  /** Dataflow's estimate: the batch's oldest event time and the backlog's oldest unacked publish time − skew. */
  private async estimateWatermark(batchMin: Instant | undefined): Promise<void> {
    const s = (await this.bus.stats({ subscription: this.subscription })).subscriptions[0];
    const now = Date.now();
    // Acking at checkpoints, the messages this reader holds are read (their event times counted when read): when
    // they are the whole backlog, it is empty for the estimate. (With 'end' they hold the watermark on purpose.)
    const onlyHeld = this.o.ack === 'checkpoint' && s !== undefined && s.backlogMessages <= new Set(this.toAck.map((m) => m.id)).size;
    let estimate = s?.oldestUnackedAge !== undefined && !onlyHeld ? now - s.oldestUnackedAge - this.o.allowedSkewMs : now - this.o.allowedSkewMs;
    if (batchMin !== undefined && batchMin < estimate) estimate = batchMin;
    if (estimate > this.wm) this.wm = estimate;
  }

  private async ackHeld(): Promise<void> {
    const held = this.toAck;
    if (held.length === 0) return;
    this.toAck = [];
    const r = await this.stream.acknowledge(held.map((m) => m.ackId));
    this.counts.acked += r.succeeded.length;
  }

  async close(): Promise<void> {
    try {
      // A read that ended with the job going on acks its last batch; a failed or cancelled job nacks what it holds.
      if (this.ended && !this.signal?.aborted) await this.ackHeld();
      await this.stream.close();
    } finally {
      await this.handle.release();
    }
  }
}

/**
 * Reads a subscription of Riffle's bus as an unbounded collection.
 *
 * @example
 *   const readings = p.apply(io.bus.read<Reading>('readings-archive', { bus: '.riffle/bus', timestampAttribute: 'ts', until: 'drained' }));
 */
export function read<T = unknown>(subscription: string, options: BusReadOptions<T> = {}): ReadTransform<T> {
  return readTransform(readSource<T>(subscription, options), 'BusRead');
}

/** The source `read` applies (options checked): to open readers directly, as an engine does. */
export function readSource<T = unknown>(subscription: string, options: BusReadOptions<T> = {}): BusSource<T> {
  return new BusSource<T>(subscription, resolveRead(subscription, options));
}
