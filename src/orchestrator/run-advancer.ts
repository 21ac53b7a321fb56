/**
 * Advances one running DAG run (step 4 of the scheduler's pass, see `scheduler.ts`):
 * 1. create the instances a run lacks (it is marked running before they exist: a peer or a crash may sit between);
 * 2. make retries and reschedules whose time has come ready (`scheduled`) again;
 * 3. decide the waiting (`none`) tasks from their upstream states, branch choices and depends_on_past
 *    (`run-evaluator.ts`): scheduled, skipped or upstream_failed; a mapped task that may run expands into one
 *    instance per element of its upstream lists;
 * 4. close the run (success or failed) once every instance is final.
 * Every change is a compare-and-set on the state it was decided from, so a peer deciding the same run at the same
 * time changes nothing twice.
 */
import type { Dag } from './dag.ts';
import type { DagRunRecord, TaskInstanceRecord, TaskState } from './metadata-store.ts';
import { newTaskInstance } from './run-creation.ts';
import { decideRun, runOutcome } from './run-evaluator.ts';
import type { SchedulerContext } from './scheduler-context.ts';
import type { Task } from './task.ts';
import { expandLists } from './task-inputs.ts';

const WAITING_STATES: readonly TaskState[] = ['up_for_retry', 'up_for_reschedule'];

export interface RunAdvance {
  /** Instances ready to be claimed (`scheduled`), if the run goes on. */
  ready: TaskInstanceRecord[];
  /** The run as this pass closed it (success or failed); undefined while it goes on or if a peer closed it. */
  closed?: DagRunRecord;
}

/** Advances `run` (see above); `order` is its DAG's topological task order. */
export async function advanceRun(ctx: SchedulerContext, run: DagRunRecord, order: readonly string[]): Promise<RunAdvance> {
  const { store } = ctx;
  const dag = ctx.dag(run.dagId);
  let tis = await store.listTaskInstances({ dagId: run.dagId, runId: run.runId });
  if (tis.filter((ti) => ti.mapIndex === -1).length < dag.tasks.length) {
    const have = new Set(tis.filter((ti) => ti.mapIndex === -1).map((ti) => ti.taskId));
    await store.createTaskInstances(dag.tasks.filter((t) => !have.has(t.id)).map((t) => newTaskInstance({ dagId: dag.id, runId: run.runId, taskId: t.id, mapIndex: -1 }, t, ctx.now())));
    tis = await store.listTaskInstances({ dagId: run.dagId, runId: run.runId });
  }
  const now = ctx.now();
  await Promise.all(tis.filter((ti) => WAITING_STATES.includes(ti.state) && (ti.nextAttemptAt ?? 0) <= now).map(async (ti) => {
    if (await store.updateTaskInstance(ti, { state: 'scheduled', scheduledAt: now }, { states: [ti.state] })) ti.state = 'scheduled';
  }));
  const { states, byTask } = statesOf(tis);
  const followed = new Map<string, string[]>();
  for (const t of dag.tasks) {
    if (t.kind === 'branch' && states.get(t.id)?.[0] === 'success') {
      followed.set(t.id, ((await store.getXCom({ dagId: run.dagId, runId: run.runId, taskId: t.id, mapIndex: -1 }, 'followed'))?.value as string[]) ?? []);
    }
  }
  const blocked = await blockedByPast(ctx, dag, run, states);
  const decided = decideRun(dag, order, { states, followed, blockedByPast: blocked });
  await Promise.all(decided.map(async (d) => {
    const key = { dagId: run.dagId, runId: run.runId, taskId: d.taskId, mapIndex: -1 };
    const task = dag.getTask(d.taskId);
    if (d.decision === 'run' && task.isMapped) {
      states.set(d.taskId, await expand(ctx, run, task));
      return;
    }
    const state: TaskState = d.decision === 'run' ? 'scheduled' : d.decision === 'skip' ? 'skipped' : 'upstream_failed';
    const patch = state === 'scheduled' ? { state, scheduledAt: now } : { state, endDate: now };
    if (await store.updateTaskInstance(key, patch, { states: ['none'] })) {
      const ti = byTask.get(d.taskId)!.find((t) => t.mapIndex === -1)!;
      Object.assign(ti, patch);
      if (state !== 'scheduled') ctx.notify(ti);
    }
  }));
  const outcome = runOutcome(states);
  if (outcome) {
    const closed = (await store.updateDagRun(run.dagId, run.runId, { state: outcome, endDate: now }, ['running'])) ? { ...run, state: outcome, endDate: now } : undefined;
    return { ready: [], ...(closed && { closed }) };
  }
  return { ready: [...byTask.values()].flat().filter((ti) => ti.state === 'scheduled') };
}

