/**
 * Streaming reads of Parquet files and Delta tables for validation: one row group at a time, so memory stays at
 * about one row group whatever the table's size. Delta tables are read by the lakehouse (`readDataFile`: snapshot
 * files, partition values, only needed columns decoded); a standalone Parquet file, which has no Delta schema, is
 * decoded here with hyparquet (loaded lazily).
 *
 * Values as pandas sees them: 64-bit integers as numbers (bigints only past 2^53), timestamps as Dates, dates as
 * 'YYYY-MM-DD' strings (the lakehouse's canonical form), partition values typed by the schema.
 */
import { DeltaTable, fileSource, GuardedParquet, readDataFileBatches } from '../lakehouse/index.ts';
import { ValidationColumnReader } from './arrow-columns.ts';
import { checkFreshness, type FreshnessCheck } from './freshness.ts';
import { SuiteError } from './quality-error.ts';
import { RowBatch } from './data-asset.ts';

type Hyparquet = typeof import('hyparquet');
type FileMetaData = import('hyparquet').FileMetaData;
type Compressors = NonNullable<Parameters<Hyparquet['parquetRead']>[0]['compressors']>;

let hyparquet: Promise<Hyparquet> | undefined;
let compressorsModule: Promise<Compressors> | undefined;
const BUILTIN_CODECS: ReadonlySet<string> = new Set(['UNCOMPRESSED', 'SNAPPY']);
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
/** Rows of a Delta row group converted to validation columns at a time. */
const DELTA_SLICE_ROWS = 16_384;
/** A column that is not decoded (not read by the suite): null in every row of a slice. */
const NULLS: readonly null[] = Object.freeze(new Array<null>(DELTA_SLICE_ROWS).fill(null));

