/**
 * A Delta table's snapshot as a DuckDB relation: the SQL of a view over exactly the data files that survive
 * pruning, with the partition values as columns and every column cast to the type the table's schema gives it.
 *
 * Strategy: 1. group the files by their partition values and by the columns they hold (a column added by schema
 * evolution is absent from older files: it reads as NULL there); 2. per group, one `read_parquet([...])` selecting
 * the table's columns in schema order — data columns by name, partition columns as typed literals; 3. UNION ALL of
 * the groups (an empty selection is a typed empty relation). Which columns a file holds comes from its `add`
 * statistics when they count every data column, else from DuckDB's `parquet_schema` (the file's footer).
 */
import type { DataFile, DeltaValue, Snapshot } from '../lakehouse/index.ts';
import { formatTimestamp, parseTypeName } from '../lakehouse/index.ts';
import { duckType, quoteIdent, quoteString } from './sql-text.ts';

/** A canonical Delta value as a typed SQL literal. */
export function literalSql(value: DeltaValue | undefined, deltaType: string): string {
  const t = duckType(deltaType, parseTypeName);
  if (value === null || value === undefined) return `CAST(NULL AS ${t})`;
  if (deltaType === 'timestamp' || deltaType === 'timestamp_ntz') {
    const text = typeof value === 'bigint' ? formatTimestamp(value) : value instanceof Date ? value.toISOString() : String(value);
    return `CAST(${quoteString(deltaType === 'timestamp_ntz' ? text.replace(/Z$/, '') : text)} AS ${t})`;
  }
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number' && !Number.isFinite(value)) return `CAST(${quoteString(String(value))} AS ${t})`;
  if (typeof value === 'number' || typeof value === 'bigint') return `CAST(${value.toString()} AS ${t})`;
  return `CAST(${quoteString(value instanceof Date ? value.toISOString() : String(value))} AS ${t})`;
}

/** Runs a query and returns its rows as arrays of JSON-like values (the session's runner). */
export type RowRunner = (sql: string) => Promise<unknown[][]>;

/**
 * The SELECT of a view over `files` of `snapshot`.
 *
 * @example
 * const sql = await deltaRelationSql(snapshot, snapshot.filesMatching({ country: 'fr' }).files, run);
 */
export async function deltaRelationSql(snapshot: Snapshot, files: readonly DataFile[], run: RowRunner): Promise<string> {
  const fields = snapshot.schema.fields;
  const partitions = new Set(snapshot.partitionColumns);
  const dataColumns = fields.filter((f) => !partitions.has(f.name)).map((f) => f.name);
  if (files.length === 0) {
    return `SELECT ${fields.map((f) => `${literalSql(null, f.type)} AS ${quoteIdent(f.name)}`).join(', ')} WHERE false`;
  }
  const columnsOf = await fileColumns(files, dataColumns, run);
  const typeOf = new Map(fields.map((f) => [f.name, f.type]));
  // Files whose directories spell their partition values plainly are read by one scan (DuckDB's Hive partitioning
  // gives the values); the others by one scan per partition, values as literals.
  const hive = hivePathsAgree(snapshot, files);
  const groups = new Map<string, { file: DataFile; files: string[]; present: ReadonlySet<string> }>();
  for (const f of files) {
    const present = columnsOf.get(f.absolutePath) as ReadonlySet<string>;
    const values = hive ? [] : snapshot.partitionColumns.map((c) => literalSql(f.partitionValues[c], typeOf.get(c) ?? 'string'));
    const key = JSON.stringify([values, dataColumns.filter((c) => present.has(c))]);
    const g = groups.get(key);
    if (g) g.files.push(f.absolutePath);
    else groups.set(key, { file: f, files: [f.absolutePath], present });
  }
  const hiveTypes = snapshot.partitionColumns.map((c) => `${quoteString(c)}: ${duckType(typeOf.get(c) ?? 'string', parseTypeName)}`).join(', ');
  const selects = [...groups.values()].map(({ file, files: paths, present }) => {
    const list = fields.map((f) => {
      const t = duckType(f.type, parseTypeName);
      if (partitions.has(f.name) && !hive) return `${literalSql(file.partitionValues[f.name], f.type)} AS ${quoteIdent(f.name)}`;
      if (!partitions.has(f.name) && !present.has(f.name)) return `CAST(NULL AS ${t}) AS ${quoteIdent(f.name)}`;
      return `CAST(${quoteIdent(f.name)} AS ${t}) AS ${quoteIdent(f.name)}`;
    });
    const options = hive ? `, hive_partitioning = true, hive_types = {${hiveTypes}}` : ', hive_partitioning = false';
    return `SELECT ${list.join(', ')} FROM read_parquet([${paths.map(quoteString).join(', ')}]${options})`;
  });
  return selects.join('\nUNION ALL\n');
}

const PLAIN_VALUE = /^[A-Za-z0-9_.+-]+$/;

/**
 * Whether DuckDB's Hive partitioning reads every file's partition values exactly as the log gives them: the table
 * is partitioned, no directory above the table holds '=', and each file's path is `c1=v1/c2=v2/name` with the log's
 * values, written plainly (no escapes, no null: `__HIVE_DEFAULT_PARTITION__` and percent-escapes are left to the
 * literal form).
 */
function hivePathsAgree(snapshot: Snapshot, files: readonly DataFile[]): boolean {
  const columns = snapshot.partitionColumns;
  if (columns.length === 0 || snapshot.tablePath.includes('=')) return false;
  return files.every((f) => {
    if (f.tableRoot === undefined) return false;
    const parts = f.path.split('/');
    if (parts.length !== columns.length + 1) return false;
    return columns.every((c, i) => {
      const raw = f.add.partitionValues[c];
      return raw !== null && raw !== undefined && raw !== '' && PLAIN_VALUE.test(raw) && parts[i] === `${c}=${raw}`;
    });
  });
}

/** The data columns each file holds. */
async function fileColumns(files: readonly DataFile[], dataColumns: readonly string[], run: RowRunner): Promise<Map<string, ReadonlySet<string>>> {
  const out = new Map<string, ReadonlySet<string>>();
  const all = new Set(dataColumns);
  const unknown: string[] = [];
  for (const f of files) {
    const counted = statsColumns(f);
    if (dataColumns.every((c) => counted.has(c))) out.set(f.absolutePath, all);
    else unknown.push(f.absolutePath);
  }
  if (unknown.length > 0) {
    // Every element's name, groups too: a nested column is a group (its leaves' names are 'element', 'key', …).
    const rows = await run(`SELECT file_name, name FROM parquet_schema([${unknown.map(quoteString).join(', ')}])`);
    const found = new Map<string, Set<string>>(unknown.map((p) => [p, new Set<string>()]));
    for (const [file, name] of rows) found.get(String(file))?.add(String(name));
    for (const [p, s] of found) out.set(p, s);
  }
  return out;
}

/** The columns the `add` action's statistics count (nullCount), which the file therefore holds. */
function statsColumns(f: DataFile): Set<string> {
  if (!f.add.stats) return new Set();
  try {
    const stats = JSON.parse(f.add.stats) as { nullCount?: Record<string, unknown> };
    return new Set(Object.keys(stats.nullCount ?? {}));
  } catch {
    return new Set();
  }
}
