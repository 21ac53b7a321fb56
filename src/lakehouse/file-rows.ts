/**
 * Reading the rows of data files: a file's Parquet columns plus the partition values the log records for it, in
 * canonical values (see `DeltaType`). Shared by reads, io.delta's source, the copy-on-write operations (delete,
 * update, merge, replaceWhere) and the change data feed.
 *
 * Strategy (per file): 1. decode only the columns the output or the predicate needs, one row group at a time
 * (parquet-io.ts); 2. evaluate the predicate on those columns, so rows that fail it are never built; 3. build each
 * kept row in one step with a constructor generated for the column list (one hidden class for all rows).
 */
import { assertInsideTable, isAbsoluteUri, resolveDataPath } from './data-path.ts';
import { DeltaTableError } from './errors.ts';
import { type FileExpectation, readRowGroups } from './parquet-io.ts';
import { RiffleError } from '../model/index.ts';
import { termHolds, type Term } from './predicate.ts';
import type { SchemaField, TableSchema } from './schema.ts';
import type { DataFile } from './snapshot.ts';
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
 * What to read from one file: the output columns (in order), the values of its partition columns (constant in the
 * file), and optionally predicate terms rows must satisfy (they may name columns that are not output).
 *
 * @example
 * const spec: FileScan = { path: '/t/p.parquet', logPath: 'p.parquet', columns: schema.fields, constants: {}, terms: [] };
 */
export interface FileScan {
  /** The file on the local filesystem. */
  readonly path: string;
  /** Its `add.path`, for error messages. */
  readonly logPath: string;
  /** The table root the file must stay inside, symbolic links included (unset for an allowed external file). */
  readonly tableRoot?: string;
  readonly columns: readonly SchemaField[];
  readonly constants: Readonly<Record<string, DeltaValue>>;
  readonly terms?: readonly Term[];
  /** Fields of the columns `terms` name (with their types), when not among `columns`. */
  readonly termFields?: readonly SchemaField[];
  /** What the log's statistics say of the file (checked against its footer). */
  readonly expect?: FileExpectation;
}

type RowBuilder = (sources: readonly unknown[], i: number) => Record<string, DeltaValue>;
const builders = new Map<string, RowBuilder>();

/**
 * A row constructor for a column list: an object literal with the names as literal keys, so that every row is made
 * in one allocation with one hidden class. `constant[k]` columns take `sources[k]` itself, the others
 * `sources[k][i]` (undefined reads as null).
 */
function rowBuilder(names: readonly string[], constant: readonly boolean[]): RowBuilder {
  const key = JSON.stringify([names, constant]);
  let build = builders.get(key);
  if (build === undefined) {
    const body = names.map((c, k) => `${JSON.stringify(c)}: ${constant[k] ? `s[${k}]` : `s[${k}][i] ?? null`}`).join(', ');
    // Column names are data: JSON.stringify makes each a string literal, so no name can inject code.
    build = new Function('s', 'i', `return { ${body} };`) as RowBuilder;
    builders.set(key, build);
  }
  return build;
}

async function* rowGroups(scan: FileScan, fields: readonly SchemaField[]): AsyncGenerator<{ numRows: number; columns: readonly (ArrayLike<DeltaValue> | undefined)[] }> {
  let groups: AsyncGenerator<{ numRows: number; columns: readonly (ArrayLike<DeltaValue> | undefined)[] }>;
  try {
    if (scan.tableRoot !== undefined) await assertInsideTable(scan.tableRoot, scan.path, scan.logPath);
    groups = readRowGroups(scan.path, fields, scan.tableRoot !== undefined ? `${scan.logPath} (in ${scan.tableRoot})` : scan.path, scan.expect);
    const first = await groups.next();
    if (first.done) return;
    yield first.value;
  } catch (cause) {
    if (cause instanceof RiffleError) throw cause;
    const code = (cause as NodeJS.ErrnoException).code;
    if (code === undefined) throw new DeltaTableError('DELTA_LOG_INVALID', `data file ${scan.logPath} cannot be decoded: ${(cause as Error).message}`, { cause });
    const log = scan.tableRoot !== undefined ? `the log of ${scan.tableRoot}` : 'the log';
    throw new DeltaTableError('DELTA_LOG_INVALID', `data file ${scan.logPath} referenced by ${log} ${code === 'ENOENT' ? 'is missing' : `cannot be read (${code})`}`, {
      cause, hint: code === 'ENOENT' ? 'the file was deleted outside Delta (or the log is damaged); restore it, or restore the table to a version without it' : undefined,
    });
  }
  yield* groups;
}

/**
 * Streams a file's rows, one batch per row group: only the columns needed are decoded, rows failing the terms are
 * never built.
 *
 * @example
 * for await (const rows of scanFile({ path, logPath, columns: schema.fields, constants: { country: 'fr' } })) n += rows.length;
 */
