/**
 * Writes rows as Parquet data files: groups them by partition values into Hive-style directories
 * (`col=value/part-….snappy.parquet`), computes each file's statistics, and returns the `add` actions to commit.
 * Data files are written before the commit; until a commit references them they are invisible orphans.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { isObjectStoreUrl, locateObject } from '../object-store/index.ts';
import type { AddAction } from './actions.ts';
import { SchemaMismatchError } from './errors.ts';
import { computeStats, statsTags } from './file-stats.ts';
import { writeParquet } from './parquet-io.ts';
import { dataFilePath, partitionDir, toLogPath } from './partition-path.ts';
import type { SchemaField, TableSchema } from './schema.ts';
import type { DataFileOptions } from './table-properties.ts';
import { type DeltaValue, toPartitionString } from './value-mapping.ts';

/**
 * Rows per data file at most (larger groups are split).
 *
 * @example
 * Math.ceil(2_500_000 / MAX_ROWS_PER_FILE); // 3 files for one partition of 2.5M rows
 */
export const MAX_ROWS_PER_FILE = 1_000_000;

/**
 * Where files go: data files are `[partition dirs/]part-….<codec>.parquet` (snappy, zstd; none when uncompressed);
 * change data files (CDF) are `_change_data/[partition dirs/]cdc-….<codec>.parquet`.
 *
 * @example
 * const cdcLayout: FileLayout = { root: '_change_data', prefix: 'cdc' };
 */
export interface FileLayout {
  readonly root?: string;
  readonly prefix?: string;
  /**
   * Statistics for the first this many data columns (`delta.dataSkippingNumIndexedCols`; -1 or absent: every
   * column); the other columns get none.
   */
  readonly numIndexedCols?: number;
  /** How files are encoded and sized (table properties and write options, see `dataFileOptions`). */
  readonly parquet?: DataFileOptions;
}

/**
 * Writes validated columns (canonical values in schema order, see `enforceSchema`) as data files and returns their
 * `add` actions (dataChange true).
 *
 * @example
 * const adds = await writeDataFiles('/data/t', schema, ['country'], enforceSchema(schema, rows));
 */
export async function writeDataFiles(tablePath: string, schema: TableSchema, partitionColumns: readonly string[],
  columns: readonly ArrayLike<DeltaValue>[], now = Date.now(), layout: FileLayout = {}): Promise<AddAction[]> {
  const numRows = columns[0]?.length ?? 0;
  if (numRows === 0) return [];
  const fields = schema.fields;
  const partIdx = partitionColumns.map((c) => fields.findIndex((f) => f.name === c));
  const dataIdx = fields.map((_, i) => i).filter((i) => !partIdx.includes(i));
  const dataFields = dataIdx.map((i) => fields[i]);
  const indexed = layout.numIndexedCols ?? -1;
  const statsFields = indexed < 0 ? dataFields : dataFields.slice(0, indexed);

  // Group row indexes by their serialized partition values (an unpartitioned table is one group, built without a
  // pass over the rows).
  const groups = new Map<string, { values: Record<string, string | null>; rows: number[] | undefined }>();
  if (partIdx.length === 0) groups.set('', { values: {}, rows: undefined });
  for (let r = 0; r < numRows && partIdx.length > 0; r++) {
    let key: string;
    if (partIdx.length === 1) {
      const v = columns[partIdx[0]][r];
      key = v === null ? 'n' : `v${String(v)}`;
    } else {
      key = JSON.stringify(partIdx.map((i) => (columns[i][r] === null ? null : String(columns[i][r]))));
    }
    let g = groups.get(key);
    if (!g) {
      const values: Record<string, string | null> = {};
      partIdx.forEach((i, k) => { values[partitionColumns[k]] = partitionString(fields[i], columns[i][r], r); });
      groups.set(key, (g = { values, rows: [] }));
    }
    (g.rows as number[]).push(r);
  }

  const adds: AddAction[] = [];
  const { targetFileSize, ...encoding } = layout.parquet ?? {};
  // Rows per file: at most MAX_ROWS_PER_FILE, or about targetFileSize bytes — estimated from the columns' widths
  // for the first file, then from the bytes per row of the files written so far.
  let bytesPerRow = targetFileSize === undefined ? 0 : estimatedBytesPerRow(dataFields, columns, dataIdx);
  let writtenBytes = 0;
  let writtenRows = 0;
  const rowsPerFile = (): number => (targetFileSize === undefined
    ? MAX_ROWS_PER_FILE
    : Math.max(1, Math.floor(targetFileSize / (writtenRows > 0 ? writtenBytes / writtenRows : bytesPerRow))));
  let part = 0;
  for (const { values, rows } of groups.values()) {
    const groupRows = rows?.length ?? numRows;
    for (let start = 0, end = 0; start < groupRows; start = end) {
      end = Math.min(groupRows, start + rowsPerFile());
      const count = end - start;
      const fileColumns = dataIdx.map((i) => {
        const column = columns[i];
        if (rows === undefined) return count === numRows ? column : sliceColumn(column, start, end);
        const out: DeltaValue[] = new Array(count);
        for (let k = 0; k < count; k++) out[k] = column[rows[start + k]];
        return out;
      });
      const bytes = await writeParquet(dataFields, fileColumns, encoding);
      writtenBytes += bytes.byteLength;
      writtenRows += count;
      bytesPerRow = writtenBytes / writtenRows;
      const name = `${layout.prefix ?? 'part'}-${String(part++).padStart(5, '0')}-${randomUUID()}-c000.${CODEC_SUFFIX[encoding.compression ?? 'snappy']}parquet`;
      const dir = [layout.root ?? '', partitionColumns.length > 0 ? partitionDir(partitionColumns, values) : ''].filter((d) => d !== '').join('/');
      const logPath = toLogPath(dir ? `${dir}/${name}` : name);
      const target = dataFilePath(tablePath, logPath);
      if (isObjectStoreUrl(target)) {
        const { store, key } = locateObject(target);
        await store.put(key, bytes); // the name holds a fresh UUID: nothing to overwrite
      } else {
        await mkdir(dirname(target), { recursive: true });
        await writeFile(target, bytes, { flag: 'wx' });
      }
      const stats = computeStats(statsFields, fileColumns.slice(0, statsFields.length), count);
      const tags = statsTags(stats);
      adds.push({
        path: logPath, partitionValues: values, size: bytes.byteLength, modificationTime: now, dataChange: true, stats, ...(tags ? { tags } : {}),
      });
    }
  }
  return adds;
}

