/**
 * Orchestrator benchmark (`node --import tsx bench/orchestrator.ts [--json]`), with the embedded journal store on
 * disk (fsync on) and the process executor:
 * 1. fan-out/fan-in of 1,000 no-op tasks (start → 998 → end): wall time (target ≤ 30 s);
 * 2. scheduling latency on a 60-task chain: from a task's end (in its worker) to its downstream's start (in its
 *    worker), median and p95 (target ≤ 200 ms median);
 * 3. backfill of 365 daily runs of a 5-task DAG.
 * Workers import this file to find the DAGs, so the benchmark itself runs only when this is the main module.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dag, JournalStore, ProcessExecutor, Scheduler, chain, parallel, type Dag } from '../src/orchestrator/index.ts';

const stamp = () => ({ start: Date.now() });

export const fan = dag({ id: 'bench-fan', schedule: null, startDate: '2024-01-01', maxActiveTasks: 64 });
const first = fan.task('start', stamp);
const middle = Array.from({ length: 998 }, (_, i) => fan.task(`t${i}`, stamp));
first.then(middle);
parallel(middle).then(fan.task('end', stamp));

export const line = dag({ id: 'bench-chain', schedule: null, startDate: '2024-01-01' });
chain(...Array.from({ length: 60 }, (_, i) => line.task(`c${i}`, stamp)));

export const daily = dag({ id: 'bench-daily', schedule: '@daily', startDate: '2023-01-01', maxActiveRuns: 16, maxActiveTasks: 64 });
const extract = daily.task('extract', ({ ds }) => ({ ds, rows: 100 }));
const validate = daily.task('validate', { inputs: { e: extract } }, ({ inputs }) => inputs.e.rows);
const [load, check] = [daily.task('load', () => 1), daily.task('check', () => 1)];
validate.then([load, check]);
parallel([load, check]).then(daily.task('report', () => 1));

interface Figures {
  [k: string]: number | string;
}

async function withScheduler<T>(dags: Dag[], parallelism: number, fn: (s: Scheduler, store: JournalStore) => Promise<T>, maxTasksPerWorker?: number): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'riffle-bench-orch-'));
  const store = await JournalStore.open({ dir });
  const file = fileURLToPath(import.meta.url);
  for (const d of dags) d.fileloc = file;
  const s = new Scheduler({ store, dags, executor: new ProcessExecutor({ parallelism, maxTasksPerWorker }), scheduleRuns: false, pollMs: 200 });
  await s.start();
  try {
    return await fn(s, store);
  } finally {
    await s.stop();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const p95 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.95)]!;

async function main(): Promise<void> {
  const parallelism = 8;
  const figures: Figures = { parallelism, store: 'journal (fsync)', executor: 'process pool' };

  await withScheduler([fan], parallelism, async (s, store) => {
    const t0 = Date.now();
    const run = await s.waitForRun('bench-fan', (await s.triggerRun('bench-fan', { logicalDate: Date.UTC(2024, 0, 1) })).runId);
    figures['fan 1000 tasks: wall s'] = ((Date.now() - t0) / 1000).toFixed(2);
    figures['fan 1000 tasks: state'] = run.state;
    figures['fan 1000 tasks: tasks/s'] = (1000 / ((Date.now() - t0) / 1000)).toFixed(0);
    figures['journal entries'] = store.journalLength;
  });

  await withScheduler([line], parallelism, async (s, store) => {
    const run = await s.waitForRun('bench-chain', (await s.triggerRun('bench-chain', { logicalDate: Date.UTC(2024, 0, 1) })).runId);
    const xcoms = await store.listXComs('bench-chain', run.runId);
    const startOf = new Map(xcoms.map((x) => [x.taskId, (x.value as { start: number }).start]));
    // Each task ends right after its start (a no-op): the gap to the next task's start is scheduling latency.
    const gaps = Array.from({ length: 59 }, (_, i) => startOf.get(`c${i + 1}`)! - startOf.get(`c${i}`)!).slice(1);
    figures['chain latency: median ms'] = median(gaps);
    figures['chain latency: p95 ms'] = p95(gaps);
  });

  // The same chain with a fresh worker process per attempt (maxTasksPerWorker: 1): the cost of full isolation.
  await withScheduler([line], parallelism, async (s, store) => {
    const run = await s.waitForRun('bench-chain', (await s.triggerRun('bench-chain', { logicalDate: Date.UTC(2024, 0, 1) })).runId);
    const xcoms = await store.listXComs('bench-chain', run.runId);
    const startOf = new Map(xcoms.map((x) => [x.taskId, (x.value as { start: number }).start]));
    const gaps = Array.from({ length: 59 }, (_, i) => startOf.get(`c${i + 1}`)! - startOf.get(`c${i}`)!).slice(1);
    figures['chain latency, process per attempt: median ms'] = median(gaps);
  }, 1);

  await withScheduler([daily], parallelism, async (s) => {
    const t0 = Date.now();
    const runs = await s.backfill('bench-daily', Date.UTC(2023, 0, 1), Date.UTC(2023, 11, 31), { maxActiveRuns: 16 });
    figures['backfill 365 runs x 5 tasks: wall s'] = ((Date.now() - t0) / 1000).toFixed(2);
    figures['backfill: runs succeeded'] = runs.filter((r) => r.state === 'success').length;
  });

  if (process.argv.includes('--json')) console.log(JSON.stringify(figures, null, 2));
  else for (const [k, v] of Object.entries(figures)) console.log(`${k.padEnd(48)} ${v}`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
