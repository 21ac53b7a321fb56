/**
 * Runs one bundle of a fused stage (a ProcessBundleDescriptor): the data-plane inputs are decoded with their wire
 * coders and pushed through the stage's transforms (consumers wired by PCollection), outputs are encoded to their
 * data-plane sinks. Transforms it runs:
 *
 * - `beam:runner:source:v1` / `beam:runner:sink:v1`: the data plane (RemoteGrpcPort: endpoint and wire coder);
 * - `beam:transform:pardo:v1` with a `riffle:dofn:grouping:v1` DoFn: the halves of a grouping windowed in the harness
 *   (harness-grouping-operator.ts);
 * - `beam:transform:pardo:v1` with a `riffle:dofn:v1` DoFn: map, flatMap, filter, assignTimestamps, ParDos with side
 *   inputs, and stateful ParDos (user state through the state API, timers on the data plane:
 *   stateful-par-do-operator.ts) — the step found in the rebuilt pipeline;
 * - the read's splittable DoFn as Flink expands it (source-read-operators.ts): `sdf_pair_with_restriction` (the
 *   whole source), `sdf_split_and_size_restrictions` (the source's initial parts with their sizes),
 *   `sdf_process_sized_element_and_restrictions` (reads one part to its end); an unbounded source's read checkpoints
 *   itself instead (unbounded-read-operator.ts: reads a while, leaves a residual with its position and watermark).
 *
 * Anything else is refused before any input is read, with an error naming the transform and its URN.
 */
import { fromBinary } from '@bufbuild/protobuf';
import {
  ByteReader,
  ByteWriter,
  decodeIn,
  encodeIn,
  type Coder,
  type PrimitiveNode,
  type WindowedValue,
} from '../../model/index.ts';
import { RemoteGrpcPortSchema, type DelayedBundleApplication, type ProcessBundleDescriptor } from './gen/fn_execution/v1/beam_fn_api_pb.ts';
import { CombinePayloadSchema, ParDoPayloadSchema, type PTransform } from './gen/pipeline/v1/beam_runner_api_pb.ts';
import { COMBINE_PART_URNS, combineOperator } from './combine-operators.ts';
import { groupingOperator } from './harness-grouping-operator.ts';
import { sinkOperator } from './sink-operator.ts';
import { windowIntoOperator } from './window-into-operator.ts';
import { groupedOnTime, withBatchPanes } from './batch-panes.ts';
import type { DataChannel } from './data-channel.ts';
import type { StateClient } from './state-client.ts';
import { sideInputReader } from './side-inputs.ts';
import { descriptorCoder } from './harness-coders.ts';
import { pairWithRestrictionOperator, readRestrictionOperator, splitAndSizeOperator } from './source-read-operators.ts';
import { unboundedReadOperator, unboundedSplitOperator, type UnboundedReadOperator } from './unbounded-read-operator.ts';
import { elementOperator, type Emit, type Operator } from './element-operators.ts';
import { statefulOperatorFor, type TimerPort } from './stateful-stage.ts';
import type { StatefulOperator } from './stateful-par-do-operator.ts';
import { BundleMetrics } from './bundle-metrics.ts';
import type { MonitoringInfo } from './gen/pipeline/v1/metrics_pb.ts';
import { workCompletedInfo } from './monitoring-infos.ts';
import { decodeRifflePayload, type RifflePayload } from './riffle-payload.ts';
import { pipelineGraph, riffleStep } from './riffle-steps.ts';
import { RIFFLE_URNS, TRANSFORM_URNS } from './urns.ts';

const DATA_SOURCE = 'beam:runner:source:v1';
const DATA_SINK = 'beam:runner:sink:v1';
const SDF_PAIR = 'beam:transform:sdf_pair_with_restriction:v1';
const SDF_SPLIT = 'beam:transform:sdf_split_and_size_restrictions:v1';
const SDF_PROCESS = 'beam:transform:sdf_process_sized_element_and_restrictions:v1';

type WV = WindowedValue<unknown>;

/** Where the harness gets a data channel for an endpoint (one per endpoint, shared by bundles). */
export type DataChannels = (endpoint: string) => DataChannel;
/** Where the harness gets a state client for an endpoint (one per endpoint, shared by bundles). */
export type StateClients = (endpoint: string) => StateClient;

interface DataInput {
  readonly transformId: string;
  readonly channel: DataChannel;
  readonly coder: Coder<unknown>;
  readonly emit: Emit;
}

interface DataOutput {
  readonly transformId: string;
  readonly channel: DataChannel;
  readonly coder: Coder<unknown>;
  readonly out: ByteWriter;
}

