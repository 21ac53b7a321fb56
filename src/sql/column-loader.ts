/**
 * Typed columns into and out of DuckDB by data chunks: the columnar counterpart of row-loader.ts. Numbers, timestamps
 * and decimals are copied into a chunk's vectors as whole byte ranges (one native copy per column per 2048 rows),
 * validity bitmaps too — Arrow's layout (bit i of byte i/8 set when row i holds a value) is DuckDB's — and only
 * strings go one value at a time (dictionary strings from their dictionary's JS strings, never re-decoded). DuckDB's
 * Arrow extension is not available offline, so this is how Arrow record batches reach DuckDB.
 */
import type { DuckDBConnection, DuckDBDataChunk, DuckDBType } from '@duckdb/node-api';
import type { Data, RecordBatch } from 'apache-arrow';
import { quoteIdent } from './sql-text.ts';
import { SqlError } from './sql-error.ts';

/** Strings as dictionary indices (Int32) into a dictionary: Arrow's dictionary-encoded strings. */
export interface DictionaryStrings {
  readonly indices: Int32Array | Uint32Array | Int16Array | Uint16Array | Int8Array | Uint8Array;
  readonly dictionary: readonly (string | null)[];
}

/**
 * Strings in Arrow's Utf8 layout: value i is the UTF-8 bytes `bytes[offsets[i]]` up to `bytes[offsets[i + 1]]`
 * (handed to DuckDB as bytes: no JS string per value).
 */
export interface Utf8Strings {
  readonly offsets: Int32Array;
  readonly bytes: Uint8Array;
}

/** Values of a typed column (null rows hold anything: the validity bitmap decides). */
export type ColumnValues = Float64Array | Float32Array | BigInt64Array | Int32Array | Int16Array | Int8Array | Uint8Array | readonly (string | null)[] | DictionaryStrings | Utf8Strings;

/**
 * One typed column to load. `type` is a DuckDB type: BIGINT, INTEGER, SMALLINT, TINYINT, DOUBLE, FLOAT, BOOLEAN
 * (values a Uint8Array of 0/1), DATE (Int32Array of days), TIMESTAMP/TIMESTAMPTZ (BigInt64Array of µs), DECIMAL(p,s)
 * with p ≤ 18 (BigInt64Array of unscaled values), VARCHAR (strings or dictionary strings).
 *
 * @example
 * const amount: TypedColumn = { name: 'amount', type: 'DOUBLE', values: new Float64Array([1.5, 0]), validity: new Uint8Array([0b01]) };
 */
export interface TypedColumn {
  readonly name: string;
  readonly type: string;
  readonly values: ColumnValues;
  /** Arrow-layout validity bitmap; absent when every row holds a value. */
  readonly validity?: Uint8Array;
}

type Bindings = typeof import('@duckdb/node-bindings');
type Api = typeof import('@duckdb/node-api');
let modules: Promise<{ api: Api; raw: Bindings }> | undefined;
const load = () => (modules ??= Promise.all([import('@duckdb/node-api'), import('@duckdb/node-bindings')]).then(([api, raw]) => ({ api, raw: (raw as unknown as { default?: Bindings }).default ?? raw })));

const DECIMAL_RE = /^DECIMAL\((\d+),\s*(\d+)\)$/i;
/** Bytes per value of a fixed-width type as DuckDB stores it (0: strings). */
function widthOf(type: string): number {
  const t = type.toUpperCase();
  const d = DECIMAL_RE.exec(t);
  if (d) {
    const p = Number(d[1]);
    if (p > 18) throw new SqlError('SQL_TYPE', `${type}: decimals wider than 18 digits are not loaded from typed columns`, { hint: 'use the row loader for them' });
    return p <= 4 ? 2 : p <= 9 ? 4 : 8;
  }
  switch (t) {
    case 'BIGINT': case 'DOUBLE': case 'TIMESTAMP': case 'TIMESTAMPTZ': return 8;
    case 'INTEGER': case 'FLOAT': case 'DATE': return 4;
    case 'SMALLINT': return 2;
    case 'TINYINT': case 'BOOLEAN': return 1;
    case 'VARCHAR': return 0;
    default: throw new SqlError('SQL_TYPE', `typed column type ${type} is not supported`, { hint: 'BIGINT, INTEGER, SMALLINT, TINYINT, DOUBLE, FLOAT, BOOLEAN, DATE, TIMESTAMP, TIMESTAMPTZ, DECIMAL(p≤18,s), VARCHAR' });
  }
}

