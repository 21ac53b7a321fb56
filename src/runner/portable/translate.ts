/**
 * Translates a Riffle pipeline graph (model/graph.ts) into a Beam Runner API `Pipeline` proto, for Beam's portable
 * job servers (Flink's first). Each primitive maps to Beam's standard URN where one exists, and Riffle's own
 * functions to payloads the Riffle harness resolves by pipeline module and step name (riffle-payload.ts):
 *
 * | Riffle primitive | Beam |
 * |---|---|
 * | read | composite: Impulse → ParDo(`riffle:dofn:source:v1`, splittable: restrictions are the source's splits) |
 * | map, flatMap, filter, assignTimestamps, parDo, sink | ParDo (translate-par-do.ts) |
 * | windowInto | `beam:transform:window_into:v1` |
 * | groupByKey | `beam:transform:group_by_key:v1`; windowed in the harness when Flink cannot (translate-harness-grouping.ts) |
 * | combinePerKey | `beam:transform:combine_per_key:v1`, lifted when it can be (translate-combine.ts); or as groupByKey |
 * | flatten | `beam:transform:flatten:v1` |
 * | reshuffle | `beam:transform:reshuffle:v1` |
 * | view | nothing: the ParDo that reads it names the viewed PCollection as a side input |
 * | testStream | refused: Flink runs no TestStream |
 *
 * Anything that cannot run is refused before submission with an UntranslatableError naming the step and why.
 * @example
 *   const { pipeline } = translatePipeline(p.graph, { pipeline: { module: 'pipeline.ts', params: {} }, environment: { kind: 'external', url: 'localhost:50000' } });
 */
import { create, toBinary } from '@bufbuild/protobuf';
import type { PipelineGraph, PrimitiveNode } from '../../model/index.ts';
import { FunctionSpecSchema, ParDoPayloadSchema, PipelineSchema, WindowIntoPayloadSchema, type Pipeline } from './gen/pipeline/v1/beam_runner_api_pb.ts';
import { ComponentsBuilder } from './components-builder.ts';
import { environmentProto, type HarnessEnvironment, type StagedFile } from './translate-environment.ts';
import { encodeRifflePayload, type PipelineRef } from './riffle-payload.ts';
import { translateCombinePerKey } from './translate-combine.ts';
import { harnessGroupingReason, translateHarnessGrouping } from './translate-harness-grouping.ts';
import { translateParDo } from './translate-par-do.ts';
import { windowFnSpec } from './translate-windowing.ts';
import { TranslationContext } from './translation-context.ts';
import { UntranslatableError } from './untranslatable-error.ts';
import { CODER_URNS, REQUIREMENT_URNS, RIFFLE_URNS, TRANSFORM_URNS } from './urns.ts';

export interface TranslateOptions {
  /** The module that builds this pipeline and its parameter values (what the harness rebuilds). */
  readonly pipeline: PipelineRef;
  /** How the runner starts or reaches Riffle's harness. */
  readonly environment: HarnessEnvironment;
  /** Files to stage for the harness (the module and what it imports). */
  readonly files?: readonly StagedFile[];
}

export interface Translation {
  readonly pipeline: Pipeline;
  /** Each Riffle step's transform id (by the step's full name). */
  readonly transformIds: ReadonlyMap<string, string>;
  /** Each Riffle collection's PCollection id (by collection id). */
  readonly pcollectionIds: ReadonlyMap<string, string>;
  readonly environmentId: string;
}

/** The environment id Riffle's functions run in. */
export const RIFFLE_ENVIRONMENT_ID = 'riffle';

export function translatePipeline(graph: PipelineGraph, opts: TranslateOptions): Translation {
  const b = new ComponentsBuilder();
  const envId = b.uniqueId(RIFFLE_ENVIRONMENT_ID);
  b.addEnvironment(envId, environmentProto(opts.environment, opts.files ?? []));
  const ctx = new TranslationContext(graph, b, opts.pipeline, envId);
  const roots: string[] = [];
  const transformIds = new Map<string, string>();
  for (const node of graph.nodes.values()) {
    const id = translateNode(ctx, node);
    if (id !== undefined) {
      roots.push(id);
      transformIds.set(node.name, id);
    }
  }
  const pipeline = create(PipelineSchema, { components: b.components, rootTransformIds: roots, requirements: [...ctx.requirements].sort() });
  return { pipeline, transformIds, pcollectionIds: ctx.pcollectionIds(), environmentId: envId };
}