/** A fused stage ready to run bundles: its operators are built once per descriptor. */
export class BundleProcessor {
  private constructor(
    private readonly inputs: readonly DataInput[],
    private readonly outputs: readonly DataOutput[],
    private readonly operators: readonly Operator[],
    /** The timer families of the stage's stateful ParDos (fired timers in, set timers out). */
    private readonly timers: readonly TimerPort[],
    /** The bundle being processed (what state requests name). */
    private readonly bundle: { instructionId: string },
    private readonly metrics: BundleMetrics,
    /** The reads of the stage: their progress through the restriction of the bundle. */
    private readonly reads: ReadonlyArray<{ transformId: string; completed: () => number }>,
    /** The stage's unbounded reads: what they left to read after this bundle (residuals). */
    private readonly residualReads: readonly UnboundedReadOperator[] = [],
  ) {}

  /** The residuals of the bundle just processed (an unbounded read's restriction from where it stopped), taken once. */
  takeResiduals(): DelayedBundleApplication[] {
    return this.residualReads.flatMap((r) => r.takeResiduals());
  }

  /** The figures of the bundle being processed, or of the last one once it ended (elements per PCollection, user metrics). */
  monitoringInfos(): MonitoringInfo[] {
    return this.metrics.monitoringInfos();
  }

  /** What a progress request gets: the figures so far and each read's work completed in its restriction. */
  progressInfos(): MonitoringInfo[] {
    return [...this.metrics.monitoringInfos(), ...this.reads.map((r) => workCompletedInfo(r.transformId, r.completed()))];
  }

