/**
 * `io.delta.read`: a bounded source over one version of a Delta table. The version is pinned when the source is
 * first planned (latest, or the `version`/`timestamp` asked for), so every split reads the same snapshot; files are
 * pruned by partition values and statistics (`where`), and each remaining data file is one split.
 */
import type { DataFile, DeltaValue, Predicate, TableSchema, Term } from '../../lakehouse/index.ts';
import { ConfigError, RiffleError, type BoundedSource, type SourceBacklog, type SourceBatch } from '../../model/index.ts';
import { read as readTransform, type ReadTransform } from '../../transforms/index.ts';
import { lakehouse } from './lakehouse-module.ts';
import { DeltaBatchSource } from './delta-batch-source.ts';
import type { RecordBatch } from 'apache-arrow';
import { tableLocation } from './table-location.ts';

/**
 * Options of `io.delta.read`.
 *
 * @example
 * io.delta.read('/lake/events', { version: 3, where: { country: 'fr', amount: { gte: 10 } }, columns: ['id', 'amount'] });
 */
export interface DeltaReadOptions {
  /** Time travel to a version… */
  readonly version?: number;
  /** …or to the latest version committed at or before a time (Date, ms since the epoch, ISO-8601). */
  readonly timestamp?: Date | number | string;
  /** Rows to keep (files that cannot hold one are not read). */
  readonly where?: Predicate;
  /** Columns to read (default: all, in schema order). */
  readonly columns?: readonly string[];
  /**
   * Read data files the log names outside the table (absolute URIs, e.g. a shallow clone's). Default false: such a
   * log is refused, naming the file.
   */
  readonly allowExternalFiles?: boolean;
}

/** A table row as read: column → canonical value (see `DeltaType`). */
export type DeltaRow = Record<string, DeltaValue>;

/** Rows per batch handed to the engine. */
const BATCH_ROWS = 8192;

interface Plan {
  readonly version: number;
  readonly schema: TableSchema;
  readonly columns: readonly string[];
  /** The `where` predicate, compiled against the schema (operands in canonical values). */
  readonly terms: readonly Term[];
  readonly files: readonly DataFile[];
  readonly skipped: number;
}

/**
 * The bounded source of `io.delta.read`: the whole table at one version, or (after `split`) one data file.
 *
 * @example
 * const source = new DeltaSource('/lake/events', { where: { day: '2024-05-01' } });
 * const parts = await source.split(64 << 20); // one per data file that may hold matching rows
 */
export class DeltaSource implements BoundedSource<DeltaRow> {
  readonly kind = 'bounded' as const;
  readonly path: string;
  readonly options: DeltaReadOptions;
  #plan: Promise<Plan> | undefined;
  #columns: readonly string[] | undefined;
  /** Bytes of data files a read in progress has not finished; undefined before it starts. */
  #left: number | undefined;

  constructor(path: string, options: DeltaReadOptions = {}, plan?: Plan) {
    this.path = tableLocation(path);
    this.options = options;
    if (plan) {
      this.#plan = Promise.resolve(plan);
      this.#columns = plan.columns;
    }
  }

  /** The bytes of the data files not read yet (the file in progress whole), once the read started (SourceBacklog). */
  backlog(): SourceBacklog | undefined {
    return this.#left === undefined ? undefined : { amount: this.#left, unit: 'bytes' };
  }

  /** The columns of the rows read: declared (`columns`), else the table's once planned (for lineage; FieldNamedSource). */
  fieldNames(): readonly string[] | undefined {
    return this.options.columns ?? this.#columns;
  }

  describe(): string {
    const at = this.options.version !== undefined ? `@v${this.options.version}` : this.options.timestamp !== undefined ? `@${String(this.options.timestamp)}` : '';
    return `delta(${this.path}${at})`;
  }

