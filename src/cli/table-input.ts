/**
 * The input files of `riffle table write|merge`: CSV, JSON Lines or Parquet, read into rows typed for a Delta table.
 * Columns of an existing table take the table's types; other columns (a new table, or new columns with
 * --merge-schema) get a type inferred from all their values:
 *
 * | values (CSV cells, JSON values)                 | type      |
 * |-------------------------------------------------|-----------|
 * | integers (JSON numbers without fraction)        | long      |
 * | numbers                                         | double    |
 * | true/false                                      | boolean   |
 * | YYYY-MM-DD                                      | date      |
 * | ISO-8601 timestamps (no zone is read as UTC)    | timestamp |
 * | anything else                                   | string    |
 *
 * Empty CSV cells and JSON nulls are nulls. Parquet columns keep their Parquet types. The whole file is read into
 * memory (for larger inputs, use io.delta.write in a pipeline).
 */
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { files } from '../io/index.ts';
import type { DeltaType, Row, TableSchema } from '../lakehouse/index.ts';
import { RiffleError } from '../model/index.ts';
import { UsageError } from './cli-error.ts';

/**
 * Rows read from a file, with the Delta type of every column (the table's, or inferred).
 *
 * @example
 * const { rows, types } = await readInputFile('orders.csv', schema);
 */
export interface InputRows {
  readonly rows: Row[];
  /** Every column of the file in file order, with its type. */
  readonly types: ReadonlyMap<string, DeltaType>;
}

/** A value in the input does not fit its column: exit 1 with file, line and column. */
class InputError extends RiffleError {
  constructor(message: string) {
    super('TABLE_INPUT_INVALID', message, { domain: 'user', hint: 'fix the input file (nothing was written)' });
  }
}

const INTEGER = /^[+-]?\d+$/;
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const BOOLEAN = /^(true|false)$/i;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:?\d{2})?$/;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/**
 * Reads a .csv, .jsonl/.ndjson/.json (JSON Lines) or .parquet file.
 *
 * @example
 * const { rows } = await readInputFile('/data/in.csv', (await table.snapshot()).schema);
 */
