/**
 * A running job's controls (issue 14; Flink's stop-with-savepoint, drain and cancel), given as
 * `LocalRunOptions.control` and used by whoever runs the job: `riffle run` wires SIGUSR1 (stop with a savepoint) and
 * SIGUSR2 (drain) to it; the server can expose the same calls.
 *
 *   const job = new JobControl();
 *   const done = new LocalRunner().run(graph, { workers: 2, control: job, pipelineModule });
 *   await job.savepoint('/data/savepoints/my-job');   // resolves with the savepoint's directory; the run then stops
 *   // or: job.drain() — stop reading, every window fires (the watermark goes to the end), sinks commit, the run ends DONE
 *   // or: job.cancel() — the run stops CANCELLED (its last complete checkpoint is kept)
 *
 * - `drain`: every source stops at its next batch boundary and ends its input (its watermark jumps to the end of
 *   time), so every window and event-time timer fires; the job then finishes as when its input ends (final
 *   checkpoint, sinks commit). Works in one thread and on worker threads.
 * - `savepoint(dir)`: a self-contained checkpoint written into `dir` (a checkpoint directory of its own), with each
 *   operator's state named by its step, and sinks committed with it; then the run stops (as cancelled, nothing after
 *   the savepoint was read). `riffle run --from-savepoint dir` starts from it, also after the pipeline changed. Taken
 *   by the worker-thread coordinator: a job that may take savepoints runs on worker threads (one or more).
 * - `cancel`: as the run's AbortSignal.
 */
import { RiffleError } from '../../model/index.ts';

type Handler = {
  drain?: () => void;
  savepoint?: (dir: string) => Promise<string>;
};

export class JobControl {
  private readonly abort = new AbortController();
  private handler: Handler = {};
  private drainRequested = false;
  private readonly drainListeners = new Set<() => void>();

  /** The cancellation signal (pass it as the run's `signal` too, or rely on `control`: the engine reads both). */
  get signal(): AbortSignal {
    return this.abort.signal;
  }

  /** Whether a drain was asked for. */
  get draining(): boolean {
    return this.drainRequested;
  }

  /** Stop reading, fire every window, commit, end DONE. */
  drain(): void {
    if (this.drainRequested) return;
    this.drainRequested = true;
    this.handler.drain?.();
    for (const l of this.drainListeners) l();
  }

  /** Calls `listener` when a drain is asked for (at once if it was already). */
  onDrain(listener: () => void): void {
    this.drainListeners.add(listener);
    if (this.drainRequested) listener();
  }

  /** Takes a savepoint into `dir` and stops the job; resolves with the savepoint's checkpoint directory. */
  async savepoint(dir: string): Promise<string> {
    const take = this.handler.savepoint;
    if (take === undefined) {
      throw new RiffleError('CONFIG_INVALID', 'this run cannot take a savepoint: it is not running, or it runs in one thread without a pipeline module', {
        domain: 'user',
        hint: 'savepoints are taken by runs of a pipeline module (riffle run <module>); start it with --savepoint-dir DIR',
      });
    }
    return take(dir);
  }

  cancel(reason = 'the job was cancelled'): void {
    this.abort.abort(new Error(reason));
  }

  /** The runner's side: what `drain` and `savepoint` do in this run. */
  attach(handler: Handler): void {
    this.handler = handler;
  }
}
