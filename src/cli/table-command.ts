/**
 * `riffle table <command> <table> ...`: Delta Lake tables from the command line (see TABLE_HELP) — write and merge
 * files into a table (created when missing), describe it, list its history, show its rows at any version, optimize,
 * vacuum, restore, and read its change data feed. Results print as aligned text, or with --json as one JSON
 * document. Exit codes: 0 done, 1 the operation failed (no such table, a conflict, bad input data), 2 usage.
 */
import { resolve } from 'node:path';
import {
  checkTableProperties, DeltaTable, DeltaTableError, formatTimestamp, type DeltaType, type DeltaValue, type MergeRow, type Predicate, type SchemaInput, type TableSchema,
} from '../lakehouse/index.ts';
import { parseArgs } from './args.ts';
import { UsageError } from './cli-error.ts';
import type { CliIO } from './cli-io.ts';
import { TABLE_HELP } from './help.ts';
import { stringify } from './run-report.ts';
import { formatNumber, formatTable, type Cell } from './table.ts';
import { declaredColumnTypes, invalidUtf8Flag } from './column-types.ts';
import { readInputFile } from './table-input.ts';
import { parseWhere } from './table-where.ts';

const BOOLEANS = ['json', 'help', 'merge-schema', 'dry-run', 'force', 'allow-external-files'];

/** What a command gets besides its flags: extra positionals (only where `args` is set) and `--property k=v` pairs. */
interface Extra {
  readonly args: readonly string[];
  readonly properties: Readonly<Record<string, string>> | undefined;
}

/** Each command's arguments and the options it accepts (besides --json and --help); `args`: it takes more positionals. */
const COMMANDS: Record<string, { usage: string; options: readonly string[]; args?: true; run: (table: string, flags: Flags, io: CliIO, extra: Extra) => Promise<number> }> = {
  write: { usage: '<table> --from <file.csv|.jsonl|.parquet> [--mode append|overwrite] [--partition-by c,...] [--merge-schema] [--property k=v ...] [--columns c:type,... | --schema FILE] [--invalid-utf8 error|replace]', options: ['from', 'mode', 'partition-by', 'merge-schema', 'property', 'columns', 'schema', 'invalid-utf8'], run: writeCommand },
  merge: { usage: '<table> --from <file> --on <key,...> [--columns c:type,... | --schema FILE] [--invalid-utf8 error|replace]', options: ['from', 'on', 'columns', 'schema', 'invalid-utf8'], run: mergeCommand },
  describe: { usage: '<table>', options: [], run: describeCommand },
  history: { usage: '<table> [--limit N]', options: ['limit'], run: historyCommand },
  show: { usage: '<table> [--version N | --timestamp T] [--where "c = v and d > 3"] [--columns c,...] [--limit N]', options: ['version', 'timestamp', 'where', 'columns', 'limit'], run: showCommand },
  optimize: { usage: '<table> [--zorder-by c,...] [--target-size 128MB] [--where "<partition predicate>"]', options: ['zorder-by', 'target-size', 'where'], run: optimizeCommand },
  vacuum: { usage: '<table> [--retention-hours H] [--dry-run] [--force]', options: ['retention-hours', 'dry-run', 'force'], run: vacuumCommand },
  restore: { usage: '<table> --version N | --timestamp T', options: ['version', 'timestamp'], run: restoreCommand },
  changes: { usage: '<table> --from V [--to V]', options: ['from', 'to'], run: changesCommand },
  'set-property': { usage: '<table> k=v [k=v ...]', options: [], args: true, run: setPropertyCommand },
};

type Flags = Record<string, string | boolean>;

