/**
 * The checkpoint coordinator of one run (issue 14), on one worker:
 * 1. every `intervalMs` a checkpoint is requested; sources finish the batch they are pushing and start no new one
 *    (`beforeBatch` waits), so once no source is inside a batch every source's position is at a batch boundary and
 *    nothing read is half-pushed;
 * 2. the job is brought to rest; a barrier enters every source stage and travels in-band through the channels (each
 *    stage aligns it over its inputs and finishes its bundles before it); every stage must have aligned it;
 * 3. each operator snapshots (keyed state per key group, timers, holds, side inputs; sources their positions; sinks
 *    `prepareCommit`) into a part `op-<n>.bin`, written durably; then the metadata is written atomically — from here
 *    on the checkpoint exists;
 * 4. sinks `commit` what they prepared and unbounded readers `finalizeCheckpoint` their position; the checkpoints
 *    before the last `retain` are removed; the sources go on.
 * Restoring: the newest complete checkpoint whose parts are whole (sizes and SHA-256 as the metadata says) is used;
 * a damaged one is skipped for the one before, saying so; one of another pipeline is refused.
 */
import { RiffleError } from '../../model/index.ts';
import type { Operator, SinkOp, SourceOp, StageExecutor } from '../local/index.ts';
import { checkSameJob, decodeMetadata, decodePart, encodeMetadata, encodePart, sha256, CHECKPOINT_FORMAT, CHECKPOINT_VERSION, type CheckpointMetadata, type JobFingerprint, type OperatorPart, type PartInfo } from './format.ts';
import type { CheckpointStorage } from './storage.ts';

/** What the coordinator drives: the run's operators (topological order), stages, sources and sinks. */
export interface CheckpointedJob {
  readonly ops: readonly Operator[];
  readonly stages: readonly StageExecutor[];
  readonly sources: readonly SourceOp[];
  readonly sinks: readonly SinkOp[];
  /** Brings the job to rest (watermarks, timers, pending work, sinks' I/O). */
  settle(): Promise<void>;
  /** Work that must go out before a barrier (lifted combiners ship their partial accumulators). */
  beforeBarrier(): void;
  /** A checkpoint failed: the job stops with this error. */
  fail(error: unknown): void;
}

export interface CoordinatorOptions {
  readonly intervalMs: number;
  /** Complete checkpoints kept (default 3). */
  readonly retain?: number;
  /** Messages for the user (stderr): resuming, damaged checkpoints skipped. */
  readonly log: (message: string) => void;
}

/** A checkpoint read back for a resumed run. */
export interface RestoredCheckpoint {
  readonly id: number;
  /** In one thread: one per operator. On a pool of `workers` threads: workers × operators, worker-major. */
  readonly parts: readonly OperatorPart[];
  /** Taken on a pool of this many worker threads; undefined: in one thread. */
  readonly workers?: number;
}

export interface CheckpointStats {
  completed: number;
  lastId: number | undefined;
  lastBytes: number;
  lastDurationMs: number;
  totalDurationMs: number;
}

export class CheckpointCoordinator {
  private nextId = 1;
  private requested = false;
  /** The checkpoint in flight, until its commits are done. */
  private running: Promise<void> | undefined;
  /** Its synchronous part (until every operator snapshotted): sources wait for this only. */
  private snapshotting: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private job: CheckpointedJob | undefined;
  /** Sources inside a batch (between `beforeBatch` and `atBoundary`). */
  private readonly busy = new Set<SourceOp>();
  private readonly done = new Set<SourceOp>();
  private stopped = false;
  readonly stats: CheckpointStats = { completed: 0, lastId: undefined, lastBytes: 0, lastDurationMs: 0, totalDurationMs: 0 };

  constructor(
    private readonly storage: CheckpointStorage,
    private readonly fingerprint: JobFingerprint,
    private readonly options: CoordinatorOptions,
  ) {
    if (!(Number.isFinite(options.intervalMs) && options.intervalMs > 0)) throw new RiffleError('CONFIG_INVALID', `the checkpoint interval must be a positive duration, got ${String(options.intervalMs)} ms`, { domain: 'user', hint: 'e.g. --checkpoint-interval 10s' });
    const retain = options.retain ?? 3;
    if (!(Number.isSafeInteger(retain) && retain >= 1)) throw new RiffleError('CONFIG_INVALID', `checkpoints retained must be a whole number ≥ 1, got ${String(options.retain)}`, { domain: 'user', hint: 'e.g. --checkpoints-retained 3' });
  }

