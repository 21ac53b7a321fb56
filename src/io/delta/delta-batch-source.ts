/**
 * `io.delta.read(path, { batches: true })`: the bounded source of a Delta table as Arrow record batches — one element
 * per row group of each data file (typed columns with validity bitmaps, no row objects), decoded by the lakehouse's
 * columnar reader. Planning (version pinning, file pruning, one split per data file, path order) is the row source's.
 */
import type { RecordBatch } from 'apache-arrow';
import { ConfigError, RiffleError, type BoundedSource, type SourceBatch } from '../../model/index.ts';
import { DeltaSource, type DeltaReadOptions } from './delta-source.ts';
import { lakehouse } from './lakehouse-module.ts';

/** A position of a batch read (plain data in checkpoints): the pinned version, the file in progress, its batches read. */
export interface DeltaBatchPosition {
  readonly version: number;
  readonly file: number;
  readonly path: string;
  /** Batches (row groups) of that file already read. */
  readonly batches: number;
}

/**
 * The bounded source of `io.delta.read(…, { batches: true })`.
 *
 * @example
 * const source = new DeltaBatchSource(new DeltaSource('/lake/events'));
 */
export class DeltaBatchSource implements BoundedSource<RecordBatch> {
  readonly kind = 'bounded' as const;
  readonly rows: DeltaSource;

  constructor(rows: DeltaSource) {
    this.rows = rows;
  }

  describe(): string {
    return `${this.rows.describe()} as Arrow batches`;
  }

  async estimateSizeBytes(): Promise<number> {
    return this.rows.estimateSizeBytes();
  }

  async split(desiredBundleSizeBytes: number): Promise<BoundedSource<RecordBatch>[]> {
    const parts = await this.rows.split(desiredBundleSizeBytes);
    return parts.length === 1 && parts[0] === this.rows ? [this] : parts.map((p) => new DeltaBatchSource(p as DeltaSource));
  }

  read(signal?: AbortSignal): AsyncIterable<SourceBatch<RecordBatch>> {
    return this.#readAt(undefined, signal);
  }

  readFrom(position: unknown, signal?: AbortSignal): AsyncIterable<SourceBatch<RecordBatch>> {
    const at = position as DeltaBatchPosition | null;
    const count = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0;
    if (at === null || typeof at !== 'object' || !count(at.version) || !count(at.file) || !count(at.batches) || typeof at.path !== 'string') {
      throw new RangeError(`not a position of ${this.describe()}: ${JSON.stringify(position)}`);
    }
    return this.#readAt(at, signal);
  }

  async *#readAt(at: DeltaBatchPosition | undefined, signal: AbortSignal | undefined): AsyncIterable<SourceBatch<RecordBatch>> {
    await checkBatchPredicate(this.rows);
    let plan = await this.rows.plan();
    if (at !== undefined && at.version !== plan.version) {
      plan = await new DeltaSource(this.rows.path, { ...this.rows.options, version: at.version, timestamp: undefined }).plan();
    }
    let first = 0;
    if (at !== undefined) {
      first = plan.files[at.file]?.path === at.path ? at.file : plan.files.findIndex((f) => f.path === at.path);
      if (first === -1) {
        throw new RiffleError('CHECKPOINT_MISMATCH', `io.delta.read(${this.rows.path}): cannot resume: its data file ${at.path} is not among the files of version ${at.version}`, {
          domain: 'user', hint: 'run without --resume to read the table again from the start',
        });
      }
    }
    const { readDataFileBatches } = await lakehouse.load();
    for (let i = first; i < plan.files.length; i++) {
      const file = plan.files[i]!;
      signal?.throwIfAborted();
      let skip = at !== undefined && i === first ? at.batches : 0;
      let done = 0;
      for await (const batch of readDataFileBatches(file, plan.schema, { columns: plan.columns })) {
        done++;
        if (skip > 0) { skip--; continue; }
        yield { values: [batch], position: { version: plan.version, file: i, path: file.path, batches: done } satisfies DeltaBatchPosition };
      }
    }
  }
}

/**
 * Checks that a batch read's `where` only names partition columns: batches hold whole row groups, so a predicate on
 * other columns could only prune files, not rows — refused rather than returning rows that fail it.
 */
export async function checkBatchPredicate(source: DeltaSource): Promise<void> {
  const plan = await source.plan();
  const partitions = new Set(plan.files.flatMap((f) => Object.keys(f.partitionValues)));
  const bad = plan.terms.map((t) => t.column).filter((c) => !partitions.has(c));
  if (bad.length > 0 && plan.files.length > 0) {
    throw new ConfigError(`io.delta.read(${source.path}, { batches: true }): 'where' names ${[...new Set(bad)].map((c) => `'${c}'`).join(', ')}, which is not a partition column`, {
      hint: 'with batches, where may only select partitions; filter rows in a mapBatches step, or read rows (batches: false)',
    });
  }
}

export type { DeltaReadOptions };
