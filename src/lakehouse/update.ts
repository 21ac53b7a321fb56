/**
 * UPDATE with a predicate, copy-on-write (see copy-on-write.ts): only files that may hold a matching row (by
 * partition values and statistics) are read; a file with matching rows is replaced by one with those rows updated
 * and the others copied. Updated rows are validated against the schema (nothing is written if one fails); an update
 * of a partition column moves the row to its new partition. Metrics follow delta-rs: numUpdatedRows, numCopiedRows,
 * numAddedFiles, numRemovedFiles, numAddedChangeFiles.
 */
import { ChangeLog, commitRewrite, rewriteFiles } from './copy-on-write.ts';
import type { DmlResult } from './delete.ts';
import { DeltaTableError } from './errors.ts';
import { compilePredicate, describePredicate, matchesRow, type Predicate } from './predicate.ts';
import type { TableSchema } from './schema.ts';
import type { Snapshot } from './snapshot.ts';
import type { Transaction } from './transaction.ts';
import type { DeltaValue, Row } from './value-mapping.ts';

/**
 * New values by column: a value, or a function of the current row (canonical values).
 *
 * @example
 * const set: UpdateSet = { status: 'shipped', amount: (row) => (row.amount as number) * 2 };
 */
export type UpdateSet = Readonly<Record<string, DeltaValue | ((row: Readonly<Record<string, DeltaValue>>) => DeltaValue)>>;

/**
 * Checks the columns of a set clause exist.
 *
 * @example
 * checkColumns(schema, ['status'], 'update');
 */
export function checkColumns(schema: TableSchema, columns: Iterable<string>, what: string): void {
  for (const c of columns) {
    if (!schema.fields.some((f) => f.name === c)) {
      throw new DeltaTableError('DELTA_INVALID_ARGUMENT', `${what}: unknown column '${c}'`, { hint: `columns are ${schema.fields.map((f) => f.name).join(', ')}` });
    }
  }
}

/**
 * Applies `set` to the rows matching `where` (every row without one) in the transaction and commits.
 *
 * @example
 * await updateWhere(await table.startTransaction(), { id: 7 }, { status: 'done' });
 */
export async function updateWhere(tx: Transaction, where: Predicate | undefined, set: UpdateSet): Promise<DmlResult> {
  const started = Date.now();
  const snapshot = tx.snapshot as Snapshot;
  checkColumns(snapshot.schema, Object.keys(set), 'update');
  if (Object.keys(set).length === 0) throw new DeltaTableError('DELTA_INVALID_ARGUMENT', 'update: nothing to set');
  const terms = compilePredicate(where, snapshot.schema);
  const { files, skipped } = snapshot.filesMatching(where);
  // Conflicts (Delta's rules): a concurrent commit removing a file read here, or adding one that may hold a row
  // matching `where`, fails this commit; anything else (appends elsewhere, compaction of other files) is retried past.
  tx.readPredicate(where);
  tx.readFiles(files);
  const changes = new ChangeLog(tx.changeDataFeed);
  const assignments = Object.entries(set);
  const { rewrites, updated, copied } = await rewriteFiles(snapshot, files, (row) => {
    if (!matchesRow(terms, row)) return undefined;
    const after: Row = { ...row };
    for (const [c, v] of assignments) after[c] = typeof v === 'function' ? v(row) : v;
    return after;
  }, changes);
  const base = { numUpdatedRows: updated, numCopiedRows: copied, numFilesScanned: files.length, numFilesSkipped: skipped };
  return commitRewrite(tx, { rewrites, inserts: [], changes: changes.changes }, base, started, { operation: 'UPDATE', operationParameters: { predicate: describePredicate(where) } });
}
