/**
 * Column lineage of a job's output datasets (OpenLineage's ColumnLineageDatasetFacet), from the pipeline graph once
 * the run has described its sources: each written field's input fields, walked back from a sink's input collection
 * through what the graph knows — field lineage a transform declared (`sql.transform`), primitives that pass rows
 * through (filter, windowInto, assignTimestamps, reshuffle, flatten), and reads of row formats, whose fields are the
 * dataset's columns of the same name. Anything else (a map, a ParDo, a grouping) is unknown, and an output whose
 * lineage meets it gets no facet: lineage is "column level where known", never guessed. No work per element: this
 * runs once, at the end of the run.
 * @example
 *   const lineage = columnLineageOf(graph, sinkNode); // { fields: { total: [{ namespace: 'file', name: '/in/orders.csv', field: 'amount', transformations: [...] }] } }
 */
import { resolve } from 'node:path';
import { fieldLineageOf, sourceFieldNames, writtenRowsOf, type FieldOrigin, type PipelineGraph, type PrimitiveNode } from '../model/index.ts';

/** A dataset (OpenLineage naming: `file` + absolute path for local files and Delta tables). */
export interface LineageDataset {
  readonly namespace: string;
  readonly name: string;
}

/** An input field of an output field, with how it is used. */
export interface ColumnLineageInput extends LineageDataset {
  readonly field: string;
  readonly transformations: ReadonlyArray<{ readonly type: 'DIRECT' | 'INDIRECT'; readonly subtype: string }>;
}

/** The column lineage of one output dataset: field → input fields, and input fields deciding the rows. */
export interface DatasetColumnLineage {
  readonly fields: Readonly<Record<string, { readonly inputFields: readonly ColumnLineageInput[] }>>;
  readonly dataset?: readonly ColumnLineageInput[];
}

const FILE_FORMATS = /^(files|csv|jsonl|text|parquet|avro|json)\((.*)\)$/s;
/** Formats whose rows are objects keyed by the dataset's column names. */
const ROW_FORMATS = new Set(['csv', 'jsonl', 'parquet', 'avro', 'json', 'delta']);
const PASS_THROUGH = new Set(['filter', 'windowInto', 'assignTimestamps', 'reshuffle', 'flatten']);

/** The datasets named by a source's or sink's description (`csv(/a.csv, /b.csv@0-10)`, `files(out/x)`, `delta(/t@v3)`), with the format. */
export function datasetsOfDescription(description: string): { format: string; datasets: LineageDataset[] } {
  const delta = /^delta\((.*?)(?:@[^)]*)?\)$/s.exec(description);
  if (delta !== null) return { format: 'delta', datasets: [{ namespace: 'file', name: resolve(delta[1]!) }] };
  const m = FILE_FORMATS.exec(description);
  if (m === null) return { format: '', datasets: [] };
  // Paths as the pipeline gave them are relative to the job's working directory.
  const datasets = m[2]!.split(', ').map((part) => part.replace(/@\d+-\d+$/, '')).filter((path) => path !== '').map((path) => ({ namespace: 'file', name: resolve(path) }));
  return { format: m[1]!, datasets: [...new Map(datasets.map((d) => [d.name, d])).values()] };
}

type Transformation = ColumnLineageInput['transformations'][number];

/** A collection's resolved lineage: known fields, or (a row read of unknown columns) any field by its name. */
interface Resolved {
  readonly fields: ReadonlyMap<string, readonly ColumnLineageInput[]> | 'by-name';
  readonly byName: readonly LineageDataset[];
  readonly dataset: readonly ColumnLineageInput[];
}

/** The column lineage of what a sink node writes, or undefined when some field's origin is not known. */
export function columnLineageOf(graph: PipelineGraph, sink: PrimitiveNode): DatasetColumnLineage | undefined {
  const input = writtenRowsOf(graph, sink.id) ?? sink.inputs[0];
  if (sink.kind !== 'sink' || input === undefined) return undefined;
  const r = new LineageResolver(graph).collection(input);
  if (r === undefined || r.fields === 'by-name' || r.fields.size === 0) return undefined;
  const fields: Record<string, { inputFields: readonly ColumnLineageInput[] }> = {};
  for (const [name, inputFields] of r.fields) fields[name] = { inputFields };
  return r.dataset.length > 0 ? { fields, dataset: r.dataset } : { fields };
}

class LineageResolver {
  private readonly memo = new Map<string, Resolved | undefined>();
  private readonly producers = new Map<string, PrimitiveNode>();

  constructor(private readonly graph: PipelineGraph) {
    for (const node of graph.nodes.values()) for (const c of node.outputs.values()) this.producers.set(c, node);
  }