  /** Wires the descriptor's transforms; refuses (rejects, naming it) a transform the harness cannot run. */
  static async build(d: ProcessBundleDescriptor, channels: DataChannels, states?: StateClients): Promise<BundleProcessor> {
    const bundle = { instructionId: '' };
    const instructionId = () => bundle.instructionId;
    const stateUrl = d.stateApiServiceDescriptor?.url;
    const state = () => {
      if (stateUrl === undefined || stateUrl === '' || states === undefined) throw new Error('the stage names no state API endpoint');
      return states(stateUrl);
    };
    const consumers = new Map<string, Emit[]>();
    const metrics = new BundleMetrics();
    const emitTo = (pcollection: string): Emit => {
      let list = consumers.get(pcollection);
      if (list === undefined) consumers.set(pcollection, (list = []));
      const targets = list;
      return metrics.counting(pcollection, async (wv: WV) => {
        for (const t of targets) await t(wv);
      });
    };
    const consume = (pcollection: string, e: Emit) => {
      const list = consumers.get(pcollection) ?? [];
      list.push(e);
      consumers.set(pcollection, list);
    };
    const inputs: DataInput[] = [];
    const outputs: DataOutput[] = [];
    const operators: Operator[] = [];
    const timers: TimerPort[] = [];
    const reads: Array<{ transformId: string; completed: () => number }> = [];
    const residualReads: UnboundedReadOperator[] = [];
    const ref = pipelineRefOf(d);
    const grouped = ref !== undefined ? groupedOnTime(await pipelineGraph(ref)) : undefined;
    for (const [id, t] of Object.entries(d.transforms)) {
      const urn = t.spec?.urn ?? '';
      const only = (m: Record<string, string>) => Object.values(m)[0]!;
      switch (urn) {
        case DATA_SOURCE: {
          const port = fromBinary(RemoteGrpcPortSchema, t.spec!.payload);
          const emit = withBatchPanes(d, only(t.outputs), grouped, emitTo(only(t.outputs)));
          inputs.push({ transformId: id, channel: channels(port.apiServiceDescriptor?.url ?? ''), coder: descriptorCoder(d.coders, port.coderId), emit });
          break;
        }
        case DATA_SINK: {
          const port = fromBinary(RemoteGrpcPortSchema, t.spec!.payload);
          const o: DataOutput = { transformId: id, channel: channels(port.apiServiceDescriptor?.url ?? ''), coder: descriptorCoder(d.coders, port.coderId), out: new ByteWriter() };
          outputs.push(o);
          consume(only(t.inputs), (wv) => encodeIn(o.coder, wv, o.out, 'nested'));
          break;
        }
        case SDF_PAIR: {
          const op = pairWithRestrictionOperator(emitTo(only(t.outputs)));
          consume(only(t.inputs), op.process);
          break;
        }
        case SDF_SPLIT:
        case SDF_PROCESS: {
          const node = await stepOf(t, id);
          if (node.kind !== 'read') throw refusal(t, id, 'its DoFn is not a Riffle read');
          if (node.spec.source.kind === 'unbounded') {
            // A read that checkpoints itself (unbounded-read-operator.ts): its residuals go in the bundle's response.
            const unbounded = node.spec.source;
            let op: Operator;
            if (urn === SDF_SPLIT) op = unboundedSplitOperator(unbounded, emitTo(only(t.outputs)));
            else {
              const reader = unboundedReadOperator({ step: node.name, source: unbounded, d, transformId: id, t }, emitTo(t.outputs['main'] ?? ''), t.outputs['errors'] !== undefined ? emitTo(t.outputs['errors']) : undefined);
              reads.push({ transformId: id, completed: reader.completed });
              residualReads.push(reader);
              op = reader;
            }
            operators.push(op);
            consume(only(t.inputs), op.process);
            break;
          }
          const source = node.spec.source;
          let op: Operator;
          if (urn === SDF_SPLIT) op = splitAndSizeOperator(source, emitTo(only(t.outputs)));
          else {
            const reader = readRestrictionOperator(node.name, source, emitTo(t.outputs['main'] ?? ''), t.outputs['errors'] !== undefined ? emitTo(t.outputs['errors']) : undefined);
            reads.push({ transformId: id, completed: reader.completed });
            op = reader;
          }
          operators.push(op);
          consume(only(t.inputs), op.process);
          break;
        }
        case TRANSFORM_URNS.parDo: {
          const combineFn = fromBinary(ParDoPayloadSchema, t.spec!.payload).doFn;
          if (combineFn?.urn === RIFFLE_URNS.groupingDoFn) {
            // A grouping windowed in the harness (translate-harness-grouping.ts).
            const op = await groupingOperator(decodeRifflePayload(combineFn.payload), emitTo(only(t.outputs)));
            operators.push(op);
            consume(only(t.inputs), op.process);
            break;
          }
          if (combineFn?.urn === RIFFLE_URNS.combineFn) {
            // An unlifted combine's CombineGroupedValues (translate-combine.ts).
            const op = combineOperator(TRANSFORM_URNS.combineGroupedValues, await riffleStep(decodeRifflePayload(combineFn.payload)), emitTo(only(t.outputs)));
            operators.push(op);
            consume(only(t.inputs), op.process);
            break;
          }
          const node = await stepOf(t, id);
          const outs: Record<string, Emit> = {};
          for (const [tag, pc] of Object.entries(t.outputs)) outs[tag] = emitTo(pc);
          const reader = node.kind === 'parDo' && ref !== undefined && stateUrl ? sideInputReader(d, id, t, node, await pipelineGraph(ref), state) : undefined;
          const sides = reader !== undefined ? { read: reader, instructionId } : undefined;
          if (node.kind === 'parDo' && node.spec.stateful) {
            if (ref === undefined) throw refusal(t, id, 'its stage has no Riffle function naming the pipeline module');
            const stateful = await statefulOperatorFor({ d, id, t, node, outs, graph: await pipelineGraph(ref), state, instructionId, channels, refuse: (why) => refusal(t, id, why), metrics: metrics.forStep(id, node.name), ...(sides ? { sides } : {}) });
            operators.push(stateful.operator);
            timers.push(...stateful.ports);
            consume(t.inputs['main'] ?? only(t.inputs), stateful.operator.process);
            break;
          }
          const op = node.kind === 'sink' ? await sinkOperator(node, outs) : await elementOperator(node, outs, (why) => refusal(t, id, why), sides, metrics.forStep(id, node.name));
          operators.push(op);
          consume(only(t.inputs), op.process);
          break;
        }
        case TRANSFORM_URNS.flatten: {
          // Inside a fused stage (the runner executes the other flattens): every input goes to the one output.
          const out = emitTo(only(t.outputs));
          for (const pc of new Set(Object.values(t.inputs))) consume(pc, out);
          break;
        }
        case TRANSFORM_URNS.windowInto: {
          if (ref === undefined) throw refusal(t, id, 'its stage has no Riffle function naming the pipeline module');
          const graph = await pipelineGraph(ref);
          const node = [...graph.nodes.values()].find((n) => n.name === t.uniqueName && n.kind === 'windowInto');
          if (node === undefined) throw refusal(t, id, `the rebuilt pipeline has no windowInto step '${t.uniqueName}'`);
          const op = windowIntoOperator(graph.collections.get(node.outputs.get('main')!)!.windowing.windowFn, emitTo(only(t.outputs)));
          operators.push(op);
          consume(only(t.inputs), op.process);
          break;
        }
        default: {
          if (!COMBINE_PART_URNS.has(urn)) throw refusal(t, id, 'the harness does not run this transform yet');
          const fn = fromBinary(CombinePayloadSchema, t.spec!.payload).combineFn;
          if (fn?.urn !== RIFFLE_URNS.combineFn) throw refusal(t, id, `its combiner (${fn?.urn ?? 'none'}) is not one of Riffle's`);
          const op = combineOperator(urn, await riffleStep(decodeRifflePayload(fn.payload)), emitTo(only(t.outputs)));
          operators.push(op);
          consume(only(t.inputs), op.process);
        }
      }
    }
    return new BundleProcessor(inputs, outputs, operators, timers, bundle, metrics, reads, residualReads);
  }