  /**
   * The snapshot this source reads (resolved once): its version, schema, the columns read, the files that may hold
   * matching rows and how many were skipped.
   */
  plan(): Promise<Plan> {
    this.#plan ??= (async () => {
      const { version, timestamp, where } = this.options;
      const { compilePredicate, DeltaTable } = await lakehouse.load();
      const snapshot = await (await DeltaTable.open(this.path, { allowExternalFiles: this.options.allowExternalFiles === true })).snapshot(version !== undefined ? { version } : timestamp !== undefined ? { timestamp } : {});
      const names = snapshot.schema.fields.map((f) => f.name);
      const columns = this.options.columns ?? names;
      for (const c of columns) {
        if (!names.includes(c)) throw new ConfigError(`io.delta.read(${this.path}): unknown column '${c}'`, { hint: `columns are ${names.join(', ')}` });
      }
      const terms = compilePredicate(where, snapshot.schema); // checks the predicate before any file is read
      const { files, skipped } = snapshot.filesMatching(where);
      // In path order: the same snapshot lists its files in the same order however its log was replayed (from a
      // checkpoint or from the commits), so a read resumed at a file index reads the same files after it.
      const sorted = [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
      this.#columns = columns;
      return { version: snapshot.version, schema: snapshot.schema, columns, terms, files: sorted, skipped };
    })();
    return this.#plan;
  }

  async estimateSizeBytes(): Promise<number> {
    return (await this.plan()).files.reduce((n, f) => n + f.size, 0);
  }

  /** One source per data file (after pruning), all pinned to the same version. */
  async split(_desiredBundleSizeBytes: number): Promise<BoundedSource<DeltaRow>[]> {
    const plan = await this.plan();
    if (plan.files.length <= 1) return [this];
    return plan.files.map((f) => new DeltaSource(this.path, { ...this.options, version: plan.version, timestamp: undefined }, { ...plan, files: [f], skipped: 0 }));
  }

  read(signal?: AbortSignal): AsyncIterable<SourceBatch<DeltaRow>> {
    return this.#readAt(undefined, signal);
  }

  /**
   * Reads on from a position a batch carried (checkpoints, issue 14): `{ version, file, path, rows }` — the snapshot
   * version the read is pinned to (the one first planned, also when the table has moved on since), the index and path
   * of the data file in progress and the rows of it already read. Earlier files are not opened again; the file in
   * progress is read again and its first `rows` rows dropped (Parquet row groups are decoded whole).
   */
  readFrom(position: unknown, signal?: AbortSignal): AsyncIterable<SourceBatch<DeltaRow>> {
    const at = position as DeltaReadPosition | null;
    const count = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0;
    if (at === null || typeof at !== 'object' || !count(at.version) || !count(at.file) || !count(at.rows) || typeof at.path !== 'string') {
      throw new RangeError(`not a position of ${this.describe()}: ${JSON.stringify(position)}`);
    }
    return this.#readAt(at, signal);
  }

  async *#readAt(at: DeltaReadPosition | undefined, signal: AbortSignal | undefined): AsyncIterable<SourceBatch<DeltaRow>> {
    let plan = await this.plan();
    let first = 0;
    let drop = 0;
    if (at !== undefined) {
      // The snapshot the position was taken in: the table may have new versions since (a source planned "latest").
      if (at.version !== plan.version) plan = await new DeltaSource(this.path, { ...this.options, version: at.version, timestamp: undefined }).plan().catch((e: unknown) => {
        throw mismatch(this.path, `version ${at.version} of the table, which the read was pinned to, cannot be read now (${(e as Error).message})`);
      });
      first = plan.files[at.file]?.path === at.path ? at.file : plan.files.findIndex((f) => f.path === at.path);
      if (first === -1) throw mismatch(this.path, `its data file ${at.path} is not among the files of version ${at.version} this read plans`);
      drop = at.rows;
    }
    const { readDataFile } = await lakehouse.load();
    // Bytes of the data files not finished yet (the one in progress counts whole), for backlog().
    const sizes = plan.files.map((f) => f.size);
    let left = sizes.slice(first).reduce((n, b) => n + b, 0);
    this.#left = left;
    for (let i = first; i < plan.files.length; i++) {
      const file = plan.files[i]!;
      signal?.throwIfAborted();
      if (i > first) this.#left = left -= sizes[i - 1]!;
      let rowsRead = i === first ? drop : 0;
      let skip = i === first ? drop : 0;
      // One row group at a time: only the projected and filtered columns are decoded; rows failing `where` are
      // never built.
      for await (const group of readDataFile(file, plan.schema, { columns: plan.columns, terms: plan.terms })) {
        let rows = group;
        if (skip > 0) {
          if (rows.length <= skip) {
            skip -= rows.length;
            continue;
          }
          rows = rows.slice(skip);
          skip = 0;
        }
        for (let start = 0; start < rows.length; start += BATCH_ROWS) {
          const values = start === 0 && rows.length <= BATCH_ROWS ? rows : rows.slice(start, start + BATCH_ROWS);
          rowsRead += values.length;
          yield { values, position: { version: plan.version, file: i, path: file.path, rows: rowsRead } satisfies DeltaReadPosition };
        }
      }
    }
    this.#left = 0;
  }
}

