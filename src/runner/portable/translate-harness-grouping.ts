/**
 * Groupings the runner cannot window, grouped by key on the runner and windowed in Riffle's harness.
 *
 * Beam 2.62's Flink runner (batch) runs a GroupByKey itself: it rehydrates the input's window function, which must be
 * one of Beam's standard ones (a custom one is "unknown"), merges windows itself (it never asks the SDK through
 * `beam:transform:merge_windows:v1`), and fires each window once, ignoring the trigger. So a groupByKey or
 * combinePerKey whose input has
 *
 * - a custom merging window function (Nexmark's AuctionOrBidWindowFn), or
 * - a trigger that does not depend on the watermark alone (early or late firings, counts, processing time),
 *
 * is translated, when its input is bounded, as a composite the runner can run, whose windowing is Riffle's own:
 *
 * 1. `<step>/ReifyWindows` (harness ParDo): KV<K, V> in its windows → KV<K, WindowedValue<V>> in the global window
 *    (the element's timestamp, windows and pane kept inside the value: `riffle:coder:windowed_value:v1`, Beam's windowed
 *    value encoding of the input's value and window coders, opaque to the runner — Flink decodes a standard
 *    windowed_value coder and cannot hold a custom window coder's windows);
 * 2. `<step>/GroupByKeyGlobally` (runner GroupByKey, global window): a key's whole input together;
 * 3. `<step>/GroupAlsoByWindow` (harness ParDo): the embedded engine's window reducer over the key's input
 *    (harness-grouping-operator.ts): windows merged, trigger run, panes with their PaneInfo and timestamps, into the
 *    step's own output PCollection with the step's windowing strategy.
 *
 * The other groupings stay the runner's (translate.ts, translate-combine.ts): there Flink's one firing per window is
 * what the embedded engine's batch path does too.
 */
import { create, toBinary } from '@bufbuild/protobuf';
import type { PrimitiveNode } from '../../model/index.ts';
import { watermarkOnly } from '../local/planner.ts';
import { ParDoPayloadSchema } from './gen/pipeline/v1/beam_runner_api_pb.ts';
import { encodeRifflePayload } from './riffle-payload.ts';
import { kvParts } from './translate-coders.ts';
import type { CoderSpec } from './components-builder.ts';
import { UntranslatableError } from './untranslatable-error.ts';
import type { TranslationContext } from './translation-context.ts';
import { CODER_URNS, RIFFLE_URNS, TRANSFORM_URNS } from './urns.ts';

type GroupingNode = Extract<PrimitiveNode, { kind: 'groupByKey' | 'combinePerKey' }>;

/**
 * Why the grouping must be windowed in the harness, or undefined when the runner's GroupByKey does what the engine
 * does. Only bounded input: the composite hands each key's whole input over at once, which an unbounded input never
 * completes — there Flink's streaming mode runs the trigger itself, and a custom merging window function is refused.
 */
export function harnessGroupingReason(ctx: TranslationContext, node: GroupingNode): string | undefined {
  const input = ctx.graph.collections.get(node.inputs[0]!)!;
  const w = input.windowing;
  const customMerging = w.windowFn.kind === 'custom' && w.windowFn.isMerging;
  if (!input.bounded) {
    if (customMerging) throw new UntranslatableError(node.name, `its input is unbounded and windowed by the custom merging window function ${w.windowFn.describe()}, which Flink cannot merge and the harness merges only for bounded input`, 'use window.sessions, or run it on the embedded engine');
    return undefined;
  }
  if (customMerging) return 'custom merging window function';
  if (!watermarkOnly(w.trigger)) return `trigger ${w.trigger.kind}`;
  return undefined;
}

/** The composite (see above); returns its transform id. */
export function translateHarnessGrouping(ctx: TranslationContext, node: GroupingNode, globalWindowing: () => string): string {
  const b = ctx.b;
  const env = ctx.environmentId;
  const input = node.inputs[0]!;
  const inputId = ctx.pcollectionId(input);
  const outputId = ctx.pcollectionId(node.outputs.get('main')!);
  const [key, value] = kvParts(ctx.coderSpec(input));
  const reified: CoderSpec = { urn: RIFFLE_URNS.windowedValueCoder, components: [value, ctx.windowCoderSpec(input)] };
  const global = globalWindowing();
  const pcollection = (name: string, coder: CoderSpec) => {
    const id = ctx.intermediate(name, coder, input);
    ctx.components().pcollections[id]!.windowingStrategyId = global;
    return id;
  };
  const reifiedId = pcollection(`${node.name}/ReifyWindows.out`, { urn: CODER_URNS.kv, components: [key, reified] });
  const groupedId = pcollection(`${node.name}/GroupByKeyGlobally.out`, { urn: CODER_URNS.kv, components: [key, { urn: CODER_URNS.iterable, components: [reified] }] });
  const parDo = (name: string, role: 'reifyWindows' | 'groupAlsoByWindow', from: string, to: string): string => {
    const id = b.uniqueId(`${node.name}/${name}`);
    const doFn = { urn: RIFFLE_URNS.groupingDoFn, payload: encodeRifflePayload({ ...ctx.ref, step: node.name, role }) };
    b.addTransform(id, {
      uniqueName: `${node.name}/${name}`,
      spec: { urn: TRANSFORM_URNS.parDo, payload: toBinary(ParDoPayloadSchema, create(ParDoPayloadSchema, { doFn })) },
      inputs: { main: from },
      outputs: { main: to },
      environmentId: env,
    });
    return id;
  };
  const reify = parDo('ReifyWindows', 'reifyWindows', inputId, reifiedId);
  const gbk = b.uniqueId(`${node.name}/GroupByKeyGlobally`);
  b.addTransform(gbk, { uniqueName: `${node.name}/GroupByKeyGlobally`, spec: { urn: TRANSFORM_URNS.groupByKey }, inputs: { main: reifiedId }, outputs: { main: groupedId } });
  const gabw = parDo('GroupAlsoByWindow', 'groupAlsoByWindow', groupedId, outputId);
  const id = b.uniqueId(node.name);
  b.addTransform(id, { uniqueName: node.name, subtransforms: [reify, gbk, gabw], inputs: { main: inputId }, outputs: { main: outputId }, environmentId: env });
  return id;
}
