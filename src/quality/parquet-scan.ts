/**
 * Streaming reads of Parquet files and Delta tables for validation: one row group at a time (decoded column by
 * column, then cut into row batches), so memory stays at about one row group whatever the table's size. The Delta
 * table's snapshot (files, schema, partition values) comes from the lakehouse; the data files are decoded here with
 * hyparquet (loaded lazily), because validation wants a stream and `DeltaTable.read` returns a whole version.
 *
 * Values as pandas sees them: 64-bit integers as numbers (bigints only past 2^53), timestamps as Dates, dates as
 * 'YYYY-MM-DD' strings (the lakehouse's canonical form), partition values typed by the schema.
 */
import { DeltaTable, type DeltaValue, type TableSchema } from '../lakehouse/index.ts';
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

/** A column of one repeated value (a partition column, or a column the file lacks: null). */
function constantColumn(value: unknown, n: number): unknown[] {
  return new Array<unknown>(n).fill(value);
}

interface FilePart {
  readonly path: string;
  /** Columns of the output rows, in order. */
  readonly columns: readonly string[];
  /** Constant values (Delta partition columns) by column. */
  readonly constants?: Readonly<Record<string, unknown>>;
}

/**
 * Yields a Parquet file's rows in batches, one row group at a time. Columns the file lacks read as null (a column
 * added to a Delta table after the file was written).
 */
async function* scanFile(part: FilePart, signal: AbortSignal | undefined): AsyncGenerator<RowBatch> {
  const pq = await (hyparquet ??= import('hyparquet'));
  let file: Awaited<ReturnType<Hyparquet['asyncBufferFromFile']>>;
  try {
    file = await pq.asyncBufferFromFile(part.path);
  } catch (e) {
    throw new SuiteError(`cannot read ${part.path}: ${(e as Error).message}`);
  }
  const metadata = await pq.parquetMetadataAsync(file);
  const compressors = await compressorsFor(metadata);
  const inFile = new Set(metadata.schema.slice(1).map((e) => e.name));
  const int64 = new Set(metadata.schema.slice(1).filter((e) => e.type === 'INT64' && e.converted_type === undefined && e.logical_type === undefined).map((e) => e.name));
  const read = part.columns.filter((c) => inFile.has(c) && !(part.constants && c in part.constants));
  const columns = part.columns;
  let groupStart = 0;
  for (const group of metadata.row_groups) {
    signal?.throwIfAborted();
    const n = Number(group.num_rows);
    const start = groupStart;
    groupStart += n;
    if (n === 0) continue;
    const data = new Map<string, unknown[]>();
    for (const c of read) data.set(c, new Array<unknown>(n));
    if (read.length > 0) {
      await pq.parquetRead({
        file, metadata, columns: read, rowStart: start, rowEnd: start + n,
        ...(compressors ? { compressors } : {}),
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
    }
    yield RowBatch.ofColumns(columns, columns.map((c) => data.get(c) ?? constantColumn(part.constants?.[c] ?? null, n)), n);
  }
}

/** Streams a Parquet file (its own columns, in file order). */
export async function* scanParquetFile(path: string, signal?: AbortSignal): AsyncGenerator<RowBatch> {
  const pq = await (hyparquet ??= import('hyparquet'));
  const file = await pq.asyncBufferFromFile(path).catch((e: Error) => {
    throw new SuiteError(`cannot read ${path}: ${e.message}`);
  });
  const metadata = await pq.parquetMetadataAsync(file);
  const columns = pq.parquetSchema(metadata).children.map((c) => c.element.name);
  let any = false;
  for await (const batch of scanFile({ path, columns }, signal)) {
    any = true;
    yield batch;
  }
  if (!any) yield RowBatch.ofRows([], columns);
}

/** A partition value (canonical, from the Delta log) as validation sees it. */
function partitionValue(type: unknown, v: DeltaValue): unknown {
  if (v === null) return null;
  if (type === 'timestamp' || type === 'timestamp_ntz') return typeof v === 'bigint' ? new Date(Number(v / 1000n)) : v;
  return toNumberIfSafe(v);
}

function columnsOf(schema: TableSchema): string[] {
  return schema.fields.map((f) => f.name);
}

/**
 * Streams a Delta table at a version (default latest) or timestamp: the snapshot's data files one after another,
 * each one row group at a time.
 */
export async function* scanDelta(path: string, at: { version?: number; timestamp?: string | number | Date }, signal?: AbortSignal): AsyncGenerator<RowBatch> {
  const table = await DeltaTable.open(path);
  const snapshot = await table.snapshot(at);
  const columns = columnsOf(snapshot.schema);
  const types = new Map(snapshot.schema.fields.map((f) => [f.name, f.type as unknown]));
  let any = false;
  for (const f of snapshot.files) {
    const constants: Record<string, unknown> = {};
    for (const c of snapshot.partitionColumns) constants[c] = partitionValue(types.get(c), f.partitionValues[c] ?? null);
    for await (const batch of scanFile({ path: f.absolutePath, columns, constants }, signal)) {
      any = true;
      yield batch;
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
