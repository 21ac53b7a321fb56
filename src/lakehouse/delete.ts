/**
 * DELETE with a predicate, copy-on-write (see copy-on-write.ts): files whose partition values or statistics show
 * they cannot hold a matching row are skipped unread; a file whose rows all match is removed without rewriting; a
 * file with some matching rows is replaced by one holding the rest. Metrics follow delta-rs: numDeletedRows,
 * numCopiedRows, numAddedFiles, numRemovedFiles, numAddedChangeFiles.
 */
import { ChangeLog, commitRewrite, rewriteFiles } from './copy-on-write.ts';
import { compilePredicate, describePredicate, matchesRow, type Predicate } from './predicate.ts';
import type { Snapshot } from './snapshot.ts';
import type { Transaction } from './transaction.ts';

/**
 * The outcome of delete, update, merge or a replaceWhere overwrite: the version committed (or, when nothing
 * changed, the version read, with `committed: false`) and the operation metrics written to commitInfo.
 *
 * @example
 * const { version, metrics } = await table.delete({ country: 'fr' }); metrics.numDeletedRows;
 */
export interface DmlResult {
  readonly version: number;
  readonly committed: boolean;
  readonly metrics: Readonly<Record<string, number>>;
}

/**
 * Deletes the rows matching `where` (every row without one) in the transaction and commits.
 *
 * @example
 * await deleteWhere(await table.startTransaction(), { id: { lt: 100 } });
 */
export async function deleteWhere(tx: Transaction, where: Predicate | undefined): Promise<DmlResult> {
  const started = Date.now();
  const snapshot = tx.snapshot as Snapshot;
  const terms = compilePredicate(where, snapshot.schema);
  const { files, skipped } = snapshot.filesMatching(where);
  // Conflicts (Delta's rules): a concurrent commit removing a file read here, or adding one that may hold a row
  // matching `where`, fails this commit; anything else (appends elsewhere, compaction of other files) is retried past.
  tx.readPredicate(where);
  tx.readFiles(files);
  const partitionOnly = terms.every((t) => snapshot.partitionColumns.includes(t.column));
  const changes = new ChangeLog(tx.changeDataFeed);
  // A partition-only predicate matches whole files: remove them unread unless their rows are needed (CDF, no count).
  const unread = partitionOnly && !tx.changeDataFeed ? files.filter((f) => f.stats.numRecords !== undefined) : [];
  const toScan = files.filter((f) => !unread.includes(f));
  const scanned = await rewriteFiles(snapshot, toScan, (row) => (matchesRow(terms, row) ? null : undefined), changes);
  const rewrites = [...unread.map((file) => ({ file, output: [] })), ...scanned.rewrites];
  const deleted = unread.reduce((n, f) => n + (f.stats.numRecords as number), scanned.deleted);
  const base = { numDeletedRows: deleted, numCopiedRows: scanned.copied, numFilesScanned: toScan.length, numFilesSkipped: skipped };
  return commitRewrite(tx, { rewrites, inserts: [], changes: changes.changes }, base, started, { operation: 'DELETE', operationParameters: { predicate: describePredicate(where) } });
}
