/**
 * What the spillable buffers (GroupingBuffer, CombiningBuffer) share: their options, the spill directory (created on
 * the first spill), the runs written, the budget's accounting, the fan-in limit of their merges, and cleanup.
 */
import { RiffleError } from '../../model/index.ts';
import type { MemoryBudget } from './memory-budget.ts';
import { type Run, RunWriter } from './run-file.ts';
import { RunMerger } from './run-merge.ts';
import { SpillDirectory } from './spill-directory.ts';

/** Heap bytes a key held as a string in a Map costs beyond its characters (Map entry, string header). */
export const KEY_OVERHEAD = 96;

export interface SpillOptions {
  /** The budget this buffer reserves its bytes from. */
  budget: MemoryBudget;
  /** Where runs go: a SpillDirectory, a parent directory for a fresh one, or undefined for the OS temp directory. */
  spillDir?: SpillDirectory | string;
  /** At most this many runs are merged at once (default 64); more are first merged into bigger runs. */
  maxFanIn?: number;
}

/** Latin1 string of bytes: one character per byte, so string order is byte order. */
export function latin1(bytes: Uint8Array): string {
  if (bytes.length < 24) {
    let s = '';
    for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]!);
    return s;
  }
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1', 0, bytes.length);
}

/** The bytes of a latin1 key string. */
export function latin1Bytes(key: string): Buffer {
  return Buffer.from(key, 'latin1');
}

/** Shared spill plumbing: the directory (created on first spill), the runs written, the budget's accounting. */
export abstract class SpillingBuffer {
  protected readonly runs: Run[] = [];
  private dir: SpillDirectory | undefined;
  private readonly ownsDir: boolean;
  protected reserved = 0;
  protected closed = false;
  protected readonly maxFanIn: number;

  constructor(protected readonly opts: SpillOptions) {
    this.ownsDir = !(opts.spillDir instanceof SpillDirectory);
    if (opts.spillDir instanceof SpillDirectory) this.dir = opts.spillDir;
    this.maxFanIn = Math.max(2, opts.maxFanIn ?? 64);
  }

  protected directory(): SpillDirectory {
    if (this.dir === undefined) this.dir = SpillDirectory.create(typeof this.opts.spillDir === 'string' ? this.opts.spillDir : undefined);
    return this.dir;
  }

  /** An asynchronous flush is writing what the buffer holds (see `flushing`). */
  private flushingNow = false;

  /**
   * Runs an asynchronous flush: the buffer's contents must not change until it ends — the engine lets no input in while
   * a state flush is in flight (LocalEngine.stateIo) — and an add meanwhile fails loudly instead of being lost with the
   * contents the flush then clears.
   */
  protected async flushing(write: () => Promise<void>): Promise<void> {
    if (this.flushingNow) throw new RiffleError('ENGINE_INVARIANT', `${this.constructor.name}: a flush began while another was in flight`, { domain: 'internal' });
    this.flushingNow = true;
    try {
      await write();
    } finally {
      this.flushingNow = false;
    }
  }

  /** Throws when input comes while an asynchronous flush is in flight (see `flushing`). */
  protected checkNotFlushing(): void {
    if (this.flushingNow) throw new RiffleError('ENGINE_INVARIANT', `${this.constructor.name}: input came while a flush was writing its contents`, { domain: 'internal' });
  }

  protected account(bytes: number): void {
    this.reserved += bytes;
    this.opts.budget.reserve(bytes);
  }

  protected releaseAll(): void {
    this.opts.budget.release(this.reserved);
    this.reserved = 0;
  }

  /** Bytes this buffer holds on the heap (estimated). */
  get bytesInMemory(): number {
    return this.reserved;
  }

  /** Runs on disk now. */
  get runCount(): number {
    return this.runs.length;
  }

  /**
   * Whether the buffer is past its budget (or an ancestor budget is past its own) and should be flushed at the next
   * bundle boundary. A buffer holding less than a quarter of its limit (at most 1 MiB) is not asked to, so a sibling
   * that overruns the shared budget does not make it write a stream of tiny runs.
   */
  get needsFlush(): boolean {
    return this.reserved >= Math.min(this.opts.budget.limit / 4, 1 << 20) && this.opts.budget.overLimit();
  }

  /** Past twice the budget: spill now, synchronously (the engine did not flush in time). */
  protected get mustSpill(): boolean {
    return this.reserved > 0 && this.opts.budget.bytesInMemory > 2 * this.opts.budget.limit;
  }

  protected newWriter(async: boolean): RunWriter {
    return new RunWriter(this.directory().newFile('sort'), { async });
  }

  protected recordRun(run: Run): void {
    this.runs.push(run);
    this.opts.budget.recordSpill(run.bytes);
  }

  /** Merges the oldest runs while there are more than the fan-in allows (keeps each key's value order). */
  protected compactRuns(mergeRecords: (merger: RunMerger, out: RunWriter) => void): void {
    while (this.runs.length > this.maxFanIn) {
      const group = this.runs.splice(0, this.maxFanIn);
      const w = this.newWriter(false);
      const merger = new RunMerger(group.map((r) => r.cursor()));
      mergeRecords(merger, w);
      const merged = w.finish();
      for (const r of group) {
        r.close();
        this.directory().remove(r.path);
      }
      this.runs.unshift(merged);
      this.opts.budget.recordSpill(merged.bytes);
    }
  }

  /** Removes the runs and the spill directory (if this buffer created it) and releases the budget. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const r of this.runs) r.close();
    if (this.dir !== undefined) {
      if (this.ownsDir) this.dir.close();
      else for (const r of this.runs) this.dir.remove(r.path);
    }
    this.runs.length = 0;
    this.releaseAll();
  }
}

