// End-to-end: a checkpoint as an orchestrator task gates its downstream task (passes on the good orders file; on a
// bad file the gate fails naming the failed checks and the downstream task is upstream_failed).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { dag, testDag } from '../../src/orchestrator/index.ts';
import { checkpointTask, listResults } from '../../src/quality/index.ts';
import { ordersQuality } from './orders-quality-dag.ts';

test('the example DAG: the checkpoint passes on the good orders and publish runs', async () => {
  const { run, tasks, logs } = await testDag(ordersQuality, Date.parse('2024-03-01T00:00:00Z'));
  assert.equal(run.state, 'success', JSON.stringify(tasks.map((t) => [t.taskId, t.state])));
  assert.deepEqual(tasks.map((t) => [t.taskId, t.state]), [['quality_gate', 'success'], ['publish', 'success']]);
  assert.match(logs.get('publish#1')!, /publishing orders_good \(6 rows\) checked by run orders_daily-20240301T000000Z/);
});

test('a failing checkpoint fails the gate task (naming the failed checks) and its downstream task does not run', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'riffle-quality-dag-'));
  try {
    writeFileSync(join(dir, 'cp.yaml'), [
      'name: orders_bad',
      `data_asset: { path: ${resolve('examples/data/orders-bad.csv')}, name: orders_bad, types: text }`,
      `suite: { contract: ${resolve('examples/contracts/orders.contract.yaml')} }`,
      'actions:',
      '  - store_validation_result: { store: results }',
    ].join('\n'));
    const d = dag({ id: 'orders-quality-bad', schedule: '@daily', startDate: '2024-03-01' });
    const gate = d.task('quality_gate', checkpointTask(join(dir, 'cp.yaml')));
    d.task('publish', { inputs: { checked: gate } }, () => 1);
    const { run, tasks, logs } = await testDag(d, Date.parse('2024-03-02T00:00:00Z'));
    assert.equal(run.state, 'failed');
    assert.deepEqual(tasks.map((t) => [t.taskId, t.state]), [['quality_gate', 'failed'], ['publish', 'upstream_failed']]);
    const log = [...logs.entries()].filter(([k]) => k.startsWith('quality_gate')).map(([, v]) => v).join('\n');
    assert.match(log, /QUALITY_GATE_FAILED|quality gate|checkpoint 'orders_bad' failed/);
    assert.match(log, /status in enum|expect_column_values_to_be_in_set\(status\)/);
    // The failed run was stored before the task failed.
    assert.equal(listResults(join(dir, 'results'), 'silver.orders v1.2.0')[0]!.success, false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
