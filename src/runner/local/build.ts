import { encodeToBytes, coders, isKvCoder, RiffleError, type CollectionInfo, type CombinePerKeySpec, type PipelineGraph, type PrimitiveNode, type WindowingStrategy } from '../../model/index.ts';
import { bufferingReduceFn, combiningReduceFn, type ReduceFn } from '../../semantics/index.ts';
import { BatchGroupTable, type TableCoders } from './batch-group.ts';
import { DirectChannel, type Channel } from './channel.ts';
import type { Clock } from './clock.ts';
import { AssignTimestampsOp, FilterOp, FlatMapOp, MapOp, PassThroughOp, WindowIntoOp } from './element-ops.ts';
import { GroupOp } from './group-op.ts';
import { GroupSpill, windowCoderOf, type GroupSpillConfig } from './group-spill.ts';
import { keyGroupAssignerFor } from './key-group.ts';
import type { KeyedOptions, KeyStateFactory } from './keyed-store.ts';
import type { MetricsRegistry } from './metrics.ts';
import { receiverOf, type Operator, type Receiver } from './operator.ts';
import { ParDoOp } from './par-do-op.ts';
import { watermarkOnly, type Plan } from './planner.ts';
import { PrecombineOp } from './precombine-op.ts';
import { SinkOp } from './sink-op.ts';
import { SourceOp } from './source-op.ts';
import { StageExecutor } from './stage-executor.ts';
import { ViewOp, ViewStore } from './view-op.ts';
import type { ExchangeEdge, WorkerShare } from './worker-share.ts';

/** What the builder needs from the run. */
export interface BuildContext {
  readonly graph: PipelineGraph;
  readonly plan: Plan;
  readonly clock: Clock;
  readonly metrics: MetricsRegistry;
  readonly signal: AbortSignal;
  /** Every source is bounded (no TestStream, no unbounded read): groupings may take the batch paths. */
  readonly allBounded: boolean;
  readonly batchGrouping: boolean;
  /**
   * Checkpoints are taken: batch groupings snapshot their table, deferred groupings their input not yet handed over
   * (only those whose windows have a coder, and for the batch table, whose accumulators encode).
   */
  readonly checkpointed?: boolean;
  readonly precombineEntries?: number;
  readonly deferredGroupingElements?: number;
  /** Where records of error outputs nobody consumes go. */
  readonly deadLetter: Receiver;
  /** Key groups of keyed state (default 128). */
  readonly maxParallelism?: number;
  /** Where keyed operators keep each key's state (default: in memory, per key). */
  readonly keyState?: KeyStateFactory;
  /** Bounded memory: the job's budget, from which each batch grouping takes a share and past which it spills. */
  readonly memory?: Pick<GroupSpillConfig, 'budget' | 'spillDir' | 'warn'>;
  /** This run is one worker's share of a job on several threads: stage inputs that cross workers are exchanges. */
  readonly share?: WorkerShare;
}

/** The executable form of a plan. */
export interface JobGraph {
  /** Every operator, in a topological order (a lifted combine's precombine right before its grouping). */
  readonly ops: readonly Operator[];
  /** The plan's stages, in a topological order. */
  readonly stages: readonly StageExecutor[];
  readonly sources: ReadonlyArray<{ readonly op: SourceOp; readonly node: PrimitiveNode & { kind: 'read' | 'testStream' } }>;
  /** Operators with I/O the engine awaits (`pendingIo`): sinks, keyed operators (their state's flush). */
  readonly io: readonly Operator[];
}

/**
 * Builds the operators of a plan and connects them:
 * 1. one operator per primitive (two for a lifted combine: a precombine in the producer's stage, the grouping at the
 *    head of its own), through an exhaustive switch over the primitive kinds;
 * 2. each operator joins the stage the planner put its step in; within a stage operators are wired receiver to
 *    receiver; between stages through a channel (direct here; an exchange when workers are added), whose index is
 *    the input's position at the consumer;
 * 3. error outputs nobody consumes go to the dead-letter receiver.
 */
