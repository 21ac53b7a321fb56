import { MAX_TIMESTAMP, NO_FIRING, RiffleError, StepFailedError, type BoundedWindow, type Instant, type NodeInfo, type PaneInfo, type SinkOutput, type SinkSpec, type SinkWriter } from '../../model/index.ts';
import { Operator } from './operator.ts';

/**
 * The sink primitive at run time: elements are handed to the writer synchronously (it buffers), each bundle's end
 * starts the writer's asynchronous flush, and the engine awaits it (`pendingIo`) before pushing more input — the
 * bundle loop never blocks on I/O and at most one flush per sink is in flight. What a flush reports is emitted on the
 * sink's output as pending work (`drain`), and the output watermark waits for it. `finish` commits at the end of the
 * input; `close` aborts a writer that did not commit (failure, cancellation).
 */
export class SinkOp extends Operator {
  private writer: SinkWriter<unknown, unknown> | undefined;
  private inFlight: Promise<void> | undefined;
  private failure: unknown;
  private committed = false;
  private inputEnded = false;
  /** Outputs of completed flushes, not emitted yet. */
  private completed: SinkOutput<unknown>[] = [];

  constructor(
    node: NodeInfo,
    private readonly spec: SinkSpec,
    private readonly signal: AbortSignal,
    /** This writer's worker and the job's number of workers (SinkContext). */
    private readonly worker = 0,
    private readonly workers = 1,
  ) {
    super(node);
  }

  override async open(): Promise<void> {
    this.writer = await this.spec.sink.open({ step: this.name, worker: this.worker, workers: this.workers, signal: this.signal });
  }

  process(value: unknown, timestamp: Instant, windows: readonly BoundedWindow[], pane: PaneInfo): void {
    this.elementsIn++;
    if (!this.inBundle) this.enterBundle();
    const w = this.writer!;
    try {
      for (let i = 0; i < windows.length; i++) w.write(value, timestamp, windows[i]!, pane);
    } catch (e) {
      this.errors++;
      throw e instanceof RiffleError ? e : new StepFailedError(this.name, value, e);
    }
  }

  override finishBundle(): void {
    this.track(this.writer!.flush());
  }

  /** The input ended: the writer's `endOfInput` (if any) writes the rest, its outputs go out before the watermark ends. */
  override onWatermark(watermark: Instant): void {
    super.onWatermark(watermark);
    if (watermark < MAX_TIMESTAMP || this.inputEnded || this.writer === undefined) return;
    this.inputEnded = true;
    // The stage finished its bundles before moving the watermark: the last flush is already in flight, this follows.
    this.track(this.writer.endOfInput?.());
  }

  /** Chains an asynchronous write after the ones in flight; its outputs are emitted by `drain`. */
  private track(flushed: Promise<readonly SinkOutput<unknown>[] | void> | undefined): void {
    if (flushed === undefined) return;
    const previous = this.inFlight;
    const next = (previous ? previous.then(() => flushed) : flushed).then(
      (outputs) => {
        if (outputs) for (const o of outputs) this.completed.push(o);
      },
      (e: unknown) => {
        this.failure ??= e;
      },
    );
    this.inFlight = next;
    void next.then(() => {
      if (this.inFlight === next) this.inFlight = undefined;
    });
  }

  override pendingIo(): Promise<void> | undefined {
    if (this.failure !== undefined) return Promise.reject(this.wrap(this.failure));
    const p = this.inFlight;
    return p === undefined ? undefined : p.then(() => (this.failure !== undefined ? Promise.reject(this.wrap(this.failure)) : undefined));
  }

  override hasPendingWork(): boolean {
    return this.completed.length > 0;
  }

  override drain(_deadline: number): boolean {
    const outputs = this.completed;
    this.completed = [];
    for (const o of outputs) {
      this.elementsOut++;
      this.main.process(o.value, o.timestamp, [o.window], NO_FIRING);
    }
    return false;
  }

  override holdWatermark(): Instant {
    // What a flush in flight will report is not out yet.
    return this.inFlight !== undefined || this.completed.length > 0 ? -Infinity : Infinity;
  }

  /** What `prepareCommit` returned for each checkpoint not completed yet (issue 14). */
  private readonly prepared = new Map<number, unknown>();

  /** Whether the writer takes part in checkpoints (two-phase commit); without, the sink is at-least-once on restart. */
  get twoPhase(): boolean {
    return this.writer?.prepareCommit !== undefined && this.writer.commit !== undefined;
  }

  /**
   * A checkpoint reached the sink (at rest, its writes done): the writer makes them durable, not visible
   * (`prepareCommit`); what it returns is stored with the checkpoint, and committed once the checkpoint completed.
   */
  override async snapshot(checkpointId: number): Promise<unknown> {
    await this.pendingIo();
    const w = this.writer!;
    if (w.prepareCommit === undefined || w.commit === undefined) return undefined;
    let prepared: unknown;
    try {
      prepared = await w.prepareCommit(checkpointId);
    } catch (e) {
      throw this.wrap(e);
    }
    this.prepared.set(checkpointId, prepared);
    return { prepared };
  }

  /** Checkpoint `checkpointId` completed: publish what it prepared. */
  async commitCheckpoint(checkpointId: number): Promise<void> {
    if (!this.prepared.has(checkpointId)) return;
    const prepared = this.prepared.get(checkpointId);
    this.prepared.delete(checkpointId);
    try {
      await this.writer!.commit!(prepared);
    } catch (e) {
      throw this.wrap(e);
    }
  }

  /**
   * A resumed run: the restored checkpoint's commit runs again (commits are idempotent), in case the process died
   * after the checkpoint completed and before its commit was done.
   */
  override async restore(snapshot: unknown): Promise<void> {
    const s = snapshot as { prepared?: unknown } | undefined;
    if (s === undefined || !('prepared' in s) || this.writer?.commit === undefined) return;
    try {
      await this.writer.commit(s.prepared);
    } catch (e) {
      throw this.wrap(e);
    }
  }

  override async finish(): Promise<void> {
    await this.pendingIo();
    try {
      await this.writer!.finish();
    } catch (e) {
      throw this.wrap(e);
    }
    this.committed = true;
  }

  override async close(): Promise<void> {
    if (this.writer === undefined || this.committed) return;
    await this.inFlight;
    await this.writer.abort(this.failure ?? new Error('the job did not complete'));
  }

  private wrap(e: unknown): unknown {
    return e instanceof RiffleError ? e : new StepFailedError(`${this.name} (${this.spec.sink.describe()})`, null, e);
  }
}