/** Instances by task, and each task's states (an expanded task's are its map instances'). */
function statesOf(tis: TaskInstanceRecord[]): { states: Map<string, TaskState[]>; byTask: Map<string, TaskInstanceRecord[]> } {
  const byTask = new Map<string, TaskInstanceRecord[]>();
  for (const ti of tis) byTask.set(ti.taskId, [...(byTask.get(ti.taskId) ?? []), ti]);
  const states = new Map<string, TaskState[]>();
  for (const [taskId, list] of byTask) {
    const placeholder = list.find((t) => t.mapIndex === -1);
    states.set(taskId, placeholder?.state === 'mapped' ? list.filter((t) => t.mapIndex >= 0).map((t) => t.state) : [placeholder?.state ?? 'none']);
  }
  return { states, byTask };
}

/** Waiting tasks with depends_on_past whose instance in the previous run (by logical date) has not succeeded or skipped. */
async function blockedByPast(ctx: SchedulerContext, dag: Dag, run: DagRunRecord, states: Map<string, TaskState[]>): Promise<Set<string>> {
  const blocked = new Set<string>();
  const candidates = dag.tasks.filter((t) => t.options.dependsOnPast && states.get(t.id)?.[0] === 'none');
  if (candidates.length === 0) return blocked;
  const previous = (await ctx.store.listDagRuns({ dagId: dag.id })).filter((r) => r.logicalDate < run.logicalDate).at(-1);
  if (!previous) return blocked;
  for (const t of candidates) {
    const prev = await ctx.store.listTaskInstances({ dagId: dag.id, runId: previous.runId, taskId: t.id });
    const s = statesOf(prev).states.get(t.id) ?? [];
    // No instance in a previous run that has not started (or not made its instances yet) is "not run yet", as in
    // Airflow; in a finished run it means the task did not exist then, which does not block.
    const notYet = s.length === 0 && (previous.state === 'queued' || previous.state === 'running');
    if (notYet || !s.every((x) => x === 'success' || x === 'skipped')) blocked.add(t.id);
  }
  return blocked;
}

/** Creates one instance per element (cross product over several lists); an empty list skips the task. */
async function expand(ctx: SchedulerContext, run: DagRunRecord, task: Task<unknown>): Promise<TaskState[]> {
  const { store } = ctx;
  const lists = await expandLists(store, run, task);
  const count = lists.reduce((n, [, l]) => n * l.length, 1);
  const key = { dagId: run.dagId, runId: run.runId, taskId: task.id, mapIndex: -1 };
  if (count === 0) {
    await store.updateTaskInstance(key, { state: 'skipped', endDate: ctx.now(), error: 'mapped over an empty list' }, { states: ['none'] });
    return ['skipped'];
  }
  await store.createTaskInstances(Array.from({ length: count }, (_, i) => newTaskInstance({ ...key, mapIndex: i }, task, ctx.now(), 'scheduled')));
  // Instances left by an earlier expansion of a cleared task are in `none`: those still in the list run again;
  // those past its end (the list shrank) are skipped.
  const previous = (await store.listTaskInstances({ dagId: run.dagId, runId: run.runId, taskId: task.id })).filter((t) => t.mapIndex >= 0 && t.state === 'none');
  await Promise.all(previous.map((t) => store.updateTaskInstance(t, t.mapIndex < count ? { state: 'scheduled', scheduledAt: ctx.now() } : { state: 'skipped', endDate: ctx.now(), error: 'removed: the mapped list got shorter' }, { states: ['none'] })));
  await store.updateTaskInstance(key, { state: 'mapped' }, { states: ['none'] });
  return new Array<TaskState>(count).fill('scheduled');
}
