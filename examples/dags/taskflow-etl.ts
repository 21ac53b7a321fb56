/**
 * The TaskFlow extract/transform/load of the Airflow tutorials, in Riffle: each task's return value is the next
 * task's input (stored as a small XCom), with no explicit push or pull. `extract` reads the day's orders,
 * `transform` totals them per customer, `load` writes the totals and returns a summary; `report` receives both the
 * totals and the load's summary (fan-in through inputs).
 *
 *   node --import tsx src/cli/main.ts dag test taskflow-etl 2024-01-01 --dags examples/dags --outDir=/tmp/out
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dag } from '../../src/orchestrator/index.ts';

export const taskflowEtl = dag({
  id: 'taskflow-etl',
  description: 'Extract orders, total them per customer, load the totals (TaskFlow style)',
  schedule: '@daily',
  startDate: '2024-01-01',
  tags: ['taskflow', 'example'],
  defaultArgs: { retries: 1, retryDelay: '10s' },
  params: { outDir: '.riffle/taskflow-etl', minTotal: 0 },
});

interface Order {
  orderId: number;
  customer: string;
  amount: number;
}

// A stand-in for an API or a database: the same orders for a given day.
const ORDERS = '{"1001": ["ana", 301.27], "1002": ["bo", 433.21], "1003": ["ana", 502.22], "1004": ["cy", 42.5], "1005": ["bo", 18.0]}';

const extract = taskflowEtl.task('extract', ({ ds, log }): Order[] => {
  const raw = JSON.parse(ORDERS) as Record<string, [string, number]>;
  const orders = Object.entries(raw).map(([id, [customer, amount]]) => ({ orderId: Number(id), customer, amount }));
  log(`${ds}: extracted ${orders.length} orders`);
  return orders;
});

const transform = taskflowEtl.task('transform', { inputs: { orders: extract } }, ({ inputs, params }) => {
  const totals: Record<string, number> = {};
  for (const o of inputs.orders) totals[o.customer] = Math.round(((totals[o.customer] ?? 0) + o.amount) * 100) / 100;
  return Object.fromEntries(Object.entries(totals).filter(([, t]) => t >= (params.minTotal as number)));
});

const load = taskflowEtl.task('load', { inputs: { totals: transform } }, ({ inputs, params, ds, log }) => {
  const dir = join(params.outDir as string, ds);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'totals.json');
  writeFileSync(path, JSON.stringify(inputs.totals));
  log(`wrote ${Object.keys(inputs.totals).length} totals to ${path}`);
  // Large data goes to storage; downstream tasks get a reference to it, not the data.
  return { path, customers: Object.keys(inputs.totals).length };
});

taskflowEtl.task('report', { inputs: { totals: transform, loaded: load } }, ({ inputs, ds }) => {
  const grand = Object.values(inputs.totals).reduce((a, b) => a + b, 0);
  return `${ds}: ${inputs.loaded.customers} customers, ${grand.toFixed(2)} in total, in ${inputs.loaded.path}`;
});
