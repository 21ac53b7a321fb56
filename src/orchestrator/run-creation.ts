/**
 * Runs come into being and start: a run for every due interval of each unpaused scheduled DAG (missed ones too
 * with catchup), and queued runs started oldest first up to each DAG's maxActiveRuns, with a task instance (`none`)
 * for every task of the run. Steps 3 of the scheduler's pass (see `scheduler.ts`).
 */
import { ConfigError } from '../model/index.ts';
import { newDagRun } from './admin.ts';
import type { Dag } from './dag.ts';
import { resolveParams } from './dag-params.ts';
import type { DagRunType, TaskInstanceKey, TaskInstanceRecord, TaskState } from './metadata-store.ts';
import type { SchedulerContext } from './scheduler-context.ts';
import type { Task } from './task.ts';

/** Creates a scheduled run for each interval that is due (at most 1,000 per DAG and pass). */
export async function createDueRuns(ctx: SchedulerContext): Promise<void> {
  for (const dag of ctx.dags.values()) {
    if (dag.schedule.kind === 'none' || (await ctx.store.getDag(dag.id))?.isPaused) continue;
    const last = await ctx.store.latestDagRun(dag.id, ['scheduled']);
    const due = dag.schedule.dueIntervals({ startDate: dag.startDate, endDate: dag.endDate, lastLogicalDate: last?.logicalDate, now: ctx.now(), catchup: dag.catchup }, 1000);
    for (const i of due) await ctx.store.createDagRun(newDagRun(dag, 'scheduled', i.start, {}, ctx.now()));
  }
}

/**
 * Starts queued runs (of `runTypes`, default all) while their DAG has fewer running runs than its cap
 * (`caps`, else the DAG's maxActiveRuns), and creates their task instances.
 */
export async function startQueuedRuns(ctx: SchedulerContext, o: { runTypes?: readonly DagRunType[] | undefined; caps: ReadonlyMap<string, number> }): Promise<void> {
  const { store } = ctx;
  const queued = await store.listDagRuns({ states: ['queued'], ...(o.runTypes && { runTypes: o.runTypes }) });
  if (queued.length === 0) return;
  const running = await store.listDagRuns({ states: ['running'] });
  for (const run of queued) {
    const dag = ctx.dags.get(run.dagId);
    if (!dag) continue;
    const cap = o.caps.get(dag.id) ?? dag.maxActiveRuns;
    if (running.filter((r) => r.dagId === dag.id).length >= cap) continue;
    // A run stored by an earlier version (or queued before the DAG's params changed) may hold text where a param
    // takes a number or boolean (coerced here), or values its params refuse: then its tasks fail at once with the
    // reason, rather than run with a wrong value.
    const checked = checkStoredConf(dag, run.conf);
    const conf = 'conf' in checked && JSON.stringify(checked.conf) !== JSON.stringify(run.conf) ? { conf: checked.conf } : {};
    if (!(await store.updateDagRun(run.dagId, run.runId, { state: 'running', startDate: ctx.now(), ...conf }, ['queued']))) continue;
    if (store.shared && (await store.listDagRuns({ dagId: dag.id, states: ['running'] })).length > cap) {
      // A peer started a run of this DAG at the same moment: give this one back (both may, and retry next pass;
      // never both keep theirs), before any of its instances exist.
      await store.updateDagRun(run.dagId, run.runId, { state: 'queued', startDate: null }, ['running']);
      continue;
    }
    running.push({ ...run, state: 'running' });
    const refused = 'problem' in checked ? checked.problem : undefined;
    await store.createTaskInstances(dag.tasks.map((t) => {
      const ti = newTaskInstance({ dagId: dag.id, runId: run.runId, taskId: t.id, mapIndex: -1 }, t, ctx.now(), refused ? 'failed' : 'none');
      return refused ? { ...ti, error: refused, endDate: ctx.now() } : ti;
    }));
  }
}

/** A fresh instance of `task` (no attempt yet), in the task's pool. */
export function newTaskInstance(key: TaskInstanceKey, task: Task<unknown>, now: number, state: TaskState = 'none'): TaskInstanceRecord {
  return {
    ...key, state, scheduledAt: state === 'scheduled' ? now : null, tryNumber: 0, maxTries: task.maxTries, startDate: null, endDate: null, duration: null, hostname: null, pid: null, heartbeatAt: null,
    nextAttemptAt: null, firstAttemptAt: null, owner: null, error: null, updatedAt: now, pool: task.options.pool, poolSlots: task.options.poolSlots,
  };
}

/** A stored run's conf checked and coerced by the DAG's params, or why they refuse it. */
function checkStoredConf(dag: Dag, conf: Record<string, unknown>): { conf: Record<string, unknown> } | { problem: string } {
  try {
    return { conf: resolveParams(dag, conf, 'stored', { label: 'conf ', ignoreUnknown: true }) };
  } catch (e) {
    if (e instanceof ConfigError) return { problem: e.message };
    throw e;
  }
}
