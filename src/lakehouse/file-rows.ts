/**
 * Reading the rows of data files: a file's Parquet columns plus the partition values the log records for it, in
 * canonical values (see `DeltaType`). Shared by reads, the copy-on-write operations (delete, update, merge,
 * replaceWhere) and the change data feed.
 */
import { readFile, stat } from 'node:fs/promises';
import { DeltaTableError } from './errors.ts';
import { readParquet } from './parquet-io.ts';
import { dataFilePath } from './partition-path.ts';
import type { SchemaField, TableSchema } from './schema.ts';
import { type DeltaValue, fromPartitionString } from './value-mapping.ts';

/**
 * A file to read: its location and serialized partition values (an `add`, `remove` or `cdc` action's fields).
 *
 * @example
 * const f: FileRef = { path: 'country=fr/part-0.parquet', partitionValues: { country: 'fr' } };
 */
export interface FileRef {
  readonly path: string;
  readonly partitionValues?: Readonly<Record<string, string | null>> | null;
}

/**
 * Reads a file's rows with every column of `schema` (partition columns from the log, the rest from the file) plus
 * `extra` file columns (e.g. `_change_type`), keys in schema order.
 *
 * @example
 * const rows = await readFileRows('/data/t', { path: add.path, partitionValues: add.partitionValues }, schema, ['country']);
 */
export async function readFileRows(tablePath: string, file: FileRef, schema: TableSchema, partitionColumns: readonly string[],
  extra: readonly SchemaField[] = []): Promise<Record<string, DeltaValue>[]> {
  const absolute = dataFilePath(tablePath, file.path);
  let bytes: Buffer;
  try {
    bytes = await readFile(absolute);
  } catch (cause) {
    const exists = await stat(absolute).then(() => true, () => false);
    throw new DeltaTableError('DELTA_LOG_INVALID', `data file ${file.path} referenced by the log ${exists ? 'cannot be read' : 'is missing'}`, { cause });
  }
  const partitionFields = schema.fields.filter((f) => partitionColumns.includes(f.name));
  const partition: Record<string, DeltaValue> = {};
  for (const f of partitionFields) partition[f.name] = fromPartitionString(f.type, file.partitionValues?.[f.name]);
  const fileFields = [...schema.fields.filter((f) => !partitionColumns.includes(f.name)), ...extra];
  const rows = await readParquet(bytes, fileFields);
  if (partitionFields.length === 0 && extra.length === 0) return rows;
  return rows.map((r) => {
    const out: Record<string, DeltaValue> = {};
    for (const f of schema.fields) out[f.name] = f.name in partition ? partition[f.name] : r[f.name];
    for (const f of extra) out[f.name] = r[f.name];
    return out;
  });
}

/**
 * Maps items through an async function with at most `limit` calls in flight, keeping order.
 *
 * @example
 * const perFile = await mapLimit(files, 8, (f) => readFileRows(path, f, schema, []));
 */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
