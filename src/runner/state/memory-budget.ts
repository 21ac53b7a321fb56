/**
 * The job's memory budget: one size for the whole job (`--memory 1g`, default a fraction of the V8 heap limit),
 * split among workers and, within a worker, among the operators that buffer or keep state. Operators reserve bytes
 * from their worker's budget and spill when a reservation is refused; the budget keeps the figures the run's metrics
 * report (bytes in memory, bytes spilled, runs written, peak).
 * @example
 *   const job = MemoryBudget.forJob(parseSize('1g'));
 *   const worker = job.split(2)[0]!;                 // 512 MiB for worker 0
 *   const sorter = worker.child('groupByKey', 0.5);   // at most half of it for one operator
 *   if (!sorter.tryReserve(4096)) spillSomething();
 */
import { getHeapStatistics } from 'node:v8';
import { ConfigError } from '../../model/index.ts';

const UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, kb: 1024, kib: 1024, m: 1024 ** 2, mb: 1024 ** 2, mib: 1024 ** 2, g: 1024 ** 3, gb: 1024 ** 3, gib: 1024 ** 3, t: 1024 ** 4, tb: 1024 ** 4, tib: 1024 ** 4 };

/**
 * Parses a size: a number of bytes, or a string like `'64m'`, `'1g'`, `'512k'`, `'1.5GiB'`, `'1000'` (binary units:
 * k = 1024). Throws a ConfigError naming `what` (the option) for anything else, zero or negative sizes included.
 */
export function parseSize(input: string | number, what = 'memory size'): number {
  if (typeof input === 'number') {
    if (!Number.isFinite(input) || input <= 0) throw badSize(String(input), what);
    return Math.floor(input);
  }
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(input);
  const unit = m ? UNITS[m[2]!.toLowerCase()] : undefined;
  if (!m || unit === undefined) throw badSize(JSON.stringify(input), what);
  const bytes = Math.floor(Number(m[1]) * unit);
  if (bytes <= 0) throw badSize(JSON.stringify(input), what);
  return bytes;
}

function badSize(shown: string, what: string): ConfigError {
  return new ConfigError(`${what} ${shown} is not a size`, {
    context: { option: what, value: shown },
    hint: "give a positive number of bytes or a number with a unit: '512k', '64m', '1g' (k, m, g, t are powers of 1024)",
  });
}

/**
 * The fraction of the V8 heap limit the job's buffers and state may use when no `--memory` is given: 0.1 (about
 * 410 MB of Node's default 4 GB heap here, near Flink's default managed memory). The rest is for what the budget does
 * not see: the objects between operators, young-generation garbage, and the slack V8 keeps before a major GC, which
 * grows with the old generation (the budget's estimates were a third of what state cost). Measured (Nexmark Q4 at 10M
 * events, one worker): a 1.6 GB budget (0.4, until session 10) peaked at 1,834 MB RSS and 16.0 CPU-s per million
 * events, 512 MB at 893 MB and 11.9, 256 MB at 632 MB and 10.2 — spilling sooner cost less than collecting a larger heap.
 */
export const DEFAULT_HEAP_FRACTION = 0.1;

/**
 * The default job budget: a fraction of this process's heap limit (`--max-old-space-size` included), which leaves
 * room for the objects operators pass between them, coders' buffers and the garbage not yet collected.
 */
export function defaultJobMemory(fraction = DEFAULT_HEAP_FRACTION): number {
  return Math.floor(getHeapStatistics().heap_size_limit * fraction);
}

/** What the run's metrics report about memory. */
export interface MemoryMetrics {
  /** Bytes reserved now (estimated size of buffers and state on the heap). */
  bytesInMemory: number;
  /** The most ever reserved at once. */
  peakBytesInMemory: number;
  /** Bytes written to spill files (encoded). */
  bytesSpilled: number;
  /** Sorted runs written (merges included). */
  runsWritten: number;
  /** The budget itself. */
  limit: number;
}

