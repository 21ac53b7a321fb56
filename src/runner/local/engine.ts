import {
  GLOBAL_WINDOWS,
  MAX_TIMESTAMP,
  MIN_TIMESTAMP,
  NO_FIRING,
  RiffleError,
  StepFailedError,
  type BoundedSource,
  type CombinePerKeySpec,
  type ErrorRecord,
  type FilterSpec,
  type FlatMapSpec,
  type MapSpec,
  type AssignTimestampsSpec,
  type NodeInfo,
  type ParDoSpec,
  type PipelineGraph,
  type PipelineResult,
  type ReadSpec,
  type Runner,
  type RunOptions,
  type StepMetrics,
  type TestStreamSpec,
  type UnboundedSource,
  type ViewSpec,
  type WindowingStrategy,
  type SourceBatch,
} from '../../model/index.ts';
import { bufferingReduceFn, combiningReduceFn } from '../../semantics/index.ts';
import { realClock, VirtualClock, type Clock } from './clock.ts';
import { AssignTimestampsOp, FilterOp, FlatMapOp, MapOp, PassThroughOp, WindowIntoOp } from './element-ops.ts';
import { GroupOp } from './group-op.ts';
import { MetricsRegistry } from './metrics.ts';
import { Operator, receiverOf, type Receiver } from './operator.ts';
import { ParDoOp } from './par-do-op.ts';
import { describePlan, plan, watermarkOnly, type Plan } from './planner.ts';
import { BatchGroupTable, bufferFolder, combineFolder, type Folder } from './batch-group.ts';
import { PrecombineOp } from './precombine-op.ts';
import { SourceOp } from './source-op.ts';
import { DeadLetterFile, defaultDeadLetterPath, newRunId } from './dead-letter-file.ts';
import { InMemorySource } from '../../transforms/index.ts';
import { ViewOp, ViewStore } from './view-op.ts';

/** Options of the embedded engine. */
export interface LocalRunOptions extends RunOptions {
  /** Processing time (default: the real clock; a virtual clock under TestStream). */
  clock?: Clock;
  /** Called after each bundle read from a bounded source, and now and then while later stages finish their work. */
  onProgress?: (p: Progress) => void;
  /** Names this run in the default dead-letter path (default: a time-ordered random id). */
  runId?: string;
  /** How long an idle unbounded source is waited on before timers are checked again (ms). */
  pollIntervalMs?: number;
  /** Entries kept by each lifted combiner before it flushes (bounds memory). */
  precombineEntries?: number;
  /**
   * Bounded pipelines group with the batch path (default true): watermark-only triggers fold into a batch table, other
   * triggers get each key's input in one reducer call; false forces the per-bundle streaming reducer everywhere.
   */
  batchGrouping?: boolean;
  /**
   * Bounded groupings with data-driven triggers: how many elements each buffers before handing them to the reducer
   * at the end of a bundle (default 1,000,000); the rest wait for the end of the input.
   */
  deferredGroupingElements?: number;
}

export interface Progress {
  /** Elements read from the pipeline's inputs (internal impulses, e.g. a sink's commit trigger, not counted). */
  readonly elementsRead: number;
  readonly sourcesDone: number;
  /** The pipeline's inputs (internal one-element impulses excluded). */
  readonly sources: number;
  readonly bytesEstimated: number;
  /** 'reading' while inputs are read; 'finishing' while later stages emit what they hold (groups, timers, commits). */
  readonly phase: 'reading' | 'finishing';
  /** The step whose pending work is being done, when finishing. */
  readonly step?: string;
  /** Elements emitted by every step that is not a source: moves in every stage, including after reading. */
  readonly elementsProcessed: number;
  /** Records rejected so far (dead letters). */
  readonly deadLetters: number;
}

/** Longest stretch of synchronous work between two checks for cancellation (and progress reports), in ms. */
const SLICE_MS = 20;

/** The embedded engine: in-process, fused, bundle-at-a-time, with exact event-time semantics. */
export class LocalRunner implements Runner {
  readonly name = 'embedded';
  run(graph: PipelineGraph, options: LocalRunOptions = {}): Promise<PipelineResult> {
    return new Execution(graph, options).run();
  }
  /** The fused plan of a pipeline, one line per stage. */
  explain(graph: PipelineGraph): string {
    return describePlan(plan(graph));
  }
}

