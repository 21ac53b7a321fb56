import type { PaneInfo } from './pane.ts';
import type { Instant } from './time.ts';
import type { BoundedWindow } from './window.ts';

/**
 * A destination the engine writes to and awaits (the sink primitive). Elements are handed over synchronously and
 * buffered; I/O happens in the asynchronous methods, which the engine awaits between bundles — so a slow disk or
 * server never blocks the bundle loop (no synchronous fsync, no `Atomics.wait`), and never piles up unbounded work.
 *
 * Lifecycle, per run: `open` once (before any input) → per bundle: `write` per element, then `flush` (awaited before
 * the engine pushes the next input) → `finish` once the input ended and every pane fired (make the output visible:
 * rename, manifest, commit) — or `abort` after a failure or cancellation (remove what is not committed).
 *
 * Checkpointed runs (issue 14) add the two phases of Flink's TwoPhaseCommitSinkFunction: `prepareCommit(id)` at a
 * checkpoint barrier (everything written so far durable, not yet visible; returns what the commit needs, stored with
 * the checkpoint) and `commit(prepared)` once the checkpoint completed (idempotent: it may run again after a restart).
 * A sink without them is at-least-once under recovery and says so through `guarantee`.
 *
 * How a connector takes part (the rules every built-in sink follows):
 * - `prepareCommit(id)` is awaited with the job at rest (the flushes before the barrier done). Make what was written
 *   since the previous checkpoint durable and invisible, and return plain data (it is stored in the checkpoint and
 *   may come back in another process): names, ids, positions — never handles. Later writes go to a new unit (a new
 *   transaction, new files), because the prepared one now belongs to the checkpoint.
 * - `commit(prepared)` publishes exactly that unit. It must be idempotent and must work from a writer that did not
 *   prepare it: after a crash the resumed run's writer is opened and `commit` is called again with the restored
 *   checkpoint's value before any input (SinkOp.restore), and the coordinator may repeat a commit. Make it recognize
 *   "already done" from the destination itself: Delta's `txn(appId, version)` in the table's log (io.delta.write:
 *   appId stable across runs, version = the checkpoint id); a file already under its final name (io.files: the
 *   commit protocol's rename is idempotent, and the set's owner travels in the prepared value so a resumed run adds
 *   to the files instead of replacing them); Postgres' `PREPARE TRANSACTION` / `COMMIT PREPARED` with a progress row
 *   written in the prepared transaction (io.postgres, `exactlyOnce`); Kafka's transactional producer, committing the
 *   stored transactional id, producer id and epoch with EndTxn (io.kafka, `exactlyOnce`).
 * - `abort` removes only what is neither committed nor prepared: a prepared unit may be committed by the resumed run
 *   (a Postgres prepared transaction, a Kafka open transaction, files in a prepared dir, staged Delta files).
 * - What follows the last checkpoint is published by `endOfInput`/`finish` at the end of a bounded input; a resumed
 *   run replays it, so that final publication must be recognizable as well (Delta: the staging writers' txn rides on
 *   the final commit; files: the same names under the same owner).
 * - A connector that cannot do this (the bus: a publish is visible at once) declares `guarantee: 'at-least-once'`,
 *   and the run report says so (`PipelineResult.sinks`); consumers then deduplicate (the bus: an id attribute and a
 *   topic with `messageDedup`).
 *
 * @example
 *   const lines: string[] = [];
 *   const sink: Sink<string> = {
 *     describe: () => 'memory',
 *     async open() {
 *       let buffer: string[] = [];
 *       return {
 *         write: (v) => void buffer.push(v),
 *         flush: async () => { lines.push(...buffer); buffer = []; },
 *         finish: async () => {},
 *         abort: async () => { lines.length = 0; },
 *       };
 *     },
 *   };
 *   collection.apply(writeTo(sink));
 */
