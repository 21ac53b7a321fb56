/**
 * The job graph as the console draws it: the server's steps and edges become ELK's input (node sizes from the step
 * names), and each poll's per-step counts become throughputs (the change of elements out between two polls) and
 * watermark lags, which colour the steps.
 *
 * The server gives each step's live throughput and watermark lag while a job runs (about every second) and its
 * final counts after; where it gives no rate (an older server, final counts), the rate is the change of elements
 * out between two polls. Steps without figures are drawn neutral.
 */
import type { JobGraph, StepMetrics } from '../api/types.ts';

export const NODE_HEIGHT = 54;

/** ELK's graph input: what elkjs's `layout()` takes (the subset the console uses). */
export interface ElkInput {
  id: string;
  layoutOptions: Record<string, string>;
  children: Array<{ id: string; width: number; height: number }>;
  edges: Array<{ id: string; sources: string[]; targets: string[] }>;
}

/** A step's width: its name and kind at the node's font, within bounds. */
export function nodeWidth(name: string, kind: string): number {
  // the meta line holds the kind, "1.2k → 1.2k" and a rate
  return Math.min(320, Math.max(150, 24 + 7.2 * Math.max(name.length, kind.length + 24)));
}

/** ELK input for a job graph: layered, left to right; edges between known steps only, one per (from, to, kind). */
export function elkInput(graph: Pick<JobGraph, 'steps' | 'edges'>): ElkInput {
  const names = new Set(graph.steps.map((s) => s.name));
  const seen = new Set<string>();
  const edges: ElkInput['edges'] = [];
  for (const e of graph.edges) {
    const id = `${e.from}\u0000${e.to}\u0000${e.kind}`;
    if (!names.has(e.from) || !names.has(e.to) || seen.has(id)) continue;
    seen.add(id);
    edges.push({ id, sources: [e.from], targets: [e.to] });
  }
  return {
    id: 'job',
    layoutOptions: {
      'elk.algorithm': 'layered',
      'elk.direction': 'RIGHT',
      'elk.layered.spacing.nodeNodeBetweenLayers': '48',
      'elk.spacing.nodeNode': '22',
      'elk.layered.nodePlacement.strategy': 'BRANDES_KOEPF',
    },
    children: graph.steps.map((s) => ({ id: s.name, width: nodeWidth(s.name, s.kind), height: NODE_HEIGHT })),
    edges,
  };
}

/** One poll's figures of a step. */
export interface StepSample {
  /** ms since epoch (the poll's time). */
  t: number;
  /** elements out per second since the previous poll, null on the first. */
  rate: number | null;
  /** now − the step's watermark in ms, null when it reports none. */
  lagMs: number | null;
}

/**
 * Per-step histories across polls (bounded: the latest `capacity` samples), from which the rates are computed.
 * @example
 *   const h = new StepHistory(120);
 *   h.add(graph, Date.now()); // each poll
 *   h.samples('parse');       // [{ t, rate, lagMs }, ...]
 */
export class StepHistory {
  private readonly last = new Map<string, { t: number; out: number }>();
  private readonly series = new Map<string, StepSample[]>();
  private readonly jobSeries: Array<{ t: number; rate: number | null }> = [];
  private lastJob: { t: number; processed: number } | undefined;

  constructor(private readonly capacity = 300) {}

  add(graph: JobGraph, t: number): void {
    for (const s of graph.steps) {
      const m = s.metrics;
      if (m === null) continue;
      const prev = this.last.get(s.name);
      const measured = prev !== undefined && t > prev.t ? Math.max(0, ((m.elementsOut - prev.out) * 1000) / (t - prev.t)) : null;
      const rate = m.outPerSecond ?? (m.live === false ? null : measured);
      this.last.set(s.name, { t, out: m.elementsOut });
      push(this.series, s.name, { t, rate, lagMs: lagOf(m, t) }, this.capacity);
    }
    if (graph.progress !== null) {
      const p = graph.progress;
      const rate = this.lastJob !== undefined && t > this.lastJob.t ? Math.max(0, ((p.elementsProcessed - this.lastJob.processed) * 1000) / (t - this.lastJob.t)) : null;
      this.lastJob = { t, processed: p.elementsProcessed };
      this.jobSeries.push({ t, rate });
      if (this.jobSeries.length > this.capacity) this.jobSeries.shift();
    }
  }

  samples(step: string): readonly StepSample[] {
    return this.series.get(step) ?? [];
  }

  /** The whole job's processing rate per poll. */
  jobRates(): ReadonlyArray<{ t: number; rate: number | null }> {
    return this.jobSeries;
  }

  /** The latest rate of a step (null before two polls with figures). */
  latestRate(step: string): number | null {
    const s = this.series.get(step);
    return s === undefined || s.length === 0 ? null : s[s.length - 1]!.rate;
  }

  /** The latest watermark lag of a step (null when it reports none). */
  latestLag(step: string): number | null {
    const s = this.series.get(step);
    return s === undefined || s.length === 0 ? null : s[s.length - 1]!.lagMs;
  }
}

function push(map: Map<string, StepSample[]>, key: string, sample: StepSample, capacity: number): void {
  let list = map.get(key);
  if (list === undefined) map.set(key, (list = []));
  list.push(sample);
  if (list.length > capacity) list.shift();
}

function lagOf(m: StepMetrics, t: number): number | null {
  if (m.watermarkLagMs !== undefined) return m.watermarkLagMs;
  if (m.watermark === null || m.live === false) return null;
  const w = Date.parse(m.watermark);
  return Number.isFinite(w) ? Math.max(0, t - w) : null;
}

/** How a step is drawn: a fill colour and what the colour says. */
export interface StepLook {
  fill: string;
  border: string;
  reason: 'errors' | 'lag' | 'throughput' | 'idle' | 'no-figures';
}

/**
 * The colour of a step: red when it has errors; else by watermark lag when known (green under 10 s, amber under
 * 1 min, red past it); else by throughput relative to the busiest step (light to deep blue); grey without figures.
 */
export function stepLook(m: StepMetrics | null, rate: number | null, maxRate: number, lagMs: number | null): StepLook {
  if (m === null) return { fill: '#f4f5f7', border: '#c3c8d0', reason: 'no-figures' };
  if (m.errors > 0) return { fill: '#fde7e6', border: '#c9372c', reason: 'errors' };
  if (lagMs !== null) {
    if (lagMs < 10_000) return { fill: '#e3f4e8', border: '#2f8f4e', reason: 'lag' };
    if (lagMs < 60_000) return { fill: '#fff3d6', border: '#c48a00', reason: 'lag' };
    return { fill: '#fde7e6', border: '#c9372c', reason: 'lag' };
  }
  if (rate === null || rate <= 0 || maxRate <= 0) return { fill: '#f7f9fc', border: '#8da2bf', reason: 'idle' };
  const share = Math.min(1, rate / maxRate);
  // light blue (share 0) → deep blue (share 1), in lightness
  const lightness = Math.round(95 - share * 30);
  return { fill: `hsl(214 80% ${lightness}%)`, border: '#1f5fbf', reason: 'throughput' };
}
