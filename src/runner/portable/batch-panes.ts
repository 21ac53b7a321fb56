/**
 * Panes of a runner GroupByKey's output in batch. Beam's Flink runner groups bounded input in one pass (its batch
 * mode runs no triggers) and emits each group with Beam's NO_FIRING pane (timing UNKNOWN); that group is the
 * window's one firing, at the end of the input, when the watermark passes the window: the on-time firing, which is
 * what Beam's other runners and Riffle's embedded engine report (ON_TIME, and the last pane unless late data is still
 * allowed: soleOnTimePane) and what pane-aware steps see (a windowed file write names its files after the pane). The harness restores it for the PCollections that are
 * such an output: a Riffle groupByKey's or combinePerKey's collection, or a combine's inner `<step>/GroupByKey.out`,
 * when bounded (found by their unique names in the rebuilt pipeline). Groupings with a trigger that is not
 * watermark-only are windowed in the harness instead (translate-harness-grouping.ts), with the engine's panes.
 */
import type { PaneInfo, PipelineGraph } from '../../model/index.ts';
import { soleOnTimePane } from '../../semantics/index.ts';
import type { ProcessBundleDescriptor } from './gen/fn_execution/v1/beam_fn_api_pb.ts';
import type { Emit } from './element-operators.ts';

/**
 * The unique names of the graph's collections that a grouping fires once, on time, with that pane: the embedded
 * engine's (soleOnTimePane of the grouping's input windowing — not the last pane when late data is still allowed).
 */
export function groupedOnTime(graph: PipelineGraph): ReadonlyMap<string, PaneInfo> {
  const panes = new Map<string, PaneInfo>();
  for (const c of graph.collections.values()) {
    const producer = graph.nodes.get(c.producer);
    if (producer === undefined || !c.bounded) continue;
    const pane = () => soleOnTimePane(graph.collections.get(producer.inputs[0]!)!.windowing);
    if (producer.kind === 'groupByKey') panes.set(c.name, pane());
    if (producer.kind === 'combinePerKey') panes.set(c.name, pane()).set(`${producer.name}/GroupByKey.out`, pane());
  }
  return panes;
}

/** `emit`, with NO_FIRING panes read as the on-time firing when the source's PCollection is a grouped one. */
export function withBatchPanes(d: ProcessBundleDescriptor, pcollection: string, grouped: ReadonlyMap<string, PaneInfo> | undefined, emit: Emit): Emit {
  const name = d.pcollections[pcollection]?.uniqueName;
  const onTime = name !== undefined ? grouped?.get(name) : undefined;
  if (onTime === undefined) return emit;
  return (wv) => emit(wv.pane.timing === 'UNKNOWN' && wv.pane.index === 0 ? { ...wv, pane: onTime } : wv);
}
