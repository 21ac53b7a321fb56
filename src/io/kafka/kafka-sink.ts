/**
 * `io.kafka.write(topic, options)`: elements as messages of a Kafka topic.
 *
 * - **Default: the idempotent producer** (acks=all, producer id + sequence numbers, so the broker drops a retried
 *   batch it already has). Each flush waits for the acks: what a completed checkpoint covers is in Kafka. A restart
 *   replays what followed the checkpoint, so messages may appear twice: `guarantee` is 'at-least-once'.
 * - **`exactlyOnce: true`: transactions, two-phase** (Flink's KafkaSink with EXACTLY_ONCE):
 *   1. messages go into a transaction under a transactional id from a fixed pool, `<prefix>-<worker>-<slot>` with
 *      slot 0…TRANSACTIONAL_ID_POOL-1 taken in turn (Flink's pooled ids: the same ids in every run);
 *   2. `prepareCommit(checkpoint)` sends what is buffered and keeps the transaction open (durable in the log, invisible
 *      to read_committed consumers); it returns `{ transactionalId, producerId, producerEpoch, … }`, stored in the
 *      checkpoint; later messages go into a new transaction (a new transactional id);
 *   3. `commit(prepared)` commits it: with the producer still in memory through it; after a restart (the producer is
 *      gone) by sending EndTxn(commit) for the stored transactional id, producer id and epoch to the transaction
 *      coordinator directly — what Flink does by resuming the transaction without InitProducerId (which would abort
 *      it). A retry of a commit that already happened is answered as a success by the coordinator; a transaction the
 *      broker aborted (its `transactionTimeout` passed) is a clear error: its messages are not in Kafka.
 *   4. `finish` commits the open transaction (the end of a bounded job); `abort` aborts it but leaves prepared ones
 *      open (their checkpoint may have completed: the restart commits them; else the broker aborts them at the timeout).
 *   Until the first checkpoint, a transaction older than half of `transactionTimeout` is committed at the next flush,
 *   so that a job run without checkpoints (which restarts from the beginning anyway) does not hit the timeout; with
 *   checkpoints, keep their interval below half of `transactionTimeout`.
 *   5. **Fencing**: a hard crash leaves the transaction open then (and any prepared one whose checkpoint did not
 *      complete) to the broker; read_committed consumers of its partitions wait while it is open (the last stable
 *      offset cannot pass it). Because the ids are the same in every run, the next run's writer sends InitProducerId
 *      for each id of its pool (`fenceTransactions`) before its first transaction, its first checkpoint or its
 *      finish — whichever comes first, always after the restored checkpoint's `commit` (which the runner makes
 *      before any input): the broker aborts what those ids held open, at once instead of after `transactionTimeout`.
 *      Each writer fences its own worker index's ids; after a resume at fewer workers, the ids of the workers that
 *      are gone are not fenced (their open transaction waits for the timeout).
 */
import {
  MAX_TIMESTAMP,
  MIN_TIMESTAMP,
  type Instant,
  type Sink,
  type SinkContext,
  type SinkWriter,
} from '../../model/index.ts';
import { writeTo, type SinkDone } from '../../transforms/index.ts';
import type { PCollection, PTransform } from '../../model/index.ts';
import { describeKafkaError, KafkaError } from './kafka-errors.ts';
import { payloadCodec, type PayloadCodec } from './kafka-format.ts';
import { avroModule, kafkaClient, type KafkaClientModule } from './kafka-module.ts';
import { resolveWrite, type KafkaWriteOptions, type ResolvedWrite } from './kafka-options.ts';

type Client = KafkaClientModule;
type Producer = import('@platformatic/kafka').Producer;
type Transaction = Awaited<ReturnType<Producer['beginTransaction']>>;

/** What `prepareCommit` returns (stored in the checkpoint) and `commit` takes. */
export interface KafkaPrepared {
  readonly topic: string;
  readonly checkpointId: number;
  /** Null when nothing was written since the previous checkpoint (nothing to commit). */
  readonly transactionalId: string | null;
  /** The producer id and epoch as decimal strings (JSON has no bigint). */
  readonly producerId: string | null;
  readonly producerEpoch: number | null;
  readonly messages: number;
  /** The writer's index (absent in values of earlier versions): a resumed writer that re-commits it fences that index's pool too. */
  readonly worker?: number;
}

