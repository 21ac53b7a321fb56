import {
  GLOBAL_WINDOWS,
  MAX_TIMESTAMP,
  MIN_TIMESTAMP,
  NO_FIRING,
  RiffleError,
  type BoundedSource,
  type ErrorRecord,
  type SourceBatch,
  type TestStreamSpec,
  type UnboundedSource,
} from '../../model/index.ts';
import type { VirtualClock } from './clock.ts';
import type { SourceOp } from './source-op.ts';
import type { TestStreamFeed } from './worker-share.ts';

/** Longest stretch of synchronous work between two checks for cancellation (and progress reports), in ms. */
export const SLICE_MS = 20;

/** What a source driver needs from the engine's loop. */
export interface EngineLoop {
  readonly signal: AbortSignal;
  /** Waits while the job is not at rest (another task's drain): elements enter only a job at rest. */
  idle(): Promise<void>;
  /** Brings the job to rest after an input event (watermarks, timers, pending work, sinks' I/O). */
  settleAsync(): Promise<void>;
  /** Lets the event loop run now and then (timers, signals, I/O callbacks). */
  yieldNow(): Promise<void>;
  /** Lets the event loop run right now (between two slices of one batch). */
  yieldSlice(): Promise<void>;
  reportProgress(): void;
  /** Counts elements read from a source (for progress; internal impulses are not inputs). */
  countRead(op: SourceOp, n: number): void;
  sourceDone(op: SourceOp): void;
  /**
   * Checkpoints (issue 14): the source stands between two batches with its `position` up to date, everything it
   * pushed at rest. Undefined when no checkpoint waits for it; else resolves once the checkpoint was taken.
   */
  atBoundary?(op: SourceOp): Promise<void> | undefined;
  /** Checkpoints: the source is about to push a batch; it waits while a checkpoint is requested or being taken. */
  beforeBatch?(op: SourceOp): Promise<void> | undefined;
  /** The run takes checkpoints (unbounded readers then acknowledge upstream only in `finalizeCheckpoint`). */
  readonly checkpointing?: boolean;
  /** A drain was asked for (job-control.ts): every source ends its input at its next batch boundary. */
  drainRequested?(): boolean;
}

/**
 * Drives the sources of a job into their stages: bounded sources batch by batch, unbounded ones by polling (their
 * watermark after each poll), a TestStream event by event on the virtual clock. Each batch is one bundle, pushed in
 * slices of about SLICE_MS between which the event loop runs; the job is brought to rest after each batch.
 * A source's end of input is its watermark reaching +∞: its stage sends it on, in-band, through its channels.
 */
export class SourceDriver {
  constructor(private readonly loop: EngineLoop) {}

  run(op: SourceOp, source: BoundedSource<unknown> | UnboundedSource<unknown>): Promise<void> {
    return source.kind === 'bounded' ? this.runRead(op, source) : this.runUnbounded(op, source);
  }

  /**
   * Reads a bounded source batch by batch. Its position (SourcePosition 'bounded') follows: the position of the last
   * batch that carried one (`readFrom` sources), and the elements pushed since. A resumed read (`op.resumeFrom`)
   * starts there: `readFrom(from)`, or `read()` when the source gives no positions, dropping the `skip` elements
   * already pushed (counted in elements, not batches: a file reader's batches need not split the same way twice).
   */
  async runRead(op: SourceOp, source: BoundedSource<unknown>): Promise<void> {
    const { signal } = this.loop;
    const resume = op.resumeFrom;
    if (resume?.kind === 'ended') return this.endRead(op);
    let from = resume?.kind === 'bounded' ? resume.from : undefined;
    let skip = resume?.kind === 'bounded' ? resume.skip : 0;
    let drop = skip;
    const positional = typeof source.readFrom === 'function';
    if (from !== undefined && !positional) {
      throw new RiffleError('CHECKPOINT_INVALID', `the checkpoint holds a position of source '${op.name}', which reads no positions (${source.describe()})`, {
        domain: 'user',
        hint: 'the pipeline changed its source since the checkpoint; run without --resume',
      });
    }
    const batches = from !== undefined ? source.readFrom!(from, signal) : source.read(signal);
    if (typeof source.backlog === 'function') op.backlog = () => source.backlog!();
    op.position = { kind: 'bounded', ...(from !== undefined ? { from } : {}), skip };
    for await (const read of batches) {
      if (signal.aborted) return;
      let batch = read;
      if (drop > 0) {
        const n = batch.values.length;
        if (n <= drop) {
          drop -= n;
          continue;
        }
        // Part of it was pushed before the checkpoint: the rest goes on (with the batch's error records).
        batch = { ...batch, values: batch.values.slice(drop), ...(batch.timestamps ? { timestamps: batch.timestamps.slice(drop) } : {}) };
        drop = 0;
      }
      if (!(await this.pushInSlices(op, batch))) return;
      if (positional && batch.position !== undefined) {
        from = batch.position;
        skip = 0;
      } else skip += batch.values.length;
      op.position = { kind: 'bounded', ...(from !== undefined ? { from } : {}), skip };
      const paused = this.loop.atBoundary?.(op);
      if (paused !== undefined) await paused;
      // Drained: the input ends here (the watermark goes to the end of time, so every window fires).
      if (this.loop.drainRequested?.() === true) break;
    }
    if (signal.aborted) return;
    await this.endRead(op);
  }

