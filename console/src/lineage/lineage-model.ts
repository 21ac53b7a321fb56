/**
 * The lineage graph from OpenLineage RunEvents: a node per job (namespace + name) and per dataset, an edge from each
 * input dataset to the job and from the job to each output; each job's latest event gives its state, and its runs
 * are counted. Events of one run repeat the same datasets (START, then COMPLETE with outputs): edges are kept once.
 */
import type { ColumnLineageFacet, LineageEvent } from '../api/types.ts';

export interface LineageNode {
  id: string;
  /** `column`: a dataset's field, drawn when the column level is expanded. */
  kind: 'job' | 'dataset' | 'column';
  namespace: string;
  name: string;
  /** A job's latest event type (COMPLETE, FAIL, ...). */
  state: string | null;
  runs: number;
  lastEventTime: string | null;
  /** A dataset's latest column lineage (from the last event that wrote it with one). */
  columns?: ColumnLineageFacet;
  /** A column node's dataset node and field. */
  dataset?: string;
  field?: string;
}

export interface LineageGraph {
  nodes: LineageNode[];
  /** `column` edges join an input field to an output field (labelled with the transformation). */
  edges: Array<{ id: string; from: string; to: string; kind?: 'column'; label?: string }>;
}

export const jobNodeId = (ns: string, name: string): string => `job:${ns}:${name}`;
export const datasetNodeId = (ns: string, name: string): string => `ds:${ns}:${name}`;

export function buildLineage(events: readonly LineageEvent[]): LineageGraph {
  const nodes = new Map<string, LineageNode>();
  const edges = new Map<string, { id: string; from: string; to: string }>();
  const runsOf = new Map<string, Set<string>>();
  const sorted = [...events].sort((a, b) => Date.parse(a.eventTime) - Date.parse(b.eventTime));
  for (const e of sorted) {
    const jid = jobNodeId(e.job.namespace, e.job.name);
    const job = nodes.get(jid) ?? { id: jid, kind: 'job' as const, namespace: e.job.namespace, name: e.job.name, state: null, runs: 0, lastEventTime: null };
    job.state = e.eventType;
    job.lastEventTime = e.eventTime;
    nodes.set(jid, job);
    let runs = runsOf.get(jid);
    if (runs === undefined) runsOf.set(jid, (runs = new Set()));
    runs.add(e.run.runId);
    job.runs = runs.size;
    const dataset = (d: { namespace: string; name: string }) => {
      const id = datasetNodeId(d.namespace, d.name);
      const node = nodes.get(id) ?? { id, kind: 'dataset' as const, namespace: d.namespace, name: d.name, state: null, runs: 0, lastEventTime: null };
      node.lastEventTime = e.eventTime;
      nodes.set(id, node);
      return id;
    };
    for (const d of e.inputs ?? []) {
      const id = dataset(d);
      edges.set(`${id}>${jid}`, { id: `${id}>${jid}`, from: id, to: jid });
    }
    for (const d of e.outputs ?? []) {
      const id = dataset(d);
      const columns = d.facets?.columnLineage;
      if (columns !== undefined && columns !== null && typeof columns.fields === 'object') nodes.get(id)!.columns = columns;
      edges.set(`${jid}>${id}`, { id: `${jid}>${id}`, from: jid, to: id });
    }
  }
  return { nodes: [...nodes.values()], edges: [...edges.values()] };
}

export const columnNodeId = (datasetId: string, field: string): string => `col:${datasetId}:${field}`;

/**
 * The graph with the column level expanded: for every dataset in it with column lineage, a node per output field
 * and per input field it names (input datasets' fields, whether or not the dataset is drawn), and an edge from each
 * input field to the output field it makes, labelled with its transformation (`AGGREGATION`, `IDENTITY`, …).
 */
export function expandColumns(g: LineageGraph): LineageGraph {
  const nodes = new Map(g.nodes.map((n) => [n.id, n]));
  const edges = [...g.edges];
  const drawn = new Set(g.nodes.map((n) => n.id));
  const column = (ds: string, namespace: string, field: string) => {
    const id = columnNodeId(ds, field);
    if (!nodes.has(id)) {
      nodes.set(id, { id, kind: 'column', namespace, name: field, state: null, runs: 0, lastEventTime: null, dataset: ds, field });
      if (drawn.has(ds)) edges.push({ id: `${ds}>${id}`, from: ds, to: id, kind: 'column' });
    }
    return id;
  };
  for (const n of g.nodes) {
    if (n.kind !== 'dataset' || n.columns === undefined) continue;
    for (const [field, { inputFields }] of Object.entries(n.columns.fields)) {
      const to = column(n.id, n.namespace, field);
      for (const i of inputFields ?? []) {
        const from = column(datasetNodeId(i.namespace, i.name), i.namespace, i.field);
        const label = (i.transformations ?? []).map((t) => t.subtype ?? t.type).join(', ');
        edges.push({ id: `${from}>${to}`, from, to, kind: 'column', ...(label !== '' ? { label } : {}) });
      }
    }
  }
  return { nodes: [...nodes.values()], edges };
}

/** A short label for a dataset path: its last two segments (`out/revenue/part-0.jsonl` → `revenue/part-0.jsonl`). */
export function shortName(name: string): string {
  const parts = name.split('/').filter((p) => p !== '');
  return parts.length <= 2 ? name : `…/${parts.slice(-2).join('/')}`;
}

export interface LineageFilter {
  /** Keep jobs that read and write no dataset (orchestrator tasks that name none). */
  includeIsolated: boolean;
  /** Keep nodes whose name contains this text (case-insensitive), with their neighbours. */
  text: string;
  /** At most this many nodes (the rest are counted in `hidden`). */
  max: number;
}

/** The part of the lineage graph the page draws, and how many nodes it leaves out. */
export function filterLineage(g: LineageGraph, f: LineageFilter): LineageGraph & { hidden: number } {
  const linked = new Set<string>();
  for (const e of g.edges) {
    linked.add(e.from);
    linked.add(e.to);
  }
  let keep = new Set(g.nodes.filter((n) => f.includeIsolated || linked.has(n.id)).map((n) => n.id));
  const text = f.text.trim().toLowerCase();
  if (text !== '') {
    const hits = new Set(g.nodes.filter((n) => keep.has(n.id) && n.name.toLowerCase().includes(text)).map((n) => n.id));
    const withNeighbours = new Set(hits);
    for (const e of g.edges) {
      if (hits.has(e.from)) withNeighbours.add(e.to);
      if (hits.has(e.to)) withNeighbours.add(e.from);
    }
    keep = new Set([...withNeighbours].filter((id) => keep.has(id)));
  }
  const nodes = g.nodes.filter((n) => keep.has(n.id)).slice(0, f.max);
  const shown = new Set(nodes.map((n) => n.id));
  return { nodes, edges: g.edges.filter((e) => shown.has(e.from) && shown.has(e.to)), hidden: g.nodes.length - nodes.length };
}
