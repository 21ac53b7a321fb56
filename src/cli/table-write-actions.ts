/**
 * `riffle table write|merge|set-property`: the commands that add data or properties to a table (write creates the
 * table when missing, with column types inferred from the file or declared).
 */
import { resolve } from 'node:path';
import { DeltaTable, type DeltaType, type MergeRow, type SchemaInput } from '../lakehouse/index.ts';
import { UsageError } from './cli-error.ts';
import type { CliIO } from './cli-io.ts';
import { readInputFile } from './table-input.ts';
import { exists, inputColumnTypes, inputOptions, listFlag, open, propertyPairs, stringFlag, type Extra, type Flags } from './table-options.ts';
import { formatNumber } from './table.ts';
import { stringify } from './run-report.ts';


export async function writeAction(path: string, flags: Flags, io: CliIO, { properties }: Extra): Promise<number> {
  const from = stringFlag(flags, 'from', 'the input file (.csv, .jsonl or .parquet)');
  if (from === undefined) throw new UsageError('riffle table write: --from <file> is required', { hint: 'usage: riffle table write <table> --from <file.csv|.jsonl|.parquet> [options]' });
  const mode = stringFlag(flags, 'mode', 'append or overwrite') ?? 'append';
  if (mode !== 'append' && mode !== 'overwrite') throw new UsageError(`--mode must be append or overwrite, got '${mode}'`);
  const partitionBy = listFlag(flags, 'partition-by', 'comma-separated column names');
  const mergeSchema = flags['merge-schema'] === true;
  const found = await exists(path, flags);
  const table = found ? await open(path, flags) : undefined;
  const snapshot = table ? await table.snapshot() : undefined;
  if (snapshot && partitionBy && partitionBy.join(',') !== snapshot.partitionColumns.join(',')) {
    throw new UsageError(`--partition-by ${partitionBy.join(',')} differs from the table's partition columns (${snapshot.partitionColumns.join(',') || 'none'})`, {
      hint: 'omit --partition-by when writing to an existing table',
    });
  }
  const input = await readInputFile(resolve(io.cwd, from), snapshot?.schema, inputColumnTypes(flags, io), inputOptions(flags));
  for (const c of partitionBy ?? []) {
    if (!input.types.has(c)) throw new UsageError(`--partition-by: column '${c}' is not in ${from} (columns: ${[...input.types.keys()].join(', ')})`);
  }
  let created: number | undefined;
  let target = table;
  if (!target) {
    const schema: Record<string, DeltaType> = Object.fromEntries(input.types);
    target = await DeltaTable.create(path, { schema: schema as SchemaInput, partitionBy, properties });
    created = 0;
  }
  const newColumns = snapshot ? [...input.types].filter(([c]) => !snapshot.schema.fields.some((f) => f.name === c)) : [];
  if (newColumns.length > 0 && !mergeSchema) {
    throw new UsageError(`${from} has column${newColumns.length > 1 ? 's' : ''} ${newColumns.map(([c]) => `'${c}'`).join(', ')} that the table does not have`, {
      hint: 'pass --merge-schema to add them to the table (nullable), or drop them from the input',
    });
  }
  const options = mergeSchema && newColumns.length > 0 ? { mergeSchema: true, schema: Object.fromEntries(newColumns) as SchemaInput } : {};
  // On an existing table, --property is its own commit (SET TBLPROPERTIES) before the write, so that e.g. the change
  // data feed covers this write.
  const propertiesSet = properties === undefined ? undefined : created !== undefined ? Object.keys(properties) : (await target.setProperties(properties)).changed;
  const result = mode === 'overwrite' ? await target.overwrite(input.rows, options) : await target.append(input.rows, options);
  const version = result.version;
  const summary = { table: path, created: created !== undefined, mode, rows: input.rows.length, version, addedColumns: newColumns.map(([c]) => c), ...(propertiesSet ? { propertiesSet } : {}) };
  if (flags.json === true) {
    io.out(stringify(summary));
    return 0;
  }
  io.out(`${created !== undefined ? 'created the table and ' : ''}${mode === 'overwrite' ? 'overwrote it with' : 'appended'} ${formatNumber(input.rows.length)} rows: ${path} is at version ${version}`);
  if (newColumns.length > 0) io.out(`added columns: ${newColumns.map(([c, t]) => `${c} (${t})`).join(', ')}`);
  if (propertiesSet && propertiesSet.length > 0) io.out(`set properties: ${propertiesSet.map((k) => `${k}=${properties![k]}`).join(', ')}`);
  return 0;
}

export async function setPropertyAction(path: string, flags: Flags, io: CliIO, { args }: Extra): Promise<number> {
  const properties = propertyPairs(args, 'riffle table set-property');
  const result = await (await open(path, flags)).setProperties(properties);
  if (flags.json === true) {
    io.out(stringify({ table: path, ...result }));
    return 0;
  }
  io.out(result.committed
    ? `set ${result.changed.map((k) => `${k}=${properties[k]}`).join(', ')}: ${path} is at version ${result.version}`
    : `${path} already has ${Object.entries(properties).map(([k, v]) => `${k}=${v}`).join(', ')}: nothing to change (still version ${result.version})`);
  if (result.changed.includes('delta.enableChangeDataFeed') && properties['delta.enableChangeDataFeed'] === 'true') {
    io.out(`the change data feed is on from version ${result.version}: riffle table changes ${path} --from ${result.version}`);
  }
  return 0;
}

export async function mergeAction(path: string, flags: Flags, io: CliIO): Promise<number> {
  const from = stringFlag(flags, 'from', 'the input file (.csv, .jsonl or .parquet)');
  const on = listFlag(flags, 'on', 'comma-separated key columns');
  if (from === undefined || on === undefined) {
    throw new UsageError(`riffle table merge: ${from === undefined ? '--from <file>' : '--on <key,...>'} is required`, { hint: 'usage: riffle table merge <table> --from <file> --on <key,...> [options]' });
  }
  const table = await open(path, flags);
  const schema = await table.schema();
  for (const k of on) {
    if (!schema.fields.some((f) => f.name === k)) throw new UsageError(`--on: column '${k}' is not in the table (columns: ${schema.fields.map((f) => f.name).join(', ')})`);
  }
  const input = await readInputFile(resolve(io.cwd, from), schema, inputColumnTypes(flags, io), inputOptions(flags));
  for (const k of on) if (!input.types.has(k)) throw new UsageError(`--on: key column '${k}' is not in ${from}`);
  // Matched rows take every column the file has (columns it lacks keep their values); new rows get them too.
  const columns = [...input.types.keys()].filter((c) => schema.fields.some((f) => f.name === c));
  const set = Object.fromEntries(columns.map((c) => [c, (_t: MergeRow, s: MergeRow) => s[c] ?? null]));
  const values = Object.fromEntries(columns.map((c) => [c, (s: MergeRow) => s[c] ?? null]));
  const result = await table.merge(input.rows, { on }).whenMatchedUpdate({ set }).whenNotMatchedInsert({ values }).execute();
  if (flags.json === true) {
    io.out(stringify({ table: path, version: result.version, committed: result.committed, metrics: result.metrics }));
    return 0;
  }
  const m = result.metrics;
  io.out(result.committed
    ? `merged ${formatNumber(input.rows.length)} rows into ${path}: ${formatNumber(m.numTargetRowsUpdated ?? 0)} updated, ${formatNumber(m.numTargetRowsInserted ?? 0)} inserted; version ${result.version}`
    : `merged ${formatNumber(input.rows.length)} rows into ${path}: nothing changed (still version ${result.version})`);
  return 0;
}
