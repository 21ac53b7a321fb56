/**
 * Operations on recorded runs, written against the MetadataStore port (the CLI and a running scheduler share them):
 * trigger a run, clear task instances (and their downstream) so that they run again, mark instances success or
 * failed, pause and unpause a DAG. Instances an executor holds (queued, running) are refused: nothing here can stop
 * an attempt, and a cleared instance relaunched beside its still-running attempt would run twice at once.
 * Every change is a compare-and-set on the state that was checked, so a scheduler moving the instance meanwhile
 * makes the operation fail loudly rather than overwrite it.
 * @example
 *   await clearTaskInstances(store, dag, 'manual__2024-01-01T00:00:00.000Z', ['transform'], { downstream: true });
 */
import type { Dag } from './dag.ts';
import { resolveParams } from './dag-params.ts';
import { SchedulerError } from './errors.ts';
import type { DagRunRecord, DagRunType, MetadataStore, TaskInstanceRecord, TaskState } from './metadata-store.ts';
import { runOutcome } from './run-evaluator.ts';

const ACTIVE: readonly TaskState[] = ['queued', 'running'];

/**
 * A new queued run of `dag` whose data interval starts at `logicalDate` (its run id names the type and the date).
 * `conf` is checked against the DAG's params (typed values; a ConfigError names every problem) and merged over
 * their defaults.
 */
export function newDagRun(dag: Dag, runType: DagRunType, logicalDate: number, conf: Record<string, unknown>, now: number): DagRunRecord {
  const { start, end } = dag.schedule.intervalAt(logicalDate);
  return {
    dagId: dag.id, runId: `${runType}__${new Date(start).toISOString()}`, runType, state: 'queued', logicalDate: start, dataIntervalStart: start, dataIntervalEnd: end,
    conf: resolveParams(dag, conf, 'typed', { label: 'conf ' }), queuedAt: now, startDate: null, endDate: null,
  };
}

/**
 * Records the DAGs in the store, keeping each one's paused flag. A DAG recorded for the first time starts paused
 * (as Airflow's `dags_are_paused_at_creation`) unless it says otherwise (`isPausedUponCreation`) or
 * `pausedAtCreation` is false: a new DAG gets no scheduled runs until `riffle dag unpause`.
 */
export async function recordDags(store: MetadataStore, dags: Iterable<Dag>, o: { pausedAtCreation?: boolean } = {}): Promise<void> {
  for (const d of dags) {
    const existing = await store.getDag(d.id);
    await store.upsertDag({
      dagId: d.id, fileloc: d.fileloc ?? '', schedule: d.schedule.spec, timezone: d.timezone, isPaused: existing?.isPaused ?? d.isPausedUponCreation ?? o.pausedAtCreation ?? true,
      tags: [...d.tags], description: d.description ?? null,
    });
  }
}

/** Creates a manual run (queued: a scheduler starts it); throws RUN_EXISTS if the logical date already has a run. */
export async function triggerDagRun(store: MetadataStore, dag: Dag, o: { logicalDate?: number; conf?: Record<string, unknown>; now?: number } = {}): Promise<DagRunRecord> {
  const now = o.now ?? Date.now();
  if (!(await store.getDag(dag.id))) await recordDags(store, [dag]);
  const run = newDagRun(dag, 'manual', o.logicalDate ?? now, o.conf ?? {}, now);
  if (!(await store.createDagRun(run))) {
    throw new SchedulerError('RUN_EXISTS', `dag '${dag.id}' already has a run for ${new Date(run.logicalDate).toISOString()}`, { hint: 'clear that run to re-run it, or pick another logical date' });
  }
  return run;
}

/** Pauses or unpauses a DAG: a scheduler creates no scheduled runs for a paused DAG (triggered runs still run). */
export async function setDagPaused(store: MetadataStore, dag: Dag, paused: boolean): Promise<void> {
  if (!(await store.getDag(dag.id))) await recordDags(store, [dag]);
  await store.setDagPaused(dag.id, paused);
}

/** The run, or a SchedulerError naming the runs there are. */
export async function requireRun(store: MetadataStore, dagId: string, runId: string): Promise<DagRunRecord> {
  const run = await store.getDagRun(dagId, runId);
  if (run) return run;
  const runs = await store.listDagRuns({ dagId });
  const recent = runs.slice(-5).map((r) => r.runId);
  throw new SchedulerError('RUN_NOT_FOUND', `dag '${dagId}' has no run '${runId}'`, {
    hint: runs.length === 0 ? 'it has no runs yet' : `latest runs: ${recent.join(', ')} (riffle dag runs ${dagId})`,
  });
}

/**
 * The task ids that `selectors` name in `dag`: a task id, or a group id (every task under `group.`); with
 * `downstream`, plus every task reachable downstream of those.
 */
export function selectTasks(dag: Dag, selectors: readonly string[], o: { downstream?: boolean } = {}): string[] {
  const chosen = new Set<string>();
  for (const s of selectors) {
    const matches = dag.hasTask(s) ? [s] : dag.tasks.filter((t) => t.id.startsWith(`${s}.`)).map((t) => t.id);
    if (matches.length === 0) dag.getTask(s); // throws, naming the tasks there are
    for (const m of matches) chosen.add(m);
  }
  if (o.downstream) {
    const stack = [...chosen];
    while (stack.length > 0) {
      for (const d of dag.getTask(stack.pop()!).downstreamIds) {
        if (!chosen.has(d)) {
          chosen.add(d);
          stack.push(d);
        }
      }
    }
  }
  const order = dag.topologicalOrder().map((t) => t.id);
  return order.filter((id) => chosen.has(id));
}

