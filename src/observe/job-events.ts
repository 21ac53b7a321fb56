/**
 * A job's machine-readable event stream: JSON Lines that `riffle run` appends to the file named by
 * $RIFFLE_JOB_EVENTS (the server sets it for the jobs it starts), read back by the server for a job's state, graph
 * and metrics. Three kinds of line, in this order:
 * - `graph` once the pipeline is built and its parameters checked (steps and edges): the job is about to run;
 * - `progress` while it runs (at most every 250 ms: elements read and emitted, sources done, rejected records);
 * - `steps` while it runs (about every second, and once at the end): each step's counters and watermarks;
 * - `result` when the run ends (its state and each step's elements in/out, errors and dropped-late elements).
 * Appends are single writes of whole lines, so a reader sees whole lines but for, at worst, a torn last one (the
 * process was killed mid-write), which it skips.
 * @example
 *   const events = openJobEvents(process.env.RIFFLE_JOB_EVENTS!, p.graph);
 *   await p.run({ onProgress: (x) => events.progress(x) }); events.result(result);
 */
import { appendFileSync } from 'node:fs';
import type { PipelineGraph, PipelineResult, StepMetrics } from '../model/index.ts';
import type { Progress, StepSnapshot } from '../runner/index.ts';
import { columnLineageOf, datasetsOfDescription, type DatasetColumnLineage } from './column-lineage.ts';

/** The environment variable naming the events file of a `riffle run`. */
export const JOB_EVENTS_ENV = 'RIFFLE_JOB_EVENTS';

/** A step of the pipeline graph: its full name and primitive kind. */
export interface JobStep {
  readonly name: string;
  readonly kind: string;
}

/** An edge: `from` produces a collection that `to` reads, as its main input or as a side input. */
export interface JobEdge {
  readonly from: string;
  readonly to: string;
  readonly kind: 'main' | 'side';
  /** The collection's name (`Parse/ParDo.main`). */
  readonly collection: string;
}

/** What the engine reports while a job runs: the runner's Progress, as written to the events file. */
export type JobProgress = Progress;

/** A step's live figures, as the runner reports them (watermarks in event-time ms, null before the first). */
export type JobStepSnapshot = StepSnapshot;

/** A dataset a job read or wrote: files as `file` + absolute path (OpenLineage's naming for local files). */
export interface JobDataset {
  readonly namespace: string;
  readonly name: string;
  /** An output's column lineage, where the pipeline knows it (ColumnLineageDatasetFacet's fields and dataset). */
  readonly columnLineage?: DatasetColumnLineage;
}

export type JobEvent =
  | { readonly type: 'graph'; readonly at: number; readonly steps: readonly JobStep[]; readonly edges: readonly JobEdge[] }
  | ({ readonly type: 'progress'; readonly at: number } & JobProgress)
  | { readonly type: 'steps'; readonly at: number; readonly steps: readonly JobStepSnapshot[] }
  | {
    readonly type: 'result'; readonly at: number; readonly state: string; readonly durationMs: number; readonly steps: readonly StepMetrics[]; readonly deadLetters: number;
    /** The engine's last progress report (never throttled away): elements read and emitted in all. */
    readonly elementsRead: number; readonly elementsProcessed: number;
    /** The files its sources read and its sinks wrote, as far as they describe them (for lineage). */
    readonly inputs?: readonly JobDataset[]; readonly outputs?: readonly JobDataset[];
  };

/** The steps and edges of a built pipeline graph. */
export function graphOf(graph: PipelineGraph): { steps: JobStep[]; edges: JobEdge[] } {
  const steps: JobStep[] = [];
  const edges: JobEdge[] = [];
  const producerName = (collectionId: string): { step: string; collection: string } | undefined => {
    const c = graph.collections.get(collectionId);
    const producer = c === undefined ? undefined : graph.nodes.get(c.producer);
    return c === undefined || producer === undefined ? undefined : { step: producer.name, collection: c.name };
  };
  // A side input comes from the step that materializes its view (`AsSingleton`), when the graph has one.
  const viewStep = new Map<string, string>();
  for (const node of graph.nodes.values()) if (node.kind === 'view') viewStep.set(node.spec.viewId, node.name);
  for (const node of graph.nodes.values()) {
    steps.push({ name: node.name, kind: node.kind });
    for (const input of node.inputs) {
      const p = producerName(input);
      if (p !== undefined) edges.push({ from: p.step, to: node.name, kind: 'main', collection: p.collection });
    }
    for (const viewId of node.sideInputs) {
      const view = graph.views.get(viewId);
      const p = view === undefined ? undefined : producerName(view.collection);
      if (p !== undefined) edges.push({ from: viewStep.get(viewId) ?? p.step, to: node.name, kind: 'side', collection: p.collection });
    }
  }
  return { steps, edges };
}

