/**
 * Data files encoded by DuckDB's native Parquet writer (chosen by measurement: bench/parquet-engines.ts, 2–4× less
 * CPU than hyparquet-writer): a file's columns go into a temporary DuckDB table by appender data chunks (the typed
 * column loader `riffle sql` uses), `COPY … TO` writes them (dictionary encoding where a column's values repeat,
 * column statistics, the chosen codec and row-group size), and parquet-crc-pass.ts then gives every page its CRC-32.
 * Primitive columns only (decimals up to 18 digits; not binary): `duckdbWritable` says whether a file can go this
 * way; the others are written by hyparquet-writer (parquet-io.ts).
 */
import { randomUUID } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addPageCrcs, type PageCodec } from './parquet-crc-pass.ts';
import { decimalOf, type SchemaField } from './schema.ts';
import { dateToDays, type DeltaValue } from './value-mapping.ts';
import { unscaledOfCanonical } from './decimal-value.ts';
import { decodeExpression, stringCodes } from './duckdb-string-codes.ts';

type TypedColumn = import('../sql/column-loader.ts').TypedColumn;
type DuckInstance = import('@duckdb/node-api').DuckDBInstance;
type DuckConnection = import('@duckdb/node-api').DuckDBConnection;

/** Page compression of data files. */
export type ParquetCompression = 'snappy' | 'zstd' | 'uncompressed';

/** How a data file is encoded. */
export interface ParquetWriteOptions {
  /** Page codec (default snappy, what Spark and delta-rs write by default). */
  readonly compression?: ParquetCompression;
  /** Rows per row group (default 131,072; DuckDB cuts at multiples of 2,048). */
  readonly rowGroupRows?: number;
}

const DUCK_TYPES: Readonly<Record<string, string>> = {
  long: 'BIGINT', integer: 'INTEGER', short: 'SMALLINT', byte: 'TINYINT', double: 'DOUBLE', float: 'FLOAT',
  boolean: 'BOOLEAN', string: 'VARCHAR', date: 'DATE', timestamp: 'TIMESTAMPTZ', timestamp_ntz: 'TIMESTAMP',
};

/** The DuckDB type a field is loaded as, or undefined when it cannot go through DuckDB's writer. */
function duckType(field: SchemaField): string | undefined {
  if (field.nested !== undefined) return undefined;
  const d = decimalOf(field.type);
  if (d !== undefined) return d.precision <= 18 ? `DECIMAL(${d.precision},${d.scale})` : undefined;
  return DUCK_TYPES[field.type];
}

/**
 * Whether every field can be written by DuckDB's writer (primitive types, decimals of at most 18 digits, no binary).
 *
 * @example
 * duckdbWritable([{ name: 'id', type: 'long', nullable: true, metadata: {} }]); // true
 */
export function duckdbWritable(fields: readonly SchemaField[]): boolean {
  return fields.length > 0 && fields.every((f) => duckType(f) !== undefined);
}

let instance: Promise<DuckInstance> | undefined;
/**
 * The writer's own in-memory DuckDB, one thread: measured on 1M rows, COPY with two threads used ~1.7× the CPU of
 * one for the same file (appending and encoding are not what parallelism helps here).
 */
function duck(): Promise<DuckInstance> {
  return (instance ??= import('@duckdb/node-api').then((m) => m.DuckDBInstance.create(':memory:', { threads: '1' })));
}

/** Canonical values as a typed column for the loader (nulls in a validity bitmap; a loop per type, no callbacks). */
function typedColumn(field: SchemaField, name: string, type: string, values: ArrayLike<DeltaValue>): TypedColumn {
  const n = values.length;
  // Typed arrays (enforceSchemaTyped: no nulls) go to the loader as they are.
  if (values instanceof BigInt64Array && (field.type === 'long' || field.type === 'timestamp' || field.type === 'timestamp_ntz')) return { name, type, values };
  if (values instanceof Float64Array && field.type === 'double') return { name, type, values };
  if (values instanceof Int32Array && field.type === 'integer') return { name, type, values };
  let validity: Uint8Array | undefined;
  for (let i = 0; i < n; i++) {
    if (values[i] !== null) continue;
    validity ??= new Uint8Array((n + 7) >> 3).fill(0xff);
    validity[i >> 3] &= ~(1 << (i & 7));
  }
  switch (field.type) {
    case 'string': return { name, type, values: Array.isArray(values) ? values as readonly (string | null)[] : Array.from(values) as (string | null)[], validity };
    case 'long': case 'timestamp': case 'timestamp_ntz': {
      const out = new BigInt64Array(n);
      for (let i = 0; i < n; i++) { const v = values[i]; if (typeof v === 'bigint') out[i] = v; else if (v !== null) out[i] = BigInt(v as number); }
      return { name, type, values: out, validity };
    }
    case 'date': {
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) { const v = values[i]; if (v !== null) out[i] = dateToDays(v as string); }
      return { name, type, values: out, validity };
    }
    case 'boolean': {
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) out[i] = values[i] === true ? 1 : 0;
      return { name, type, values: out, validity };
    }
    default: break;
  }
  if (decimalOf(field.type) !== undefined) {
    const out = new BigInt64Array(n);
    for (let i = 0; i < n; i++) { const v = values[i]; if (v !== null) out[i] = unscaledOfCanonical(v as string); }
    return { name, type, values: out, validity };
  }
  const Typed = { integer: Int32Array, short: Int16Array, byte: Int8Array, double: Float64Array, float: Float32Array }[field.type as 'integer'];
  const out = new Typed(n);
  for (let i = 0; i < n; i++) { const v = values[i]; if (v !== null) out[i] = v as number; }
  return { name, type, values: out, validity };
}

