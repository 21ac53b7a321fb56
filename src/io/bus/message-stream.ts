/**
 * Streaming pull with flow control and lease extension, over anything that can pull, ack, nack and extend (the
 * in-process bus here; a server connection may use it too). As Pub/Sub's client libraries:
 *
 *   - the receiver holds at most `maxOutstandingMessages` messages and `maxOutstandingBytes` bytes (yielded, not yet
 *     acked or nacked); the stream pulls only what fits, and a message that does not fit waits in the stream (still
 *     leased) until an ack or nack makes room — except that one message is always let through when nothing is held;
 *   - while a message is held (in the stream's buffer or by the receiver), its deadline is extended every half ack
 *     deadline, until `maxExtension` after its delivery; past that, it is left to expire and be redelivered;
 *   - closing (or breaking out of the `for await`) nacks whatever is still held, so it is redelivered promptly.
 */
import { parseDuration } from '../../model/index.ts';
import type { DurationLike } from '../../model/index.ts';
import type { AckResponse, MessageStream, ReceivedMessage, StreamedMessage, StreamingPullOptions } from './bus-api.ts';
import { BusInvalidArgumentError } from './bus-errors.ts';
import type { Clock, ClockTimer } from './clock.ts';

/** What a streaming pull needs from its bus. */
export interface StreamTransport {
  pull(maxMessages: number, waitMs: number, signal: AbortSignal): Promise<ReceivedMessage[]>;
  acknowledge(ackIds: readonly string[]): Promise<AckResponse>;
  nack(ackIds: readonly string[]): Promise<AckResponse>;
  modifyAckDeadline(ackIds: readonly string[], ms: number): Promise<AckResponse>;
  /** The subscription's ack deadline (ms), read when the stream starts. */
  ackDeadline(): Promise<number>;
}

interface Held {
  msg: ReceivedMessage;
  deliveredAt: number;
  bytes: number;
  /** Given to the receiver (counts against flow control). */
  yielded: boolean;
}

function positiveInt(v: unknown, what: string, dflt: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new BusInvalidArgumentError(`${what} must be a whole number ≥ 1, not ${JSON.stringify(v)}`);
  return v;
}

/** Validated flow-control settings (defaults: 1000 messages, 100 MB, 60 min of extension). */
export function resolveStreamingOptions(o: StreamingPullOptions = {}): { maxMessages: number; maxBytes: number; maxExtensionMs: number } {
  let maxExtensionMs = 60 * 60_000;
  if (o.maxExtension !== undefined) {
    try {
      maxExtensionMs = parseDuration(o.maxExtension, 'maxExtension');
    } catch (e) {
      throw new BusInvalidArgumentError((e as Error).message);
    }
    if (maxExtensionMs < 0) throw new BusInvalidArgumentError('maxExtension must not be negative');
  }
  return {
    maxMessages: positiveInt(o.maxOutstandingMessages, 'maxOutstandingMessages', 1000),
    maxBytes: positiveInt(o.maxOutstandingBytes, 'maxOutstandingBytes', 100 * 1024 * 1024),
    maxExtensionMs,
  };
}

/** Checks the ack ids of an acknowledge, nack or deadline change (the bus's calls and a stream's batches). */
export function checkAckIds(ackIds: readonly string[]): readonly string[] {
  if (!Array.isArray(ackIds) || ackIds.some((id) => typeof id !== 'string')) throw new BusInvalidArgumentError('ack ids must be an array of strings');
  return ackIds;
}

/** Splits the answer to a merged call: the part that concerns one ack id. */
export function ackSplitter(result: AckResponse): (ackId: string) => AckResponse {
  const succeeded = new Set(result.succeeded);
  const failed = result.failed.length === 0 ? undefined : new Map(result.failed.map((f) => [f.ackId, f]));
  const ok: AckResponse = { succeeded: [], failed: [] };
  return (ackId) => {
    const f = failed?.get(ackId);
    if (f !== undefined) return { succeeded: [], failed: [f] };
    return succeeded.has(ackId) ? { succeeded: [ackId], failed: [] } : ok;
  };
}

type Kind = 'acknowledge' | 'nack' | 'modifyAckDeadline';

/**
 * Per-message acks, nacks and deadline changes made in the same tick, sent as one call per kind (and deadline): a
 * receiver acking each message of a batch makes one journal record, not one per message. Each message's promise gets
 * its part of the answer.
 */
export class AckGatherer {
  readonly #groups = new Map<string, { kind: Kind; ms: number; ids: string[]; waiters: Array<{ ackId: string; resolve(r: AckResponse): void; reject(e: unknown): void }> }>();
  #scheduled = false;
  constructor(private readonly send: (kind: Kind, ackIds: readonly string[], ms: number) => Promise<AckResponse>) {}

