/**
 * Group commit: callers submit writes and are answered once the write is as durable as the fsync policy says. Writes
 * that arrive while a write or fsync is in progress wait and go together in the next round, so concurrent publishers
 * share one fsync (as databases do with their log).
 *
 * Policies: `always` — each round is written then fsynced (fdatasync) before anyone in it is answered, with no added
 * delay; `interval` — the same, but fsyncs start at most every `intervalMs`, so more writes share each fsync
 * (at the cost of up to `intervalMs` of latency when the disk is idle); `never` — answered after the write reached the operating system (survives the process dying, not the
 * machine).
 *
 * With `overlap` (topic logs under `interval`), the next round is written while the previous round's fsync is still
 * running, and its own fsync starts once its write is done (still at most one start every `intervalMs`): a write
 * that arrives during a slow fsync waits for one fsync, not for the rest of that one and then its own. Rounds are
 * still answered in order (`onDurable`, then the waiters), each only once its own fsync and every earlier round's
 * are done; an fsync that fails fails its round and every later one.
 */
import * as fs from 'node:fs';

export type FsyncPolicy = 'always' | 'interval' | 'never';

export const FSYNC_POLICIES: readonly FsyncPolicy[] = ['always', 'interval', 'never'];

/** With `overlap`: how many rounds' fsyncs may run at once. */
const MAX_SYNCS_IN_FLIGHT = 2;

interface Waiter {
  resolve: () => void;
  reject: (e: unknown) => void;
}

/** Batches submitted items into write rounds followed by one fsync each (per the policy). */
export class GroupCommitter<T> {
  private queue: T[] = [];
  private waiters: Waiter[] = [];
  private running: Promise<void> | undefined;
  private lastSync = 0;
  private failure: unknown;
  /** fsync calls made (for tests and stats). */
  syncs = 0;

  constructor(
    private readonly o: {
      policy: FsyncPolicy;
      intervalMs: number;
      /** Writes the items of one round, in order. */
      write: (items: T[]) => Promise<void>;
      /** Makes what `write` wrote of `items` (and everything before) durable. */
      sync: (items: T[]) => Promise<void>;
      /** Runs once `items` are durable, in round order, before their submitters are answered. */
      onDurable?: (items: T[]) => void;
      /** Writes the next round while the previous round's fsync runs (see the module comment). */
      overlap?: boolean;
    },
  ) {}
  /** Wakes a run waiting for its rounds in flight when a new item arrives. */
  private kick: (() => void) | undefined;

