/**
 * Writes rows as Parquet data files: groups them by partition values into Hive-style directories
 * (`col=value/part-….snappy.parquet`), computes each file's statistics, and returns the `add` actions to commit.
 * Data files are written before the commit; until a commit references them they are invisible orphans.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { AddAction } from './actions.ts';
import { computeStats } from './file-stats.ts';
import { writeParquet } from './parquet-io.ts';
import { dataFilePath, partitionDir, toLogPath } from './partition-path.ts';
import type { TableSchema } from './schema.ts';
import { type DeltaValue, toPartitionString } from './value-mapping.ts';

/**
 * Rows per data file at most (larger groups are split).
 *
 * @example
 * Math.ceil(2_500_000 / MAX_ROWS_PER_FILE); // 3 files for one partition of 2.5M rows
 */
export const MAX_ROWS_PER_FILE = 1_000_000;

/**
 * Where files go: data files are `[partition dirs/]part-….snappy.parquet`; change data files (CDF) are
 * `_change_data/[partition dirs/]cdc-….snappy.parquet`.
 *
 * @example
 * const cdcLayout: FileLayout = { root: '_change_data', prefix: 'cdc' };
 */
export interface FileLayout {
  readonly root?: string;
  readonly prefix?: string;
}

/**
 * Writes validated columns (canonical values in schema order, see `enforceSchema`) as data files and returns their
 * `add` actions (dataChange true).
 *
 * @example
 * const adds = await writeDataFiles('/data/t', schema, ['country'], enforceSchema(schema, rows));
 */
export async function writeDataFiles(tablePath: string, schema: TableSchema, partitionColumns: readonly string[],
  columns: readonly DeltaValue[][], now = Date.now(), layout: FileLayout = {}): Promise<AddAction[]> {
  const numRows = columns[0]?.length ?? 0;
  if (numRows === 0) return [];
  const fields = schema.fields;
  const partIdx = partitionColumns.map((c) => fields.findIndex((f) => f.name === c));
  const dataIdx = fields.map((_, i) => i).filter((i) => !partIdx.includes(i));
  const dataFields = dataIdx.map((i) => fields[i]);

  // Group row indexes by their serialized partition values.
  const groups = new Map<string, { values: Record<string, string | null>; rows: number[] }>();
  for (let r = 0; r < numRows; r++) {
    const values: Record<string, string | null> = {};
    partIdx.forEach((i, k) => { values[partitionColumns[k]] = toPartitionString(fields[i].type, columns[i][r]); });
    const key = JSON.stringify(partitionColumns.map((c) => values[c]));
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { values, rows: [] }));
    g.rows.push(r);
  }

  const adds: AddAction[] = [];
  let part = 0;
  for (const { values, rows } of groups.values()) {
    for (let start = 0; start < rows.length; start += MAX_ROWS_PER_FILE) {
      const slice = rows.slice(start, start + MAX_ROWS_PER_FILE);
      const fileColumns = dataIdx.map((i) => (slice.length === numRows ? columns[i] : slice.map((r) => columns[i][r])));
      const bytes = await writeParquet(dataFields, fileColumns);
      const name = `${layout.prefix ?? 'part'}-${String(part++).padStart(5, '0')}-${randomUUID()}-c000.snappy.parquet`;
      const dir = [layout.root ?? '', partitionColumns.length > 0 ? partitionDir(partitionColumns, values) : ''].filter((d) => d !== '').join('/');
      const logPath = toLogPath(dir ? `${dir}/${name}` : name);
      const target = dataFilePath(tablePath, logPath);
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, bytes, { flag: 'wx' });
      adds.push({
        path: logPath, partitionValues: values, size: bytes.byteLength, modificationTime: now, dataChange: true,
        stats: computeStats(dataFields, fileColumns, slice.length),
      });
    }
  }
  return adds;
}