export async function* scanFile(scan: FileScan): AsyncGenerator<Record<string, DeltaValue>[]> {
  const { columns, constants } = scan;
  const terms = scan.terms ?? [];
  // Columns decoded from the file: output and predicate columns that are not partition (constant) columns.
  const decoded: SchemaField[] = [];
  const seen = new Set<string>();
  for (const f of [...columns, ...(scan.termFields ?? [])]) {
    if (f.name in constants || seen.has(f.name)) continue;
    seen.add(f.name);
    decoded.push(f);
  }
  const slot = new Map(decoded.map((f, k) => [f.name, k]));
  // Terms on partition columns decide the whole file.
  for (const t of terms) if (t.column in constants && !termHolds(t, constants[t.column])) return;
  const rowTerms = terms.filter((t) => !(t.column in constants));
  const names = columns.map((f) => f.name);
  const constant = columns.map((f) => f.name in constants);
  const build = rowBuilder(names, constant);
  const nullColumn = { length: 0 } as ArrayLike<DeltaValue>; // `[i]` of it is undefined: null
  const source = (group: readonly (ArrayLike<DeltaValue> | undefined)[]): unknown[] =>
    columns.map((f) => (f.name in constants ? constants[f.name] : group[slot.get(f.name) as number] ?? nullColumn));

  if (decoded.length === 0) {
    // Only partition columns: the row count comes from the file's metadata (no column decoded).
    for await (const group of rowGroups(scan, [])) yield Array.from({ length: group.numRows }, (_x, i) => build(source(group.columns), i));
    return;
  }
  for await (const group of rowGroups(scan, decoded)) {
    const sources = source(group.columns);
    const n = group.numRows;
    if (rowTerms.length === 0) {
      const rows: Record<string, DeltaValue>[] = new Array(n);
      for (let i = 0; i < n; i++) rows[i] = build(sources, i);
      yield rows;
      continue;
    }
    // Selection vector: the terms are evaluated column by column on the decoded arrays.
    let selected = new Uint32Array(n);
    for (let i = 0; i < n; i++) selected[i] = i;
    let count = n;
    for (const t of rowTerms) {
      const col = group.columns[slot.get(t.column) as number] ?? nullColumn;
      let kept = 0;
      for (let k = 0; k < count; k++) {
        const i = selected[k];
        if (termHolds(t, col[i] ?? null)) selected[kept++] = i;
      }
      count = kept;
      if (count === 0) break;
    }
    selected = selected.subarray(0, count);
    const rows: Record<string, DeltaValue>[] = new Array(count);
    for (let k = 0; k < count; k++) rows[k] = build(sources, selected[k]);
    if (count > 0) yield rows;
  }
}

/**
 * Streams the rows of one data file of a snapshot in batches (one per row group): `columns` (default every column
 * of `schema`, in schema order) with partition values from the log, keeping only rows satisfying `terms` (see
 * `compilePredicate`; a filter column need not be among `columns`). Only the needed columns are decoded.
 *
 * @example
 * const snap = await table.snapshot();
 * for await (const rows of readDataFile(snap.files[0], snap.schema, { columns: ['id'] })) console.log(rows.length);
 */
export function readDataFile(file: DataFile, schema: TableSchema, options: { readonly columns?: readonly string[]; readonly terms?: readonly Term[] } = {}): AsyncGenerator<Record<string, DeltaValue>[]> {
  const byName = new Map(schema.fields.map((f) => [f.name, f]));
  const fieldOf = (c: string): SchemaField => {
    const f = byName.get(c);
    if (!f) throw new DeltaTableError('DELTA_INVALID_ARGUMENT', `unknown column '${c}'`, { hint: `columns are ${schema.fields.map((x) => x.name).join(', ')}` });
    return f;
  };
  const columns = options.columns ? options.columns.map(fieldOf) : schema.fields;
  const terms = options.terms ?? [];
  return scanFile({
    path: file.absolutePath, logPath: file.path, columns, constants: file.partitionValues, terms,
    termFields: terms.map((t) => fieldOf(t.column)), ...(file.tableRoot !== undefined ? { tableRoot: file.tableRoot } : {}),
    expect: expectationOf(file),
  });
}

/** The row count and the columns with values the log's statistics give for a file (nothing when it has none). */
export function expectationOf(file: DataFile): FileExpectation {
  const { numRecords, nullCount } = file.stats;
  if (numRecords === undefined) return {};
  const present: string[] = [];
  for (const [column, nulls] of nullCount) if (nulls < numRecords && !(column in file.partitionValues)) present.push(column);
  return { rows: numRecords, present, ...(file.logFile !== undefined ? { logFile: file.logFile } : {}) };
}

/**
 * Reads a file's rows with every column of `schema` (partition columns from the log, the rest from the file) plus
 * `extra` file columns (e.g. `_change_type`), keys in schema order. `table` is the table (its log or a snapshot):
 * the file's log path resolves inside it (data-path.ts).
 *
 * @example
 * const rows = await readFileRows(table.log, { path: add.path, partitionValues: add.partitionValues }, schema, ['country']);
 */
export async function readFileRows(table: TableLocation, file: FileRef, schema: TableSchema, partitionColumns: readonly string[],
  extra: readonly SchemaField[] = []): Promise<Record<string, DeltaValue>[]> {
  const constants: Record<string, DeltaValue> = {};
  for (const f of schema.fields) if (partitionColumns.includes(f.name)) constants[f.name] = fromPartitionString(f.type, file.partitionValues?.[f.name]);
  const out: Record<string, DeltaValue>[] = [];
  const path = resolveDataPath(table.tablePath, file.path, table);
  const inside = isAbsoluteUri(file.path) ? {} : { tableRoot: table.tablePath };
  for await (const rows of scanFile({ path, logPath: file.path, columns: [...schema.fields, ...extra], constants, ...inside })) {
    for (const row of rows) out.push(row);
  }
  return out;
}

/**
 * A table's location and whether its log may name files outside it (a `DeltaLog` or a `Snapshot` is one).
 *
 * @example
 * const where: TableLocation = { tablePath: '/data/t', allowExternalFiles: false };
 */
export interface TableLocation {
  readonly tablePath: string;
  readonly allowExternalFiles?: boolean;
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