export async function readInputFile(path: string, table: TableSchema | undefined): Promise<InputRows> {
  const ext = extname(path).toLowerCase();
  if (ext === '.parquet') return readParquetFile(path, table);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read --from ${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  if (ext === '.csv' || ext === '.tsv') return typeCsv(path, text, ext === '.tsv' ? '\t' : ',', table);
  if (ext === '.jsonl' || ext === '.ndjson' || ext === '.json') return typeJsonl(path, text, table);
  throw new UsageError(`--from ${path}: unsupported file type '${ext || '(none)'}'`, { hint: 'use a .csv, .tsv, .jsonl or .parquet file' });
}

function tableType(table: TableSchema | undefined, column: string): DeltaType | undefined {
  return table?.fields.find((f) => f.name === column)?.type as DeltaType | undefined;
}

// ---- CSV

function typeCsv(path: string, text: string, delimiter: string, table: TableSchema | undefined): InputRows {
  const records: { fields: string[]; line: number }[] = [];
  const parser = new files.CsvRecordParser({ delimiter, quote: '"' });
  let line = 0;
  const sink = {
    record: (fields: string[]) => void records.push({ fields, line }),
    malformed: (reason: string, at: number) => {
      throw new InputError(`${path}:${at}: ${reason}`);
    },
  };
  const lines = text.split(/\r?\n/);
  if (lines.at(-1) === '') lines.pop();
  for (const l of lines) parser.push(l, ++line, sink);
  parser.end(sink);
  const [header, ...body] = records;
  if (!header) throw new InputError(`${path}: the file is empty (a header line is expected)`);
  const columns = header.fields;
  const dup = columns.find((c, i) => columns.indexOf(c) !== i);
  if (dup !== undefined) throw new InputError(`${path}: column '${dup}' appears twice in the header`);
  const types = new Map<string, DeltaType>();
  columns.forEach((c, i) => types.set(c, tableType(table, c) ?? inferStrings(body.map((r) => r.fields[i]))));
  const rows = body.map(({ fields, line: at }) => {
    if (fields.length !== columns.length) throw new InputError(`${path}:${at}: ${fields.length} fields, the header has ${columns.length}`);
    const row: Row = {};
    columns.forEach((c, i) => {
      row[c] = fromCell(fields[i]!, types.get(c)!, `${path}:${at}: column '${c}'`);
    });
    return row;
  });
  return { rows, types };
}

function inferStrings(cells: ReadonlyArray<string | undefined>): DeltaType {
  const present = cells.filter((c): c is string => c !== undefined && c !== '');
  if (present.length === 0) return 'string';
  if (present.every((c) => INTEGER.test(c.trim()) && fitsLong(c.trim()))) return 'long';
  if (present.every((c) => NUMBER.test(c.trim()))) return 'double';
  if (present.every((c) => BOOLEAN.test(c.trim()))) return 'boolean';
  if (present.every((c) => DATE.test(c.trim()))) return 'date';
  if (present.every((c) => TIMESTAMP.test(c.trim()))) return 'timestamp';
  return 'string';
}

function fitsLong(text: string): boolean {
  const n = BigInt(text);
  return n >= INT64_MIN && n <= INT64_MAX;
}

function fromCell(cell: string, type: DeltaType, where: string): Row[string] {
  if (cell === '') return null;
  const t = cell.trim();
  const bad = (what: string) => new InputError(`${where} is ${type}, but '${cell}' is not ${what}`);
  switch (type) {
    case 'string': return cell;
    case 'long':
      if (!INTEGER.test(t) || !fitsLong(t)) throw bad('a 64-bit integer');
      return BigInt(t);
    case 'integer':
      if (!INTEGER.test(t) || Math.abs(Number(t)) > 2 ** 31) throw bad('a 32-bit integer');
      return Number(t);
    case 'double':
      if (!NUMBER.test(t)) throw bad('a number');
      return Number(t);
    case 'boolean':
      if (!BOOLEAN.test(t)) throw bad('true or false');
      return t.toLowerCase() === 'true';
    case 'date':
      if (!DATE.test(t)) throw bad('a YYYY-MM-DD date');
      return t;
    case 'timestamp':
      if (!TIMESTAMP.test(t)) throw bad('an ISO-8601 timestamp');
      return /(Z|[+-]\d{2}:?\d{2})$/.test(t) ? t : `${t}Z`;
  }
}

// ---- JSON Lines

function typeJsonl(path: string, text: string, table: TableSchema | undefined): InputRows {
  const parsed: { row: Record<string, unknown>; line: number }[] = [];
  text.split(/\r?\n/).forEach((l, i) => {
    if (l.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(l);
    } catch (e) {
      throw new InputError(`${path}:${i + 1}: not JSON (${(e as Error).message})`);
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new InputError(`${path}:${i + 1}: a line must be a JSON object`);
    parsed.push({ row: value as Record<string, unknown>, line: i + 1 });
  });
  const columns: string[] = [];
  for (const { row } of parsed) for (const k of Object.keys(row)) if (!columns.includes(k)) columns.push(k);
  const types = new Map<string, DeltaType>();
  for (const c of columns) types.set(c, tableType(table, c) ?? inferJson(path, c, parsed.map((p) => p.row[c])));
  const rows = parsed.map(({ row, line }) => {
    const out: Row = {};
    for (const c of columns) out[c] = fromJson(row[c], types.get(c)!, `${path}:${line}: column '${c}'`);
    return out;
  });
  return { rows, types };
}

function inferJson(path: string, column: string, values: readonly unknown[]): DeltaType {
  const present = values.filter((v) => v !== null && v !== undefined);
  const kinds = new Set(present.map((v) => (Array.isArray(v) ? 'array' : typeof v)));
  if (kinds.has('object') || kinds.has('array')) throw new InputError(`${path}: column '${column}' holds nested values, which Riffle tables cannot store yet`);
  if (kinds.size > 1) throw new InputError(`${path}: column '${column}' mixes ${[...kinds].join(' and ')} values, so its type cannot be inferred`);
  const kind = [...kinds][0];
  if (kind === undefined) return 'string';
  if (kind === 'number') return present.every((v) => Number.isSafeInteger(v)) ? 'long' : 'double';
  if (kind === 'boolean') return 'boolean';
  return inferStrings(present as string[]) === 'date' ? 'date' : inferStrings(present as string[]) === 'timestamp' ? 'timestamp' : 'string';
}

function fromJson(value: unknown, type: DeltaType, where: string): Row[string] {
  if (value === null || value === undefined) return null;
  const bad = () => new InputError(`${where} is ${type}, but ${JSON.stringify(value)} does not fit`);
  switch (type) {
    case 'long':
      if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
      if (typeof value === 'string' && INTEGER.test(value) && fitsLong(value)) return BigInt(value);
      throw bad();
    case 'integer': case 'double':
      if (typeof value === 'number') return value;
      throw bad();
    case 'boolean':
      if (typeof value === 'boolean') return value;
      throw bad();
    case 'timestamp':
      if (typeof value === 'string' && TIMESTAMP.test(value)) return /(Z|[+-]\d{2}:?\d{2})$/.test(value) ? value : `${value}Z`;
      throw bad();
    case 'date': case 'string':
      if (typeof value === 'string') return value;
      throw bad();
  }
}

// ---- Parquet

const DAY_MS = 86_400_000;

async function readParquetFile(path: string, table: TableSchema | undefined): Promise<InputRows> {
  const { parquetMetadata, parquetReadObjects } = await import('hyparquet');
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new UsageError(`cannot read --from ${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const metadata = parquetMetadata(file);
  const [root, ...elements] = metadata.schema;
  if (elements.length !== (root?.num_children ?? 0)) throw new InputError(`${path}: nested Parquet columns cannot be written to a Riffle table yet`);
  const types = new Map<string, DeltaType>();
  for (const e of elements) types.set(e.name, tableType(table, e.name) ?? parquetType(path, e));
  const raw = await parquetReadObjects({
    file, metadata,
    parsers: {
      timestampFromMilliseconds: (v: bigint) => BigInt(v) * 1000n,
      timestampFromMicroseconds: (v: bigint) => BigInt(v),
      timestampFromNanoseconds: (v: bigint) => BigInt(v) / 1000n,
      dateFromDays: (days: number) => new Date(days * DAY_MS).toISOString().slice(0, 10),
    },
  });
  const rows = (raw as Record<string, unknown>[]).map((r) => {
    const row: Row = {};
    for (const [c, t] of types) {
      const v = r[c];
      row[c] = v === undefined ? null : t === 'long' && typeof v === 'number' ? BigInt(v) : (v as Row[string]);
    }
    return row;
  });
  return { rows, types };
}

function parquetType(path: string, e: { name: string; type?: string; converted_type?: string; logical_type?: { type: string } }): DeltaType {
  const logical = e.logical_type?.type;
  if (e.type === 'BOOLEAN') return 'boolean';
  if (e.type === 'DOUBLE' || e.type === 'FLOAT') return 'double';
  if (e.type === 'INT32') return e.converted_type === 'DATE' || logical === 'DATE' ? 'date' : e.converted_type === 'DECIMAL' || logical === 'DECIMAL' ? unsupported() : 'integer';
  if (e.type === 'INT64') {
    if (logical === 'TIMESTAMP' || e.converted_type?.startsWith('TIMESTAMP')) return 'timestamp';
    return e.converted_type === 'DECIMAL' || logical === 'DECIMAL' ? unsupported() : 'long';
  }
  if (e.type === 'BYTE_ARRAY' && (e.converted_type === 'UTF8' || logical === 'STRING' || logical === 'JSON' || logical === 'ENUM')) return 'string';
  return unsupported();
  function unsupported(): never {
    throw new InputError(`${path}: column '${e.name}' has Parquet type ${e.type}${e.converted_type ? ` (${e.converted_type})` : ''}, which Riffle tables cannot store yet`);
  }
}
