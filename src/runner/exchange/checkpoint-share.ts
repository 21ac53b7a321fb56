/**
 * One worker's part in the checkpoints of a job on worker threads (issue 14). The coordinator
 * (checkpoint-workers.ts) sends every worker the same commands, in this order, for each checkpoint:
 * 1. `pause`: sources finish the batch they are pushing and start no new one; answered once none is inside a batch
 *    (a source waiting on I/O need not reach a boundary: what it has not pushed is after its recorded position);
 * 2. `quiesce` rounds (pipeline-share.ts) until no exchange frame is in flight anywhere, `flush` (lifted combiners
 *    ship their partial accumulators), quiescence again: the whole job is at rest, every element read so far has
 *    reached the state it changes, so no in-band barrier needs aligning — every channel is empty;
 * 3. `snapshot`: each operator's part (keyed state per key group, timers, waiting side-input elements, views; sinks
 *    `prepareCommit`; a bounded read: which of its splits this worker finished and where the current one stands),
 *    returned to the coordinator; the sources go on;
 * 4. `commit` once the coordinator wrote the checkpoint: sinks commit what they prepared, unbounded readers
 *    acknowledge their positions.
 * The final checkpoint (every input ended): each worker at rest reports `checkpointFinal`, takes steps 2–4 like any
 * checkpoint, and goes on to finish once the coordinator says `final-done`.
 */
import { RiffleError } from '../../model/index.ts';
import { encodePart, type CheckpointedJob, type RestorePiece } from '../checkpoint/index.ts';
import type { ShareCheckpoints } from '../local/worker-share.ts';
import type { SourceOp, SourcePosition } from '../local/index.ts';
import type { WorkerContext } from './worker-context.ts';

/** The coordinator's checkpoint commands (`kind: 'checkpoint'`). */
export type CheckpointCommand =
  | { readonly kind: 'checkpoint'; readonly step: 'pause' }
  | { readonly kind: 'checkpoint'; readonly step: 'flush' }
  /** `hold`: the sources stay held after it (a stop with a savepoint: the job is cancelled next). */
  | { readonly kind: 'checkpoint'; readonly step: 'snapshot'; readonly id: number; readonly hold?: boolean }
  | { readonly kind: 'checkpoint'; readonly step: 'commit'; readonly id: number }
  | { readonly kind: 'checkpoint'; readonly step: 'final-done' };

/** A worker's answer to `snapshot`: each operator's part, encoded (checkpoint/format.ts). */
export interface SnapshotReply {
  readonly parts: readonly Uint8Array[];
  /** The operators' names, in the same order. */
  readonly steps: readonly string[];
}

/**
 * Where a bounded read stands in one worker: the splits (indices into the read's split plan, `desiredBytes`) it
 * finished, and the one it is reading (`index`, the part's own position `from` if it gives positions, and the elements
 * pushed since). Independent of the number of workers: a restore at any N queues the unfinished splits again, the one
 * in progress resuming where it stood.
 */
export interface SplitReadPosition {
  readonly kind: 'splits';
  readonly desiredBytes: number;
  readonly count: number;
  readonly done: readonly number[];
  readonly current?: { readonly index: number; readonly from?: unknown; readonly skip: number };
}

/** What the share knows of a bounded read: its split plan, and the splits this worker finished. */
export interface SplitReads {
  readOf(node: string): { readonly desiredBytes: number; readonly count: number; readonly done: readonly number[] } | undefined;
}

export class WorkerCheckpoints implements ShareCheckpoints {
  private job: CheckpointedJob | undefined;
  /** The coordinator holds the sources (between `pause` and `snapshot`). */
  private held = false;
  private resumed: Promise<void> = Promise.resolve();
  private resume: () => void = () => {};
  private readonly busy = new Set<SourceOp>();
  private atRest: (() => void) | undefined;
  /** Unbounded readers' positions at each checkpoint not committed yet, acknowledged on `commit`. */
  private readonly positions = new Map<number, Array<SourcePosition | undefined>>();
  private finalDone: (() => void) | undefined;

  constructor(
    private readonly ctx: WorkerContext,
    private readonly splits: SplitReads,
    /** This worker's pieces of the checkpoint it resumes from (per operator), if any. */
    private readonly restoring: readonly RestorePiece[] | undefined,
    /** State of steps this pipeline does not have is left out (else refused). */
    private readonly allowNonRestored = false,
  ) {}

  async attach(job: CheckpointedJob): Promise<void> {
    const pieces = this.restoring;
    if (pieces !== undefined) {
      // Matched by step name (a savepoint restores into a changed pipeline): a new step starts empty; the state of a
      // step this pipeline no longer has is refused, naming the steps, unless allowed to be left out.
      const byName = new Map(pieces.map((p) => [p.step, p]));
      for (const op of job.ops) {
        const p = byName.get(op.name);
        if (p === undefined) continue;
        byName.delete(op.name);
        if (p.kind !== op.node.kind) {
          throw new RiffleError('CHECKPOINT_MISMATCH', `the saved state of step '${op.name}' is of a ${p.kind} step; in this pipeline '${op.name}' is a ${op.node.kind}`, {
            domain: 'user',
            hint: 'give the changed step another name (it then starts empty), or start without the savepoint',
          });
        }
        op.inputWatermark = p.inputWatermark;
        op.outputWatermark = p.outputWatermark;
        [op.elementsIn, op.elementsOut, op.droppedLate, op.errors] = p.counters;
        for (const state of p.states) await op.restore(state);
      }
      const orphans = [...byName.values()].filter((p) => p.states.length > 0).map((p) => p.step);
      if (orphans.length > 0 && !this.allowNonRestored) {
        throw new RiffleError('CHECKPOINT_MISMATCH', `the savepoint holds state of step${orphans.length === 1 ? '' : 's'} ${orphans.map((s) => `'${s}'`).join(', ')}, which this pipeline no longer has`, {
          domain: 'user',
          hint: 'rename the step back, or pass --allow-non-restored-state to drop that state',
        });
      }
    }
    this.job = job;
    // The coordinator starts checkpoints once every worker is ready (its operators open and restored).
    this.ctx.reportMetrics({ checkpointReady: 1 });
  }

