/**
 * `pipeline.run({ workers: N })` / `riffle run --workers N`: the coordinator of a pipeline job on N worker threads.
 * 1. Checks that the job can run there: a pipeline module to load in each worker (a pipeline built inline in a script
 *    has none), no step pinned to one worker, a valid worker count.
 * 2. Plans the job as the workers will (one exchange per stage input that crosses workers) and splits each bounded
 *    read (about four parts per worker by its size estimate, sixteen when its parts are in event-time order; a source
 *    that does not split is one part, read by the worker that takes it).
 * 3. Starts the pool (pipeline-job.ts in every worker), plays a TestStream in lockstep (playTestStream); once every worker finished (its sinks committed), tells them
 *    to close; gathers their results into one PipelineResult (metrics summed per step and counter).
 * A failure in any worker stops them all; the error names the worker, the step and the element.
 */
import { ConfigError, RiffleError, singleWorkerReason, type InputWarning, type TestStreamSpec, type PipelineGraph, type MemoryFigures, type PipelineMetrics, type PipelineResult, type StepMetrics } from '../../model/index.ts';
import { createReadStream, createWriteStream, existsSync, mkdirSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { plan, type LocalRunOptions, type Progress } from '../local/index.ts';
import { defaultDeadLetterPath, newRunId } from '../local/dead-letter-file.ts';
import { checkWorkers } from './key-group-range.ts';
import type { PipelineJobData } from './pipeline-job.ts';
import { exchangeIdsOf, type QuiesceReply, type SplitPlan, type SplitRef, type TestStreamCommand } from './pipeline-share.ts';
import { WorkerFailedError } from './protocol.ts';
import { WorkerPool } from './pool.ts';
import { WorkersCheckpoints } from './checkpoint-workers.ts';
import { CheckpointCoordinator, jobFingerprint, LocalCheckpointStorage } from '../checkpoint/index.ts';
import { sumStepSnapshots } from './step-snapshots.ts';
import { workerYoungGenerationMb } from './worker-heap.ts';
import { defaultJobMemory } from '../state/index.ts';

/** Parts per worker a bounded read is split into (so a slow part does not leave the others idle). */
const PARTS_PER_WORKER = 4;
/**
 * Parts per worker of a read whose parts are in event-time order (`orderedParts`): the workers read neighbouring parts,
 * and the job's watermark is the slowest one's, so the windows in flight span about one part: smaller parts, less
 * state held (Nexmark Q5/Q8 at 2 workers), at the cost of a few more part openings.
 */
const ORDERED_PARTS_PER_WORKER = 16;
/** How long cancelled workers may take to stop by themselves before they are terminated. */
const CANCEL_GRACE_MS = 10_000;

export async function runOnWorkers(graph: PipelineGraph, options: LocalRunOptions): Promise<PipelineResult> {
  const { workers, maxParallelism } = checkWorkers(options.workers, options.maxParallelism);
  const module = options.pipelineModule;
  if (module === undefined) {
    throw new ConfigError(`this pipeline cannot run on ${workers} workers: it was built inline in a script, so there is no module for the workers to load`, {
      hint: 'define it in a module (export default Pipeline.define(...)) and run it with `riffle run <module> --workers N`, or run it with workers: 1',
    });
  }
  const p = plan(graph, { viewsStartStages: true });
  const testStream = p.order.find((n) => n.kind === 'testStream');
  const pinned = p.order.find((n) => singleWorkerReason(n) !== undefined);
  if (pinned !== undefined) {
    throw new ConfigError(`step '${pinned.name}' runs on one worker only: ${singleWorkerReason(pinned)}`, { hint: 'run this pipeline with --workers 1 (workers: 1)' });
  }
  // Checkpoints (issue 14): the coordinator's side (checkpoint-workers.ts); resuming, the splits still to read.
  const checkpoints = await workersCheckpoints(graph, options, workers, maxParallelism, module.path);
  const splits: Record<string, SplitPlan> = {};
  const refs: SplitRef[] = [];
  /** Reads whose parts are in event-time order (BoundedSource.orderedParts): their parts are handed out aligned. */
  const ordered = new Set<string>();
  let bytesEstimated = 0;
  for (const node of p.order) {
    if (node.kind !== 'read' || node.spec.source.kind !== 'bounded') continue;
    const source = node.spec.source;
    const size = await source.estimateSizeBytes().catch(() => 0);
    bytesEstimated += size;
    const desiredBytes = checkpoints?.desiredBytes(node.id) ?? Math.max(1, Math.ceil(size / (workers * (source.orderedParts === true ? ORDERED_PARTS_PER_WORKER : PARTS_PER_WORKER))));
    const parts = await source.split(desiredBytes);
    splits[node.id] = { desiredBytes, count: parts.length };
    if (source.orderedParts === true) ordered.add(node.id);
    const resumed = checkpoints?.refsOf(node, parts.length);
    if (resumed !== undefined) refs.push(...resumed);
    else for (let i = 0; i < parts.length; i++) refs.push({ node: node.id, index: i });
  }

  const { signal, clock: _clock, onProgress, onStepMetrics, keyState, share: _share, pipelineModule: _module, checkpointDir: _dir, checkpointStorage: _storage, checkpointIntervalMs: _interval, checkpointsRetained: _retained, resume: _resume, savepointDir: _sp, fromSavepoint: _from, savepointStorage: _spStorage, allowNonRestoredState: _allow, control: _control, ...rest } = options;
  if (keyState !== undefined) {
    throw new ConfigError(`a custom keyState runs on one worker (it is an object in this thread)`, { hint: 'run with workers: 1' });
  }
  const runId = options.runId ?? newRunId();
  const jobName = typeof options.jobName === 'string' && options.jobName !== '' ? options.jobName : 'pipeline';
  const deadLetterPath = options.deadLetter ?? defaultDeadLetterPath(jobName, runId);
  // The job's budget, split among the workers (without --memory too: each worker would otherwise take the default
  // fraction of its own heap, N times the job's).
  const memoryBytes = options.memoryBytes ?? defaultJobMemory();
  const rejected = new SharedArrayBuffer(4);
  const finished = new Set<number>();
  /** Each worker's latest progress report. */
  const progress: Array<Record<string, number> | undefined> = new Array<Record<string, number> | undefined>(workers);
  /** Each worker's latest step figures. */
  const stepReports: Array<Record<string, number> | undefined> = new Array<Record<string, number> | undefined>(workers);
  const pool: WorkerPool = WorkerPool.start({
    workers,
    maxParallelism,
    module: new URL(import.meta.url.endsWith('.ts') ? './pipeline-job.ts' : './pipeline-job.js', import.meta.url),
    exchanges: exchangeIdsOf(p.order),
    splits: refs,
    splitsOnceStarted: true,
    resourceLimits: { maxYoungGenerationSizeMb: workerYoungGenerationMb() },
    splitOf: (split) => (split as SplitRef).node,
    // Parts in event-time order: a worker takes part k only once no other still reads a part before k − N (the job's
    // watermark is the slowest worker's, so what a worker reads further ahead is held as state until it catches up).
    holdSplit: (next, reading) => {
      const ref = next as SplitRef;
      return ordered.has(ref.node) && reading.some((r) => r !== undefined && (r as SplitRef).node === ref.node && (r as SplitRef).index < ref.index - workers);
    },
    dataFor: (index) => {
      const data: PipelineJobData = {
        module,
        splits,
        progress: onProgress !== undefined,
        stepMetrics: onStepMetrics !== undefined,
        ...(checkpoints !== undefined ? { checkpoint: { ...(checkpoints.restoreFor(index) !== undefined ? { restore: checkpoints.restoreFor(index)! } : {}), ...(options.allowNonRestoredState === true ? { allowNonRestored: true } : {}) } } : {}),
        rejected,
        options: {
          ...cloneableOptions(rest),
          runId: `${runId}-w${index}`,
          deadLetter: perWorkerPath(deadLetterPath, index),
          memoryBytes: Math.max(1, Math.floor(memoryBytes / workers)),
        },
      };
      return { data };
    },
    onMetrics: (index, metrics) => {
      checkpoints?.onMetrics(index, metrics);
      if (metrics.stepMetrics === 1 && onStepMetrics !== undefined) {
        stepReports[index] = metrics;
        onStepMetrics(sumStepSnapshots(stepReports));
        return;
      }
      if (metrics.progress === 1 && onProgress !== undefined) {
        progress[index] = metrics;
        onProgress(sumProgress(progress, bytesEstimated));
        return;
      }
      if (metrics.finished !== 1) return;
      finished.add(index);
      if (finished.size === workers) pool.control({ kind: 'close' }).catch(() => {});
    },
  });
  checkpoints?.start(pool);
  // The job's controls (job-control.ts): drain goes to every worker; a savepoint is the checkpoint coordinator's.
  options.control?.attach({
    drain: () => void pool.control({ kind: 'drain' }).catch(() => {}),
    savepoint: (dir) => {
      if (checkpoints === undefined) {
        return Promise.reject(new RiffleError('CONFIG_INVALID', 'this run cannot take a savepoint: it was started without a savepoint directory', { domain: 'user', hint: 'start it with --savepoint-dir DIR (savepointDir)' }));
      }
      return checkpoints.savepoint(dir);
    },
  });
  const started = Date.now();
  // A TestStream plays in lockstep from here: each event goes to every worker once the whole job is at rest.
  if (testStream !== undefined && testStream.kind === 'testStream') {
    playTestStream(pool, testStream.spec, workers).catch((e: unknown) => {
      // A failed worker fails the pool (and `pool.result`) already; anything else stops the job here.
      if (!(e instanceof RiffleError)) void pool.cancel(`the TestStream could not be played: ${e instanceof Error ? e.message : String(e)}`);
    });
  }
  // Cancellation: every worker is told, stops at its next batch and aborts its sinks; a worker that does not end
  // within the grace period is terminated.
  const onAbort = () => {
    pool.control({ kind: 'cancel' }).catch(() => {});
    setTimeout(() => void pool.cancel('the job was cancelled'), CANCEL_GRACE_MS).unref();
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  if (signal?.aborted) onAbort();
  try {
    const reports = await pool.result;
    const results = reports.map((r) => r.result as PipelineResult);
    await gatherDeadLetters(results.flatMap((r) => (r.deadLetterPath !== undefined ? [r.deadLetterPath] : [])), deadLetterPath);
    const merged = merge(results, Date.now() - started, workers, deadLetterPath);
    if (checkpoints === undefined) return merged;
    const { completed, lastBytes, totalDurationMs } = checkpoints.stats;
    const counters = { ...merged.metrics.counters, checkpoints: completed, checkpointLastBytes: lastBytes, checkpointMillis: totalDurationMs };
    return { ...merged, metrics: { ...merged.metrics, counters } };
  } catch (e) {
    if (checkpoints?.failure !== undefined) throw checkpoints.failure;
    if (signal?.aborted && e instanceof RiffleError && e.code === 'JOB_CANCELLED') {
      return { state: 'CANCELLED', metrics: { steps: [], counters: {}, distributions: {}, gauges: {} }, deadLetters: [], deadLetterCount: 0, durationMs: Date.now() - started };
    }
    // A failed job's rejected records are kept too (e.g. past maxErrors): in the job's one file, which its error names.
    const files = Array.from({ length: workers }, (_, i) => perWorkerPath(deadLetterPath, i)).filter((f) => existsSync(f));
    if (files.length > 0) {
      await gatherDeadLetters(files, deadLetterPath).catch(() => {});
      if (e instanceof WorkerFailedError && e.hint !== undefined && e.hint.includes(perWorkerPath(deadLetterPath, e.worker))) {
        const own = (text: string) => text.split(perWorkerPath(deadLetterPath, e.worker)).join(deadLetterPath);
        throw jobWide(new WorkerFailedError(e.worker, workers, 'failed', { ...e.original!, message: own(e.original!.message), hint: own(e.hint) }));
      }
    }
    throw jobWide(e);
  } finally {
    signal?.removeEventListener('abort', onAbort);
    checkpoints?.stop();
  }
}

/**
 * The checkpoints of a job on workers, when the run takes them (a directory, and an interval or `resume`) or may take
 * or start from a savepoint (`savepointDir`, `fromSavepoint`).
 */
async function workersCheckpoints(graph: PipelineGraph, options: LocalRunOptions, workers: number, maxParallelism: number, module: string): Promise<WorkersCheckpoints | undefined> {
  const dir = options.checkpointDir;
  const periodic = dir !== undefined && (options.checkpointIntervalMs !== undefined || options.resume === true);
  if (!periodic && options.savepointDir === undefined && options.fromSavepoint === undefined) return undefined;
  const log = options.log ?? ((m: string) => console.error(m));
  const fingerprint = jobFingerprint(plan(graph).order, maxParallelism, module);
  const intervalMs = periodic ? (options.checkpointIntervalMs ?? 10_000) : undefined;
  const coordinator = periodic
    ? new CheckpointCoordinator(options.checkpointStorage ?? new LocalCheckpointStorage(dir), fingerprint, { intervalMs: intervalMs!, ...(options.checkpointsRetained !== undefined ? { retain: options.checkpointsRetained } : {}), log })
    : undefined;
  return WorkersCheckpoints.prepare(coordinator, graph, workers, maxParallelism, options.resume === true, {
    intervalMs,
    log,
    quiesce,
    fingerprint,
    ...(options.fromSavepoint !== undefined ? { fromSavepoint: options.fromSavepoint } : {}),
    ...(options.savepointStorage !== undefined ? { savepointStorage: options.savepointStorage } : {}),
    ...(options.allowNonRestoredState === true ? { allowNonRestored: true } : {}),
  });
}

/**
 * Plays a TestStream on the workers, in lockstep: `start` (acknowledged once every worker's bounded reads are done),
 * then each event — watermark and processing-time advances to every worker, an event's elements read by one worker
 * (the next in turn) — each followed by quiescence; then `done` (the spec's `onEventDone` in every worker, and here),
 * so no worker plays an event before every worker ran onEventDone of the one before: a worker's element crossing an
 * exchange would otherwise reach a worker still on the previous event (its output counted in the wrong event);
 * then `end`.
 */
async function playTestStream(pool: WorkerPool, spec: TestStreamSpec, workers: number): Promise<void> {
  await pool.request({ kind: 'testStream', step: 'start' } satisfies TestStreamCommand);
  await quiesce(pool);
  let turn = 0;
  for (let index = 0; index < spec.events.length; index++) {
    const event = spec.events[index]!;
    const reader = event.kind === 'elements' ? turn++ % workers : -1;
    await pool.request({ kind: 'testStream', step: 'event', index, reader } satisfies TestStreamCommand);
    let due = await quiesce(pool);
    if (event.kind === 'processingTime') {
      // The clock moved in every worker with every stage's timers held back: they fire stage by stage in plan order,
      // the job at rest in between, so a timer's output reaches the next stage before its timers fire (as in one
      // worker's settle); then every stage follows the clock again.
      while (due >= 0) {
        await pool.request({ kind: 'testStream', step: 'timers', upTo: due } satisfies TestStreamCommand);
        due = await quiesce(pool);
      }
      await pool.request({ kind: 'testStream', step: 'timers', upTo: null } satisfies TestStreamCommand);
      await quiesce(pool);
    }
    await pool.request({ kind: 'testStream', step: 'done', index } satisfies TestStreamCommand);
    spec.onEventDone?.(index);
  }
  await pool.request({ kind: 'testStream', step: 'end' } satisfies TestStreamCommand);
}

/**
 * Waits until the job is at rest everywhere: every worker settles and counts the exchange frames it sent and handed
 * on; two rounds in a row with the same totals, as many received as sent, mean none was in flight (double counting:
 * a worker sends only in response to input, and none came in between). Returns the first stage, past the timer gate,
 * with a processing-time timer due in some worker (-1: none).
 */
async function quiesce(pool: WorkerPool): Promise<number> {
  let previous: { sent: number; received: number } | undefined;
  for (;;) {
    let sent = 0;
    let received = 0;
    let due = -1;
    for (const r of await pool.request({ kind: 'quiesce' })) {
      if (r === undefined) continue;
      const q = r as QuiesceReply;
      sent += q.sent;
      received += q.received;
      if (q.due >= 0 && (due < 0 || q.due < due)) due = q.due;
    }
    if (sent === received && previous !== undefined && previous.sent === sent && previous.received === received) return due;
    previous = { sent, received };
  }
}

/** The job's progress: the workers' counts summed; reading while any worker reads; the coordinator's size estimate. */
function sumProgress(reports: ReadonlyArray<Record<string, number> | undefined>, bytesEstimated: number): Progress {
  const sum = (k: string) => reports.reduce((n, r) => n + (r?.[k] ?? 0), 0);
  const finishing = reports.every((r) => r !== undefined && r.finishing === 1);
  return {
    elementsRead: sum('elementsRead'),
    sourcesDone: sum('sourcesDone'),
    sources: sum('sources'),
    bytesEstimated,
    phase: finishing ? 'finishing' : 'reading',
    elementsProcessed: sum('elementsProcessed'),
    deadLetters: sum('deadLetters'),
  };
}

/** Options that cross to a worker: plain values only (functions and objects of this thread stay here). */
function cloneableOptions(options: Record<string, unknown>): LocalRunOptions {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(options)) if (v === null || ['string', 'number', 'boolean'].includes(typeof v)) out[k] = v;
  return out as LocalRunOptions;
}

/** `dead.jsonl` → `dead-w1.jsonl`: each worker writes its own dead letters. */
function perWorkerPath(path: string, index: number): string {
  const dot = path.lastIndexOf('.');
  return dot > path.lastIndexOf('/') ? `${path.slice(0, dot)}-w${index}${path.slice(dot)}` : `${path}-w${index}`;
}

/** The workers' dead-letter files, appended one after the other into the job's file (created only if needed). */
async function gatherDeadLetters(files: readonly string[], path: string): Promise<void> {
  if (files.length === 0) return;
  mkdirSync(dirname(path), { recursive: true });
  for (let i = 0; i < files.length; i++) {
    await pipeline(createReadStream(files[i]!), createWriteStream(path, { flags: i === 0 ? 'w' : 'a' }));
    rmSync(files[i]!, { force: true });
  }
}

function merge(results: readonly PipelineResult[], durationMs: number, workers: number, deadLetterFile: string): PipelineResult {
  const steps = new Map<string, StepMetrics>();
  const counters: Record<string, number> = {};
  const gauges: Record<string, number> = {};
  const distributions: Record<string, { count: number; sum: number; min: number; max: number; mean: number }> = {};
  for (const r of results) {
    for (const s of r.metrics.steps) {
      const had = steps.get(s.step);
      steps.set(s.step, had === undefined ? { ...s } : sumNumbers(had, s));
    }
    for (const [k, v] of Object.entries(r.metrics.counters)) counters[k] = (counters[k] ?? 0) + v;
    // A gauge is a last value, not an amount: the largest of the workers' (they report no time to pick the latest).
    for (const [k, v] of Object.entries(r.metrics.gauges)) gauges[k] = gauges[k] === undefined ? v : Math.max(gauges[k]!, v);
    for (const [k, d] of Object.entries(r.metrics.distributions)) {
      const had = distributions[k];
      if (had === undefined) distributions[k] = { ...d };
      else if (d.count > 0) {
        const count = had.count + d.count;
        const sum = had.sum + d.sum;
        distributions[k] = { count, sum, min: Math.min(had.min, d.min), max: Math.max(had.max, d.max), mean: sum / count };
      }
    }
  }
  gauges.workers = workers;
  // Memory: each worker's figures summed (the peak is then the sum of the workers' peaks: an upper bound).
  let memory: PipelineMetrics['memory'];
  for (const r of results) {
    const m = r.metrics.memory;
    if (m === undefined) continue;
    if (memory === undefined) memory = { ...m, steps: { ...m.steps } };
    else {
      const stepsOf: Record<string, MemoryFigures> = { ...memory.steps };
      for (const [k, v] of Object.entries(m.steps)) stepsOf[k] = stepsOf[k] === undefined ? v : sumNumbers(stepsOf[k]!, v);
      memory = { ...sumNumbers<MemoryFigures>(memory, m), steps: stepsOf };
    }
  }
  const metrics: PipelineMetrics = { steps: [...steps.values()], counters, distributions, gauges, ...(memory !== undefined ? { memory } : {}) };
  const deadLetters = results.flatMap((r) => r.deadLetters);
  const deadLetterCount = results.reduce((n, r) => n + (r.deadLetterCount ?? r.deadLetters.length), 0);
  const deadLetterPath = deadLetterCount > 0 ? deadLetterFile : undefined;
  return {
    state: results.every((r) => r.state === 'DONE') ? 'DONE' : 'CANCELLED',
    metrics,
    deadLetters,
    deadLetterCount,
    ...(deadLetterPath !== undefined ? { deadLetterPath } : {}),
    ...inputWarnings(results),
    durationMs,
  };
}

/**
 * A failure that is the job's, not one worker's, reads as on one thread: past `maxErrors` (counted over every worker)
 * the limit is the job's, whichever worker rejected the record that passed it.
 */
function jobWide(e: unknown): unknown {
  if (!(e instanceof WorkerFailedError) || e.original?.code !== 'TOO_MANY_ERRORS') return e;
  const suffix = e.hint !== undefined ? `\n  hint: ${e.hint}` : '';
  const message = e.original.message.endsWith(suffix) ? e.original.message.slice(0, e.original.message.length - suffix.length) : e.original.message;
  return new RiffleError('TOO_MANY_ERRORS', message, { domain: 'user', context: { ...(e.original.step !== undefined ? { step: e.original.step } : {}) }, ...(e.hint !== undefined ? { hint: e.hint } : {}) });
}

/** The workers' input warnings, each once (two workers reading ranges of one file may both notice it). */
function inputWarnings(results: readonly PipelineResult[]): Pick<PipelineResult, 'inputWarnings'> {
  const seen = new Map<string, InputWarning>();
  for (const w of results.flatMap((r) => r.inputWarnings ?? [])) seen.set(`${w.kind}\0${w.file ?? ''}\0${w.message}`, w);
  return seen.size > 0 ? { inputWarnings: [...seen.values()] } : {};
}

function sumNumbers<T extends object>(a: T, b: T): T {
  const out = { ...a } as Record<string, unknown>;
  for (const [k, v] of Object.entries(b)) if (typeof v === 'number' && typeof out[k] === 'number') out[k] = (out[k] as number) + v;
  return out as T;
}

