/**
 * What the `riffle table` actions share: their flags (commander's options, by their kebab-case names), the checks of
 * option values (a usage error naming the option and what it takes), opening a table, and how values print (text
 * for people; JSON with ISO-8601 timestamps with microseconds — timestamp_ntz without a zone —, longs as numbers when
 * exact, decimals as exact strings, binary as base64, NaN and ±Infinity as "NaN", "Infinity", "-Infinity").
 */
import { resolve } from 'node:path';
import {
  checkTableProperties, DeltaTable, formatLocalTimestamp, isObjectStoreUrl, formatTimestamp, type DeltaValue, type NestedType, type Predicate, type TableSchema,
} from '../lakehouse/index.ts';
import { isRiffleError, messageOf, UsageError } from './cli-error.ts';
import type { CliIO } from './cli-io.ts';
import type { Command } from './command-kit.ts';
import { declaredColumnTypes, invalidUtf8Flag } from './column-types.ts';
import { formatTable, type Cell } from './table.ts';
import { parseWhere } from './table-where.ts';

/** A table command's flags by their names on the command line (`merge-schema`, `allow-external-files`). */
export type Flags = Record<string, string | boolean>;

/** What a command gets besides its flags: extra positionals (set-property) and `--property k=v` pairs. */
export interface Extra {
  readonly args: readonly string[];
  readonly properties: Readonly<Record<string, string>> | undefined;
}

/** A table action as the definitions call it. */
export type TableAction = (path: string, flags: Flags, io: CliIO, extra: Extra) => Promise<number>;

/**
 * Runs a table action for `cmd`: the table path (resolved from the working directory), the flags given (this
 * command's and `riffle table`'s), the extra arguments and the `--property` pairs.
 */
export async function runTableAction(cmd: Command, io: CliIO, run: TableAction): Promise<number> {
  const values = cmd.optsWithGlobals<Record<string, unknown>>();
  const flags: Flags = {};
  for (const option of [...cmd.options, ...(cmd.parent?.options ?? [])]) {
    const value = values[option.attributeName()];
    if (option.long !== undefined && (typeof value === 'string' || value === true)) flags[option.long.slice(2)] = value;
  }
  const [table, extra = []] = cmd.processedArgs as [string, string[] | undefined];
  const property = values.property as string[] | undefined;
  // s3://, az://, abfss:// tables are URLs (the lakehouse reaches them through its object store), not paths.
  return run(isObjectStoreUrl(table) ? table : resolve(io.cwd, table), flags, io, { args: extra, properties: property === undefined ? undefined : propertyPairs(property, '--property') });
}

/** `k=v` arguments as properties (the value may be empty or hold '='), validated as the table will validate them. */
export function propertyPairs(args: readonly string[], where: string): Record<string, string> {
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
    if (isRiffleError(e) && e.code.startsWith('DELTA_')) throw new UsageError(`${where}: ${messageOf(e)}`, { hint: e.hint });
    throw e;
  }
  return out;
}

// ---- option helpers

/** --invalid-utf8 error|replace (see column-types.ts). */
export function inputOptions(flags: Flags): { invalidUtf8?: 'error' | 'replace' } {
  const invalidUtf8 = invalidUtf8Flag(flags['invalid-utf8']);
  return invalidUtf8 ? { invalidUtf8 } : {};
}

/** The CSV column types declared by --columns id:string,... and/or --schema FILE (see column-types.ts). */
export function inputColumnTypes(flags: Flags, io: CliIO): ReturnType<typeof declaredColumnTypes> {
  return declaredColumnTypes({ columns: flags.columns, ...(typeof flags.schema === 'string' ? { schema: resolve(io.cwd, flags.schema) } : { schema: flags.schema }) });
}

export function stringFlag(flags: Flags, name: string, what: string): string | undefined {
  const v = flags[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v === '') throw new UsageError(`--${name} needs a value: ${what}`);
  return v;
}

export function intFlag(flags: Flags, name: string, what: string, min = 0): number | undefined {
  const v = stringFlag(flags, name, what);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || !Number.isSafeInteger(n) || n < min) throw new UsageError(`--${name} must be ${what}, got '${v}'`);
  return n;
}

export function listFlag(flags: Flags, name: string, what: string): string[] | undefined {
  const v = stringFlag(flags, name, what);
  if (v === undefined) return undefined;
  const list = v.split(',').map((s) => s.trim());
  if (list.some((s) => s === '')) throw new UsageError(`--${name} must be ${what}, got '${v}'`);
  return list;
}

export function timestampFlag(flags: Flags, name: string): string | undefined {
  const v = stringFlag(flags, name, 'an ISO-8601 time, e.g. 2024-05-01T12:00:00Z');
  if (v !== undefined && Number.isNaN(Date.parse(v))) throw new UsageError(`--${name} must be an ISO-8601 time (e.g. 2024-05-01T12:00:00Z), got '${v}'`);
  return v;
}

