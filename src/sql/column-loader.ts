/**
 * Typed columns into and out of DuckDB by data chunks: the columnar counterpart of row-loader.ts. Numbers, timestamps
 * and decimals are copied into a chunk's vectors as whole byte ranges (one native copy per column per 2048 rows),
 * validity bitmaps too — Arrow's layout (bit i of byte i/8 set when row i holds a value) is DuckDB's — and only
 * strings go one value at a time (dictionary strings from their dictionary's JS strings, never re-decoded). DuckDB's
 * Arrow extension is not available offline, so this is how Arrow record batches reach DuckDB.
 */
import type { DuckDBConnection, DuckDBDataChunk, DuckDBType } from '@duckdb/node-api';
import { quoteIdent } from './sql-text.ts';
import { SqlError } from './sql-error.ts';

/** Strings as dictionary indices (Int32) into a dictionary: Arrow's dictionary-encoded strings. */
export interface DictionaryStrings {
  readonly indices: Int32Array | Uint32Array | Int16Array | Uint16Array | Int8Array | Uint8Array;
  readonly dictionary: readonly string[];
}

/** Values of a typed column (null rows hold anything: the validity bitmap decides). */
export type ColumnValues = Float64Array | Float32Array | BigInt64Array | Int32Array | Int16Array | Int8Array | Uint8Array | readonly (string | null)[] | DictionaryStrings;

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
  const { api, raw } = await load();
  await conn.run(`CREATE OR REPLACE TEMP TABLE ${quoteIdent(name)} (${columns.map((c) => `${quoteIdent(c.name)} ${c.type}`).join(', ')})`);
  const appender = await conn.createAppender(name, 'main', 'temp');
  try {
    const types = columns.map((_, i) => appender.columnType(i));
    await appendColumns(api, raw, appender, types, columns, rows);
    appender.flushSync();
  } finally {
    appender.closeSync();
  }
}

/**
 * Appends typed columns to an open appender (whose column types are `types`), 2048 rows per data chunk.
 */
async function appendColumns(api: Api, raw: Bindings, appender: { appendDataChunk(c: DuckDBDataChunk): void }, types: readonly DuckDBType[], columns: readonly TypedColumn[], rows: number): Promise<void> {
  const widths = columns.map((c) => widthOf(c.type));
  const bytes = columns.map((c, i) => (widths[i] > 0 ? storedBytes(c.values, widths[i], c.name) : undefined));
  for (const c of columns) {
    const length = ArrayBuffer.isView(c.values) ? c.values.length : Array.isArray(c.values) ? c.values.length : (c.values as DictionaryStrings).indices.length;
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
      if (Array.isArray(v)) {
        for (let i = 0; i < count; i++) {
          const s = v[start + i] as string | null;
          if (s !== null && valid(start + i)) raw.vector_assign_string_element(vector, i, s);
          else if (validity === undefined) {
            raw.vector_ensure_validity_writable(vector);
            raw.validity_set_row_invalid(raw.vector_get_validity(vector, size / 8), i);
          }
        }
      } else {
        const { indices, dictionary } = v as DictionaryStrings;
        for (let i = 0; i < count; i++) if (valid(start + i)) raw.vector_assign_string_element(vector, i, dictionary[indices[start + i]]);
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
