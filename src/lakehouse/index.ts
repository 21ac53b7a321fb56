/**
 * Lakehouse tables: the Delta Lake protocol in TypeScript (see README.md in this folder for what is implemented).
 *
 * @example
 * import { DeltaTable } from './lakehouse/index.ts';
 * const table = await DeltaTable.create('/data/events', { schema: { id: 'long', country: 'string' }, partitionBy: ['country'] });
 * await table.append([{ id: 1n, country: 'fr' }]);
 */
export { DeltaTable, type CreateTableOptions, type HistoryEntry, type OpenTableOptions, type OverwriteOptions, type ReadOptions, type SkippedWrite, type WriteOptions } from './delta-table.ts';
export type { DmlResult } from './delete.ts';
export type { UpdateSet } from './update.ts';
export { MergeBuilder, type MatchedUpdate, type MergeOptions, type MergeRow, type NotMatchedBySourceUpdate, type NotMatchedInsert } from './merge.ts';
export { DEFAULT_TARGET_FILE_SIZE, type FileSizeStats, type OptimizeMetrics, type OptimizeOptions, type OptimizeResult } from './optimize.ts';
export type { VacuumOptions, VacuumResult } from './vacuum.ts';
export type { RestoreResult, RestoreTarget } from './restore.ts';
export type { SetPropertiesResult } from './set-properties.ts';
export { checkTableProperties, PARQUET_PROPERTIES, TABLE_PROPERTIES, dataFileOptions, type DataFileOptions } from './table-properties.ts';
export { cleanupExpiredLogs } from './log-cleanup.ts';
export { scdType1, scdType2, type ScdType2Options } from './scd.ts';
export type { ChangeRow, ChangesOptions } from './change-data-feed.ts';
export { Snapshot, type DataFile, type VersionSelector } from './snapshot.ts';
export { Transaction, type ChangeType, type CommitOptions, type CommitResult } from './transaction.ts';
export { discardStagedFiles, stageBatchFiles, stageDataFiles } from './staged-files.ts';
export { checkBatches } from './batch-writer.ts';
export { numIndexedCols } from './table-properties.ts';
export { DeltaLog, type CheckpointRef, type DeltaLogOptions, type LogListing } from './delta-log.ts';
export { resolveDataPath, type DataPathOptions } from './data-path.ts';
export { bytesSource, fileSource, GuardedParquet, type ByteSource } from './parquet-guard.ts';
export {
  AzureObjectStore, deleteLocation, isObjectStoreUrl, localCopies, localCopy, LocalObjectStore, locationExists, ObjectStoreError, openObjectStore, S3ObjectStore,
  type AzureOptions, type ObjectMeta, type ObjectStore, type ObjectStoreOptions, type S3Options,
} from '../object-store/index.ts';
export type { Action, AddAction, CdcAction, CommitInfoAction, MetadataAction, ProtocolAction, RemoveAction, TxnAction } from './actions.ts';
export type { DeltaType, NestedType, NestedTypeName, ReadableDeltaType, SchemaField, SchemaInput, TableSchema } from './schema.ts';
export { compilePredicate, matchesRow, type Condition, type Predicate, type Term } from './predicate.ts';
export { readDataFile } from './file-rows.ts';
export { readDataFileBatches, readSnapshotBatches, type BatchReadOptions } from './batch-scan.ts';
export { arrowTypeOf, loadArrow, type ArrowModule } from './arrow-batch.ts';
export { batchFields, batchRows, valueReader, type ValueAt } from './batch-rows.ts';
export type { FileStats } from './file-stats.ts';
export { describeValue, formatLocalTimestamp, formatTimestamp, isValueError, toCanonical, type DeltaValue, type NestedValue, type Row } from './value-mapping.ts';
export { decimalOf, parseTypeName } from './schema.ts';
export { ConcurrentModificationError, DeltaTableError, ParquetFileError, SchemaMismatchError, UnsupportedFeatureError, type DeltaTableErrorCode } from './errors.ts';
