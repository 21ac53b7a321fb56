/**
 * The young generation a worker thread gets. V8 gives every isolate a young generation of 3 × 16 MiB semi-spaces
 * on a large heap; a pipeline allocates an object or more per element, so its isolate scavenges every few
 * milliseconds. In one thread that is cheap, but two isolates of one process scavenging at once slow each other
 * (they share the process's page allocator and the platform's GC helper threads): measured here, two worker threads
 * each running Nexmark Q1 alone made 1.05–1.3M events/s with the default 48 MiB young generation and 1.4–1.7M with
 * 144 MiB, where two processes made 1.3–1.6M each (runner/exchange/README.md, "Heap").
 *
 * So a worker gets a larger young generation, in proportion to the old generation's limit (V8's own rule scales the
 * two together): 1/16 of it, between V8's default 48 MiB and 144 MiB — a 4 GiB heap gives 144 MiB, a heap limited to
 * 512 MiB (`--max-old-space-size=512`, as the spill tests run) keeps 48 MiB.
 */
import { getHeapStatistics } from 'node:v8';

const MIB = 1024 * 1024;
export const DEFAULT_YOUNG_GENERATION_MB = 48;
export const MAX_YOUNG_GENERATION_MB = 144;

/** The young generation (MiB) for a worker of a process whose heap limit is `heapLimitBytes`. */
export function workerYoungGenerationMb(heapLimitBytes: number = getHeapStatistics().heap_size_limit): number {
  const scaled = Math.floor(heapLimitBytes / MIB / 16);
  return Math.min(MAX_YOUNG_GENERATION_MB, Math.max(DEFAULT_YOUNG_GENERATION_MB, scaled));
}
