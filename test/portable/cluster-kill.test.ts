// A TaskManager of a standalone Flink cluster (test/portable/cluster-flink.ts: a JobManager and 2 TaskManagers of one
// slot on loopback) is SIGKILLed, with the `riffle harness` processes it started, while it runs a windowed Riffle
// pipeline (Nexmark Q5, hot items: sliding windows, a combine, windowed file writes) submitted with `riffle run
// --runner=flink --flink-master=127.0.0.1:<rest port> --parallelism 2`; a replacement TaskManager is started
// (standalone mode does not restart one); Flink restarts the job's tasks on it (fixed-delay restart strategy), and
// the output is exactly the embedded engine's — every record once, none twice, no temp file published — because
// file writes publish only the shards reported through their Finalize GroupByKey (write-then-rename).
//
// This is Flink's batch mode (the pipeline's read is bounded): the restarted tasks run again from their inputs, not
// from a checkpoint. The streaming form (an unbounded Kafka read, checkpoints on, Flink restoring from its checkpoint)
// is cluster-stream-kill.test.ts. Needs Java 17 and Maven: run by .ci/tiers/flink-cluster.sh (RIFFLE_FLINK_CLUSTER=1).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compareDirs } from './compare-outputs.ts';
import { descendants, startFlinkCluster, type FlinkCluster, type TaskManager } from './cluster-flink.ts';
import { riffle } from './cluster-run.ts';

const enabled = process.env.RIFFLE_FLINK_CLUSTER === '1';
const skip = !enabled && 'set RIFFLE_FLINK_CLUSTER=1 (.ci/tiers/flink-cluster.sh)';
const FIXTURE = 'test/portable/fixtures/nexmark-pipeline.ts';
const EVENTS = Number(process.env.RIFFLE_CLUSTER_KILL_EVENTS ?? 200_000);
/** How long the job runs on the cluster before the kill. */
const KILL_AFTER_MS = 8_000;

interface JobsOverview {
  jobs: Array<{ jid: string; state: string; tasks: { running: number; finished: number; total: number } }>;
}

const tasksReceived = (tm: TaskManager) => (readFileSync(tm.logFile, 'utf8').match(/Received task /g) ?? []).length;

/** Resolves with the job once it runs tasks on the cluster. */
async function runningJob(cluster: FlinkCluster, timeoutMs: number): Promise<JobsOverview['jobs'][number]> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const { jobs } = await cluster.rest<JobsOverview>('/jobs/overview');
    const job = jobs.find((j) => j.state === 'RUNNING' && j.tasks.running > 0);
    if (job !== undefined) return job;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`no job ran tasks on the cluster within ${timeoutMs / 1000} s`);
}

/** A TaskManager that has started a `riffle harness` process (its JVM has a live child), once one has. */
async function harnessHost(cluster: FlinkCluster, timeoutMs: number): Promise<TaskManager> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const tm = cluster.taskManagers.find((t) => descendants(t.pid).length > 0);
    if (tm !== undefined) return tm;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`no TaskManager started a harness within ${timeoutMs / 1000} s`);
}

test('a TaskManager killed mid-job: a replacement takes its tasks and the windowed output is exactly once', { skip, timeout: 1_200_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'riffle-flink-kill-'));
  const cluster = await startFlinkCluster({ dir: join(dir, 'cluster'), taskManagers: 2, log: (l) => console.log(l) });
  let passed = false;
  try {
    const params = (out: string) => ['--query=5', `--events=${EVENTS}`, `--output=${out}`];
    const local = await riffle(['run', FIXTURE, ...params(join(dir, 'local')), '--no-progress']);
    assert.equal(local.status, 0, local.stderr);
    const run = riffle(['run', FIXTURE, ...params(join(dir, 'flink')), '--runner=flink', `--flink-master=${cluster.restAddress}`, '--parallelism=2'], 900_000);
    // A run that ends before its job runs (refused, failed) fails the test at once, with its error, instead of after
    // runningJob's wait.
    const endedEarly = run.then((r) => Promise.reject(new Error(`riffle run ended (exit ${r.status}) before its job ran tasks on the cluster:\n${r.stderr}`)));
    endedEarly.catch(() => {}); // read by the race only: once the job runs, the run's end is awaited below
    const job = await Promise.race([runningJob(cluster, 600_000), endedEarly]);
    const started = Date.now();
    await new Promise((r) => setTimeout(r, KILL_AFTER_MS));
    // The victim: a TaskManager running a harness for its tasks (Flink starts them as the tasks open).
    const victim = await harnessHost(cluster, 120_000);
    const { jobs: before } = await cluster.rest<JobsOverview>('/jobs/overview');
    assert.equal(before.find((j) => j.jid === job.jid)?.state, 'RUNNING', 'the job ended before the kill: raise RIFFLE_CLUSTER_KILL_EVENTS');
    const killed = cluster.killTaskManager(victim);
    console.log(`killed TaskManager ${victim.index}: ${killed.length} processes (its JVM and the harness processes it started), ${((Date.now() - started) / 1000).toFixed(1)} s after the job ran tasks`);
    assert.ok(killed.length > 1, 'the victim had no harness running');
    const replacement = cluster.startTaskManager();
    const flink = await run;
    console.log(`riffle run: exit ${flink.status} in ${flink.ms} ms\n${flink.stderr.trim()}`);
    assert.equal(flink.status, 0, `${flink.stderr}\n${await cluster.failures()}`);
    assert.match(flink.stderr, /flink: DONE/);
    // Flink saw the loss and restarted: the job's exception history has it, and the replacement ran tasks.
    const failures = await cluster.failures();
    console.log(failures);
    assert.match(failures, /FINISHED\n\s+\S/, 'the job has no exception: the kill did not reach it');
    assert.ok(tasksReceived(replacement) > 0, `the replacement TaskManager ran no task (${replacement.logFile})`);
    const { equal, different } = compareDirs(join(dir, 'local'), join(dir, 'flink'));
    console.log(`${equal.length} equal, ${different.length} different`);
    assert.deepEqual(different, []);
    assert.ok(equal.length >= 1, 'no output compared');
    passed = true;
  } finally {
    await cluster.stop();
    if (passed) rmSync(dir, { recursive: true, force: true });
    else console.log(`kept for inspection: ${dir}`);
  }
});