async function compressorsFor(metadata: FileMetaData): Promise<Compressors | undefined> {
  const needed = metadata.row_groups.some((g) => g.columns.some((c) => c.meta_data !== undefined && !BUILTIN_CODECS.has(c.meta_data.codec)));
  if (!needed) return undefined;
  // ZSTD (delta-rs' default), LZ4, Brotli, GZIP: hyparquet-compressors, loaded only for files that need it.
  const name = 'hyparquet-compressors';
  compressorsModule ??= (import(name) as Promise<{ compressors: Compressors }>).then((m) => m.compressors);
  return compressorsModule;
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');
function daysToDate(days: number): string {
  const d = new Date(days * 86_400_000);
  return `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
}

/** A bigint as a number when exact (pandas reads int64 as numbers). */
function toNumberIfSafe(v: unknown): unknown {
  return typeof v === 'bigint' && v <= MAX_SAFE && v >= -MAX_SAFE ? Number(v) : v;
}

/**
 * Streams a standalone Parquet file (its own columns, in file order), one row group at a time. Delta tables go
 * through the lakehouse's reader (`scanDelta`); a plain file has no Delta schema, so it is decoded here.
 */
export async function* scanParquetFile(path: string, signal?: AbortSignal): AsyncGenerator<RowBatch> {
  const pq = await (hyparquet ??= import('hyparquet'));
  const source = await fileSource(path).catch((e: Error) => {
    throw new SuiteError(`cannot read ${path}: ${e.message}`);
  });
  // The lakehouse's guarded reader: a damaged file is a ParquetFileError naming it, never a hang.
  const guarded = await GuardedParquet.open(source, path);
  try {
  const metadata = guarded.metadata;
  guarded.useCompressors(await compressorsFor(metadata));
  const columns = pq.parquetSchema(metadata).children.map((c) => c.element.name);
  const int64 = new Set(metadata.schema.slice(1).filter((e) => e.type === 'INT64' && e.converted_type === undefined && e.logical_type === undefined).map((e) => e.name));
  let any = false;
  for (let g = 0; g < metadata.row_groups.length; g++) {
    signal?.throwIfAborted();
    const n = Number(metadata.row_groups[g]!.num_rows);
    const start = guarded.groupStarts[g]!;
    if (n === 0) continue;
    const data = new Map<string, unknown[]>(columns.map((c) => [c, new Array<unknown>(n)]));
    await guarded.readRowGroup(g, {
      columns,
      parsers: { dateFromDays: (days: number) => daysToDate(days) },
      onChunk: ({ columnName, columnData, rowStart, rowEnd }) => {
        const out = data.get(columnName);
        if (out === undefined) return;
        const from = Math.max(rowStart, start);
        const to = Math.min(rowEnd, start + n);
        const convert = int64.has(columnName);
        for (let r = from; r < to; r++) {
          const v = columnData[r - rowStart];
          out[r - start] = convert ? toNumberIfSafe(v) : v;
        }
      },
    });
    any = true;
    yield RowBatch.ofColumns(columns, columns.map((c) => data.get(c)!), n);
  }
  if (!any) yield RowBatch.ofRows([], columns);
  } finally {
    await guarded.close();
  }
}

/**
 * Streams a Delta table at a version (default latest) or timestamp as columns: the lakehouse's Arrow batches
 * (`readBatches`: snapshot files one after another, one batch per row group, decoded by parquet-wasm after the page
 * CRC checks, partition values from the log, columns a file lacks as null), turned into the columns validation reads
 * (arrow-columns.ts: numbers in Float64Arrays with NaN for nulls, strings, Dates) — no row objects.
 */
export async function* scanDelta(path: string, at: { version?: number; timestamp?: string | number | Date }, signal?: AbortSignal, only?: readonly string[]): AsyncGenerator<RowBatch> {
  const table = await DeltaTable.open(path);
  const snapshot = await table.snapshot(at);
  const columns = snapshot.schema.fields.map((f) => f.name);
  // The columns decoded: `only` (names the table lacks are left to the suite's own error), at least one so batches
  // keep their row counts; the others read as null.
  let fields = only === undefined ? snapshot.schema.fields : snapshot.schema.fields.filter((f) => only.includes(f.name));
  if (fields.length === 0) fields = snapshot.schema.fields.slice(0, 1);
  const projected = fields.length < columns.length;
  const position = columns.map((c) => fields.findIndex((f) => f.name === c));
  const reader = new ValidationColumnReader(fields);
  let any = false;
  for (const file of snapshot.files) {
    signal?.throwIfAborted();
    for await (const batch of readDataFileBatches(file, snapshot.schema, projected ? { columns: fields.map((f) => f.name) } : {})) {
      // The row group converted a slice at a time: the strings decoded for a slice die young (a scavenge, not a
      // mark-compact of strings promoted while a 500K-row batch was being converted), and only one slice's
      // validation columns are alive at a time.
      for (let start = 0; start < batch.numRows; start += DELTA_SLICE_ROWS) {
        signal?.throwIfAborted();
        const end = Math.min(batch.numRows, start + DELTA_SLICE_ROWS);
        any = true;
        const read = reader.read(batch, start, end);
        yield RowBatch.ofColumns(columns, projected ? position.map((k) => (k < 0 ? NULLS : read[k]!)) : read, end - start);
      }
    }
  }
  if (!any) yield RowBatch.ofRows([], columns);
}

/** The time of a Delta table's last commit (for freshness checks), or null for a table without commits. */
export async function deltaLastCommitTime(path: string): Promise<Date | null> {
  const table = await DeltaTable.open(path);
  const [latest] = await table.history(1);
  return latest === undefined ? null : new Date(latest.timestamp);
}

/**
 * Freshness of a Delta table from its last commit's timestamp (FRESH / STALE / VERY_STALE, see freshness.ts).
 * @example await quality.checkDeltaFreshness('lake/orders', { expectedInterval: '1h' })
 */
export async function checkDeltaFreshness(path: string, options: { expectedInterval: string | number | { count: number; period: string }; now?: Date | string | number }): Promise<FreshnessCheck & { table: string }> {
  const lastUpdated = await deltaLastCommitTime(path);
  return { ...checkFreshness({ lastUpdated, expectedInterval: options.expectedInterval, ...(options.now !== undefined ? { now: options.now } : {}) }), table: path };
}
