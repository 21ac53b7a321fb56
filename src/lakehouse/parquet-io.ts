/**
 * Parquet encoding of data files, through hyparquet-writer / hyparquet (pure JS; chosen by measurement, see
 * bench/lakehouse-parquet.ts). Both load lazily on first use, so importing Riffle does not load them.
 *
 * Physical types follow PROTOCOL.md "Delta Data Type to Parquet Type Mappings": long INT64, integer INT32,
 * double DOUBLE, boolean BOOLEAN, string BYTE_ARRAY UTF8, date INT32 DATE, timestamp INT64
 * TIMESTAMP(isAdjustedToUTC, MICROS), timestamp_ntz INT64 TIMESTAMP(MICROS, not adjusted), short/byte INT32 INT(16/8),
 * float FLOAT, binary BYTE_ARRAY, decimal(p,s) INT32 (p ≤ 9) / INT64 (p ≤ 18) / FIXED_LEN_BYTE_ARRAY DECIMAL(p,s)
 * (as Spark and delta-rs write them).
 */
import { duckdbWritable, type ParquetWriteOptions, writeParquetDuckdb } from './duckdb-parquet-writer.ts';
import { parquetWriteWithCrc } from './parquet-crc.ts';
import { DeltaTableError, ParquetFileError } from './errors.ts';
import { fileSource, GuardedParquet } from './parquet-guard.ts';
import { bigintFromBytes, decimalString } from './decimal-value.ts';
import { canonicalNested } from './nested-value.ts';
import { columnElements, physicalValues, schemaElement } from './parquet-layout.ts';
import { decimalOf, type SchemaField } from './schema.ts';
import { daysToDate, type DeltaValue } from './value-mapping.ts';

type Hyparquet = typeof import('hyparquet');
type Compressors = import('hyparquet').Compressors;
type FileMetaData = import('hyparquet').FileMetaData;
type HyparquetWriter = typeof import('hyparquet-writer');
type SchemaElement = import('hyparquet').SchemaElement;

let readerModule: Promise<Hyparquet> | undefined;
let writerModule: Promise<HyparquetWriter> | undefined;
let compressorsModule: Promise<Compressors> | undefined;
let snappyModule: Promise<NativeSnappy | undefined> | undefined;
type WriteCompressors = NonNullable<Parameters<HyparquetWriter['parquetWriteBuffer']>[0]['compressors']>;
type NativeSnappy = Pick<typeof import('snappy'), 'compressSync' | 'uncompressSync'>;

/** Codecs hyparquet decodes by itself; others (ZSTD, LZ4, Brotli, GZIP) need hyparquet-compressors. */
const BUILTIN_CODECS: ReadonlySet<string> = new Set(['UNCOMPRESSED', 'SNAPPY']);

const asBuffer = (bytes: Uint8Array): Buffer => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
const asBytes = (buffer: Buffer): Uint8Array => new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);

/**
 * The native `snappy` package (Google's C++ library, prebuilt per platform inside the npm package), loaded on
 * first use; undefined where its binding does not load (hyparquet's own JS snappy is used then: same format).
 */
function nativeSnappy(): Promise<NativeSnappy | undefined> {
  return (snappyModule ??= import('snappy').then(
    (m) => (typeof m.compressSync === 'function' ? m : (m as unknown as { default: NativeSnappy }).default),
    () => undefined,
  ));
}

/**
 * The decompressors to read a file with: snappy by the native library (~5× hyparquet's JS snappy), and for other
 * codecs hyparquet-compressors (ZSTD — delta-rs' default for optimize —, LZ4, LZ4_RAW, Brotli, GZIP), loaded only
 * when a file needs it. Undefined when hyparquet's built-ins will do.
 *
 * @example
 * const compressors = await compressorsFor(parquetMetadata(file));
 * await parquetReadObjects({ file, compressors });
 */
