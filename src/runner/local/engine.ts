import { RiffleError, StepFailedError, type ErrorRecord, type PipelineGraph, type PipelineMetrics, type PipelineResult, type Runner, type StepMetrics } from '../../model/index.ts';
import { InMemorySource } from '../../transforms/index.ts';
import { buildJob, type JobGraph } from './build.ts';
import { realClock, VirtualClock, type Clock } from './clock.ts';
import { DeadLetterFile, defaultDeadLetterPath, newRunId } from './dead-letter-file.ts';
import { MetricsRegistry } from './metrics.ts';
import type { Operator, Receiver } from './operator.ts';
import { checkMaxParallelism } from './key-group.ts';
import { describePlan, plan, type Plan } from './planner.ts';
import { PrecombineOp } from './precombine-op.ts';
import { SLICE_MS, SourceDriver, type EngineLoop } from './source-driver.ts';
import { SinkOp } from './sink-op.ts';
import { SourceOp } from './source-op.ts';
import type { LocalRunOptions } from './run-options.ts';
import { MemoryBudget, perStepKeyState, SpillingStateBackend, structuredStateCoder, type MemoryMetrics } from '../state/index.ts';
import type { ShareLoop } from './worker-share.ts';

export type { LocalRunOptions, Progress } from './run-options.ts';

/** The embedded engine: in-process, fused, bundle-at-a-time, with exact event-time semantics. */
export class LocalRunner implements Runner {
  readonly name = 'embedded';
  run(graph: PipelineGraph, options: LocalRunOptions = {}): Promise<PipelineResult> {
    // On several workers: a coordinator starts them (runner/exchange); each runs its share through an Execution.
    if (options.share === undefined && options.workers !== undefined && options.workers !== 1) {
      return import('../exchange/index.ts').then((m) => m.runOnWorkers(graph, options));
    }
    return new Execution(graph, options).run();
  }
  /** The fused plan of a pipeline, one line per stage. */
  explain(graph: PipelineGraph): string {
    return describePlan(plan(graph));
  }
}

/**
 * One run of a job: the stages built from the plan, the sources driving them, and the loop that brings the job to
 * rest after each input event (watermarks through the stages' valves, processing-time timers, pending work in
 * slices, sinks' I/O awaited).
 */
class Execution implements EngineLoop {
  private readonly plan: Plan;
  private readonly job: JobGraph;
  private readonly ops: readonly Operator[];
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
  /** The job's memory budget (`memoryBytes`, default a fraction of the heap): batch groupings spill past it. */
  private readonly memory: MemoryBudget;
  private readonly warned = new Set<string>();
  /** With an explicit `memoryBytes` (and no `keyState` of the caller's): each keyed step's state in a spilling backend. */
  private readonly spillingState: ReturnType<typeof perStepKeyState> | undefined;

