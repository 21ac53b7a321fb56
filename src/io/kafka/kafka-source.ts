/**
 * `io.kafka.read(topics, options)`: Kafka topics as an unbounded source (or a bounded one with `stopAt: 'latest'`).
 *
 * - **Partitions → readers**: the source reads in parallel (`parallel`): on N workers each opens a reader. The
 *   topics' partitions, in the order the topics are given then by partition index, go to the readers round-robin by
 *   index (partition i to reader i mod N): stable, no group rebalancing. Partitions added to a topic after the read
 *   opened are not read (restart the job). A restore at another N re-assigns them with their offsets
 *   (`mergePositions`: positions are per partition).
 * - **Positions**: `position()` is the next offset of each assigned partition (`{ offsets: { topic: { partition:
 *   offset } } }`), what a checkpoint stores; `open(position)` resumes exactly there. Partitions the position does not
 *   name start at `startOffsets`. A position below the log's start (deleted by retention) is an error naming the
 *   topic, partition and offset, never a silent skip.
 * - **Fetching**: one Fetch request per leader broker per round, the next round prefetched while the engine processes
 *   the batch. `read_committed` (default) filters aborted transactions (aborted-filter.ts).
 * - **Timestamps and watermarks**: see kafka-options.ts's `timestampPolicy` and partition-watermarks.ts.
 * - **Bad messages**: a key, value or header that does not decode, or a missing/invalid timestamp field, goes to the
 *   read's error output with topic/partition/offset, the reason and the raw value (and key) in base64.
 * - **Group offsets**: with `groupId`, `finalizeCheckpoint` commits the checkpointed offsets to the group (monitoring
 *   and tools such as kafka-consumer-groups; Riffle's checkpoint stays the truth).
 */
import {
  MAX_TIMESTAMP,
  type ErrorRecord,
  type Instant,
  type SourceBacklog,
  type SourceBatch,
  type SourceContext,
  type UnboundedReader,
  type UnboundedSource,
} from '../../model/index.ts';
import { read as readTransform, type ReadTransform } from '../../transforms/index.ts';
import { committedBatches, IS_CONTROL, LOG_APPEND_TIME, type BatchHeader } from './aborted-filter.ts';
import { describeKafkaError, KafkaError } from './kafka-errors.ts';
import { decodeUtf8, payloadCodec, type PayloadCodec } from './kafka-format.ts';
import { avroModule, kafkaClient, type KafkaClientModule } from './kafka-module.ts';
import { resolveRead, type KafkaReadOptions, type ResolvedRead } from './kafka-options.ts';
import { PartitionWatermarks } from './partition-watermarks.ts';

/** One Kafka message as an element. */
export interface KafkaMessage<V = unknown, K = string> {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly key: K | null;
  readonly value: V | null;
  readonly headers: Readonly<Record<string, string>>;
  /** The element's event time (per the timestamp policy). */
  readonly timestamp: Instant;
}

/** Where a Kafka reader is: the next offset of each of its partitions. */
export interface KafkaPosition {
  readonly offsets: Readonly<Record<string, Readonly<Record<string, number>>>>;
}

type Client = KafkaClientModule;
type Consumer = import('@platformatic/kafka').Consumer;
type FetchResponse = Awaited<ReturnType<Consumer['fetch']>>;
type RecordsBatch = NonNullable<FetchResponse['responses'][number]['partitions'][number]['records']>[number];

interface PartitionRef {
  readonly key: string;
  readonly topic: string;
  readonly partition: number;
}

/** The topics as an unbounded source (see the module comment). */
export class KafkaSource<V = unknown, K = string> implements UnboundedSource<KafkaMessage<V, K>, KafkaPosition> {
  readonly kind = 'unbounded';
  /** Every worker reads its share of the partitions (partition i to worker i mod N). */
  readonly parallel = true;
  constructor(readonly options: ResolvedRead) {}