export async function compressorsFor(metadata: FileMetaData): Promise<Compressors | undefined> {
  const needed = metadata.row_groups.some((g) => g.columns.some((c) => c.meta_data !== undefined && !BUILTIN_CODECS.has(c.meta_data.codec)));
  const snappy = await nativeSnappy();
  const native: Compressors = snappy ? { SNAPPY: (input) => asBytes(snappy.uncompressSync(asBuffer(input)) as Buffer) } : {};
  if (!needed) return snappy ? native : undefined;
  const others = await (compressorsModule ??= import('hyparquet-compressors').then((m) => m.compressors as Compressors));
  return { ...others, ...native };
}

/**
 * The page compressors data and checkpoint files are written with: snappy by the native library (~10× faster than
 * hyparquet-writer's JS snappy, which took ~16% of an append's CPU) when it loads on this platform, else
 * hyparquet-writer's own (an empty object: its built-in). Either way the files are SNAPPY-compressed.
 *
 * @example
 * parquetWriteBuffer({ columnData, schema, compressors: await writeCompressors() });
 */
export async function writeCompressors(): Promise<WriteCompressors> {
  const snappy = await nativeSnappy();
  return snappy ? { SNAPPY: (input: Uint8Array) => asBytes(snappy.compressSync(asBuffer(input))) } : {};
}

/**
 * Loads hyparquet on first use.
 *
 * @example
 * const { parquetMetadata } = await loadReader();
 */
export function loadReader(): Promise<Hyparquet> {
  return (readerModule ??= import('hyparquet'));
}

/**
 * Loads hyparquet-writer on first use.
 *
 * @example
 * const { parquetWriteBuffer } = await loadWriter();
 */
export function loadWriter(): Promise<HyparquetWriter> {
  return (writerModule ??= import('hyparquet-writer'));
}

/**
 * Files of fewer rows go through hyparquet-writer unless ZSTD is asked for: DuckDB's fixed cost per file (a
 * connection, a temporary table, a temporary file) is ~10 ms of CPU and ~30 ms of wall time, more than
 * hyparquet-writer takes for a few thousand rows (DML and OPTIMIZE write many small files).
 */
export const DUCKDB_MIN_ROWS = 65_536;

/**
 * Encodes columns of canonical values (see value-mapping.ts) as a Parquet file with a CRC-32 in every page header (so
 * that damaged pages are refused on read), Parquet column statistics on, `options.compression` (default snappy) and
 * `options.rowGroupRows` (default 128K) rows per row group. Files of primitive columns with at least DUCKDB_MIN_ROWS
 * rows go through DuckDB's native writer (duckdb-parquet-writer.ts: dictionary pages where values repeat, CRCs added
 * after); smaller files, and files with a nested, binary or wider-than-18-digit decimal column, through hyparquet-writer (pure JS, CRCs written as it goes), which has no ZSTD
 * encoder: such a file asked for as ZSTD is refused. In hyparquet-writer's files a column without a null is written
 * REQUIRED even when the table's column is nullable (no definition levels); readers take a required file column into
 * a nullable table column, as Spark and delta-rs do (checked by test/integration/delta).
 *
 * @example
 * const bytes = await writeParquet([{ name: 'id', type: 'long', nullable: true, metadata: {} }], [[1n, 2n]]);
 */
export async function writeParquet(fields: readonly SchemaField[], columns: readonly ArrayLike<DeltaValue>[], options: ParquetWriteOptions = {}): Promise<Uint8Array> {
  const rows = columns[0]?.length ?? 0;
  if (duckdbWritable(fields) && (rows >= DUCKDB_MIN_ROWS || options.compression === 'zstd')) return writeParquetDuckdb(fields, columns, options);
  // hyparquet-writer takes arrays (typed columns of enforceSchemaTyped are copied: files this small cost little).
  return writeParquetHyparquet(fields, columns.map((c) => (Array.isArray(c) ? c as DeltaValue[] : Array.from(c))), options);
}