  constructor(
    private readonly graph: PipelineGraph,
    private readonly options: LocalRunOptions,
  ) {
    this.plan = plan(graph, { viewsStartStages: options.share !== undefined });
    const testStreams = this.plan.order.filter((n) => n.kind === 'testStream');
    if (testStreams.length > 1) throw new RiffleError('PIPELINE_INVALID', 'a pipeline may contain at most one TestStream');
    if (testStreams.length > 0 && options.share !== undefined && options.share.testStream === undefined) {
      throw new RiffleError('PIPELINE_INVALID', 'a TestStream pipeline runs on one worker here (this worker share cannot play it in lockstep)', { domain: 'user', hint: 'run it with workers: 1' });
    }
    const unboundedReads = this.plan.order.filter((n) => n.kind === 'read' && n.spec.source.kind === 'unbounded');
    if (testStreams.length === 1 && unboundedReads.length > 0) {
      throw new RiffleError('PIPELINE_INVALID', `a TestStream pipeline cannot also read the unbounded source '${unboundedReads[0]!.name}': TestStream runs on a virtual clock`);
    }
    this.virtualClock = testStreams.length === 1 ? new VirtualClock(0) : undefined;
    const allBounded = this.plan.order.every((n) => n.kind !== 'testStream' && (n.kind !== 'read' || n.spec.source.kind === 'bounded'));
    this.clock = options.clock ?? this.virtualClock ?? realClock;
    const jobName = typeof options.jobName === 'string' && options.jobName !== '' ? options.jobName : 'pipeline';
    this.deadLetters = new DeadLetterFile(options.deadLetter ?? defaultDeadLetterPath(jobName, options.runId ?? newRunId()));
    if (options.maxErrors !== undefined && !(Number.isSafeInteger(options.maxErrors) && options.maxErrors >= 0)) {
      throw new RiffleError('CONFIG_INVALID', `maxErrors must be a whole number ≥ 0, got ${String(options.maxErrors)}`, { hint: 'omit it for no limit' });
    }
    this.memory = MemoryBudget.forJob(options.memoryBytes);
    if (options.keyState === undefined && options.memoryBytes !== undefined) {
      const keyed = this.plan.order.filter((n) => n.kind === 'groupByKey' || n.kind === 'combinePerKey' || (n.kind === 'parDo' && n.spec.stateful)).length;
      const budget = this.memory;
      this.spillingState = perStepKeyState((step) => new SpillingStateBackend({ budget: budget.child(`${step} (state)`, 1 / Math.max(1, keyed)), defaultCoder: structuredStateCoder() }));
    }
    const keyState = options.keyState ?? this.spillingState;
    this.job = buildJob({
      graph,
      plan: this.plan,
      clock: this.clock,
      metrics: this.metrics,
      signal: this.abort.signal,
      allBounded,
      batchGrouping: options.batchGrouping !== false,
      ...(options.precombineEntries !== undefined ? { precombineEntries: options.precombineEntries } : {}),
      ...(options.deferredGroupingElements !== undefined ? { deferredGroupingElements: options.deferredGroupingElements } : {}),
      deadLetter: this.deadLetterReceiver(),
      maxParallelism: checkMaxParallelism(options.maxParallelism),
      memory: { budget: this.memory, warn: (m) => this.warnOnce(m) },
      ...(keyState !== undefined ? { keyState } : {}),
      ...(options.share !== undefined ? { share: options.share } : {}),
    });
    this.ops = this.job.ops;
  }

