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
import { computeStats, statsTags } from './file-stats.ts';
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
  /**
   * Statistics for the first this many data columns (`delta.dataSkippingNumIndexedCols`; -1 or absent: every
   * column); the other columns get none.
   */
  readonly numIndexedCols?: number;
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
      partIdx.forEach((i, k) => { values[partitionColumns[k]] = toPartitionString(fields[i].type, columns[i][r]); });
      groups.set(key, (g = { values, rows: [] }));
    }
    (g.rows as number[]).push(r);
  }

  const adds: AddAction[] = [];
  let part = 0;
  for (const { values, rows } of groups.values()) {
    const groupRows = rows?.length ?? numRows;
    for (let start = 0; start < groupRows; start += MAX_ROWS_PER_FILE) {
      const end = Math.min(groupRows, start + MAX_ROWS_PER_FILE);
      const count = end - start;
      const fileColumns = dataIdx.map((i) => {
        const column = columns[i];
        if (rows === undefined) return count === numRows ? column : column.slice(start, end);
        const out: DeltaValue[] = new Array(count);
        for (let k = 0; k < count; k++) out[k] = column[rows[start + k]];
        return out;
      });
      const bytes = await writeParquet(dataFields, fileColumns);
      const name = `${layout.prefix ?? 'part'}-${String(part++).padStart(5, '0')}-${randomUUID()}-c000.snappy.parquet`;
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