  /**
   * The readers' positions as one: every partition's offset (a partition is owned by one reader, so they never
   * disagree; if they did, the smaller offset wins: input read again, never skipped). A restore at any number of
   * workers opens each reader at it, and each keeps the partitions it owns now.
   */
  mergePositions(positions: readonly KafkaPosition[]): KafkaPosition {
    const offsets: Record<string, Record<string, number>> = {};
    for (const position of positions) {
      for (const [topic, parts] of Object.entries(position?.offsets ?? {})) {
        const into = (offsets[topic] ??= {});
        for (const [p, o] of Object.entries(parts)) into[p] = into[p] === undefined ? o : Math.min(into[p], o);
      }
    }
    return { offsets };
  }

  describe(): string {
    return `kafka(${this.options.topics.join(',')})`;
  }

  async open(position: KafkaPosition | undefined, signal?: AbortSignal, context?: SourceContext): Promise<KafkaReader<V, K>> {
    const client = await kafkaClient.load();
    const needsAvro = this.options.value.format === 'avro' || this.options.key.format === 'avro';
    const avro = needsAvro ? await avroModule.load() : undefined;
    const what = this.describe();
    const codecs = { value: payloadCodec(this.options.value, what, avro), key: payloadCodec(this.options.key, what, avro) };
    const reader = new KafkaReader<V, K>(this.options, client, codecs, signal);
    try {
      await reader.start(position, context ?? { worker: 0, workers: 1 });
    } catch (e) {
      await reader.close();
      throw e;
    }
    return reader;
  }
}

/** Reads the partitions assigned to one reader; see the module comment. */
/**
 * Isolation read_committed for the broker (the level's byte is 1), given as a Number object so that
 * @platformatic/kafka 1.35 does not filter the answer itself: it does so when the level `=== 1`, and throws an
 * uncaught TypeError from its callback on an ABORT marker whose transaction the broker did not list — a producer killed
 * after adding the partition to its transaction and before any of its records landed there (the Kafka SIGKILL tier hit
 * it). `committedBatches` filters aborted transactions here, as Kafka's Java consumer does; the request's bytes are
 * the same. (Fetch options are schema-checked only by a `strict` client, which this reader's consumer is not.)
 */
const READ_COMMITTED_OWN_FILTER = Object(1) as number;

export class KafkaReader<V = unknown, K = string> implements UnboundedReader<KafkaMessage<V, K>, KafkaPosition> {
  private readonly consumer: Consumer;
  private assigned: PartitionRef[] = [];
  /** Next offset to fetch, per partition key `topic:partition`. */
  private readonly fetchOffsets = new Map<string, bigint>();
  /** Next offset after what the last returned batch held: the position. */
  private returned = new Map<string, bigint>();
  /** End offsets of a bounded read. */
  private readonly endOffsets = new Map<string, bigint>();
  /** Each partition's end (high watermark, or last stable offset read_committed) as the last fetch answered it. */
  private readonly logEnds = new Map<string, bigint>();
  private readonly done = new Set<string>();
  private watermarks!: PartitionWatermarks;
  private topicIds = new Map<string, string>();
  private idTopics = new Map<string, string>();
  private leaders = new Map<string, number>();
  private metadataStale = true;
  private inflight: Promise<FetchResponse[]> | undefined;
  private closed = false;
  /** Counts, for tests and reports. */
  readonly counts = { messages: 0, malformed: 0, fetches: 0, committed: 0 };

  constructor(
    private readonly o: ResolvedRead,
    private readonly client: Client,
    private readonly codecs: { value: PayloadCodec; key: PayloadCodec },
    private readonly signal: AbortSignal | undefined,
  ) {
    // A group id is needed by the client's constructor; without one the reader never joins nor commits.
    this.consumer = new client.Consumer({
      clientId: o.clientId,
      groupId: o.groupId ?? `riffle-unused-${process.pid}`,
      bootstrapBrokers: o.brokers,
      autocommit: false,
      retries: 3,
      // Options unchecked (the default): READ_COMMITTED_OWN_FILTER is a Number object, which a strict check refuses.
      strict: false,
    });
  }