  /** Tears every operator down (DoFn teardown, sinks' finish — or abort when `failed`); errors are logged, not thrown. */
  async teardown(failed: boolean, log: (line: string) => void): Promise<void> {
    for (const op of this.operators) {
      try {
        await op.teardown?.(failed);
      } catch (e) {
        log(`teardown: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  }

  /** Runs one bundle: reads every input to its `is_last`, processes it, writes and ends every output. */
  async process(instructionId: string): Promise<void> {
    this.bundle.instructionId = instructionId;
    this.metrics.reset();
    try {
      for (const op of this.operators) op.startBundle?.();
      for (const input of this.inputs) {
        for (const chunk of await input.channel.receive(instructionId, input.transformId)) {
          const reader = new ByteReader(chunk);
          while (reader.remaining > 0) await input.emit(decodeIn(input.coder, reader, 'nested') as WV);
        }
      }
      // Fired timers after the elements (the runner ends every timer family of the stage, fired or not).
      for (const p of this.timers) {
        for (const chunk of await p.channel.receive(instructionId, p.transformId, p.family)) await p.operator.fireTimers(p.family, chunk);
      }
      for (const op of this.operators) await op.finishBundle?.();
      for (const o of this.outputs) o.channel.send(instructionId, o.transformId, o.out.toBytes());
      // Taken once per operator (an operator with several timer families has a port for each).
      const set = new Map<StatefulOperator, Map<string, Uint8Array>>();
      for (const p of this.timers) if (!set.has(p.operator)) set.set(p.operator, p.operator.takeTimers());
      for (const p of this.timers) {
        const bytes = set.get(p.operator)!.get(p.family);
        if (bytes !== undefined) p.channel.sendTimers(instructionId, p.transformId, p.family, bytes);
      }
    } finally {
      // The runner waits for every output's end, also when the bundle failed (its error is the response's).
      for (const o of this.outputs) {
        o.out.reset();
        o.channel.end(instructionId, o.transformId);
      }
      for (const p of this.timers) p.channel.endTimers(instructionId, p.transformId, p.family);
      for (const i of this.inputs) i.channel.discard(instructionId);
      for (const p of this.timers) p.channel.discard(instructionId);
    }
  }
}

async function stepOf(t: PTransform, id: string): Promise<PrimitiveNode> {
  const parDo = fromBinary(ParDoPayloadSchema, t.spec!.payload);
  const fn = parDo.doFn;
  if (fn === undefined || !fn.urn.startsWith('riffle:')) throw refusal(t, id, `its DoFn (${fn?.urn ?? 'none'}) is not one of Riffle's`);
  if (fn.urn !== RIFFLE_URNS.doFn && fn.urn !== RIFFLE_URNS.sourceDoFn && fn.urn !== RIFFLE_URNS.sinkDoFn) throw refusal(t, id, `the harness does not run ${fn.urn} DoFns yet`);
  return riffleStep(decodeRifflePayload(fn.payload));
}

/** The pipeline module and parameters a stage's Riffle functions name (its ParDos' or combines' payloads). */
function pipelineRefOf(d: ProcessBundleDescriptor): RifflePayload | undefined {
  for (const t of Object.values(d.transforms)) {
    try {
      if (t.spec?.urn === TRANSFORM_URNS.parDo) {
        const fn = fromBinary(ParDoPayloadSchema, t.spec.payload).doFn;
        if (fn?.urn.startsWith('riffle:')) return decodeRifflePayload(fn.payload);
      } else if (t.spec !== undefined && COMBINE_PART_URNS.has(t.spec.urn)) {
        const fn = fromBinary(CombinePayloadSchema, t.spec.payload).combineFn;
        if (fn?.urn === RIFFLE_URNS.combineFn) return decodeRifflePayload(fn.payload);
      }
    } catch {
      // Not a Riffle payload: look further.
    }
  }
  return undefined;
}

function refusal(t: PTransform, id: string, why: string): Error {
  return new Error(`Riffle's harness cannot run transform '${t.uniqueName || id}' (${t.spec?.urn ?? 'no URN'}): ${why}`);
}