/** A fixed-width column's values narrowed to the width DuckDB stores (decimals of ≤ 9 digits are 16/32-bit). */
function storedBytes(values: ColumnValues, width: number, name: string): ArrayBufferView {
  if (!ArrayBuffer.isView(values)) throw new SqlError('SQL_TYPE', `column '${name}': expected a typed array of ${width}-byte values, got ${Array.isArray(values) ? 'an array' : 'dictionary strings'}`);
  if (values.BYTES_PER_ELEMENT === width) return values;
  if (values instanceof BigInt64Array && (width === 4 || width === 2)) {
    const out = width === 4 ? new Int32Array(values.length) : new Int16Array(values.length);
    for (let i = 0; i < values.length; i++) out[i] = Number(values[i]);
    return out;
  }
  throw new SqlError('SQL_TYPE', `column '${name}': ${values.constructor.name} values do not fit a ${width}-byte column`);
}

/**
 * Creates (or replaces) the temporary table `name` with `columns` and appends their first `rows` rows by data chunks.
 *
 * @example
 * await loadColumns(conn, 'events', [{ name: 'id', type: 'BIGINT', values: ids }], ids.length);
 */
export async function loadColumns(conn: DuckDBConnection, name: string, columns: readonly TypedColumn[], rows: number): Promise<void> {
  await loadParts(conn, name, columns.map((c) => ({ name: c.name, type: c.type })), [{ columns, rows }]);
}

/** Creates the temporary table and appends each part (columns in the table's order, `rows` rows each). */
async function loadParts(conn: DuckDBConnection, name: string, table: readonly { name: string; type: string }[], parts: Iterable<{ columns: readonly TypedColumn[]; rows: number }>): Promise<void> {
  const { api, raw } = await load();
  await conn.run(`CREATE OR REPLACE TEMP TABLE ${quoteIdent(name)} (${table.map((c) => `${quoteIdent(c.name)} ${c.type}`).join(', ')})`);
  const appender = await conn.createAppender(name, 'main', 'temp');
  try {
    const types = table.map((_, i) => appender.columnType(i));
    for (const part of parts) await appendColumns(api, raw, appender, types, part.columns, part.rows);
    appender.flushSync();
  } finally {
    appender.closeSync();
  }
}

/**
 * Loads Arrow record batches (all of one schema, e.g. from `io.delta.read(…, { batches: true })`) into the temporary
 * table `name` by data chunks: DuckDB's Arrow extension is not available offline, so this is how batches reach
 * DuckDB. Numbers, timestamps, dates and decimals of ≤ 18 digits go as byte ranges with their validity bitmaps;
 * Utf8 strings go as their UTF-8 bytes, dictionary strings are decoded once per dictionary entry. Returns the rows loaded.
 *
 * @example
 * await loadBatches(conn, 'events', batches);
 */
export async function loadBatches(conn: DuckDBConnection, name: string, batches: readonly RecordBatch[]): Promise<number> {
  if (batches.length === 0) throw new SqlError('SQL_TYPE', `input '${name}': no batches to load (its columns are unknown)`);
  const fields = batches[0].schema.fields;
  const table = fields.map((f, k) => ({ name: f.name, type: duckTypeOfArrow(String(f.type), batches[0].data.children[k], f.name) }));
  let rows = 0;
  await loadParts(conn, name, table, batches.map((b) => {
    if (b.schema.fields.length !== fields.length || b.schema.fields.some((f, k) => f.name !== fields[k].name)) {
      throw new SqlError('SQL_TYPE', `input '${name}': its batches have different columns (${fields.map((f) => f.name).join(', ')} / ${b.schema.fields.map((f) => f.name).join(', ')})`);
    }
    rows += b.numRows;
    return { rows: b.numRows, columns: b.data.children.map((d, k) => typedColumnOf(d, table[k].name, table[k].type)) };
  }));
  return rows;
}