  beforeBatch(op: SourceOp): Promise<void> | undefined {
    if (!this.held) {
      this.busy.add(op);
      return undefined;
    }
    return this.enterLater(op);
  }

  private async enterLater(op: SourceOp): Promise<void> {
    while (this.held) await this.resumed;
    this.busy.add(op);
  }

  atBoundary(op: SourceOp): Promise<void> | undefined {
    this.leave(op);
    return undefined;
  }

  sourceDone(op: SourceOp): void {
    this.leave(op);
  }

  private leave(op: SourceOp): void {
    this.busy.delete(op);
    if (this.busy.size === 0) {
      const r = this.atRest;
      this.atRest = undefined;
      r?.();
    }
  }

  finalCheckpoint(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.finalDone = resolve;
      this.ctx.reportMetrics({ checkpointFinal: 1 });
    });
  }

  /** One of the coordinator's commands (see the file comment). */
  async command(c: CheckpointCommand): Promise<unknown> {
    switch (c.step) {
      case 'pause': {
        if (!this.held) {
          this.held = true;
          this.resumed = new Promise<void>((r) => (this.resume = r));
        }
        if (this.busy.size > 0) await new Promise<void>((r) => (this.atRest = r));
        return undefined;
      }
      case 'flush': {
        const job = this.job;
        if (job === undefined) return undefined;
        job.beforeBarrier();
        await job.settle();
        return undefined;
      }
      case 'snapshot':
        try {
          return await this.snapshot(c.id);
        } finally {
          if (c.hold !== true) this.release();
        }
      case 'commit': {
        const job = this.job;
        if (job === undefined) return undefined;
        for (const sink of job.sinks) await sink.commitCheckpoint(c.id);
        const positions = this.positions.get(c.id) ?? [];
        this.positions.delete(c.id);
        for (let i = 0; i < job.sources.length; i++) await job.sources[i]!.finalizePosition(positions[i]);
        return undefined;
      }
      case 'final-done': {
        const done = this.finalDone;
        this.finalDone = undefined;
        done?.();
        return undefined;
      }
    }
  }

  /**
   * The sources go on (after a snapshot, or when the job stops). Stopping (`cancelled`), a worker waiting for the final
   * checkpoint goes on too: the coordinator takes none once the job is stopped (e.g. by a savepoint).
   */
  release(cancelled = false): void {
    this.held = false;
    this.resume();
    if (cancelled) {
      const done = this.finalDone;
      this.finalDone = undefined;
      done?.();
    }
  }

  private async snapshot(id: number): Promise<SnapshotReply> {
    const job = this.job;
    if (job === undefined) throw new RiffleError('ENGINE_INVARIANT', `checkpoint ${id}: worker ${this.ctx.index} was asked to snapshot before its operators opened`, { domain: 'internal' });
    const pending = job.ops.find((op) => op.hasPendingWork());
    if (pending !== undefined) throw new RiffleError('ENGINE_INVARIANT', `checkpoint ${id}: step '${pending.name}' still has work in worker ${this.ctx.index} after the job came to rest`, { domain: 'internal' });
    const parts: Uint8Array[] = [];
    for (const op of job.ops) {
      parts.push(
        encodePart({
          step: op.name,
          kind: op.node.kind,
          inputWatermark: op.inputWatermark,
          outputWatermark: op.outputWatermark,
          counters: [op.elementsIn, op.elementsOut, op.droppedLate, op.errors],
          state: (job.sources as readonly unknown[]).includes(op) ? this.sourceState(op as SourceOp) : await op.snapshot(id),
        }),
      );
    }
    this.positions.set(id, job.sources.map((s) => s.position));
    return { parts, steps: job.ops.map((op) => op.name) };
  }

  /** A bounded read's position as splits (see SplitReadPosition); other sources' own position. */
  private sourceState(op: SourceOp): unknown {
    const read = this.splits.readOf(op.node.id);
    if (read === undefined) return op.position;
    const p = op.position;
    const current = p?.kind === 'bounded' && p.from !== undefined ? (p.from as { index: number; from?: unknown; skip: number }) : undefined;
    const state: SplitReadPosition = {
      kind: 'splits',
      desiredBytes: read.desiredBytes,
      count: read.count,
      done: [...read.done],
      ...(current !== undefined ? { current: { index: current.index, ...(current.from !== undefined ? { from: current.from } : {}), skip: current.skip + (p?.kind === 'bounded' ? p.skip : 0) } } : {}),
    };
    return state;
  }
}
