/**
 * A job's graph as `GET /api/jobs/{id}/graph` answers it: the steps and edges of its `graph` event, each step with
 * its figures — the final counts once the job has ended (its `result` event), else the latest live snapshot — and
 * its watermark, watermark lag and throughput from the step history; the whole job's latest progress; the result.
 */
import type { JobEvent } from '../observe/index.ts';
import { WATERMARK_END, type StepHistory, type StepPoint } from './step-history.ts';

export interface StepFigures {
  elementsIn: number;
  elementsOut: number;
  errors: number;
  droppedLate: number;
  watermark: string | null;
  inputEnded: boolean;
  watermarkLagMs: number | null;
  inPerSecond: number | null;
  outPerSecond: number | null;
  /** A read step's backlog while the job runs (its source's SourceBacklog), null when unknown or once ended. */
  backlog: number | null;
  backlogUnit: 'elements' | 'bytes' | null;
  live: boolean;
  at: string | null;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** A point's watermark as the API shows it: an ISO time, or null with `inputEnded` at the end of the input. */
export function watermarkOf(wm: number | null): { watermark: string | null; inputEnded: boolean } {
  if (wm === null) return { watermark: null, inputEnded: false };
  if (wm >= WATERMARK_END) return { watermark: null, inputEnded: true };
  return { watermark: iso(wm), inputEnded: false };
}

export function pointJson(p: StepPoint) {
  return { at: iso(p.at), elementsIn: p.elementsIn, elementsOut: p.elementsOut, errors: p.errors, droppedLate: p.droppedLate, ...watermarkOf(p.outputWatermark), watermarkLagMs: p.watermarkLagMs, inPerSecond: p.inPerSecond, outPerSecond: p.outPerSecond, backlog: p.backlog, backlogUnit: p.backlogUnit };
}

export function jobGraphOf(events: readonly JobEvent[], history: StepHistory) {
  const graph = events.find((e) => e.type === 'graph');
  const result = events.find((e) => e.type === 'result');
  const progress = events.findLast((e) => e.type === 'progress');
  const final = new Map((result?.type === 'result' ? result.steps : []).map((s) => [s.step, s]));
  const latest = history.latest();
  const figures = (name: string): StepFigures | null => {
    const m = final.get(name);
    const p = latest.get(name);
    if (m === undefined && p === undefined) return null;
    const counts = m ?? p!;
    return {
      elementsIn: counts.elementsIn, elementsOut: counts.elementsOut, errors: counts.errors, droppedLate: counts.droppedLate,
      ...watermarkOf(p?.outputWatermark ?? null), watermarkLagMs: m !== undefined ? null : (p?.watermarkLagMs ?? null),
      inPerSecond: m !== undefined ? null : (p?.inPerSecond ?? null), outPerSecond: m !== undefined ? null : (p?.outPerSecond ?? null),
      backlog: m !== undefined ? null : (p?.backlog ?? null), backlogUnit: m !== undefined ? null : (p?.backlogUnit ?? null), live: m === undefined, at: p !== undefined ? iso(p.at) : null,
    };
  };
  return {
    steps: (graph?.type === 'graph' ? graph.steps : []).map((s) => ({ name: s.name, kind: s.kind, metrics: figures(s.name) })),
    edges: graph?.type === 'graph' ? graph.edges.map((e) => ({ ...e })) : [],
    progress: progress?.type === 'progress'
      ? { elementsRead: progress.elementsRead, elementsProcessed: progress.elementsProcessed, deadLetters: progress.deadLetters, sourcesDone: progress.sourcesDone, sources: progress.sources, bytesEstimated: progress.bytesEstimated, phase: progress.phase, ...(progress.step !== undefined ? { step: progress.step } : {}), at: iso(progress.at) }
      : null,
    result: result?.type === 'result' ? { state: result.state, durationMs: result.durationMs, deadLetters: result.deadLetters } : null,
  };
}
