/**
 * `riffle dag test`: runs one DAG run in this process, with an in-memory store and the inline executor, for
 * debugging. The run's logical date is `logicalDate` and its data interval is the one starting there, exactly as
 * the scheduled run for that date would see it.
 * @example
 *   const { run, tasks } = await testDag(etl, Date.UTC(2024, 0, 1));
 */
import type { Dag } from './dag.ts';
import { InlineExecutor } from './executor.ts';
import { JournalStore } from './journal-store.ts';
import type { DagRunRecord, TaskInstanceRecord } from './metadata-store.ts';
import { Scheduler } from './scheduler.ts';

export interface DagTestResult {
  run: DagRunRecord;
  /** Final task instances, in topological order (map instances after their task). */
  tasks: TaskInstanceRecord[];
  /** Logs of every attempt, by `taskId[mapIndex]#try`. */
  logs: Map<string, string>;
}

export async function testDag(dag: Dag, logicalDate: number, o: { conf?: Record<string, unknown>; onTaskState?: (ti: TaskInstanceRecord) => void } = {}): Promise<DagTestResult> {
  const store = await JournalStore.open();
  const scheduler = new Scheduler({
    store, dags: [dag], executor: new InlineExecutor((_, taskId) => dag.getTask(taskId), 16, 1000, store), scheduleRuns: false, pollMs: 100, onTaskState: o.onTaskState,
  });
  try {
    await scheduler.start();
    const created = await scheduler.triggerRun(dag.id, { logicalDate, conf: o.conf ?? {}, runType: 'test' });
    const run = await scheduler.waitForRun(dag.id, created.runId);
    const order = dag.topologicalOrder().map((t) => t.id);
    const tasks = (await store.listTaskInstances({ dagId: dag.id, runId: run.runId })).sort((a, b) => order.indexOf(a.taskId) - order.indexOf(b.taskId) || a.mapIndex - b.mapIndex);
    const logs = new Map<string, string>();
    for (const ti of tasks) {
      for (let t = 1; t <= ti.tryNumber; t++) logs.set(`${ti.taskId}${ti.mapIndex >= 0 ? `[${ti.mapIndex}]` : ''}#${t}`, await store.readLog(ti, t));
    }
    return { run, tasks, logs };
  } finally {
    await scheduler.stop();
    await store.close();
  }
}
