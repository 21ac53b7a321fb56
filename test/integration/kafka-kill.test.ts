// Kafka → Riffle → Kafka exactly-once under SIGKILL (issue 16): a checkpointed pipeline (kafka-kill-child.ts) reading
// a topic and writing another with transactions is killed at random points and resumed from its checkpoints until it
// completes; then a read_committed reader counts the output: every input message exactly once (0 lost, 0 duplicated).
// RIFFLE_KAFKA_KILLS (default 4) kills that landed: a run that finished before its kill ends its job, and jobs are
// started until that many kills landed (as test/checkpoint/kill-driver.ts). Needs a broker (RIFFLE_KAFKA_BROKERS; .ci/tiers/kafka.sh starts one).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { Admin, Producer } from '@platformatic/kafka';
import * as kafka from '../../src/io/kafka/index.ts';

const brokersEnv = process.env.RIFFLE_KAFKA_BROKERS;
if (!brokersEnv && process.env.RIFFLE_INTEGRATION === '1') throw new Error('RIFFLE_INTEGRATION=1 but RIFFLE_KAFKA_BROKERS is not set');
const skip = brokersEnv ? false : 'needs RIFFLE_KAFKA_BROKERS (run .ci/tiers/kafka.sh)';
const KILLS = Number(process.env.RIFFLE_KAFKA_KILLS ?? 4);
const N = 3000;
const child = resolve(import.meta.dirname, 'kafka-kill-child.ts');

function run(args: string[], killAfterMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string; ms: number }> {
  let started = Date.now();
  return new Promise((done, fail) => {
    const c = spawn(process.execPath, ['--import', 'tsx', child, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    // The kill is timed from the pipeline's start (after tsx and the imports, which take seconds on a busy machine).
    let timer: NodeJS.Timeout | undefined;
    c.stdout.on('data', (d: Buffer) => {
      if (!d.toString().includes('start')) return;
      started = Date.now();
      if (killAfterMs !== undefined && timer === undefined) timer = setTimeout(() => c.kill('SIGKILL'), killAfterMs);
    });
    c.on('error', fail);
    c.on('close', (code, signal) => {
      clearTimeout(timer);
      done({ code, signal, stderr, ms: Date.now() - started });
    });
  });
}

/** The output topic as read_committed consumers see it: how often each of 0..N-1 came. */
async function committedCounts(brokers: string[], output: string): Promise<Map<number, number>> {
  // Every crashed run's open transaction was fenced by the run after it; the last run committed all it wrote. Read
  // until every value came or 30 s passed, then anything more (a late duplicate) within another second.
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

test(`Kafka → Riffle → Kafka exactly-once: ${KILLS} landed SIGKILLs, resumed from checkpoints, 0 lost and 0 duplicated`, { skip, timeout: 120_000 + KILLS * 30_000 }, async () => {
  const brokers = brokersEnv!.split(',');
  const admin = new Admin({ clientId: 'riffle-test', bootstrapBrokers: brokers });
  const input = `kill-in-${randomUUID().slice(0, 8)}`;
  const output = `kill-out-${randomUUID().slice(0, 8)}`;
  await admin.createTopics({ topics: [input], partitions: 3, replicas: 1 });
  await admin.createTopics({ topics: [`${output}-ref`], partitions: 2, replicas: 1 });
  const producer = new Producer({ clientId: 'riffle-test', bootstrapBrokers: brokers, idempotent: true });
  for (let i = 0; i < N; i += 500) await producer.send({ messages: Array.from({ length: 500 }, (_, j) => ({ topic: input, partition: (i + j) % 3, value: Buffer.from(JSON.stringify({ i: i + j })) })) });
  await producer.close();

  const work = mkdtempSync(join(tmpdir(), 'riffle-kafka-kill-'));
  try {
    // An uninterrupted run into another topic: how long a run takes from the pipeline's start to its end.
    const ref = await run([brokers[0]!, input, `${output}-ref`, join(work, 'ck-ref'), '0']);
    assert.equal(ref.code, 0, ref.stderr);
    // Kills are counted as they land: a run that completes before its kill counts none and ends its job, so jobs
    // (each into a topic of its own, from the same input) are started until KILLS kills landed.
    let kills = 0;
    let jobs = 0;
    const results: { job: number; kills: number; lost: number; duplicated: number }[] = [];
    while (kills < KILLS) {
      assert.ok(jobs < KILLS * 3, `only ${kills} of ${KILLS} kills landed in ${jobs} jobs: every run finished before its kill`);
      const out = `${output}-${jobs}`;
      await admin.createTopics({ topics: [out], partitions: 2, replicas: 1 });
      const args = (resume: boolean) => [brokers[0]!, input, out, join(work, `ck-${jobs}`), resume ? '1' : '0'];
      let landed = 0;
      let resume = false;
      let finished = false;
      while (!finished && kills + landed < KILLS) {
        // Anywhere from the pipeline's start to near the end of an uninterrupted run (a resumed run is shorter: it may finish).
        const r = await run(args(resume), Math.floor((0.05 + Math.random() * 0.85) * ref.ms));
        if (r.signal === 'SIGKILL') landed++;
        else if (r.code === 0) finished = true;
        else assert.fail(`a run failed (${r.code}): ${r.stderr}`);
        resume = true;
      }
      if (!finished) {
        const last = await run(args(resume));
        assert.equal(last.code, 0, last.stderr);
      }
      const counts = await committedCounts(brokers, out);
      const lost = Array.from({ length: N }, (_, i) => i).filter((i) => !counts.has(i)).length;
      const duplicated = [...counts.values()].reduce((s, c) => s + (c > 1 ? c - 1 : 0), 0);
      results.push({ job: jobs, kills: landed, lost, duplicated });
      kills += landed;
      jobs++;
    }
    const lost = results.reduce((s, r) => s + r.lost, 0);
    const duplicated = results.reduce((s, r) => s + r.duplicated, 0);
    console.log(`kafka kill test: ${kills} kills landed over ${jobs} jobs (an uninterrupted run takes ${ref.ms} ms), ${N} messages each, lost ${lost}, duplicated ${duplicated}`);
    assert.deepEqual(results.filter((r) => r.lost + r.duplicated > 0), [], 'every job: 0 lost, 0 duplicated');
    assert.ok(kills >= KILLS, `${kills} kills landed`);
  } finally {
    await admin.close();
    rmSync(work, { recursive: true, force: true });
  }
});