/**
 * `writeParquet` through hyparquet-writer whatever the columns (snappy or uncompressed).
 *
 * @example
 * const bytes = await writeParquetHyparquet(fields, columns, { compression: 'uncompressed' });
 */
export async function writeParquetHyparquet(fields: readonly SchemaField[], columns: readonly (readonly DeltaValue[])[], options: ParquetWriteOptions = {}): Promise<Uint8Array> {
  const compression = options.compression ?? 'snappy';
  if (compression === 'zstd') {
    const why = fields.filter((f) => !duckdbWritable([f])).map((f) => `'${f.name}' (${f.type})`).join(', ');
    throw new DeltaTableError('DELTA_INVALID_ARGUMENT', `ZSTD compression is not available for column ${why}: files with nested, binary or wider-than-18-digit decimal columns are written by hyparquet-writer, which encodes snappy or uncompressed only`, { hint: "use 'snappy' or 'uncompressed' for this table (parquet.compression)" });
  }
  const compressors = compression === 'snappy' ? await writeCompressors() : undefined;
  const schema: SchemaElement[] = [
    { name: 'schema', num_children: fields.length },
    ...fields.flatMap((f, i) => (f.nested !== undefined
      ? columnElements(f.name, f.nested, !f.nullable)
      : [schemaElement(f, !f.nullable || (columns[i].length > 0 && !columns[i].includes(null)))])),
  ];
  const columnData = fields.map((field, i) => {
    return { name: field.name, data: physicalValues(field, columns[i]) as any[] };
  });
  return parquetWriteWithCrc({
    columnData, schema, rowGroupSize: options.rowGroupRows ?? 128 * 1024, createdBy: 'riffle', compressors,
    codec: compression === 'snappy' ? 'SNAPPY' : 'UNCOMPRESSED',
  });
}

/** Parsers that keep hyparquet's values in Riffle's canonical forms (exact µs timestamps, 'YYYY-MM-DD' dates). */
const PARSERS = {
  timestampFromMilliseconds: (v: bigint) => BigInt(v) * 1000n,
  timestampFromMicroseconds: (v: bigint) => (typeof v === 'bigint' ? v : BigInt(v)),
  timestampFromNanoseconds: (v: bigint) => BigInt(v) / 1000n,
  dateFromDays: (days: number) => daysToDate(days),
};

/**
 * One row group's decoded columns, in the order of the fields asked for; `undefined` for a column the file lacks
 * (added to the schema after the file was written: it reads as null).
 *
 * @example
 * for await (const { numRows, columns } of readRowGroups(path, fields)) console.log(numRows, columns[0]?.[0]);
 */
export interface ColumnBatch {
  readonly numRows: number;
  readonly columns: readonly (ArrayLike<DeltaValue> | undefined)[];
}

/**
 * What the table's log knows of a data file (from `add.stats`): its row count, and columns holding non-null values.
 *
 * @example
 * const expect: FileExpectation = { rows: 1000, present: ['id'] };
 */
export interface FileExpectation {
  readonly rows?: number;
  readonly present?: readonly string[];
  /** The log file whose statistics these are (named when file and log disagree: either may be the damaged one). */
  readonly logFile?: string;
}

/**
 * Decodes the named columns of a Parquet file one row group at a time, reading only those columns' bytes (the
 * file stays open while the generator runs), through the guarded reader (parquet-guard.ts): a damaged file is a
 * `ParquetFileError` naming it (`label`, default the path), never a hang or silently changed values. Values are
 * canonical (long → bigint, timestamp → µs bigint, date → 'YYYY-MM-DD'). Throws the filesystem error (ENOENT…)
 * when the file cannot be opened.
 *
 * @example
 * for await (const group of readRowGroups('/t/part-0.parquet', fields)) rows += group.numRows;
 */