/** Transactional ids per writer: `<prefix>-<worker>-<slot>`, slot 0…TRANSACTIONAL_ID_POOL-1, reused in turn. */
export const TRANSACTIONAL_ID_POOL = 8;

interface OutMessage {
  topic: string;
  key: Buffer | undefined;
  value: Buffer | undefined;
  headers: Map<Buffer, Buffer> | undefined;
  partition?: number;
  timestamp?: bigint;
}

/** Most bytes per send: each partition's record batch must stay under the broker's message.max.bytes (1 MiB by default). */
const SEND_BYTES = 900 * 1024;

export class KafkaSink<T> implements Sink<T> {
  readonly guarantee: 'exactly-once' | 'at-least-once';
  constructor(readonly options: ResolvedWrite<T>) {
    this.guarantee = options.exactlyOnce ? 'exactly-once' : 'at-least-once';
  }

  describe(): string {
    return `kafka(${this.options.topic}${this.options.exactlyOnce ? ', exactly-once' : ''})`;
  }

  async open(context: SinkContext): Promise<KafkaWriter<T>> {
    const client = await kafkaClient.load();
    const avro = this.options.value.format === 'avro' ? await avroModule.load() : undefined;
    const codec = payloadCodec(this.options.value, this.describe(), avro);
    const writer = new KafkaWriter<T>(this.options, client, codec, context);
    await writer.start();
    return writer;
  }
}

interface OpenTransaction {
  readonly transactionalId: string;
  readonly producer: Producer;
  readonly tx: Transaction;
  readonly startedAt: number;
  messages: number;
}

export class KafkaWriter<T> implements SinkWriter<T> {
  private buffer: OutMessage[] = [];
  private bufferBytes = 0;
  private producer: Producer | undefined;
  private current: OpenTransaction | undefined;
  /** Prepared transactions whose producers are still here, by transactional id. */
  private readonly prepared = new Map<string, OpenTransaction>();
  /** The pool slot of the next transaction. */
  private slot = 0;
  /** The pool's ids fenced (what a crashed run left open aborted): once, before this writer's first transaction. */
  private fenced: Promise<void> | undefined;
  private checkpointed = false;
  /** Counts, for tests and reports. */
  readonly counts = { messages: 0, transactionsCommitted: 0, transactionsResumed: 0, transactionsAborted: 0, idsFenced: 0 };

  constructor(
    private readonly o: ResolvedWrite<T>,
    private readonly client: Client,
    private readonly codec: PayloadCodec,
    private readonly context: SinkContext,
  ) {}

  private describe(): string {
    return `kafka(${this.o.topic})`;
  }

  /** The transactional ids of writer `worker` (default: this one): the pool of its index. */
  transactionalIds(worker = this.context.worker): string[] {
    const base = `${this.o.transactionalIdPrefix ?? `riffle-${this.o.topic}-${this.context.step}`}-${worker}`;
    return Array.from({ length: TRANSACTIONAL_ID_POOL }, (_, k) => `${base}-${k}`);
  }

  /**
   * Aborts what a crashed run left open under this writer's ids (once; after the restored checkpoint's commit) — and
   * under the ids of the earlier run's writers whose restored transactions this writer re-committed (after a resume
   * at fewer workers, writer j takes the sink state of old writers j, j+N, …: no other writer uses their ids).
   */
  private fence(): Promise<void> {
    const ids = [this.context.worker, ...[...this.adopted].filter((w) => w !== this.context.worker)].flatMap((w) => this.transactionalIds(w)).filter((id) => !this.reserved.has(id));
    return (this.fenced ??= fenceTransactions(this.client, this.o, ids).then((n) => {
      this.counts.idsFenced += n;
    }));
  }

  /** Writer indexes of the earlier run whose restored prepared values this writer committed. */
  private readonly adopted = new Set<number>();
  /**
   * Ids of restored transactions this writer committed (EndTxn with their stored epoch): neither fenced nor used
   * again until a checkpoint of this run committed — a later restart may restore the same checkpoint and repeat that
   * commit, which succeeds only while the id's epoch is unchanged (a fenced or reused id answers PRODUCER_FENCED).
   */
  private readonly reserved = new Set<string>();

