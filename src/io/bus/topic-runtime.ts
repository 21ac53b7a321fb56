/**
 * A topic in the running bus: its log, its compiled schema and its dedup memory. Publishing validates the batch
 * (limits as Pub/Sub's: ≤ 1000 messages and 10 MB a call, ≤ 100 attributes, keys ≤ 256 bytes, values ≤ 1024 bytes,
 * ordering keys ≤ 1024 bytes), checks the schema, drops republished ids seen within the dedup window (answering with
 * the first one's id), appends, and resolves with ids once durable.
 *
 * The dedup memory is rebuilt on open from the log's last window, so a publisher retrying after a restart of the
 * bus still gets the first id back.
 */
import type { PublishMessage, TopicInfo } from './bus-api.ts';
import { BusInvalidArgumentError, BusSchemaViolationError } from './bus-errors.ts';
import type { Clock } from './clock.ts';
import type { RecordInput } from './record-batch.ts';
import { compileSchema, type SchemaCheck } from './schema-check.ts';
import type { TopicLog } from './topic-log.ts';
import { RateCounter } from './rate-counter.ts';

export const MAX_MESSAGES_PER_PUBLISH = 1000;
export const MAX_PUBLISH_BYTES = 10 * 1024 * 1024;

const utf8 = new TextEncoder();

export class TopicRuntime {
  private check: SchemaCheck | undefined;
  /** id attribute value → message id, in first-seen order (for expiry). */
  private seen = new Map<string, { id: string; at: number }>();
  private inFlight = new Map<string, Promise<string>>();
  readonly publishRate = new RateCounter();

  private constructor(
    public info: TopicInfo,
    readonly dir: string,
    readonly log: TopicLog,
    private readonly clock: Clock,
  ) {}

  static async open(info: TopicInfo, dir: string, log: TopicLog, clock: Clock): Promise<TopicRuntime> {
    const t = new TopicRuntime(info, dir, log, clock);
    if (info.schema) t.check = await compileSchema(info.schema);
    if (info.messageDedup) await t.rebuildDedup();
    return t;
  }

  private async rebuildDedup(): Promise<void> {
    const d = this.info.messageDedup!;
    const now = this.clock.now();
    let o = await this.log.offsetForTime(now - d.window);
    while (o < this.log.endOffset) {
      const msgs = await this.log.read(o, 10_000);
      if (msgs.length === 0) break;
      for (const m of msgs) {
        const v = m.attributes[d.idAttribute];
        if (v !== undefined && !this.seen.has(v)) this.seen.set(v, { id: m.id, at: m.publishTime });
      }
      o = Number(msgs[msgs.length - 1]!.id) + 1;
    }
  }

  private expireDedup(now: number): void {
    const w = this.info.messageDedup?.window;
    if (w === undefined) return;
    for (const [k, v] of this.seen) {
      if (v.at >= now - w) break;
      this.seen.delete(k);
    }
  }

