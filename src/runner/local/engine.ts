import { availableParallelism } from 'node:os';
import { MAX_TIMESTAMP, MIN_TIMESTAMP, RiffleError, StepFailedError, singleWorkerReason, type ErrorRecord, type PipelineGraph, type PipelineMetrics, type PipelineResult, type Runner, type StepMetrics } from '../../model/index.ts';
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
import type { LocalRunOptions, StepSnapshot } from './run-options.ts';
import { MemoryBudget, perStepKeyState, SpillingStateBackend, structuredStateCoder, type MemoryMetrics } from '../state/index.ts';
import type { ShareLoop } from './worker-share.ts';
import { CheckpointCoordinator, checkpointedKeyState, jobFingerprint, latestCheckpointWorkers, LocalCheckpointStorage, restartDelays, type CheckpointedJob, type RestoredCheckpoint } from '../checkpoint/index.ts';

export type { LocalRunOptions, Progress, StepSnapshot } from './run-options.ts';

/** The embedded engine: in-process, fused, bundle-at-a-time, with exact event-time semantics. */
export class LocalRunner implements Runner {
  readonly name = 'embedded';
  run(graph: PipelineGraph, options: LocalRunOptions = {}): Promise<PipelineResult> {
    // A job control's cancel is the run's signal too.
    const control = options.control;
    if (control !== undefined && options.signal !== control.signal) {
      options = { ...options, signal: options.signal !== undefined ? AbortSignal.any([options.signal, control.signal]) : control.signal };
    }
    if (checkpointsOn(options) || savepointsOn(options)) return runCheckpointed(graph, options);
    if (options.workers === undefined && options.share === undefined && options.pipelineModule !== undefined) {
      return defaultWorkers(graph, options).then((workers) => this.run(graph, { ...options, workers }));
    }
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
 * A checkpointed run (issue 14), on one worker: a task failure restarts it from its latest complete checkpoint under
 * the restart strategy (LocalRunOptions.restart); failures that a restart cannot cure (the user's configuration, a
 * checkpoint directory of another pipeline, too many rejected records, cancellation) end it at once.
 */
async function runCheckpointed(graph: PipelineGraph, options: LocalRunOptions): Promise<PipelineResult> {
  const log = runLog(options);
  const unbounded = [...graph.nodes.values()].some((n) => n.kind === 'read' && n.spec.source.kind === 'unbounded');
  const strategy = options.restart ?? (unbounded ? { kind: 'fixed-delay' as const, maxRestarts: 3, delayMs: 1000 } : { kind: 'none' as const, maxRestarts: 0 });
  let resume = options.resume === true;
  const onWorkers = await checkpointsOnWorkers(graph, options, log);
  for (let attempt = 1; ; attempt++) {
    try {
      // On worker threads the coordinator (runner/exchange) takes the checkpoints; in one thread, the Execution.
      if (onWorkers !== undefined) return await import('../exchange/index.ts').then((m) => m.runOnWorkers(graph, { ...options, workers: onWorkers, resume }));
      return await new Execution(graph, { ...options, workers: 1, resume }).run();
    } catch (e) {
      const delay = restartDelays(strategy, attempt);
      if (delay === undefined || options.signal?.aborted || !restartable(e)) throw e;
      log(`riffle: the job failed (${(e as Error).message}); restarting from its latest checkpoint in ${delay} ms (restart ${attempt} of ${strategy.maxRestarts})`);
      await new Promise((r) => setTimeout(r, delay));
      resume = true;
    }
  }
}

/**
 * Whether a checkpointed run goes to worker threads, and on how many: `workers` > 1 asked for (with a pipeline
 * module, no TestStream), or — resuming — the checkpoint was taken on worker threads (restored on the number asked
 * for, 1 by default: rescale). A checkpoint taken in one thread resumes in one thread (its bounded reads' positions
 * are the whole source's, not its splits'), saying so when more workers were asked for. Undefined: in this thread.
 */
async function checkpointsOnWorkers(graph: PipelineGraph, options: LocalRunOptions, log: (m: string) => void): Promise<number | undefined> {
  const asked = options.workers ?? 1;
  const testStream = [...graph.nodes.values()].some((n) => n.kind === 'testStream');
  if (savepointsOn(options)) {
    if (options.pipelineModule === undefined || testStream) {
      throw new RiffleError('CONFIG_INVALID', `savepoints (--savepoint-dir, --from-savepoint) are taken on worker threads, which ${testStream ? 'a TestStream pipeline does not run on' : 'need a pipeline module (this pipeline was built inline)'}`, {
        domain: 'user',
        hint: 'run a pipeline module with riffle run <module> --savepoint-dir DIR, or use checkpoints (--checkpoint-dir, --resume)',
      });
    }
    return asked;
  }
  let taken: number | null | undefined;
  if (options.resume === true) taken = await latestCheckpointWorkers(options.checkpointStorage ?? new LocalCheckpointStorage(options.checkpointDir!));
  if (taken === null) {
    if (asked !== 1) log(`riffle: the checkpoint was taken in one thread: resuming in one thread (${asked} workers were asked for; a checkpoint taken with --workers N can be resumed at any N)`);
    return undefined;
  }
  if (asked === 1 && taken === undefined) return undefined;
  if (options.pipelineModule === undefined || testStream) {
    if (asked !== 1) log(`riffle: checkpointed runs of ${testStream ? 'a TestStream' : 'a pipeline built inline (no module)'} use one worker (${asked} were asked for)`);
    return undefined;
  }
  return asked;
}

/** Bounded input per worker below which the default starts no more workers (as Spark sizes its input partitions). */
export const DEFAULT_BYTES_PER_WORKER = 64 * 2 ** 20;

/**
 * The worker count of a pipeline module (what `riffle run` loads, which each worker can load again) when none is
 * given: one per core, as Flink's and Spark's local defaults — but no more than one per DEFAULT_BYTES_PER_WORKER of
 * bounded input (a small job would spend more starting threads than it saves), and one for a job that cannot run on
 * several (a step pinned to one worker, a custom state backend, a TestStream's script). A job reading an unbounded
 * source takes every core. A pipeline built inline in a script has no module for workers to load: it runs in-process.
 */
async function defaultWorkers(graph: PipelineGraph, options: LocalRunOptions): Promise<number> {
  const cores = availableParallelism();
  if (cores === 1 || options.keyState !== undefined) return 1;
  let bytes = 0;
  for (const node of graph.nodes.values()) {
    if (node.kind === 'testStream') return 1;
    if (singleWorkerReason(node) !== undefined) return 1;
  }
  for (const node of graph.nodes.values()) {
    if (node.kind !== 'read') continue;
    if (node.spec.source.kind === 'unbounded') return cores;
    bytes += await node.spec.source.estimateSizeBytes().catch(() => 0);
  }
  return Math.max(1, Math.min(cores, Math.ceil(bytes / DEFAULT_BYTES_PER_WORKER)));
}

/** What the pipeline's bounded sources noticed about their input (`BoundedSource.warnings`), in plan order. */
function inputWarningsOf(graph: PipelineGraph): Pick<PipelineResult, 'inputWarnings'> {
  const warnings = [...graph.nodes.values()].flatMap((n) => (n.kind === 'read' && n.spec.source.kind === 'bounded' ? (n.spec.source.warnings?.() ?? []) : []));
  return warnings.length > 0 ? { inputWarnings: warnings } : {};
}

/** Checkpoints are on with a directory and an interval (or `resume`), in a run that is not one worker's share. */
/** Where the run's messages (checkpoint notices, warnings) go: `options.log`, else stderr (stdout is the CLI's). */
function runLog(options: LocalRunOptions): (message: string) => void {
  return options.log ?? ((m: string) => console.error(m));
}

/** Savepoints asked for (taken or restored): the run goes to worker threads, whose coordinator takes them. */
function savepointsOn(options: LocalRunOptions): boolean {
  return options.share === undefined && (options.savepointDir !== undefined || options.fromSavepoint !== undefined);
}

function checkpointsOn(options: LocalRunOptions): boolean {
  return options.checkpointDir !== undefined && (options.checkpointIntervalMs !== undefined || options.resume === true) && options.share === undefined;
}

/** Whether a restart may cure a failure: not the user's configuration, nor a checkpoint that does not fit. */
function restartable(e: unknown): boolean {
  if (!(e instanceof RiffleError)) return true;
  // A worker thread that died (terminated, out of memory, exited): the job restarts from its latest checkpoint.
  if (e.code === 'WORKER_FAILED') return true;
  return !['CONFIG_INVALID', 'PIPELINE_INVALID', 'CHECKPOINT_MISMATCH', 'TOO_MANY_ERRORS', 'CHECKPOINT_UNSUPPORTED', 'ENGINE_INVARIANT'].includes(e.code) && e.domain !== 'internal';
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
  /**
   * An operator's state flush in flight (a grouping buffer writing a sorted run, keyed state evicting to disk): the
   * structures it writes from must not change meanwhile, so no element, timer or watermark enters until it is done
   * (idle). Sinks' writes are not held to this: a sink buffers what comes while it writes.
   */
  private stateIo: Promise<void> | undefined;
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
  /** Checkpoints (issue 14): the coordinator, and each keyed step's snapshottable state. */
  private readonly checkpoints: CheckpointCoordinator | undefined;
  private readonly checkpointState: ReturnType<typeof checkpointedKeyState> | undefined;

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
    // A worker's share of a checkpointed job on worker threads takes part in the coordinator's checkpoints.
    const checkpointed = checkpointsOn(options) || options.share?.checkpoints !== undefined;
    if (options.keyState === undefined && options.memoryBytes !== undefined && !checkpointed) {
      const keyed = this.plan.order.filter((n) => n.kind === 'groupByKey' || n.kind === 'combinePerKey' || (n.kind === 'parDo' && n.spec.stateful)).length;
      const budget = this.memory;
      this.spillingState = perStepKeyState((step) => new SpillingStateBackend({ budget: budget.child(`${step} (state)`, 1 / Math.max(1, keyed)), defaultCoder: structuredStateCoder() }));
    }
    const maxParallelism = checkMaxParallelism(options.maxParallelism);
    if (checkpointsOn(options)) {
      const log = runLog(options);
      this.checkpoints = new CheckpointCoordinator(options.checkpointStorage ?? new LocalCheckpointStorage(options.checkpointDir!), jobFingerprint(this.plan.order, maxParallelism, options.pipelineModule?.path), {
        intervalMs: options.checkpointIntervalMs ?? 10_000,
        ...(options.checkpointsRetained !== undefined ? { retain: options.checkpointsRetained } : {}),
        log,
      });
    }
    if (checkpointed) {
      if (options.keyState === undefined) {
        const keyed = this.plan.order.filter((n) => n.kind === 'groupByKey' || n.kind === 'combinePerKey' || (n.kind === 'parDo' && n.spec.stateful)).length;
        this.checkpointState = checkpointedKeyState(options.memoryBytes !== undefined ? { budget: this.memory, keyedSteps: keyed } : {});
      }
    }
    const keyState = options.keyState ?? this.checkpointState ?? this.spillingState;
    this.job = buildJob({
      graph,
      plan: this.plan,
      clock: this.clock,
      metrics: this.metrics,
      signal: this.abort.signal,
      allBounded,
      // Checkpoints snapshot keyed state, batch grouping tables and deferred groupings' input (build.ts).
      batchGrouping: options.batchGrouping !== false,
      checkpointed,
      ...(options.precombineEntries !== undefined ? { precombineEntries: options.precombineEntries } : {}),
      ...(options.deferredGroupingElements !== undefined ? { deferredGroupingElements: options.deferredGroupingElements } : {}),
      deadLetter: this.deadLetterReceiver(),
      maxParallelism,
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
        const rejected = this.options.share?.countRejected?.() ?? this.deadLetters.count;
        if (max !== undefined && rejected > max && this.failure === undefined) {
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
    // Live step figures on a timer: they read the counters the operators keep anyway (nothing per element).
    const onStepMetrics = this.options.onStepMetrics;
    const stepTimer = onStepMetrics === undefined ? undefined : setInterval(() => onStepMetrics(this.stepSnapshots()), Math.max(50, this.options.stepMetricsIntervalMs ?? 1000));
    stepTimer?.unref();
    try {
      const restored = await this.checkpoints?.prepare(this.options.resume === true);
      for (const op of this.ops) {
        try {
          await op.open();
        } catch (e) {
          throw e instanceof RiffleError ? e : new StepFailedError(`${op.name} (setup)`, null, e);
        }
        opened.push(op);
      }
      await this.findInputs();
      if (this.checkpoints !== undefined) await this.startCheckpoints(this.checkpoints, restored);
      await this.options.share?.checkpoints?.attach(this.checkpointedJob());
      // On several workers, input also arrives from the other workers' stages until each of them ended.
      const fromWorkers = this.options.share !== undefined ? this.guard(this.options.share.runInputs(this.shareLoop())) : undefined;
      await this.readSources();
      await fromWorkers;
      await this.checkpoints?.stop();
      if (this.failure !== undefined && !this.cancelled) throw this.failure;
      if (!this.cancelled) {
        await this.guard(this.settleAsync());
        if (this.failure !== undefined && !this.cancelled) throw this.failure;
        await this.checkpoints?.finalCheckpoint();
        await this.options.share?.checkpoints?.finalCheckpoint();
        for (const stage of this.job.stages) stage.endOutputs();
        for (const op of this.ops) await op.finish();
        await this.options.share?.afterFinish();
      }
      const cancelled = this.cancelled;
      if (!cancelled) for (const check of this.graph.completionChecks) check();
      this.deadLetters.close();
      outcome = 'ok';
      const stats = this.checkpoints?.stats;
      if (stats !== undefined) {
        this.metrics.counter('checkpoints').value = stats.completed;
        this.metrics.counter('checkpointLastBytes').value = stats.lastBytes;
        this.metrics.counter('checkpointMillis').value = stats.totalDurationMs;
      }
      return {
        state: cancelled ? 'CANCELLED' : 'DONE',
        metrics: { ...this.metrics.snapshot(this.stepMetrics()), memory: this.memoryFigures() },
        deadLetters: this.deadLetters.kept,
        deadLetterCount: this.deadLetters.count,
        ...(this.deadLetters.count > 0 ? { deadLetterPath: this.deadLetters.path } : {}),
        ...inputWarningsOf(this.graph),
        durationMs: Date.now() - started,
      };
    } finally {
      clearInterval(stepTimer);
      try {
        onStepMetrics?.(this.stepSnapshots());
      } catch {
        // a failed report must not hide the job's own outcome
      }
      signal?.removeEventListener('abort', onAbort);
      await this.checkpoints?.stop().catch(() => undefined);
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
      this.checkpointState?.close();
    }
  }

  /** Restores the operators from a checkpoint (a resumed run), then starts taking checkpoints. */
  private async startCheckpoints(coordinator: CheckpointCoordinator, restored: RestoredCheckpoint | undefined): Promise<void> {
    const job = this.checkpointedJob();
    if (restored !== undefined) await coordinator.restore(job, restored);
    const atLeastOnce = job.sinks.filter((s) => !s.twoPhase).map((s) => s.name);
    if (atLeastOnce.length > 0) {
      runLog(this.options)(`riffle: warning: ${atLeastOnce.map((n) => `'${n}'`).join(', ')} cannot take part in checkpoints (no prepareCommit/commit): at-least-once after a restart`);
    }
    coordinator.start(job);
  }

  /** What a checkpoint coordinator drives: the operators, stages, sources and sinks, and the job's settle. */
  private checkpointedJob(): CheckpointedJob {
    return {
      ops: this.ops,
      stages: this.job.stages,
      sources: this.job.sources.map((s) => s.op),
      sinks: this.ops.filter((op): op is SinkOp => op instanceof SinkOp),
      settle: () => this.settleAsync(),
      beforeBarrier: () => {
        for (const op of this.ops) if (op instanceof PrecombineOp) op.flush();
      },
      fail: (e) => {
        if (this.failure === undefined) this.failure = e;
        this.abort.abort(e);
      },
    };
  }

  /** What the exchange inputs of a worker's share need: the job at rest before input enters, and a settle after. */
  private shareLoop(): ShareLoop {
    let kicked = false;
    return {
      signal: this.abort.signal,
      idle: () => (this.draining === undefined && this.stateIo === undefined ? undefined : this.idle()),
      kick: () => {
        if (kicked) return;
        kicked = true;
        setImmediate(() => {
          kicked = false;
          void this.guard(this.settleAsync());
        });
      },
      settle: () => this.guard(this.settleAsync()),
      settleInput: () => this.guard(this.settleInput()),
      dueTimerStage: (after) => {
        const now = this.clock.now();
        const stages = this.job.stages;
        for (let s = Math.max(0, after + 1); s < stages.length; s++) {
          for (const op of stages[s]!.ops) {
            const next = op.nextProcessingTimer();
            if (next !== undefined && next <= now) return s;
          }
        }
        return -1;
      },
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
    this.checkpoints?.sourceDone(op);
    this.options.share?.checkpoints?.sourceDone(op);
  }

  beforeBatch(op: SourceOp): Promise<void> | undefined {
    return this.checkpoints?.beforeBatch(op) ?? this.options.share?.checkpoints?.beforeBatch(op);
  }

  /** A drain was asked for (job-control.ts): sources end their input at their next batch boundary. */
  drainRequested(): boolean {
    return this.options.control?.draining === true;
  }

  get checkpointing(): boolean {
    return this.checkpoints !== undefined || this.options.share?.checkpoints !== undefined;
  }

  atBoundary(op: SourceOp): Promise<void> | undefined {
    return this.checkpoints?.atBoundary(op) ?? this.options.share?.checkpoints?.atBoundary(op);
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

  /** Waits while another task's settle is still draining or flushing state: elements enter only a job at rest. */
  async idle(): Promise<void> {
    for (;;) {
      if (this.draining !== undefined) await this.draining;
      else if (this.stateIo !== undefined) await this.stateIo;
      else return;
    }
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

  /** settleAsync without awaiting sinks' I/O and channels' back-pressure (ShareLoop.settleInput). */
  private async settleInput(): Promise<void> {
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

  /**
   * Sinks' writes and keyed state's flushes in flight, and channels that are full (back-pressure): awaited before more
   * input enters. True when a sink's flush was awaited: it may have moved the job (its outputs, its watermark).
   */
  private async awaitIo(): Promise<boolean> {
    let flushed = false;
    for (const op of this.job.io) {
      const pending = op.pendingIo();
      if (pending === undefined) continue;
      if (op instanceof SinkOp) {
        await pending;
        flushed = true;
        continue;
      }
      // Exchange input and other tasks' settles wait for it (idle): see stateIo.
      this.stateIo = pending;
      try {
        await pending;
      } finally {
        this.stateIo = undefined;
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
      const stages = this.job.stages;
      const limitOf = this.options.share?.processingTimeLimit;
      for (let s = 0; s < stages.length; s++) {
        const stage = stages[s]!;
        // On workers, a TestStream's clock advance reaches the stages in order, as here (share.processingTimeLimit).
        const limit = limitOf !== undefined ? limitOf.call(this.options.share, s, now) : now;
        for (const op of stage.ops) {
          const next = op.nextProcessingTimer();
          if (next !== undefined && next <= limit) {
            stage.finishBundles();
            op.advanceProcessingTime(limit);
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

  private stepSnapshots(): StepSnapshot[] {
    const wm = (t: number) => (t <= MIN_TIMESTAMP ? null : Math.min(t, MAX_TIMESTAMP));
    return this.ops.map((op) => {
      const backlog = op instanceof SourceOp ? backlogOf(op) : undefined;
      return { step: op.name, elementsIn: op.elementsIn, elementsOut: op.elementsOut, errors: op.errors, droppedLate: op.droppedLate, inputWatermark: wm(op.inputWatermark), outputWatermark: wm(op.outputWatermark), ...(backlog ? { backlog } : {}) };
    });
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

/** A read's backlog from its source or reader; a throwing or odd answer counts as unknown (figures must not fail a run). */
function backlogOf(op: SourceOp): { amount: number; unit: 'elements' | 'bytes' } | undefined {
  try {
    const b = op.backlog?.();
    return b !== undefined && Number.isFinite(b.amount) && b.amount >= 0 && (b.unit === 'elements' || b.unit === 'bytes') ? { amount: b.amount, unit: b.unit } : undefined;
  } catch {
    return undefined;
  }
}