export function buildJob(ctx: BuildContext): JobGraph {
  const { graph, plan } = ctx;
  const ops: Operator[] = [];
  const io: Operator[] = [];
  const sources: Array<JobGraph['sources'][number]> = [];
  const views = new Map<string, ViewStore>();
  /** The operator that receives a node's main input, and the one that produces its outputs. */
  const entry = new Map<string, Operator>();
  const exit = new Map<string, Operator>();
  const stageOfNode = new Map<string, StageExecutor>();
  const stageOf = new Map<Operator, StageExecutor>();
  const stages = plan.stages.map((s) => new StageExecutor(s.id, s.startsAt));
  /** Per stage head: its inputs' exchange edges (undefined: direct) and where each input's channels start. */
  const edges = new Map<string, { edges: Array<ExchangeEdge | undefined>; bases: number[] }>();
  for (const s of plan.stages) for (const n of s.steps) stageOfNode.set(n.id, stages[s.id]!);

  for (const node of plan.order) {
    const input = node.inputs.length > 0 ? graph.collections.get(node.inputs[0]!)! : undefined;
    let op: Operator;
    let pre: Operator | undefined;
    switch (node.kind) {
      case 'read':
      case 'testStream': {
        const source = new SourceOp(node);
        sources.push({ op: source, node });
        op = source;
        break;
      }
      case 'map':
        op = new MapOp(node, node.spec);
        break;
      case 'flatMap':
        op = new FlatMapOp(node, node.spec);
        break;
      case 'filter':
        op = new FilterOp(node, node.spec);
        break;
      case 'assignTimestamps':
        op = new AssignTimestampsOp(node, node.spec);
        break;
      case 'windowInto':
        op = new WindowIntoOp(node, graph.collections.get(node.outputs.get('main')!)!.windowing.windowFn);
        break;
      case 'flatten':
      case 'reshuffle':
        op = new PassThroughOp(node);
        break;
      case 'groupByKey':
        op = groupOp(ctx, node, bufferingReduceFn(), true);
        io.push(op);
        break;
      case 'combinePerKey': {
        const fn = node.spec.combineFn;
        // On the batch path in one worker the grouping table combines in place: a precombine in front would only add
        // a copy. Across workers the precombine runs on the sending side, so a hot key crosses as one accumulator
        // per flush instead of every element (accumulators cross with the object coder: see shipsAccumulators).
        const lift = plan.lifted.has(node.id) && (ctx.share !== undefined ? shipsAccumulators(fn) : !batchEligible(ctx, input!.windowing, fn));
        if (lift) {
          pre = new PrecombineOp(node, node.spec, input!.windowing.timestampCombiner, ctx.precombineEntries);
          op = groupOp(ctx, node, combiningReduceFn(fn, { inputsAreAccumulators: true }), false, true, fn);
          io.push(op);
        } else {
          op = groupOp(ctx, node, combiningReduceFn(fn), false, false, fn);
          io.push(op);
        }
        break;
      }
      case 'view': {
        const info = graph.views.get(node.spec.viewId)!;
        const store = new ViewStore(info, input!.windowing);
        views.set(info.id, store);
        op = new ViewOp(node, store);
        break;
      }
      case 'parDo':
        op = new ParDoOp(node, node.spec, views, input!.windowing, ctx.clock, ctx.metrics.forStep(node.name), keyedOptions(ctx, node));
        if (node.spec.stateful) io.push(op);
        break;
      case 'sink':
        op = new SinkOp(node, node.spec, ctx.signal, ctx.share?.worker ?? 0, ctx.share?.workers ?? 1);
        io.push(op);
        break;
      default:
        return unhandled(node);
    }
    const stage = stageOfNode.get(node.id)!;
    if (pre !== undefined) {
      // The precombine runs in the producer's stage, before the channel: partial accumulators cross it, not elements.
      const producer = exit.get(graph.collections.get(node.inputs[0]!)!.producer)!;
      stageOf.get(producer)!.add(pre, producer);
      stageOf.set(pre, stageOf.get(producer)!);
      ops.push(pre);
    }
    if (stage.ops.length === 0) {
      // A stage head's valve: one channel per input, or one per sending worker for an input that crosses workers.
      // A lifted combine's input edge carries its precombine's accumulators.
      const inputEdges = node.inputs.map((_, i) => ctx.share?.edge(node, i, pre !== undefined ? 'accumulators' : undefined));
      const bases: number[] = [];
      let width = 0;
      for (const e of inputEdges) {
        bases.push(width);
        width += e?.width ?? 1;
      }
      edges.set(node.id, { edges: inputEdges, bases });
      stage.add(op, undefined, width);
    }
    else stage.add(op, exit.get(graph.collections.get(node.inputs[0]!)!.producer)!);
    stageOf.set(op, stage);
    entry.set(node.id, pre ?? op);
    exit.set(node.id, op);
    ops.push(op);
  }

  // Outputs: to consumers in the same stage directly, to other stages through a channel per consumer input.
  const receivers = new Map<string, Receiver[]>();
  const outputOf = (cid: string) => {
    let list = receivers.get(cid);
    if (list === undefined) receivers.set(cid, (list = []));
    return list;
  };
  for (const node of plan.order) {
    const head = entry.get(node.id)!;
    for (let i = 0; i < node.inputs.length; i++) {
      const cid = node.inputs[i]!;
      const producer = exit.get(graph.collections.get(cid)!.producer)!;
      const from = stageOf.get(producer)!;
      const to = stageOf.get(head)!;
      // In-stage (a precombine always is, in its producer's stage): receiver to receiver. Otherwise a channel.
      if (from === to && to.ops[0] !== head) outputOf(cid).push(head);
      else {
        const e = edges.get(node.id);
        const edge = e?.edges[i];
        const base = e?.bases[i] ?? i;
        const channel: Channel = edge !== undefined ? edge.open(to, base) : new DirectChannel(to, base);
        outputOf(cid).push(channel.elementSink);
        from.connect(producer, channel);
      }
    }
    const op = exit.get(node.id)!;
    if (head !== op) {
      // precombine → grouping: the shuffle's channel (an exchange of accumulators across workers).
      const edge = edges.get(node.id)?.edges[0];
      const channel: Channel = edge !== undefined ? edge.open(stageOf.get(op)!, 0) : new DirectChannel(stageOf.get(op)!, 0);
      head.wire(new Map([['main', channel.elementSink]]));
      stageOf.get(head)!.connect(head, channel);
    }
  }
  for (const node of plan.order) {
    const outputs = new Map<string, Receiver>();
    for (const [tag, cid] of node.outputs) {
      const rs = receivers.get(cid) ?? [];
      outputs.set(tag, rs.length === 0 && tag === 'errors' ? ctx.deadLetter : receiverOf(rs));
    }
    exit.get(node.id)!.wire(outputs);
  }
  return { ops, stages, sources, io };
}

