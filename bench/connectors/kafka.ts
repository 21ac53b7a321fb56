/**
 * Kafka benchmark (`npm run bench:connectors -- --only kafka`): Riffle's io.kafka source against the client it is
 * built on (@platformatic/kafka's own consumer stream), on the same broker, the same topic, in the same run.
 *
 * Phases (the topic: --messages JSON values of about --size bytes over --partitions partitions, produced first):
 *   consumer      the client's `consumer.consume({ mode: 'earliest' })` stream: messages as Buffers, JSON.parse of
 *                 each value (what Riffle's json format does), until every message was seen;
 *   reader        Riffle's KafkaReader (`next()` in a loop; decoding, offsets, watermarks, read_committed filtering);
 *   pipeline      a Riffle pipeline: io.kafka.read (stopAt 'latest') → a sink counting elements;
 *   exactly-once  Kafka → Riffle → Kafka with transactions, checkpointed every --checkpoint-ms: messages are produced
 *                 at --rate per second with their send time; a read_committed consumer of the output measures each
 *                 message's end-to-end latency (produce → visible downstream), p50/p99.
 * Each throughput phase runs --rounds times (alternating); the best round of each counts. Riffle's ratio to the
 * consumer is reported (issue 16's target: ≥ 0.8).
 *
 * The broker: $RIFFLE_KAFKA_BROKERS, else one started by `.ci/tiers/kafka.sh --serve` (Kafka from Maven Central).
 *
 *   node --import tsx bench/connectors/kafka.ts [--messages 300000] [--size 200] [--partitions 3] [--rounds 2]
 *                                               [--rate 2000] [--seconds 8] [--checkpoint-ms 500] [--json]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Admin, Consumer, Producer } from '@platformatic/kafka';
import { Pipeline, writeTo, type Sink } from '../../src/index.ts';
import * as kafka from '../../src/io/kafka/index.ts';

const args = process.argv.slice(2);
const value = (name: string, fallback: number): number => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const MESSAGES = value('messages', 300_000);
const SIZE = value('size', 200);
const PARTITIONS = value('partitions', 3);
const ROUNDS = value('rounds', 2);
const RATE = value('rate', 2000);
const SECONDS = value('seconds', 8);
const CHECKPOINT_MS = value('checkpoint-ms', 500);
const JSON_OUT = args.includes('--json');
const log = (s: string) => (JSON_OUT ? console.error(s) : console.log(s));
const root = resolve(import.meta.dirname, '../..');

/** The brokers: $RIFFLE_KAFKA_BROKERS or a broker of our own (stopped at exit). */
async function brokers(): Promise<{ list: string[]; stop: () => void }> {
  if (process.env.RIFFLE_KAFKA_BROKERS) return { list: process.env.RIFFLE_KAFKA_BROKERS.split(','), stop: () => {} };
  const child: ChildProcess = spawn('bash', [join(root, '.ci/tiers/kafka.sh'), '--serve'], { stdio: ['ignore', 'pipe', 'inherit'], detached: true });
  const list = await new Promise<string[]>((done, fail) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /RIFFLE_KAFKA_BROKERS=(\S+)/.exec(out);
      if (m) done(m[1]!.split(','));
    });
    child.on('close', (code) => fail(new Error(`the broker script exited (${code}) before the broker was up`)));
  });
  return { list, stop: () => { try { process.kill(-child.pid!, 'SIGTERM'); } catch { /* gone */ } } };
}

const rate = (n: number, ms: number) => Math.round((n / ms) * 1000);

