// io.kafka against a real Apache Kafka broker (RIFFLE_KAFKA_BROKERS; .ci/tiers/kafka.sh starts one). Skips without
// brokers, unless RIFFLE_INTEGRATION=1, where missing brokers are a failure.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Admin, Consumer, Producer } from '@platformatic/kafka';
import { createTimestamped, MIN_TIMESTAMP, Pipeline, writeTo, type ErrorRecord, type Instant, type Sink, type SinkContext } from '../../src/index.ts';
import * as kafka from '../../src/io/kafka/index.ts';

const brokersEnv = process.env.RIFFLE_KAFKA_BROKERS;
if (!brokersEnv && process.env.RIFFLE_INTEGRATION === '1') throw new Error('RIFFLE_INTEGRATION=1 but RIFFLE_KAFKA_BROKERS is not set');
const skip = brokersEnv ? false : 'needs RIFFLE_KAFKA_BROKERS (run .ci/tiers/kafka.sh)';
const brokers = brokersEnv ? brokersEnv.split(',') : [];
let admin: Admin;
let producer: Producer;

before(async () => {
  if (!brokersEnv) return;
  admin = new Admin({ clientId: 'riffle-test', bootstrapBrokers: brokers });
  producer = new Producer({ clientId: 'riffle-test', bootstrapBrokers: brokers, idempotent: true });
});
after(async () => {
  if (!brokersEnv) return;
  await producer.close();
  await admin.close();
});

async function topic(partitions = 1, configs: { name: string; value: string }[] = []): Promise<string> {
  const name = `t-${randomUUID().slice(0, 8)}`;
  await admin.createTopics({ topics: [name], partitions, replicas: 1, configs });
  return name;
}

interface Got<T> {
  value: T;
  timestamp: Instant;
}

function memorySink<T>(into: Got<T>[]): Sink<T> {
  return {
    describe: () => 'memory',
    async open() {
      let buffer: Got<T>[] = [];
      return {
        write: (value: T, timestamp: Instant) => void buffer.push({ value, timestamp }),
        flush: () => {
          into.push(...buffer);
          buffer = [];
          return undefined;
        },
        finish: async () => {},
        abort: async () => {},
      };
    },
  };
}

/** Reads a topic to its current end through a pipeline (stopAt 'latest'). */
async function readAll<V>(name: string, options: Omit<kafka.KafkaReadOptions, 'brokers'> = {}) {
  const got: Got<kafka.KafkaMessage<V>>[] = [];
  const errors: Got<ErrorRecord<string>>[] = [];
  const p = Pipeline.create();
  const r = p.apply('Read', kafka.read<V>(name, { brokers, stopAt: 'latest', ...options }).withErrors());
  r.main.apply(writeTo(memorySink(got)));
  r.errors.apply(writeTo(memorySink(errors)));
  const result = await p.run();
  assert.equal(result.state, 'DONE');
  return { got, errors };
}

const ctx = (worker = 0, workers = 1): SinkContext => ({ step: 'Write', worker, workers, signal: new AbortController().signal });

/** Reads everything a reader gives until `n` messages or `ms` pass. */
async function drain<V>(reader: kafka.KafkaReader<V>, n: number, ms = 10_000) {
  const out: kafka.KafkaMessage<V>[] = [];
  const deadline = Date.now() + ms;
  while (out.length < n && Date.now() < deadline) {
    const b = await reader.next(100);
    if (b) out.push(...b.values);
  }
  return out;
}