  private get retain(): number {
    return this.options.retain ?? 3;
  }

  // ---- before the run

  /**
   * Before the operators open. `resume`: the newest usable checkpoint (undefined when there is none: the run starts
   * from the beginning, and says so). Not resuming: the directory's earlier checkpoints of this pipeline are removed
   * (a later --resume must not go back to an older run). Either way a directory of another pipeline is refused.
   */
  async prepare(resume: boolean, o: { readonly anyJob?: boolean; readonly what?: string } = {}): Promise<RestoredCheckpoint | undefined> {
    const what = o.what ?? 'checkpoint';
    // A savepoint directory is only read (`what`): nothing in it is removed, whatever it holds.
    const drop = (id: number) => (o.what === undefined ? this.storage.remove(id) : Promise.resolve());
    const ids = await this.storage.ids();
    this.nextId = (ids.length > 0 ? ids[ids.length - 1]! : 0) + 1;
    let found: RestoredCheckpoint | undefined;
    let checkedJob = false;
    for (const id of [...ids].reverse()) {
      const where = `chk-${id} in ${this.storage.describe()}`;
      const metaBytes = await this.storage.readMetadata(id);
      if (metaBytes === undefined) {
        // Being written when the process died: never a checkpoint.
        await drop(id);
        continue;
      }
      let meta: CheckpointMetadata;
      try {
        meta = decodeMetadata(metaBytes, where);
      } catch (e) {
        if (resume) this.options.log(`riffle: ${(e as Error).message}; trying the checkpoint before it (what sinks committed with it may be written again)`);
        await drop(id);
        continue;
      }
      if (!checkedJob && o.anyJob !== true) {
        checkSameJob(meta.job, this.fingerprint, this.storage.describe());
        checkedJob = true;
      }
      if (!resume) {
        await drop(id);
        continue;
      }
      if (found !== undefined) continue;
      try {
        found = { id, parts: await this.readParts(id, meta, where), ...(meta.workers !== undefined ? { workers: meta.workers } : {}) };
      } catch (e) {
        this.options.log(`riffle: ${(e as Error).message}; trying the checkpoint before it (what sinks committed with it may be written again)`);
        await drop(id);
      }
    }
    if (resume) {
      if (found !== undefined) this.options.log(`riffle: resuming from ${what} ${found.id} in ${this.storage.describe()}`);
      else if (o.what === undefined) this.options.log(`riffle: no complete checkpoint in ${this.storage.describe()}: starting from the beginning`);
    }
    return found;
  }

  private async readParts(id: number, meta: CheckpointMetadata, where: string): Promise<OperatorPart[]> {
    const parts: OperatorPart[] = [];
    for (const p of meta.parts) {
      const bytes = await this.storage.readPart(id, p.name);
      if (bytes === undefined) throw invalid(where, `its part ${p.name} (step '${p.step}') is missing`);
      if (bytes.byteLength !== p.bytes || sha256(bytes) !== p.sha256) throw invalid(where, `its part ${p.name} (step '${p.step}') is damaged (size or checksum differs from the metadata)`);
      const part = decodePart(bytes, where);
      if (part.step !== p.step) throw invalid(where, `its part ${p.name} holds step '${part.step}', the metadata says '${p.step}'`);
      parts.push(part);
    }
    return parts;
  }

  /** After the operators opened: each gets its part back (watermarks, counters, state); sinks re-commit. */
  async restore(job: CheckpointedJob, restored: RestoredCheckpoint): Promise<void> {
    const { ops } = job;
    if (restored.workers !== undefined) {
      throw new RiffleError('CHECKPOINT_INVALID', `checkpoint ${restored.id} was taken on ${restored.workers} worker thread(s): it is restored on worker threads`, { domain: 'internal' });
    }
    if (restored.parts.length !== ops.length) throw new RiffleError('CHECKPOINT_MISMATCH', `checkpoint ${restored.id} has ${restored.parts.length} operators, this run has ${ops.length}`, { domain: 'user', hint: 'the pipeline changed since the checkpoint; run without --resume' });
    for (let i = 0; i < ops.length; i++) {
      const op = ops[i]!;
      const part = restored.parts[i]!;
      if (part.step !== op.name || part.kind !== op.node.kind) {
        throw new RiffleError('CHECKPOINT_MISMATCH', `checkpoint ${restored.id} holds step '${part.step}' (${part.kind}) where this run has '${op.name}' (${op.node.kind})`, { domain: 'user', hint: 'the pipeline changed since the checkpoint; run without --resume' });
      }
      op.inputWatermark = part.inputWatermark;
      op.outputWatermark = part.outputWatermark;
      [op.elementsIn, op.elementsOut, op.droppedLate, op.errors] = part.counters;
      await op.restore(part.state);
    }
  }

