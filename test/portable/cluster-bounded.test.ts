// A standalone Flink cluster on loopback (a JobManager and 2 TaskManagers, test/portable/cluster-flink.ts) runs a
// Riffle pipeline submitted through Beam's job server with `riffle run … --runner=flink --flink-master=127.0.0.1:<rest
// port> --parallelism 2`: Flink spreads the job's tasks over both TaskManagers (each starts `riffle harness` for its
// tasks), and the output is the embedded engine's. Needs Java 17 and Maven: run by .ci/tiers/flink-cluster.sh
// (RIFFLE_FLINK_CLUSTER=1).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compareDirs } from './compare-outputs.ts';
import { startFlinkCluster } from './cluster-flink.ts';
import { riffle } from './cluster-run.ts';

const enabled = process.env.RIFFLE_FLINK_CLUSTER === '1';
const skip = !enabled && 'set RIFFLE_FLINK_CLUSTER=1 (.ci/tiers/flink-cluster.sh)';
const FIXTURE = 'test/portable/fixtures/grouping-pipeline.ts';

test('a standalone cluster of 2 TaskManagers runs a Riffle pipeline at parallelism 2 with the embedded engine\'s output', { skip, timeout: 900_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'riffle-flink-cluster-'));
  const cluster = await startFlinkCluster({ dir: join(dir, 'cluster'), taskManagers: 2, log: (l) => console.log(l) });
  let passed = false;
  try {
    const local = await riffle(['run', FIXTURE, `--output=${join(dir, 'local')}`, '--no-progress']);
    assert.equal(local.status, 0, local.stderr);
    const flink = await riffle(['run', FIXTURE, `--output=${join(dir, 'flink')}`, '--runner=flink', `--flink-master=${cluster.restAddress}`, '--parallelism=2']);
    console.log(`riffle run --flink-master=${cluster.restAddress} --parallelism=2: exit ${flink.status} in ${flink.ms} ms\n${flink.stderr.trim()}`);
    assert.equal(flink.status, 0, `${flink.stderr}\n${await cluster.failures()}`);
    assert.match(flink.stderr, /flink: DONE/);
    // The job ran on this cluster, at parallelism 2, with tasks on both TaskManagers.
    const jobs = await cluster.rest<{ jobs: Array<{ jid: string; state: string }> }>('/jobs/overview');
    assert.equal(jobs.jobs.length, 1);
    assert.equal(jobs.jobs[0]!.state, 'FINISHED');
    const plan = await cluster.rest<{ vertices: Array<{ parallelism: number }> }>(`/jobs/${jobs.jobs[0]!.jid}`);
    assert.ok(plan.vertices.some((v) => v.parallelism === 2), `no vertex at parallelism 2: ${JSON.stringify(plan.vertices.map((v) => v.parallelism))}`);
    for (const tm of cluster.taskManagers) {
      const deployed = (readFileSync(tm.logFile, 'utf8').match(/Received task /g) ?? []).length;
      assert.ok(deployed > 0, `TaskManager ${tm.index} ran no task (${tm.logFile})`);
    }
    const { equal, different } = compareDirs(join(dir, 'local'), join(dir, 'flink'));
    console.log(`${equal.length} equal, ${different.length} different`);
    assert.deepEqual(different, []);
    assert.ok(equal.length >= 3, `outputs compared: ${equal.join(', ')}`);
    passed = true;
  } finally {
    await cluster.stop();
    if (passed) rmSync(dir, { recursive: true, force: true });
    else console.log(`kept for inspection: ${dir}`);
  }
});