function unhandled(node: never): never {
  const n = node as { name: string; kind: string };
  throw new RiffleError('PIPELINE_INVALID', `the embedded engine cannot run step '${n.name}' of kind '${n.kind}'`, { domain: 'internal' });
}

/**
 * A grouping operator. In a pipeline whose sources are all bounded, a grouping with a watermark-only trigger takes
 * the batch path (BatchGroupTable): its input watermark can only jump from −∞ to +∞ there. Other triggers keep the
 * reducer, which then gets each key's input in one call, at that jump (GroupOp's deferred input).
 */
function groupOp(ctx: BuildContext, node: PrimitiveNode, reduceFn: ReduceFn<unknown, unknown>, keepsValues: boolean, accumulators = false, combineFn?: CombinePerKeySpec['combineFn']): GroupOp {
  const input = ctx.graph.collections.get(node.inputs[0]!)!;
  // The batch table folds with the reduce function's own fold: the same reduction as the reducer's state cells.
  const batch =
    batchEligible(ctx, input.windowing, combineFn) && reduceFn.fold !== undefined
      ? new BatchGroupTable(
          node.name,
          input.windowing,
          reduceFn.fold,
          groupSpill(ctx, node, input, keepsValues || input.windowing.windowFn.isMerging, accumulators),
          ctx.checkpointed === true ? tableCoders(input, keepsValues, accumulators) : undefined,
        )
      : undefined;
  // A checkpointed deferred grouping snapshots its input through coders: its windows need one.
  const deferred = ctx.allBounded && ctx.batchGrouping && (ctx.checkpointed !== true || windowCoderOf(input.windowing.windowFn) !== undefined);
  const coders = ctx.checkpointed === true && deferred && batch === undefined ? tableCoders(input, keepsValues, accumulators) : undefined;
  // Deferred input takes a share of the job's memory budget: past it, it is handed to the reducer (bounded memory).
  const deferredMemory = deferred && batch === undefined ? ctx.memory?.budget.child(node.name, 1) : undefined;
  const op = new GroupOp(node, input.windowing, reduceFn, ctx.clock, batch, deferred, ctx.deferredGroupingElements, keyedOptions(ctx, node), coders, deferredMemory);
  // The counter appears in the metrics only once something was dropped.
  op.setDroppedCounter((n) => (ctx.metrics.counter(`${node.name}/droppedDueToLateness`).value += n));
  return op;
}