  // ---- while the run goes on

  start(job: CheckpointedJob): void {
    this.job = job;
    this.timer = setInterval(() => this.request(), this.options.intervalMs);
    this.timer.unref();
  }

  private request(): void {
    if (this.stopped || this.running !== undefined) return;
    this.requested = true;
    this.maybeStart();
  }

  /** A source is about to push a batch: it waits while a checkpoint is requested or running. */
  beforeBatch(op: SourceOp): Promise<void> | undefined {
    if (!this.requested && this.snapshotting === undefined) {
      this.busy.add(op);
      return undefined;
    }
    return this.waitThenEnter(op);
  }

  private async waitThenEnter(op: SourceOp): Promise<void> {
    while (this.requested || this.snapshotting !== undefined) {
      if (this.snapshotting !== undefined) await this.snapshotting;
      else await new Promise<void>((resolve) => setImmediate(resolve));
      if (this.stopped) break;
    }
    this.busy.add(op);
  }

  /** A source finished its batch (its position is up to date): a requested checkpoint may start. */
  atBoundary(op: SourceOp): Promise<void> | undefined {
    this.busy.delete(op);
    this.maybeStart();
    return undefined;
  }

  sourceDone(op: SourceOp): void {
    this.busy.delete(op);
    this.done.add(op);
    this.maybeStart();
  }

  private maybeStart(): void {
    const job = this.job;
    if (!this.requested || this.running !== undefined || this.busy.size > 0 || job === undefined || this.stopped) return;
    this.requested = false;
    // Once every input is done, the job is finishing: nothing left to resume that a checkpoint would save.
    if (job.sources.every((s) => this.done.has(s))) return;
    const id = this.nextId++;
    let snapshotted!: () => void;
    this.snapshotting = new Promise<void>((resolve) => (snapshotted = resolve)).finally(() => {
      this.snapshotting = undefined;
    });
    const run = this.checkpoint(job, id, snapshotted).catch((e: unknown) => {
      // No later checkpoint may complete and commit while the job stops: a sink's commit of this one may have failed,
      // and a later commit would publish past it (a resumed run re-commits only the checkpoint it restores).
      this.stopped = true;
      this.requested = false;
      if (this.timer !== undefined) clearInterval(this.timer);
      job.fail(e);
    });
    this.running = run.finally(() => {
      snapshotted();
      this.running = undefined;
    });
  }

  /**
   * The final checkpoint (as Flink's, FLIP-147): every input ended and everything fired, before the sinks' `finish`.
   * What the sinks still hold is prepared and committed with it, and a run killed while finishing resumes here: its
   * sources are done, so it only finishes again.
   */
  async finalCheckpoint(): Promise<void> {
    await this.stop();
    if (this.job === undefined) return;
    await this.checkpoint(this.job, this.nextId++);
  }

