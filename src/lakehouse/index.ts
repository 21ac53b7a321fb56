/**
 * Lakehouse tables: the Delta Lake protocol in TypeScript (see README.md in this folder for what is implemented).
 *
 * @example
 * import { DeltaTable } from './lakehouse/index.ts';
 * const table = await DeltaTable.create('/data/events', { schema: { id: 'long', country: 'string' }, partitionBy: ['country'] });
 * await table.append([{ id: 1n, country: 'fr' }]);
 */
export { DeltaTable, type CreateTableOptions, type HistoryEntry, type ReadOptions, type SkippedWrite, type WriteOptions } from './delta-table.ts';
export { Snapshot, type DataFile, type VersionSelector } from './snapshot.ts';
export { Transaction, type CommitOptions, type CommitResult } from './transaction.ts';
export { DeltaLog, type CheckpointRef, type LogListing } from './delta-log.ts';
export type { Action, AddAction, CommitInfoAction, MetadataAction, ProtocolAction, RemoveAction, TxnAction } from './actions.ts';
export type { DeltaType, SchemaField, SchemaInput, TableSchema } from './schema.ts';
export type { Condition, Predicate } from './predicate.ts';
export type { FileStats } from './file-stats.ts';
export { formatTimestamp, type DeltaValue, type Row } from './value-mapping.ts';
export { ConcurrentModificationError, DeltaTableError, SchemaMismatchError, UnsupportedFeatureError } from './errors.ts';
