import type { Instant } from './time.ts';

/**
 * A record that could not be read or processed: what went to an error (dead-letter) output instead of failing the job.
 * `element` is the original input (the raw line for readers), so nothing is lost.
 */
export interface ErrorRecord<E = unknown> {
  readonly step: string;
  readonly error: string;
  readonly element: E;
  /** ISO-8601 time at which the error happened. */
  readonly time: string;
  /** Where the element came from, when known: file and line for readers. */
  readonly origin?: { readonly file?: string; readonly line?: number; readonly [k: string]: unknown };
}

/** One batch read from a source. Timestamps default to MIN_TIMESTAMP (bounded) when absent. */
export interface SourceBatch<T> {
  readonly values: T[];
  readonly timestamps?: Instant[];
  /** Records that could not be decoded: they go to the read's error output. */
  readonly errors?: ErrorRecord<string>[];
  /**
   * Event-time progress of a bounded source that knows how its timestamps advance (a generator, files in time order):
   * no element this read returns after this batch has a timestamp before it. The engine then moves the read's
   * watermark forward as it reads, so windows fire and their state is freed before the end of the input; a source
   * that reads several parts reports the minimum over the parts it has not finished. Absent: no promise (the
   * watermark stays at its start until the read ends). A value below an earlier one is ignored (watermarks never go
   * back); +∞ is reserved for the end of the read. Elements that break the promise are late, as in a stream.
   */
  readonly watermark?: Instant;
  /**
   * Where the read stands after this batch, as plain data (e.g. `{ part: 2, offset: 81920 }`): what a checkpoint
   * stores so that `readFrom(position)` continues with the batch after this one. Only sources with `readFrom` set it.
   */
  readonly position?: unknown;
}

/**
 * A finite source. It can split itself into parts read independently (and later in parallel), and it reads as an async
 * sequence of batches; the engine moves each batch through the fused stage synchronously.
 */
/**
 * What a source still has to read, as it knows it without a request of its own (reported on the runner's step
 * metrics timer, never per element): Kafka's end offsets minus its position, a bus subscription's unacked messages
 * (`elements`), a Delta read's data files not yet read (`bytes`).
 */
export interface SourceBacklog {
  readonly amount: number;
  readonly unit: 'elements' | 'bytes';
}

export interface BoundedSource<T> {
  readonly kind: 'bounded';
  /** A short description for plans and errors, e.g. `csv(data/*.csv)`. */
  describe(): string;
  estimateSizeBytes(): Promise<number>;
  split(desiredBundleSizeBytes: number): Promise<BoundedSource<T>[]>;
  /**
   * The parts `split` returns are in event-time order: the progress a part reports (SourceBatch.watermark) holds for
   * every part after it in the list as well (files declared in time order, read in path order; the Nexmark
   * generator's consecutive stretches of its merged timelines). A worker that reads some of the parts, in list order,
   * can then pass on the watermark of the part it reads (the parts it takes later come after it): windows and
   * event-time timers fire as it reads on every worker, not only at the end. Absent: a part's progress promises
   * nothing about the others, and on several workers the read's watermark moves only when its share ends.
   */
  readonly orderedParts?: boolean;
  read(signal?: AbortSignal): AsyncIterable<SourceBatch<T>>;
  /** Optional: what the read has left (SourceBacklog); undefined when it does not know. */
  backlog?(): SourceBacklog | undefined;
  /**
   * Optional (checkpoints, issue 14): reads on from a `position` that one of this source's batches carried — the
   * batches after that one, exactly as `read` would have gone on. A source without it is resumed by reading it again
   * and dropping the batches a checkpoint says were already pushed (so its reads must be deterministic).
   */
  readFrom?(position: unknown, signal?: AbortSignal): AsyncIterable<SourceBatch<T>>;
  /**
   * Optional: what this source (and its splits) noticed about its input so far that is not a bad record but may be a
   * mistake — an empty file, a header-only CSV file, a declared column a header lacks. The runner gathers them into
   * `PipelineResult.inputWarnings` (from every worker on several), and `riffle run` prints them.
   */
  warnings?(): readonly InputWarning[];
}