class Execution {
  private readonly plan: Plan;
  private readonly ops: Operator[] = [];
  private readonly upstream = new Map<Operator, Operator[]>();
  /** The operator that receives a node's main input (differs from its output operator for a lifted combine). */
  private readonly entry = new Map<string, Operator>();
  /** The operator that produces a node's outputs. */
  private readonly exit = new Map<string, Operator>();
  private readonly views = new Map<string, ViewStore>();
  private readonly sources: Array<{ op: SourceOp; node: NodeInfo }> = [];
  private readonly metrics = new MetricsRegistry();
  private readonly deadLetters: DeadLetterFile;
  /** Sources that are inputs of the pipeline (not internal one-element impulses), for progress. */
  private readonly inputs = new Set<SourceOp>();
  private bytesEstimated = 0;
  private inputsDone = 0;
  private draining: Promise<void> | undefined;
  private drainingStep: string | undefined;
  /** Set when the caller's signal aborted: errors after it (e.g. a source's AbortError) are the cancellation itself. */
  private cancelled = false;
  private readonly clock: Clock;
  private readonly virtualClock: VirtualClock | undefined;
  private readonly abort = new AbortController();
  private elementsRead = 0;
  private lastYield = Date.now();
  private sourcesDone = 0;
  private failure: unknown;
  private readonly allBounded: boolean;

  constructor(
    private readonly graph: PipelineGraph,
    private readonly options: LocalRunOptions,
  ) {
    this.plan = plan(graph);
    const testStreams = this.plan.order.filter((n) => n.kind === 'testStream');
    if (testStreams.length > 1) throw new RiffleError('PIPELINE_INVALID', 'a pipeline may contain at most one TestStream');
    const unboundedReads = this.plan.order.filter((n) => n.kind === 'read' && (n.spec as ReadSpec).source.kind === 'unbounded');
    if (testStreams.length === 1 && unboundedReads.length > 0) {
      throw new RiffleError('PIPELINE_INVALID', `a TestStream pipeline cannot also read the unbounded source '${unboundedReads[0]!.name}': TestStream runs on a virtual clock`);
    }
    this.virtualClock = testStreams.length === 1 ? new VirtualClock(0) : undefined;
    this.allBounded = this.plan.order.every((n) => n.kind !== 'testStream' && (n.kind !== 'read' || (n.spec as ReadSpec).source.kind === 'bounded'));
    this.clock = options.clock ?? this.virtualClock ?? realClock;
    const jobName = typeof options.jobName === 'string' && options.jobName !== '' ? options.jobName : 'pipeline';
    this.deadLetters = new DeadLetterFile(options.deadLetter ?? defaultDeadLetterPath(jobName, options.runId ?? newRunId()));
    if (options.maxErrors !== undefined && !(Number.isSafeInteger(options.maxErrors) && options.maxErrors >= 0)) {
      throw new RiffleError('CONFIG_INVALID', `maxErrors must be a whole number ≥ 0, got ${String(options.maxErrors)}`, { hint: 'omit it for no limit' });
    }
    this.build();
  }

  // ---- building: one operator per primitive (two for a lifted combine), wired receiver-to-receiver