  async start(): Promise<void> {
    if (this.o.exactlyOnce) return; // transactions start with the first flush that has messages
    this.producer = new this.client.Producer({ clientId: this.o.clientId, bootstrapBrokers: this.o.brokers, idempotent: true, retries: 5 });
    try {
      await this.producer.metadata({ topics: [this.o.topic] });
    } catch (e) {
      await this.producer.close().catch(() => {});
      throw this.connectError(e);
    }
  }

  private connectError(e: unknown): KafkaError {
    const text = describeKafkaError(e);
    if (/UNKNOWN_TOPIC|Unknown topic/i.test(text)) return new KafkaError('KAFKA_TOPIC_UNKNOWN', `${this.describe()}: topic '${this.o.topic}' does not exist on ${this.o.brokers.join(',')}`, { domain: 'user', hint: 'create it first, or check the topic name', cause: e });
    return new KafkaError('KAFKA_WRITE_FAILED', `${this.describe()}: ${text}`, { hint: 'check that the brokers are up and reachable', cause: e });
  }

  write(element: T, timestamp: Instant): void {
    const o = this.o;
    const valueIn = o.valueOf ? o.valueOf(element) : element;
    let value: Buffer | undefined;
    try {
      value = valueIn === null || valueIn === undefined ? undefined : toBuffer(this.codec.encode(valueIn));
    } catch (e) {
      throw new Error(`the value does not encode as ${this.codec.name}: ${(e as Error).message}`, { cause: e });
    }
    const k = o.key?.(element);
    const key = k === null || k === undefined ? undefined : typeof k === 'string' ? Buffer.from(k, 'utf8') : toBuffer(k);
    let headers: Map<Buffer, Buffer> | undefined;
    const h = o.headers?.(element);
    if (h) {
      headers = new Map();
      for (const [name, v] of Object.entries(h)) {
        if (typeof v !== 'string') throw new Error(`header '${name}' must be a string, not ${typeof v}`);
        headers.set(Buffer.from(name, 'utf8'), Buffer.from(v, 'utf8'));
      }
    }
    const m: OutMessage = { topic: o.topic, key, value, headers };
    if (o.partition) {
      const p = o.partition(element);
      if (!Number.isInteger(p) || p < 0) throw new Error(`partition must be a whole number ≥ 0, not ${p}`);
      m.partition = p;
    }
    if (o.elementTimestamp && timestamp > MIN_TIMESTAMP && timestamp < MAX_TIMESTAMP && timestamp >= 0) m.timestamp = BigInt(Math.floor(timestamp));
    this.buffer.push(m);
    this.bufferBytes += (value?.byteLength ?? 0) + (key?.byteLength ?? 0) + 70;
  }

  flush(): Promise<void> | undefined {
    if (this.buffer.length === 0) return undefined;
    return this.sendBuffered();
  }

  private async sendBuffered(): Promise<void> {
    const messages = this.buffer;
    this.buffer = [];
    this.bufferBytes = 0;
    if (messages.length === 0) return;
    if (this.o.exactlyOnce) {
      if (this.current && !this.checkpointed && Date.now() - this.current.startedAt > this.o.transactionTimeoutMs / 2) {
        const t = this.current;
        this.current = undefined;
        await this.commitOpen(t);
      }
      await this.fence();
      const t = this.current ?? (this.current = await this.begin());
      await this.sendChunks(messages, (batch) => t.tx.send({ messages: batch }));
      t.messages += messages.length;
    } else {
      const p = this.producer!;
      await this.sendChunks(messages, (batch) => p.send({ messages: batch }));
    }
    this.counts.messages += messages.length;
  }

  private async sendChunks(messages: OutMessage[], send: (batch: OutMessage[]) => Promise<unknown>): Promise<void> {
    let from = 0;
    while (from < messages.length) {
      let bytes = 0;
      let to = from;
      while (to < messages.length && (to === from || bytes < SEND_BYTES)) {
        const m = messages[to++]!;
        bytes += (m.value?.byteLength ?? 0) + (m.key?.byteLength ?? 0) + 70;
      }
      try {
        await send(messages.slice(from, to));
      } catch (e) {
        throw this.connectError(e);
      }
      from = to;
    }
  }

