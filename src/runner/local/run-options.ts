import type { RunOptions } from '../../model/index.ts';
import type { Clock } from './clock.ts';
import type { KeyStateFactory } from './keyed-store.ts';
import type { WorkerShare } from './worker-share.ts';
import type { JobControl } from './job-control.ts';
import type { CheckpointStorage } from '../checkpoint/index.ts';

/** Options of the embedded engine. */
export interface LocalRunOptions extends RunOptions {
  /** Processing time (default: the real clock; a virtual clock under TestStream). */
  clock?: Clock;
  /** Called after each bundle read from a bounded source, and now and then while later stages finish their work. */
  onProgress?: (p: Progress) => void;
  /**
   * Called every `stepMetricsIntervalMs` (default 1000) while the job runs, and once at its end, with each step's
   * counters and watermarks (read from the counters operators keep anyway: no per-element work is added).
   */
  onStepMetrics?: (steps: readonly StepSnapshot[]) => void;
  stepMetricsIntervalMs?: number;
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
  /** Key groups of keyed state: the unit of snapshots and rescaling (default 128; at most 32768). */
  maxParallelism?: number;
  /** Where keyed operators keep each key's state (default: in memory); a state backend plugs in here. */
  keyState?: KeyStateFactory;
  /**
   * The module that defines the pipeline and its parameter values (what `riffle run` loaded): on several workers
   * (`workers` > 1) each worker loads it and builds the same pipeline. A pipeline built inline has none, and runs on
   * one thread.
   */
  pipelineModule?: { readonly path: string; readonly params: Readonly<Record<string, unknown>> };
  /**
   * Checkpoints (issue 14): where they are kept. With it, the run takes a checkpoint every `checkpointIntervalMs`
   * (default 10 s) and keeps the last `checkpointsRetained` (default 3); `resume` continues from the newest complete
   * one (from the beginning, saying so, when there is none). A checkpointed run groups on the streaming path and runs
   * on one worker for now.
   */
  checkpointDir?: string;
  /**
   * Where checkpoints are kept when not in the local directory `checkpointDir` (which then only names them in
   * messages): e.g. an object store's (`riffle run --checkpoint-dir s3://…` passes one).
   */
  checkpointStorage?: CheckpointStorage;
  checkpointIntervalMs?: number;
  checkpointsRetained?: number;
  resume?: boolean;
  /**
   * What a task failure does in a checkpointed run: restart from the latest checkpoint (Flink's `fixed-delay` or
   * `exponential-backoff`, at most `maxRestarts` times) or `none`. Default: none for a bounded job, fixed-delay
   * (3 restarts, 1 s apart) for a job reading an unbounded source. Without checkpoints a failure always ends the run.
   */
  restart?: { readonly kind: 'none' | 'fixed-delay' | 'exponential-backoff'; readonly maxRestarts: number; readonly delayMs?: number; readonly maxDelayMs?: number };
  /** Messages about checkpoints and restarts (default: stderr). */
  log?: (message: string) => void;
  /**
   * Savepoints and drain (issue 14, job-control.ts): `control` drains the run, or stops it with a savepoint;
   * `savepointDir` is where `riffle run` writes the savepoint SIGUSR1 asks for; `fromSavepoint` starts from the newest
   * savepoint in that directory, matching stateful steps by name (state of a step the pipeline no longer has is
   * refused unless `allowNonRestoredState`). A run with any of the three savepoint options runs on worker threads
   * (one or more; it needs `pipelineModule`).
   */
  control?: JobControl;
  savepointDir?: string;
  fromSavepoint?: string;
  /**
   * Opens a savepoint location (`savepointDir`, `fromSavepoint`) that is not a local directory, e.g. an object store's
   * URL (`riffle run --savepoint-dir s3://…` passes one); undefined for a location it does not handle (a directory).
   */
  savepointStorage?: (location: string) => CheckpointStorage | undefined;
  allowNonRestoredState?: boolean;
  /** Set by the worker pool: this run is one worker's share of the job (see worker-share.ts). */
  share?: WorkerShare;
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


/** A step's live figures (onStepMetrics). Watermarks are event-time milliseconds; null before the first one. */
export interface StepSnapshot {
  readonly step: string;
  readonly elementsIn: number;
  readonly elementsOut: number;
  readonly errors: number;
  readonly droppedLate: number;
  /** Where the step's input and output watermarks are (MAX_TIMESTAMP once its input ended), null before any. */
  readonly inputWatermark: number | null;
  readonly outputWatermark: number | null;
  /** A read step's backlog, when its source or reader tells it (SourceBacklog: elements or bytes left); absent else. */
  readonly backlog?: { readonly amount: number; readonly unit: 'elements' | 'bytes' };
}