/**
 * A budget of bytes that operators reserve from. A child budget has its own limit and counts against its parent too
 * (a reservation succeeds only if every ancestor has room), so one operator cannot starve its siblings beyond its
 * share while idle shares stay usable up to the worker's total.
 */
export class MemoryBudget {
  private used = 0;
  private peak = 0;
  private spilled = 0;
  private runs = 0;
  private readonly children: MemoryBudget[] = [];
  /** This budget and its ancestors, nearest first. */
  private readonly lineage: MemoryBudget[];

  private constructor(
    readonly name: string,
    readonly limit: number,
    parent: MemoryBudget | undefined,
  ) {
    this.lineage = parent ? [this, ...parent.lineage] : [this];
  }

  /** The job's budget: `bytes` (from `--memory`, see parseSize) or the default fraction of the heap. */
  static forJob(bytes?: number): MemoryBudget {
    const limit = bytes ?? defaultJobMemory();
    if (!Number.isFinite(limit) || limit <= 0) throw badSize(String(bytes), 'memory size');
    return new MemoryBudget('job', Math.floor(limit), undefined);
  }

  /** A standalone budget (tests, benches, one operator on its own). */
  static of(bytes: number | string, name = 'budget'): MemoryBudget {
    return new MemoryBudget(name, parseSize(bytes), undefined);
  }

  /** Splits the budget evenly among `n` workers; each worker's share is a child of this budget. */
  split(n: number): MemoryBudget[] {
    if (!Number.isInteger(n) || n < 1) throw new ConfigError(`cannot split the memory budget among ${n} workers`, { hint: 'give a whole number of workers, at least 1' });
    return Array.from({ length: n }, (_, i) => this.child(`worker ${i}`, 1 / n));
  }

  /** A child budget of `fraction` of this one's limit (or of `bytes` when a number above 1 is given). */
  child(name: string, share: number): MemoryBudget {
    const limit = share <= 1 ? Math.floor(this.limit * share) : Math.min(this.limit, Math.floor(share));
    const c = new MemoryBudget(name, Math.max(1, limit), this);
    this.children.push(c);
    return c;
  }

  /** Reserves `bytes` if this budget and all its ancestors have room; false (nothing reserved) otherwise. */
  tryReserve(bytes: number): boolean {
    for (const b of this.lineage) if (b.used + bytes > b.limit) return false;
    this.reserve(bytes);
    return true;
  }

  /** Reserves unconditionally (the caller spills afterwards if `overLimit()`). */
  reserve(bytes: number): void {
    for (const b of this.lineage) {
      b.used += bytes;
      if (b.used > b.peak) b.peak = b.used;
    }
  }

  release(bytes: number): void {
    for (const b of this.lineage) b.used = Math.max(0, b.used - bytes);
  }

  /** Whether this budget or an ancestor is past its limit. */
  overLimit(): boolean {
    for (const b of this.lineage) if (b.used > b.limit) return true;
    return false;
  }

  /** Bytes still free here (the least over this budget and its ancestors). */
  available(): number {
    let free = Infinity;
    for (const b of this.lineage) free = Math.min(free, b.limit - b.used);
    return Math.max(0, free);
  }

  get bytesInMemory(): number {
    return this.used;
  }

  /** Records a run written to disk (counted here and in every ancestor). */
  recordSpill(bytes: number, runs = 1): void {
    for (const b of this.lineage) {
      b.spilled += bytes;
      b.runs += runs;
    }
  }

  metrics(): MemoryMetrics {
    return { bytesInMemory: this.used, peakBytesInMemory: this.peak, bytesSpilled: this.spilled, runsWritten: this.runs, limit: this.limit };
  }

  /** Metrics of this budget and of every descendant, by path (`job/worker 0/groupByKey`). */
  metricsTree(prefix = ''): Record<string, MemoryMetrics> {
    const path = prefix ? `${prefix}/${this.name}` : this.name;
    const out: Record<string, MemoryMetrics> = { [path]: this.metrics() };
    for (const c of this.children) Object.assign(out, c.metricsTree(path));
    return out;
  }
}