async function main(): Promise<void> {
  const b = await brokers();
  try {
    const list = b.list;
    const admin = new Admin({ clientId: 'riffle-bench', bootstrapBrokers: list });
    const topic = `bench-${Date.now()}`;
    await admin.createTopics({ topics: [topic], partitions: PARTITIONS, replicas: 1 });
    const pad = 'x'.repeat(Math.max(0, SIZE - 60));
    const producer = new Producer({ clientId: 'riffle-bench', bootstrapBrokers: list, idempotent: true });
    const t0 = Date.now();
    for (let i = 0; i < MESSAGES; i += 2000) {
      await producer.send({ messages: Array.from({ length: Math.min(2000, MESSAGES - i) }, (_, j) => ({ topic, partition: (i + j) % PARTITIONS, value: Buffer.from(JSON.stringify({ i: i + j, card: `c${(i + j) % 1000}`, pad })) })) });
    }
    log(`produced ${MESSAGES} messages of ~${SIZE} bytes into ${PARTITIONS} partitions in ${Date.now() - t0} ms`);

    const consumerRun = async (): Promise<number> => {
      const c = new Consumer({ clientId: 'riffle-bench', groupId: `bench-${Math.random()}`, bootstrapBrokers: list, autocommit: false, maxWaitTime: 100 });
      const started = Date.now();
      const stream = await c.consume({ topics: [topic], mode: 'earliest' });
      let n = 0;
      let check = 0;
      for await (const m of stream) {
        check += (JSON.parse(m.value.toString('utf8')) as { i: number }).i & 1;
        if (++n >= MESSAGES) break;
      }
      const ms = Date.now() - started;
      await stream.close();
      await c.close(true);
      if (check < 0) throw new Error('unreachable');
      return ms;
    };
    const readerRun = async (): Promise<number> => {
      const started = Date.now();
      const reader = await new kafka.KafkaSource<{ i: number }>(kafka.resolveRead(topic, { brokers: list })).open(undefined);
      let n = 0;
      while (n < MESSAGES) n += (await reader.next(100))?.values.length ?? 0;
      const ms = Date.now() - started;
      await reader.close();
      return ms;
    };
    const pipelineRun = async (): Promise<number> => {
      let n = 0;
      const counter: Sink<unknown> = {
        describe: () => 'count',
        async open() {
          let k = 0;
          return { write: () => void k++, flush: () => { n += k; k = 0; return undefined; }, finish: async () => {}, abort: async () => {} };
        },
      };
      const p = Pipeline.create();
      p.apply(kafka.read(topic, { brokers: list, stopAt: 'latest' })).apply(writeTo(counter));
      const started = Date.now();
      await p.run();
      if (n !== MESSAGES) throw new Error(`the pipeline counted ${n} of ${MESSAGES}`);
      return Date.now() - started;
    };
    const best: Record<string, number> = { consumer: Infinity, reader: Infinity, pipeline: Infinity };
    for (let r = 0; r < ROUNDS; r++) {
      for (const [name, f] of [['consumer', consumerRun], ['reader', readerRun], ['pipeline', pipelineRun]] as const) {
        const ms = await f();
        log(`round ${r + 1}: ${name.padEnd(8)} ${MESSAGES} messages in ${ms} ms (${rate(MESSAGES, ms)}/s)`);
        best[name] = Math.min(best[name]!, ms);
      }
    }
    const result = {
      messages: MESSAGES,
      size: SIZE,
      partitions: PARTITIONS,
      consumerPerSec: rate(MESSAGES, best.consumer!),
      readerPerSec: rate(MESSAGES, best.reader!),
      pipelinePerSec: rate(MESSAGES, best.pipeline!),
      readerRatio: Number((best.consumer! / best.reader!).toFixed(2)),
      pipelineRatio: Number((best.consumer! / best.pipeline!).toFixed(2)),
      exactlyOnce: await exactlyOnceLatency(list, admin),
    };
    await producer.close();
    await admin.close();
    log(`consumer ${result.consumerPerSec}/s, Riffle reader ${result.readerPerSec}/s (${result.readerRatio}×), pipeline ${result.pipelinePerSec}/s (${result.pipelineRatio}×)`);
    log(`exactly-once Kafka → Riffle → Kafka: ${JSON.stringify(result.exactlyOnce)}`);
    if (JSON_OUT) console.log(JSON.stringify(result));
  } finally {
    b.stop();
  }
}

/**
 * Kafka → Riffle → Kafka with exactly-once transactions and checkpoints: messages produced at RATE/s for SECONDS,
 * each carrying its send time; the latency of each is when a read_committed consumer of the output sees it.
 */
async function exactlyOnceLatency(list: string[], admin: Admin): Promise<{ messages: number; p50Ms: number; p99Ms: number; checkpointMs: number }> {
  const input = `bench-eo-in-${Date.now()}`;
  const output = `bench-eo-out-${Date.now()}`;
  await admin.createTopics({ topics: [input, output], partitions: PARTITIONS, replicas: 1 });
  const dir = mkdtempSync(join(tmpdir(), 'riffle-bench-kafka-'));
  const p = Pipeline.create();
  p.apply(kafka.read<{ sent: number; i: number }>(input, { brokers: list, startOffsets: 'earliest' }))
    .map((m) => m.value!)
    .apply(kafka.write<{ sent: number; i: number }>(output, { brokers: list, exactlyOnce: true }));
  const cancel = new AbortController();
  const running = p.run({ checkpointDir: dir, checkpointIntervalMs: CHECKPOINT_MS, log: () => {}, signal: cancel.signal });
  const reader = await new kafka.KafkaSource<{ sent: number; i: number }>(kafka.resolveRead(output, { brokers: list })).open(undefined);
  const producer = new Producer({ clientId: 'riffle-bench', bootstrapBrokers: list, idempotent: true });
  const total = RATE * SECONDS;
  const latencies: number[] = [];
  let stopReading = false;
  const readLoop = (async () => {
    while (!stopReading && latencies.length < total) {
      const b = await reader.next(50);
      const now = Date.now();
      for (const m of b?.values ?? []) latencies.push(now - m.value!.sent);
    }
  })();
  const started = Date.now();
  for (let i = 0; i < total; i += RATE / 20) {
    const due = started + (i / RATE) * 1000;
    if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
    const now = Date.now();
    await producer.send({ messages: Array.from({ length: RATE / 20 }, (_, j) => ({ topic: input, partition: (i + j) % PARTITIONS, value: Buffer.from(JSON.stringify({ sent: now, i: i + j })) })) });
  }
  const deadline = Date.now() + 15_000;
  while (latencies.length < total && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  stopReading = true;
  await readLoop;
  cancel.abort();
  await Promise.race([running.catch(() => {}), new Promise((r) => setTimeout(r, 5000))]);
  await reader.close();
  await producer.close();
  rmSync(dir, { recursive: true, force: true });
  latencies.sort((a, b) => a - b);
  const q = (f: number) => latencies[Math.min(latencies.length - 1, Math.floor(f * latencies.length))] ?? NaN;
  if (latencies.length < total) log(`exactly-once: only ${latencies.length} of ${total} messages arrived`);
  return { messages: latencies.length, p50Ms: q(0.5), p99Ms: q(0.99), checkpointMs: CHECKPOINT_MS };
}

await main();
process.exit(0);