/**
 * The coders a batch grouping's checkpoints go through: the input's KV coder when it declares one, else the object
 * coder (which refuses what it cannot rebuild); groupByKey's accumulators are its lists of values; a combine's (and a
 * lifted combine's inputs, which are accumulators) go through the object coder — batchEligible checked that it takes
 * them.
 */
function tableCoders(input: CollectionInfo, keepsValues: boolean, accumulators: boolean): TableCoders {
  const kvc = isKvCoder(input.coder) ? input.coder : undefined;
  const key = kvc?.keyCoder ?? coders.object();
  const value = accumulators ? coders.object() : (kvc?.valueCoder ?? coders.object());
  return { key, value, accumulator: keepsValues ? (coders.list(value) as TableCoders['accumulator']) : coders.object(), window: windowCoderOf(input.windowing.windowFn)! };
}

/** The spilling side of a batch grouping when the run has a memory budget: its coders are the input's KV coder's. */
function groupSpill(ctx: BuildContext, node: PrimitiveNode, input: CollectionInfo, keepsValues: boolean, accumulators = false): GroupSpill | undefined {
  const memory = ctx.memory;
  if (memory === undefined) return undefined;
  const kvc = isKvCoder(input.coder) ? input.coder : undefined;
  // Partial accumulators (a lifted combine) spill with the object coder, not the input's value coder.
  if (accumulators && kvc !== undefined) {
    return new GroupSpill(node.name, input.windowing.windowFn, keepsValues, {
      budget: memory.budget.child(node.name, 1),
      warn: memory.warn,
      ...(memory.spillDir !== undefined ? { spillDir: memory.spillDir } : {}),
      keyCoder: kvc.keyCoder,
    });
  }
  return new GroupSpill(node.name, input.windowing.windowFn, keepsValues, {
    budget: memory.budget.child(node.name, 1),
    warn: memory.warn,
    ...(memory.spillDir !== undefined ? { spillDir: memory.spillDir } : {}),
    ...(kvc !== undefined ? { keyCoder: kvc.keyCoder, valueCoder: kvc.valueCoder } : {}),
  });
}

/** Key groups by the input's key coder when it has one (as an exchange routes), and the configured state. */
function keyedOptions(ctx: BuildContext, node: PrimitiveNode): KeyedOptions {
  const input = ctx.graph.collections.get(node.inputs[0]!)!;
  const keyState = ctx.keyState?.forStep?.(node.name) ?? ctx.keyState;
  return { assignKeyGroup: keyGroupAssignerFor(input.coder, ctx.maxParallelism), ...(keyState !== undefined ? { keyState } : {}) };
}

/**
 * Whether a combine's accumulators can cross workers with the object coder: its empty accumulator encodes (a class
 * instance, which the object coder refuses rather than flatten, keeps the combine unlifted: its elements cross).
 */
function shipsAccumulators(fn: CombinePerKeySpec['combineFn']): boolean {
  try {
    encodeToBytes(coders.object(), fn.createAccumulator());
    return true;
  } catch {
    return false;
  }
}

function batchEligible(ctx: BuildContext, windowing: WindowingStrategy, combineFn?: CombinePerKeySpec['combineFn']): boolean {
  // Merging windows are fine here: the table merges each key's windows once, over the full set, at the end.
  if (!(ctx.allBounded && ctx.batchGrouping && watermarkOnly(windowing.trigger))) return false;
  // A checkpointed table is written through coders: its windows need one, a combine's accumulators must encode.
  return ctx.checkpointed !== true || (windowCoderOf(windowing.windowFn) !== undefined && (combineFn === undefined || shipsAccumulators(combineFn)));
}
