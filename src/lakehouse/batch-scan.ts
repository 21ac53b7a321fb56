/**
 * A table's rows as Arrow record batches (the columnar read path; `read` builds row objects): each data file of a
 * snapshot through arrow-read.ts, one batch per row group, columns in the order asked for.
 */
import type { RecordBatch } from 'apache-arrow';
import { readFileBatches } from './arrow-read.ts';
import { assertInsideTable } from './data-path.ts';
import { DeltaTableError } from './errors.ts';
import { expectationOf } from './file-rows.ts';
import { RiffleError } from '../model/index.ts';
import type { SchemaField, TableSchema } from './schema.ts';
import type { DataFile, Snapshot } from './snapshot.ts';

/**
 * Options of a batch read: a column projection (default every column, in schema order).
 *
 * @example
 * const options: BatchReadOptions = { columns: ['id', 'amount'] };
 */
export interface BatchReadOptions {
  readonly columns?: readonly string[];
}

/** The fields of `columns` (every field when absent), refusing unknown names. */
export function projectedFields(schema: TableSchema, columns: readonly string[] | undefined, what: string): readonly SchemaField[] {
  if (columns === undefined) return schema.fields;
  const byName = new Map(schema.fields.map((f) => [f.name, f]));
  return columns.map((c) => {
    const f = byName.get(c);
    if (f === undefined) throw new DeltaTableError('DELTA_INVALID_ARGUMENT', `${what}: unknown column '${c}'`, { hint: `columns are ${schema.fields.map((x) => x.name).join(', ')}` });
    return f;
  });
}

/**
 * Streams one data file of a snapshot as Arrow record batches (partition columns from the log).
 *
 * @example
 * for await (const b of readDataFileBatches(snap.files[0], snap.schema)) n += b.numRows;
 */
export async function* readDataFileBatches(file: DataFile, schema: TableSchema, options: BatchReadOptions = {}): AsyncGenerator<RecordBatch> {
  const columns = projectedFields(schema, options.columns, 'readBatches');
  const label = file.tableRoot !== undefined ? `${file.path} (in ${file.tableRoot})` : file.absolutePath;
  try {
    if (file.tableRoot !== undefined) await assertInsideTable(file.tableRoot, file.absolutePath, file.path);
    yield* readFileBatches({ path: file.absolutePath, label, columns, constants: file.partitionValues, expect: expectationOf(file) });
  } catch (cause) {
    if (cause instanceof RiffleError) throw cause;
    const code = (cause as NodeJS.ErrnoException).code;
    if (code === undefined) throw new DeltaTableError('DELTA_LOG_INVALID', `data file ${file.path} cannot be decoded: ${(cause as Error).message}`, { cause });
    throw new DeltaTableError('DELTA_LOG_INVALID', `data file ${file.path} referenced by the log ${code === 'ENOENT' ? 'is missing' : `cannot be read (${code})`}`, {
      cause, hint: code === 'ENOENT' ? 'the file was deleted outside Delta (or the log is damaged); restore it, or restore the table to a version without it' : undefined,
    });
  }
}

/**
 * Streams every data file of a snapshot as Arrow record batches, file after file.
 *
 * @example
 * for await (const b of readSnapshotBatches(await table.snapshot())) total += b.numRows;
 */
export async function* readSnapshotBatches(snapshot: Snapshot, options: BatchReadOptions = {}): AsyncGenerator<RecordBatch> {
  projectedFields(snapshot.schema, options.columns, 'readBatches');
  for (const file of snapshot.files) yield* readDataFileBatches(file, snapshot.schema, options);
}
