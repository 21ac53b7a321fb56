/**
 * The checkpoint coordinator of a job on worker threads (issue 14): every `--checkpoint-interval` it holds every
 * worker's sources at a batch boundary, waits until no exchange frame is in flight anywhere (the same quiescence the
 * TestStream lockstep uses), has lifted combiners ship their partial accumulators and waits again, then asks every
 * worker for its operators' parts (checkpoint-share.ts). The parts of all workers are written (`w<i>-op-<n>.bin`),
 * then the metadata atomically — the checkpoint exists — then every worker commits its sinks and acknowledges its
 * readers. Once every worker's input ended, the final checkpoint is taken the same way before any worker finishes.
 *
 * Resuming (any number of workers, rescale): keyed state goes by key group to the worker owning the group's range,
 * the rest to one worker each (checkpoint/rescale.ts); each bounded read is split again with the checkpoint's split
 * size, and only its unfinished splits are queued — those in progress first-come with their positions; an unbounded
 * read resumes on worker 0 (a parallel one: every worker at the merged position).
 */
import { existsSync } from 'node:fs';
import { RiffleError, type PipelineGraph, type PrimitiveNode } from '../../model/index.ts';
import { CheckpointCoordinator, LocalCheckpointStorage, rescaleParts, sha256, type CheckpointStorage, type JobFingerprint, type OperatorPart, type PartInfo, type RestorePiece, type RestoredCheckpoint, type SourceRestore } from '../checkpoint/index.ts';
import type { SourcePosition } from '../local/index.ts';
import type { CheckpointCommand, SnapshotReply, SplitReadPosition } from './checkpoint-share.ts';
import { keyGroupRangeOf } from './key-group-range.ts';
import type { SplitRef } from './pipeline-share.ts';
import type { WorkerPool } from './pool.ts';

/** Test hook (the kill-a-worker test): `RIFFLE_TEST_TERMINATE_WORKER=<worker>:<checkpoints>` terminates that worker thread once, after that many completed checkpoints of the process. */
const TERMINATE_ENV = 'RIFFLE_TEST_TERMINATE_WORKER';
let terminated = false;

export interface WorkersCheckpointOptions {
  /** Periodic checkpoints (with a checkpoint directory); undefined: none (a run that only takes savepoints). */
  readonly intervalMs: number | undefined;
  /** `--from-savepoint`: start from the newest savepoint in this directory (when there is no checkpoint to resume). */
  readonly fromSavepoint?: string;
  /** Opens a savepoint location that is not a local directory (an object store's URL); see LocalRunOptions. */
  readonly savepointStorage?: (location: string) => CheckpointStorage | undefined;
  /** State of steps the pipeline no longer has is left out (else refused). */
  readonly allowNonRestored?: boolean;
  /** The job's fingerprint (written with savepoints). */
  readonly fingerprint: JobFingerprint;
  readonly log: (message: string) => void;
  /** Waits until the job is at rest in every worker, nothing in flight (run-on-workers.ts). */
  readonly quiesce: (pool: WorkerPool) => Promise<unknown>;
}

export class WorkersCheckpoints {
  private pool: WorkerPool | undefined;
  private readonly ready = new Set<number>();
  private readonly finalReady = new Set<number>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private pieces: RestorePiece[][] | undefined;
  private readonly reads = new Map<string, { desiredBytes: number; count: number; refs: SplitRef[] }>();
  /** A checkpoint that failed: the job fails with it. */
  failure: unknown;

  /** A stop with a savepoint is under way (the job then ends as cancelled, the savepoint written). */
  savepointTaken: string | undefined;

  private constructor(
    /** The periodic checkpoints' directory; undefined without one (savepoints only). */
    private readonly coordinator: CheckpointCoordinator | undefined,
    private readonly workers: number,
    private readonly options: WorkersCheckpointOptions,
    private readonly restored: RestoredCheckpoint | undefined,
  ) {}