/** Dispatches `riffle table ...`. */
export async function tableCommand(argv: readonly string[], io: CliIO): Promise<number> {
  const { rest, properties } = takeProperties(argv);
  const { positionals, flags } = parseArgs(rest, { booleans: BOOLEANS });
  if (properties !== undefined) flags.property = true; // checked against the command's options below
  const [sub, table, ...extra] = positionals;
  if (sub === undefined) {
    io[flags.help === true ? 'out' : 'err'](TABLE_HELP);
    return flags.help === true ? 0 : 2;
  }
  const command = COMMANDS[sub];
  if (!command) throw new UsageError(`unknown table command '${sub}'`, { hint: `commands: ${Object.keys(COMMANDS).join(', ')} (riffle table --help)` });
  if (flags.help === true) {
    io.out(`usage: riffle table ${sub} ${command.usage} [--json]\n\n${TABLE_HELP}`);
    return 0;
  }
  if (table === undefined) throw new UsageError(`riffle table ${sub}: missing the table path`, { hint: `usage: riffle table ${sub} ${command.usage}` });
  if (extra.length > 0 && !command.args) throw new UsageError(`riffle table ${sub}: unexpected argument '${extra[0]}'`, { hint: `usage: riffle table ${sub} ${command.usage}` });
  for (const name of Object.keys(flags)) {
    if (name !== 'json' && name !== 'help' && name !== 'allow-external-files' && !command.options.includes(name)) {
      throw new UsageError(`riffle table ${sub}: unknown option --${name}`, { hint: `usage: riffle table ${sub} ${command.usage}` });
    }
  }
  return command.run(resolve(io.cwd, table), flags, io, { args: extra, properties });
}

/** Takes the repeatable `--property k=v` (or `--property=k=v`) out of argv. */
function takeProperties(argv: readonly string[]): { rest: string[]; properties: Record<string, string> | undefined } {
  const rest: string[] = [];
  let properties: Record<string, string> | undefined;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--') { rest.push(...argv.slice(i)); break; }
    const m = /^--property(?:=(.*))?$/s.exec(argv[i]!);
    if (!m) { rest.push(argv[i]!); continue; }
    const value = m[1] ?? (argv[i + 1] !== undefined && !argv[i + 1]!.startsWith('--') ? argv[++i] : undefined);
    properties = { ...properties, ...propertyPairs(value === undefined ? [] : [value], '--property') };
  }
  return { rest, properties };
}

/** `k=v` arguments as properties (the value may be empty or hold '='), validated as the table will validate them. */
function propertyPairs(args: readonly string[], where: string): Record<string, string> {
  const hint = "e.g. delta.enableChangeDataFeed=true (repeat for several; quote a value with spaces: delta.logRetentionDuration='interval 30 days')";
  if (args.length === 0) throw new UsageError(`${where} needs key=value`, { hint });
  const out: Record<string, string> = {};
  for (const arg of args) {
    const eq = arg.indexOf('=');
    if (eq <= 0) throw new UsageError(`${where} ${arg}: expected key=value`, { hint });
    out[arg.slice(0, eq)] = arg.slice(eq + 1);
  }
  try {
    checkTableProperties(out);
  } catch (e) {
    if (e instanceof DeltaTableError) throw new UsageError(`${where}: ${e.hint ? e.message.slice(0, e.message.lastIndexOf('\n  hint: ')) : e.message}`, { hint: e.hint });
    throw e;
  }
  return out;
}

// ---- option helpers

/** --invalid-utf8 error|replace (see column-types.ts). */
function inputOptions(flags: Flags): { invalidUtf8?: 'error' | 'replace' } {
  const invalidUtf8 = invalidUtf8Flag(flags['invalid-utf8']);
  return invalidUtf8 ? { invalidUtf8 } : {};
}

/** The CSV column types declared by --columns id:string,... and/or --schema FILE (see column-types.ts). */
function inputColumnTypes(flags: Flags, io: CliIO): ReturnType<typeof declaredColumnTypes> {
  return declaredColumnTypes({ columns: flags.columns, ...(typeof flags.schema === 'string' ? { schema: resolve(io.cwd, flags.schema) } : { schema: flags.schema }) });
}

function stringFlag(flags: Flags, name: string, what: string): string | undefined {
  const v = flags[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v === '') throw new UsageError(`--${name} needs a value: ${what}`);
  return v;
}

