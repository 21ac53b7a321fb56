// An unbounded Kafka read on 2 workers where one worker's partition stays empty (issue 16): that worker's reader is
// idle (caught up, silent for idleTimeout), its stage says so downstream, and the other worker's partition drives the
// watermark — event-time windows fire while the job runs. Before, the idle worker's watermark (−∞) held the job's
// back and no window fired, unlike the same job on one worker. Needs a broker (RIFFLE_KAFKA_BROKERS).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';
import { Admin, Producer } from '@platformatic/kafka';
import { LocalRunner, Pipeline } from '../../src/index.ts';
import definition from './kafka-idle-pipeline.ts';

const brokersEnv = process.env.RIFFLE_KAFKA_BROKERS;
if (!brokersEnv && process.env.RIFFLE_INTEGRATION === '1') throw new Error('RIFFLE_INTEGRATION=1 but RIFFLE_KAFKA_BROKERS is not set');
const skip = brokersEnv ? false : 'needs RIFFLE_KAFKA_BROKERS (run .ci/tiers/kafka.sh)';
const MODULE = resolve(import.meta.dirname, 'kafka-idle-pipeline.ts');
const root = mkdtempSync(join(tmpdir(), 'riffle-kafka-idle-'));
after(() => rmSync(root, { recursive: true, force: true }));

test('2 workers, one partition empty: windows of the other fire while the unbounded read runs', { skip, timeout: 90_000 }, async () => {
  const brokers = brokersEnv!.split(',');
  const topic = `idle-${randomUUID().slice(0, 8)}`;
  const admin = new Admin({ clientId: 'riffle-test', bootstrapBrokers: brokers });
  await admin.createTopics({ topics: [topic], partitions: 2, replicas: 1 });
  await admin.close();
  // Partition 0 only: 10 messages in each of the 1 s windows [0, 1 s) … [4 s, 5 s) of event time.
  const producer = new Producer({ clientId: 'riffle-test', bootstrapBrokers: brokers, idempotent: true });
  await producer.send({ messages: Array.from({ length: 50 }, (_, i) => ({ topic, partition: 0, timestamp: BigInt(i * 100), value: Buffer.from(JSON.stringify({ i })) })) });
  await producer.close();

  for (const workers of [2, 1]) {
    const params = { brokers: brokers.join(','), topic, output: join(root, `out-${workers}`) };
    const p = Pipeline.create();
    await definition.build(p, params);
    const stop = new AbortController();
    const fired = () => (existsSync(params.output) ? readdirSync(params.output).flatMap((f) => readFileSync(join(params.output, f), 'utf8').split('\n').filter((l) => l !== '')) : []);
    const running = new LocalRunner().run(p.graph, { workers, pipelineModule: { path: MODULE, params }, signal: stop.signal });
    const deadline = Date.now() + 30_000;
    while (fired().length < 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    stop.abort();
    await running.catch(() => {});
    // The windows before the last one fire (the last waits for a later element: partition 0's watermark is 4.9 s).
    const counts = fired().sort();
    assert.deepEqual(counts.slice(0, 4), ['1999 10', '2999 10', '3999 10', '999 10'], `on ${workers} worker(s): windows fired ${JSON.stringify(counts)}`);
  }
});