const ARROW_TYPES: Readonly<Record<string, string>> = {
  Int64: 'BIGINT', Int32: 'INTEGER', Int16: 'SMALLINT', Int8: 'TINYINT', Float64: 'DOUBLE', Float32: 'FLOAT', Bool: 'BOOLEAN',
  'Date32<DAY>': 'DATE', 'Timestamp<MICROSECOND>': 'TIMESTAMP', Utf8: 'VARCHAR',
};

/** The DuckDB type of an Arrow column (dictionaries by their value type). */
function duckTypeOfArrow(type: string, data: Data, column: string): string {
  if (data.dictionary !== undefined) return duckTypeOfArrow(String(data.dictionary.type), data.dictionary.data[0], column);
  if (ARROW_TYPES[type] !== undefined) return ARROW_TYPES[type];
  if (/^Timestamp<MICROSECOND, .+>$/.test(type)) return 'TIMESTAMPTZ';
  const decimal = /^Decimal\[(\d+)e([+-]\d+)\]$/.exec(type);
  if (decimal && Number(decimal[1]) <= 18) return `DECIMAL(${decimal[1]},${Number(decimal[2])})`;
  throw new SqlError('SQL_TYPE', `column '${column}': Arrow type ${type} is not loaded into DuckDB from batches`, { hint: 'read the table as rows (batches: false), or select other columns' });
}

/**
 * An Arrow column as a typed column (buffers viewed, not copied, where DuckDB's layout is Arrow's). apache-arrow
 * indexes a column's values (and a string column's offsets, a dictionary's indices) from its first row — a slice
 * views them from there — but its validity bitmap and a boolean column's bits from `offset`.
 */
function typedColumnOf(data: Data, name: string, type: string): TypedColumn {
  const n = data.length;
  const o = data.offset;
  let validity: Uint8Array | undefined;
  if (data.nullCount > 0 && data.nullBitmap !== undefined && data.nullBitmap.length > 0) {
    if (o % 8 === 0) validity = data.nullBitmap.subarray(o / 8);
    else {
      validity = new Uint8Array((n + 7) >> 3);
      for (let i = 0; i < n; i++) if ((data.nullBitmap[(o + i) >> 3] >> ((o + i) & 7)) & 1) validity[i >> 3] |= 1 << (i & 7);
    }
  }
  if (data.dictionary !== undefined) {
    const dict = data.dictionary.data[0];
    const strings = utf8Strings(dict);
    const indices = (data.values as Int32Array).subarray(0, n);
    return { name, type, values: { indices, dictionary: strings }, validity };
  }
  if (type === 'VARCHAR') return { name, type, values: { offsets: (data.valueOffsets as Int32Array).subarray(0, n + 1), bytes: data.values as Uint8Array }, validity };
  if (type === 'BOOLEAN') {
    const bytes = new Uint8Array(n);
    const bits = data.values as Uint8Array;
    for (let i = 0; i < n; i++) bytes[i] = (bits[(o + i) >> 3] >> ((o + i) & 7)) & 1;
    return { name, type, values: bytes, validity };
  }
  if (type.startsWith('DECIMAL')) {
    // Decimal128 as two 64-bit words a value; ≤ 18 digits fit the low word.
    const words = new BigInt64Array((data.values as Uint32Array).buffer, (data.values as Uint32Array).byteOffset, n * 2);
    const out = new BigInt64Array(n);
    for (let i = 0; i < n; i++) out[i] = words[2 * i];
    return { name, type, values: out, validity };
  }
  const values = data.values as Float64Array | BigInt64Array | Int32Array | Int16Array | Int8Array | Float32Array;
  return { name, type, values: values.subarray(0, n), validity };
}

