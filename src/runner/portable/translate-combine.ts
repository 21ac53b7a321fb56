/**
 * combinePerKey as Beam's `beam:transform:combine_per_key:v1` composite, with the Riffle combiner as a
 * `riffle:combine_fn:v1` payload. Its subtransforms are what the runner executes:
 *
 * - lifted (default trigger): Precombine (per bundle, before the shuffle) → GroupByKey → MergeAccumulators →
 *   ExtractOutputs, so only accumulators cross the network;
 * - otherwise (a trigger may fire on partial input, and a lifted precombine would fold elements of different panes
 *   together): GroupByKey → CombineGroupedValues, the latter as a ParDo whose DoFn is the `riffle:combine_fn:v1`
 *   (Beam's pipeline graph does not take a `combine_grouped_values` leaf as its output's producer).
 */
import { create, toBinary } from '@bufbuild/protobuf';
import type { PrimitiveNode } from '../../model/index.ts';
import { CombinePayloadSchema, ParDoPayloadSchema } from './gen/pipeline/v1/beam_runner_api_pb.ts';
import { encodeRifflePayload } from './riffle-payload.ts';
import { kvParts, objectCoderSpec } from './translate-coders.ts';
import type { TranslationContext } from './translation-context.ts';
import { CODER_URNS, RIFFLE_URNS, TRANSFORM_URNS } from './urns.ts';

type CombineNode = Extract<PrimitiveNode, { kind: 'combinePerKey' }>;

/** Whether the combine is lifted (see above). */
export function isLifted(ctx: TranslationContext, node: CombineNode): boolean {
  return ctx.graph.collections.get(node.inputs[0]!)!.windowing.trigger.kind === 'default';
}

export function translateCombinePerKey(ctx: TranslationContext, node: CombineNode): string {
  const b = ctx.b;
  const input = node.inputs[0]!;
  const output = node.outputs.get('main')!;
  const inputId = ctx.pcollectionId(input);
  const outputId = ctx.pcollectionId(output);
  const [key] = kvParts(ctx.coderSpec(input));
  const accumulator = objectCoderSpec();
  const payload = toBinary(
    CombinePayloadSchema,
    create(CombinePayloadSchema, {
      combineFn: { urn: RIFFLE_URNS.combineFn, payload: encodeRifflePayload({ ...ctx.ref, step: node.name, role: 'combineFn' }) },
      accumulatorCoderId: b.coder(accumulator),
    }),
  );
  const env = ctx.environmentId;
  const sub = (name: string, urn: string, from: string, to: string, sdk: boolean): string => {
    const id = b.uniqueId(`${node.name}/${name}`);
    b.addTransform(id, { uniqueName: `${node.name}/${name}`, spec: { urn, ...(urn === TRANSFORM_URNS.groupByKey ? {} : { payload }) }, inputs: { main: from }, outputs: { main: to }, environmentId: sdk ? env : '' });
    return id;
  };
  const kvAcc = { urn: CODER_URNS.kv, components: [key, accumulator] };
  const grouped = { urn: CODER_URNS.kv, components: [key, { urn: CODER_URNS.iterable, components: [accumulator] }] };
  let subtransforms: string[];
  if (isLifted(ctx, node)) {
    const pre = ctx.intermediate(`${node.name}/Precombine.out`, kvAcc, input);
    // Windowed as the combine's output: a grouping's output holds merged windows.
    const grp = ctx.intermediate(`${node.name}/GroupByKey.out`, grouped, output);
    const merged = ctx.intermediate(`${node.name}/MergeAccumulators.out`, kvAcc, output);
    subtransforms = [
      sub('Precombine', TRANSFORM_URNS.combinePrecombine, inputId, pre, true),
      sub('GroupByKey', TRANSFORM_URNS.groupByKey, pre, grp, false),
      sub('MergeAccumulators', TRANSFORM_URNS.combineMergeAccumulators, grp, merged, true),
      sub('ExtractOutputs', TRANSFORM_URNS.combineExtractOutputs, merged, outputId, true),
    ];
  } else {
    const [, value] = kvParts(ctx.coderSpec(input));
    const grp = ctx.intermediate(`${node.name}/GroupByKey.out`, { urn: CODER_URNS.kv, components: [key, { urn: CODER_URNS.iterable, components: [value] }] }, output);
    // CombineGroupedValues as a ParDo running the combiner: Beam's pipeline graph (QueryablePipeline, which Flink's
    // runner builds) does not take a `combine_grouped_values` leaf as the producer of its output.
    const cgvId = b.uniqueId(`${node.name}/CombineGroupedValues`);
    const doFn = { urn: RIFFLE_URNS.combineFn, payload: encodeRifflePayload({ ...ctx.ref, step: node.name, role: 'combineFn' }) };
    b.addTransform(cgvId, { uniqueName: `${node.name}/CombineGroupedValues`, spec: { urn: TRANSFORM_URNS.parDo, payload: toBinary(ParDoPayloadSchema, create(ParDoPayloadSchema, { doFn })) }, inputs: { main: grp }, outputs: { main: outputId }, environmentId: env });
    subtransforms = [sub('GroupByKey', TRANSFORM_URNS.groupByKey, inputId, grp, false), cgvId];
  }
  const id = b.uniqueId(node.name);
  b.addTransform(id, { uniqueName: node.name, spec: { urn: TRANSFORM_URNS.combinePerKey, payload }, subtransforms, inputs: { main: inputId }, outputs: { main: outputId }, environmentId: env });
  return id;
}
