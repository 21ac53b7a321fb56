/**
 * DELETE with a predicate, copy-on-write (see copy-on-write.ts): files whose partition values or statistics show
 * they cannot hold a matching row are skipped unread; a file whose rows all match is removed without rewriting; a
 * file with some matching rows is replaced by one holding the rest. Metrics follow delta-rs: numDeletedRows,
 * numCopiedRows, numAddedFiles, numRemovedFiles, numAddedChangeFiles.
 */
import { ChangeLog, scanFiles, stageRewrite } from './copy-on-write.ts';
import { compilePredicate, describePredicate, matchesRow, type Predicate } from './predicate.ts';
import type { Snapshot } from './snapshot.ts';
import type { Transaction } from './transaction.ts';
import type { Row } from './value-mapping.ts';

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
  const rewrites: { file: (typeof files)[number]; output: Row[] }[] = [];
  const changes = new ChangeLog(tx.changeDataFeed);
  let deleted = 0;
  let copied = 0;
  // A partition-only predicate matches whole files: remove them unread unless their rows are needed (CDF, no count).
  const unread = partitionOnly && !tx.changeDataFeed ? files.filter((f) => f.stats.numRecords !== undefined) : [];
  for (const file of unread) {
    rewrites.push({ file, output: [] });
    deleted += file.stats.numRecords as number;
  }
  const toScan = files.filter((f) => !unread.includes(f));
  for (const { file, rows } of await scanFiles(snapshot, toScan)) {
    const output: Row[] = [];
    for (const row of rows) {
      if (matchesRow(terms, row)) changes.add('delete', row);
      else output.push(row);
    }
    if (output.length === rows.length) continue;
    deleted += rows.length - output.length;
    copied += output.length;
    rewrites.push({ file, output });
  }
  const base = { numDeletedRows: deleted, numCopiedRows: copied, numFilesScanned: toScan.length, numFilesSkipped: skipped };
  if (rewrites.length === 0) {
    return { version: snapshot.version, committed: false, metrics: { ...base, numAddedFiles: 0, numRemovedFiles: 0, numAddedChangeFiles: 0, executionTimeMs: Date.now() - started } };
  }
  const counts = await stageRewrite(tx, { rewrites, inserts: [], changes: changes.changes });
  const metrics = { ...base, ...counts, executionTimeMs: Date.now() - started };
  const { version } = await tx.commit({ operation: 'DELETE', operationParameters: { predicate: describePredicate(where) }, operationMetrics: metrics });
  return { version, committed: true, metrics };
}
