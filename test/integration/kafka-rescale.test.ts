// Rebalancing when a worker stops (issue 16): a checkpointed Kafka → Riffle → Kafka job (kafka-rescale-pipeline.ts)
// runs through `riffle run` on 2 workers, each reading its share of a 4-partition topic, and is SIGKILLed after a
// checkpoint completed; it resumes with --resume at the same number of workers and at 1. The partitions are
// re-assigned with their checkpointed offsets (per partition, merged over the old readers), so with the exactly-once
// sink a read_committed consumer counts every input message once (0 lost, 0 duplicated). And a worker thread that
// dies mid-run (the coordinator's RIFFLE_TEST_TERMINATE_WORKER hook): the job restarts from its latest checkpoint
// in the same process, with the same result. Needs a broker
// (RIFFLE_KAFKA_BROKERS; .ci/tiers/kafka.sh starts one).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Admin, Producer } from '@platformatic/kafka';
import * as kafka from '../../src/io/kafka/index.ts';

const brokersEnv = process.env.RIFFLE_KAFKA_BROKERS;
if (!brokersEnv && process.env.RIFFLE_INTEGRATION === '1') throw new Error('RIFFLE_INTEGRATION=1 but RIFFLE_KAFKA_BROKERS is not set');
const skip = brokersEnv ? false : 'needs RIFFLE_KAFKA_BROKERS (run .ci/tiers/kafka.sh)';
const brokers = brokersEnv ? brokersEnv.split(',') : [];
const root = resolve(import.meta.dirname, '../..');
const cli = join(root, 'src/cli/main.ts');
const pipeline = join(root, 'test/integration/kafka-rescale-pipeline.ts');
const N = 3000;
const work = mkdtempSync(join(tmpdir(), 'riffle-kafka-rescale-'));
after(() => rmSync(work, { recursive: true, force: true }));

/** `riffle run` of the pipeline; with `killAfterCheckpoint`, SIGKILLed that many ms after its first complete checkpoint. */
function run(args: readonly string[], checkpointDir: string, killAfterCheckpoint?: number, env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['--import', 'tsx', cli, 'run', pipeline, '--no-progress', '--checkpoint-dir', checkpointDir, '--checkpoint-interval', '150ms', ...args], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env } });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    let poll: NodeJS.Timeout | undefined;
    let timer: NodeJS.Timeout | undefined;
    if (killAfterCheckpoint !== undefined) {
      // A checkpoint exists once its _metadata is written (runner/checkpoint): kill after one is there.
      const before = new Set(existsSync(checkpointDir) ? readdirSync(checkpointDir) : []);
      poll = setInterval(() => {
        const fresh = existsSync(checkpointDir) && readdirSync(checkpointDir).some((d) => !before.has(d) && existsSync(join(checkpointDir, d, '_metadata')));
        if (!fresh) return;
        clearInterval(poll);
        timer = setTimeout(() => child.kill('SIGKILL'), killAfterCheckpoint);
      }, 20);
    }
    child.on('error', fail);
    child.on('close', (code, signal) => {
      clearInterval(poll);
      clearTimeout(timer);
      done({ code, signal, stderr });
    });
  });
}

async function committedCounts(output: string): Promise<Map<number, number>> {
  const reader = await new kafka.KafkaSource<{ i: number }>(kafka.resolveRead(output, { brokers })).open(undefined);
  const counts = new Map<number, number>();
  const add = (values: readonly kafka.KafkaMessage<{ i: number }>[] = []) => {
    for (const m of values) counts.set(m.value!.i, (counts.get(m.value!.i) ?? 0) + 1);
  };
  const deadline = Date.now() + 30_000;
  while (counts.size < N && Date.now() < deadline) add((await reader.next(200))?.values);
  const until = Date.now() + 1000;
  while (Date.now() < until) add((await reader.next(200))?.values);
  await reader.close();
  return counts;
}

describe('io.kafka: a job on 2 workers killed and resumed at 2 and at 1 worker', { skip }, () => {
  let admin: Admin;
  let input = '';
  before(async () => {
    if (!brokersEnv) return;
    admin = new Admin({ clientId: 'riffle-test', bootstrapBrokers: brokers });
    input = `rescale-in-${randomUUID().slice(0, 8)}`;
    await admin.createTopics({ topics: [input], partitions: 4, replicas: 1 });
    const producer = new Producer({ clientId: 'riffle-test', bootstrapBrokers: brokers, idempotent: true });
    for (let i = 0; i < N; i += 500) await producer.send({ messages: Array.from({ length: 500 }, (_, j) => ({ topic: input, partition: (i + j) % 4, value: Buffer.from(JSON.stringify({ i: i + j })) })) });
    await producer.close();
  });
  after(async () => {
    await admin?.close();
  });

  for (const resumeAt of [2, 1]) {
    it(`killed on 2 workers after a checkpoint, resumed on ${resumeAt}: 0 lost, 0 duplicated`, { timeout: 180_000 }, async () => {
      let landed = false;
      for (let attempt = 0; attempt < 3 && !landed; attempt++) {
        const output = `rescale-out-${randomUUID().slice(0, 8)}`;
        await admin.createTopics({ topics: [output], partitions: 2, replicas: 1 });
        const ck = join(work, `ck-${output}`);
        const params = [`--brokers=${brokers.join(',')}`, `--input=${input}`, `--output=${output}`];
        const first = await run([...params, '--workers', '2'], ck, Math.floor(Math.random() * 300));
        if (first.signal !== 'SIGKILL') {
          assert.equal(first.code, 0, first.stderr);
          continue; // it finished before the kill: again, into a new topic
        }
        landed = true;
        const second = await run([...params, '--workers', String(resumeAt), '--resume'], ck);
        assert.equal(second.code, 0, second.stderr);
        assert.doesNotMatch(second.stderr, /starting from the beginning/, 'it resumed from a checkpoint');
        const counts = await committedCounts(output);
        const lost = Array.from({ length: N }, (_, i) => i).filter((i) => !counts.has(i)).length;
        const duplicated = [...counts.values()].reduce((s, c) => s + c - 1, 0);
        assert.deepEqual({ lost, duplicated }, { lost: 0, duplicated: 0 });
      }
      assert.ok(landed, 'a kill landed after a checkpoint');
    });
  }

  it('a worker thread dies after 2 checkpoints: the job restarts from its checkpoint by itself, 0 lost, 0 duplicated', { timeout: 180_000 }, async () => {
    const output = `rescale-out-${randomUUID().slice(0, 8)}`;
    await admin.createTopics({ topics: [output], partitions: 2, replicas: 1 });
    const ck = join(work, `ck-${output}`);
    // The checkpoint coordinator's test hook terminates worker thread 1 once 2 checkpoints completed.
    const r = await run([`--brokers=${brokers.join(',')}`, `--input=${input}`, `--output=${output}`, '--workers', '2'], ck, undefined, { RIFFLE_TEST_TERMINATE_WORKER: '1:2' });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /terminating worker 1/);
    assert.match(r.stderr, /restarting from its latest checkpoint/);
    const counts = await committedCounts(output);
    const lost = Array.from({ length: N }, (_, i) => i).filter((i) => !counts.has(i)).length;
    const duplicated = [...counts.values()].reduce((s, c) => s + c - 1, 0);
    assert.deepEqual({ lost, duplicated }, { lost: 0, duplicated: 0 });
  });
});
