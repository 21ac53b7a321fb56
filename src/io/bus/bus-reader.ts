/**
 * The reader of `io.bus.read`: batches from a streaming pull, decoded (malformed messages to the error output), with
 * event times, deduplicated, a watermark estimated as Dataflow does for Pub/Sub, and acks per the ack mode. The
 * module comment of bus-source.ts describes each of these.
 */
import {
  MAX_TIMESTAMP,
  RiffleError,
  MIN_TIMESTAMP,
  type ErrorRecord,
  type Instant,
  type SourceBacklog,
  type SourceBatch,
  type UnboundedReader,
} from '../../model/index.ts';
import type { Bus, MessageStream, StreamedMessage } from './bus-api.ts';
import type { BusHandle } from './bus-handle.ts';
import type { BusAckMode, BusMessageInfo, BusRecord, ResolvedRead } from './bus-read-options.ts';
import { idRanges, inRanges, type BusReadPosition } from './bus-read-position.ts';

const utf8 = new TextDecoder('utf-8', { fatal: true });
/** With ack 'end': the most messages held unacked (the embedded bus's default maxPendingMessages per subscription). */
const MAX_HELD = 10_000;

/** Reads batches from a streaming pull; see bus-source.ts's module comment for timestamps, watermark, dedup and acks. */
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
  private lastBacklog: number | undefined;
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

  /** Unacked messages of the subscription not read yet, as of the last poll's statistics (no request of its own). */
  backlog(): SourceBacklog | undefined {
    if (this.ended) return { amount: 0, unit: 'elements' };
    return this.lastBacklog === undefined ? undefined : { amount: this.lastBacklog, unit: 'elements' };
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
    const heldNow = new Set(this.toAck.map((m) => m.id)).size;
    const onlyHeld = this.o.ack === 'checkpoint' && s !== undefined && s.backlogMessages <= heldNow;
    // The backlog for the step metrics: unacked messages this reader has not read yet (from this same answer).
    this.lastBacklog = s === undefined ? undefined : Math.max(0, s.backlogMessages - heldNow);
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
      // Acking at checkpoints, the checkpoint that holds the end acks it (finalizeCheckpoint of the ended reader's
      // last position, before this close): what is still held here was in no completed checkpoint.
      if (this.ended && !this.signal?.aborted && this.o.ack !== 'checkpoint') await this.ackHeld();
      await this.stream.close();
    } finally {
      await this.handle.release();
    }
  }
}