  private build(): void {
    for (const node of this.plan.order) {
      const input = node.inputs.length > 0 ? this.graph.collections.get(node.inputs[0]!)! : undefined;
      let op: Operator;
      let entry: Operator | undefined;
      switch (node.kind) {
        case 'read':
        case 'testStream':
          op = new SourceOp(node);
          this.sources.push({ op: op as SourceOp, node });
          break;
        case 'map':
          op = new MapOp(node, node.spec as MapSpec);
          break;
        case 'flatMap':
          op = new FlatMapOp(node, node.spec as FlatMapSpec);
          break;
        case 'filter':
          op = new FilterOp(node, node.spec as FilterSpec);
          break;
        case 'assignTimestamps':
          op = new AssignTimestampsOp(node, node.spec as AssignTimestampsSpec);
          break;
        case 'windowInto':
          op = new WindowIntoOp(node, this.graph.collections.get(node.outputs.get('main')!)!.windowing.windowFn);
          break;
        case 'flatten':
        case 'reshuffle':
          op = new PassThroughOp(node);
          break;
        case 'groupByKey':
          op = this.groupOp(node, bufferingReduceFn(), bufferFolder());
          break;
        case 'combinePerKey': {
          const spec = node.spec as CombinePerKeySpec;
          // On the batch path the grouping table combines in place: a precombine in front would only add a copy.
          if (this.plan.lifted.has(node.id) && !this.batchEligible(input!.windowing)) {
            entry = new PrecombineOp(node, spec, input!.windowing.timestampCombiner, this.options.precombineEntries);
            op = this.groupOp(node, combiningReduceFn(spec.combineFn, { inputsAreAccumulators: true }), combineFolder(spec.combineFn, true));
            this.ops.push(entry);
            this.upstream.set(op, [entry]);
          } else {
            op = this.groupOp(node, combiningReduceFn(spec.combineFn), combineFolder(spec.combineFn, false));
          }
          break;
        }
        case 'view': {
          const info = this.graph.views.get((node.spec as ViewSpec).viewId)!;
          const store = new ViewStore(info, input!.windowing);
          this.views.set(info.id, store);
          op = new ViewOp(node, store);
          break;
        }
        case 'parDo':
          op = new ParDoOp(node, node.spec as ParDoSpec, this.views, input!.windowing, this.clock, this.metrics.forStep(node.name));
          break;
        default:
          throw new RiffleError('PIPELINE_INVALID', `the embedded engine cannot run step '${node.name}' of kind '${node.kind}'`, { domain: 'internal' });
      }
      entry ??= op;
      this.entry.set(node.id, entry);
      this.exit.set(node.id, op);
      this.ops.push(op);
      const ups = node.inputs.map((c) => this.exit.get(this.graph.collections.get(c)!.producer)!);
      this.upstream.set(entry, ups);
    }
    // Wire outputs to consumers' entry operators; unconsumed error outputs go to the dead-letter list.
    const consumers = this.graph.consumers();
    const deadLetter: Receiver = {
      process: (value) => {
        this.deadLetters.add(value as ErrorRecord);
        this.metrics.counter('deadLetters').value++;
        const max = this.options.maxErrors;
        // Not thrown here: a throw would unwind through the step that produced the record. The sources stop at their
        // next batch and the run fails with this error.
        if (max !== undefined && this.deadLetters.count > max && this.failure === undefined) {
          this.failure = new RiffleError('TOO_MANY_ERRORS', `more than ${max} record${max === 1 ? ' was' : 's were'} rejected (the last at step '${(value as ErrorRecord).step}': ${(value as ErrorRecord).error}); the job was stopped`, {
            domain: 'user',
            context: { step: (value as ErrorRecord).step },
            hint: `the rejected records are in ${this.deadLetters.path}; fix the input, or raise the limit (--max-errors)`,
          });
          this.abort.abort(this.failure);
        }
      },
    };
    for (const node of this.plan.order) {
      const outputs = new Map<string, Receiver>();
      for (const [tag, cid] of node.outputs) {
        const rs = (consumers.get(cid) ?? []).map((c) => this.entry.get(c.id)!);
        outputs.set(tag, rs.length === 0 && tag === 'errors' ? deadLetter : receiverOf(rs));
      }
      const exit = this.exit.get(node.id)!;
      const entry = this.entry.get(node.id)!;
      if (entry !== exit) entry.wire(new Map([['main', exit]]));
      exit.wire(outputs);
    }
  }

  /**
   * A grouping operator. In a pipeline whose sources are all bounded, a grouping with a watermark-only trigger takes
   * the batch path (BatchGroupTable): its input watermark can only jump from −∞ to +∞ there. Other triggers keep the
   * reducer, which then gets each key's input in one call, at that jump (GroupOp's deferred input).
   */
  private groupOp(node: NodeInfo, reduceFn: ReturnType<typeof bufferingReduceFn>, folder: Folder<any, any, any>): GroupOp {
    const input = this.graph.collections.get(node.inputs[0]!)!;
    const batch = this.batchEligible(input.windowing) ? new BatchGroupTable(node.name, input.windowing, folder) : undefined;
    const deferred = this.allBounded && this.options.batchGrouping !== false;
    const op = new GroupOp(node, input.windowing, reduceFn, this.clock, batch, deferred, this.options.deferredGroupingElements);
    // The counter appears in the metrics only once something was dropped.
    op.setDroppedCounter((n) => (this.metrics.counter(`${node.name}/droppedDueToLateness`).value += n));
    return op;
  }

  private batchEligible(windowing: WindowingStrategy): boolean {
    // Merging windows are fine here: the table merges each key's windows once, over the full set, at the end.
    return this.allBounded && this.options.batchGrouping !== false && watermarkOnly(windowing.trigger);
  }

  // ---- running

