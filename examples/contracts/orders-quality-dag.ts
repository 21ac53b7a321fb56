/**
 * A quality gate in a DAG: the checkpoint `orders.checkpoint.yaml` (the daily orders file against the orders contract;
 * result stored, data docs updated) runs as a task; `publish` runs only when it passed — a failed checkpoint fails
 * the gate task (QUALITY_GATE_FAILED, naming the failed checks) and `publish` ends `upstream_failed`.
 *   node --import tsx src/cli/main.ts dag test orders-quality 2024-03-01 --dags examples/contracts/orders-quality-dag.ts
 */
import { fileURLToPath } from 'node:url';
import { dag } from '../../src/orchestrator/index.ts';
import { checkpointTask } from '../../src/quality/index.ts';

export const ordersQuality = dag({
  id: 'orders-quality',
  description: 'Validate the daily orders against their contract, then publish',
  schedule: '@daily',
  startDate: '2024-03-01',
  tags: ['quality', 'example'],
});

const gate = ordersQuality.task('quality_gate', checkpointTask(fileURLToPath(new URL('orders.checkpoint.yaml', import.meta.url))));

ordersQuality.task('publish', { inputs: { checked: gate } }, ({ inputs, log }) => {
  log(`publishing ${inputs.checked.validations.map((v) => `${v.data_asset} (${v.row_count} rows)`).join(', ')} checked by run ${inputs.checked.run_name}`);
  return inputs.checked.validations.reduce((n, v) => n + (v.row_count ?? 0), 0);
});
