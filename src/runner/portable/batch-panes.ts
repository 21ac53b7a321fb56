/**
 * Panes of a runner GroupByKey's output in batch. Beam's Flink runner groups bounded input in one pass (its batch
 * mode runs no triggers) and emits each group with Beam's NO_FIRING pane (timing UNKNOWN); that group is the
 * window's one firing, at the end of the input, when the watermark passes the window: the on-time firing, which is
 * what Beam's other runners and Riffle's embedded engine report (ON_TIME_AND_ONLY_FIRING) and what pane-aware steps
 * see (a windowed file write names its files after the pane). The harness restores it for the PCollections that are
 * such an output: a Riffle groupByKey's or combinePerKey's collection, or a combine's inner `<step>/GroupByKey.out`,
 * when bounded (found by their unique names in the rebuilt pipeline). With a trigger that fires early, the embedded
 * engine's early panes have no counterpart on Flink's batch mode: those outputs differ (Nexmark Q10).
 */
import { ON_TIME_AND_ONLY_FIRING, type PipelineGraph } from '../../model/index.ts';
import type { ProcessBundleDescriptor } from './gen/fn_execution/v1/beam_fn_api_pb.ts';
import type { Emit } from './element-operators.ts';

/** The unique names of the graph's collections that a grouping fires once, on time. */
export function groupedOnTime(graph: PipelineGraph): Set<string> {
  const names = new Set<string>();
  for (const c of graph.collections.values()) {
    const producer = graph.nodes.get(c.producer);
    if (producer === undefined || !c.bounded) continue;
    if (producer.kind === 'groupByKey') names.add(c.name);
    if (producer.kind === 'combinePerKey') names.add(c.name).add(`${producer.name}/GroupByKey.out`);
  }
  return names;
}

/** `emit`, with NO_FIRING panes read as the on-time firing when the source's PCollection is a grouped one. */
export function withBatchPanes(d: ProcessBundleDescriptor, pcollection: string, grouped: ReadonlySet<string> | undefined, emit: Emit): Emit {
  const name = d.pcollections[pcollection]?.uniqueName;
  if (grouped === undefined || name === undefined || !grouped.has(name)) return emit;
  return (wv) => emit(wv.pane.timing === 'UNKNOWN' && wv.pane.index === 0 ? { ...wv, pane: ON_TIME_AND_ONLY_FIRING } : wv);
}