  /** The partitions this reader owns, in order (for tests and reports). */
  partitions(): readonly { topic: string; partition: number }[] {
    return this.assigned.map(({ topic, partition }) => ({ topic, partition }));
  }

  async start(position: KafkaPosition | undefined, context: SourceContext): Promise<void> {
    await this.refreshMetadata();
    // 1. Every partition of every topic, in a stable order; this reader's share by index.
    const all: PartitionRef[] = [];
    for (const topic of this.o.topics) {
      const n = this.partitionCount.get(topic)!;
      for (let p = 0; p < n; p++) all.push({ key: `${topic}:${p}`, topic, partition: p });
    }
    this.assigned = all.filter((_, i) => i % context.workers === context.worker);
    // 2. Start offsets: the position, else startOffsets, else earliest/latest from the brokers.
    const earliest = await this.listOffsets(-2n, false);
    const latest = this.o.startOffsets === 'latest' || this.o.stopAtLatest ? await this.listOffsets(-1n, this.o.readCommitted) : undefined;
    for (const ref of this.assigned) {
      const fromPosition = position?.offsets[ref.topic]?.[String(ref.partition)];
      let start: bigint;
      if (fromPosition !== undefined) start = BigInt(fromPosition);
      else if (this.o.startOffsets instanceof Map && this.o.startOffsets.has(ref.key)) start = BigInt(this.o.startOffsets.get(ref.key)!);
      else if (this.o.startOffsets === 'latest') start = latest!.get(ref.key)!;
      else start = earliest.get(ref.key)!;
      this.fetchOffsets.set(ref.key, start);
      if (this.o.stopAtLatest) {
        const end = latest!.get(ref.key)!;
        this.endOffsets.set(ref.key, end);
        if (start >= end) this.done.add(ref.key);
      }
    }
    this.returned = new Map(this.fetchOffsets);
    const now = Date.now();
    this.watermarks = new PartitionWatermarks({ maxDelayMs: this.o.maxDelayMs, idleMs: this.o.idleMs, brokerTime: this.o.timestampPolicy === 'logAppend' }, this.assigned.map((r) => r.key), now);
    for (const k of this.done) this.watermarks.setDone(k);
  }

  private partitionCount = new Map<string, number>();

  private async refreshMetadata(): Promise<void> {
    let md: Awaited<ReturnType<Consumer['metadata']>>;
    try {
      md = await this.consumer.metadata({ topics: [...this.o.topics], forceUpdate: true });
    } catch (e) {
      const text = describeKafkaError(e);
      if (/UNKNOWN_TOPIC|Unknown topic|does not host this topic/i.test(text)) {
        throw new KafkaError('KAFKA_TOPIC_UNKNOWN', `${this.describe()}: a topic does not exist on ${this.o.brokers.join(',')}: ${text}`, { domain: 'user', hint: 'create it first (kafka-topics.sh --create), or check the topic name', cause: e });
      }
      throw new KafkaError('KAFKA_UNREACHABLE', `${this.describe()}: cannot read the metadata of ${this.o.topics.join(', ')} from ${this.o.brokers.join(',')}: ${text}`, { hint: 'check that the brokers are up and reachable', cause: e });
    }
    for (const topic of this.o.topics) {
      const t = md.topics.get(topic);
      if (!t) throw new KafkaError('KAFKA_TOPIC_UNKNOWN', `${this.describe()}: topic '${topic}' does not exist on ${this.o.brokers.join(',')}`, { domain: 'user', hint: 'create it first, or check the topic name' });
      this.topicIds.set(topic, t.id);
      this.idTopics.set(t.id, topic);
      this.partitionCount.set(topic, t.partitionsCount ?? t.partitions.length);
      t.partitions.forEach((p, i) => this.leaders.set(`${topic}:${i}`, p.leader));
    }
    this.metadataStale = false;
  }