/** The instances of `taskIds` in the run; refuses instances an executor holds. */
async function instancesOf(store: MetadataStore, dag: Dag, run: DagRunRecord, taskIds: readonly string[], what: string): Promise<TaskInstanceRecord[]> {
  const all = await store.listTaskInstances({ dagId: dag.id, runId: run.runId });
  if (all.length === 0) {
    throw new SchedulerError('RUN_NOT_STARTED', `run '${run.runId}' of dag '${dag.id}' has not started yet (it is ${run.state}); there is nothing to ${what}`, { hint: 'a scheduler creates its task instances when it starts the run' });
  }
  const wanted = new Set(taskIds);
  const tis = all.filter((ti) => wanted.has(ti.taskId)).sort((a, b) => a.taskId.localeCompare(b.taskId) || a.mapIndex - b.mapIndex);
  const busy = tis.filter((ti) => ACTIVE.includes(ti.state));
  if (busy.length > 0) {
    throw new SchedulerError('TASK_ACTIVE', `cannot ${what} ${busy.map((t) => `'${t.taskId}${t.mapIndex >= 0 ? `[${t.mapIndex}]` : ''}'`).join(', ')}: ${busy.length === 1 ? 'it is' : 'they are'} ${busy[0]!.state}`, {
      hint: 'wait until the attempt ends (riffle dag tasks shows the states), then try again',
    });
  }
  return tis;
}

export interface ClearResult {
  run: DagRunRecord;
  /** The instances reset to `none`, as they were before. */
  cleared: TaskInstanceRecord[];
}

/**
 * Resets the instances of the selected tasks (with `downstream`, also of every task downstream) to `none`, clears
 * their XComs, and puts the run back to running: a scheduler then decides and runs them again. Each cleared
 * instance gets a fresh set of tries on top of the ones it used (its attempt numbers, and logs, continue).
 */
export async function clearTaskInstances(store: MetadataStore, dag: Dag, runId: string, selectors: readonly string[], o: { downstream?: boolean } = {}): Promise<ClearResult> {
  const run = await requireRun(store, dag.id, runId);
  const taskIds = selectTasks(dag, selectors, o);
  const tis = await instancesOf(store, dag, run, taskIds, 'clear');
  const cleared: TaskInstanceRecord[] = [];
  for (const ti of tis) {
    const task = dag.getTask(ti.taskId);
    const patch: Partial<TaskInstanceRecord> = {
      state: 'none', scheduledAt: null, maxTries: ti.tryNumber + task.maxTries, startDate: null, endDate: null, duration: null, pid: null, heartbeatAt: null,
      nextAttemptAt: null, firstAttemptAt: null, owner: null, error: null,
    };
    if (!(await store.updateTaskInstance(ti, patch, { states: [ti.state], tryNumber: ti.tryNumber }))) {
      throw new SchedulerError('TASK_CHANGED', `task instance '${ti.taskId}' changed while being cleared; nothing after it was cleared`, { hint: 'run the command again' });
    }
    await store.clearXComs(ti);
    cleared.push(ti);
  }
  if (run.state === 'success' || run.state === 'failed') await store.updateDagRun(dag.id, runId, { state: 'running', endDate: null }, [run.state]);
  return { run: (await store.getDagRun(dag.id, runId))!, cleared };
}

export interface MarkResult {
  run: DagRunRecord;
  marked: TaskInstanceRecord[];
}

/**
 * Sets the selected tasks' instances to success or failed (map instances of an expanded task, the task itself
 * otherwise). In a running run a scheduler carries on from there; in a finished run, the run's state is computed
 * again from its instances.
 */
export async function markTaskInstances(store: MetadataStore, dag: Dag, runId: string, selectors: readonly string[], state: 'success' | 'failed', o: { downstream?: boolean; now?: number } = {}): Promise<MarkResult> {
  const run = await requireRun(store, dag.id, runId);
  const taskIds = selectTasks(dag, selectors, o);
  const tis = (await instancesOf(store, dag, run, taskIds, `mark ${state}`)).filter((ti) => ti.state !== 'mapped');
  const now = o.now ?? Date.now();
  const marked: TaskInstanceRecord[] = [];
  for (const ti of tis) {
    if (ti.state === state) continue;
    const patch: Partial<TaskInstanceRecord> = { state, endDate: now, nextAttemptAt: null, error: state === 'failed' ? 'marked failed' : null };
    if (!(await store.updateTaskInstance(ti, patch, { states: [ti.state], tryNumber: ti.tryNumber }))) {
      throw new SchedulerError('TASK_CHANGED', `task instance '${ti.taskId}' changed while being marked`, { hint: 'run the command again' });
    }
    marked.push({ ...ti, ...patch });
  }
  if (run.state === 'success' || run.state === 'failed') {
    const after = await store.listTaskInstances({ dagId: dag.id, runId });
    const states = new Map<string, TaskState[]>();
    for (const ti of after) {
      const placeholder = after.find((t) => t.taskId === ti.taskId && t.mapIndex === -1);
      if (placeholder?.state === 'mapped' && ti.mapIndex === -1) continue;
      states.set(ti.taskId, [...(states.get(ti.taskId) ?? []), ti.state]);
    }
    const outcome = runOutcome(states);
    const next = outcome ?? 'running';
    if (next !== run.state) await store.updateDagRun(dag.id, runId, { state: next, endDate: outcome ? now : null }, [run.state]);
  }
  return { run: (await store.getDagRun(dag.id, runId))!, marked };
}