  /**
   * Runs the job:
   * 1. set up every operator; read the sources (bounded ones concurrently; with a TestStream, its script after the
   *    bounded inputs), bringing the job to rest after each batch (settleAsync);
   * 2. once every source is done, the final settle lets later stages finish (groups emitted, sinks committed);
   * 3. cancellation (the caller's signal) and failures (a step, a source, too many rejected records) stop the
   *    sources at their next batch and the other stages at their next slice; teardown runs in every case, so sinks
   *    remove their temporary files; the dead-letter file is closed whatever happens.
   */
  async run(): Promise<PipelineResult> {
    const started = Date.now();
    const signal = this.options.signal;
    const onAbort = () => {
      this.cancelled = true;
      this.abort.abort(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    if (signal?.aborted) onAbort();
    const setUp: Operator[] = [];
    let outcome: 'ok' | 'failed' = 'failed';
    try {
      for (const op of this.ops) {
        try {
          await op.setup();
        } catch (e) {
          throw e instanceof RiffleError ? e : new StepFailedError(`${op.name} (setup)`, null, e);
        }
        setUp.push(op);
      }
      await this.findInputs();
      const testStream = this.sources.find((s) => s.node.kind === 'testStream');
      const others = this.sources.filter((s) => s !== testStream);
      if (testStream) {
        // Bounded inputs (e.g. side inputs) complete first; then the script plays on the virtual clock.
        await Promise.all(others.map((s) => this.guard(this.runRead(s.op, (s.node.spec as ReadSpec).source as BoundedSource<unknown>))));
        await this.guard(this.runTestStream(testStream.op, testStream.node.spec as TestStreamSpec));
      } else {
        await Promise.all(others.map((s) => this.guard(this.runSource(s.op, (s.node.spec as ReadSpec).source))));
      }
      if (this.failure !== undefined && !this.cancelled) throw this.failure;
      if (!this.cancelled) {
        await this.guard(this.settleAsync());
        if (this.failure !== undefined && !this.cancelled) throw this.failure;
      }
      const cancelled = this.cancelled;
      if (!cancelled) for (const check of this.graph.completionChecks) check();
      this.deadLetters.close();
      outcome = 'ok';
      return {
        state: cancelled ? 'CANCELLED' : 'DONE',
        metrics: this.metrics.snapshot(this.stepMetrics()),
        deadLetters: this.deadLetters.kept,
        deadLetterCount: this.deadLetters.count,
        ...(this.deadLetters.count > 0 ? { deadLetterPath: this.deadLetters.path } : {}),
        durationMs: Date.now() - started,
      };
    } finally {
      signal?.removeEventListener('abort', onAbort);
      if (outcome === 'failed') {
        try {
          this.deadLetters.close();
        } catch {
          // the job's own failure is the error to report
        }
      }
      for (const op of setUp) {
        try {
          await op.teardown();
        } catch {
          // teardown errors must not hide the job's own outcome
        }
      }
    }
  }

  /** Which sources are inputs, for progress: not the one-element in-memory impulses that sinks and combiners add. */
  private async findInputs(): Promise<void> {
    for (const { op, node } of this.sources) {
      if (node.kind === 'testStream') {
        this.inputs.add(op);
        continue;
      }
      const source = (node.spec as ReadSpec).source;
      if (source.kind === 'bounded') {
        const bytes = await source.estimateSizeBytes().catch(() => 0);
        // An in-memory source estimates 64 bytes per element.
        if (source instanceof InMemorySource && bytes <= 64) continue;
        this.bytesEstimated += bytes;
      }
      this.inputs.add(op);
    }
  }

  /** Runs a task; the first failure stops every other task. After a cancellation, errors are its echo (AbortError). */
  private async guard(task: Promise<void>): Promise<void> {
    try {
      await task;
    } catch (e) {
      if (this.cancelled) return;
      if (this.failure === undefined) this.failure = e;
      this.abort.abort(e);
    }
  }

  private runSource(op: SourceOp, source: BoundedSource<unknown> | UnboundedSource<unknown>): Promise<void> {
    return source.kind === 'bounded' ? this.runRead(op, source) : this.runUnbounded(op, source);
  }

  private async runRead(op: SourceOp, source: BoundedSource<unknown>): Promise<void> {
    for await (const batch of source.read(this.abort.signal)) {
      if (this.abort.signal.aborted) return;
      if (!(await this.pushInSlices(op, batch))) return;
    }
    if (this.abort.signal.aborted) return;
    await this.idle();
    this.sourceDone(op);
    op.outputWatermark = MAX_TIMESTAMP;
    await this.settleAsync();
  }

  private async runUnbounded(op: SourceOp, source: UnboundedSource<unknown>): Promise<void> {
    const reader = await source.open(undefined, this.abort.signal);
    const poll = this.options.pollIntervalMs ?? 100;
    try {
      while (!this.abort.signal.aborted) {
        const batch = await reader.next(poll);
        if (this.abort.signal.aborted) return;
        if (batch && !(await this.pushInSlices(op, batch))) return;
        await this.idle();
        const wm = reader.watermark();
        if (wm > op.outputWatermark) op.outputWatermark = wm;
        await this.settleAsync();
        await this.yieldNow();
        if (wm >= MAX_TIMESTAMP) break;
      }
      if (!this.abort.signal.aborted) this.sourceDone(op);
    } finally {
      await reader.close();
    }
  }

  private async runTestStream(op: SourceOp, spec: TestStreamSpec): Promise<void> {
    const clock = this.virtualClock!;
    for (let i = 0; i < spec.events.length; i++) {
      if (this.abort.signal.aborted) return;
      const ev = spec.events[i]!;
      if (ev.kind === 'elements') {
        const head = op.head;
        for (const e of ev.elements) {
          op.elementsOut++;
          head.process(e.value, e.timestamp, GLOBAL_WINDOWS, NO_FIRING);
        }
        this.elementsRead += ev.elements.length;
      } else if (ev.kind === 'watermark') {
        if (ev.watermark > op.outputWatermark) op.outputWatermark = ev.watermark;
      } else {
        clock.advance(ev.advanceBy);
      }
      await this.settleAsync();
      spec.onEventDone?.(i);
    }
    if (this.abort.signal.aborted) return;
    op.outputWatermark = MAX_TIMESTAMP;
    this.sourceDone(op);
    await this.settleAsync();
  }

  private sourceDone(op: SourceOp): void {
    this.sourcesDone++;
    if (this.inputs.has(op)) this.inputsDone++;
  }

  /**
   * Lets the event loop run (timers, signals, I/O callbacks) every ~10 ms: sources that resolve synchronously (memory,
   * cached data) would otherwise starve cancellation and real-time timers.
   */
  private async yieldNow(): Promise<void> {
    const now = Date.now();
    if (now - this.lastYield < 10) return;
    this.lastYield = now;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }

  /** Waits while another task's settle is still draining: elements enter only a job at rest. */
  private async idle(): Promise<void> {
    while (this.draining !== undefined) await this.draining;
  }

  /**
   * settle(), then the work that watermark advances left in operators (groups emitted at the end of the input, timers
   * firing), in slices of about SLICE_MS: between slices the event loop runs (Ctrl-C, progress), and a cancelled or
   * failed job stops there. One drain at a time; sources wait for it (idle) before they push more.
   */
  private async settleAsync(): Promise<void> {
    await this.idle();
    this.settle();
    if (!this.ops.some((op) => op.hasPendingWork())) return;
    this.draining = this.drainLoop();
    try {
      await this.draining;
    } finally {
      this.draining = undefined;
      this.drainingStep = undefined;
    }
  }

  private async drainLoop(): Promise<void> {
    for (;;) {
      if (this.abort.signal.aborted) return;
      const deadline = Date.now() + SLICE_MS;
      for (const op of this.ops) {
        if (!op.hasPendingWork()) continue;
        this.drainingStep = op.name;
        if (op.drain(deadline)) break;
      }
      this.settle();
      if (!this.ops.some((op) => op.hasPendingWork())) return;
      this.reportProgress();
      this.lastYield = Date.now();
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  private reportProgress(): void {
    const report = this.options.onProgress;
    if (report === undefined) return;
    let processed = 0;
    for (const op of this.ops) if (!(op instanceof SourceOp)) processed += op.elementsOut;
    report({
      elementsRead: this.elementsRead,
      sourcesDone: this.inputsDone,
      sources: this.inputs.size,
      bytesEstimated: this.bytesEstimated,
      phase: this.inputsDone < this.inputs.size ? 'reading' : 'finishing',
      ...(this.drainingStep !== undefined ? { step: this.drainingStep } : {}),
      elementsProcessed: processed,
      deadLetters: this.deadLetters.count,
    });
  }

  /**
   * Pushes a batch through the source's stage from element `from` until its end or until `Date.now()` passes
   * `deadline` (checked every 64 elements), and returns where it stopped: a large batch through slow steps is pushed
   * in slices, between which the engine checks for cancellation. The batch's error records go with its first part.
   */
  private push(op: SourceOp, batch: SourceBatch<unknown>, defaultTs: number, from = 0, deadline = Infinity): number {
    const head = op.head;
    const { values, timestamps } = batch;
    const n = values.length;
    let i = from;
    if (timestamps) {
      for (; i < n; i++) {
        head.process(values[i], timestamps[i]!, GLOBAL_WINDOWS, NO_FIRING);
        if ((i & 63) === 63 && Date.now() >= deadline) {
          i++;
          break;
        }
      }
    } else {
      for (; i < n; i++) {
        head.process(values[i], defaultTs, GLOBAL_WINDOWS, NO_FIRING);
        if ((i & 63) === 63 && Date.now() >= deadline) {
          i++;
          break;
        }
      }
    }
    op.elementsOut += i - from;
    if (this.inputs.has(op)) this.elementsRead += i - from;
    if (from === 0 && batch.errors && batch.errors.length > 0) {
      const errors = op.errorOutput;
      op.errors += batch.errors.length;
      // Error records name the step users gave the read; the source's own description moves to the origin.
      for (const e of batch.errors) {
        const record: ErrorRecord = { ...e, step: op.name, origin: { source: e.step, ...e.origin } };
        errors?.process(record, defaultTs, GLOBAL_WINDOWS, NO_FIRING);
      }
    }
    return i;
  }

  /**
   * Pushes a whole batch as one bundle, in slices of about SLICE_MS between which the event loop runs (Ctrl-C,
   * progress) and a cancelled job stops; then brings the job to rest. The bundle stays open across slices, so a
   * batch still makes one bundle (e.g. one file per bundle for a sink) however slow its steps are.
   * Returns false once the job is stopped.
   */
  private async pushInSlices(op: SourceOp, batch: SourceBatch<unknown>): Promise<boolean> {
    const n = batch.values.length;
    let from = 0;
    for (;;) {
      await this.idle();
      if (this.abort.signal.aborted) return false;
      from = this.push(op, batch, MIN_TIMESTAMP, from, Date.now() + SLICE_MS);
      if (from >= n) break;
      this.reportProgress();
      this.lastYield = Date.now();
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    await this.settleAsync();
    await this.yieldNow();
    this.reportProgress();
    return !this.abort.signal.aborted;
  }

  /**
   * Brings the job to rest after an input event:
   * 1. in topological order, finish each operator's bundle (keyed operators hand buffered keys to the reducer), then
   *    advance its input watermark to the minimum of its inputs' output watermarks (firing event-time timers), let
   *    pushed-back side-input elements retry, and set its output watermark to min(input, holds), never backwards;
   * 2. fire processing-time timers that are due on the clock, in the same order, and repeat until nothing is due.
   */
  private settle(): void {
    this.propagate();
    for (let round = 0; round < 1000; round++) {
      const now = this.clock.now();
      let fired = false;
      for (const op of this.ops) {
        const next = op.nextProcessingTimer();
        if (next !== undefined && next <= now) {
          this.finish(op);
          op.advanceProcessingTime(now);
          fired = true;
        }
      }
      if (!fired) return;
      this.propagate();
    }
    throw new RiffleError('TIMER_LOOP', 'processing-time timers keep re-arming at the current time; a timer callback probably sets its own timer to "now"', { domain: 'user' });
  }

  private propagate(): void {
    for (const op of this.ops) {
      this.finish(op);
      if (op instanceof SourceOp) continue;
      const ups = this.upstream.get(op)!;
      let inWm = MAX_TIMESTAMP;
      for (let i = 0; i < ups.length; i++) if (ups[i]!.outputWatermark < inWm) inWm = ups[i]!.outputWatermark;
      if (inWm > op.inputWatermark) op.advanceInputWatermark(inWm);
      op.onSideInputProgress();
      this.finish(op);
      const out = Math.min(op.inputWatermark, op.holdWatermark());
      if (out > op.outputWatermark) op.outputWatermark = out;
    }
  }

  private finish(op: Operator): void {
    if (op.inBundle) {
      op.inBundle = false;
      op.finishBundle();
    }
  }

  private stepMetrics(): StepMetrics[] {
    return this.ops.map((op) => ({
      step: op.name,
      kind: op instanceof PrecombineOp ? 'precombine' : op.node.kind,
      elementsIn: op.elementsIn,
      elementsOut: op.elementsOut,
      droppedLate: op.droppedLate,
      errors: op.errors,
    }));
  }
}