/** A Utf8 column's values as JS strings (null rows as null; offsets indexed from its first row, as typedColumnOf's). */
function utf8Strings(data: Data): (string | null)[] {
  const offsets = data.valueOffsets as Int32Array;
  const bytes = data.values as Uint8Array;
  const decoder = new TextDecoder();
  const out: (string | null)[] = new Array(data.length);
  for (let i = 0; i < data.length; i++) {
    out[i] = data.getValid(i) ? decoder.decode(bytes.subarray(offsets[i], offsets[i + 1])) : null;
  }
  return out;
}

/**
 * Appends typed columns to an open appender (whose column types are `types`), 2048 rows per data chunk.
 */
async function appendColumns(api: Api, raw: Bindings, appender: { appendDataChunk(c: DuckDBDataChunk): void }, types: readonly DuckDBType[], columns: readonly TypedColumn[], rows: number): Promise<void> {
  const widths = columns.map((c) => widthOf(c.type));
  const bytes = columns.map((c, i) => (widths[i] > 0 ? storedBytes(c.values, widths[i], c.name) : undefined));
  for (const c of columns) {
    const length = ArrayBuffer.isView(c.values) ? c.values.length : Array.isArray(c.values) ? c.values.length
      : 'offsets' in c.values ? c.values.offsets.length - 1 : (c.values as DictionaryStrings).indices.length;
    if (length < rows) throw new SqlError('SQL_TYPE', `column '${c.name}' holds ${length} values, ${rows} rows were asked for`);
    if (c.validity !== undefined && c.validity.length * 8 < rows) throw new SqlError('SQL_TYPE', `column '${c.name}': its validity bitmap covers ${c.validity.length * 8} rows, ${rows} were asked for`);
  }
  const size = raw.vector_size();
  const chunk = api.DuckDBDataChunk.create(types);
  for (let start = 0; start < rows; start += size) {
    const count = Math.min(size, rows - start);
    raw.data_chunk_reset(chunk.chunk);
    for (let c = 0; c < columns.length; c++) {
      const vector = raw.data_chunk_get_vector(chunk.chunk, c);
      const column = columns[c];
      const w = widths[c];
      const validity = column.validity;
      if (validity !== undefined) {
        raw.vector_ensure_validity_writable(vector);
        // start is a multiple of 2048: whole bytes of the bitmap, the last one's spare bits past `count` unused.
        raw.copy_data_to_vector_validity(vector, 0, validity.buffer as ArrayBuffer, validity.byteOffset + start / 8, Math.ceil(count / 8));
      }
      const b = bytes[c];
      if (b !== undefined) {
        raw.copy_data_to_vector(vector, 0, b.buffer as ArrayBuffer, b.byteOffset + start * w, count * w);
        continue;
      }
      const valid = (i: number) => validity === undefined || (validity[i >> 3] & (1 << (i & 7))) !== 0;
      const v = column.values;
      if (!Array.isArray(v) && 'offsets' in v) {
        // Utf8 bytes: nulls are the bitmap's (already copied above).
        const { offsets, bytes: utf8 } = v as Utf8Strings;
        for (let i = 0; i < count; i++) if (valid(start + i)) raw.vector_assign_string_element_len(vector, i, utf8.subarray(offsets[start + i], offsets[start + i + 1]));
        continue;
      }
      const dict = Array.isArray(v) ? undefined : v as DictionaryStrings;
      let nulls: Uint8Array | undefined; // a null the bitmap does not say (a null string in an array or dictionary)
      for (let i = 0; i < count; i++) {
        const s = dict === undefined ? (v as readonly (string | null)[])[start + i] : dict.dictionary[dict.indices[start + i]];
        if (s !== null && s !== undefined && valid(start + i)) raw.vector_assign_string_element(vector, i, s);
        else if (validity === undefined) (nulls ??= new Uint8Array(size / 8).fill(0xff))[i >> 3] &= ~(1 << (i & 7));
      }
      if (nulls !== undefined) {
        raw.vector_ensure_validity_writable(vector);
        raw.copy_data_to_vector_validity(vector, 0, nulls.buffer as ArrayBuffer, 0, nulls.byteLength);
      }
    }
    raw.data_chunk_set_size(chunk.chunk, count);
    appender.appendDataChunk(chunk);
  }
}