/**
 * The files and Delta tables a graph's sources read and its sinks write, from their descriptions once the run has
 * expanded its file patterns (`csv(/data/a.csv, /data/b.csv@0-1024)`, `files(/out/revenue)`, `delta(/lake/t@v3)`);
 * sources that are neither are left out. An output carries its column lineage where the graph knows it
 * (column-lineage.ts).
 */
export function datasetsOf(graph: PipelineGraph): { inputs: JobDataset[]; outputs: JobDataset[] } {
  const unique = (list: JobDataset[]) => {
    const by = new Map<string, JobDataset>();
    for (const d of list) if (!by.has(`${d.namespace}\0${d.name}`)) by.set(`${d.namespace}\0${d.name}`, d);
    return [...by.values()];
  };
  const inputs: JobDataset[] = [];
  const outputs: JobDataset[] = [];
  for (const node of graph.nodes.values()) {
    try {
      if (node.kind === 'read') inputs.push(...datasetsOfDescription(node.spec.source.describe()).datasets);
      else if (node.kind === 'sink') {
        const datasets = datasetsOfDescription(node.spec.sink.describe()).datasets;
        const columnLineage = datasets.length > 0 ? columnLineageOf(graph, node) : undefined;
        outputs.push(...datasets.map((d) => (columnLineage === undefined ? d : { ...d, columnLineage })));
      }
    } catch {
      // a source or sink that cannot describe itself has no dataset to report
    }
  }
  return { inputs: unique(inputs), outputs: unique(outputs) };
}

/** Appends a job's events to a file. */
export interface JobEventsWriter {
  progress(p: JobProgress): void;
  /** The runner's step figures (it calls about once a second): written as they come. */
  steps(s: readonly JobStepSnapshot[]): void;
  result(r: PipelineResult): void;
}

/** Opens the events file (appending) and writes the graph line at once. Progress lines are throttled to 4 a second. */
export function openJobEvents(path: string, graph: PipelineGraph, now: () => number = Date.now): JobEventsWriter {
  const write = (event: JobEvent) => appendFileSync(path, `${JSON.stringify(event)}\n`);
  write({ type: 'graph', at: now(), ...graphOf(graph) });
  let last = -Infinity;
  let latest: JobProgress | undefined;
  return {
    progress(p) {
      latest = p;
      const t = now();
      if (t - last < 250) return;
      last = t;
      const { elementsRead, sourcesDone, sources, bytesEstimated, phase, step, elementsProcessed, deadLetters } = p;
      write({ type: 'progress', at: t, elementsRead, sourcesDone, sources, bytesEstimated, phase, ...(step !== undefined ? { step } : {}), elementsProcessed, deadLetters });
    },
    steps(list) {
      write({ type: 'steps', at: now(), steps: list.map(({ step, elementsIn, elementsOut, errors, droppedLate, inputWatermark, outputWatermark, backlog }) => ({ step, elementsIn, elementsOut, errors, droppedLate, inputWatermark, outputWatermark, ...(backlog !== undefined ? { backlog } : {}) })) });
    },
    result(r) {
      write({
        type: 'result', at: now(), state: r.state, durationMs: r.durationMs, steps: r.metrics.steps, deadLetters: r.deadLetterCount ?? r.deadLetters.length,
        elementsRead: latest?.elementsRead ?? 0, elementsProcessed: latest?.elementsProcessed ?? 0, ...datasetsOf(graph),
      });
    },
  };
}

/** The events in a file's text; a torn or unreadable line is skipped. */
export function parseJobEvents(text: string): JobEvent[] {
  const events: JobEvent[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      const e = JSON.parse(line) as JobEvent;
      if (e !== null && typeof e === 'object' && (e.type === 'graph' || e.type === 'progress' || e.type === 'steps' || e.type === 'result')) events.push(e);
    } catch {
      // A line cut by a kill: the next one (if any) is whole.
    }
  }
  return events;
}
