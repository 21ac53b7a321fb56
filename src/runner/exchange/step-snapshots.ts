/**
 * Live step figures across worker threads: a worker's snapshots travel as a metrics report (numbers only, keyed
 * `<field>\u0000<step>`), and the coordinator sums each step's counters over the workers and takes the least of
 * their watermarks (the job's watermark is the slowest worker's). A read's backlog travels as `backlogElements` or
 * `backlogBytes` and is summed over the workers that report one (each reads its own share).
 */
import type { StepSnapshot } from '../local/index.ts';

const COUNTERS = ['elementsIn', 'elementsOut', 'errors', 'droppedLate'] as const;
const WATERMARKS = ['inputWatermark', 'outputWatermark'] as const;
/** A watermark not reached yet travels as this (reports hold numbers only). */
const NONE = -1e16;

/** One worker's snapshots as a metrics report. */
export function encodeStepSnapshots(steps: readonly StepSnapshot[]): Record<string, number> {
  const out: Record<string, number> = { stepMetrics: 1 };
  for (const s of steps) {
    for (const f of COUNTERS) out[`${f}\u0000${s.step}`] = s[f];
    for (const f of WATERMARKS) out[`${f}\u0000${s.step}`] = s[f] ?? NONE;
    if (s.backlog !== undefined) out[`${s.backlog.unit === 'bytes' ? 'backlogBytes' : 'backlogElements'}\u0000${s.step}`] = s.backlog.amount;
  }
  return out;
}

/** The job's snapshots from each worker's latest report (workers that have not reported yet are left out). */
export function sumStepSnapshots(reports: ReadonlyArray<Record<string, number> | undefined>): StepSnapshot[] {
  const steps = new Map<string, { elementsIn: number; elementsOut: number; errors: number; droppedLate: number; inputWatermark: number; outputWatermark: number; backlogElements?: number; backlogBytes?: number }>();
  for (const r of reports) {
    if (r === undefined) continue;
    for (const [key, value] of Object.entries(r)) {
      const cut = key.indexOf('\u0000');
      if (cut < 0) continue;
      const field = key.slice(0, cut);
      const name = key.slice(cut + 1);
      let s = steps.get(name);
      if (s === undefined) steps.set(name, (s = { elementsIn: 0, elementsOut: 0, errors: 0, droppedLate: 0, inputWatermark: Infinity, outputWatermark: Infinity }));
      if (field === 'inputWatermark' || field === 'outputWatermark') s[field] = Math.min(s[field], value);
      else if ((COUNTERS as readonly string[]).includes(field)) s[field as (typeof COUNTERS)[number]] += value;
      else if (field === 'backlogElements' || field === 'backlogBytes') s[field] = (s[field] ?? 0) + value;
    }
  }
  const wm = (t: number) => (t <= NONE || !Number.isFinite(t) ? null : t);
  return [...steps].map(([step, s]) => {
    const backlog = s.backlogElements !== undefined ? { amount: s.backlogElements, unit: 'elements' as const } : s.backlogBytes !== undefined ? { amount: s.backlogBytes, unit: 'bytes' as const } : undefined;
    return { step, elementsIn: s.elementsIn, elementsOut: s.elementsOut, errors: s.errors, droppedLate: s.droppedLate, inputWatermark: wm(s.inputWatermark), outputWatermark: wm(s.outputWatermark), ...(backlog ? { backlog } : {}) };
  });
}
