// An unbounded read through the harness in Flink's streaming mode ([local], Beam's job server, the harness as a
// loopback worker pool): the stream fixture (fixtures/stream-pipeline.ts) reads keyed, timestamped readings from a
// Kafka topic — an unbounded source, so Beam's Flink runner picks its streaming translation — and its 10-second
// windows (a combine, a stateful DoFn with an event-time timer) fire as the read's watermark advances; the read
// checkpoints itself every bundle (residuals with its Kafka offsets and watermark: unbounded-read-operator.ts) and
// ends when it reaches the offsets the topic had (its watermark +∞). Output compared with the embedded engine's.
// Needs Java 17 and Maven (RIFFLE_PORTABLE_FLINK=1); a broker from RIFFLE_KAFKA_BROKERS or started here.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startFlinkJobServer, type JobServer } from '../../src/runner/portable/index.ts';
import { compareModule } from './compare-outputs.ts';
import { fillReadings, startKafka, type KafkaBroker } from './kafka-broker.ts';

const enabled = process.env.RIFFLE_PORTABLE_FLINK === '1';
const skip = !enabled && 'set RIFFLE_PORTABLE_FLINK=1 (.ci/tiers/portable-flink.sh)';
const MODULE = resolve(import.meta.dirname, 'fixtures/stream-pipeline.ts');
/**
 * 2,000 per partition, fetched 16 KB (~250 readings) at a time: each reader stops at READ_RECORDS (1,000, checked
 * between batches) at least once and resumes from its residual.
 */
const READINGS = Number(process.env.RIFFLE_STREAM_READINGS ?? 6_000);

let dir = '';
let kafka: KafkaBroker | undefined;
let server: JobServer | undefined;

before(async () => {
  if (!enabled) return;
  dir = mkdtempSync(join(tmpdir(), 'riffle-flink-stream-'));
  [kafka, server] = await Promise.all([startKafka(join(dir, 'kafka')), startFlinkJobServer({ flinkMaster: '[local]' })]);
});

after(async () => {
  await server?.stop();
  await kafka?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('an unbounded Kafka read in Flink streaming mode: windows and timers fire, output equal to the embedded engine', { skip, timeout: 600_000 }, async () => {
  const topic = `readings-${randomUUID().slice(0, 8)}`;
  // 6,000 readings of 7 keys over 3 partitions, 100 ms apart: 600 s of event time, 60 ten-second windows.
  await fillReadings(kafka!.brokers, topic, { n: READINGS, keys: 7, partitions: 3, start: Date.UTC(2026, 0, 1), stepMs: 100 });
  const c = await compareModule(MODULE, (out) => ({ brokers: kafka!.brokers, topic, output: out, fetchBytes: '16384' }), { local: join(dir, 'local'), flink: join(dir, 'flink') }, server!);
  console.log(`${c.equal.length} equal, ${c.different.length} different (embedded ${c.localMs} ms, Flink ${c.flinkMs} ms)`);
  for (const d of c.different) console.log(`  ${d.output}: ${d.why}`);
  assert.deepEqual(c.different, []);
  assert.ok(c.equal.some((o) => o.startsWith('sums')) && c.equal.some((o) => o.startsWith('counts')), `outputs compared: ${c.equal.join(', ')}`);
});