  private async begin(): Promise<OpenTransaction> {
    // The next slot whose transaction is not still waiting for its checkpoint's commit.
    const ids = this.transactionalIds();
    let transactionalId: string | undefined;
    for (let k = 0; k < ids.length && transactionalId === undefined; k++) {
      const id = ids[this.slot]!;
      this.slot = (this.slot + 1) % ids.length;
      if (!this.prepared.has(id) && !this.reserved.has(id)) transactionalId = id;
    }
    if (transactionalId === undefined) {
      throw new KafkaError('KAFKA_TRANSACTION_FAILED', `${this.describe()}: all ${ids.length} transactional ids of writer ${this.context.worker} hold prepared transactions waiting for their checkpoints to complete (or the restored checkpoint's)`);
    }
    const producer = new this.client.Producer({
      clientId: this.o.clientId,
      bootstrapBrokers: this.o.brokers,
      idempotent: true,
      transactionalId,
      // InitProducerId as a new producer (no id, no epoch): the client's default (0, 0) is refused as PRODUCER_FENCED
      // by an id that was used before — and pool ids are used in every run.
      producerId: -1n,
      producerEpoch: -1,
      // The client sends its request timeout as the transaction timeout of InitProducerId.
      timeout: this.o.transactionTimeoutMs,
      retries: 5,
    });
    try {
      const tx = await producer.beginTransaction();
      return { transactionalId, producer, tx, startedAt: Date.now(), messages: 0 };
    } catch (e) {
      await producer.close().catch(() => {});
      throw new KafkaError('KAFKA_TRANSACTION_FAILED', `${this.describe()}: starting transaction ${transactionalId} failed: ${describeKafkaError(e)}`, {
        hint: 'the broker needs transaction.state.log.replication.factor ≤ its broker count; transactionTimeout must not exceed its transaction.max.timeout.ms',
        cause: e,
      });
    }
  }

  private async commitOpen(t: OpenTransaction): Promise<void> {
    try {
      await t.tx.commit();
      this.counts.transactionsCommitted++;
    } catch (e) {
      throw new KafkaError('KAFKA_TRANSACTION_FAILED', `${this.describe()}: committing transaction ${t.transactionalId} (${t.messages} messages) failed: ${describeKafkaError(e)}`, { cause: e });
    } finally {
      await t.producer.close().catch(() => {});
    }
  }

  async prepareCommit(checkpointId: number): Promise<KafkaPrepared> {
    this.checkpointed = true;
    if (this.o.exactlyOnce) await this.fence();
    await this.sendBuffered();
    const t = this.current;
    this.current = undefined;
    if (!t || !this.o.exactlyOnce) return { topic: this.o.topic, checkpointId, transactionalId: null, producerId: null, producerEpoch: null, messages: 0, worker: this.context.worker };
    this.prepared.set(t.transactionalId, t);
    return {
      topic: this.o.topic,
      checkpointId,
      transactionalId: t.transactionalId,
      producerId: String(t.producer.producerId),
      producerEpoch: t.producer.producerEpoch ?? 0,
      messages: t.messages,
      worker: this.context.worker,
    };
  }

  async commit(preparedIn: unknown): Promise<void> {
    const prepared = preparedIn as KafkaPrepared;
    if (!prepared) return;
    // A restored value of another writer index (a resume at fewer workers): its pool is this writer's to fence.
    if (this.fenced === undefined && Number.isSafeInteger(prepared.worker) && prepared.worker! >= 0) this.adopted.add(prepared.worker!);
    if (prepared.transactionalId === null) return;
    const held = this.prepared.get(prepared.transactionalId);
    if (held) {
      this.prepared.delete(prepared.transactionalId);
      await this.commitOpen(held);
      // A checkpoint of this run completed: a restart restores it or a later one, never the one restored before.
      this.reserved.clear();
      return;
    }
    await resumeCommit(this.client, this.o, prepared);
    if (this.fenced === undefined) this.reserved.add(prepared.transactionalId);
    this.counts.transactionsResumed++;
  }