function intFlag(flags: Flags, name: string, what: string, min = 0): number | undefined {
  const v = stringFlag(flags, name, what);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || !Number.isSafeInteger(n) || n < min) throw new UsageError(`--${name} must be ${what}, got '${v}'`);
  return n;
}

function listFlag(flags: Flags, name: string, what: string): string[] | undefined {
  const v = stringFlag(flags, name, what);
  if (v === undefined) return undefined;
  const list = v.split(',').map((s) => s.trim());
  if (list.some((s) => s === '')) throw new UsageError(`--${name} must be ${what}, got '${v}'`);
  return list;
}

function timestampFlag(flags: Flags, name: string): string | undefined {
  const v = stringFlag(flags, name, 'an ISO-8601 time, e.g. 2024-05-01T12:00:00Z');
  if (v !== undefined && Number.isNaN(Date.parse(v))) throw new UsageError(`--${name} must be an ISO-8601 time (e.g. 2024-05-01T12:00:00Z), got '${v}'`);
  return v;
}

/** `--target-size`: bytes, or a number with KB/MB/GB (powers of 1024, also KiB/MiB/GiB). */
function sizeFlag(flags: Flags, name: string): number | undefined {
  const v = stringFlag(flags, name, 'a size such as 134217728, 128MB or 1GB');
  if (v === undefined) return undefined;
  const m = /^(\d+(?:\.\d+)?)\s*(b|kb|kib|mb|mib|gb|gib)?$/i.exec(v.trim());
  if (!m) throw new UsageError(`--${name} must be a size such as 134217728, 128MB or 1GB, got '${v}'`);
  const unit = (m[2] ?? 'b').toLowerCase()[0]!;
  const bytes = Math.round(Number(m[1]) * ({ b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 } as Record<string, number>)[unit]!);
  if (bytes < 1) throw new UsageError(`--${name} must be at least 1 byte`);
  return bytes;
}

function whereFlag(flags: Flags): Predicate | undefined {
  const v = stringFlag(flags, 'where', `a predicate, e.g. "country = 'fr' and amount > 3"`);
  return v === undefined ? undefined : parseWhere(v);
}

/**
 * Opens a table; a missing one is a clear error. Data files outside the table (absolute paths in its log) are
 * refused unless --allow-external-files.
 */
async function open(path: string, flags: Flags): Promise<DeltaTable> {
  return DeltaTable.open(path, { allowExternalFiles: flags['allow-external-files'] === true });
}

async function exists(path: string, flags: Flags): Promise<boolean> {
  try {
    await open(path, flags);
    return true;
  } catch (e) {
    if (e instanceof DeltaTableError && e.code === 'DELTA_TABLE_NOT_FOUND') return false;
    throw e;
  }
}

// ---- value rendering

/** A value for people: timestamps in ISO-8601 UTC, longs as digits, null as 'null'. */
function textValue(type: string | undefined, v: DeltaValue | undefined): Cell {
  if (v === null || v === undefined) return 'null';
  if (type === 'timestamp' && typeof v === 'bigint') return formatTimestamp(v);
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') return String(v);
  return v instanceof Date ? v.toISOString() : (v as Cell);
}

/** A value for JSON: timestamps as ISO strings, longs as numbers when exact (strings beyond 2^53). */
function jsonValue(type: string | undefined, v: DeltaValue | undefined): unknown {
  if (v === null || v === undefined) return null;
  if (type === 'timestamp' && typeof v === 'bigint') return formatTimestamp(v);
  if (typeof v === 'bigint') return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
  return v instanceof Date ? v.toISOString() : v;
}

function typesOf(schema: TableSchema, extra: Record<string, string> = {}): Map<string, string> {
  return new Map([...schema.fields.map((f): [string, string] => [f.name, f.type]), ...Object.entries(extra)]);
}

