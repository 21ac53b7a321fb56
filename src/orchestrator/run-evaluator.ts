/**
 * Decides, for the task instances of one DAG run, which tasks become ready, which settle as skipped or
 * upstream_failed without running, and whether the run is over. Pure: it sees states and branch choices only.
 * Tasks are visited in topological order so that a skip or failure propagates down a whole chain in one pass.
 */
import type { Dag } from './dag.ts';
import type { DagRunState, TaskState } from './metadata-store.ts';
import { evaluateTriggerRule, type TriggerDecision, type UpstreamCounts } from './trigger-rules.ts';

/** The states of a task's instances in a run: one for unmapped tasks; the map instances' for expanded ones. */
export type TaskStates = ReadonlyMap<string, readonly TaskState[]>;

export interface RunView {
  /** taskId → states of its instances (an expanded task lists its map instances, not the placeholder). */
  states: Map<string, TaskState[]>;
  /** Branch task id → the downstream ids it chose (once it succeeded). */
  followed: ReadonlyMap<string, readonly string[]>;
  /** Tasks whose previous-run instance blocks them (depends_on_past not met). */
  blockedByPast: ReadonlySet<string>;
}

export interface Decision {
  taskId: string;
  decision: Exclude<TriggerDecision, 'wait'>;
}

const FINAL = new Set<TaskState>(['success', 'failed', 'skipped', 'upstream_failed']);

/** Counts the states of `taskId`'s direct upstream instances. */
export function countUpstream(dag: Dag, taskId: string, states: Map<string, TaskState[]>): UpstreamCounts {
  const c: UpstreamCounts = { success: 0, failed: 0, upstreamFailed: 0, skipped: 0, done: 0, total: 0 };
  for (const up of dag.getTask(taskId).upstreamIds) {
    for (const s of states.get(up) ?? ['none']) {
      c.total++;
      if (s === 'success') c.success++;
      else if (s === 'failed') c.failed++;
      else if (s === 'upstream_failed') c.upstreamFailed++;
      else if (s === 'skipped') c.skipped++;
      if (FINAL.has(s)) c.done++;
    }
  }
  return c;
}

/**
 * Decisions for tasks still in `none`. Strategy, per task in topological order:
 * 1. a direct downstream of a succeeded branch that the branch did not follow (nor can reach through a followed
 *    task) is skipped;
 * 2. otherwise its trigger rule decides on the upstream counts;
 * 3. `run` waits while depends_on_past is not met.
 * Each decision updates the view, so downstream tasks see it in the same pass.
 */
export function decideRun(dag: Dag, order: readonly string[], view: RunView): Decision[] {
  const out: Decision[] = [];
  for (const taskId of order) {
    const own = view.states.get(taskId);
    if (!own || own.length !== 1 || own[0] !== 'none') continue;
    let decision: TriggerDecision | undefined;
    for (const up of dag.getTask(taskId).upstreamIds) {
      const chosen = view.followed.get(up);
      if (chosen && !chosen.includes(taskId) && !chosen.some((f) => dag.reaches(f, taskId))) decision = 'skip';
    }
    decision ??= evaluateTriggerRule(dag.getTask(taskId).options.triggerRule, countUpstream(dag, taskId, view.states));
    if (decision === 'run' && view.blockedByPast.has(taskId)) decision = 'wait';
    if (decision === 'wait') continue;
    out.push({ taskId, decision });
    view.states.set(taskId, [decision === 'run' ? 'scheduled' : decision === 'skip' ? 'skipped' : 'upstream_failed']);
  }
  return out;
}

/** The run's final state once every instance is final, else undefined. Any failed or upstream_failed instance fails the run. */
export function runOutcome(states: Map<string, TaskState[]>): Extract<DagRunState, 'success' | 'failed'> | undefined {
  let failed = false;
  for (const list of states.values()) {
    for (const s of list) {
      if (!FINAL.has(s)) return undefined;
      if (s === 'failed' || s === 'upstream_failed') failed = true;
    }
  }
  return failed ? 'failed' : 'success';
}