  /**
   * Before the pool starts: finds the checkpoint to resume from (`resume`), and works out each worker's pieces of it
   * and each bounded read's splits still to read.
   */
  static async prepare(coordinator: CheckpointCoordinator | undefined, graph: PipelineGraph, workers: number, maxParallelism: number, resume: boolean, options: WorkersCheckpointOptions): Promise<WorkersCheckpoints> {
    let restored = await coordinator?.prepare(resume);
    if (restored === undefined && options.fromSavepoint !== undefined) {
      // Another pipeline's savepoint is fine: its state is matched by step name. The directory is only read.
      const remote = options.savepointStorage?.(options.fromSavepoint);
      const storage = remote ?? (existsSync(options.fromSavepoint) ? new LocalCheckpointStorage(options.fromSavepoint) : undefined);
      const saved = storage === undefined ? undefined : new CheckpointCoordinator(storage, options.fingerprint, { intervalMs: 1000, log: options.log });
      restored = await saved?.prepare(true, { anyJob: true, what: 'savepoint' });
      if (restored === undefined) {
        throw new RiffleError('CONFIG_INVALID', `--from-savepoint ${options.fromSavepoint}: there is no complete savepoint there`, { domain: 'user', hint: 'give the directory a savepoint was written into (--savepoint-dir of the run that stopped with SIGUSR1)' });
      }
      coordinator?.reserveAbove(restored.id);
    }
    const self = new WorkersCheckpoints(coordinator, workers, options, restored);
    if (restored !== undefined) self.restore(restored, graph, maxParallelism);
    return self;
  }

  private restore(restored: RestoredCheckpoint, graph: PipelineGraph, maxParallelism: number): void {
    const old = restored.workers;
    if (old === undefined) {
      throw new RiffleError('CHECKPOINT_INVALID', `checkpoint ${restored.id} was taken in one thread: it resumes in one thread`, { domain: 'user', hint: 'run with --workers 1 to resume it' });
    }
    const byName = new Map<string, PrimitiveNode>();
    for (const n of graph.nodes.values()) byName.set(n.name, n);
    const ranges = Array.from({ length: this.workers }, (_, j) => keyGroupRangeOf(j, this.workers, maxParallelism));
    const ops = restored.parts.length / old;
    const source = (n: number, first: OperatorPart): SourceRestore | undefined => {
      if (first.kind !== 'read') return undefined;
      const node = byName.get(first.step);
      if (node === undefined || node.kind !== 'read') {
        if (this.options.allowNonRestored === true) return { kind: 'none' };
        throw new RiffleError('CHECKPOINT_MISMATCH', `the saved state holds the read '${first.step}', which this pipeline no longer has`, { domain: 'user', hint: 'rename the step back, or pass --allow-non-restored-state to drop that state' });
      }
      const olds = Array.from({ length: old }, (_, w) => restored.parts[w * ops + n]!);
      if (node.spec.source.kind === 'bounded') {
        this.splitsOf(node, olds.map((p) => p.state as SplitReadPosition | undefined));
        return { kind: 'none' };
      }
      const src = node.spec.source;
      if (src.parallel === true && src.mergePositions !== undefined) {
        const positions = olds.map((p) => p.state as SourcePosition | undefined);
        const open = positions.filter((p): p is Extract<SourcePosition, { kind: 'unbounded' }> => p?.kind === 'unbounded');
        if (open.length === 0) return { kind: 'every', state: positions.every((p) => p?.kind === 'ended') ? { kind: 'ended' } : undefined };
        // A reader that had ended keeps its last position (SourcePosition 'ended'.last): its share must not be read again.
        const ended = positions.flatMap((p) => (p?.kind === 'ended' && p.last !== undefined ? [p.last] : []));
        const merged: SourcePosition = { kind: 'unbounded', position: src.mergePositions([...open.map((p) => p.position), ...ended]), watermark: Math.min(...open.map((p) => p.watermark)) };
        return { kind: 'every', state: merged };
      }
      return { kind: 'on', worker: 0, from: 0 };
    };
    this.pieces = rescaleParts(restored.parts, old, this.workers, (j, g) => ranges[j]!.contains(g), source);
  }