function printRows(io: CliIO, rows: readonly Record<string, DeltaValue>[], columns: readonly string[], types: Map<string, string>): void {
  io.out(formatTable(columns, rows.map((r) => columns.map((c) => textValue(types.get(c), r[c])))));
}

function metricsLines(metrics: Readonly<Record<string, unknown>>): string {
  const rows = Object.entries(metrics).map(([k, v]): Cell[] => [k, typeof v === 'object' && v !== null ? JSON.stringify(v) : (v as Cell)]);
  return formatTable(['metric', 'value'], rows);
}

// ---- commands

async function writeCommand(path: string, flags: Flags, io: CliIO, { properties }: Extra): Promise<number> {
  const from = stringFlag(flags, 'from', 'the input file (.csv, .jsonl or .parquet)');
  if (from === undefined) throw new UsageError('riffle table write: --from <file> is required', { hint: `usage: riffle table write ${COMMANDS.write!.usage}` });
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

async function setPropertyCommand(path: string, flags: Flags, io: CliIO, { args }: Extra): Promise<number> {
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

async function mergeCommand(path: string, flags: Flags, io: CliIO): Promise<number> {
  const from = stringFlag(flags, 'from', 'the input file (.csv, .jsonl or .parquet)');
  const on = listFlag(flags, 'on', 'comma-separated key columns');
  if (from === undefined || on === undefined) {
    throw new UsageError(`riffle table merge: ${from === undefined ? '--from <file>' : '--on <key,...>'} is required`, { hint: `usage: riffle table merge ${COMMANDS.merge!.usage}` });
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

async function describeCommand(path: string, flags: Flags, io: CliIO): Promise<number> {
  const snapshot = await (await open(path, flags)).snapshot();
  const size = snapshot.files.reduce((n, f) => n + f.size, 0);
  const { protocol, metadata } = snapshot;
  const info = {
    table: path, version: snapshot.version, id: metadata.id, name: metadata.name ?? null, description: metadata.description ?? null,
    createdTime: metadata.createdTime ? new Date(metadata.createdTime).toISOString() : null,
    schema: snapshot.schema.fields.map((f) => ({ name: f.name, type: f.type, nullable: f.nullable })),
    partitionColumns: snapshot.partitionColumns, properties: metadata.configuration,
    protocol: { minReaderVersion: protocol.minReaderVersion, minWriterVersion: protocol.minWriterVersion, readerFeatures: protocol.readerFeatures ?? null, writerFeatures: protocol.writerFeatures ?? null },
    numFiles: snapshot.files.length, sizeInBytes: size,
    numRecords: snapshot.files.every((f) => f.stats.numRecords !== undefined) ? snapshot.files.reduce((n, f) => n + (f.stats.numRecords ?? 0), 0) : null,
    appTransactions: Object.fromEntries([...snapshot.appTransactions].map(([id, t]) => [id, t.version])),
  };
  if (flags.json === true) {
    io.out(stringify(info));
    return 0;
  }
  const features = [...(protocol.readerFeatures ?? []), ...(protocol.writerFeatures ?? [])];
  io.out(formatTable(['property', 'value'], [
    ['table', path], ['version', info.version], ['id', info.id], ['name', info.name ?? ''], ['created', info.createdTime ?? ''],
    ['partition columns', info.partitionColumns.join(', ') || '(none)'],
    ['protocol', `reader ${protocol.minReaderVersion}, writer ${protocol.minWriterVersion}${features.length ? ` (${[...new Set(features)].join(', ')})` : ''}`],
    ['files', info.numFiles], ['size', `${formatNumber(size)} bytes`], ['rows', info.numRecords ?? 'unknown'],
    ...Object.entries(metadata.configuration).map(([k, v]): Cell[] => [`property ${k}`, v]),
    ...Object.entries(info.appTransactions).map(([k, v]): Cell[] => [`txn ${k}`, v]),
  ]));
  io.out('');
  io.out(formatTable(['column', 'type', 'nullable', 'partition'], snapshot.schema.fields.map((f) => [f.name, f.type, f.nullable ? 'yes' : 'no', snapshot.partitionColumns.includes(f.name) ? 'yes' : ''])));
  return 0;
}

async function historyCommand(path: string, flags: Flags, io: CliIO): Promise<number> {
  const limit = intFlag(flags, 'limit', 'a positive number of entries', 1);
  const history = await (await open(path, flags)).history(limit);
  if (flags.json === true) {
    io.out(stringify(history.map((h) => ({ version: h.version, timestamp: new Date(h.timestamp).toISOString(), operation: h.operation ?? null, operationParameters: h.operationParameters, operationMetrics: h.commitInfo.operationMetrics ?? null, engineInfo: h.commitInfo.engineInfo ?? null }))));
    return 0;
  }
  io.out(formatTable(['version', 'timestamp', 'operation', 'parameters'], history.map((h) => [
    h.version, new Date(h.timestamp).toISOString(), h.operation ?? '', compactParameters(h.operationParameters),
  ])));
  return 0;
}

function compactParameters(p: Readonly<Record<string, unknown>>): string {
  return Object.entries(p)
    .filter(([k]) => k !== 'metadata' && k !== 'protocol')
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ')
    .slice(0, 100);
}

async function showCommand(path: string, flags: Flags, io: CliIO): Promise<number> {
  const version = intFlag(flags, 'version', 'a table version (0, 1, …)');
  const timestamp = timestampFlag(flags, 'timestamp');
  if (version !== undefined && timestamp !== undefined) throw new UsageError('give --version or --timestamp, not both');
  const limit = intFlag(flags, 'limit', 'a positive number of rows', 1) ?? (flags.json === true ? undefined : 20);
  const where = whereFlag(flags);
  const columns = listFlag(flags, 'columns', 'comma-separated column names');
  const table = await open(path, flags);
  const snapshot = await table.snapshot(version !== undefined ? { version } : timestamp !== undefined ? { timestamp } : {});
  const rows = await table.read({ version: snapshot.version, where, columns });
  const shown = limit === undefined ? rows : rows.slice(0, limit);
  const names = columns ?? snapshot.schema.fields.map((f) => f.name);
  const types = typesOf(snapshot.schema);
  if (flags.json === true) {
    io.out(stringify({ table: path, version: snapshot.version, rows: shown.map((r) => Object.fromEntries(names.map((c) => [c, jsonValue(types.get(c), r[c])]))), total: rows.length }));
    return 0;
  }
  printRows(io, shown, names, types);
  io.out(`\n${formatNumber(shown.length)} of ${formatNumber(rows.length)} rows, version ${snapshot.version}${shown.length < rows.length ? ' (--limit N to show more)' : ''}`);
  return 0;
}

async function optimizeCommand(path: string, flags: Flags, io: CliIO): Promise<number> {
  const zOrderBy = listFlag(flags, 'zorder-by', 'comma-separated column names (1 to 4)');
  const targetFileSize = sizeFlag(flags, 'target-size');
  const where = whereFlag(flags);
  const result = await (await open(path, flags)).optimize({ zOrderBy, targetFileSize, where });
  if (flags.json === true) {
    io.out(stringify({ table: path, version: result.version ?? null, committed: result.committed, metrics: result.metrics }));
    return 0;
  }
  const m = result.metrics;
  io.out(result.committed
    ? `optimized ${path}${zOrderBy ? ` (Z-order by ${zOrderBy.join(', ')})` : ''}: ${formatNumber(m.numFilesRemoved)} files → ${formatNumber(m.numFilesAdded)}; version ${result.version}`
    : `optimized ${path}: nothing to do (no commit)`);
  io.out(metricsLines(m as unknown as Record<string, unknown>));
  return 0;
}

async function vacuumCommand(path: string, flags: Flags, io: CliIO): Promise<number> {
  const retention = stringFlag(flags, 'retention-hours', 'a number of hours');
  let retentionHours: number | undefined;
  if (retention !== undefined) {
    retentionHours = Number(retention);
    if (!/^\d+(\.\d+)?$/.test(retention.trim()) || !Number.isFinite(retentionHours)) throw new UsageError(`--retention-hours must be a number of hours (e.g. 168), got '${retention}'`);
  }
  const dryRun = flags['dry-run'] === true;
  const table = await open(path, flags);
  let result;
  try {
    result = await table.vacuum({ retentionHours, dryRun, enforceRetentionDuration: flags.force !== true });
  } catch (e) {
    if (!(e instanceof DeltaTableError && e.code === 'DELTA_INVALID_ARGUMENT' && /below the table's minimum/.test(e.message))) throw e;
    throw new UsageError(e.message.split('\n')[0]!, { hint: 'files younger than the retention may still be read by time travel or by writers on older versions; pass --force only if none are' });
  }
  if (flags.json === true) {
    io.out(stringify({ table: path, dryRun: result.dryRun, filesDeleted: result.filesDeleted, filesSkipped: result.filesSkipped }));
    return 0;
  }
  io.out(`${dryRun ? 'would delete' : 'deleted'} ${formatNumber(result.filesDeleted.length)} file${result.filesDeleted.length === 1 ? '' : 's'}${dryRun ? ' (dry run: nothing deleted)' : ''}`);
  for (const f of result.filesDeleted) io.out(`  ${f}`);
  if (result.filesSkipped.length > 0) {
    io.out(`kept ${formatNumber(result.filesSkipped.length)} file${result.filesSkipped.length === 1 ? '' : 's'} the log never knew whose names are not data-file names (vacuum never deletes those):`);
    for (const f of result.filesSkipped) io.out(`  ${f}`);
  }
  return 0;
}

async function restoreCommand(path: string, flags: Flags, io: CliIO): Promise<number> {
  const version = intFlag(flags, 'version', 'a table version (0, 1, …)');
  const timestamp = timestampFlag(flags, 'timestamp');
  if ((version === undefined) === (timestamp === undefined)) {
    throw new UsageError('riffle table restore: give exactly one of --version N or --timestamp T', { hint: `usage: riffle table restore ${COMMANDS.restore!.usage}` });
  }
  const result = await (await open(path, flags)).restore(version !== undefined ? { version } : { timestamp: timestamp! });
  if (flags.json === true) {
    io.out(stringify({ table: path, ...result }));
    return 0;
  }
  io.out(result.committed
    ? `restored ${path} to version ${result.restoredVersion} as version ${result.version}`
    : `${path} already matches version ${result.restoredVersion}: nothing to restore (still version ${result.version})`);
  io.out(metricsLines(result.metrics));
  return 0;
}

async function changesCommand(path: string, flags: Flags, io: CliIO): Promise<number> {
  const from = intFlag(flags, 'from', 'a table version (0, 1, …)');
  if (from === undefined) throw new UsageError('riffle table changes: --from V is required', { hint: `usage: riffle table changes ${COMMANDS.changes!.usage}` });
  const to = intFlag(flags, 'to', 'a table version (0, 1, …)');
  if (to !== undefined && to < from) throw new UsageError(`--to ${to} is before --from ${from}`);
  const table = await open(path, flags);
  const changes = await table.changes({ startingVersion: from, endingVersion: to });
  const schema = await table.schema();
  const types = typesOf(schema, { _change_type: 'string', _commit_version: 'long', _commit_timestamp: 'timestamp' });
  const names = ['_commit_version', '_change_type', ...schema.fields.map((f) => f.name), '_commit_timestamp'];
  if (flags.json === true) {
    io.out(stringify({ table: path, from, to: to ?? null, changes: changes.map((r) => Object.fromEntries(names.map((c) => [c, jsonValue(types.get(c), r[c])]))) }));
    return 0;
  }
  printRows(io, changes, names, types);
  io.out(`\n${formatNumber(changes.length)} changes`);
  return 0;
}
