/**
 * OPTIMIZE: compaction of small files (bin-packing) or clustering by up to 4 columns (Z-order), per partition, in one
 * commit whose `add`/`remove` actions say `dataChange: false` (the rows are unchanged, so change data readers and
 * streaming readers skip it, and concurrent transactions that read other files are not disturbed).
 *
 * Strategy: 1. candidate files: those of the partitions matching `where` (partition columns only); 2. bin-packing:
 * in each partition, files smaller than `targetFileSize` are taken in log order and packed greedily into bins of at
 * most that size; a bin of one file is left alone; each bin becomes one file (rows in their original order);
 * 3. Z-order: every file of each partition is read, its rows sorted by Z-order key (z-order.ts) and cut into files
 * of about `targetFileSize` (rows per file from the partition's bytes per row), so each file covers a compact box
 * of the Z-order columns; 4. commit: removes and adds (dataChange false); commitInfo OPTIMIZE with delta-rs'
 * parameters (targetSize, predicate; zOrderBy as Spark) and metrics (numFilesAdded, numFilesRemoved, filesAdded/
 * filesRemoved as JSON strings of min/max/avg/totalFiles/totalSize, partitionsOptimized, numBatches,
 * totalConsideredFiles, totalFilesSkipped, preserveInsertionOrder).
 * Conflicts: the files compacted are read files — a concurrent commit removing one of them (a DELETE, another
 * OPTIMIZE) makes this one fail, and this one's removes make such a concurrent DML fail; appends never conflict.
 */
import { scanFiles } from './copy-on-write.ts';
import { DeltaTableError } from './errors.ts';
import { describePredicate, type Predicate } from './predicate.ts';
import type { DataFile, Snapshot } from './snapshot.ts';
import { dataFileOptions } from './table-properties.ts';
import type { Transaction } from './transaction.ts';
import type { Row } from './value-mapping.ts';
import { compareUtf8 } from './value-order.ts';
import { sortByZOrder } from './z-order.ts';

/** delta-rs' default target file size: 100 MiB. */
export const DEFAULT_TARGET_FILE_SIZE = 100 * 1024 * 1024;

/**
 * Options of `optimize`.
 *
 * @example
 * await table.optimize({ zOrderBy: ['x', 'y'], targetFileSize: 32 << 20, where: { day: '2024-05-01' } });
 */
export interface OptimizeOptions {
  /** Bytes; default the table's `delta.targetFileSize`, else 100 MiB (delta-rs). */
  readonly targetFileSize?: number;
  /** Cluster by these columns (1 to 4, not partition columns) instead of bin-packing. */
  readonly zOrderBy?: readonly string[];
  /** Only partitions matching this predicate on partition columns. */
  readonly where?: Predicate;
}

/**
 * Size statistics of a set of files (delta-rs' `filesAdded`/`filesRemoved`).
 *
 * @example
 * const s: FileSizeStats = { min: 10, max: 20, avg: 15, totalFiles: 2, totalSize: 30 };
 */
export interface FileSizeStats {
  readonly min: number;
  readonly max: number;
  readonly avg: number;
  readonly totalFiles: number;
  readonly totalSize: number;
}

/**
 * Metrics of an optimize, named as delta-rs names them.
 *
 * @example
 * const { metrics } = await table.optimize(); metrics.numFilesRemoved;
 */
export interface OptimizeMetrics {
  readonly numFilesAdded: number;
  readonly numFilesRemoved: number;
  readonly filesAdded: FileSizeStats;
  readonly filesRemoved: FileSizeStats;
  readonly partitionsOptimized: number;
  readonly numBatches: number;
  readonly totalConsideredFiles: number;
  readonly totalFilesSkipped: number;
  readonly preserveInsertionOrder: boolean;
}

/**
 * The outcome of an optimize: the version committed, or undefined (`committed: false`) when there was nothing to do.
 *
 * @example
 * const r = await table.optimize(); if (r.committed) console.log(r.version, r.metrics.numFilesRemoved);
 */
export interface OptimizeResult {
  readonly version: number | undefined;
  readonly committed: boolean;
  readonly metrics: OptimizeMetrics;
}

function sizeStats(sizes: readonly number[]): FileSizeStats {
  if (sizes.length === 0) return { min: 0, max: 0, avg: 0, totalFiles: 0, totalSize: 0 };
  const totalSize = sizes.reduce((a, b) => a + b, 0);
  const min = sizes.reduce((a, b) => Math.min(a, b), Infinity);
  const max = sizes.reduce((a, b) => Math.max(a, b), 0);
  return { min, max, avg: totalSize / sizes.length, totalFiles: sizes.length, totalSize };
}

