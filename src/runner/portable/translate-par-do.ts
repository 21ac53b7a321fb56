/**
 * Riffle's element-wise primitives (map, flatMap, filter, timestamp assignment, ParDo, sinks) as Beam ParDos: the
 * DoFn is a `riffle:dofn:v1` (or `riffle:dofn:sink:v1`) FunctionSpec naming the step; side inputs, user state and
 * timers are declared in the ParDoPayload with their coders, so the runner can serve them through the state API.
 */
import { create, toBinary } from '@bufbuild/protobuf';
import type { PrimitiveNode, StateSpec as RiffleStateSpec } from '../../model/index.ts';
import {
  FunctionSpecSchema,
  ParDoPayloadSchema,
  StateSpecSchema,
  TimeDomain_Enum,
  type FunctionSpec,
  type SideInput,
  type StateSpec,
  type TimerFamilySpec,
} from './gen/pipeline/v1/beam_runner_api_pb.ts';
import { encodeRifflePayload, type PayloadRole } from './riffle-payload.ts';
import { objectCoderSpec, kvParts } from './translate-coders.ts';
import type { TranslationContext } from './translation-context.ts';
import { UntranslatableError } from './untranslatable-error.ts';
import { CODER_URNS, REQUIREMENT_URNS, RIFFLE_URNS, SIDE_INPUT_URNS, TRANSFORM_URNS, USER_STATE_URNS } from './urns.ts';

/** The timer family that carries a DoFn's onWindowExpiration callback. */
export const WINDOW_EXPIRATION_TIMER = 'riffle:window_expiration';

type ElementWise = Extract<PrimitiveNode, { kind: 'map' | 'flatMap' | 'filter' | 'assignTimestamps' | 'parDo' | 'sink' }>;

/** Translates one element-wise node into a ParDo transform (added to the components) and returns its id. */
export function translateParDo(ctx: TranslationContext, node: ElementWise): string {
  const b = ctx.b;
  const role: PayloadRole = node.kind;
  const errorTag = 'errorTag' in node.spec ? node.spec.errorTag : undefined;
  const doFn = create(FunctionSpecSchema, {
    urn: node.kind === 'sink' ? RIFFLE_URNS.sinkDoFn : RIFFLE_URNS.doFn,
    payload: encodeRifflePayload({ ...ctx.ref, step: node.name, role, ...(errorTag !== undefined ? { detail: { errorTag } } : {}) }),
  });
  const inputs: Record<string, string> = { main: ctx.pcollectionId(node.inputs[0]!) };
  const sideInputs: Record<string, SideInput> = {};
  const stateSpecs: Record<string, StateSpec> = {};
  const timerFamilySpecs: Record<string, TimerFamilySpec> = {};
  let onWindowExpiration = '';
  if (node.kind === 'sink' && node.spec.sink.singleWorker !== undefined) {
    throw new UntranslatableError(node.name, `its sink is only correct on one worker (${node.spec.sink.singleWorker}), and Flink runs it on many`);
  }
  if (node.kind !== 'parDo' && node.sideInputs.length > 0) throw new UntranslatableError(node.name, `a ${node.kind} step with side inputs has no portable form`);
  if (node.kind === 'parDo') {
    const { doFn: fn, stateful } = node.spec;
    if (fn.singleWorker !== undefined) {
      throw new UntranslatableError(node.name, `its DoFn shares in-process state with another step (${fn.singleWorker}), which Flink's separate workers cannot`);
    }
    for (const [local, viewId] of Object.entries(node.spec.sideInputs)) {
      const view = ctx.graph.views.get(viewId);
      if (view === undefined) throw new UntranslatableError(node.name, `side input '${local}' reads view ${viewId}, which is not part of the pipeline`);
      inputs[local] = ctx.pcollectionId(view.collection);
      const multimap = view.kind === 'map' || view.kind === 'multimap';
      sideInputs[local] = {
        $typeName: 'org.apache.beam.model.pipeline.v1.SideInput',
        accessPattern: fspec(multimap ? SIDE_INPUT_URNS.multimap : SIDE_INPUT_URNS.iterable),
        viewFn: fspec(RIFFLE_URNS.viewFn, encodeRifflePayload({ ...ctx.ref, step: view.name, role: 'view', detail: { kind: view.kind, hasDefault: view.hasDefault } })),
        windowMappingFn: fspec(RIFFLE_URNS.windowMappingFn, encodeRifflePayload({ ...ctx.ref, step: view.name, role: 'windowFn', detail: { mapping: 'sideInput' } })),
      };
    }
    if (stateful) {
      ctx.requirements.add(REQUIREMENT_URNS.stateful);
      for (const [id, spec] of Object.entries(fn.state ?? {})) stateSpecs[id] = stateSpecProto(ctx, node.name, id, spec);
      const inputCoder = ctx.coderSpec(node.inputs[0]!);
      const timerCoderId = b.coder({ urn: CODER_URNS.timer, components: [kvParts(inputCoder)[0], ctx.windowCoderSpec(node.inputs[0]!)] });
      for (const [id, t] of Object.entries(fn.timers ?? {})) {
        timerFamilySpecs[id] = {
          $typeName: 'org.apache.beam.model.pipeline.v1.TimerFamilySpec',
          timeDomain: t.domain === 'event' ? TimeDomain_Enum.EVENT_TIME : TimeDomain_Enum.PROCESSING_TIME,
          timerFamilyCoderId: timerCoderId,
        };
      }
      if (fn.onWindowExpiration !== undefined) {
        timerFamilySpecs[WINDOW_EXPIRATION_TIMER] = { $typeName: 'org.apache.beam.model.pipeline.v1.TimerFamilySpec', timeDomain: TimeDomain_Enum.EVENT_TIME, timerFamilyCoderId: timerCoderId };
        onWindowExpiration = WINDOW_EXPIRATION_TIMER;
      }
    }
  }
  const outputs: Record<string, string> = {};
  for (const [tag, cid] of node.outputs) outputs[tag] = ctx.pcollectionId(cid);
  const payload = create(ParDoPayloadSchema, { doFn, sideInputs, stateSpecs, timerFamilySpecs, onWindowExpirationTimerFamilySpec: onWindowExpiration });
  const id = b.uniqueId(node.name);
  b.addTransform(id, { uniqueName: node.name, spec: { urn: TRANSFORM_URNS.parDo, payload: toBinary(ParDoPayloadSchema, payload) }, inputs, outputs, environmentId: ctx.environmentId });
  return id;
}