/** Something about an input that may be a mistake though nothing was rejected (see `BoundedSource.warnings`). */
export interface InputWarning {
  /** What was noticed, e.g. `empty-file`, `header-only`, `missing-column`. */
  readonly kind: string;
  /** The input it is about (a file path), when it is one. */
  readonly file?: string;
  readonly message: string;
}

/** Reads an unbounded source from a position; exposes the position after what it returned, and a watermark. */
export interface UnboundedReader<T, P> {
  /** The next batch, or null when nothing is available within `waitMs` (the engine then polls again). */
  next(waitMs: number): Promise<SourceBatch<T> | null>;
  /** The position after the last returned batch: what a checkpoint stores to resume exactly there. */
  position(): P;
  /** No element with a timestamp before this will be returned any more. MAX_TIMESTAMP when the source has ended. */
  watermark(): Instant;
  /**
   * A checkpoint holding `position` (a value `position()` returned) completed: everything read before it is in the
   * job's committed output, so the source may acknowledge it upstream (bus acks, Kafka group offsets, a replication
   * slot's confirmed LSN), as Beam's `CheckpointMark.finalizeCheckpoint`. Called in checkpoint order, at most once per
   * checkpoint; a completion lost in a crash is not replayed (the restored reader starts again at that position, so
   * unacknowledged input is read again, never skipped). Optional: a source without it acknowledges nothing.
   */
  finalizeCheckpoint?(position: P): Promise<void>;
  /**
   * Optional: the reader has nothing to read now and its watermark should not hold back the job's — e.g. every Kafka
   * partition it reads is caught up and silent (idleTimeout). The read's stage then reports itself idle downstream
   * (exchange STATUS frames), so on N workers the other workers' readers drive the watermark, as one reader's other
   * partitions do in one worker. Input that arrives later is judged against the watermark reached meanwhile (it may
   * be late), as in Flink's `withIdleness`. Asked after a poll that returned nothing.
   */
  idle?(): boolean;
  /** Optional: what is left to read that the reader knows of (SourceBacklog); undefined when it does not know. */
  backlog?(): SourceBacklog | undefined;
  close(): Promise<void>;
}

/**
 * Where an unbounded source's reader runs, as `SinkContext` for sinks: its index among the job's parallel readers of
 * this source and their number. A source that partitions its input (Kafka partitions) gives each reader a stable share
 * by index; absent, the reader is the only one (worker 0 of 1).
 */
export interface SourceContext {
  readonly worker: number;
  readonly workers: number;
  /**
   * The run takes checkpoints: a reader that can acknowledge upstream does so only in `finalizeCheckpoint` (never per
   * batch, which would acknowledge input whose effect a restore from the last checkpoint loses).
   */
  readonly checkpoints?: boolean;
}

/** An endless (or not yet ended) source with replayable positions. */
export interface UnboundedSource<T, P = unknown> {
  readonly kind: 'unbounded';
  describe(): string;
  /** Opens a reader at `position` (from a checkpoint) or at the start when undefined; `context` says which reader it is. */
  open(position: P | undefined, signal?: AbortSignal, context?: SourceContext): Promise<UnboundedReader<T, P>>;
  /**
   * Optional: the source reads in parallel. On N workers every worker opens a reader with its `SourceContext`
   * {worker, workers} and reads a stable share by index (Kafka: partition p to reader p mod N); the read's watermark
   * downstream is the minimum over the readers (exchanges take the minimum over their inputs). Absent or false: one
   * reader, on worker 0 (the bus, CDC). A parallel source must give `mergePositions`.
   */
  readonly parallel?: boolean;
  /**
   * With `parallel`: one position from the positions every reader of a checkpoint held (Kafka: the union of their
   * partitions' offsets). A restore — at the same or another number of workers — opens every reader at the merged
   * position, and each takes its own share of it; so a position must name what it covers (each partition's offset),
   * never the reader it came from. Positions of readers that had ended are left out.
   */
  mergePositions?(positions: readonly P[]): P;
}

export type Source<T> = BoundedSource<T> | UnboundedSource<T, any>;