/** A position of `io.delta.read` (plain data in checkpoints): the pinned version, the data file in progress, its rows read. */
export interface DeltaReadPosition {
  readonly version: number;
  /** Index of the data file in the plan's (path-ordered) list, and its path (the index is checked against it). */
  readonly file: number;
  readonly path: string;
  /** Rows of that file (after `where`) already read. */
  readonly rows: number;
}

function mismatch(path: string, what: string): RiffleError {
  return new RiffleError('CHECKPOINT_MISMATCH', `io.delta.read(${path}): cannot resume the read where the checkpoint left it: ${what}`, {
    domain: 'user',
    hint: 'restore the table (a VACUUM may have removed the files of that version), or run without --resume to read it again from the start',
  });
}

/**
 * Reads a Delta table (one version) in a pipeline: one element per row, with canonical values (long → bigint,
 * timestamp → bigint µs, date → 'YYYY-MM-DD'). Files are pruned by partition values and statistics; each data file
 * is a split. With `batches: true`, one element per row group: an Arrow `RecordBatch` of typed columns (see
 * src/lakehouse/arrow-batch.ts); `where` may then only select partitions.
 *
 * @example
 * const rows = p.apply(io.delta.read('/lake/events', { version: 3, where: { country: 'fr' } }));
 * const batches = p.apply(io.delta.read('/lake/events', { batches: true, columns: ['amount'] }));
 */
export function read(path: string, options: DeltaReadOptions & { readonly batches: true }): ReadTransform<RecordBatch>;
export function read(path: string, options?: DeltaReadOptions & { readonly batches?: false }): ReadTransform<DeltaRow>;
export function read(path: string, options: DeltaReadOptions & { readonly batches?: boolean } = {}): ReadTransform<DeltaRow> | ReadTransform<RecordBatch> {
  if (typeof path !== 'string' || path === '') throw new ConfigError('io.delta.read: the table path must be a non-empty string');
  if (options.version !== undefined && options.timestamp !== undefined) throw new ConfigError(`io.delta.read(${path}): give version or timestamp, not both`);
  if (options.version !== undefined && !(Number.isSafeInteger(options.version) && options.version >= 0)) {
    throw new ConfigError(`io.delta.read(${path}): version must be a non-negative integer, got ${String(options.version)}`);
  }
  if (options.allowExternalFiles !== undefined && typeof options.allowExternalFiles !== 'boolean') {
    throw new ConfigError(`io.delta.read(${path}): allowExternalFiles must be true or false, got ${String(options.allowExternalFiles)}`);
  }
  if (options.batches !== undefined && typeof options.batches !== 'boolean') {
    throw new ConfigError(`io.delta.read(${path}): batches must be true or false, got ${String(options.batches)}`);
  }
  const { batches, ...rest } = options;
  const rows = new DeltaSource(path, rest);
  return batches === true ? readTransform(new DeltaBatchSource(rows), 'ReadDeltaBatches') : readTransform(rows, 'ReadDelta');
}
