/**
 * Publisher batching over any Bus, as Pub/Sub's client libraries do: single publishes gather into one `Bus.publish`
 * call until 100 messages, 1 MB or 50 ms (whichever first). Messages with an ordering key are batched per key and a
 * key's batches go one after another, so they are stored in order; if one fails, the key pauses: its queued and later
 * publishes fail with BusOrderingKeyPausedError until `resumePublish(key)`.
 * @example
 *   const pub = createPublisher(bus, 'readings');
 *   const id = await pub.publish({ data: '{"t":21.5}', orderingKey: 'sensor-1' });
 *   await pub.close();
 */
import { parseDuration } from '../../model/index.ts';
import type { Bus, PublishMessage, Publisher, PublisherBatching } from './bus-api.ts';
import { BusClosedError, BusInvalidArgumentError, BusOrderingKeyPausedError } from './bus-errors.ts';
import { systemClock, type Clock, type ClockTimer } from './clock.ts';

interface Queued {
  msg: PublishMessage;
  bytes: number;
  resolve: (id: string) => void;
  reject: (e: unknown) => void;
}

interface KeyQueue {
  items: Queued[];
  bytes: number;
  timer: ClockTimer | undefined;
  /** The previous batch of this key (ordering keys only): the next waits for it. */
  tail: Promise<void>;
}

const NO_KEY = '\u0000no-key';

class BatchingPublisher implements Publisher {
  private queues = new Map<string, KeyQueue>();
  private paused = new Map<string, unknown>();
  private inFlight = new Set<Promise<void>>();
  private closed = false;
  private readonly maxBytes: number;
  private readonly maxLatency: number;
  private readonly maxMessages: number;

  constructor(
    private readonly bus: Bus,
    private readonly topic: string,
    batching: PublisherBatching,
    private readonly clock: Clock,
  ) {
    this.maxBytes = batching.maxBytes ?? 1024 * 1024;
    this.maxMessages = batching.maxMessages ?? 100;
    this.maxLatency = batching.maxLatency === undefined ? 50 : parseDuration(batching.maxLatency, 'maxLatency');
    if (!(this.maxBytes > 0) || !Number.isInteger(this.maxMessages) || this.maxMessages < 1 || this.maxMessages > 1000 || this.maxLatency < 0) {
      throw new BusInvalidArgumentError('publisher batching: maxBytes > 0, maxMessages 1–1000 and maxLatency ≥ 0 are required');
    }
  }

  publish(msg: PublishMessage): Promise<string> {
    if (this.closed) return Promise.reject(new BusClosedError('the publisher is closed'));
    const key = msg.orderingKey !== undefined && msg.orderingKey !== '' ? msg.orderingKey : NO_KEY;
    if (this.paused.has(key)) {
      return Promise.reject(
        new BusOrderingKeyPausedError(`publishing with ordering key '${key}' is paused: an earlier publish with it failed`, {
          hint: `handle the failure, then call resumePublish('${key}')`,
          cause: this.paused.get(key),
        }),
      );
    }
    const bytes = (typeof msg.data === 'string' ? Buffer.byteLength(msg.data) : msg.data.length) + 64;
    let q = this.queues.get(key);
    if (!q) {
      q = { items: [], bytes: 0, timer: undefined, tail: Promise.resolve() };
      this.queues.set(key, q);
    }
    if (q.items.length > 0 && q.bytes + bytes > this.maxBytes) this.send(key, q);
    return new Promise<string>((resolve, reject) => {
      q.items.push({ msg, bytes, resolve, reject });
      q.bytes += bytes;
      if (q.items.length >= this.maxMessages || q.bytes >= this.maxBytes) this.send(key, q);
      else q.timer ??= this.clock.setTimer(() => this.send(key, q), this.maxLatency, { keepAlive: true });
    });
  }

  private send(key: string, q: KeyQueue): void {
    q.timer?.cancel();
    q.timer = undefined;
    const items = q.items;
    q.items = [];
    q.bytes = 0;
    if (items.length === 0) return;
    const ordered = key !== NO_KEY;
    const run = async () => {
      if (ordered && this.paused.has(key)) throw this.paused.get(key);
      return this.bus.publish(this.topic, items.map((i) => i.msg));
    };
    const done = (ordered ? q.tail.then(run) : run()).then(
      (ids) => items.forEach((it, i) => it.resolve(ids[i]!)),
      (e: unknown) => {
        if (ordered && !this.paused.has(key)) this.paused.set(key, e);
        const err = ordered && this.paused.get(key) !== e ? new BusOrderingKeyPausedError(`publishing with ordering key '${key}' is paused: an earlier publish with it failed`, { hint: `call resumePublish('${key}')`, cause: e }) : e;
        for (const it of items) it.reject(err);
      },
    );
    if (ordered) q.tail = done;
    this.inFlight.add(done);
    void done.finally(() => this.inFlight.delete(done));
  }

  resumePublish(orderingKey: string): void {
    this.paused.delete(orderingKey);
  }

  async flush(): Promise<void> {
    for (const [key, q] of this.queues) this.send(key, q);
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
  }
}

/** A batching publisher for `topic` on `bus` (defaults: 100 messages, 1 MB, 50 ms). */
export function createPublisher(bus: Bus, topic: string, batching: PublisherBatching = {}, clock: Clock = systemClock): Publisher {
  return new BatchingPublisher(bus, topic, batching, clock);
}