function checkOptions(snapshot: Snapshot, options: OptimizeOptions): { target: number; zOrderBy: readonly string[] } {
  const target = options.targetFileSize ?? dataFileOptions(snapshot.metadata).targetFileSize ?? DEFAULT_TARGET_FILE_SIZE;
  if (!Number.isSafeInteger(target) || target <= 0) {
    throw new DeltaTableError('DELTA_INVALID_ARGUMENT', `optimize: targetFileSize must be a positive number of bytes, got ${String(options.targetFileSize)}`);
  }
  const zOrderBy = options.zOrderBy ?? [];
  if (options.zOrderBy !== undefined && (zOrderBy.length === 0 || zOrderBy.length > 4)) {
    throw new DeltaTableError('DELTA_INVALID_ARGUMENT', `optimize: zOrderBy takes 1 to 4 columns, got ${zOrderBy.length}`, { hint: 'more columns dilute clustering; pick the ones queries filter on most' });
  }
  const names = snapshot.schema.fields.map((f) => f.name);
  for (const c of zOrderBy) {
    if (!names.includes(c)) throw new DeltaTableError('DELTA_INVALID_ARGUMENT', `optimize: zOrderBy column '${c}' is not in the schema`, { hint: `columns are ${names.join(', ')}` });
    if (snapshot.partitionColumns.includes(c)) throw new DeltaTableError('DELTA_INVALID_ARGUMENT', `optimize: '${c}' is a partition column; Z-order clusters within partitions, so use other columns`);
    const nested = snapshot.schema.fields.find((f) => f.name === c && f.nested !== undefined);
    if (nested) throw new DeltaTableError('DELTA_INVALID_ARGUMENT', `optimize: zOrderBy column '${c}' is ${nested.type}; nested columns have no order to cluster by`);
  }
  if (new Set(zOrderBy).size !== zOrderBy.length) throw new DeltaTableError('DELTA_INVALID_ARGUMENT', `optimize: zOrderBy lists a column twice (${zOrderBy.join(', ')})`);
  for (const c of Object.keys(options.where ?? {})) {
    if (!snapshot.partitionColumns.includes(c)) {
      throw new DeltaTableError('DELTA_INVALID_ARGUMENT', `optimize: where may only use partition columns, and '${c}' is not one`, { hint: snapshot.partitionColumns.length ? `partition columns: ${snapshot.partitionColumns.join(', ')}` : 'the table is not partitioned: optimize it whole' });
    }
  }
  return { target, zOrderBy };
}

/** Files grouped by partition (serialized partition values), in log order. */
function byPartition(files: readonly DataFile[]): DataFile[][] {
  const groups = new Map<string, DataFile[]>();
  for (const f of files) {
    const key = JSON.stringify(Object.entries(f.add.partitionValues).sort(([a], [b]) => compareUtf8(a, b)));
    const g = groups.get(key);
    if (g) g.push(f); else groups.set(key, [f]);
  }
  return [...groups.values()];
}

/** Bin-packing: greedy bins of small files up to the target size; bins of one file are dropped. */
function packBins(files: readonly DataFile[], target: number): DataFile[][] {
  const bins: DataFile[][] = [];
  let bin: DataFile[] = [];
  let size = 0;
  for (const f of files) {
    if (f.size >= target) continue;
    if (bin.length > 0 && size + f.size > target) { bins.push(bin); bin = []; size = 0; }
    bin.push(f);
    size += f.size;
  }
  if (bin.length > 0) bins.push(bin);
  return bins.filter((b) => b.length > 1);
}

/**
 * Runs an optimize in the transaction (started on the latest snapshot) and commits it.
 *
 * @example
 * await optimizeTable(await table.startTransaction(), { zOrderBy: ['x', 'y'] });
 */
export async function optimizeTable(tx: Transaction, options: OptimizeOptions = {}): Promise<OptimizeResult> {
  const snapshot = tx.snapshot as Snapshot;
  const { target, zOrderBy } = checkOptions(snapshot, options);
  const considered = snapshot.filesMatching(options.where).files;
  const partitions = byPartition(considered);
  const removed: DataFile[] = [];
  const addedSizes: number[] = [];
  let partitionsOptimized = 0;
  let numBatches = 0;
  const deletionTimestamp = Date.now();
  for (const files of partitions) {
    const batches: { files: DataFile[]; rowsPerFile: number }[] = [];
    if (zOrderBy.length > 0) {
      const rows = files.reduce((n, f) => n + (f.stats.numRecords ?? 0), 0);
      const bytes = files.reduce((n, f) => n + f.size, 0);
      batches.push({ files, rowsPerFile: rows > 0 && bytes > 0 ? Math.max(1, Math.floor(target / (bytes / rows))) : Number.MAX_SAFE_INTEGER });
    } else {
      for (const bin of packBins(files, target)) batches.push({ files: bin, rowsPerFile: Number.MAX_SAFE_INTEGER });
    }
    if (batches.length === 0) continue;
    partitionsOptimized++;
    for (const batch of batches) {
      numBatches++;
      const scanned = await scanFiles(snapshot, batch.files);
      const inOrder = scanned.flatMap((s) => s.rows);
      const rows: Row[] = zOrderBy.length > 0 ? sortByZOrder(inOrder, zOrderBy) : inOrder;
      for (let start = 0; start < rows.length; start += batch.rowsPerFile) {
        const adds = await tx.writeRows(rows.slice(start, start + batch.rowsPerFile), { dataChange: false });
        for (const a of adds) addedSizes.push(a.size);
      }
      tx.readFiles(batch.files);
      for (const f of batch.files) {
        tx.removeFile(f, deletionTimestamp, { dataChange: false });
        removed.push(f);
      }
    }
  }
  const metrics: OptimizeMetrics = {
    numFilesAdded: addedSizes.length, numFilesRemoved: removed.length,
    filesAdded: sizeStats(addedSizes), filesRemoved: sizeStats(removed.map((f) => f.size)),
    partitionsOptimized, numBatches, totalConsideredFiles: considered.length, totalFilesSkipped: considered.length - removed.length,
    preserveInsertionOrder: zOrderBy.length === 0,
  };
  if (removed.length === 0) return { version: undefined, committed: false, metrics };
  const { version } = await tx.commit({
    operation: 'OPTIMIZE',
    operationParameters: {
      targetSize: String(target), predicate: JSON.stringify(options.where ? [describePredicate(options.where)] : []),
      ...(zOrderBy.length > 0 ? { zOrderBy: JSON.stringify(zOrderBy) } : {}),
    },
    operationMetrics: { ...metrics, filesAdded: JSON.stringify(metrics.filesAdded), filesRemoved: JSON.stringify(metrics.filesRemoved) },
  });
  return { version, committed: true, metrics };
}