  /** A bounded read's splits still to read, from every old worker's position (see SplitReadPosition). */
  private splitsOf(node: PrimitiveNode, positions: ReadonlyArray<SplitReadPosition | undefined>): void {
    const known = positions.find((p) => p?.kind === 'splits');
    if (known === undefined) return; // never read: split as for a new run
    const done = new Set<number>();
    for (const p of positions) for (const i of p?.done ?? []) done.add(i);
    const current = new Map<number, NonNullable<SplitReadPosition['current']>>();
    for (const p of positions) if (p?.current !== undefined && !done.has(p.current.index)) current.set(p.current.index, p.current);
    const refs: SplitRef[] = [];
    for (let i = 0; i < known.count; i++) {
      if (done.has(i)) continue;
      const c = current.get(i);
      refs.push({ node: node.id, index: i, ...(c?.from !== undefined ? { from: c.from } : {}), ...(c !== undefined && c.skip > 0 ? { skip: c.skip } : {}) });
    }
    this.reads.set(node.id, { desiredBytes: known.desiredBytes, count: known.count, refs });
  }

  /** A bounded read's split size in the checkpoint resumed from (the splits must be the same to resume them). */
  desiredBytes(node: string): number | undefined {
    return this.reads.get(node)?.desiredBytes;
  }

  /** The splits of a resumed read still to read (undefined: all of them). `count`: how many it split into now. */
  refsOf(node: PrimitiveNode, count: number): SplitRef[] | undefined {
    const read = this.reads.get(node.id);
    if (read === undefined) return undefined;
    if (count !== read.count) {
      throw new RiffleError('CHECKPOINT_MISMATCH', `the read '${node.name}' splits into ${count} parts now, ${read.count} when the checkpoint was taken (${node.kind === 'read' ? node.spec.source.describe() : ''})`, {
        domain: 'user',
        hint: 'its input changed since the checkpoint; run without --resume',
      });
    }
    return read.refs;
  }

  /** What worker `index` restores (undefined: nothing, a new run). */
  restoreFor(index: number): RestorePiece[] | undefined {
    return this.pieces?.[index];
  }

  get restoredId(): number | undefined {
    return this.restored?.id;
  }

  start(pool: WorkerPool): void {
    this.pool = pool;
    const old = this.restored?.workers;
    if (old !== undefined && old !== this.workers) this.options.log(`riffle: checkpoint ${this.restored!.id} was taken on ${old} worker${old === 1 ? '' : 's'}: its state goes to ${this.workers} by key group, its reads' unfinished splits are read again from where they stood`);
  }

  /** A worker's metrics: `checkpointReady` (operators open and restored), `checkpointFinal` (its input ended). */
  onMetrics(index: number, metrics: Record<string, number>): void {
    if (metrics.checkpointReady === 1) {
      this.ready.add(index);
      if (this.ready.size === this.workers && this.timer === undefined && !this.stopped && this.options.intervalMs !== undefined) {
        this.timer = setInterval(() => this.request(), this.options.intervalMs);
        this.timer.unref();
      }
    }
    if (metrics.checkpointFinal === 1) {
      this.finalReady.add(index);
      if (this.finalReady.size === this.workers) void this.final();
    }
  }

  private request(): void {
    if (this.stopped || this.running !== undefined || this.coordinator === undefined) return;
    this.running = this.checkpoint(this.coordinator.takeId())
      .catch((e: unknown) => this.fail(e))
      .finally(() => (this.running = undefined));
  }

  private async final(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    try {
      await this.running;
      if (this.failure !== undefined || this.savepointTaken !== undefined) return;
      if (this.coordinator !== undefined) await this.checkpoint(this.coordinator.takeId());
      await this.pool!.request({ kind: 'checkpoint', step: 'final-done' } satisfies CheckpointCommand);
    } catch (e) {
      this.fail(e);
    }
  }

  private fail(e: unknown): void {
    if (this.failure === undefined) this.failure = e;
    this.stop();
    void this.pool?.cancel(`a checkpoint failed: ${e instanceof Error ? e.message : String(e)}`);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearInterval(this.timer);
  }

  get stats() {
    return this.coordinator?.stats ?? { completed: 0, lastId: undefined, lastBytes: 0, lastDurationMs: 0, totalDurationMs: 0 };
  }