  /** Validates and normalises a batch (throws naming the message and what is wrong). */
  private normalise(messages: readonly PublishMessage[]): RecordInput[] {
    if (!Array.isArray(messages) || messages.length === 0) throw new BusInvalidArgumentError('publish needs at least one message');
    if (messages.length > MAX_MESSAGES_PER_PUBLISH) {
      throw new BusInvalidArgumentError(`a publish call takes at most ${MAX_MESSAGES_PER_PUBLISH} messages, not ${messages.length}`, { hint: 'split the batch, or publish through a Publisher, which batches within the limits' });
    }
    let total = 0;
    return messages.map((m, i) => {
      const where = `message ${i} of the batch`;
      if (typeof m !== 'object' || m === null) throw new BusInvalidArgumentError(`${where} is not an object`);
      const data = typeof m.data === 'string' ? utf8.encode(m.data) : m.data;
      if (!(data instanceof Uint8Array)) throw new BusInvalidArgumentError(`${where}: data must be a string or bytes (Uint8Array)`);
      const attributes: Record<string, string> = {};
      const attrs = m.attributes ?? {};
      if (typeof attrs !== 'object' || attrs === null) throw new BusInvalidArgumentError(`${where}: attributes must be an object of strings`);
      const keys = Object.keys(attrs);
      if (keys.length > 100) throw new BusInvalidArgumentError(`${where} has ${keys.length} attributes; at most 100 are allowed`);
      for (const k of keys) {
        const v = (attrs as Record<string, unknown>)[k];
        if (typeof v !== 'string') throw new BusInvalidArgumentError(`${where}: attribute '${k}' must be a string, not ${typeof v}`);
        if (k === '' || Buffer.byteLength(k) > 256) throw new BusInvalidArgumentError(`${where}: an attribute key has 1 to 256 bytes ('${k.slice(0, 40)}')`);
        if (/^goog/i.test(k)) throw new BusInvalidArgumentError(`${where}: attribute keys may not start with "goog" ('${k}')`);
        if (Buffer.byteLength(v) > 1024) throw new BusInvalidArgumentError(`${where}: attribute '${k}' has a value of ${Buffer.byteLength(v)} bytes; at most 1024 are allowed`);
        attributes[k] = v;
        total += k.length + v.length;
      }
      if (data.length === 0 && keys.length === 0) throw new BusInvalidArgumentError(`${where} has neither data nor attributes`, { hint: 'a message needs data, attributes or both' });
      if (m.orderingKey !== undefined && (typeof m.orderingKey !== 'string' || Buffer.byteLength(m.orderingKey) > 1024)) {
        throw new BusInvalidArgumentError(`${where}: orderingKey must be a string of at most 1024 bytes`);
      }
      total += data.length;
      if (total > MAX_PUBLISH_BYTES) throw new BusInvalidArgumentError(`a publish call carries at most ${MAX_PUBLISH_BYTES} bytes; this one is larger from message ${i} on`, { hint: 'split the batch' });
      if (this.check) {
        const reason = this.check(data);
        if (reason !== undefined) {
          throw new BusSchemaViolationError(`${where} does not match the ${this.info.schema!.type} schema of topic ${this.info.name}: ${reason}`, {
            hint: 'fix the message (nothing of this publish call was stored)',
          });
        }
      }
      return m.orderingKey !== undefined && m.orderingKey !== '' ? { data, attributes, orderingKey: m.orderingKey } : { data, attributes };
    });
  }

  /** Publishes a batch; resolves with ids once durable. */
  async publish(messages: readonly PublishMessage[]): Promise<string[]> {
    const records = this.normalise(messages);
    const now = this.clock.now();
    const dedup = this.info.messageDedup;
    if (!dedup) {
      const { baseOffset } = await this.log.append(records);
      this.publishRate.add(now, records.length);
      return records.map((_, i) => String(baseOffset + i));
    }
    this.expireDedup(now);
    // Each message: an earlier id (settled or in flight), a repeat within this batch, or new.
    const ids: Array<string | Promise<string> | number> = [];
    const fresh: RecordInput[] = [];
    const batchFirst = new Map<string, number>();
    for (const r of records) {
      const key = r.attributes[dedup.idAttribute];
      const known = key !== undefined ? (this.seen.get(key)?.id ?? this.inFlight.get(key)) : undefined;
      if (known !== undefined) ids.push(known);
      else if (key !== undefined && batchFirst.has(key)) ids.push(batchFirst.get(key)!);
      else {
        if (key !== undefined) batchFirst.set(key, fresh.length);
        ids.push(fresh.length);
        fresh.push(r);
      }
    }
    if (fresh.length === 0) return Promise.all(ids as Array<string | Promise<string>>);
    const appended = this.log.append(fresh);
    for (const [key, idx] of batchFirst) {
      const p = appended.then(({ baseOffset }) => String(baseOffset + idx));
      p.catch(() => undefined);
      this.inFlight.set(key, p);
    }
    try {
      const { baseOffset, publishTime } = await appended;
      for (const [key, idx] of batchFirst) this.seen.set(key, { id: String(baseOffset + idx), at: publishTime });
      this.publishRate.add(now, fresh.length);
      return Promise.all(ids.map((x) => (typeof x === 'number' ? String(baseOffset + x) : x)));
    } finally {
      for (const key of batchFirst.keys()) this.inFlight.delete(key);
    }
  }

  /** Publishes without schema or dedup (dead letters are forwarded as they are). */
  async publishRaw(records: RecordInput[]): Promise<string[]> {
    const { baseOffset } = await this.log.append(records);
    this.publishRate.add(this.clock.now(), records.length);
    return records.map((_, i) => String(baseOffset + i));
  }

  /** Retention: whole old segments. */
  enforceRetention(now: number): Promise<number> {
    this.expireDedup(now);
    return this.log.enforceRetention(now, this.info.messageRetentionDuration, this.info.retentionBytes);
  }
}