  private describe(): string {
    return `kafka(${this.o.topics.join(',')})`;
  }

  /** Offsets at `timestamp` (-2 earliest, -1 latest) of the assigned partitions. */
  private async listOffsets(timestamp: bigint, committed: boolean): Promise<Map<string, bigint>> {
    const out = new Map<string, bigint>();
    if (this.assigned.length === 0) return out;
    const topics = [...new Set(this.assigned.map((r) => r.topic))];
    let res: Map<string, bigint[]>;
    try {
      res = await this.consumer.listOffsets({ topics, timestamp, isolationLevel: committed ? 1 : 0 });
    } catch (e) {
      throw new KafkaError('KAFKA_UNREACHABLE', `${this.describe()}: cannot list the ${timestamp === -2n ? 'earliest' : 'latest'} offsets: ${describeKafkaError(e)}`, { cause: e });
    }
    for (const r of this.assigned) {
      const o = res.get(r.topic)?.[r.partition];
      if (o === undefined) throw new KafkaError('KAFKA_OFFSETS_MISSING', `${this.describe()}: the broker gave no offset for ${r.topic}/${r.partition}`);
      out.set(r.key, o);
    }
    return out;
  }

  position(): KafkaPosition {
    const offsets: Record<string, Record<string, number>> = {};
    for (const r of this.assigned) (offsets[r.topic] ??= {})[String(r.partition)] = Number(this.returned.get(r.key)!);
    return { offsets };
  }

  watermark(): Instant {
    if (this.assigned.length === 0) return this.o.stopAtLatest ? MAX_TIMESTAMP : this.watermarks.watermark(Date.now());
    return this.watermarks.watermark(Date.now());
  }

  /**
   * Every partition this reader has left is idle (caught up, silent for idleTimeout): its stage reports itself idle,
   * so on N workers the other workers' partitions drive the watermark (as one reader's other partitions do). Never
   * with `logAppend` (idle partitions advance with the broker's clock instead).
   */
  /**
   * Records behind the assigned partitions' ends as the last fetches answered them (Σ end − next offset; a bounded
   * read's end offsets cap them); undefined before any fetch answered. No request of its own.
   */
  backlog(): SourceBacklog | undefined {
    let behind = 0n;
    let known = false;
    for (const r of this.assigned) {
      if (this.done.has(r.key)) { known = true; continue; }
      const logEnd = this.logEnds.get(r.key);
      const next = this.fetchOffsets.get(r.key);
      if (logEnd === undefined || next === undefined) continue;
      known = true;
      const end = this.endOffsets.get(r.key);
      const until = end !== undefined && end < logEnd ? end : logEnd;
      if (until > next) behind += until - next;
    }
    return known ? { amount: Number(behind), unit: 'elements' } : undefined;
  }

  idle(): boolean {
    if (this.o.timestampPolicy === 'logAppend') return false;
    const now = Date.now();
    const live = this.assigned.filter((r) => !this.done.has(r.key));
    return live.length > 0 && live.every((r) => this.watermarks.isIdle(r.key, now));
  }

  /** The partitions that are idle now (for tests and reports). */
  idlePartitions(): string[] {
    const now = Date.now();
    return this.assigned.filter((r) => this.watermarks.isIdle(r.key, now)).map((r) => r.key);
  }

  async next(waitMs: number): Promise<SourceBatch<KafkaMessage<V, K>> | null> {
    if (this.closed || this.signal?.aborted) return null;
    if (this.assigned.length > 0 && this.done.size === this.assigned.length) return null;
    if (this.assigned.length === 0) {
      await new Promise((r) => setTimeout(r, Math.min(waitMs, 1000)));
      return null;
    }
    const round = this.inflight ?? this.fetchRound(waitMs);
    this.inflight = undefined;
    const responses = await round;
    const batch = this.process(responses);
    this.returned = new Map(this.fetchOffsets);
    // Prefetch the next round while the engine processes this batch (its records are applied at the next call).
    if (!this.closed && this.done.size < this.assigned.length && batch.values.length + batch.errors.length > 0) {
      this.inflight = this.fetchRound(waitMs);
      this.inflight.catch(() => {}); // surfaced by the next call
    }
    if (batch.values.length === 0 && batch.errors.length === 0) return null;
    return batch;
  }

