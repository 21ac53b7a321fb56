/**
 * Field lineage: which input fields make each field of a collection's rows, declared by the transform that knows it
 * (`sql.transform` from its select list), once, when the graph is built — small metadata on the collection, no work
 * per element. Lineage reporting (src/observe/column-lineage.ts) walks it back from a sink to the datasets read.
 * Collections without a declaration have unknown lineage, except where the primitive itself tells: a filter,
 * windowInto, assignTimestamps, reshuffle or flatten passes rows through unchanged; a read of a row format (CSV,
 * JSON Lines, Parquet, Avro, Delta) gives each field from the column of the same name of the dataset it reads.
 * @example
 *   declareFieldLineage(out, { fields: { total: [{ collection: orders.id, field: 'amount', type: 'DIRECT', subtype: 'AGGREGATION' }] } });
 */
import type { PipelineGraph } from './graph.ts';

/** How an input field makes an output field: OpenLineage's transformation types and subtypes. */
export interface FieldOrigin {
  /** The collection (id) whose rows hold the input field. */
  readonly collection: string;
  readonly field: string;
  /** DIRECT: the value is computed from it; INDIRECT: it decides which rows there are (a filter, join, grouping). */
  readonly type: 'DIRECT' | 'INDIRECT';
  /** IDENTITY, TRANSFORMATION, AGGREGATION (DIRECT); FILTER, JOIN, GROUP_BY, SORT, CONDITIONAL, WINDOW (INDIRECT). */
  readonly subtype: string;
}

/** The lineage of a collection's row fields: each output field's origins, and fields that act on the whole set. */
export interface FieldLineage {
  /** Output field → the input fields it is made from (empty: from none, e.g. a literal). In output order. */
  readonly fields: Readonly<Record<string, readonly FieldOrigin[]>>;
  /** Input fields that decide which rows there are (WHERE, JOIN … ON, GROUP BY). */
  readonly dataset?: readonly FieldOrigin[];
}

/** A source that knows the field names of the rows it reads (declared columns). */
export interface FieldNamedSource {
  /** The rows' field names in order, or undefined when only the data tells them. */
  fieldNames(): readonly string[] | undefined;
}

/**
 * The declarations live in process-wide maps (under `Symbol.for` keys), not in this module's own: a pipeline module
 * may import another copy of Riffle than the runner's — a project's sources run by the CLI from dist/ — and the runner
 * must still see what that copy's transforms declared (with module-local maps, a SQL job run by the compiled CLI lost
 * its column lineage).
 */
function sharedWeakMap<V>(name: string): WeakMap<PipelineGraph, V> {
  const registry = globalThis as unknown as Record<symbol, WeakMap<PipelineGraph, V> | undefined>;
  return (registry[Symbol.for(`riffle.${name}`)] ??= new WeakMap());
}

const lineages = sharedWeakMap<Map<string, FieldLineage>>('fieldLineage');
const writtenRows = sharedWeakMap<Map<string, string>>('writtenRows');

/**
 * Says which collection's rows a sink writes when they are not its input: a staged write (io.delta.write) whose
 * committing sink reads the staged files. `result` is the collection the committing sink produces.
 */
export function declareWrittenRows(result: { readonly graph: PipelineGraph; readonly id: string }, rows: { readonly id: string }): void {
  const sink = result.graph.collections.get(result.id)?.producer;
  if (sink === undefined) return;
  let map = writtenRows.get(result.graph);
  if (map === undefined) writtenRows.set(result.graph, (map = new Map()));
  map.set(sink, rows.id);
}

/** The collection (id) whose rows a sink node writes, when declared (declareWrittenRows). */
export function writtenRowsOf(graph: PipelineGraph, sinkNodeId: string): string | undefined {
  return writtenRows.get(graph)?.get(sinkNodeId);
}

/** Declares the field lineage of a collection (once; a second declaration replaces the first). */
export function declareFieldLineage(collection: { readonly graph: PipelineGraph; readonly id: string }, lineage: FieldLineage): void {
  let map = lineages.get(collection.graph);
  if (map === undefined) lineages.set(collection.graph, (map = new Map()));
  map.set(collection.id, lineage);
}

/** The declared field lineage of a collection (by id), if any. */
export function fieldLineageOf(graph: PipelineGraph, collectionId: string): FieldLineage | undefined {
  return lineages.get(graph)?.get(collectionId);
}

/** The field names a source declares, when it is a FieldNamedSource that knows them. */
export function sourceFieldNames(source: unknown): readonly string[] | undefined {
  const s = source as Partial<FieldNamedSource> | null;
  return s !== null && typeof s === 'object' && typeof s.fieldNames === 'function' ? s.fieldNames() : undefined;
}
