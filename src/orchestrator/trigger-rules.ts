/**
 * Trigger rules: when a task may run, given the states of its direct upstream tasks. Pure: the scheduler counts
 * upstream states and asks `evaluateTriggerRule`, which answers run now, wait, or settle the task as skipped or
 * upstream_failed without running it (that settlement is how skips and failures propagate downstream).
 * @example
 *   evaluateTriggerRule('one_success', { success: 1, failed: 0, upstreamFailed: 0, skipped: 0, done: 1, total: 3 }) // 'run'
 */

/** The rules of Airflow 2.x (plus `one_done`). */
export const TRIGGER_RULES = [
  'all_success', 'all_failed', 'all_done', 'all_skipped', 'one_success', 'one_failed', 'one_done',
  'none_failed', 'none_failed_min_one_success', 'none_skipped', 'always',
] as const;
export type TriggerRule = (typeof TRIGGER_RULES)[number];

/** Counts of the direct upstream task instances' states (mapped upstreams count once per map index). */
export interface UpstreamCounts {
  success: number;
  failed: number;
  upstreamFailed: number;
  skipped: number;
  /** Upstreams in a final state (the four above). */
  done: number;
  total: number;
}

/** The decision for a task whose upstreams are counted. */
export type TriggerDecision = 'run' | 'wait' | 'skip' | 'upstream_failed';

/** Evaluates one rule. `wait` means "not yet decidable"; every rule decides once all upstreams are done. */
export function evaluateTriggerRule(rule: TriggerRule, c: UpstreamCounts): TriggerDecision {
  const failures = c.failed + c.upstreamFailed;
  const allDone = c.done === c.total;
  switch (rule) {
    case 'always':
      return 'run';
    case 'all_success':
      if (failures > 0) return 'upstream_failed';
      if (c.skipped > 0) return 'skip';
      return allDone ? 'run' : 'wait';
    case 'all_failed':
      if (c.success > 0 || c.skipped > 0) return 'skip';
      return allDone ? 'run' : 'wait';
    case 'all_done':
      return allDone ? 'run' : 'wait';
    case 'all_skipped':
      if (c.success > 0 || failures > 0) return 'skip';
      return allDone ? 'run' : 'wait';
    case 'one_success':
      if (c.success > 0) return 'run';
      if (!allDone) return 'wait';
      return c.skipped === c.total ? 'skip' : 'upstream_failed';
    case 'one_failed':
      if (failures > 0) return 'run';
      return allDone ? 'skip' : 'wait';
    case 'one_done':
      if (c.success > 0 || failures > 0) return 'run';
      return allDone ? 'skip' : 'wait';
    case 'none_failed':
      if (failures > 0) return 'upstream_failed';
      return allDone ? 'run' : 'wait';
    case 'none_failed_min_one_success':
      if (failures > 0) return 'upstream_failed';
      if (!allDone) return 'wait';
      return c.success > 0 || c.total === 0 ? 'run' : 'skip';
    case 'none_skipped':
      if (c.skipped > 0) return 'skip';
      return allDone ? 'run' : 'wait';
  }
}