export async function* readRowGroups(path: string, fields: readonly SchemaField[], label = path, expect: FileExpectation = {}): AsyncGenerator<ColumnBatch> {
  const pq = await GuardedParquet.open(await fileSource(path), label);
  try {
    const { metadata } = pq;
    const columnsInFile = checkFileColumns(label, metadata, fields, expect);
    const present = new Set(columnsInFile.keys());
    const decimals = rawDecimals(metadata.schema, columnsInFile, fields);
    const wanted = fields.filter((f) => present.has(f.name));
    const index = new Map(wanted.map((f) => [f.name, fields.indexOf(f)]));
    if (wanted.length > 0) pq.useCompressors(await compressorsFor(metadata));
    for (let g = 0; g < metadata.row_groups.length; g++) {
      const numRows = Number(metadata.row_groups[g].num_rows);
      const start = pq.groupStarts[g];
      if (numRows === 0) continue;
      const columns: (ArrayLike<DeltaValue> | undefined)[] = new Array(fields.length).fill(undefined);
      if (wanted.length > 0) {
        await pq.readRowGroup(g, {
          columns: wanted.map((f) => f.name), parsers: PARSERS, utf8: false,
          onChunk: ({ columnName, columnData, rowStart, rowEnd }) => {
            const c = index.get(columnName);
            if (c === undefined) return;
            if (rowStart <= start && rowEnd >= start + numRows && columns[c] === undefined) {
              // The usual case: the whole row group's column in one chunk, used as decoded.
              columns[c] = rowStart === start && columnData.length === numRows ? columnData as ArrayLike<DeltaValue> : Array.prototype.slice.call(columnData, start - rowStart, start - rowStart + numRows);
              return;
            }
            const out = (columns[c] as DeltaValue[] | undefined) ?? (columns[c] = new Array<DeltaValue>(numRows).fill(null)) as DeltaValue[];
            const from = Math.max(rowStart, start);
            const to = Math.min(rowEnd, start + numRows);
            for (let r = from; r < to; r++) out[r - start] = columnData[r - rowStart] as DeltaValue;
          },
        });
      }
      for (const f of wanted) {
        const c = index.get(f.name) as number;
        const col = columns[c];
        const scale = decimals.get(f.name);
        if (col === undefined) columns[c] = new Array<DeltaValue>(numRows).fill(null);
        else if (f.nested !== undefined) columns[c] = Array.from(col as ArrayLike<unknown>, (v) => canonicalNested(f.nested!, v));
        else if (f.type === 'long' && !(col instanceof BigInt64Array)) columns[c] = exactLongs(col);
        else if (scale !== undefined) columns[c] = Array.from(col as ArrayLike<unknown>, (v) => (v === null || v === undefined ? null : decimalString(unscaledValue(v), scale)));
      }
      yield { numRows, columns };
    }
  } finally {
    await pq.close();
  }
}

/**
 * The checks of a file's footer against the table, whatever decodes it: the log's statistics cross-check the footer
 * (which has no checksum: a damaged row count or column name would otherwise read as missing rows or a column of
 * nulls), and each column read must be stored as its Delta type is. Returns the file's top-level columns by name.
 *
 * @example
 * const inFile = checkFileColumns(path, pq.metadata, fields, { rows: 1000 });
 */
export function checkFileColumns(label: string, metadata: FileMetaData, fields: readonly SchemaField[], expect: FileExpectation = {}): ReadonlyMap<string, TopLevelColumn> {
  const columnsInFile = topLevelColumns(metadata.schema);
  if (expect.rows !== undefined && Number(metadata.num_rows) !== expect.rows) {
    throw new ParquetFileError(label, `it holds ${String(metadata.num_rows)} rows, the table's log says ${expect.rows}${expect.logFile !== undefined ? ` (in ${expect.logFile})` : ''}`);
  }
  for (const c of expect.present ?? []) {
    if (!columnsInFile.has(c)) throw new ParquetFileError(label, `it has no column '${c}', which the table's log${expect.logFile !== undefined ? ` (${expect.logFile})` : ''} says holds values in this file`, { column: c });
  }
  checkColumnTypes(label, columnsInFile, fields);
  return columnsInFile;
}

