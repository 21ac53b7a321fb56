/**
 * Wires a stateful ParDo of a process bundle descriptor to its stage: what its operator needs from the descriptor
 * (the main input's key and window coders as the runner encodes them, the timer coder of each timer family — the
 * runner rewrites `timerFamilyCoderId`s in the descriptor's ParDoPayload to length-prefixed forms it can read — and
 * the onWindowExpiration family), the state API bound to the bundle's instruction, and the timer ports on the stage's
 * timer endpoint (`timer_api_service_descriptor`): one per timer family, fired timers in and set timers out.
 */
import { fromBinary } from '@bufbuild/protobuf';
import type { BoundedWindow, Coder, MetricsContext, PipelineGraph, PrimitiveNode, TimerRecord } from '../../model/index.ts';
import type { ProcessBundleDescriptor } from './gen/fn_execution/v1/beam_fn_api_pb.ts';
import { ParDoPayloadSchema, type PTransform } from './gen/pipeline/v1/beam_runner_api_pb.ts';
import type { DataChannel } from './data-channel.ts';
import type { Emit, SideInputAccess } from './element-operators.ts';
import { beamSpecOf, descriptorCoder, harnessCoder } from './harness-coders.ts';
import type { StateClient } from './state-client.ts';
import { statefulParDoOperator, type StatefulOperator } from './stateful-par-do-operator.ts';

/** One timer family of a stateful ParDo on the stage's timer endpoint. */
export interface TimerPort {
  readonly transformId: string;
  readonly family: string;
  readonly channel: DataChannel;
  readonly operator: StatefulOperator;
}

export interface StatefulStageInput {
  readonly d: ProcessBundleDescriptor;
  readonly id: string;
  readonly t: PTransform;
  readonly node: Extract<PrimitiveNode, { kind: 'parDo' }>;
  readonly outs: Readonly<Record<string, Emit>>;
  readonly graph: PipelineGraph;
  readonly state: () => StateClient;
  readonly instructionId: () => string;
  readonly channels: (endpoint: string) => DataChannel;
  readonly refuse: (why: string) => Error;
  readonly sides?: SideInputAccess;
  /** The step's user metrics (reported as MonitoringInfos). */
  readonly metrics?: MetricsContext;
}

/** The operator of a stateful ParDo and its timer ports; refuses (throws `refuse(why)`) what it cannot run. */
export async function statefulOperatorFor(i: StatefulStageInput): Promise<{ operator: StatefulOperator; ports: TimerPort[] }> {
  const { d, t, node } = i;
  const mainId = t.inputs['main'] ?? Object.values(t.inputs)[0]!;
  const main = d.pcollections[mainId];
  if (main === undefined) throw i.refuse(`its main input ${mainId} is not in the stage`);
  const inputSpec = beamSpecOf(d.coders, main.coderId);
  const kvSpec = inputSpec.urn === 'beam:coder:length_prefix:v1' ? inputSpec.components![0]! : inputSpec;
  if (kvSpec.urn !== 'beam:coder:kv:v1') throw i.refuse(`a stateful DoFn needs KV input, and its input's coder is ${inputSpec.urn}`);
  const keyCoder = harnessCoder(kvSpec.components![0]!);
  const windowCoder = descriptorCoder(d.coders, d.windowingStrategies[main.windowingStrategyId]!.windowCoderId) as Coder<BoundedWindow>;
  const payload = fromBinary(ParDoPayloadSchema, t.spec!.payload);
  const timerCoders: Record<string, Coder<TimerRecord<unknown>>> = {};
  for (const [family, spec] of Object.entries(payload.timerFamilySpecs)) timerCoders[family] = descriptorCoder(d.coders, spec.timerFamilyCoderId) as Coder<TimerRecord<unknown>>;
  const expirationFamily = payload.onWindowExpirationTimerFamilySpec !== '' ? payload.onWindowExpirationTimerFamilySpec : undefined;
  const timerUrl = d.timerApiServiceDescriptor?.url;
  if (Object.keys(timerCoders).length > 0 && (timerUrl === undefined || timerUrl === '')) throw i.refuse('its stage names no timer endpoint for its timers');
  const collection = i.graph.collections.get(node.inputs[0]!);
  const operator = await statefulParDoOperator(node, {
    transformId: i.id,
    outs: i.outs,
    keyCoder,
    windowCoder,
    timerCoders,
    ...(expirationFamily !== undefined ? { expirationFamily } : {}),
    allowedLateness: collection?.windowing.allowedLateness ?? 0,
    store: () => {
      const client = i.state();
      const instruction = i.instructionId();
      return {
        get: (key) => client.get(instruction, key),
        append: (key, data) => client.append(instruction, key, data),
        clear: (key) => client.clear(instruction, key),
      };
    },
    ...(i.sides !== undefined ? { sides: i.sides } : {}),
    ...(i.metrics !== undefined ? { metrics: i.metrics } : {}),
  });
  const ports = operator.timerFamilies.map((family): TimerPort => ({ transformId: i.id, family, channel: i.channels(timerUrl!), operator }));
  return { operator, ports };
}