describe('io.kafka', { skip }, () => {
  it('round-trips elements through a pipeline in each format (json, text, raw, avro), with keys, headers and event times', async () => {
    const schema = { type: 'record', name: 'Payment', fields: [{ name: 'id', type: 'int' }, { name: 'card', type: 'string' }, { name: 'amount', type: 'double' }] };
    const rows = Array.from({ length: 500 }, (_, i) => ({ id: i, card: `c${i % 7}`, amount: i * 1.25 }));
    const cases: { format: kafka.KafkaFormat; value: (r: (typeof rows)[number]) => unknown; schema?: unknown; back: (v: unknown) => unknown }[] = [
      { format: 'json', value: (r) => r, back: (v) => v },
      { format: 'text', value: (r) => `${r.id};${r.card};${r.amount}`, back: (v) => v },
      { format: 'raw', value: (r) => new Uint8Array([r.id & 0xff, r.id >> 8]), back: (v) => [...(v as Uint8Array)] },
      { format: 'avro', value: (r) => r, schema, back: (v) => ({ ...(v as object) }) },
    ];
    for (const c of cases) {
      const name = await topic(3);
      const p = Pipeline.create();
      p.apply(createTimestamped(rows.map((r) => ({ value: r, timestamp: 1_700_000_000_000 + r.id }))))
        .apply(kafka.write<(typeof rows)[number]>(name, {
          brokers,
          format: c.format,
          ...(c.schema ? { schema: c.schema } : {}),
          value: c.value,
          key: (r) => r.card,
          headers: (r) => ({ source: 'test', id: String(r.id) }),
        }));
      assert.equal((await p.run()).state, 'DONE');
      const { got, errors } = await readAll<unknown>(name, { format: c.format, ...(c.schema ? { schema: c.schema } : {}) });
      assert.equal(errors.length, 0, c.format);
      assert.equal(got.length, rows.length, c.format);
      const byId = new Map(got.map((g) => [Number(g.value.headers.id), g]));
      for (const r of rows) {
        const g = byId.get(r.id)!;
        assert.deepEqual(c.back(g.value.value), c.back(c.value(r)), `${c.format} value of ${r.id}`);
        assert.equal(g.value.key, r.card);
        assert.equal(g.timestamp, 1_700_000_000_000 + r.id, 'the element time became the message timestamp and back');
      }
      // Same key → same partition, in order.
      const perCard = new Map<string, Set<number>>();
      for (const g of got) (perCard.get(g.value.key!) ?? perCard.set(g.value.key!, new Set()).get(g.value.key!)!).add(g.value.partition);
      for (const parts of perCard.values()) assert.equal(parts.size, 1);
    }
  });

  it('sends messages that do not decode to the error output with topic, partition, offset, reason and raw bytes, and reads the rest', async () => {
    const name = await topic(1);
    await producer.send({
      messages: [
        { topic: name, value: Buffer.from('{"ts": 1700000000000, "n": 1}') },
        { topic: name, value: Buffer.from('{"n": broken') },
        { topic: name, value: Buffer.from([0xff, 0xfe, 0x00]) },
        { topic: name, value: Buffer.from('{"n": 3}') },
        { topic: name, value: Buffer.from('{"ts": "yesterday", "n": 4}') },
        { topic: name, key: Buffer.from([0xc3, 0x28]), value: Buffer.from('{"ts": "2023-11-14T22:13:25Z", "n": 5}') },
        { topic: name, value: Buffer.from('{"ts": "2023-11-14T22:13:26Z", "n": 6}') },
      ],
    });
    const { got, errors } = await readAll<{ n: number }>(name, { timestampPolicy: { field: 'ts' } });
    assert.deepEqual(got.map((g) => g.value.value!.n), [1, 6]);
    assert.equal(got[1]!.timestamp, Date.parse('2023-11-14T22:13:26Z'));
    assert.equal(errors.length, 5);
    const byOffset = new Map(errors.map((e) => [e.value.origin!.offset as number, e.value]));
    for (const e of errors) {
      assert.equal(e.value.origin!.topic, name);
      assert.equal(e.value.origin!.partition, 0);
      assert.equal(e.value.origin!.encoding, 'base64');
      assert.equal(e.value.origin!.source, `kafka(${name})`);
    }
    assert.match(byOffset.get(1)!.error, /value does not decode as json: the data is not JSON/);
    assert.equal(Buffer.from(byOffset.get(1)!.element, 'base64').toString(), '{"n": broken');
    assert.match(byOffset.get(2)!.error, /not valid UTF-8/);
    assert.deepEqual([...Buffer.from(byOffset.get(2)!.element, 'base64')], [0xff, 0xfe, 0x00]);
    assert.match(byOffset.get(3)!.error, /timestamp field 'ts' is missing/);
    assert.match(byOffset.get(4)!.error, /'ts' is "yesterday"/);
    assert.match(byOffset.get(5)!.error, /key does not decode as text/);
    assert.deepEqual([...Buffer.from(byOffset.get(5)!.origin!.key as string, 'base64')], [0xc3, 0x28]);
  });

  it('resumes from a position: two readers over 3 partitions, stopped and reopened at their positions, read each message exactly once', async () => {
    const name = await topic(3);
    const total = 3000;
    for (let i = 0; i < total; i += 500) {
      await producer.send({ messages: Array.from({ length: 500 }, (_, j) => ({ topic: name, partition: (i + j) % 3, value: Buffer.from(JSON.stringify({ i: i + j })) })) });
    }
    const source = new kafka.KafkaSource<{ i: number }>(kafka.resolveRead(name, { brokers, maxBytesPerPartition: 4096 }));
    const seen: number[] = [];
    const owned: string[][] = [];
    for (const worker of [0, 1]) {
      // First run: read a part, keep the position (what a checkpoint stores), drop the reader (a kill).
      const first = await source.open(undefined, undefined, { worker, workers: 2 });
      owned.push(first.partitions().map((p) => `${p.topic}:${p.partition}`));
      const part: number[] = [];
      for (let k = 0; k < 3; k++) {
        const b = await first.next(200);
        if (b) part.push(...b.values.map((m) => m.value!.i));
      }
      const position = first.position();
      // Read more after the position: not checkpointed, so replayed after the restart (and not counted here).
      await first.next(200);
      await first.close();
      assert.ok(part.length > 0 && part.length < total);
      seen.push(...part);
      const restored = JSON.parse(JSON.stringify(position)) as kafka.KafkaPosition;
      const second = await source.open(restored, undefined, { worker, workers: 2 });
      const expected = worker === 0 ? 2000 : 1000;
      seen.push(...(await drain(second, expected - part.length)).map((m) => m.value!.i));
      assert.equal((await second.next(100))?.values.length ?? 0, 0, 'nothing more');
      await second.close();
    }
    assert.deepEqual(owned, [[`${name}:0`, `${name}:2`], [`${name}:1`]], 'partition i goes to reader i mod 2');
    const counts = new Map<number, number>();
    for (const i of seen) counts.set(i, (counts.get(i) ?? 0) + 1);
    const lost = Array.from({ length: total }, (_, i) => i).filter((i) => !counts.has(i)).length;
    const duplicated = [...counts.values()].filter((c) => c > 1).length;
    assert.deepEqual({ lost, duplicated, read: seen.length }, { lost: 0, duplicated: 0, read: total });
  });

  it('commits the checkpointed offsets to the group on finalizeCheckpoint, and fails clearly on an offset that is not in the log', async () => {
    const name = await topic(2);
    await producer.send({ messages: Array.from({ length: 40 }, (_, i) => ({ topic: name, partition: i % 2, value: Buffer.from('{}') })) });
    const groupId = `g-${randomUUID().slice(0, 8)}`;
    const source = new kafka.KafkaSource(kafka.resolveRead(name, { brokers, groupId }));
    const reader = await source.open(undefined);
    assert.equal((await drain(reader, 40)).length, 40);
    const position = reader.position();
    assert.deepEqual(position, { offsets: { [name]: { 0: 20, 1: 20 } } });
    await reader.finalizeCheckpoint(position);
    await reader.close();
    const c = new Consumer({ clientId: 'riffle-test', groupId, bootstrapBrokers: brokers });
    const committed = await c.listCommittedOffsets({ topics: [{ topic: name, partitions: [0, 1] }] });
    await c.close();
    assert.deepEqual(committed.get(name), [20n, 20n]);

    const bad = await source.open({ offsets: { [name]: { 0: 1_000_000, 1: 0 } } });
    await assert.rejects(drain(bad, 1, 3000), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'KAFKA_OFFSET_OUT_OF_RANGE');
      assert.match(e.message, new RegExp(`offset 1000000 of ${name}/0 is not in the log`));
      return true;
    });
    await bad.close();
  });

  it('holds the watermark at the slowest partition until an empty partition goes idle, then follows the others', async () => {
    const name = await topic(2);
    const base = 1_700_000_000_000;
    await producer.send({ messages: Array.from({ length: 10 }, (_, i) => ({ topic: name, partition: 0, value: Buffer.from('{}'), timestamp: BigInt(base + i * 1000) })) });
    const source = new kafka.KafkaSource(kafka.resolveRead(name, { brokers, idleTimeout: 600, maxDelay: '1s' }));
    const reader = await source.open(undefined);
    assert.equal((await drain(reader, 10)).length, 10);
    assert.equal(reader.watermark(), MIN_TIMESTAMP, 'partition 1 has no record yet and is not idle yet');
    await new Promise((r) => setTimeout(r, 700));
    await reader.next(50);
    assert.deepEqual(reader.idlePartitions().sort(), [`${name}:0`, `${name}:1`].sort());
    // Both idle (create-time policy): the maximum of their watermarks, partition 0's = its latest time − maxDelay.
    assert.equal(reader.watermark(), base + 9000 - 1000);
    await producer.send({ messages: [{ topic: name, partition: 1, value: Buffer.from('{}'), timestamp: BigInt(base + 20_000) }] });
    await drain(reader, 1);
    assert.equal(reader.watermark(), base + 20_000 - 1000, 'partition 0 is idle, so the watermark follows partition 1 alone');
    await reader.close();
  });

  it("timestampPolicy 'logAppend' stamps elements with the broker's append time, and refuses a topic holding producer times", async () => {
    const appendTopic = await topic(1, [{ name: 'message.timestamp.type', value: 'LogAppendTime' }]);
    const before = Date.now();
    await producer.send({ messages: [{ topic: appendTopic, value: Buffer.from('{}'), timestamp: 978_307_200_000n }] });
    const { got } = await readAll(appendTopic, { timestampPolicy: 'logAppend' });
    assert.equal(got.length, 1);
    assert.ok(got[0]!.timestamp >= before - 5000 && got[0]!.timestamp <= Date.now() + 5000, 'the broker time, not the producer\'s 2001');
    const createTopic = await topic(1);
    await producer.send({ messages: [{ topic: createTopic, value: Buffer.from('{}') }] });
    await assert.rejects(readAll(createTopic, { timestampPolicy: 'logAppend' }), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'KAFKA_TIMESTAMP_TYPE');
      assert.match(e.message, /holds producer \(CreateTime\) timestamps/);
      assert.match(e.message, /message\.timestamp\.type=LogAppendTime/);
      return true;
    });
  });

  it('reads a bounded range (stopAt latest) and then ends with the watermark at +∞', async () => {
    const name = await topic(2);
    await producer.send({ messages: Array.from({ length: 30 }, (_, i) => ({ topic: name, partition: i % 2, value: Buffer.from(JSON.stringify(i)) })) });
    const reader = await new kafka.KafkaSource(kafka.resolveRead(name, { brokers, stopAt: 'latest' })).open(undefined);
    await producer.send({ messages: [{ topic: name, partition: 0, value: Buffer.from('99') }] });
    const got = await drain(reader, 100, 2000);
    assert.equal(got.length, 30, 'messages after the open are beyond the end');
    assert.ok(reader.watermark() >= 8.64e15, 'ended: MAX_TIMESTAMP');
    await reader.close();
  });

  it('exactly-once: read_committed readers see a prepared transaction only once committed; aborted ones never; a commit after a restart resumes the stored transaction', async () => {
    const name = await topic(2);
    const sink = kafka.kafkaSink<{ i: number }>(name, { brokers, exactlyOnce: true, key: (v) => String(v.i % 5) });
    assert.equal(sink.guarantee, 'exactly-once');
    const committedReader = await new kafka.KafkaSource<{ i: number }>(kafka.resolveRead(name, { brokers })).open(undefined);
    const uncommittedReader = await new kafka.KafkaSource<{ i: number }>(kafka.resolveRead(name, { brokers, isolation: 'read_uncommitted' })).open(undefined);

    // Checkpoint 1: prepared, not committed → invisible to read_committed.
    const w1 = await sink.open(ctx());
    for (let i = 0; i < 100; i++) w1.write({ i }, 1000 + i);
    await w1.flush();
    const prepared1 = await w1.prepareCommit(1);
    assert.equal(prepared1.messages, 100);
    assert.equal((await drain(uncommittedReader, 100)).length, 100, 'the data is in the log');
    assert.equal((await drain(committedReader, 1, 1500)).length, 0, 'but not visible before the commit');
    await w1.commit(prepared1);
    const afterCommit = await drain(committedReader, 100);
    assert.deepEqual(afterCommit.map((m) => m.value!.i).sort((a, b) => a - b), Array.from({ length: 100 }, (_, i) => i));

    // An aborted transaction (a failed job): never visible to read_committed, even with later committed data.
    for (let i = 100; i < 150; i++) w1.write({ i }, 0);
    await w1.flush();
    await w1.abort(new Error('job failed'));
    const w2 = await sink.open(ctx());
    for (let i = 150; i < 160; i++) w2.write({ i }, 0);
    await w2.flush();
    const prepared2 = await w2.prepareCommit(2);
    await w2.commit(prepared2);
    await w2.finish();

    // Checkpoint 3 prepared by a writer whose job then fails; a new writer (after the restart) commits it from the stored state.
    const w3 = await sink.open(ctx());
    for (let i = 160; i < 200; i++) w3.write({ i }, 0);
    await w3.flush();
    const stored = JSON.parse(JSON.stringify(await w3.prepareCommit(3))) as kafka.KafkaPrepared;
    // The job fails after checkpoint 3 completed but before its commit ran: abort leaves the prepared transaction open.
    await w3.abort(new Error('the process fails'));
    const restarted = await sink.open(ctx());
    await restarted.commit(stored);
    assert.equal(restarted.counts.transactionsResumed, 1);
    await restarted.commit(stored); // a retried commit (the engine may call it again after another restart)
    await restarted.finish();

    const visible = (await drain(committedReader, 50, 5000)).map((m) => m.value!.i).sort((a, b) => a - b);
    assert.deepEqual(visible, [...Array.from({ length: 10 }, (_, i) => 150 + i), ...Array.from({ length: 40 }, (_, i) => 160 + i)]);
    assert.equal((await drain(committedReader, 1, 1000)).length, 0, 'nothing from the aborted transaction');
    await committedReader.close();
    await uncommittedReader.close();
  });

  it('the idempotent producer is the default (at-least-once); unknown topics and bad options fail before work starts', async () => {
    const name = await topic(1);
    assert.equal(kafka.kafkaSink(name, { brokers }).guarantee, 'at-least-once');
    const p = Pipeline.create();
    p.apply(kafka.read('no-such-topic-riffle', { brokers }));
    await assert.rejects(p.run(), /topic 'no-such-topic-riffle' does not exist|does not exist/);
    assert.throws(() => kafka.read(name, { brokers, formatt: 'json' } as never), /unknown option 'formatt'/);
    assert.throws(() => kafka.read(name, { brokers, format: 'avro' }), /needs option 'schema'/);
    assert.throws(() => kafka.write(name, { brokers: 'nohost' }), /not host:port/);
  });
});
