import type { BoundedWindow, Instant, PaneInfo, SourceBacklog } from '../../model/index.ts';
import { Operator } from './operator.ts';

/**
 * Where a source's read stands (issue 14): plain data stored with a checkpoint, from which a resumed run reads on.
 * - `bounded`: `readFrom(from)` (or `read()` from the start when `from` is undefined), dropping the first `skip`
 *   elements — sources that give each batch a position resume exactly there (`skip` 0); others are read again from
 *   their last known position and the elements already pushed are dropped (their order must be deterministic).
 * - `unbounded`: the reader's `position()` after the last pushed batch, and its watermark then.
 * - `testStream`: the next event of the script, and the virtual clock's time.
 * - `ended`: the source was done (its end of input went out before the checkpoint). A parallel unbounded read's
 *   reader (`UnboundedSource.parallel`) keeps its `last` position: a restore at another number of workers merges it
 *   with the other readers' (`mergePositions`), so its share is not read again by the reader that takes it over.
 */
export type SourcePosition =
  | { readonly kind: 'bounded'; readonly from?: unknown; readonly skip: number }
  | { readonly kind: 'unbounded'; readonly position: unknown; readonly watermark: Instant }
  | { readonly kind: 'testStream'; readonly next: number; readonly clock: Instant }
  | { readonly kind: 'ended'; readonly last?: unknown };

/** A source step (read or TestStream): the engine pushes what the source yields and sets its watermark. */
export class SourceOp extends Operator {
  /** Where the read stands after what it pushed (set by the source driver between batches). */
  position: SourcePosition | undefined;
  /** Where a resumed run starts reading (restored from a checkpoint). */
  resumeFrom: SourcePosition | undefined;
  /** Acknowledges a completed checkpoint's position upstream (an unbounded reader's `finalizeCheckpoint`). */
  finalize: ((position: unknown) => Promise<void>) | undefined;
  /** What the read has left, when its source or reader tells (`backlog()`; asked on the step metrics timer). */
  backlog: (() => SourceBacklog | undefined) | undefined;
  /** An unbounded reader reported itself idle (`UnboundedReader.idle`): its stage tells its channels so. */
  idle = false;
  /**
   * Closes an unbounded reader that ended in a checkpointed run: it stays open until a checkpoint holding its end
   * completed and acknowledged its last position (`finalizePosition`), or until the job closes.
   */
  release: (() => Promise<void>) | undefined;
  #endFinalized = false;

  /**
   * A checkpoint holding `position` completed: the reader acknowledges it upstream — an unbounded read's position,
   * or the last position of a read that ended (once: the checkpoints after it hold the same end).
   */
  async finalizePosition(position: SourcePosition | undefined): Promise<void> {
    if (this.finalize === undefined || position === undefined) return;
    if (position.kind === 'unbounded') return this.finalize(position.position);
    if (position.kind !== 'ended' || position.last === undefined || this.#endFinalized) return;
    this.#endFinalized = true;
    await this.finalize(position.last);
    await this.closeReader();
  }

  override async close(): Promise<void> {
    await this.closeReader();
  }

  private async closeReader(): Promise<void> {
    const release = this.release;
    this.release = undefined;
    await release?.();
  }

  process(_v: unknown, _ts: Instant, _w: readonly BoundedWindow[], _p: PaneInfo): void {
    throw new Error(`source step '${this.name}' has no input`);
  }
  /** The receiver of the main output (the first step of the fused stage). */
  get head() {
    return this.main;
  }
  get errorOutput() {
    return this.outputs.get('errors');
  }

  /** The read's position (undefined: it has not started, so a resumed run starts it from the beginning). */
  override async snapshot(_checkpointId: number): Promise<unknown> {
    return this.position;
  }

  override async restore(snapshot: unknown): Promise<void> {
    this.resumeFrom = snapshot as SourcePosition | undefined;
    this.position = this.resumeFrom;
  }
}
