/**
 * A run's Gantt chart as data: one bar per task instance that started (queued time before it, in a lighter shade),
 * ordered by start, on a time axis from the run's first event to its last (or now while it runs), with tick marks at
 * round intervals.
 */
import type { DagRun, TaskInstance } from '../api/types.ts';

export interface GanttBar {
  label: string;
  state: string;
  start: number;
  end: number;
  /** When it was queued or scheduled, if earlier than the start. */
  queued: number | null;
  running: boolean;
  ti: TaskInstance;
}

export interface GanttModel {
  from: number;
  to: number;
  bars: GanttBar[];
  /** Instances that never started (listed, not drawn). */
  notStarted: number;
}

export function buildGantt(run: DagRun, instances: readonly TaskInstance[], now = Date.now()): GanttModel {
  const bars: GanttBar[] = [];
  let notStarted = 0;
  for (const ti of instances) {
    if (ti.startDate === null) {
      notStarted++;
      continue;
    }
    const start = Date.parse(ti.startDate);
    const end = ti.endDate !== null ? Date.parse(ti.endDate) : now;
    const scheduled = (ti as { scheduledAt?: string | null }).scheduledAt;
    const queued = typeof scheduled === 'string' && Date.parse(scheduled) < start ? Date.parse(scheduled) : null;
    bars.push({ label: ti.mapIndex >= 0 ? `${ti.taskId}[${ti.mapIndex}]` : ti.taskId, state: ti.state, start, end: Math.max(start, end), queued, running: ti.endDate === null, ti });
  }
  bars.sort((a, b) => a.start - b.start || a.label.localeCompare(b.label, undefined, { numeric: true }));
  const runStart = run.startDate !== null ? Date.parse(run.startDate) : Number.POSITIVE_INFINITY;
  const from = Math.min(runStart, ...bars.map((b) => b.queued ?? b.start));
  const runEnd = run.endDate !== null ? Date.parse(run.endDate) : Number.NEGATIVE_INFINITY;
  const to = Math.max(runEnd, ...bars.map((b) => b.end));
  const ok = Number.isFinite(from) && Number.isFinite(to);
  return { from: ok ? from : now, to: ok ? Math.max(to, from + 1) : now + 1, bars, notStarted };
}

/** Round tick intervals: 1 s … 1 d. */
const STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14_400, 21_600, 43_200, 86_400].map((s) => s * 1000);

/** Ticks (ms offsets from `from`) so that about `target` of them span the axis. */
export function ticks(from: number, to: number, target = 8): number[] {
  const span = Math.max(1, to - from);
  const step = STEPS.find((s) => span / s <= target) ?? Math.ceil(span / target / 86_400_000) * 86_400_000;
  const out: number[] = [];
  for (let t = 0; t <= span; t += step) out.push(t);
  return out;
}