  /**
   * Stops the job with a savepoint (Flink's stop-with-savepoint): the sources are held, a checkpoint is taken and
   * written into `dir` (a directory of checkpoints of its own: `dir/chk-<id>`, self-contained, each part naming its
   * step) and into the checkpoint directory too when there is one (so --resume and --from-savepoint agree), the sinks
   * commit it, and the workers stop (as cancelled: nothing was read after it). Resolves with the savepoint's path.
   */
  async savepoint(dir: string): Promise<string> {
    if (this.pool === undefined) throw new RiffleError('CONFIG_INVALID', 'the job has not started yet: no savepoint can be taken', { domain: 'user', hint: 'try again once it runs' });
    if (this.savepointTaken !== undefined) return this.savepointTaken;
    this.stop();
    await this.running;
    if (this.failure !== undefined) throw this.failure;
    const storage = this.options.savepointStorage?.(dir) ?? new LocalCheckpointStorage(dir);
    const ids = await storage.ids();
    const id = Math.max(this.coordinator?.takeId() ?? 0, (ids[ids.length - 1] ?? 0) + 1, (this.restored?.id ?? 0) + 1);
    const saved = new CheckpointCoordinator(storage, this.options.fingerprint, { intervalMs: 1000, log: this.options.log });
    const path = `${storage.describe()}/chk-${id}`;
    this.savepointTaken = path;
    try {
      await this.checkpoint(id, saved);
    } catch (e) {
      this.fail(e);
      throw e;
    }
    this.options.log(`riffle: savepoint ${id} written to ${path}; the job stops (start it again with --from-savepoint ${storage.describe()})`);
    await this.pool.control({ kind: 'cancel' });
    return path;
  }

  /** Drains the job: every worker's sources end their input at their next batch boundary. */
  async drain(): Promise<void> {
    await this.pool?.control({ kind: 'drain' });
  }

  /** Takes checkpoint `id`; `savepoint`: also written there (the sources stay held: the job stops after it). */
  private async checkpoint(id: number, savepoint?: CheckpointCoordinator): Promise<void> {
    const pool = this.pool!;
    const started = Date.now();
    await pool.request({ kind: 'checkpoint', step: 'pause' } satisfies CheckpointCommand);
    await this.options.quiesce(pool);
    await pool.request({ kind: 'checkpoint', step: 'flush' } satisfies CheckpointCommand);
    await this.options.quiesce(pool);
    const replies = (await pool.request({ kind: 'checkpoint', step: 'snapshot', id, ...(savepoint !== undefined ? { hold: true } : {}) } satisfies CheckpointCommand)) as Array<SnapshotReply | undefined>;
    const parts: Array<{ info: PartInfo; bytes: Uint8Array }> = [];
    for (let w = 0; w < replies.length; w++) {
      const r = replies[w];
      if (r === undefined) throw new RiffleError('ENGINE_INVARIANT', `checkpoint ${id}: worker ${w} gave no snapshot (it had finished)`, { domain: 'internal' });
      r.parts.forEach((bytes, n) => parts.push({ info: { name: `w${w}-op-${n}.bin`, step: r.steps[n]!, bytes: bytes.byteLength, sha256: sha256(bytes) }, bytes }));
    }
    if (savepoint !== undefined) await savepoint.persist(id, parts, this.workers);
    await this.coordinator?.persist(id, parts, this.workers);
    await pool.request({ kind: 'checkpoint', step: 'commit', id } satisfies CheckpointCommand);
    await this.coordinator?.completed(id, started, parts.reduce((n, p) => n + p.bytes.byteLength, 0));
    this.testHook();
  }

  /** RIFFLE_TEST_TERMINATE_WORKER=<worker>:<checkpoints>: a worker thread dies as a crash would (tests only). */
  private testHook(): void {
    const spec = process.env[TERMINATE_ENV];
    if (spec === undefined || terminated) return;
    const m = /^(\d+):(\d+)$/.exec(spec);
    if (m === null || this.stats.completed < Number(m[2])) return;
    terminated = true;
    this.options.log(`riffle: test hook: terminating worker ${m[1]} after ${this.stats.completed} checkpoints`);
    void this.pool?.terminateWorker(Number(m[1]));
  }
}
