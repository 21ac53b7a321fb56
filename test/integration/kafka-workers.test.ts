// io.kafka.read on several workers (issue 16): the source reads in parallel, partition i on worker i mod N, each
// partition read once; and a checkpoint's per-reader positions, merged (mergePositions), restore at another number
// of readers with every partition continuing at its offset (0 lost, 0 duplicated). Needs a broker
// (RIFFLE_KAFKA_BROKERS; .ci/tiers/kafka.sh starts one).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Admin, Producer } from '@platformatic/kafka';
import { LocalRunner, Pipeline } from '../../src/index.ts';
import * as kafka from '../../src/io/kafka/index.ts';
import definition from './kafka-workers-pipeline.ts';

const brokersEnv = process.env.RIFFLE_KAFKA_BROKERS;
if (!brokersEnv && process.env.RIFFLE_INTEGRATION === '1') throw new Error('RIFFLE_INTEGRATION=1 but RIFFLE_KAFKA_BROKERS is not set');
const skip = brokersEnv ? false : 'needs RIFFLE_KAFKA_BROKERS (run .ci/tiers/kafka.sh)';
const brokers = brokersEnv ? brokersEnv.split(',') : [];
const MODULE = resolve(import.meta.dirname, 'kafka-workers-pipeline.ts');
const root = mkdtempSync(join(tmpdir(), 'riffle-kafka-workers-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** A topic of `partitions` partitions holding `n` messages {i}, message i in partition i mod partitions. */
async function filled(partitions: number, n: number): Promise<string> {
  const name = `w-${randomUUID().slice(0, 8)}`;
  const admin = new Admin({ clientId: 'riffle-test', bootstrapBrokers: brokers });
  await admin.createTopics({ topics: [name], partitions, replicas: 1 });
  await admin.close();
  const producer = new Producer({ clientId: 'riffle-test', bootstrapBrokers: brokers, idempotent: true });
  for (let i = 0; i < n; i += 500) {
    await producer.send({ messages: Array.from({ length: Math.min(500, n - i) }, (_, j) => ({ topic: name, partition: (i + j) % partitions, value: Buffer.from(JSON.stringify({ i: i + j })) })) });
  }
  await producer.close();
  return name;
}

/** Counts of how often each of 0..n-1 appears, as lost / duplicated. */
function tally(values: readonly number[], n: number): { lost: number; duplicated: number } {
  const counts = new Map<number, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return {
    lost: Array.from({ length: n }, (_, i) => i).filter((i) => !counts.has(i)).length,
    duplicated: [...counts.values()].reduce((s, c) => s + c - 1, 0),
  };
}

describe('io.kafka.read on several workers', { skip }, () => {
  let name = '';
  const N = 4000;
  before(async () => {
    if (brokersEnv) name = await filled(4, N);
  });

  for (const workers of [2, 3]) {
    it(`reads a 4-partition topic on ${workers} workers: every partition by one worker (i mod ${workers}), every message once`, async () => {
      const params = { brokers: brokers.join(','), topic: name, output: join(root, `out-${workers}`) };
      const p = Pipeline.create();
      await definition.build(p, params);
      const result = await new LocalRunner().run(p.graph, { workers, pipelineModule: { path: MODULE, params } });
      assert.equal(result.state, 'DONE');
      assert.equal(result.metrics.gauges.workers, workers);
      const byThread = new Map<string, Set<number>>();
      const values: number[] = [];
      const readers = new Map<number, Set<string>>();
      for (const f of readdirSync(params.output)) {
        const partitions = new Set<number>();
        for (const line of readFileSync(join(params.output, f), 'utf8').split('\n')) {
          if (line === '') continue;
          const [partition, , i] = line.split(':').map(Number) as [number, number, number];
          assert.equal(i % 4, partition, `message ${i} came from partition ${partition}`);
          partitions.add(partition);
          values.push(i);
          let r = readers.get(partition);
          if (r === undefined) readers.set(partition, (r = new Set()));
          r.add(f);
        }
        byThread.set(f, partitions);
      }
      assert.deepEqual(tally(values, N), { lost: 0, duplicated: 0 });
      for (const [partition, r] of readers) assert.equal(r.size, 1, `partition ${partition} was read by ${r.size} workers`);
      // The shares: partition p on worker p mod N (threads are not worker indexes: compare the sets of partitions).
      const shares = [...byThread.values()].map((s) => [...s].sort().join(',')).sort();
      const expected = Array.from({ length: workers }, (_, w) => [0, 1, 2, 3].filter((p) => p % workers === w).join(',')).sort();
      assert.deepEqual(shares, expected);
    });
  }

  it('restores positions merged from 2 readers at 1 and at 3 readers: each partition goes on at its offset', async () => {
    const source = new kafka.KafkaSource<{ i: number }>(kafka.resolveRead(name, { brokers, maxBytesPerPartition: 2048 }));
    // Two readers (a run on 2 workers) read part of their shares; their positions are what a checkpoint holds.
    const seen: number[] = [];
    const positions: kafka.KafkaPosition[] = [];
    for (const worker of [0, 1]) {
      const r = await source.open(undefined, undefined, { worker, workers: 2 });
      for (let k = 0; k < 2; k++) seen.push(...((await r.next(500))?.values ?? []).map((m) => m.value!.i));
      positions.push(JSON.parse(JSON.stringify(r.position())) as kafka.KafkaPosition);
      await r.close();
    }
    assert.ok(seen.length > 0 && seen.length < N, `read ${seen.length} before the restore`);
    const merged = source.mergePositions(positions);
    assert.deepEqual(Object.keys(merged.offsets[name]!).sort(), ['0', '1', '2', '3']);
    for (const readers of [1, 3]) {
      const values = [...seen];
      for (let worker = 0; worker < readers; worker++) {
        const r = await source.open(merged, undefined, { worker, workers: readers });
        for (let idle = 0; idle < 3; ) {
          const b = await r.next(300);
          if (b === null || b.values.length === 0) idle++;
          else values.push(...b.values.map((m) => m.value!.i));
        }
        await r.close();
      }
      assert.deepEqual({ readers, ...tally(values, N) }, { readers, lost: 0, duplicated: 0 });
    }
  });
});