/** A row's partition value as the log writes it; a timestamp past a Date's range is the row's error, not a RangeError. */
function partitionString(field: SchemaField, value: DeltaValue, row: number): string | null {
  try {
    return toPartitionString(field.type, value);
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    throw new SchemaMismatchError(field.name, `row ${row}: partition column '${field.name}' (${field.type}) holds ${String(value)} µs, past the dates a partition value can name`, { row });
  }
}

/** Rows [start, end) of a column (an array, or a typed array from `enforceSchemaTyped`). */
function sliceColumn(column: ArrayLike<DeltaValue>, start: number, end: number): ArrayLike<DeltaValue> {
  return ArrayBuffer.isView(column) ? (column as unknown as Float64Array).subarray(start, end) as ArrayLike<DeltaValue> : (column as DeltaValue[]).slice(start, end);
}

/** File name codec parts, as Spark names its files. */
const CODEC_SUFFIX: Readonly<Record<string, string>> = { snappy: 'snappy.', zstd: 'zstd.', uncompressed: '' };

const WIDTH: Readonly<Record<string, number>> = { long: 8, double: 8, timestamp: 8, timestamp_ntz: 8, integer: 4, float: 4, date: 4, short: 2, byte: 1, boolean: 1 };

/** A first guess of a file's bytes per row (before compression): fixed widths, strings by a sample of values. */
function estimatedBytesPerRow(fields: readonly SchemaField[], columns: readonly ArrayLike<DeltaValue>[], dataIdx: readonly number[]): number {
  let bytes = 0;
  fields.forEach((f, k) => {
    const fixed = WIDTH[f.type];
    if (fixed !== undefined) { bytes += fixed; return; }
    const column = columns[dataIdx[k]];
    const step = Math.max(1, Math.floor(column.length / 1000));
    let sampled = 0;
    let length = 0;
    for (let r = 0; r < column.length; r += step, sampled++) {
      const v = column[r];
      length += typeof v === 'string' ? v.length : v instanceof Uint8Array ? v.length : v === null ? 0 : 16;
    }
    bytes += 4 + length / Math.max(1, sampled);
  });
  return Math.max(1, bytes);
}
