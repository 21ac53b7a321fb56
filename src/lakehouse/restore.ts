/**
 * RESTORE: make the latest version hold what an earlier version (or the version current at a timestamp) held, as a
 * new commit — time travel that writes. The commit re-adds the data files the earlier version had and the latest
 * has not (`add`, dataChange true), removes the files the latest has and the earlier version had not (`remove`,
 * dataChange true), and writes the earlier version's metaData with a protocol no lower than the current one (a
 * restore never downgrades readers' or writers' requirements). commitInfo: operation RESTORE, operationParameters
 * `{ version }` (and `timestamp` when restoring by time), metrics as delta-rs names them (numRemovedFile,
 * numRestoredFile) plus Spark's sizes (tableSizeAfterRestore, numOfFilesAfterRestore, removedFilesSize,
 * restoredFilesSize). A file vacuumed since the earlier version makes the restore fail, naming the file.
 */
import type { ProtocolAction } from './actions.ts';
import { DeltaTableError } from './errors.ts';
import { type DataFile, Snapshot } from './snapshot.ts';
import { assertWritable } from './table-features.ts';
import type { Transaction } from './transaction.ts';
import { locationExists } from '../object-store/index.ts';

/**
 * What to restore: a version, or the version current at a timestamp (a Date or an ISO-8601 string).
 *
 * @example
 * await table.restore({ version: 3 });
 * await table.restore({ timestamp: '2024-05-01T00:00:00Z' });
 */
export type RestoreTarget = { readonly version: number } | { readonly timestamp: string | Date };

/**
 * The outcome of a restore: the new version (or, when the table already holds the target's files and metadata, the
 * current one with `committed: false`) and the metrics written to commitInfo.
 *
 * @example
 * const { version, metrics } = await table.restore({ version: 2 }); metrics.numRestoredFile;
 */
export interface RestoreResult {
  readonly version: number;
  readonly committed: boolean;
  /** The version restored to. */
  readonly restoredVersion: number;
  readonly metrics: {
    readonly numRemovedFile: number;
    readonly numRestoredFile: number;
    readonly tableSizeAfterRestore: number;
    readonly numOfFilesAfterRestore: number;
    readonly removedFilesSize: number;
    readonly restoredFilesSize: number;
  };
}

function union(a: readonly string[] | undefined, b: readonly string[] | undefined): string[] | undefined {
  if (a === undefined && b === undefined) return undefined;
  return [...new Set([...(a ?? []), ...(b ?? [])])].sort();
}

/** The protocol after a restore: the higher of the current and the restored one, feature lists merged. */
function restoredProtocol(current: ProtocolAction, target: ProtocolAction): ProtocolAction {
  const p: ProtocolAction = {
    minReaderVersion: Math.max(current.minReaderVersion, target.minReaderVersion),
    minWriterVersion: Math.max(current.minWriterVersion, target.minWriterVersion),
  };
  const readerFeatures = union(current.readerFeatures, target.readerFeatures);
  const writerFeatures = union(current.writerFeatures, target.writerFeatures);
  if (p.minReaderVersion === 3 && readerFeatures) p.readerFeatures = readerFeatures;
  if (p.minWriterVersion === 7 && writerFeatures) p.writerFeatures = writerFeatures;
  return p;
}

const sizeOf = (files: readonly DataFile[]): number => files.reduce((n, f) => n + f.size, 0);

/**
 * Restores the table in the transaction (started on the latest snapshot) to `target`, and commits.
 *
 * @example
 * await restoreTable(await table.startTransaction(), { version: 2 });
 */
export async function restoreTable(tx: Transaction, target: RestoreTarget): Promise<RestoreResult> {
  const current = tx.snapshot as Snapshot;
  const byVersion = 'version' in target;
  if (byVersion ? target.version === undefined : (target as { timestamp?: unknown }).timestamp === undefined) {
    throw new DeltaTableError('DELTA_INVALID_ARGUMENT', 'restore: give { version } or { timestamp }');
  }
  const old = await Snapshot.load(tx.log, byVersion ? { version: target.version } : { timestamp: target.timestamp });
  const now = new Set(current.files.map((f) => f.path));
  const then = new Set(old.files.map((f) => f.path));
  const restored = old.files.filter((f) => !now.has(f.path));
  const removed = current.files.filter((f) => !then.has(f.path));
  const metrics = {
    numRemovedFile: removed.length, numRestoredFile: restored.length,
    tableSizeAfterRestore: sizeOf(old.files), numOfFilesAfterRestore: old.files.length,
    removedFilesSize: sizeOf(removed), restoredFilesSize: sizeOf(restored),
  };
  const sameMetadata = JSON.stringify(old.metadata) === JSON.stringify(current.metadata);
  if (restored.length === 0 && removed.length === 0 && sameMetadata) {
    return { version: current.version, committed: false, restoredVersion: old.version, metrics };
  }
  for (const f of restored) {
    const exists = await locationExists(f.absolutePath);
    if (!exists) {
      throw new DeltaTableError('DELTA_VERSION_NOT_FOUND', `restore: version ${old.version} cannot be restored, its data file ${f.path} is gone (vacuumed)`, {
        hint: 'restore a more recent version (vacuum deletes files removed longer ago than its retention)',
      });
    }
  }
  const protocol = restoredProtocol(current.protocol, old.protocol);
  assertWritable(protocol, old.metadata, old.schema);
  tx.readTable(); // the outcome depends on the whole current state: any concurrent data change conflicts
  const deletionTimestamp = Date.now();
  for (const f of restored) tx.addFile({ ...f.add, dataChange: true });
  for (const f of removed) tx.removeFile(f, deletionTimestamp);
  tx.setMetadata(old.metadata, protocol);
  const parameters: Record<string, string> = { version: String(old.version) };
  if (!byVersion) parameters.timestamp = new Date((target as { timestamp: string | Date }).timestamp).toISOString();
  const { version } = await tx.commit({ operation: 'RESTORE', operationParameters: parameters, operationMetrics: metrics });
  return { version, committed: true, restoredVersion: old.version, metrics };
}