  collection(id: string): Resolved | undefined {
    if (this.memo.has(id)) return this.memo.get(id);
    this.memo.set(id, undefined); // a cycle (there is none in a built graph) resolves to unknown
    const r = this.compute(id);
    this.memo.set(id, r);
    return r;
  }

  private field(collection: string, field: string): readonly ColumnLineageInput[] | undefined {
    const r = this.collection(collection);
    if (r === undefined) return undefined;
    if (r.fields === 'by-name') return r.byName.map((d) => ({ ...d, field, transformations: [{ type: 'DIRECT', subtype: 'IDENTITY' }] }));
    return r.fields.get(field);
  }

  private compute(id: string): Resolved | undefined {
    const declared = fieldLineageOf(this.graph, id);
    const node = this.producers.get(id);
    if (declared !== undefined) {
      const fields = new Map<string, ColumnLineageInput[]>();
      for (const [name, origins] of Object.entries(declared.fields)) {
        const inputs = this.origins(origins);
        if (inputs === undefined) return undefined;
        fields.set(name, inputs);
      }
      const dataset = this.origins(declared.dataset ?? []);
      if (dataset === undefined) return undefined;
      // What decided the rows upstream decides them here too.
      const upstream = [...new Set([...Object.values(declared.fields).flat(), ...(declared.dataset ?? [])].map((o) => o.collection))];
      for (const c of upstream) dataset.push(...(this.collection(c)?.dataset ?? []));
      return { fields, byName: [], dataset: unique(dataset) };
    }
    if (node === undefined || node.outputs.get('main') !== id) return undefined;
    if (node.kind === 'read') {
      let described: { format: string; datasets: LineageDataset[] };
      try {
        described = datasetsOfDescription(node.spec.source.describe());
      } catch {
        return undefined;
      }
      if (!ROW_FORMATS.has(described.format) || described.datasets.length === 0) return undefined;
      const names = sourceFieldNames(node.spec.source);
      if (names === undefined) return { fields: 'by-name', byName: described.datasets, dataset: [] };
      const fields = new Map(names.map((f) => [f, described.datasets.map((d): ColumnLineageInput => ({ ...d, field: f, transformations: [{ type: 'DIRECT', subtype: 'IDENTITY' }] }))]));
      return { fields, byName: [], dataset: [] };
    }
    if (!PASS_THROUGH.has(node.kind)) return undefined;
    const inputs = node.inputs.map((c) => this.collection(c));
    if (inputs.some((r) => r === undefined)) return undefined;
    const known = inputs as Resolved[];
    if (known.length === 1) return known[0];
    // flatten: the union of its inputs' fields (field lists must be known to merge them)
    if (known.some((r) => r.fields === 'by-name')) return undefined;
    const fields = new Map<string, ColumnLineageInput[]>();
    for (const r of known) for (const [name, list] of r.fields as ReadonlyMap<string, readonly ColumnLineageInput[]>) fields.set(name, unique([...(fields.get(name) ?? []), ...list]));
    return { fields, byName: [], dataset: unique(known.flatMap((r) => r.dataset)) };
  }

  /** Declared origins resolved to dataset fields (transformations composed), or undefined if one is unknown. */
  private origins(origins: readonly FieldOrigin[]): ColumnLineageInput[] | undefined {
    const out: ColumnLineageInput[] = [];
    for (const o of origins) {
      const upstream = this.field(o.collection, o.field);
      if (upstream === undefined) return undefined;
      for (const u of upstream) out.push({ ...u, transformations: compose(u.transformations, { type: o.type, subtype: o.subtype }) });
    }
    return unique(out);
  }
}

/** An upstream transformation followed by this one: IDENTITY steps vanish; INDIRECT wins over DIRECT. */
function compose(upstream: readonly Transformation[], t: Transformation): Transformation[] {
  const kept = upstream.filter((u) => u.subtype !== 'IDENTITY');
  if (t.subtype === 'IDENTITY' && t.type === 'DIRECT') return kept.length > 0 ? kept : [t];
  return [...kept.filter((u) => u.type !== t.type || u.subtype !== t.subtype), t];
}

function unique(list: readonly ColumnLineageInput[]): ColumnLineageInput[] {
  const by = new Map<string, ColumnLineageInput>();
  for (const i of list) {
    const key = `${i.namespace}\0${i.name}\0${i.field}`;
    const seen = by.get(key);
    if (seen === undefined) by.set(key, i);
    else {
      const merged = [...seen.transformations];
      for (const t of i.transformations) if (!merged.some((m) => m.type === t.type && m.subtype === t.subtype)) merged.push(t);
      by.set(key, { ...seen, transformations: merged });
    }
  }
  return [...by.values()];
}