function translateNode(ctx: TranslationContext, node: PrimitiveNode): string | undefined {
  const b = ctx.b;
  const single = (urn: string, payload?: Uint8Array, sdk = false): string => {
    const id = b.uniqueId(node.name);
    const inputs: Record<string, string> = {};
    node.inputs.forEach((cid, i) => (inputs[node.inputs.length === 1 ? 'main' : `input${i}`] = ctx.pcollectionId(cid)));
    const outputs: Record<string, string> = {};
    for (const [tag, cid] of node.outputs) outputs[tag] = ctx.pcollectionId(cid);
    b.addTransform(id, { uniqueName: node.name, spec: { urn, ...(payload ? { payload } : {}) }, inputs, outputs, environmentId: sdk ? ctx.environmentId : '' });
    return id;
  };
  switch (node.kind) {
    case 'read':
      return translateRead(ctx, node);
    case 'testStream':
      throw new UntranslatableError(node.name, 'a TestStream has no portable form (Flink runs no TestStream)', 'run transcripts with TestStream on the embedded runner');
    case 'map':
    case 'flatMap':
    case 'filter':
    case 'assignTimestamps':
    case 'parDo':
    case 'sink':
      return translateParDo(ctx, node);
    case 'windowInto': {
      const fn = ctx.graph.collections.get(node.outputs.get('main')!)!.windowing.windowFn;
      const payload = toBinary(WindowIntoPayloadSchema, create(WindowIntoPayloadSchema, { windowFn: windowFnSpec(fn, ctx.ref, node.name) }));
      return single(TRANSFORM_URNS.windowInto, payload, true);
    }
    case 'groupByKey':
    case 'combinePerKey':
      // Windowing the runner cannot do (a custom merging window fn, a trigger with early or late firings): the harness's.
      if (harnessGroupingReason(ctx, node) !== undefined) return translateHarnessGrouping(ctx, node, () => b.windowingStrategy(globalWindowing(ctx)));
      return node.kind === 'groupByKey' ? single(TRANSFORM_URNS.groupByKey) : translateCombinePerKey(ctx, node);
    case 'flatten':
      return single(TRANSFORM_URNS.flatten);
    case 'reshuffle':
      return single(TRANSFORM_URNS.reshuffle);
    case 'view':
      return undefined;
    default: {
      const unknown: never = node;
      throw new UntranslatableError((unknown as PrimitiveNode).name, `the primitive '${(unknown as PrimitiveNode).kind}' has no portable translation`);
    }
  }
}

/** A read as Impulse → a splittable ParDo over the source's splits (its restriction coder is Riffle's). */
function translateRead(ctx: TranslationContext, node: Extract<PrimitiveNode, { kind: 'read' }>): string {
  const b = ctx.b;
  const main = node.outputs.get('main')!;
  const impulseOut = ctx.intermediate(`${node.name}/Impulse.out`, { urn: CODER_URNS.bytes }, main);
  // The impulse's output is globally windowed and bounded whatever the source's collection is.
  const global = b.windowingStrategy(globalWindowing(ctx));
  ctx.components().pcollections[impulseOut]!.windowingStrategyId = global;
  ctx.components().pcollections[impulseOut]!.isBounded = 2;
  const impulse = b.uniqueId(`${node.name}/Impulse`);
  b.addTransform(impulse, { uniqueName: `${node.name}/Impulse`, spec: { urn: TRANSFORM_URNS.impulse }, outputs: { out: impulseOut } });
  const outputs: Record<string, string> = {};
  for (const [tag, cid] of node.outputs) outputs[tag] = ctx.pcollectionId(cid);
  const doFn = create(FunctionSpecSchema, { urn: RIFFLE_URNS.sourceDoFn, payload: encodeRifflePayload({ ...ctx.ref, step: node.name, role: 'source', detail: { kind: node.spec.source.kind } }) });
  const payload = create(ParDoPayloadSchema, { doFn, restrictionCoderId: b.coder({ urn: RIFFLE_URNS.restrictionCoder }) });
  const read = b.uniqueId(`${node.name}/Read`);
  b.addTransform(read, { uniqueName: `${node.name}/Read`, spec: { urn: TRANSFORM_URNS.parDo, payload: toBinary(ParDoPayloadSchema, payload) }, inputs: { impulse: impulseOut }, outputs, environmentId: ctx.environmentId });
  ctx.requirements.add(REQUIREMENT_URNS.splittable);
  const id = b.uniqueId(node.name);
  b.addTransform(id, { uniqueName: node.name, subtransforms: [impulse, read], outputs });
  return id;
}

function globalWindowing(ctx: TranslationContext) {
  return {
    windowFn: { urn: 'beam:window_fn:global_windows:v1' },
    mergeStatus: 1,
    windowCoderId: ctx.b.coder({ urn: CODER_URNS.globalWindow }),
    trigger: { trigger: { case: 'default' as const, value: {} } },
    accumulationMode: 1,
    outputTime: 1,
    closingBehavior: 2,
    onTimeBehavior: 1,
    allowedLateness: 0n,
    assignsToOneWindow: true,
    environmentId: ctx.environmentId,
  };
}
