/**
 * Data files staged for a later commit: rows validated against a schema and written as Parquet files into a table's
 * folder (the table may not exist yet), their `add` actions returned. For writers that write files in one place and
 * commit them in another — a parallel sink's workers and its one committer (`Transaction.addFile`), or a two-phase
 * sink's `prepareCommit` and `commit`. Until a commit's `add` names them the files are invisible orphans: vacuum
 * removes them, `discardStagedFiles` sooner.
 */
import type { RecordBatch } from 'apache-arrow';
import type { AddAction } from './actions.ts';
import { batchRows } from './batch-rows.ts';
import { writeBatchFiles } from './batch-writer.ts';
import { resolveDataPath } from './data-path.ts';
import { deleteLocation } from '../object-store/index.ts';
import { writeDataFiles } from './data-writer.ts';
import { enforceSchemaTyped } from './schema-enforcement.ts';
import { assertNoInPlaceWidening } from './schema-evolution.ts';
import { type TableSchema, withNestedTypes } from './schema.ts';
import type { DataFileOptions } from './table-properties.ts';
import type { Row } from './value-mapping.ts';

/**
 * Validates rows against `schema` (nothing is written if one fails) and writes them as data files of the table at
 * `tablePath`, partitioned by `partitionColumns`; returns their `add` actions (dataChange true), not committed.
 *
 * @example
 * const adds = await stageDataFiles('/lake/t', { fields: [{ name: 'id', type: 'long', nullable: true, metadata: {} }] }, [], [{ id: 1n }]);
 * const tx = await table.startTransaction(); for (const a of adds) tx.addFile(a); await tx.commit({ operation: 'WRITE' });
 */
export async function stageDataFiles(tablePath: string, given: TableSchema, partitionColumns: readonly string[], rows: readonly Row[],
  options: { readonly numIndexedCols?: number; readonly parquet?: DataFileOptions } = {}): Promise<AddAction[]> {
  const schema = withNestedTypes(given); // a schema built by hand may name nested types only
  let columns: ReturnType<typeof enforceSchemaTyped>;
  try {
    columns = enforceSchemaTyped(schema, rows);
  } catch (e) {
    assertNoInPlaceWidening(schema, rows); // a value needing a wider type gets the error that says how to widen
    throw e;
  }
  return writeDataFiles(tablePath, schema, partitionColumns, columns, Date.now(), { numIndexedCols: options.numIndexedCols ?? -1, parquet: options.parquet });
}

/**
 * Stages Arrow record batches as data files of the table at `tablePath` without row objects where the batch path
 * applies (`writeBatchFiles`: unpartitioned, primitive columns, every column in every batch, enough rows), else as the
 * batches' rows (`stageDataFiles`); returns their `add` actions, not committed. A batch column that does not match
 * the schema is a `SchemaMismatchError` naming it (nothing is written).
 *
 * @example
 * const adds = await stageBatchFiles('/lake/t', schema, [], batches);
 */
export async function stageBatchFiles(tablePath: string, given: TableSchema, partitionColumns: readonly string[], batches: readonly RecordBatch[],
  options: { readonly numIndexedCols?: number; readonly parquet?: DataFileOptions } = {}): Promise<AddAction[]> {
  const schema = withNestedTypes(given);
  const adds = await writeBatchFiles(tablePath, schema, partitionColumns, batches, Date.now(), { numIndexedCols: options.numIndexedCols ?? -1, parquet: options.parquet });
  if (adds !== undefined) return adds;
  const rows = batches.flatMap((b) => batchRows(b, schema.fields.filter((f) => b.schema.fields.some((c) => c.name === f.name))));
  return stageDataFiles(tablePath, schema, partitionColumns, rows, options);
}

/**
 * Deletes staged data files that will not be committed (best effort: a file already gone is fine). A path that would
 * leave the table is never touched (resolveDataPath refuses it).
 *
 * @example
 * await discardStagedFiles('/lake/t', adds);
 */
export async function discardStagedFiles(tablePath: string, adds: readonly AddAction[]): Promise<void> {
  await Promise.all(adds.map(async (a) => {
    try {
      await deleteLocation(resolveDataPath(tablePath, a.path));
    } catch {
      // gone already, or a path outside the table: nothing to delete
    }
  }));
}
