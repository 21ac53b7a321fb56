/**
 * The input files of `riffle table write|merge`: CSV, JSON Lines or Parquet, read into rows typed for a Delta table.
 * Columns of an existing table take the table's types; columns declared with --columns/--schema take the declared
 * type; other columns (a new table, or new columns with --merge-schema) get a type inferred from all their values,
 * by the typing rule every CSV reader of Riffle shares (io/files csv-typing.ts):
 *
 * | values (CSV cells, JSON values)                          | type      |
 * |----------------------------------------------------------|-----------|
 * | integers (JSON numbers without fraction), no leading 0   | long      |
 * | numbers (`inf`/`Infinity` included)                      | double    |
 * | true/false                                               | boolean   |
 * | YYYY-MM-DD                                               | date      |
 * | ISO-8601 timestamps (no zone is read as UTC)             | timestamp |
 * | anything else (`007`, `01234` included)                  | string    |
 *
 * Empty CSV cells, pandas' NA strings (`NA`, `null`, `NaN`, `N/A`, ...) and JSON nulls are nulls, except in a column
 * declared `string`, which keeps every non-empty cell as written. CSV files are read by the shared CSV reader (one
 * tokenizer and recovery rule); a record it cannot read (an unterminated quote, a wrong field count, a line that is
 * not UTF-8, ...) refuses the whole input with the count and the first reasons: nothing is written. Parquet columns
 * keep their Parquet types. The whole file is read into memory (for larger inputs, use io.delta.write in a pipeline).
 */
import { readFileSync, statSync } from 'node:fs';
import { extname } from 'node:path';
import { files } from '../io/index.ts';
import { bytesSource, GuardedParquet, type DeltaType, type Row, type TableSchema } from '../lakehouse/index.ts';
import { RiffleError } from '../model/index.ts';
import { isRiffleError, UsageError } from './cli-error.ts';
import type { DeclaredType } from './column-types.ts';

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
const BOOLEAN = /^(true|false)$/i;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:?\d{2})?$/;

/**
 * Reads a .csv/.tsv, .jsonl/.ndjson/.json (JSON Lines) or .parquet file. `declared` (from --columns/--schema) fixes
 * the types of CSV columns; every declared column must be in the file.
 *
 * @example
 * const { rows } = await readInputFile('/data/in.csv', (await table.snapshot()).schema);
 */