export interface Sink<T, R = never> {
  /** A short description for plans, errors and the run report, e.g. `jsonl(out/part-*)`. */
  describe(): string;
  /** What a restart from a checkpoint can promise (default 'at-least-once'). */
  readonly guarantee?: 'exactly-once' | 'at-least-once';
  /**
   * Set (to the reason) by a sink that is only correct on one worker — e.g. one that applies changes in the order
   * they were read. The default worker count of a job holding such a sink is 1, and an explicit run on several
   * workers is refused before it starts, naming the step and this reason (as `DoFn.singleWorker`).
   */
  readonly singleWorker?: string;
  open(context: SinkContext): Promise<SinkWriter<T, R>>;
}

/** What a sink's flush reports on its output (e.g. the files it wrote), in a window at a timestamp. */
export interface SinkOutput<R> {
  readonly value: R;
  readonly timestamp: Instant;
  readonly window: BoundedWindow;
}

export interface SinkContext {
  /** The step's full name. */
  readonly step: string;
  /** This writer's index among the job's parallel writers, and their number (1 in one worker). */
  readonly worker: number;
  readonly workers: number;
  /** Aborted when the job is cancelled or failed. */
  readonly signal: AbortSignal;
}

export interface SinkWriter<T, R = never> {
  /** Buffers one element (synchronous, no I/O). A throw fails the job, naming the step and the element. */
  write(value: T, timestamp: Instant, window: BoundedWindow, pane: PaneInfo): void;
  /**
   * The bundle ended: write what was buffered. The engine awaits it before more input; undefined when nothing to do.
   * What it resolves to goes out on the sink's output (`writeToWithResults`), and the sink's output watermark waits
   * for it.
   */
  flush(): Promise<readonly SinkOutput<R>[] | void> | undefined;
  /**
   * Optional: the input ended (its watermark reached the end of time) — write what is still buffered and report it,
   * before the sink's output watermark moves to the end. What it resolves to goes out on the sink's output like a
   * flush's outputs, so a later step (e.g. one committer for every worker's files) receives it before its own input
   * ends. `finish` comes after, once every step downstream finished too.
   */
  endOfInput?(): Promise<readonly SinkOutput<R>[] | void> | undefined;
  /** The input ended: make the output visible. */
  finish(): Promise<void>;
  /** The job failed or was cancelled: remove what was not committed. Also called when `finish` threw. */
  abort(reason: unknown): Promise<void>;
  /** Checkpoint `checkpointId` reached the sink: make what was written durable, not visible; return what `commit` needs. */
  prepareCommit?(checkpointId: number): Promise<unknown>;
  /**
   * The checkpoint completed: publish what `prepareCommit` prepared (idempotently). A resumed run calls it again, on a
   * freshly opened writer, for the checkpoint it restored — so `open` must never remove what a prepared value refers
   * to (a run may have died after the checkpoint's metadata was written and before this commit ran).
   */
  commit?(prepared: unknown): Promise<void>;
}

/**
 * What a run report says of one sink step: what it writes and what a restart from a checkpoint can promise.
 *
 * @example
 *   { step: 'WriteDelta/Commit', sink: 'delta(/lake/t)', guarantee: 'exactly-once' }
 */
export interface SinkReport {
  readonly step: string;
  readonly sink: string;
  readonly guarantee: 'exactly-once' | 'at-least-once';
}

/**
 * The sink steps of a pipeline graph with their guarantees (a sink that declares none is at-least-once), for the
 * run report.
 *
 * @example
 *   sinkReports(p.graph); // [{ step: 'WriteJsonl/WriteBundles', sink: 'files(out/rows)', guarantee: 'exactly-once' }]
 */
export function sinkReports(graph: { readonly nodes: ReadonlyMap<string, { readonly name: string; readonly spec: { readonly kind: string } }> }): SinkReport[] {
  const out: SinkReport[] = [];
  for (const node of graph.nodes.values()) {
    if (node.spec.kind !== 'sink') continue;
    const sink = (node.spec as unknown as { readonly sink: Sink<unknown, unknown> }).sink;
    out.push({ step: node.name, sink: sink.describe(), guarantee: sink.guarantee ?? 'at-least-once' });
  }
  return out;
}