  /** One Fetch per leader broker for the partitions not done, concurrently. */
  private async fetchRound(waitMs: number): Promise<FetchResponse[]> {
    if (this.metadataStale) await this.refreshMetadata();
    const byLeader = new Map<number, Map<string, { partition: number; fetchOffset: bigint; partitionMaxBytes: number; currentLeaderEpoch: number; lastFetchedEpoch: number }[]>>();
    for (const r of this.assigned) {
      if (this.done.has(r.key)) continue;
      const leader = this.leaders.get(r.key)!;
      let topics = byLeader.get(leader);
      if (!topics) byLeader.set(leader, (topics = new Map()));
      const id = this.topicIds.get(r.topic)!;
      let parts = topics.get(id);
      if (!parts) topics.set(id, (parts = []));
      parts.push({ partition: r.partition, fetchOffset: this.fetchOffsets.get(r.key)!, partitionMaxBytes: this.o.maxBytesPerPartition, currentLeaderEpoch: -1, lastFetchedEpoch: -1 });
    }
    const maxWaitTime = Math.max(0, Math.min(waitMs, 500));
    const out = await Promise.all(
      [...byLeader].map(async ([node, topics]) => {
        this.counts.fetches++;
        try {
          return await this.consumer.fetch({
            node,
            topics: [...topics].map(([topicId, partitions]) => ({ topicId, partitions })),
            maxWaitTime,
            minBytes: 1,
            maxBytes: 64 << 20,
            isolationLevel: this.o.readCommitted ? READ_COMMITTED_OWN_FILTER : 0,
          });
        } catch (e) {
          return this.fetchFailure(e, node);
        }
      }),
    );
    return out.filter((r): r is FetchResponse => r !== undefined);
  }

  /** A failed Fetch: stale leadership refreshes the metadata (the next round retries); a lost offset or anything else fails the read. */
  private fetchFailure(e: unknown, node: number): FetchResponse | undefined {
    const inner = ((e as { errors?: unknown[] }).errors ?? [e]) as { apiId?: string; hasStaleMetadata?: boolean; canRetry?: boolean }[];
    const response = (e as { response?: FetchResponse }).response;
    if (inner.some((x) => x.apiId === 'OFFSET_OUT_OF_RANGE') && response) {
      for (const t of response.responses) {
        for (const p of t.partitions) {
          if (p.errorCode !== 1) continue;
          const topic = this.idTopics.get(t.topicId) ?? t.topicId;
          const offset = this.fetchOffsets.get(`${topic}:${p.partitionIndex}`);
          throw new KafkaError('KAFKA_OFFSET_OUT_OF_RANGE', `${this.describe()}: offset ${offset} of ${topic}/${p.partitionIndex} is not in the log (its start is ${p.logStartOffset}, its end ${p.highWatermark}): the records there were deleted by retention, or the position is from another topic`, {
            hint: 'restart from a newer checkpoint, or give startOffsets explicitly to skip what was lost (nothing is skipped silently)',
          });
        }
      }
    }
    if (inner.every((x) => x.hasStaleMetadata || x.canRetry)) {
      this.metadataStale = true;
      // Partitions without errors in the same response are still good.
      return response ? { ...response, responses: response.responses.map((t) => ({ ...t, partitions: t.partitions.filter((p) => p.errorCode === 0) })) } : undefined;
    }
    throw new KafkaError('KAFKA_FETCH_FAILED', `${this.describe()}: fetching from broker ${node} failed: ${describeKafkaError(e)}`, { cause: e });
  }