/**
 * Prepares the file's schema for decoding (the metadata is this open file's own copy): decimal columns lose their
 * DECIMAL annotation, so that hyparquet hands over the stored unscaled integers (it would scale them into
 * float64s, inexact past 15 digits) — returned as column → scale; string columns annotated only ENUM or JSON are
 * marked UTF8 (they read as strings, as every Delta string; the read is `utf8: false` so that binary stays bytes).
 */
function rawDecimals(schema: SchemaElement[], columnsInFile: ReadonlyMap<string, TopLevelColumn>, fields: readonly SchemaField[]): Map<string, number> {
  const scales = new Map<string, number>();
  for (const f of fields) {
    const column = columnsInFile.get(f.name);
    if (column === undefined) continue;
    const e = column.element;
    if (f.nested !== undefined) {
      // Nested leaves too: nested-value.ts scales them by the column's Delta type.
      for (let i = column.index + 1; i < column.end; i++) {
        if (schema[i].converted_type === 'DECIMAL' || schema[i].logical_type?.type === 'DECIMAL') { delete schema[i].converted_type; delete schema[i].logical_type; }
      }
      continue;
    }
    const d = decimalOf(f.type);
    if (d !== undefined) {
      scales.set(f.name, d.scale);
      delete e.converted_type;
      delete e.logical_type;
    } else if (f.type === 'string' && e.converted_type !== 'UTF8' && e.logical_type?.type !== 'STRING') {
      e.converted_type = 'UTF8';
    }
  }
  return scales;
}

/** A top-level column of a file: its schema element, and the range of it and its descendants in the flat schema. */
export interface TopLevelColumn { readonly element: SchemaElement; readonly index: number; readonly end: number }

/** The top-level columns of a file's schema by name (nested children, whose names may repeat, are not listed). */
function topLevelColumns(schema: readonly SchemaElement[]): Map<string, TopLevelColumn> {
  const out = new Map<string, TopLevelColumn>();
  let i = 1;
  while (i < schema.length) {
    let end = i + 1;
    for (let pending = schema[i].num_children ?? 0; pending > 0 && end < schema.length; pending--) pending += schema[end++].num_children ?? 0;
    out.set(schema[i].name, { element: schema[i], index: i, end });
    i = end;
  }
  return out;
}

/** The unscaled value of a stored decimal (INT32 number, INT64 bigint, or big-endian two's-complement bytes). */
function unscaledValue(v: unknown): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number') return BigInt(v);
  return bigintFromBytes(v as Uint8Array);
}

/** Physical types (and annotations) a Delta column type may be stored as. */
const STORAGE: Readonly<Record<string, readonly string[]>> = {
  long: ['INT64', 'INT32'], integer: ['INT32'], short: ['INT32'], byte: ['INT32'], double: ['DOUBLE'], float: ['FLOAT'],
  boolean: ['BOOLEAN'], string: ['BYTE_ARRAY'], date: ['INT32'], timestamp: ['INT64', 'INT96'], timestamp_ntz: ['INT64'],
  binary: ['BYTE_ARRAY', 'FIXED_LEN_BYTE_ARRAY'], decimal: ['INT32', 'INT64', 'FIXED_LEN_BYTE_ARRAY', 'BYTE_ARRAY'],
};
const TIMESTAMP_UNITS: Readonly<Record<string, string>> = { TIMESTAMP_MILLIS: 'MILLIS', TIMESTAMP_MICROS: 'MICROS' };