  async finish(): Promise<void> {
    if (this.o.exactlyOnce) await this.fence();
    await this.sendBuffered();
    if (this.current) {
      const t = this.current;
      this.current = undefined;
      await this.commitOpen(t);
    }
    await this.producer?.close().catch(() => {});
  }

  /**
   * The job failed or was cancelled: the open transaction (not prepared) is aborted. Prepared ones are left open, as
   * Flink does: their checkpoint may have completed, and the restart's `commit` finishes them; if it did not, the broker
   * aborts them after `transactionTimeout`.
   */
  async abort(_reason?: unknown): Promise<void> {
    this.buffer = [];
    const t = this.current;
    this.current = undefined;
    if (t) {
      await t.tx.abort().catch(() => {});
      this.counts.transactionsAborted++;
      await t.producer.close().catch(() => {});
    }
    for (const held of this.prepared.values()) await held.producer.close().catch(() => {});
    this.prepared.clear();
    await this.producer?.close().catch(() => {});
  }
}

function toBuffer(b: Uint8Array): Buffer {
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

type Connection = InstanceType<KafkaClientModule['Connection']>;

/**
 * Connections to the transaction coordinators of `ids` (FindCoordinator through the first broker that answers), for
 * `use`; all closed after. `what` starts the error messages.
 */
async function withCoordinators<R>(client: Client, o: { brokers: readonly string[]; clientId: string }, ids: readonly string[], what: string, use: (coordinatorOf: (id: string) => Connection) => Promise<R>): Promise<R> {
  const connections: Connection[] = [];
  const connect = async (host: string, port: number) => {
    const c = new client.Connection(o.clientId);
    connections.push(c);
    await c.connect(host, port);
    return c;
  };
  type Found = Awaited<ReturnType<typeof client.findCoordinatorV6.api.async>>['coordinators'];
  let lastError: unknown;
  /** One FindCoordinator for every id, through the first broker that answers for all. */
  const findOnce = async (): Promise<Found | undefined> => {
    for (const b of o.brokers) {
      const [host, port] = [b.slice(0, b.lastIndexOf(':')), Number(b.slice(b.lastIndexOf(':') + 1))];
      try {
        const res = await client.findCoordinatorV6.api.async(await connect(host, port), 1, [...ids]);
        const bad = res.coordinators.find((x) => x.errorCode !== 0);
        if (bad === undefined && res.coordinators.length === ids.length) return res.coordinators;
        lastError = new Error(`FindCoordinator error code ${bad?.errorCode} for ${bad?.key}`);
      } catch (e) {
        lastError = e;
      }
    }
    return undefined;
  };
  try {
    // A coordinator still loading, or the transaction log being created, answers COORDINATOR_NOT_AVAILABLE or
    // COORDINATOR_LOAD_IN_PROGRESS (codes 15, 14): retried for up to 30 s.
    const deadline = Date.now() + 30_000;
    let found = await findOnce();
    while (found === undefined && Date.now() < deadline && /COORDINATOR_(NOT_AVAILABLE|LOAD_IN_PROGRESS)|error code 1[45]\b/.test(describeKafkaError(lastError))) {
      await new Promise((r) => setTimeout(r, 200));
      found = await findOnce();
    }
    if (!found) throw new KafkaError('KAFKA_TRANSACTION_FAILED', `${what}: no transaction coordinator found: ${describeKafkaError(lastError)}`, { hint: 'check that the brokers are up and reachable', cause: lastError });
    const byAddress = new Map<string, Connection>();
    const byId = new Map<string, Connection>();
    for (const x of found) {
      const address = `${x.host}:${x.port}`;
      let c = byAddress.get(address);
      if (c === undefined) byAddress.set(address, (c = await connect(x.host, x.port)));
      byId.set(x.key, c);
    }
    return await use((id) => byId.get(id)!);
  } finally {
    for (const c of connections) await c.close().catch(() => {});
  }
}

/**
 * Commits a prepared transaction whose producer is gone (a restart): FindCoordinator for its transactional id, then
 * EndTxn(commit) with the stored producer id and epoch, without InitProducerId (which would abort it).
 */
export async function resumeCommit(client: Client, o: { brokers: readonly string[]; clientId: string; topic: string }, prepared: KafkaPrepared): Promise<void> {
  const txnId = prepared.transactionalId!;
  const what = `kafka(${o.topic}): committing transaction ${txnId} of checkpoint ${prepared.checkpointId} after a restart`;
  await withCoordinators(client, o, [txnId], what, async (coordinatorOf) => {
    // CONCURRENT_TRANSACTIONS: the coordinator is still completing an earlier end of it (a commit repeated at once,
    // as the engine may after a restart): retried for up to 30 s, then the answer to the repeat decides.
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        await client.endTxnV4.api.async(coordinatorOf(txnId), txnId, BigInt(prepared.producerId!), prepared.producerEpoch!, true);
        return;
      } catch (e) {
        const text = describeKafkaError(e);
        if (/CONCURRENT_TRANSACTIONS|COORDINATOR_LOAD_IN_PROGRESS/i.test(text) && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 100));
          continue;
        }
        if (/INVALID_PRODUCER_EPOCH|PRODUCER_FENCED|INVALID_TXN_STATE|INVALID_PRODUCER_ID_MAPPING|TRANSACTIONAL_ID_NOT_FOUND/i.test(text)) {
          throw new KafkaError('KAFKA_TRANSACTION_LOST', `${what}: the broker no longer has it open (${text}): it was aborted (its transactionTimeout passed before the checkpoint completed) or fenced, so its ${prepared.messages} messages are not in the topic`, {
            hint: 'raise transactionTimeout above the time from a checkpoint to its completion and restart from an earlier checkpoint',
            cause: e,
          });
        }
        throw new KafkaError('KAFKA_TRANSACTION_FAILED', `${what}: ${text}`, { cause: e });
      }
    }
  });
}

