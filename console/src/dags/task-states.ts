/** Task instance and DAG run states, their colours (close to Airflow's, which data teams read at a glance) and order. */
export const TASK_STATES = ['none', 'scheduled', 'queued', 'running', 'up_for_retry', 'up_for_reschedule', 'success', 'failed', 'skipped', 'upstream_failed', 'mapped', 'removed'] as const;

const COLOURS: Record<string, string> = {
  none: '#e8eaed', scheduled: '#d2b48c', queued: '#9aa0a6', running: '#4cae4c', up_for_retry: '#f0c419', up_for_reschedule: '#6fc1d3',
  success: '#1e8e3e', failed: '#d93025', skipped: '#e48fd6', upstream_failed: '#f29900', mapped: '#6e7ad8', removed: '#cfd2d6',
  // runs
  success_run: '#1e8e3e',
};

/** The fill of a state (an unknown state is drawn as 'none'). */
export function stateColour(state: string): string {
  return COLOURS[state] ?? COLOURS.none!;
}

/**
 * How bad a state is, to summarise several instances (a mapped task's) in one cell: failed beats running beats
 * success. Higher is worse.
 */
const SEVERITY: Record<string, number> = {
  success: 1, skipped: 2, mapped: 2, removed: 0, none: 3, scheduled: 4, queued: 5, up_for_reschedule: 6, running: 7, up_for_retry: 8, upstream_failed: 9, failed: 10,
};

export function worse(a: string, b: string): string {
  return (SEVERITY[b] ?? 3) > (SEVERITY[a] ?? 3) ? b : a;
}
