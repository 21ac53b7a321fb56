/**
 * Overwrite with `replaceWhere`: in one commit, the rows matching a predicate are replaced by the rows written;
 * other rows stay. Every row written must itself match the predicate (else nothing is written and the error names
 * the row and the predicate), as Delta requires. Matching rows are removed copy-on-write (see delete.ts), so a
 * predicate on partition columns only removes whole files.
 */
import { ChangeLog, rewriteFiles, stageRewrite } from './copy-on-write.ts';
import type { DmlResult } from './delete.ts';
import { DeltaTableError } from './errors.ts';
import { compilePredicate, describePredicate, matchesRow, type Predicate } from './predicate.ts';
import { enforceSchema } from './schema-enforcement.ts';
import type { Snapshot } from './snapshot.ts';
import type { Transaction } from './transaction.ts';
import type { DeltaValue, Row } from './value-mapping.ts';

/**
 * Replaces the rows matching `replaceWhere` with `rows` in the transaction (txn action, if any, already staged) and
 * commits.
 *
 * @example
 * await overwriteWhere(await table.startTransaction(), rows, { day: '2024-05-01' });
 */
export async function overwriteWhere(tx: Transaction, rows: readonly Row[], replaceWhere: Predicate): Promise<DmlResult> {
  const started = Date.now();
  const snapshot = tx.snapshot as Snapshot;
  const schema = tx.schema; // with mergeSchema, the evolved schema
  const terms = compilePredicate(replaceWhere, snapshot.schema);
  const columns = enforceSchema(schema, rows);
  const canonical: Record<string, DeltaValue>[] = rows.map((_, r) => Object.fromEntries(schema.fields.map((f, c) => [f.name, columns[c][r]])));
  canonical.forEach((row, r) => {
    if (!matchesRow(terms, row)) {
      throw new DeltaTableError('DELTA_INVALID_ARGUMENT', `overwrite: row ${r} does not match replaceWhere (${describePredicate(replaceWhere)})`, {
        hint: 'with replaceWhere, every row written must satisfy the predicate', context: { row: r },
      });
    }
  });
  const { files, skipped } = snapshot.filesMatching(replaceWhere);
  tx.readPredicate(replaceWhere);
  tx.readFiles(files);
  const changes = new ChangeLog(tx.changeDataFeed);
  const { rewrites, deleted, copied } = await rewriteFiles(snapshot, files, (row) => (matchesRow(terms, row) ? null : undefined), changes);
  for (const row of canonical) changes.add('insert', row);
  const counts = await stageRewrite(tx, { rewrites, inserts: canonical, changes: changes.changes });
  const metrics = {
    numOutputRows: canonical.length, numDeletedRows: deleted, numCopiedRows: copied, numFilesScanned: files.length, numFilesSkipped: skipped,
    ...counts, executionTimeMs: Date.now() - started,
  };
  const { version } = await tx.commit({
    operation: 'WRITE',
    operationParameters: { mode: 'Overwrite', partitionBy: JSON.stringify(snapshot.partitionColumns), predicate: describePredicate(replaceWhere) },
    operationMetrics: metrics,
  });
  return { version, committed: true, metrics };
}