/** `--target-size`: bytes, or a number with KB/MB/GB (powers of 1024, also KiB/MiB/GiB). */
export function sizeFlag(flags: Flags, name: string): number | undefined {
  const v = stringFlag(flags, name, 'a size such as 134217728, 128MB or 1GB');
  if (v === undefined) return undefined;
  const m = /^(\d+(?:\.\d+)?)\s*(b|kb|kib|mb|mib|gb|gib)?$/i.exec(v.trim());
  if (!m) throw new UsageError(`--${name} must be a size such as 134217728, 128MB or 1GB, got '${v}'`);
  const unit = (m[2] ?? 'b').toLowerCase()[0]!;
  const bytes = Math.round(Number(m[1]) * ({ b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 } as Record<string, number>)[unit]!);
  if (bytes < 1) throw new UsageError(`--${name} must be at least 1 byte`);
  return bytes;
}

export function whereFlag(flags: Flags): Predicate | undefined {
  const v = stringFlag(flags, 'where', `a predicate, e.g. "country = 'fr' and amount > 3"`);
  return v === undefined ? undefined : parseWhere(v);
}

/**
 * Opens a table; a missing one is a clear error. Data files outside the table (absolute paths in its log) are
 * refused unless --allow-external-files.
 */
export async function open(path: string, flags: Flags): Promise<DeltaTable> {
  return DeltaTable.open(path, { allowExternalFiles: flags['allow-external-files'] === true });
}

export async function exists(path: string, flags: Flags): Promise<boolean> {
  try {
    await open(path, flags);
    return true;
  } catch (e) {
    if (isRiffleError(e) && e.code === 'DELTA_TABLE_NOT_FOUND') return false;
    throw e;
  }
}

// ---- value rendering

/** A value for people: timestamps in ISO-8601 (UTC; timestamp_ntz without zone), longs as digits, binary as 0x… hex, null as 'null'. */
export function textValue(type: ColumnType | undefined, v: DeltaValue | undefined): Cell {
  if (v === null || v === undefined) return 'null';
  if (typeof type === 'object') return JSON.stringify(jsonValue(type, v), (_k, x: unknown) => (typeof x === 'number' && !Number.isFinite(x) ? String(x) : x));
  if (type === 'timestamp' && typeof v === 'bigint') return formatTimestamp(v);
  if (type === 'timestamp_ntz' && typeof v === 'bigint') return formatLocalTimestamp(v, 'T');
  if (v instanceof Uint8Array) return `0x${Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex')}`;
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') return String(v);
  return v instanceof Date ? v.toISOString() : (v as Cell);
}

/** A column's type for rendering: its name, or the full type of a nested column. */
export type ColumnType = string | NestedType;

/**
 * A value for JSON: timestamps as ISO-8601 strings with microseconds ('…Z'; timestamp_ntz without a zone), longs as
 * numbers when exact (strings beyond 2^53), decimals as their exact strings ('12.30'), binary as base64; nested values
 * as JSON: a struct as an object, an array as an array, a map as an object (keys rendered as text), leaves as above.
 */
export function jsonValue(type: ColumnType | undefined, v: DeltaValue | undefined): unknown {
  if (v === null || v === undefined) return null;
  if (typeof type === 'object') {
    if (type.type === 'array') return (v as readonly DeltaValue[]).map((e) => jsonValue(type.elementType, e));
    if (type.type === 'map') {
      return Object.fromEntries([...(v as ReadonlyMap<DeltaValue, DeltaValue>)].map(([k, x]) => [String(textValue(type.keyType, k)), jsonValue(type.valueType, x)]));
    }
    const o = v as Readonly<Record<string, DeltaValue>>;
    return Object.fromEntries(type.fields.map((f) => [f.name, jsonValue(f.type, o[f.name])]));
  }
  if (type === 'timestamp' && typeof v === 'bigint') return formatTimestamp(v);
  if (type === 'timestamp_ntz' && typeof v === 'bigint') return formatLocalTimestamp(v, 'T');
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
  if (typeof v === 'bigint') return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
  return v instanceof Date ? v.toISOString() : v;
}

export function typesOf(schema: TableSchema, extra: Record<string, string> = {}): Map<string, ColumnType> {
  return new Map([...schema.fields.map((f): [string, ColumnType] => [f.name, f.nested ?? f.type]), ...Object.entries(extra)]);
}

export function printRows(io: CliIO, rows: readonly Record<string, DeltaValue>[], columns: readonly string[], types: Map<string, ColumnType>): void {
  io.out(formatTable(columns, rows.map((r) => columns.map((c) => textValue(types.get(c), r[c])))));
}

export function metricsLines(metrics: Readonly<Record<string, unknown>>): string {
  const rows = Object.entries(metrics).map(([k, v]): Cell[] => [k, typeof v === 'object' && v !== null ? JSON.stringify(v) : (v as Cell)]);
  return formatTable(['metric', 'value'], rows);
}