  /** A read is done: its end of input (+∞) goes out, in-band. */
  private async endRead(op: SourceOp): Promise<void> {
    await this.loop.idle();
    op.position = { kind: 'ended' };
    this.loop.sourceDone(op);
    op.outputWatermark = MAX_TIMESTAMP;
    await this.loop.settleAsync();
  }

  async runUnbounded(op: SourceOp, source: UnboundedSource<unknown>, pollMs = 100): Promise<void> {
    const { signal } = this.loop;
    const resume = op.resumeFrom;
    if (resume?.kind === 'ended') return this.endRead(op);
    const reader = await source.open(resume?.kind === 'unbounded' ? resume.position : undefined, signal, {
      worker: 0,
      workers: 1,
      checkpoints: this.loop.checkpointing === true,
    });
    if (reader.finalizeCheckpoint !== undefined) op.finalize = (p) => reader.finalizeCheckpoint!(p);
    if (typeof reader.backlog === 'function') op.backlog = () => reader.backlog!();
    op.position = { kind: 'unbounded', position: reader.position(), watermark: op.outputWatermark };
    let ended = false;
    try {
      while (!signal.aborted) {
        const batch = await reader.next(pollMs);
        if (signal.aborted) return;
        if (batch && op.idle) {
          // Active again: the channels hear it before the batch's elements.
          op.idle = false;
          await this.loop.settleAsync();
        }
        if (batch && !(await this.pushInSlices(op, batch))) return;
        await this.loop.idle();
        const wm = reader.watermark();
        if (wm > op.outputWatermark) op.outputWatermark = wm;
        if (!batch && reader.idle !== undefined) op.idle = reader.idle();
        await this.loop.settleAsync();
        await this.loop.yieldNow();
        if (wm >= MAX_TIMESTAMP) break;
        op.position = { kind: 'unbounded', position: reader.position(), watermark: op.outputWatermark };
        const paused = this.loop.atBoundary?.(op);
        if (paused !== undefined) await paused;
        // Drained: the input ends here (the watermark goes to the end of time, so every window fires).
        if (this.loop.drainRequested?.() === true) {
          op.outputWatermark = MAX_TIMESTAMP;
          break;
        }
      }
      if (!signal.aborted) {
        // The last position stays with the end: a parallel read's is merged on restore at another number of workers,
        // and the checkpoint that holds the end acknowledges it upstream (op.finalizePosition).
        op.position = { kind: 'ended', last: reader.position() };
        ended = true;
        this.loop.sourceDone(op);
      }
    } finally {
      // A reader that ended in a checkpointed run stays open until the checkpoint holding its end acknowledged its
      // last position (the final checkpoint at the latest), else the job's close closes it.
      if (ended && op.finalize !== undefined && this.loop.checkpointing === true) op.release = () => reader.close();
      else await reader.close();
    }
  }

  /**
   * Plays a TestStream's script: each event, then the job brought to rest. On workers (`feed`), the coordinator says
   * which event comes next, once the whole job is at rest: every worker advances its watermark and its clock; only
   * the worker told to read an event's elements pushes them. `onEventDone(i)` is called when event i's effects are
   * complete: after its settle in one worker; on workers, when the coordinator says so (`done`: event i at rest in
   * every worker), in every worker before any of them plays event i+1.
   */
  async runTestStream(op: SourceOp, spec: TestStreamSpec, clock: VirtualClock, feed?: TestStreamFeed): Promise<void> {
    const { signal } = this.loop;
    if (feed === undefined) {
      // A resumed script (checkpoints) goes on at its next event, on the clock it had then.
      const resume = op.resumeFrom;
      const first = resume?.kind === 'testStream' ? resume.next : resume?.kind === 'ended' ? spec.events.length : 0;
      if (resume?.kind === 'testStream' && resume.clock > clock.now()) clock.advance(resume.clock - clock.now());
      for (let i = first; i < spec.events.length; i++) {
        if (signal.aborted) return;
        const gate = this.loop.beforeBatch?.(op);
        if (gate !== undefined) await gate;
        this.playEvent(op, spec.events[i]!, clock, true);
        await this.loop.settleAsync();
        spec.onEventDone?.(i);
        op.position = { kind: 'testStream', next: i + 1, clock: clock.now() };
        const paused = this.loop.atBoundary?.(op);
        if (paused !== undefined) await paused;
      }
    } else {
      for (let step = await feed.next(); step !== undefined; step = await feed.next()) {
        if (signal.aborted) return;
        if (step.kind === 'done') spec.onEventDone?.(step.index);
        else {
          this.playEvent(op, spec.events[step.index]!, clock, step.read);
          await this.loop.settleAsync();
        }
        feed.played(step.index);
      }
    }
    if (signal.aborted) return;
    op.outputWatermark = MAX_TIMESTAMP;
    op.position = { kind: 'ended' };
    this.loop.sourceDone(op);
    await this.loop.settleAsync();
  }