  /** Records of error outputs nobody consumes: to the dead-letter file; past maxErrors the job stops. */
  private deadLetterReceiver(): Receiver {
    return {
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
  }

  /** The job's memory figures, and each grouping step's that took a share of the budget. */
  private memoryFigures(): NonNullable<PipelineMetrics['memory']> {
    const tree = this.memory.metricsTree();
    const steps: Record<string, MemoryMetrics> = {};
    for (const n of this.plan.order) {
      const m = tree[`job/${n.name}`];
      if (m !== undefined) steps[n.name] = m;
      const state = this.spillingState?.backends.get(n.name)?.metrics();
      if (state !== undefined && (state.bytesInMemory > 0 || state.runsWritten > 0)) {
        steps[`${n.name} (state)`] = { bytesInMemory: state.bytesInMemory, peakBytesInMemory: state.bytesInMemory, bytesSpilled: state.bytesSpilled, runsWritten: state.runsWritten, limit: state.limit };
      }
    }
    return { ...this.memory.metrics(), steps };
  }

  /** A warning for the user (a step that cannot spill), once per message. */
  private warnOnce(message: string): void {
    if (this.warned.has(message)) return;
    this.warned.add(message);
    console.warn(`riffle: warning: ${message}`);
  }

  get signal(): AbortSignal {
    return this.abort.signal;
  }

  // ---- running

  /**
   * Runs the job:
   * 1. open every operator; read the sources (bounded ones concurrently; with a TestStream, its script after the
   *    bounded inputs), bringing the job to rest after each batch (settleAsync);
   * 2. once every source is done, the final settle lets later stages finish (groups emitted, timers fired); then the
   *    end of input goes out on every channel and each operator's `finish` is awaited in order (sinks commit);
   * 3. cancellation (the caller's signal) and failures (a step, a source, too many rejected records) stop the
   *    sources at their next batch and the other stages at their next slice; `close` runs in every case, so sinks
   *    remove what they did not commit; the dead-letter file is closed whatever happens.
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
    const opened: Operator[] = [];
    let outcome: 'ok' | 'failed' = 'failed';
    try {
      for (const op of this.ops) {
        try {
          await op.open();
        } catch (e) {
          throw e instanceof RiffleError ? e : new StepFailedError(`${op.name} (setup)`, null, e);
        }
        opened.push(op);
      }
      await this.findInputs();
      // On several workers, input also arrives from the other workers' stages until each of them ended.
      const fromWorkers = this.options.share !== undefined ? this.guard(this.options.share.runInputs(this.shareLoop())) : undefined;
      await this.readSources();
      await fromWorkers;
      if (this.failure !== undefined && !this.cancelled) throw this.failure;
      if (!this.cancelled) {
        await this.guard(this.settleAsync());
        if (this.failure !== undefined && !this.cancelled) throw this.failure;
        for (const stage of this.job.stages) stage.endOutputs();
        for (const op of this.ops) await op.finish();
        await this.options.share?.afterFinish();
      }
      const cancelled = this.cancelled;
      if (!cancelled) for (const check of this.graph.completionChecks) check();
      this.deadLetters.close();
      outcome = 'ok';
      return {
        state: cancelled ? 'CANCELLED' : 'DONE',
        metrics: { ...this.metrics.snapshot(this.stepMetrics()), memory: this.memoryFigures() },
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
      for (const op of opened) {
        try {
          await op.close();
        } catch {
          // close errors must not hide the job's own outcome
        }
      }
      this.spillingState?.close();
    }
  }

  /** What the exchange inputs of a worker's share need: the job at rest before input enters, and a settle after. */
  private shareLoop(): ShareLoop {
    let kicked = false;
    return {
      signal: this.abort.signal,
      idle: () => (this.draining === undefined ? undefined : this.idle()),
      kick: () => {
        if (kicked) return;
        kicked = true;
        setImmediate(() => {
          kicked = false;
          void this.guard(this.settleAsync());
        });
      },
      settle: () => this.guard(this.settleAsync()),
    };
  }

  private async readSources(): Promise<void> {
    const driver = new SourceDriver(this);
    const testStream = this.job.sources.find((s) => s.node.kind === 'testStream');
    const others = this.job.sources.filter((s) => s !== testStream);
    const poll = this.options.pollIntervalMs;
    if (testStream) {
      // Bounded inputs (e.g. side inputs) complete first; then the script plays on the virtual clock (on workers, in
      // lockstep: the coordinator sends each event once the whole job is at rest).
      const share = this.options.share;
      await Promise.all(
        others.map((s) => {
          if (s.node.kind !== 'read' || s.node.spec.source.kind !== 'bounded') return undefined;
          const source = share !== undefined ? share.source(s.node, s.node.spec.source) : s.node.spec.source;
          return source.kind === 'bounded' ? this.guard(driver.runRead(s.op, source)) : undefined;
        }),
      );
      if (testStream.node.kind === 'testStream') await this.guard(driver.runTestStream(testStream.op, testStream.node.spec, this.virtualClock!, share?.testStream?.(testStream.node)));
    } else {
      await Promise.all(
        others.map((s) => {
          if (s.node.kind !== 'read') return undefined;
          const share = this.options.share;
          const source = share !== undefined ? share.source(s.node, s.node.spec.source) : s.node.spec.source;
          return this.guard(source.kind === 'bounded' ? driver.runRead(s.op, source) : driver.runUnbounded(s.op, source, poll));
        }),
      );
    }
  }

  /** Which sources are inputs, for progress: not the one-element in-memory impulses that sinks and combiners add. */
  private async findInputs(): Promise<void> {
    for (const { op, node } of this.job.sources) {
      if (node.kind === 'testStream') {
        this.inputs.add(op);
        continue;
      }
      const source = node.spec.source;
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

  // ---- EngineLoop (what the source driver calls)

  countRead(op: SourceOp, n: number): void {
    if (this.inputs.has(op)) this.elementsRead += n;
  }

  sourceDone(op: SourceOp): void {
    this.sourcesDone++;
    if (this.inputs.has(op)) this.inputsDone++;
  }

  /**
   * Lets the event loop run (timers, signals, I/O callbacks) every ~10 ms: sources that resolve synchronously (memory,
   * cached data) would otherwise starve cancellation and real-time timers.
   */
  async yieldNow(): Promise<void> {
    const now = Date.now();
    if (now - this.lastYield < 10) return;
    this.lastYield = now;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }

  async yieldSlice(): Promise<void> {
    this.lastYield = Date.now();
    await new Promise<void>((resolve) => setImmediate(resolve));
  }

  /** Waits while another task's settle is still draining: elements enter only a job at rest. */
  async idle(): Promise<void> {
    while (this.draining !== undefined) await this.draining;
  }

  /**
   * settle(), then the work that watermark advances left in operators (groups emitted at the end of the input, timers
   * firing), in slices of about SLICE_MS: between slices the event loop runs (Ctrl-C, progress), and a cancelled or
   * failed job stops there; then the sinks' writes in flight are awaited (so input never runs ahead of them). One
   * drain at a time; sources wait for it (idle) before they push more.
   */
  async settleAsync(): Promise<void> {
    await this.idle();
    for (;;) {
      this.settle();
      if (this.ops.some((op) => op.hasPendingWork())) {
        this.draining = this.drainLoop();
        try {
          await this.draining;
        } finally {
          this.draining = undefined;
          this.drainingStep = undefined;
        }
      }
      // A sink's flush may report outputs (pending work) and release its output watermark: settle again then.
      if (!(await this.awaitIo()) || this.abort.signal.aborted) return;
    }
  }

  /**
   * Sinks' writes and keyed state's flushes in flight, and channels that are full (back-pressure): awaited before more
   * input enters. True when a sink's flush was awaited: it may have moved the job (its outputs, its watermark).
   */
  private async awaitIo(): Promise<boolean> {
    let flushed = false;
    for (const op of this.job.io) {
      const pending = op.pendingIo();
      if (pending !== undefined) {
        await pending;
        if (op instanceof SinkOp) flushed = true;
      }
    }
    for (const stage of this.job.stages) {
      const ready = stage.ready();
      if (ready !== undefined) await ready;
    }
    return flushed;
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

  reportProgress(): void {
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
   * Brings the job to rest after an input event:
   * 1. each stage, in topological order, finishes its bundles and moves its watermarks (Stage.settle): its valve's
   *    output, set in-band by the channels of earlier stages in this same pass, is where its first operator's input
   *    watermark goes;
   * 2. processing-time timers due on the clock fire, in the same order, and the stages settle again, until nothing
   *    is due.
   */
  private settle(): void {
    this.propagate();
    for (let round = 0; round < 1000; round++) {
      const now = this.clock.now();
      let fired = false;
      for (const stage of this.job.stages) {
        for (const op of stage.ops) {
          const next = op.nextProcessingTimer();
          if (next !== undefined && next <= now) {
            stage.finishBundles();
            op.advanceProcessingTime(now);
            fired = true;
          }
        }
      }
      if (!fired) return;
      this.propagate();
    }
    throw new RiffleError('TIMER_LOOP', 'processing-time timers keep re-arming at the current time; a timer callback probably sets its own timer to "now"', { domain: 'user' });
  }

  private propagate(): void {
    const stages = this.job.stages;
    for (let i = 0; i < stages.length; i++) stages[i]!.settle();
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
