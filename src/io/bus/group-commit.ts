/**
 * Group commit: callers submit writes and are answered once the write is as durable as the fsync policy says. Writes
 * that arrive while a write or fsync is in progress wait and go together in the next round, so concurrent publishers
 * share one fsync (as databases do with their log).
 *
 * Policies: `always` — each round is written then fsynced (fdatasync) before anyone in it is answered, with no added
 * delay; `interval` — the same, but fsyncs start at most every `intervalMs`, so more writes share each fsync
 * (at the cost of up to `intervalMs` of latency when the disk is idle); `never` — answered after the write reached the operating system (survives the process dying, not the
 * machine).
 */
import * as fs from 'node:fs';

export type FsyncPolicy = 'always' | 'interval' | 'never';

export const FSYNC_POLICIES: readonly FsyncPolicy[] = ['always', 'interval', 'never'];

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
      /** Makes what `write` wrote durable. */
      sync: () => Promise<void>;
    },
  ) {}

  /** Resolves once `item` is written (and fsynced unless the policy is `never`). */
  submit(item: T): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    this.queue.push(item);
    const p = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    if (this.running === undefined) this.running = this.run();
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

  private async run(): Promise<void> {
    try {
      while (this.queue.length > 0) {
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
          if (this.o.policy !== 'never') {
            // The interval counts from the start of an fsync, so the wait overlaps the fsync's own time.
            this.lastSync = Date.now();
            await this.o.sync();
            this.syncs++;
          }
        } catch (e) {
          // A failed write leaves the file in an unknown state: stop here, fail this round and every later one.
          this.failure = e;
          for (const w of waiters) w.reject(e);
          for (const w of this.waiters) w.reject(e);
          this.waiters = [];
          this.queue = [];
          return;
        }
        for (const w of waiters) w.resolve();
      }
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