/**
 * Fences transactional ids: InitProducerId for each (no producer id, as a new producer would), so the broker aborts a
 * transaction an earlier run left open under it and bumps its epoch (that run's producer, if alive, is fenced). The
 * coordinator answers CONCURRENT_TRANSACTIONS while it completes an abort: retried for up to 30 s. Returns how many
 * ids were fenced.
 */
export async function fenceTransactions(client: Client, o: { brokers: readonly string[]; clientId: string; topic: string; transactionTimeoutMs: number }, ids: readonly string[]): Promise<number> {
  if (ids.length === 0) return 0;
  const what = `kafka(${o.topic}): fencing the transactional ids ${ids[0]}…${ids.length > 1 ? ids[ids.length - 1] : ''}`;
  return withCoordinators(client, o, ids, what, async (coordinatorOf) => {
    await Promise.all(
      ids.map(async (id) => {
        const deadline = Date.now() + 30_000;
        for (;;) {
          try {
            await client.initProducerIdV5.api.async(coordinatorOf(id), id, o.transactionTimeoutMs, -1n, -1);
            return;
          } catch (e) {
            const text = describeKafkaError(e);
            if (/CONCURRENT_TRANSACTIONS|COORDINATOR_LOAD_IN_PROGRESS/i.test(text) && Date.now() < deadline) {
              await new Promise((r) => setTimeout(r, 100));
              continue;
            }
            throw new KafkaError('KAFKA_TRANSACTION_FAILED', `${what}: InitProducerId for ${id} failed: ${text}`, {
              hint: 'the broker needs transaction.state.log.replication.factor ≤ its broker count; transactionTimeout must not exceed its transaction.max.timeout.ms',
              cause: e,
            });
          }
        }
      }),
    );
    return ids.length;
  });
}

/**
 * Writes elements to a Kafka topic.
 *
 * @example
 * alerts.apply(io.kafka.write<Alert>('alerts', { brokers: ['localhost:9092'], key: (a) => a.card, exactlyOnce: true }));
 */
export function write<T>(topic: string, options: KafkaWriteOptions<T>): PTransform<PCollection<T>, SinkDone> {
  return writeTo(kafkaSink(topic, options));
}

/** The sink behind `io.kafka.write` (options checked), for `writeTo` or a runner driving it directly. */
export function kafkaSink<T>(topic: string, options: KafkaWriteOptions<T>): KafkaSink<T> {
  return new KafkaSink<T>(resolveWrite(topic, options));
}
