/**
 * The harness's halves of a grouping windowed in Riffle's harness (translate-harness-grouping.ts):
 *
 * - ReifyWindows: KV<K, V> in its windows → KV<K, WindowedValue<V>> in the global window, so the runner's GroupByKey
 *   (which groups by key only) carries each element's timestamp, windows and pane to the other half;
 * - GroupAlsoByWindow: KV<K, Iterable<WindowedValue<V>>> (a key's whole input: the runner's batch GroupByKey) → the
 *   step's panes, by the embedded engine's own window reducer (semantics/WindowReducer, driven per key by its
 *   TriggerTester: in-memory state, a timer queue, the watermark and processing time). As the embedded engine's
 *   bounded groupings do with a trigger that is not watermark-only (GroupOp's deferred input), the key's input is
 *   handed over as one bundle while the input watermark is still at −∞ — with a merging window function, its windows
 *   merged once over the whole input first (finalWindowLists) — and the watermark then jumps to +∞, firing the
 *   end-of-window and garbage-collection timers. Panes, their PaneInfo, timestamps (the timestamp combiner) and
 *   merged windows are the engine's; the output goes to the step's own PCollection in those windows.
 */
import {
  excerpt,
  GLOBAL_WINDOWS,
  MAX_TIMESTAMP,
  NO_FIRING,
  type KV,
  type PrimitiveNode,
  type WindowedValue,
  type WindowingStrategy,
} from '../../model/index.ts';
import { bufferingReduceFn, combiningReduceFn, finalWindowLists, TriggerTester, type ReduceFn, type WindowedInput } from '../../semantics/index.ts';
import type { Emit, Operator } from './element-operators.ts';
import type { RifflePayload } from './riffle-payload.ts';
import { pipelineGraph, riffleStep } from './riffle-steps.ts';

type WV = WindowedValue<unknown>;
type GroupingNode = Extract<PrimitiveNode, { kind: 'groupByKey' | 'combinePerKey' }>;

/** ReifyWindows: each element keyed as it was, its value the whole windowed value, in the global window. */
export function reifyWindowsOperator(out: Emit): Operator {
  return {
    process: (wv) => {
      const { key, value } = wv.value as KV<unknown, unknown>;
      const inner: WV = { value, timestamp: wv.timestamp, windows: wv.windows, pane: wv.pane };
      return out({ value: { key, value: inner }, timestamp: wv.timestamp, windows: GLOBAL_WINDOWS, pane: NO_FIRING });
    },
  };
}

/** GroupAlsoByWindow of a groupByKey or combinePerKey step whose input is windowed by `strategy`. */
export function groupAlsoByWindowOperator(node: PrimitiveNode, strategy: WindowingStrategy, out: Emit): Operator {
  if (node.kind !== 'groupByKey' && node.kind !== 'combinePerKey') throw new Error(`step '${node.name}' is a ${node.kind}, not a grouping`);
  const reduceFn: ReduceFn<unknown, unknown> = (node as GroupingNode).kind === 'combinePerKey' ? combiningReduceFn((node as Extract<GroupingNode, { kind: 'combinePerKey' }>).spec.combineFn) : bufferingReduceFn();
  const merging = strategy.windowFn.isMerging;
  return {
    process: async (wv) => {
      const { key, value: grouped } = wv.value as KV<unknown, Iterable<WV>>;
      const all = [...grouped];
      const windows = merging ? finalWindowLists(strategy.windowFn, all.map((e) => e.windows), node.name) : undefined;
      const items: WindowedInput<unknown>[] = all.map((e, i) => ({ value: e.value, timestamp: e.timestamp, windows: windows?.[i] ?? e.windows }));
      const key1 = new TriggerTester(strategy, reduceFn);
      try {
        key1.advanceProcessingTime(Date.now());
        key1.injectWindowed(items);
        key1.advanceInputWatermark(MAX_TIMESTAMP);
      } catch (e) {
        throw new Error(`step '${node.name}' failed grouping key ${excerpt(key, 120)}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
      }
      for (const p of key1.extractOutput()) await out({ value: { key, value: p.value }, timestamp: p.timestamp, windows: [p.window], pane: p.pane });
    },
  };
}

/** The operator a `riffle:dofn:grouping:v1` payload names: its step rebuilt from the pipeline module. */
export async function groupingOperator(payload: RifflePayload, out: Emit): Promise<Operator> {
  if (payload.role === 'reifyWindows') return reifyWindowsOperator(out);
  if (payload.role !== 'groupAlsoByWindow') throw new Error(`a grouping DoFn's role is reifyWindows or groupAlsoByWindow, not '${payload.role}'`);
  const node = await riffleStep(payload);
  const graph = await pipelineGraph(payload);
  return groupAlsoByWindowOperator(node, graph.collections.get(node.inputs[0]!)!.windowing, out);
}