  add(kind: Kind, ackId: string, ms = 0): Promise<AckResponse> {
    return new Promise((resolve, reject) => {
      const key = kind === 'modifyAckDeadline' ? `${kind}/${ms}` : kind;
      let g = this.#groups.get(key);
      if (g === undefined) this.#groups.set(key, (g = { kind, ms, ids: [], waiters: [] }));
      g.ids.push(ackId);
      g.waiters.push({ ackId, resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Sends what was gathered now. */
  flush(): void {
    this.#scheduled = false;
    const groups = [...this.#groups.values()];
    this.#groups.clear();
    for (const g of groups) {
      this.send(g.kind, g.ids, g.ms).then(
        (r) => {
          const part = ackSplitter(r);
          for (const w of g.waiters) w.resolve(part(w.ackId));
        },
        (e: unknown) => {
          for (const w of g.waiters) w.reject(e);
        },
      );
    }
  }
}

/** A message of an in-process streaming pull (a class: no closures per message). */
class HeldMessage implements StreamedMessage {
  readonly id: string;
  readonly data: Uint8Array;
  readonly attributes: Readonly<Record<string, string>>;
  readonly orderingKey?: string;
  readonly publishTime: number;
  readonly ackId: string;
  readonly deliveryAttempt: number;
  constructor(
    private readonly stream: PullingMessageStream,
    m: ReceivedMessage,
  ) {
    this.id = m.id;
    this.data = m.data;
    this.attributes = m.attributes;
    if (m.orderingKey !== undefined) this.orderingKey = m.orderingKey;
    this.publishTime = m.publishTime;
    this.ackId = m.ackId;
    this.deliveryAttempt = m.deliveryAttempt;
  }
  ack(): Promise<AckResponse> {
    return this.stream.one('acknowledge', this.ackId);
  }
  nack(): Promise<AckResponse> {
    return this.stream.one('nack', this.ackId);
  }
  modifyAckDeadline(deadline: DurationLike): Promise<AckResponse> {
    return this.stream.one('modifyAckDeadline', this.ackId, deadline);
  }
}

/** Messages a stream pulls (leases) at a time, at most: what its receiver is likely to take soon. */
const PULL_AT_MOST = 500;

class PullingMessageStream implements MessageStream {
  private held = new Map<string, Held>();
  private buffer: ReceivedMessage[] = [];
  private outstanding = 0;
  private outstandingBytes = 0;
  private isClosed = false;
  private readonly abort = new AbortController();
  private readonly limits: ReturnType<typeof resolveStreamingOptions>;
  private leaseTimer: ClockTimer | undefined;
  private deadlineMs: number | undefined;
  private roomWaiters: Array<() => void> = [];
  private closing: Promise<void> | undefined;
  private readonly gatherer: AckGatherer;

  constructor(
    private readonly t: StreamTransport,
    private readonly clock: Clock,
    options: StreamingPullOptions,
  ) {
    this.limits = resolveStreamingOptions(options);
    this.gatherer = new AckGatherer((kind, ids, ms) => (kind === 'acknowledge' ? this.t.acknowledge(ids) : kind === 'nack' ? this.t.nack(ids) : this.t.modifyAckDeadline(ids, ms)));
    const signal = options.signal;
    if (signal) {
      if (signal.aborted) void this.close();
      else signal.addEventListener('abort', () => void this.close(), { once: true });
    }
  }

  get closed(): boolean {
    return this.isClosed;
  }

  private fits(m: ReceivedMessage): boolean {
    if (this.outstanding === 0) return true;
    return this.outstanding < this.limits.maxMessages && this.outstandingBytes + m.data.length <= this.limits.maxBytes;
  }

  private room(): void {
    const ws = this.roomWaiters;
    this.roomWaiters = [];
    for (const w of ws) w();
  }

  private settle(ackId: string): boolean {
    const h = this.held.get(ackId);
    if (!h) return false;
    this.held.delete(ackId);
    if (h.yielded) {
      this.outstanding--;
      this.outstandingBytes -= h.bytes;
    }
    this.room();
    return true;
  }

  /** One message's ack, nack or deadline change (HeldMessage's methods): gathered with the others of this tick. */
  one(kind: Kind, ackId: string, deadline?: DurationLike): Promise<AckResponse> {
    let ms = 0;
    if (kind === 'modifyAckDeadline') {
      try {
        ms = typeof deadline === 'number' ? deadline : parseDuration(deadline!, 'deadline');
      } catch (e) {
        return Promise.reject(new BusInvalidArgumentError((e as Error).message));
      }
    }
    if (kind !== 'modifyAckDeadline' || ms === 0) this.settle(ackId);
    return this.gatherer.add(kind, ackId, ms);
  }

  async acknowledge(ackIds: readonly string[]): Promise<AckResponse> {
    for (const id of checkAckIds(ackIds)) this.settle(id);
    return this.t.acknowledge(ackIds);
  }

  async nack(ackIds: readonly string[]): Promise<AckResponse> {
    for (const id of checkAckIds(ackIds)) this.settle(id);
    return this.t.nack(ackIds);
  }

  async modifyAckDeadline(ackIds: readonly string[], deadline: DurationLike): Promise<AckResponse> {
    checkAckIds(ackIds);
    let ms: number;
    try {
      ms = typeof deadline === 'number' ? deadline : parseDuration(deadline, 'deadline');
    } catch (e) {
      throw new BusInvalidArgumentError((e as Error).message);
    }
    if (ms === 0) for (const id of ackIds) this.settle(id);
    return this.t.modifyAckDeadline(ackIds, ms);
  }

  private armLeaseTimer(): void {
    if (this.leaseTimer || this.isClosed || this.deadlineMs === undefined || this.limits.maxExtensionMs === 0) return;
    this.leaseTimer = this.clock.setTimer(() => {
      this.leaseTimer = undefined;
      // Re-armed at once, not after the extension's answer: a slow disk must not let the next lease run out.
      if (this.held.size > 0) this.armLeaseTimer();
      void this.extendLeases();
    }, Math.max(1000, Math.floor(this.deadlineMs / 2)));
  }

  private async extendLeases(): Promise<void> {
    if (this.isClosed || this.deadlineMs === undefined) return;
    const now = this.clock.now();
    const ids: string[] = [];
    for (const [id, h] of this.held) if (now - h.deliveredAt < this.limits.maxExtensionMs) ids.push(id);
    if (ids.length === 0) return;
    const ms = Math.min(600_000, Math.max(this.deadlineMs, 10_000));
    const r = await this.t.modifyAckDeadline(ids, ms).catch(() => undefined);
    // A message whose lease could not be extended is gone from this receiver's hands (it will be redelivered).
    for (const f of r?.failed ?? []) if (this.held.get(f.ackId)?.yielded === false) this.dropBuffered(f.ackId);
  }

  private dropBuffered(ackId: string): void {
    this.held.delete(ackId);
    this.buffer = this.buffer.filter((m) => m.ackId !== ackId);
  }

  private async nextMessage(): Promise<IteratorResult<StreamedMessage>> {
    if (this.deadlineMs === undefined) this.deadlineMs = await this.t.ackDeadline();
    for (;;) {
      if (this.isClosed) return { done: true, value: undefined };
      const head = this.buffer[0];
      if (head !== undefined) {
        if (this.fits(head)) {
          this.buffer.shift();
          const h = this.held.get(head.ackId);
          if (!h) continue; // its lease was lost while buffered
          h.yielded = true;
          this.outstanding++;
          this.outstandingBytes += h.bytes;
          return { done: false, value: new HeldMessage(this, head) };
        }
        await new Promise<void>((r) => this.roomWaiters.push(r));
        continue;
      }
      const want = Math.max(1, Math.min(PULL_AT_MOST, this.limits.maxMessages - this.outstanding));
      let got: ReceivedMessage[];
      try {
        got = await this.t.pull(want, 30_000, this.abort.signal);
      } catch (e) {
        if (this.isClosed) return { done: true, value: undefined };
        throw e;
      }
      if (this.isClosed) {
        if (got.length > 0) await this.t.nack(got.map((m) => m.ackId)).catch(() => undefined);
        return { done: true, value: undefined };
      }
      const now = this.clock.now();
      for (const m of got) {
        this.held.set(m.ackId, { msg: m, deliveredAt: now, bytes: m.data.length, yielded: false });
        this.buffer.push(m);
      }
      if (got.length > 0) this.armLeaseTimer();
    }
  }

  [Symbol.asyncIterator](): AsyncIterator<StreamedMessage> {
    return {
      next: () => this.nextMessage(),
      return: async () => {
        await this.close();
        return { done: true, value: undefined };
      },
    };
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.isClosed = true;
      this.abort.abort();
      this.leaseTimer?.cancel();
      this.room();
      const ids = [...this.held.keys()];
      this.held.clear();
      this.buffer = [];
      if (ids.length > 0) await this.t.nack(ids).catch(() => undefined);
    })();
    return this.closing;
  }
}

/** A flow-controlled message stream over `transport`, timed by `clock`. */
export function createMessageStream(transport: StreamTransport, clock: Clock, options: StreamingPullOptions = {}): MessageStream {
  return new PullingMessageStream(transport, clock, options);
}