/** A batch of query results as typed columns: numbers copied out of the chunk (no value objects), strings as JS strings. */
export interface ResultColumns {
  readonly rows: number;
  readonly names: readonly string[];
  readonly columns: readonly (ArrayBufferView | (string | null)[] | unknown[])[];
  /** Arrow-layout validity per column; undefined when the chunk had no nulls in it. */
  readonly validity: readonly (Uint8Array | undefined)[];
}

const FIXED: Readonly<Record<string, (b: ArrayBuffer, n: number) => ArrayBufferView>> = {
  BIGINT: (b, n) => new BigInt64Array(b, 0, n), DOUBLE: (b, n) => new Float64Array(b, 0, n), INTEGER: (b, n) => new Int32Array(b, 0, n),
  TIMESTAMP: (b, n) => new BigInt64Array(b, 0, n), 'TIMESTAMP WITH TIME ZONE': (b, n) => new BigInt64Array(b, 0, n), DATE: (b, n) => new Int32Array(b, 0, n),
  SMALLINT: (b, n) => new Int16Array(b, 0, n), TINYINT: (b, n) => new Int8Array(b, 0, n), FLOAT: (b, n) => new Float32Array(b, 0, n), BOOLEAN: (b, n) => new Uint8Array(b, 0, n),
};

/**
 * Runs `sql` and yields its result a data chunk at a time as typed columns: fixed-width columns (integers, doubles,
 * timestamps as µs, dates as days, decimals of ≤ 18 digits as their unscaled integers) copied from the vectors,
 * strings as JS strings, other types as DuckDB's JS values.
 *
 * @example
 * for await (const b of readColumns(conn, 'SELECT sum(x) FROM t')) console.log(b.columns[0]);
 */
export async function* readColumns(conn: DuckDBConnection, sql: string): AsyncGenerator<ResultColumns> {
  const { raw } = await load();
  const result = await conn.stream(sql);
  const names = result.columnNames();
  const types = result.columnTypes().map((t) => t.toString());
  for (;;) {
    const chunk = await result.fetchChunk();
    if (chunk === null || chunk.rowCount === 0) return;
    const n = chunk.rowCount;
    const columns: ResultColumns['columns'][number][] = [];
    const validity: (Uint8Array | undefined)[] = [];
    for (let c = 0; c < names.length; c++) {
      const vector = raw.data_chunk_get_vector(chunk.chunk, c);
      const bits = raw.vector_get_validity(vector, Math.ceil(n / 64) * 8);
      validity.push(bits ? bits.slice(0, Math.ceil(n / 8)) : undefined);
      const type = types[c];
      const decimal = DECIMAL_RE.exec(type);
      const width = decimal ? (Number(decimal[1]) <= 4 ? 2 : Number(decimal[1]) <= 9 ? 4 : Number(decimal[1]) <= 18 ? 8 : 0) : 0;
      const make = FIXED[type] ?? (width === 8 ? FIXED.BIGINT : width === 4 ? FIXED.INTEGER : width === 2 ? FIXED.SMALLINT : undefined);
      if (make !== undefined) {
        const bytesPer = FIXED[type] !== undefined ? ({ BIGINT: 8, DOUBLE: 8, INTEGER: 4, TIMESTAMP: 8, 'TIMESTAMP WITH TIME ZONE': 8, DATE: 4, SMALLINT: 2, TINYINT: 1, FLOAT: 4, BOOLEAN: 1 } as Record<string, number>)[type] : width;
        const data = raw.vector_get_data(vector, n * bytesPer);
        columns.push(make(data.slice().buffer as ArrayBuffer, n));
        continue;
      }
      const out: unknown[] = new Array(n);
      const v = chunk.getColumnVector(c);
      for (let i = 0; i < n; i++) out[i] = v.getItem(i);
      columns.push(type === 'VARCHAR' ? out as (string | null)[] : out);
    }
    yield { rows: n, names, columns, validity };
  }
}