function fspec(urn: string, payload?: Uint8Array): FunctionSpec {
  return create(FunctionSpecSchema, { urn, ...(payload ? { payload } : {}) });
}

/**
 * A declared state cell as a Beam StateSpec. Values are written with Riffle's object coder, keys of map and set state
 * with its canonical form (the runner compares them by bytes); the protocol says which state API requests serve it.
 */
function stateSpecProto(ctx: TranslationContext, step: string, stateId: string, spec: RiffleStateSpec): StateSpec {
  const b = ctx.b;
  const value = b.coder(objectCoderSpec());
  const key = b.coder(objectCoderSpec(true));
  const bag = fspec(USER_STATE_URNS.bag);
  switch (spec.kind) {
    case 'value':
      return create(StateSpecSchema, { spec: { case: 'readModifyWriteSpec', value: { coderId: value } }, protocol: bag });
    case 'bag':
      return create(StateSpecSchema, { spec: { case: 'bagSpec', value: { elementCoderId: value } }, protocol: bag });
    case 'combining':
      return create(StateSpecSchema, {
        spec: { case: 'combiningSpec', value: { accumulatorCoderId: value, combineFn: fspec(RIFFLE_URNS.combineFn, encodeRifflePayload({ ...ctx.ref, step, role: 'stateCombineFn', detail: { stateId } })) } },
        protocol: bag,
      });
    case 'map':
      return create(StateSpecSchema, { spec: { case: 'mapSpec', value: { keyCoderId: key, valueCoderId: value } }, protocol: fspec(USER_STATE_URNS.multimap) });
    case 'set':
      return create(StateSpecSchema, { spec: { case: 'setSpec', value: { elementCoderId: key } }, protocol: fspec(USER_STATE_URNS.multimap) });
    case 'orderedList':
      return create(StateSpecSchema, { spec: { case: 'orderedListSpec', value: { elementCoderId: value } }, protocol: fspec(USER_STATE_URNS.orderedList) });
  }
}
