/**
 * The bus's clock: every deadline, backoff, retention and publish time goes through one, so that tests run them on a
 * virtual clock (`VirtualClock.advance`) instead of waiting. Disk batching (the fsync interval) uses real time: it is
 * about the disk, not about message semantics.
 * @example
 *   const clock = new VirtualClock(Date.parse('2026-01-01T00:00:00Z'));
 *   const bus = await openBus({ dir, clock });
 *   await clock.advance('11s'); // ack deadlines of 10 s have now expired
 */
import { parseDuration, type DurationLike, type Instant } from '../../model/index.ts';

/** A cancellable timer handle. */
export interface ClockTimer {
  cancel(): void;
}

/** Time and timers. */
export interface Clock {
  now(): Instant;
  /**
   * Calls `fn` once `ms` have passed on this clock. The timer does not keep the process alive unless `keepAlive` is
   * set — as it must be for work owed to a caller (a publish waiting in a batch would otherwise be dropped when the
   * process has nothing else to do).
   */
  setTimer(fn: () => void, ms: number, opts?: { keepAlive?: boolean }): ClockTimer;
}

/** The machine's clock. Timers do not keep the process alive (the bus is a library, not a server). */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(fn, ms, opts) {
    const t = setTimeout(fn, Math.max(0, ms));
    if (opts?.keepAlive !== true) t.unref();
    return { cancel: () => clearTimeout(t) };
  },
};

/** Resolves after `ms` on `clock`. */
export function sleepOn(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = clock.setTimer(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      t.cancel();
      resolve();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

interface VirtualTimer {
  at: Instant;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

/** A clock that moves only when told: `advance` fires due timers in time order, letting promises settle between them. */
export class VirtualClock implements Clock {
  private t: Instant;
  private seq = 0;
  private timers: VirtualTimer[] = [];

  constructor(start: Instant = Date.parse('2026-01-01T00:00:00.000Z')) {
    this.t = start;
  }

  now(): Instant {
    return this.t;
  }

  setTimer(fn: () => void, ms: number): ClockTimer {
    const timer: VirtualTimer = { at: this.t + Math.max(0, ms), seq: this.seq++, fn, cancelled: false };
    this.timers.push(timer);
    return { cancel: () => void (timer.cancelled = true) };
  }

  /** Timers not yet fired nor cancelled. */
  pendingTimers(): number {
    return this.timers.filter((t) => !t.cancelled).length;
  }

  /** Moves time forward by `by`, firing every timer that falls due (in order) and letting async work run after each. */
  async advance(by: DurationLike): Promise<void> {
    const target = this.t + parseDuration(by, 'advance');
    await settle();
    for (;;) {
      this.timers = this.timers.filter((x) => !x.cancelled);
      let next: VirtualTimer | undefined;
      for (const x of this.timers) if (x.at <= target && (next === undefined || x.at < next.at || (x.at === next.at && x.seq < next.seq))) next = x;
      if (next === undefined) break;
      this.timers.splice(this.timers.indexOf(next), 1);
      this.t = Math.max(this.t, next.at);
      next.fn();
      await settle();
    }
    this.t = target;
    await settle();
  }
}

/** Lets pending promise chains and I/O callbacks run (a few macrotask turns). */
async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise<void>((r) => setImmediate(r));
}