let snappy: Promise<Pick<typeof import('snappy'), 'compressSync' | 'uncompressSync'> | undefined> | undefined;
const view = (b: Buffer): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
const buffer = (b: Uint8Array): Buffer => Buffer.from(b.buffer, b.byteOffset, b.byteLength);

/**
 * The codec the CRC pass recompresses pages with when it makes columns REQUIRED: snappy by the native library (when
 * it loads), none for uncompressed files, undefined for zstd (no encoder here: such files keep DuckDB's OPTIONAL).
 */
async function pageCodec(compression: ParquetCompression): Promise<PageCodec | undefined> {
  if (compression === 'uncompressed') return { name: 'UNCOMPRESSED', compress: (b) => b, uncompress: (b) => b };
  if (compression !== 'snappy') return undefined;
  const s = await (snappy ??= import('snappy').then((m) => (typeof m.compressSync === 'function' ? m : (m as unknown as { default: typeof m }).default), () => undefined));
  if (s === undefined) return undefined;
  return { name: 'SNAPPY', compress: (b) => view(s.compressSync(buffer(b)) as Buffer), uncompress: (b) => view(s.uncompressSync(buffer(b)) as Buffer) };
}

const sqlString = (s: string): string => `'${s.replace(/'/g, "''")}'`;

/**
 * Encodes columns of canonical values (one per field, equal lengths) as a Parquet file with DuckDB's writer and page
 * CRCs. Column names in the file are the fields' names; every column is OPTIONAL (DuckDB's choice; readers take it
 * into required table columns). Throws when a field is not `duckdbWritable`.
 *
 * @example
 * const bytes = await writeParquetDuckdb(fields, columns, { compression: 'zstd', rowGroupRows: 1 << 20 });
 */
export async function writeParquetDuckdb(fields: readonly SchemaField[], columns: readonly ArrayLike<DeltaValue>[], options: ParquetWriteOptions = {}): Promise<Uint8Array> {
  const types = fields.map((f) => {
    const t = duckType(f);
    if (t === undefined) throw new Error(`writeParquetDuckdb: column '${f.name}' (${f.type}) is not written by DuckDB`);
    return t;
  });
  const rows = columns[0]?.length ?? 0;
  const { loadColumns } = await import('../sql/column-loader.ts');
  const loaded = fields.map((f, i) => typedColumn(f, f.name, types[i], columns[i]));
  // Low-cardinality strings go in as codes, DuckDB decodes them (duckdb-string-codes.ts).
  const select: string[] = fields.map((f) => quoteIdent(f.name));
  fields.forEach((f, i) => {
    if (f.type !== 'string') return;
    const coded = stringCodes(columns[i]);
    if (coded === undefined) return;
    loaded[i] = { name: f.name, type: 'INTEGER', values: coded.codes, validity: loaded[i].validity };
    select[i] = `${decodeExpression(quoteIdent(f.name), coded.dictionary)} AS ${quoteIdent(f.name)}`;
  });
  const plain = loaded.every((c, i) => c.type === types[i]);
  return duckdbParquet((conn, table) => loadColumns(conn, table, loaded, rows), options, plain ? undefined : select.join(', '));
}

const quoteIdent = (name: string): string => `"${name.replace(/"/g, '""')}"`;

/**
 * A Parquet file (with page CRCs) of the temporary table `load` fills on a fresh connection of the writer's DuckDB:
 * the table (or `select`, a projection list over it) is copied to a temporary file with the options' codec and
 * row-group size, then dropped.
 *
 * @example
 * const bytes = await duckdbParquet((conn, table) => loadBatches(conn, table, batches), { compression: 'zstd' });
 */
export async function duckdbParquet(load: (conn: DuckConnection, table: string) => Promise<unknown>, options: ParquetWriteOptions = {}, select?: string): Promise<Uint8Array> {
  const conn = await (await duck()).connect();
  const table = `riffle_write_${randomUUID().replace(/-/g, '')}`;
  const file = join(tmpdir(), `riffle-${randomUUID()}.parquet`);
  try {
    await load(conn, table);
    const compression = options.compression ?? 'snappy';
    const pages = await pageCodec(compression);
    // Snappy pages are compressed by the CRC pass, once (DuckDB writes them uncompressed): compressing in DuckDB, then
    // decompressing and recompressing the pages of columns made REQUIRED cost ~0.2 CPU-s per 1M rows more.
    const compressHere = pages !== undefined && pages.name === 'SNAPPY';
    const codec = compressHere ? 'UNCOMPRESSED' : compression.toUpperCase();
    const from = select === undefined ? table : `(SELECT ${select} FROM ${table})`;
    await conn.run(`COPY ${from} TO ${sqlString(file)} (FORMAT parquet, COMPRESSION ${codec}, ROW_GROUP_SIZE ${options.rowGroupRows ?? 128 * 1024}, WRITE_BLOOM_FILTER false)`);
    await conn.run(`DROP TABLE ${table}`);
    return addPageCrcs(await readFile(file), pages, compressHere);
  } finally {
    conn.closeSync();
    await rm(file, { force: true });
  }
}