  private process(responses: readonly FetchResponse[]): { values: KafkaMessage<V, K>[]; timestamps: Instant[]; errors: ErrorRecord<string>[] } {
    const values: KafkaMessage<V, K>[] = [];
    const timestamps: Instant[] = [];
    const errors: ErrorRecord<string>[] = [];
    const now = Date.now();
    for (const res of responses) {
      for (const t of res.responses) {
        const topic = this.idTopics.get(t.topicId);
        if (topic === undefined) continue;
        for (const p of t.partitions) {
          if (p.errorCode !== 0) continue;
          const key = `${topic}:${p.partitionIndex}`;
          const requested = this.fetchOffsets.get(key);
          if (requested === undefined || this.done.has(key)) continue;
          const batches = (p.records ?? []) as RecordsBatch[];
          const end = this.endOffsets.get(key);
          let next = requested;
          let maxTs = Number.NEGATIVE_INFINITY;
          const delivered = new Set<RecordsBatch>(this.o.readCommitted ? committedBatches(batches as (RecordsBatch & BatchHeader)[], p.abortedTransactions) : batches.filter((b) => (b.attributes & IS_CONTROL) === 0));
          for (const b of batches) {
            const last = b.firstOffset + BigInt(b.lastOffsetDelta);
            if (delivered.has(b)) {
              const logAppend = (b.attributes & LOG_APPEND_TIME) !== 0;
              if (this.o.timestampPolicy === 'logAppend' && !logAppend) {
                throw new KafkaError('KAFKA_TIMESTAMP_TYPE', `${this.describe()}: timestampPolicy 'logAppend' needs broker timestamps, but ${topic}/${p.partitionIndex} at offset ${b.firstOffset} holds producer (CreateTime) timestamps`, {
                  domain: 'user',
                  hint: `set the topic's message.timestamp.type=LogAppendTime (kafka-configs.sh --alter --entity-type topics --entity-name ${topic} --add-config message.timestamp.type=LogAppendTime), or use timestampPolicy 'create'`,
                });
              }
              for (const r of b.records) {
                const offset = b.firstOffset + BigInt(r.offsetDelta);
                if (offset < requested) continue;
                if (end !== undefined && offset >= end) break;
                const ts = logAppend ? Number(b.maxTimestamp) : Number(b.firstTimestamp + r.timestampDelta);
                this.counts.messages++;
                const m = this.decode(topic, p.partitionIndex, offset, r, ts);
                if ('error' in m) {
                  this.counts.malformed++;
                  errors.push(m.error);
                  continue;
                }
                values.push(m.message);
                timestamps.push(m.message.timestamp);
                if (m.message.timestamp > maxTs) maxTs = m.message.timestamp;
              }
            }
            if (last + 1n > next) next = last + 1n;
          }
          if (end !== undefined && next > end) next = end;
          this.fetchOffsets.set(key, next);
          if (maxTs > Number.NEGATIVE_INFINITY) this.watermarks.observe(key, maxTs, now);
          const stable = this.o.readCommitted ? p.lastStableOffset : p.highWatermark;
          this.logEnds.set(key, stable);
          this.watermarks.setCaughtUp(key, next >= stable);
          if (end !== undefined && next >= end) {
            this.done.add(key);
            this.watermarks.setDone(key);
          }
        }
      }
    }
    return { values, timestamps, errors };
  }