export async function readInputFile(path: string, table: TableSchema | undefined, declared?: ReadonlyMap<string, DeclaredType>, options: { invalidUtf8?: files.InvalidUtf8 } = {}): Promise<InputRows> {
  const ext = extname(path).toLowerCase();
  try {
    if (!statSync(path).isFile()) throw new UsageError(`cannot read --from ${path}: not a file`);
  } catch (e) {
    if (isRiffleError(e)) throw e;
    throw new UsageError(`cannot read --from ${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  if (declared !== undefined && declared.size > 0 && ext !== '.csv' && ext !== '.tsv') {
    throw new UsageError(`--columns/--schema apply to CSV input; ${path} is ${ext || 'not CSV'}`, { hint: 'JSON Lines and Parquet files carry their own types' });
  }
  if (ext === '.parquet') return readParquetFile(path, table);
  if (ext === '.csv' || ext === '.tsv') return typeCsv(path, ext === '.tsv' ? '\t' : ',', table, declared, options.invalidUtf8);
  if (ext === '.jsonl' || ext === '.ndjson' || ext === '.json') return typeJsonl(path, table, options.invalidUtf8);
  throw new UsageError(`--from ${path}: unsupported file type '${ext || '(none)'}'`, { hint: 'use a .csv, .tsv, .jsonl or .parquet file' });
}

function tableType(table: TableSchema | undefined, column: string): DeltaType | undefined {
  return table?.fields.find((f) => f.name === column)?.type as DeltaType | undefined;
}

/** Refuses the input when some records could not be read: the count and the first reasons. */
function refuseUnreadable(path: string, problems: readonly string[], count: number): void {
  if (count === 0) return;
  const shown = problems.slice(0, 5).map((p) => `\n  ${path}:${p}`).join('');
  throw new InputError(`${path}: ${count} record${count === 1 ? '' : 's'} could not be read, so nothing was written:${shown}${count > 5 ? `\n  ... and ${count - 5} more` : ''}`);
}

// ---- CSV

async function typeCsv(path: string, delimiter: string, table: TableSchema | undefined, declared: ReadonlyMap<string, DeclaredType> | undefined, invalidUtf8: files.InvalidUtf8 | undefined): Promise<InputRows> {
  const body: { fields: string[]; line: number }[] = [];
  const problems: string[] = [];
  let unreadable = 0;
  let columns: string[] | undefined;
  const sink: files.CsvReadSink = {
    header(names) {
      const dup = names.find((c, i) => names.indexOf(c) !== i);
      if (dup !== undefined) return `column '${dup}' appears twice in the header`;
      columns = names;
      return undefined;
    },
    record: (fields, line) => void body.push({ fields, line }),
    malformed(reason) {
      unreadable++;
      if (problems.length < 5) problems.push(reason.replace(/^line (\d+): /, '$1: '));
    },
  };
  for await (const _ of files.readCsvRecords(path, { header: true, delimiter, ...(invalidUtf8 ? { invalidUtf8 } : {}) }, sink));
  refuseUnreadable(path, problems, unreadable);
  if (!columns) throw new InputError(`${path}: the file is empty (a header line is expected)`);
  const header = columns;
  for (const name of declared?.keys() ?? []) {
    if (!header.includes(name)) throw new InputError(`${path}: --columns/--schema declare column '${name}', which the header lacks (it has ${header.join(', ')})`);
  }
  const types = new Map<string, DeltaType>();
  header.forEach((c, i) => {
    const own = tableType(table, c);
    const wanted = declared?.get(c);
    if (own !== undefined && wanted !== undefined && own !== wanted) throw new InputError(`${path}: column '${c}' is declared ${wanted}, but the table has it as ${own}`);
    types.set(c, own ?? wanted ?? inferCells(body.map((r) => r.fields[i]!)));
  });
  const exact = header.map((c) => declared?.get(c) === 'string');
  const rows = body.map(({ fields, line: at }) => {
    const row: Row = {};
    header.forEach((c, i) => {
      row[c] = fromCell(fields[i]!, types.get(c)!, exact[i]!, `${path}:${at}: column '${c}'`);
    });
    return row;
  });
  return { rows, types };
}

/** A column's Delta type from its CSV cells, by the shared typing rule. */
function inferCells(cells: readonly string[]): DeltaType {
  const k = new files.KindInference();
  for (const c of cells) k.add(c);
  switch (k.kind) {
    case 'integer': return k.fitsLong ? 'long' : 'double';
    case 'float': return 'double';
    default: return k.kind;
  }
}

function fromCell(cell: string, type: DeltaType, exact: boolean, where: string): Row[string] {
  if (cell === '') return null;
  if (exact) return cell;
  if (files.isMissing(cell)) return null;
  const t = cell.trim();
  const bad = (what: string) => new InputError(`${where} is ${type}, but '${cell}' is not ${what}`);
  switch (type) {
    case 'string': return cell;
    case 'long':
      if (!INTEGER.test(t) || !files.fitsLong(t)) throw bad('a 64-bit integer');
      return BigInt(t);
    case 'integer': case 'short': case 'byte':
      if (!INTEGER.test(t) || Math.abs(Number(t)) > 2 ** 31) throw bad(`a ${type === 'integer' ? 32 : type === 'short' ? 16 : 8}-bit integer`);
      return Number(t); // the table's schema enforcement checks short/byte ranges
    case 'double': case 'float': {
      const n = files.numberOf(t);
      if (n === undefined) throw bad('a number');
      return n;
    }
    case 'timestamp_ntz':
      if (!TIMESTAMP.test(t) || /(Z|[+-]\d{2}:?\d{2})$/.test(t)) throw bad('an ISO-8601 timestamp without a zone');
      return t;
    case 'boolean':
      if (!BOOLEAN.test(t)) throw bad('true or false');
      return t.toLowerCase() === 'true';
    case 'date':
      if (!DATE.test(t)) throw bad('a YYYY-MM-DD date');
      return t;
    case 'timestamp':
      if (!TIMESTAMP.test(t)) throw bad('an ISO-8601 timestamp');
      return /(Z|[+-]\d{2}:?\d{2})$/.test(t) ? t : `${t}Z`;
    case 'binary':
      throw new InputError(`${where} is binary, which CSV cannot give (write binary columns through the API)`);
    default:
      // decimal(p,s): the exact text, checked (digits, scale) by the table's schema enforcement; nested types have no CSV form.
      if (type.startsWith('decimal(')) return t;
      throw new InputError(`${where} is ${type}, which CSV cannot give (write nested columns from JSON Lines or through the API)`);
  }
}

// ---- JSON Lines

async function typeJsonl(path: string, table: TableSchema | undefined, invalidUtf8: files.InvalidUtf8 | undefined): Promise<InputRows> {
  const parsed: { row: Record<string, unknown>; line: number }[] = [];
  const problems: string[] = [];
  let unreadable = 0;
  const fail = (line: number, reason: string) => {
    unreadable++;
    if (problems.length < 5) problems.push(`${line}: ${reason}`);
  };
  for await (const { lines, firstLine, error } of files.readLines(path, invalidUtf8 ? { invalidUtf8 } : {})) {
    lines.forEach((l, i) => {
      const line = firstLine + i;
      if (l.trim() === '') return;
      if (l.length > files.DEFAULT_MAX_JSON_DEPTH && files.jsonDepthOver(l, files.DEFAULT_MAX_JSON_DEPTH)) return fail(line, `nested deeper than ${files.DEFAULT_MAX_JSON_DEPTH} levels`);
      let value: unknown;
      try {
        value = JSON.parse(l);
      } catch (e) {
        return fail(line, `not JSON (${(e as Error).message})`);
      }
      if (value === null || typeof value !== 'object' || Array.isArray(value)) return fail(line, 'a line must be a JSON object');
      parsed.push({ row: value as Record<string, unknown>, line });
    });
    if (error) fail(firstLine + lines.length, error.reason);
  }
  refuseUnreadable(path, problems, unreadable);
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
  if (kinds.has('object') || kinds.has('array')) throw new InputError(`${path}: column '${column}' holds nested values, whose type cannot be inferred: create the table with the column's type first (e.g. array<long>, struct<a:long,b:string>)`);
  if (kinds.size > 1) throw new InputError(`${path}: column '${column}' mixes ${[...kinds].join(' and ')} values, so its type cannot be inferred`);
  const kind = [...kinds][0];
  if (kind === undefined) return 'string';
  if (kind === 'number') return present.every((v) => Number.isSafeInteger(v)) ? 'long' : 'double';
  if (kind === 'boolean') return 'boolean';
  // JSON strings are strings, unless all are dates or timestamps.
  const k = files.inferColumnKind(present as string[]);
  return k === 'date' || k === 'timestamp' ? k : 'string';
}

function fromJson(value: unknown, type: DeltaType, where: string): Row[string] {
  if (value === null || value === undefined) return null;
  const bad = () => new InputError(`${where} is ${type}, but ${JSON.stringify(value)} does not fit`);
  switch (type) {
    case 'long':
      if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
      if (typeof value === 'string' && INTEGER.test(value) && files.fitsLong(value)) return BigInt(value);
      throw bad();
    case 'integer': case 'double': case 'short': case 'byte': case 'float':
      if (typeof value === 'number') return value;
      throw bad();
    case 'timestamp_ntz':
      if (typeof value === 'string' && TIMESTAMP.test(value) && !/(Z|[+-]\d{2}:?\d{2})$/.test(value)) return value;
      throw bad();
    case 'binary':
      throw new InputError(`${where} is binary, which JSON cannot give (write binary columns through the API)`);
    case 'boolean':
      if (typeof value === 'boolean') return value;
      throw bad();
    case 'timestamp':
      if (typeof value === 'string' && TIMESTAMP.test(value)) return /(Z|[+-]\d{2}:?\d{2})$/.test(value) ? value : `${value}Z`;
      throw bad();
    case 'date': case 'string':
      if (typeof value === 'string') return value;
      throw bad();
    default:
      // decimal(p,s): a string (exact) or a number (at most 15 significant digits), checked by the table's schema
      // enforcement; nested types: the JSON value itself (objects, arrays; maps with string keys as objects).
      if (type.startsWith('decimal(') && (typeof value === 'string' || typeof value === 'number')) return value;
      if (!type.startsWith('decimal(') && typeof value === 'object') return value as Row[string];
      throw bad();
  }
}

// ---- Parquet

const DAY_MS = 86_400_000;

async function readParquetFile(path: string, table: TableSchema | undefined): Promise<InputRows> {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new UsageError(`cannot read --from ${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  // The lakehouse's guarded reader: a damaged file is a ParquetFileError naming it, never a hang or a stack.
  const guarded = await GuardedParquet.open(bytesSource(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)), path);
  const metadata = guarded.metadata;
  const [root, ...elements] = metadata.schema;
  if (elements.length !== (root?.num_children ?? 0)) throw new InputError(`${path}: nested Parquet columns cannot be written to a Riffle table yet`);
  const types = new Map<string, DeltaType>();
  for (const e of elements) types.set(e.name, tableType(table, e.name) ?? parquetType(path, e));
  const raw: Record<string, unknown>[] = [];
  for (let g = 0; g < metadata.row_groups.length; g++) {
    await guarded.readRowGroup(g, {
      rowFormat: 'object',
      onComplete: (rows: Record<string, unknown>[]) => { for (const r of rows) raw.push(r); },
      parsers: {
        timestampFromMilliseconds: (v: bigint) => BigInt(v) * 1000n,
        timestampFromMicroseconds: (v: bigint) => BigInt(v),
        timestampFromNanoseconds: (v: bigint) => BigInt(v) / 1000n,
        dateFromDays: (days: number) => new Date(days * DAY_MS).toISOString().slice(0, 10),
      },
    });
  }
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