/**
 * The footer has no checksum: a flipped bit in a column's physical type (DOUBLE → FLOAT) or annotation (timestamp
 * MICROS → NANOS, a string losing its UTF8 mark) would decode every value differently without an error. So each
 * column read must be stored as its Delta type is, and a column's two annotations (converted and logical type), when
 * both are there, must agree.
 */
function checkColumnTypes(label: string, columnsInFile: ReadonlyMap<string, TopLevelColumn>, fields: readonly SchemaField[]): void {
  for (const f of fields) {
    const e = columnsInFile.get(f.name)?.element;
    if (e === undefined) continue;
    const bad = (why: string): never => { throw new ParquetFileError(label, `column '${f.name}' (${f.type} in the table) ${why}`, { column: f.name }); };
    if (f.nested !== undefined) {
      if (e.num_children === undefined || e.num_children === 0) bad(`is a ${String(e.type)} leaf in the file, not a group`);
      continue;
    }
    if (e.num_children !== undefined && e.num_children > 0) bad('is a nested group in the file');
    if (e.repetition_type === 'REPEATED') bad('is repeated in the file');
    const decimal = decimalOf(f.type);
    if (!STORAGE[decimal ? 'decimal' : f.type]?.includes(e.type as string)) bad(`is stored as ${String(e.type)}`);
    const logical = e.logical_type?.type;
    const converted = e.converted_type;
    if (f.type === 'string' && converted !== 'UTF8' && logical !== 'STRING' && converted !== 'JSON' && logical !== 'JSON' && converted !== 'ENUM' && logical !== 'ENUM') {
      bad('has no string annotation (UTF8) in the file');
    }
    if (f.type === 'date' && converted !== 'DATE' && logical !== 'DATE') bad('has no DATE annotation in the file');
    if (f.type === 'binary' && (converted !== undefined || logical !== undefined)) bad(`is annotated ${String(converted ?? logical)} in the file, not plain bytes`);
    if (decimal !== undefined) {
      if (converted !== 'DECIMAL' && logical !== 'DECIMAL') bad('has no DECIMAL annotation in the file');
      const scales = [e.scale, e.logical_type?.type === 'DECIMAL' ? e.logical_type.scale : undefined].filter((x) => x !== undefined);
      const precisions = [e.precision, e.logical_type?.type === 'DECIMAL' ? e.logical_type.precision : undefined].filter((x) => x !== undefined);
      if (scales.length === 0 || scales.some((x) => x !== decimal.scale)) bad(`has scale ${scales.join('/') || 'none'} in the file`);
      if (precisions.some((x) => x > decimal.precision)) bad(`has precision ${precisions.join('/')} in the file`);
    }
    if ((f.type === 'timestamp' || f.type === 'timestamp_ntz') && e.type === 'INT64') {
      const unit = e.logical_type?.type === 'TIMESTAMP' ? e.logical_type.unit : undefined;
      const fromConverted = converted !== undefined ? TIMESTAMP_UNITS[converted] : undefined;
      if (unit === undefined && fromConverted === undefined) bad('has no TIMESTAMP annotation in the file');
      if (unit !== undefined && fromConverted !== undefined && unit !== fromConverted) bad(`has contradictory annotations (${converted} and TIMESTAMP(${unit}))`);
    }
    if (logical === 'STRING' && converted !== undefined && converted !== 'UTF8') bad(`has contradictory annotations (${converted} and STRING)`);
    if (logical === 'DATE' && converted !== undefined && converted !== 'DATE') bad(`has contradictory annotations (${converted} and DATE)`);
  }
}

/** A long column decoded as numbers (an INT32/narrow physical type): bigints, as every long reads. */
function exactLongs(col: ArrayLike<DeltaValue>): ArrayLike<DeltaValue> {
  let convert = false;
  for (let i = 0; i < col.length && !convert; i++) convert = typeof col[i] === 'number';
  if (!convert) return col;
  return Array.from(col, (v) => (typeof v === 'number' ? BigInt(v) : v));
}
