/**
 * Each job's live step figures as the server keeps them: the latest snapshot of every step and a short history
 * (the last `capacity` snapshots, about one a second), from which throughput and watermark lag are derived for the
 * graph, the metrics-history route and /metrics. Snapshots come from the job's `steps` events (job-events.ts).
 */
import type { JobStepSnapshot } from '../observe/index.ts';

/** A point of a step's history: its counters then, and what follows from the point before. */
export interface StepPoint {
  readonly at: number;
  readonly elementsIn: number;
  readonly elementsOut: number;
  readonly errors: number;
  readonly droppedLate: number;
  /** Event-time ms, null before any watermark; at the end of time once the step's input ended. */
  readonly outputWatermark: number | null;
  /** Processing time minus the output watermark (ms) while the watermark is behind the clock, else null. */
  readonly watermarkLagMs: number | null;
  /** Elements a second into and out of the step since the previous point (null at the first). */
  readonly inPerSecond: number | null;
  readonly outPerSecond: number | null;
  /** A read step's backlog as its source told it (elements or bytes left), null when it does not know. */
  readonly backlog: number | null;
  readonly backlogUnit: 'elements' | 'bytes' | null;
}

/** Event-time ms at or past which a watermark is "the end of the input" (end of the global window). */
export const WATERMARK_END = 8.64e15 - 86_400_000;

export class StepHistory {
  private readonly points = new Map<string, StepPoint[]>();
  private lastAt = -Infinity;

  constructor(private readonly capacity = 300) {}

  /** Adds one snapshot of every step, taken at `at` (ms). Snapshots older than the last one are ignored. */
  add(at: number, steps: readonly JobStepSnapshot[]): void {
    if (at < this.lastAt) return;
    this.lastAt = at;
    for (const s of steps) {
      let list = this.points.get(s.step);
      if (list === undefined) this.points.set(s.step, (list = []));
      const prev = list.at(-1);
      const seconds = prev === undefined ? 0 : (at - prev.at) / 1000;
      const rate = (now: number, before: number | undefined) => (prev === undefined || seconds <= 0 || before === undefined ? null : Math.max(0, (now - before) / seconds));
      const wm = s.outputWatermark;
      list.push({
        at, elementsIn: s.elementsIn, elementsOut: s.elementsOut, errors: s.errors, droppedLate: s.droppedLate, outputWatermark: wm,
        watermarkLagMs: wm === null || wm >= WATERMARK_END ? null : Math.max(0, at - wm),
        inPerSecond: rate(s.elementsIn, prev?.elementsIn), outPerSecond: rate(s.elementsOut, prev?.elementsOut),
        backlog: s.backlog?.amount ?? null, backlogUnit: s.backlog?.unit ?? null,
      });
      if (list.length > this.capacity) list.splice(0, list.length - this.capacity);
    }
  }

  /** The latest point of each step. */
  latest(): Map<string, StepPoint> {
    const out = new Map<string, StepPoint>();
    for (const [step, list] of this.points) {
      const last = list.at(-1);
      if (last !== undefined) out.set(step, last);
    }
    return out;
  }

  /** The history of each step (or of the named one), oldest first, the last `limit` points. */
  history(step?: string, limit = this.capacity): Array<{ step: string; points: StepPoint[] }> {
    const out: Array<{ step: string; points: StepPoint[] }> = [];
    for (const [name, list] of this.points) if (step === undefined || name === step) out.push({ step: name, points: list.slice(-limit) });
    return out;
  }

  get empty(): boolean {
    return this.points.size === 0;
  }
}
