import type { BoundedSource, PipelineGraph, SourceBatch } from '../../model/index.ts';
import { read, type ReadTransform } from '../../transforms/index.ts';
import { FileSource, type ReadWarning } from './file-source.ts';

/**
 * The file reads of each pipeline, so that each waits for all of them to expand their patterns before yielding data:
 * a pattern that matches nothing then fails the job (with the ConfigError of `expandPaths`, naming the pattern) before
 * any file's data reaches a step, whichever read the engine starts first.
 */
const fileReadsOf = new WeakMap<PipelineGraph, FileSource<unknown>[]>();

/**
 * Reads a file source as a pipeline step: `read(source, name)` whose patterns are checked (expanded) when the job
 * starts, together with those of the pipeline's other file reads, before any data is read.
 *
 * @example
 *   const lines = p.apply(fileRead(textSource('logs/*.log'), 'ReadLogs')); // PCollection<string>
 */
export function fileRead<T>(source: BoundedSource<T>, name: string): ReadTransform<T> {
  if (!(source instanceof FileSource)) return read(source, name);
  const peers: FileSource<unknown>[] = [];
  const gated = new ExpandedFirst(source, peers);
  const inner = read(gated, name);
  const join = (graph: PipelineGraph) => {
    let reads = fileReadsOf.get(graph);
    if (reads === undefined) fileReadsOf.set(graph, (reads = []));
    reads.push(source as FileSource<unknown>);
    gated.peers = reads;
  };
  const withErrors = inner.withErrors();
  return {
    name,
    primitive: true,
    expand(p, stepName) {
      join(p.graph);
      return inner.expand(p, stepName);
    },
    withErrors: () => ({
      name,
      primitive: true,
      expand(p, stepName) {
        join(p.graph);
        return withErrors.expand(p, stepName);
      },
    }),
  };
}

/**
 * The warnings of a pipeline's file reads so far (empty files, header-only CSV files, a declared column missing from a
 * header), in read order: for the run's summary, e.g. `warning: 2 empty inputs: a.csv (empty file), ...`.
 *
 * @example
 *   for (const w of fileReadWarnings(pipeline.graph)) console.warn(`warning: ${w.message}`);
 */
export function fileReadWarnings(graph: PipelineGraph): ReadWarning[] {
  return (fileReadsOf.get(graph) ?? []).flatMap((s) => s.warnings());
}

/** Delegates to a file source; `read` first waits until every file read of the pipeline has expanded its patterns. */
class ExpandedFirst<T> implements BoundedSource<T> {
  readonly kind = 'bounded' as const;
  constructor(
    private readonly source: FileSource<T>,
    public peers: readonly FileSource<unknown>[],
  ) {}
  describe(): string {
    return this.source.describe();
  }
  get orderedParts(): boolean {
    return this.source.orderedParts;
  }
  estimateSizeBytes(): Promise<number> {
    return this.source.estimateSizeBytes();
  }
  split(desiredBundleSizeBytes: number): Promise<BoundedSource<T>[]> {
    // Splitting expands every pattern of this source, and its parts are plain file lists: nothing more to check.
    return this.source.split(desiredBundleSizeBytes);
  }
  warnings(): readonly ReadWarning[] {
    return this.source.warnings();
  }
  async *read(signal?: AbortSignal): AsyncIterable<SourceBatch<T>> {
    await this.source.files(); // this source's own failure first, so the error names its pattern
    await Promise.all(this.peers.map((s) => s.files()));
    yield* this.source.read(signal);
  }
  /** A resumed read (checkpoints): from the file and byte offset of its position, after the same pattern check. */
  async *readFrom(position: unknown, signal?: AbortSignal): AsyncIterable<SourceBatch<T>> {
    await this.source.files();
    await Promise.all(this.peers.map((s) => s.files()));
    yield* this.source.readFrom(position, signal);
  }
}