  /** Stops requesting checkpoints and waits for the one in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.requested = false;
    if (this.timer !== undefined) clearInterval(this.timer);
    await this.running;
  }

  /**
   * Takes checkpoint `id` (see the file comment). `snapshotted` is called once every operator snapshotted: the
   * sources go on while the parts and the metadata are written and the commits run (as Flink's asynchronous phase).
   */
  async checkpoint(job: CheckpointedJob, id: number, snapshotted: () => void = () => {}): Promise<void> {
    const started = Date.now();
    await job.settle();
    job.beforeBarrier();
    await job.settle();
    const pending = job.ops.find((op) => op.hasPendingWork());
    if (pending !== undefined) throw new RiffleError('ENGINE_INVARIANT', `checkpoint ${id}: step '${pending.name}' still has work after the job came to rest`, { domain: 'internal' });
    for (const stage of job.stages) stage.alignedBarriers.length = 0;
    for (const stage of job.stages) if (job.sources.includes(stage.ops[0] as SourceOp)) stage.injectBarrier(id);
    for (const stage of job.stages) {
      if (!stage.alignedBarriers.includes(id)) throw new RiffleError('ENGINE_INVARIANT', `checkpoint ${id}: the barrier did not reach stage ${stage.id} (${stage.ops[0]?.name})`, { domain: 'internal' });
      stage.alignedBarriers.length = 0;
    }
    const parts: Array<{ info: PartInfo; bytes: Uint8Array }> = [];
    for (let i = 0; i < job.ops.length; i++) {
      const op = job.ops[i]!;
      const bytes = encodePart({
        step: op.name,
        kind: op.node.kind,
        inputWatermark: op.inputWatermark,
        outputWatermark: op.outputWatermark,
        counters: [op.elementsIn, op.elementsOut, op.droppedLate, op.errors],
        state: await op.snapshot(id),
      });
      parts.push({ info: { name: `op-${i}.bin`, step: op.name, bytes: bytes.byteLength, sha256: sha256(bytes) }, bytes });
    }
    // Positions as they were at the barrier, for the readers' acknowledgement once the checkpoint completed.
    const positions = job.sources.map((s) => s.position);
    snapshotted();
    await this.persist(id, parts);
    // Complete: publish what the sinks prepared, acknowledge what the readers read.
    for (const sink of job.sinks) await sink.commitCheckpoint(id);
    for (let i = 0; i < job.sources.length; i++) await job.sources[i]!.finalizePosition(positions[i]);
    await this.completed(id, started, parts.reduce((n, p) => n + p.bytes.byteLength, 0));
  }

  /** A new checkpoint id (ids grow across the runs of a directory). */
  takeId(): number {
    return this.nextId++;
  }

  /** Ids from here on are above `id` (a run started from a savepoint: sinks' commits are keyed by growing ids). */
  reserveAbove(id: number): void {
    this.nextId = Math.max(this.nextId, id + 1);
  }

  /**
   * Writes checkpoint `id`: its parts durably, then its metadata atomically — from here on it exists. `workers`: it
   * was taken on a pool of that many worker threads (`parts` worker-major: `w<i>-op-<n>.bin`).
   */
  async persist(id: number, parts: ReadonlyArray<{ info: PartInfo; bytes: Uint8Array }>, workers?: number): Promise<void> {
    await Promise.all(parts.map((p) => this.storage.writePart(id, p.info.name, p.bytes)));
    const meta: CheckpointMetadata = {
      format: CHECKPOINT_FORMAT,
      version: CHECKPOINT_VERSION,
      id,
      createdAt: new Date().toISOString(),
      job: this.fingerprint,
      ...(workers !== undefined ? { workers } : {}),
      parts: parts.map((p) => p.info),
    };
    await this.storage.complete(id, encodeMetadata(meta));
  }

  /** Checkpoint `id` completed (its commits done): older ones are pruned and the figures counted. */
  async completed(id: number, started: number, bytes: number): Promise<void> {
    await this.prune(id);
    const ms = Date.now() - started;
    this.stats.completed++;
    this.stats.lastId = id;
    this.stats.lastBytes = bytes;
    this.stats.lastDurationMs = ms;
    this.stats.totalDurationMs += ms;
  }

  /** Keeps the last `retain` complete checkpoints up to `latest`; removes older ones and incomplete leftovers. */
  private async prune(latest: number): Promise<void> {
    const ids = (await this.storage.ids()).filter((i) => i <= latest);
    const complete: number[] = [];
    for (const i of ids) {
      if ((await this.storage.readMetadata(i)) !== undefined) complete.push(i);
      else if (i < latest) await this.storage.remove(i);
    }
    for (const i of complete.slice(0, Math.max(0, complete.length - this.retain))) await this.storage.remove(i);
  }
}

/**
 * How the newest complete checkpoint of a directory was taken: on a pool of N worker threads (N), in one thread
 * (null), or there is none (undefined). A metadata file that does not parse is passed over (`prepare` says why).
 */
export async function latestCheckpointWorkers(storage: CheckpointStorage): Promise<number | null | undefined> {
  for (const id of (await storage.ids()).reverse()) {
    const bytes = await storage.readMetadata(id);
    if (bytes === undefined) continue;
    try {
      return decodeMetadata(bytes, `chk-${id}`).workers ?? null;
    } catch {
      continue;
    }
  }
  return undefined;
}

function invalid(where: string, what: string): RiffleError {
  return new RiffleError('CHECKPOINT_INVALID', `checkpoint ${where} cannot be used: ${what}`, {
    domain: 'user',
    hint: 'it is skipped for an earlier complete checkpoint; remove the directory if none is usable',
  });
}