  /** Resolves once `item` is written (and fsynced unless the policy is `never`). */
  submit(item: T): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    this.queue.push(item);
    const p = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    if (this.running === undefined) this.running = this.run();
    else if (this.kick !== undefined) {
      const k = this.kick;
      this.kick = undefined;
      k();
    }
    return p;
  }

  /** Resolves when everything submitted so far is answered. */
  async drain(): Promise<void> {
    while (this.running !== undefined) await this.running;
  }

  /** The error that stopped the writer (every later submit fails with it), if any. */
  get failed(): unknown {
    return this.failure;
  }

  /** Fails `waiters`, and every round after (queued or submitted later), with `e`. */
  private fail(e: unknown, waiters: Waiter[]): void {
    this.failure ??= e;
    for (const w of waiters) w.reject(this.failure);
    for (const w of this.waiters) w.reject(this.failure);
    this.waiters = [];
    this.queue = [];
  }

  /** Answers a durable round: `onDurable`, then its waiters; a throwing `onDurable` fails it (and what follows). */
  private answer(items: T[], waiters: Waiter[]): boolean {
    try {
      this.o.onDurable?.(items);
    } catch (e) {
      this.fail(e, waiters);
      return false;
    }
    for (const w of waiters) w.resolve();
    return true;
  }

  private async run(): Promise<void> {
    // The last round in flight (overlap): resolves (never rejects) once it is answered, to whether it and every
    // round before it succeeded.
    let previous: Promise<boolean> = Promise.resolve(true);
    let inFlight = 0;
    // The rounds whose fsync may still run, oldest first (they finish in order).
    const flights: Array<Promise<boolean>> = [];
    try {
      for (;;) {
        if (this.failure !== undefined) {
          this.fail(this.failure, []);
          break;
        }
        if (this.queue.length === 0) {
          if (inFlight === 0) break;
          // Wait for the rounds in flight, or for a new item to write meanwhile.
          await new Promise<void>((resolve) => {
            this.kick = resolve;
            void previous.then(() => resolve());
          });
          this.kick = undefined;
          continue;
        }
        // At most MAX_SYNCS_IN_FLIGHT fsyncs at a time: each holds a thread of libuv's pool (4 by default), which the
        // writes and the subscriptions' reads need too.
        while (flights.length >= MAX_SYNCS_IN_FLIGHT) {
          await flights[0];
          flights.shift();
        }
        if (this.o.policy === 'interval') {
          const wait = this.lastSync + this.o.intervalMs - Date.now();
          if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        }
        const items = this.queue;
        const waiters = this.waiters;
        this.queue = [];
        this.waiters = [];
        try {
          await this.o.write(items);
        } catch (e) {
          // A failed write leaves the file in an unknown state: stop here, fail this round and every later one.
          this.fail(e, waiters);
          break;
        }
        if (this.o.policy === 'never') {
          if (!this.answer(items, waiters)) break;
          continue;
        }
        // The interval counts from the start of an fsync, so the wait overlaps the fsync's own time.
        this.lastSync = Date.now();
        const synced = this.o.sync(items);
        if (!this.o.overlap) {
          try {
            await synced;
          } catch (e) {
            this.fail(e, waiters);
            break;
          }
          this.syncs++;
          if (!this.answer(items, waiters)) break;
          continue;
        }
        inFlight++;
        const before = previous;
        previous = (async () => {
          let error: unknown;
          try {
            await synced;
          } catch (e) {
            error = e;
          }
          const earlierOk = await before;
          inFlight--;
          if (error === undefined && earlierOk) {
            this.syncs++;
            return this.answer(items, waiters);
          }
          // A failed fsync (this round's, or an earlier one's: then this one is not known durable either).
          this.fail(error ?? this.failure, waiters);
          return false;
        })();
        flights.push(previous);
      }
      await previous;
    } finally {
      this.running = undefined;
    }
  }
}

/** Writes all of `buffers` at the end of `fd` (opened for append), looping over partial writes. */
export async function writevAll(fd: number, buffers: Uint8Array[]): Promise<number> {
  let total = 0;
  let bufs = buffers.filter((b) => b.length > 0);
  while (bufs.length > 0) {
    const n = await new Promise<number>((res, rej) => fs.writev(fd, bufs.slice(0, 1024), (e, w) => (e ? rej(e) : res(w))));
    total += n;
    let left = n;
    const rest: Uint8Array[] = [];
    for (const b of bufs) {
      if (left >= b.length) left -= b.length;
      else {
        rest.push(left > 0 ? b.subarray(left) : b);
        left = 0;
      }
    }
    bufs = rest;
  }
  return total;
}

/** fdatasync as a promise. */
export function fdatasync(fd: number): Promise<void> {
  return new Promise((res, rej) => fs.fdatasync(fd, (e) => (e ? rej(e) : res())));
}

/** Reads `length` bytes at `position` (fewer at end of file). */
export async function readAt(fd: number, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(length);
  let got = 0;
  while (got < length) {
    const n = await new Promise<number>((res, rej) => fs.read(fd, buf, got, length - got, position + got, (e, r) => (e ? rej(e) : res(r))));
    if (n === 0) break;
    got += n;
  }
  return got === length ? buf : buf.subarray(0, got);
}

/** Closes a descriptor as a promise. */
export function closeFd(fd: number): Promise<void> {
  return new Promise((res, rej) => fs.close(fd, (e) => (e ? rej(e) : res())));
}