  /** One TestStream event: its elements into the stage (when `read`), or its watermark, or its clock advance. */
  private playEvent(op: SourceOp, ev: TestStreamSpec['events'][number], clock: VirtualClock, read: boolean): void {
    if (ev.kind === 'elements') {
      if (!read) return;
      const head = op.head;
      for (const e of ev.elements) {
        op.elementsOut++;
        head.process(e.value, e.timestamp, GLOBAL_WINDOWS, NO_FIRING);
      }
      this.loop.countRead(op, ev.elements.length);
    } else if (ev.kind === 'watermark') {
      if (ev.watermark > op.outputWatermark) op.outputWatermark = ev.watermark;
    } else {
      clock.advance(ev.advanceBy);
    }
  }

  /**
   * Pushes a whole batch as one bundle, in slices of about SLICE_MS between which the event loop runs (Ctrl-C,
   * progress) and a cancelled job stops; then brings the job to rest. The bundle stays open across slices, so a
   * batch still makes one bundle (e.g. one file per bundle for a sink) however slow its steps are.
   * Returns false once the job is stopped.
   */
  private async pushInSlices(op: SourceOp, batch: SourceBatch<unknown>): Promise<boolean> {
    const { signal } = this.loop;
    const n = batch.values.length;
    let from = 0;
    const gate = this.loop.beforeBatch?.(op);
    if (gate !== undefined) await gate;
    for (;;) {
      await this.loop.idle();
      if (signal.aborted) return false;
      from = this.push(op, batch, MIN_TIMESTAMP, from, Date.now() + SLICE_MS);
      if (from >= n) break;
      this.loop.reportProgress();
      await this.loop.yieldSlice();
    }
    // A source's event-time progress (SourceBatch.watermark): it moves forward only, and +∞ stays the end of input.
    const wm = batch.watermark;
    if (wm !== undefined && wm > op.outputWatermark && wm < MAX_TIMESTAMP) op.outputWatermark = wm;
    await this.loop.settleAsync();
    await this.loop.yieldNow();
    this.loop.reportProgress();
    return !signal.aborted;
  }

  /**
   * Pushes a batch through the source's stage from element `from` until its end or until `Date.now()` passes
   * `deadline` (checked every 64 elements), and returns where it stopped. The batch's error records go with its
   * first part.
   */
  private push(op: SourceOp, batch: SourceBatch<unknown>, defaultTs: number, from: number, deadline: number): number {
    const head = op.head;
    const { values, timestamps } = batch;
    const n = values.length;
    let i = from;
    if (timestamps) {
      for (; i < n; i++) {
        head.process(values[i], timestamps[i]!, GLOBAL_WINDOWS, NO_FIRING);
        if ((i & 63) === 63 && Date.now() >= deadline) {
          i++;
          break;
        }
      }
    } else {
      for (; i < n; i++) {
        head.process(values[i], defaultTs, GLOBAL_WINDOWS, NO_FIRING);
        if ((i & 63) === 63 && Date.now() >= deadline) {
          i++;
          break;
        }
      }
    }
    op.elementsOut += i - from;
    this.loop.countRead(op, i - from);
    if (from === 0 && batch.errors && batch.errors.length > 0) {
      const errors = op.errorOutput;
      op.errors += batch.errors.length;
      // Error records name the step users gave the read; the source's own description moves to the origin.
      for (const e of batch.errors) {
        const record: ErrorRecord = { ...e, step: op.name, origin: { source: e.step, ...e.origin } };
        errors?.process(record, defaultTs, GLOBAL_WINDOWS, NO_FIRING);
      }
    }
    return i;
  }
}
