/**
 * The key groups each worker owns. Hashing (murmur3 of the key's encoded bytes mod maxParallelism) and the owner of a
 * group live in runner/local/key-group.ts, shared with the engine's state; this file adds the inverse — the
 * contiguous range of groups a worker owns (Flink's KeyGroupRangeAssignment) — which the state backend snapshots and
 * restores by, and which moves whole when the number of workers changes.
 *
 * @example
 *   const g = keyGroupOf(encodeToBytes(coders.string(), 'alice'), 128);   // 38
 *   const w = workerOfKeyGroup(g, 4, 128);                                // 1
 *   keyGroupRangeOf(w, 4, 128)                                            // [32, 63]
 */
import { ConfigError } from '../../model/index.ts';
import { DEFAULT_MAX_PARALLELISM, checkMaxParallelism } from '../local/key-group.ts';

/** An inclusive range of key groups [start, end]; empty when end < start. */
export class KeyGroupRange {
  constructor(
    readonly start: number,
    readonly end: number,
  ) {}
  get size(): number {
    return Math.max(0, this.end - this.start + 1);
  }
  contains(keyGroup: number): boolean {
    return keyGroup >= this.start && keyGroup <= this.end;
  }
  *[Symbol.iterator](): IterableIterator<number> {
    for (let g = this.start; g <= this.end; g++) yield g;
  }
  toString(): string {
    return this.size === 0 ? '[]' : `[${this.start}, ${this.end}]`;
  }
}

/**
 * The key groups worker `worker` of `workers` owns (Flink's `computeKeyGroupRangeForOperatorIndex`): exactly the groups
 * g with `workerOfKeyGroup(g, workers, maxParallelism) === worker`, so the ranges of workers 0..N-1 partition
 * [0, maxParallelism).
 */
export function keyGroupRangeOf(worker: number, workers: number, maxParallelism = DEFAULT_MAX_PARALLELISM): KeyGroupRange {
  const start = Math.floor((worker * maxParallelism + workers - 1) / workers);
  const end = Math.floor(((worker + 1) * maxParallelism - 1) / workers);
  return new KeyGroupRange(start, end);
}

/** Rejects a worker count that cannot share `maxParallelism` key groups, before any work starts. */
export function checkWorkers(workers: unknown, maxParallelism?: unknown): { workers: number; maxParallelism: number } {
  const maxP = checkMaxParallelism(maxParallelism);
  if (typeof workers !== 'number' || !Number.isSafeInteger(workers) || workers < 1) {
    throw new ConfigError(`the number of workers must be a whole number of at least 1, got ${String(workers)}`, { hint: 'pass --workers 1 or more' });
  }
  if (workers > maxP) {
    throw new ConfigError(`${workers} workers exceed maxParallelism ${maxP}: some workers would own no key group`, {
      hint: `use at most ${maxP} workers, or raise maxParallelism (it bounds how far keyed state can be rescaled)`,
    });
  }
  return { workers, maxParallelism: maxP };
}
