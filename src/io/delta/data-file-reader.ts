/**
 * Reads one Delta data file into rows of canonical values (long → bigint, timestamp → bigint µs, date →
 * 'YYYY-MM-DD'; see `DeltaType`), with the partition values the log records for it, and filters them with a
 * predicate. The source reads files one at a time through this, so a split is one file.
 */
import { readFile } from 'node:fs/promises';
import type { Condition, DataFile, DeltaValue, Predicate, SchemaField, TableSchema } from '../../lakehouse/index.ts';
import { ConfigError } from '../../model/index.ts';
import { canonicalValue, type ColumnType, isValueError } from './delta-values.ts';

type Hyparquet = typeof import('hyparquet');
let hyparquet: Promise<Hyparquet> | undefined;
const DAY_MS = 86_400_000;

/** hyparquet's values kept exact: timestamps as µs bigints, dates as 'YYYY-MM-DD'. */
const PARSERS = {
  timestampFromMilliseconds: (v: bigint) => BigInt(v) * 1000n,
  timestampFromMicroseconds: (v: bigint) => BigInt(v),
  timestampFromNanoseconds: (v: bigint) => BigInt(v) / 1000n,
  dateFromDays: (days: number) => new Date(days * DAY_MS).toISOString().slice(0, 10),
};

/**
 * The rows of a data file: the `columns` wanted (all of the schema by default), partition columns from the log.
 * Columns missing from the file (added to the schema later) read as null.
 *
 * @example
 * const rows = await readDataFile(file, snapshot.schema, ['id', 'country']);
 */
export async function readDataFile(file: DataFile, schema: TableSchema, columns: readonly string[]): Promise<Record<string, DeltaValue>[]> {
  const { parquetMetadata, parquetReadObjects } = await (hyparquet ??= import('hyparquet'));
  const bytes = await readFile(file.absolutePath);
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const metadata = parquetMetadata(buffer);
  const present = new Set(metadata.schema.slice(1).map((e) => e.name));
  const fields = columns.map((c) => schema.fields.find((f) => f.name === c) as SchemaField);
  const fromFile = fields.filter((f) => !(f.name in file.partitionValues) && present.has(f.name));
  const raw = fromFile.length === 0 ? [] : await parquetReadObjects({ file: buffer, metadata, columns: fromFile.map((f) => f.name), parsers: PARSERS });
  const n = fromFile.length === 0 ? Number(metadata.num_rows) : raw.length;
  const rows: Record<string, DeltaValue>[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const src = raw[i] as Record<string, unknown> | undefined;
    const row: Record<string, DeltaValue> = {};
    for (const f of fields) {
      if (f.name in file.partitionValues) {
        row[f.name] = file.partitionValues[f.name] ?? null;
        continue;
      }
      const v = src?.[f.name];
      row[f.name] = v === undefined || v === null ? null : f.type === 'long' && typeof v === 'number' ? BigInt(v) : (v as DeltaValue);
    }
    rows[i] = row;
  }
  return rows;
}

type Test = (v: DeltaValue) => boolean;

/**
 * Compiles a `where` predicate (column → value or operators, all must hold; SQL null semantics) into a row test,
 * with operands converted to the columns' canonical values.
 *
 * @example
 * const keep = rowFilter({ id: { gt: 5 } }, schema); keep({ id: 7n }); // true
 */
export function rowFilter(where: Predicate | undefined, schema: TableSchema): (row: Readonly<Record<string, DeltaValue>>) => boolean {
  const tests: { column: string; test: Test }[] = [];
  for (const [column, cond] of Object.entries(where ?? {})) {
    const field = schema.fields.find((f) => f.name === column);
    if (!field) throw new ConfigError(`where: unknown column '${column}'`, { hint: `columns are ${schema.fields.map((f) => f.name).join(', ')}` });
    for (const test of conditionTests(field.name, field.type, cond)) tests.push({ column, test });
  }
  if (tests.length === 0) return () => true;
  return (row) => {
    for (const t of tests) if (!t.test(row[t.column] ?? null)) return false;
    return true;
  };
}

function conditionTests(column: string, type: ColumnType, cond: Condition): Test[] {
  const canon = (v: unknown): DeltaValue => {
    const c = canonicalValue(type, v);
    if (isValueError(c)) throw new ConfigError(`where: column '${column}' is ${type}, got ${c.error}`);
    return c;
  };
  if (cond === null) return [(v) => v === null];
  if (typeof cond !== 'object' || cond instanceof Date) {
    const x = canon(cond);
    return [(v) => v !== null && v === x];
  }
  const tests: Test[] = [];
  for (const [op, operand] of Object.entries(cond)) {
    if (op === 'isNull') {
      tests.push(operand ? (v) => v === null : (v) => v !== null);
      continue;
    }
    if (op === 'in') {
      const set = new Set((operand as unknown[]).map(canon));
      tests.push((v) => v !== null && set.has(v));
      continue;
    }
    const x = canon(operand) as number;
    switch (op) {
      case 'eq': tests.push((v) => v !== null && v === x); break;
      case 'ne': tests.push((v) => v !== null && v !== x); break;
      case 'lt': tests.push((v) => v !== null && (v as number) < x); break;
      case 'lte': tests.push((v) => v !== null && (v as number) <= x); break;
      case 'gt': tests.push((v) => v !== null && (v as number) > x); break;
      case 'gte': tests.push((v) => v !== null && (v as number) >= x); break;
      default: throw new ConfigError(`where: unknown operator '${op}' on column '${column}'`, { hint: 'use eq, ne, lt, lte, gt, gte, in, isNull' });
    }
  }
  return tests;
}