  private decode(
    topic: string,
    partition: number,
    offset: bigint,
    r: RecordsBatch['records'][number],
    ts: number,
  ): { message: KafkaMessage<V, K> } | { error: ErrorRecord<string> } {
    let part = 'value';
    try {
      const value = r.value === null ? null : (this.codecs.value.decode(r.value) as V);
      part = 'key';
      const key = r.key === null ? null : (this.codecs.key.decode(r.key) as K);
      part = 'header';
      const headers: Record<string, string> = {};
      for (const [hk, hv] of r.headers) {
        if (hk === null) continue;
        const name = decodeUtf8(hk);
        part = `header '${name}'`;
        headers[name] = hv === null ? '' : decodeUtf8(hv);
      }
      part = 'timestamp';
      const timestamp = typeof this.o.timestampPolicy === 'object' ? fieldTimestamp(value, this.o.timestampPolicy.field) : ts;
      return { message: { topic, partition, offset: Number(offset), key, value, headers, timestamp } };
    } catch (e) {
      return {
        error: {
          step: this.describe(),
          error: part === 'timestamp' ? (e as Error).message : `the ${part} does not decode as ${part === 'key' ? this.codecs.key.name : part === 'value' ? this.codecs.value.name : 'UTF-8'}: ${(e as Error).message}`,
          element: r.value === null ? '' : base64(r.value),
          time: new Date().toISOString(),
          origin: { topic, partition, offset: Number(offset), timestamp: ts, key: r.key === null ? null : base64(r.key), encoding: 'base64' },
        },
      };
    }
  }

  async finalizeCheckpoint(position: KafkaPosition): Promise<void> {
    if (this.o.groupId === undefined || this.closed) return;
    const offsets = [];
    for (const [topic, parts] of Object.entries(position.offsets)) {
      for (const [p, o] of Object.entries(parts)) offsets.push({ topic, partition: Number(p), offset: BigInt(o), leaderEpoch: -1 });
    }
    if (offsets.length === 0) return;
    // A standalone commit (generation -1, no member): the reader is not a group member, the offsets are for monitoring.
    this.consumer.generationId = -1;
    this.consumer.memberId = '';
    try {
      await this.consumer.commit({ offsets });
      this.counts.committed++;
    } catch (e) {
      throw new KafkaError('KAFKA_COMMIT_FAILED', `${this.describe()}: committing offsets of group '${this.o.groupId}' failed: ${describeKafkaError(e)}`, {
        hint: 'the job\'s checkpoint holds the offsets regardless; is another consumer of the same group running?',
        cause: e,
      });
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const pending = this.inflight;
    this.inflight = undefined;
    if (pending) await pending.catch(() => {});
    await new Promise<void>((resolve) => this.consumer.close(true, () => resolve()));
  }
}

function base64(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64');
}

/** The event time in field `field` of a decoded value: ms since the epoch, or an RFC 3339 string. */
export function fieldTimestamp(value: unknown, field: string): Instant {
  if (value === null || typeof value !== 'object') throw new Error(`the timestamp field '${field}' is missing: the value is not an object`);
  const raw = (value as Record<string, unknown>)[field];
  if (raw === undefined || raw === null) throw new Error(`the timestamp field '${field}' is missing`);
  let t = Number.NaN;
  if (typeof raw === 'number') t = raw;
  else if (typeof raw === 'bigint') t = Number(raw);
  else if (typeof raw === 'string') t = /^-?\d+$/.test(raw) ? Number(raw) : /^\d{4}-\d\d-\d\dT/.test(raw) ? Date.parse(raw) : Number.NaN;
  else if (raw instanceof Date) t = raw.getTime();
  if (!Number.isFinite(t) || Math.abs(t) >= MAX_TIMESTAMP) throw new Error(`the timestamp field '${field}' is ${JSON.stringify(typeof raw === 'bigint' ? String(raw) : raw)}: not ms since the epoch nor an RFC 3339 time`);
  return t;
}

/**
 * Reads Kafka topics. Elements are `KafkaMessage`s (topic, partition, offset, key, value, headers, timestamp).
 *
 * @example
 * p.apply(io.kafka.read<Payment>('payments', { brokers: ['localhost:9092'], groupId: 'fraud', timestampPolicy: { field: 'ts' } }))
 *   .apply(map((m) => m.value!));
 */
export function read<V = unknown, K = string>(topics: string | readonly string[], options: KafkaReadOptions): ReadTransform<KafkaMessage<V, K>> {
  return readTransform(new KafkaSource<V, K>(resolveRead(topics, options)), 'KafkaRead');
}
