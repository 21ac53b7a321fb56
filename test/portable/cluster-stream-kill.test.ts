// The streaming form of the TaskManager-kill test (issue 20's check): a standalone Flink cluster on loopback
// (cluster-flink.ts: a JobManager and 2 TaskManagers of one slot) runs the stream fixture (fixtures/stream-pipeline.ts:
// keyed, timestamped readings from a Kafka topic in 10-second windows — a combine and a stateful DoFn with an
// event-time timer — written to JSONL files) in Flink's streaming mode, submitted with `riffle run --runner=flink
// --flink-master=127.0.0.1:<rest port> --parallelism 2 --checkpoint-interval 2s`. The read is unbounded: it checkpoints
// itself every bundle (residuals carrying its Kafka offsets and watermark, kept in Flink's state), so Flink's
// checkpoints hold where each reader is, with the windows' state and timers. Once a checkpoint has completed, a
// TaskManager running a harness is SIGKILLed with its harness processes and a replacement is started; Flink restores
// the job from its last checkpoint (the checkpoint statistics say so), the reads resume at their checkpointed
// offsets, and the job ends by itself when every reader reaches the offsets the topic had (its watermark +∞). The
// output must be the embedded engine's for the same topic: every record once, none twice (file writes publish only
// the shards their Finalize GroupByKey gathered, and what a lost attempt wrote is never reported).
// Needs Java 17 and Maven: run by .ci/tiers/flink-cluster.sh (RIFFLE_FLINK_CLUSTER=1); the broker from
// RIFFLE_KAFKA_BROKERS or started here (kafka-broker.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compareDirs } from './compare-outputs.ts';
import { descendants, startFlinkCluster, type FlinkCluster, type TaskManager } from './cluster-flink.ts';
import { riffle } from './cluster-run.ts';
import { fillReadings, startKafka } from './kafka-broker.ts';

const enabled = process.env.RIFFLE_FLINK_CLUSTER === '1';
const skip = !enabled && 'set RIFFLE_FLINK_CLUSTER=1 (.ci/tiers/flink-cluster.sh)';
const FIXTURE = 'test/portable/fixtures/stream-pipeline.ts';
/**
 * Readings in the topic: enough that the job still reads when the first checkpoint has completed (40,000 was not on a
 * lightly loaded run: the victim's tasks had all finished, 46 s in, and its harness with them).
 */
const READINGS = Number(process.env.RIFFLE_CLUSTER_STREAM_READINGS ?? 80_000);

interface JobsOverview {
  jobs: Array<{ jid: string; state: string; tasks: { running: number; finished: number; total: number } }>;
}

interface CheckpointStats {
  counts: { completed: number; restored: number; failed: number };
  latest?: { restored?: { id: number; restore_timestamp: number } | null };
}

const tasksReceived = (tm: TaskManager) => (readFileSync(tm.logFile, 'utf8').match(/Received task /g) ?? []).length;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The running job once `ready` says so (polled every 500 ms). */
async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const got = await probe();
    if (got !== undefined) return got;
    await sleep(500);
  }
  throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
}

async function runningJob(cluster: FlinkCluster): Promise<JobsOverview['jobs'][number] | undefined> {
  const { jobs } = await cluster.rest<JobsOverview>('/jobs/overview');
  return jobs.find((j) => j.state === 'RUNNING' && j.tasks.running > 0);
}

test('a TaskManager killed mid-stream: Flink restores the checkpoint and the windowed output is exactly once', { skip, timeout: 1_500_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'riffle-flink-stream-kill-'));
  const kafka = await startKafka(join(dir, 'kafka'));
  const cluster = await startFlinkCluster({ dir: join(dir, 'cluster'), taskManagers: 2, log: (l) => console.log(l) });
  let passed = false;
  try {
    const topic = `readings-${randomUUID().slice(0, 8)}`;
    // 4 partitions (2 readers per TaskManager slot at parallelism 2), 11 keys, readings 100 ms apart in event time.
    await fillReadings(kafka.brokers, topic, { n: READINGS, keys: 11, partitions: 4, start: Date.UTC(2026, 0, 1), stepMs: 100 });
    const params = (out: string) => [`--brokers=${kafka.brokers}`, `--topic=${topic}`, `--output=${out}`];
    const local = await riffle(['run', FIXTURE, ...params(join(dir, 'local')), '--no-progress']);
    assert.equal(local.status, 0, local.stderr);
    const run = riffle(['run', FIXTURE, ...params(join(dir, 'flink')), '--runner=flink', `--flink-master=${cluster.restAddress}`, '--parallelism=2', '--checkpoint-interval=2s'], 1_200_000);
    const endedEarly = run.then((r) => Promise.reject(new Error(`riffle run ended (exit ${r.status}) before the kill:\n${r.stderr}`)));
    endedEarly.catch(() => {}); // read by the races only
    const job = await Promise.race([until('a job running tasks on the cluster', 600_000, () => runningJob(cluster)), endedEarly]);
    const started = Date.now();
    // The kill comes after a completed checkpoint (so there is one to restore), on a TaskManager running a harness.
    const completed = await Promise.race([
      until('a completed checkpoint', 300_000, async () => {
        const s = await cluster.rest<CheckpointStats>(`/jobs/${job.jid}/checkpoints`);
        return s.counts.completed >= 1 ? s.counts.completed : undefined;
      }),
      endedEarly,
    ]);
    const victim = await until('a TaskManager running a harness', 120_000, async () => cluster.taskManagers.find((t) => descendants(t.pid).length > 0));
    const { jobs: before } = await cluster.rest<JobsOverview>('/jobs/overview');
    assert.equal(before.find((j) => j.jid === job.jid)?.state, 'RUNNING', 'the job ended before the kill: raise RIFFLE_CLUSTER_STREAM_READINGS');
    const killed = cluster.killTaskManager(victim);
    console.log(`killed TaskManager ${victim.index}: ${killed.length} processes, ${((Date.now() - started) / 1000).toFixed(1)} s after the job ran tasks, ${completed} checkpoint(s) completed`);
    assert.ok(killed.length > 1, 'the victim had no harness running');
    const replacement = cluster.startTaskManager();
    const flink = await run;
    console.log(`riffle run: exit ${flink.status} in ${flink.ms} ms\n${flink.stderr.trim()}`);
    assert.equal(flink.status, 0, `${flink.stderr}\n${await cluster.failures()}`);
    assert.match(flink.stderr, /flink: DONE/);
    const stats = await cluster.rest<CheckpointStats>(`/jobs/${job.jid}/checkpoints`);
    console.log(`checkpoints: ${JSON.stringify(stats.counts)}, restored: ${JSON.stringify(stats.latest?.restored ?? null)}`);
    console.log(await cluster.failures());
    assert.ok(stats.counts.restored >= 1, 'Flink restored no checkpoint: the kill did not reach the job, or it restarted from scratch');
    assert.ok(tasksReceived(replacement) > 0, `the replacement TaskManager ran no task (${replacement.logFile})`);
    const { equal, different } = compareDirs(join(dir, 'local'), join(dir, 'flink'));
    console.log(`${equal.length} equal, ${different.length} different`);
    for (const d of different.slice(0, 10)) console.log(`  ${d.output}: ${d.why}`);
    assert.deepEqual(different, []);
    assert.ok(equal.some((o) => o.startsWith('sums')) && equal.some((o) => o.startsWith('counts')), `outputs compared: ${equal.join(', ')}`);
    passed = true;
  } finally {
    await cluster.stop();
    await kafka.stop();
    if (passed) rmSync(dir, { recursive: true, force: true });
    else console.log(`kept for inspection: ${dir}`);
  }
});
