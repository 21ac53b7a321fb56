// io.kafka exactly-once writers take transactional ids from a fixed pool (issue 16): after a SIGKILL mid-transaction,
// the next run's writer fences its pool's ids, so the crashed run's open transaction is aborted at once — a
// read_committed consumer sees the restored checkpoint's messages and the new run's well before transactionTimeout
// (60 s here), and never the aborted ones. Needs a broker (RIFFLE_KAFKA_BROKERS; .ci/tiers/kafka.sh starts one).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { test } from 'node:test';
import { Admin } from '@platformatic/kafka';
import * as kafka from '../../src/io/kafka/index.ts';

const brokersEnv = process.env.RIFFLE_KAFKA_BROKERS;
if (!brokersEnv && process.env.RIFFLE_INTEGRATION === '1') throw new Error('RIFFLE_INTEGRATION=1 but RIFFLE_KAFKA_BROKERS is not set');
const skip = brokersEnv ? false : 'needs RIFFLE_KAFKA_BROKERS (run .ci/tiers/kafka.sh)';
const child = resolve(import.meta.dirname, 'kafka-txn-crash-child.ts');

/** Runs the crashing writer until its second transaction is open, SIGKILLs it, and returns its prepared checkpoint. */
function crashMidTransaction(brokers: string, topic: string, prefix: string, worker = 0, workers = 1): Promise<kafka.KafkaPrepared> {
  return new Promise((done, fail) => {
    const c = spawn(process.execPath, ['--import', 'tsx', child, brokers, topic, prefix, String(worker), String(workers)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let prepared: kafka.KafkaPrepared | undefined;
    c.stderr.on('data', (d: Buffer) => (err += d.toString()));
    c.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /^prepared (.*)$/m.exec(out);
      if (m) prepared = JSON.parse(m[1]!) as kafka.KafkaPrepared;
      if (/^open$/m.test(out)) c.kill('SIGKILL');
    });
    c.on('error', fail);
    c.on('close', (code, signal) => (signal === 'SIGKILL' && prepared ? done(prepared) : fail(new Error(`the writer ended with ${code ?? signal}: ${err}`))));
  });
}

/**
 * A writer of `crashed.workers` writers, index `crashed.worker`, SIGKILLed mid-transaction; the next run (one writer)
 * re-commits its restored checkpoint and writes on. A read_committed reader must see everything committed long before
 * the crashed transaction's 60 s timeout, and never the aborted messages.
 */
async function crashAndResume(crashed: { worker: number; workers: number }, expectFenced: number): Promise<void> {
  const brokers = brokersEnv!.split(',');
  const topic = `fence-${randomUUID().slice(0, 8)}`;
  const prefix = `fence-test-${randomUUID().slice(0, 8)}`;
  const admin = new Admin({ clientId: 'riffle-test', bootstrapBrokers: brokers });
  await admin.createTopics({ topics: [topic], partitions: 2, replicas: 1 });
  await admin.close();

  const prepared = await crashMidTransaction(brokers.join(','), topic, prefix, crashed.worker, crashed.workers);
  assert.equal(prepared.transactionalId, `${prefix}-${crashed.worker}-0`, 'ids come from the pool: <prefix>-<worker>-<slot>');
  const killedAt = Date.now();

  // The next run: its writer re-commits the restored checkpoint, then writes on (its pool fenced before it does).
  const sink = kafka.kafkaSink<{ i: number }>(topic, { brokers, exactlyOnce: true, transactionalIdPrefix: prefix, transactionTimeout: '60s', key: (v) => String(v.i) });
  const writer = await sink.open({ step: 'Write', worker: 0, workers: 1, signal: new AbortController().signal });
  await writer.commit(prepared);
  for (let i = 200; i < 300; i++) writer.write({ i }, 0);
  await writer.flush();
  await writer.finish();
  assert.equal(writer.counts.idsFenced, expectFenced, 'the pools fenced, but for the restored transaction\'s id');
  // A later restart from the same checkpoint repeats its commit: the id kept its epoch, so it is a success.
  const again = await sink.open({ step: 'Write', worker: 0, workers: 1, signal: new AbortController().signal });
  await again.commit(prepared);
  await again.finish();

  // A read_committed reader: everything committed must be readable long before the crashed transaction's 60 s timeout.
  const seen = new Map<number, number>();
  const reader = await new kafka.KafkaSource<{ i: number }>(kafka.resolveRead(topic, { brokers })).open(undefined);
  const deadline = Date.now() + 15_000;
  while (seen.size < 200 && Date.now() < deadline) {
    for (const m of (await reader.next(200))?.values ?? []) seen.set(m.value!.i, (seen.get(m.value!.i) ?? 0) + 1);
  }
  const ms = Date.now() - killedAt;
  await reader.close();
  const expected = [...Array.from({ length: 100 }, (_, i) => i), ...Array.from({ length: 100 }, (_, i) => 200 + i)];
  assert.deepEqual([...seen.keys()].sort((a, b) => a - b), expected, `read_committed saw ${seen.size} of 200 within ${ms} ms of the kill (the open transaction blocks its partitions until fenced)`);
  assert.ok([...seen.values()].every((n) => n === 1), 'each message once');
  assert.ok(ms < 30_000, `readable ${ms} ms after the kill, below the 60 s transactionTimeout`);
}

test('a crashed run\'s open transaction is fenced by the next run\'s writer: read_committed readers are not blocked until transactionTimeout', { skip, timeout: 60_000 }, async () => {
  await crashAndResume({ worker: 0, workers: 1 }, kafka.TRANSACTIONAL_ID_POOL - 1);
});

test('resumed at fewer writers: the writer that re-commits writer 1\'s checkpoint fences writer 1\'s pool too', { skip, timeout: 60_000 }, async () => {
  await crashAndResume({ worker: 1, workers: 2 }, 2 * kafka.TRANSACTIONAL_ID_POOL - 1);
});
