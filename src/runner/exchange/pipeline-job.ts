/**
 * The module every worker of a pipeline job loads (the pool imports it; see run-on-workers.ts for the coordinator):
 * it loads the pipeline module the coordinator named, builds the same pipeline with the same parameter values, and
 * runs its share of it through the embedded engine (`PipelineShare`). Before closing its operators it waits for the
 * coordinator's `close`, sent once every worker finished (sinks committed), so no worker removes what another
 * worker's commit still reads. A `cancel` command stops its run as a cancelled one (sinks abort).
 */
import { importUserModule, Pipeline, RiffleError, type PipelineResult } from '../../model/index.ts';
import { JobControl, LocalRunner, type LocalRunOptions, type Progress, type StepSnapshot } from '../local/index.ts';
import { encodeStepSnapshots } from './step-snapshots.ts';
import { PipelineShare, type SplitPlan, type TestStreamCommand } from './pipeline-share.ts';
import type { WorkerContext } from './worker-context.ts';
import type { RestorePiece } from '../checkpoint/index.ts';
import type { CheckpointCommand } from './checkpoint-share.ts';

export interface PipelineJobData {
  readonly module: { readonly path: string; readonly params: Readonly<Record<string, unknown>> };
  /** The run options every worker uses (structured-cloneable ones only). */
  readonly options: LocalRunOptions;
  readonly splits: Readonly<Record<string, SplitPlan>>;
  /** The caller wants progress: report it as metrics. */
  readonly progress: boolean;
  /** The caller wants live step figures (onStepMetrics): report them as metrics. */
  readonly stepMetrics?: boolean;
  /** The job takes checkpoints (issue 14): this worker's pieces of the checkpoint it resumes from, if any. */
  readonly checkpoint?: { readonly restore?: readonly RestorePiece[]; readonly allowNonRestored?: boolean };
  /** The job's count of records rejected to the dead letters (one Int32), shared by every worker: `maxErrors` is job-wide. */
  readonly rejected: SharedArrayBuffer;
}

const PROGRESS_MS = 250;

interface DefinitionLike {
  readonly kind: 'riffle.pipeline';
  build(p: Pipeline, params: Readonly<Record<string, unknown>>): void | Promise<void>;
}

export async function runWorker(ctx: WorkerContext): Promise<PipelineResult> {
  const data = ctx.data as PipelineJobData;
  let close!: () => void;
  const closed = new Promise<void>((resolve) => (close = resolve));
  // The coordinator's commands: `close` once every worker finished; `cancel` when the job is cancelled (the run stops
  // at its next batch or slice, its sinks abort, and it reports CANCELLED).
  // A TestStream's lockstep: `testStream` (start, each event, end) and `quiesce`, handled by the share once built.
  const cancel = new AbortController();
  // The coordinator's `drain` (job-control.ts): this worker's sources end their input at their next batch boundary.
  const control = new JobControl();
  let built!: (share: PipelineShare) => void;
  const shared = new Promise<PipelineShare>((resolve) => (built = resolve));
  ctx.onControl(async (command) => {
    const kind = (command as { kind?: string }).kind;
    if (kind === 'close') close();
    else if (kind === 'cancel') {
      cancel.abort(new Error('the job was cancelled'));
      close();
      // Sources held for a checkpoint (a stop with a savepoint holds them) see the cancellation.
      void shared.then((s) => s.checkpoints?.release(true));
    } else if (kind === 'drain') {
      control.drain();
    } else if (kind === 'testStream') await (await shared).testStreamCommand(command as TestStreamCommand);
    else if (kind === 'quiesce') return (await shared).quiesce();
    else if (kind === 'checkpoint') return (await shared).checkpoints?.command(command as CheckpointCommand);
    return undefined;
  });
  const mod = (await importUserModule(data.module.path)) as { default?: DefinitionLike };
  const definition = mod.default;
  if (definition?.kind !== 'riffle.pipeline' || typeof definition.build !== 'function') {
    throw new RiffleError('WORKER_MODULE_INVALID', `worker ${ctx.index}: ${data.module.path} no longer exports a pipeline definition`, { domain: 'user' });
  }
  const p = Pipeline.create();
  await definition.build(p, data.module.params);
  const share = new PipelineShare(ctx, p.graph, data.splits, closed, data.checkpoint, new Int32Array(data.rejected));
  built(share);
  // Progress goes to the coordinator (which sums the workers') at most every PROGRESS_MS.
  let last = 0;
  const onProgress = (pr: Progress) => {
    const now = Date.now();
    if (now - last < PROGRESS_MS) return;
    last = now;
    ctx.reportMetrics({
      progress: 1,
      elementsRead: pr.elementsRead,
      sourcesDone: pr.sourcesDone,
      sources: pr.sources,
      finishing: pr.phase === 'finishing' ? 1 : 0,
      elementsProcessed: pr.elementsProcessed,
      deadLetters: pr.deadLetters,
    });
  };
  // Step figures go to the coordinator too, as numbers keyed `<field>\u0000<step>` (sumStepSnapshots reads them).
  const onStepMetrics = (steps: readonly StepSnapshot[]) => ctx.reportMetrics(encodeStepSnapshots(steps));
  const result = await new LocalRunner().run(p.graph, { ...data.options, share, signal: cancel.signal, control, ...(data.progress ? { onProgress } : {}), ...(data.stepMetrics ? { onStepMetrics } : {}) });
  // What goes back to the coordinator is cloned: a rejected element that cannot be is kept as its excerpt.
  return { ...result, deadLetters: result.deadLetters.map((d) => ({ ...d, element: cloneable(d.element) })) };
}

function cloneable(value: unknown): unknown {
  try {
    structuredClone(value);
    return value;
  } catch {
    return String(value);
  }
}
