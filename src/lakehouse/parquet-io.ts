/**
 * Parquet encoding of data files, through hyparquet-writer / hyparquet (pure JS; chosen by measurement, see
 * bench/lakehouse-parquet.ts). Both load lazily on first use, so importing Riffle does not load them.
 *
 * Physical types follow PROTOCOL.md "Delta Data Type to Parquet Type Mappings": long INT64, integer INT32,
 * double DOUBLE, boolean BOOLEAN, string BYTE_ARRAY UTF8, date INT32 DATE, timestamp INT64
 * TIMESTAMP(isAdjustedToUTC, MICROS).
 */
import type { SchemaField } from './schema.ts';
import { dateToDays, daysToDate, type DeltaValue } from './value-mapping.ts';

type Hyparquet = typeof import('hyparquet');
type Compressors = import('hyparquet').Compressors;
type FileMetaData = import('hyparquet').FileMetaData;
type HyparquetWriter = typeof import('hyparquet-writer');
type SchemaElement = import('hyparquet').SchemaElement;

let readerModule: Promise<Hyparquet> | undefined;
let writerModule: Promise<HyparquetWriter> | undefined;
let compressorsModule: Promise<Compressors> | undefined;

/** Codecs hyparquet decodes by itself; others (ZSTD, LZ4, Brotli, GZIP) need hyparquet-compressors. */
const BUILTIN_CODECS: ReadonlySet<string> = new Set(['UNCOMPRESSED', 'SNAPPY']);

/**
 * The decompressors a file needs beyond hyparquet's built-in snappy: undefined for snappy/uncompressed files;
 * otherwise hyparquet-compressors (ZSTD — delta-rs' default —, LZ4, LZ4_RAW, Brotli, GZIP), loaded on first need.
 *
 * @example
 * const compressors = await compressorsFor(parquetMetadata(file));
 * await parquetReadObjects({ file, compressors });
 */
export async function compressorsFor(metadata: FileMetaData): Promise<Compressors | undefined> {
  const needed = metadata.row_groups.some((g) => g.columns.some((c) => c.meta_data !== undefined && !BUILTIN_CODECS.has(c.meta_data.codec)));
  if (!needed) return undefined;
  return (compressorsModule ??= import('hyparquet-compressors').then((m) => m.compressors as Compressors));
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

function schemaElement(field: SchemaField): SchemaElement {
  const repetition_type = field.nullable ? 'OPTIONAL' : 'REQUIRED';
  const name = field.name;
  switch (field.type) {
    case 'string': return { name, repetition_type, type: 'BYTE_ARRAY', converted_type: 'UTF8', logical_type: { type: 'STRING' } };
    case 'long': return { name, repetition_type, type: 'INT64' };
    case 'integer': return { name, repetition_type, type: 'INT32' };
    case 'short': return { name, repetition_type, type: 'INT32', converted_type: 'INT_16' };
    case 'byte': return { name, repetition_type, type: 'INT32', converted_type: 'INT_8' };
    case 'double': return { name, repetition_type, type: 'DOUBLE' };
    case 'float': return { name, repetition_type, type: 'FLOAT' };
    case 'boolean': return { name, repetition_type, type: 'BOOLEAN' };
    case 'date': return { name, repetition_type, type: 'INT32', converted_type: 'DATE' };
    case 'timestamp': return {
      name, repetition_type, type: 'INT64', converted_type: 'TIMESTAMP_MICROS',
      logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MICROS' },
    };
  }
}

/**
 * Encodes columns of canonical values (see value-mapping.ts) as a Parquet file (snappy, 128K-row groups, Parquet
 * column statistics on).
 *
 * @example
 * const bytes = await writeParquet([{ name: 'id', type: 'long', nullable: true, metadata: {} }], [[1n, 2n]]);
 */
export async function writeParquet(fields: readonly SchemaField[], columns: readonly DeltaValue[][]): Promise<Uint8Array> {
  const { parquetWriteBuffer } = await loadWriter();
  const schema: SchemaElement[] = [{ name: 'schema', num_children: fields.length }, ...fields.map(schemaElement)];
  const columnData = fields.map((field, i) => {
    const values = columns[i];
    const data = field.type === 'date' ? values.map((v) => (v === null ? null : dateToDays(v as string))) : values;
    return { name: field.name, data: data as any[] };
  });
  const buffer = parquetWriteBuffer({ columnData, schema, rowGroupSize: 128 * 1024, createdBy: 'riffle' });
  return new Uint8Array(buffer);
}

/** Parsers that keep hyparquet's values in Riffle's canonical forms (exact µs timestamps, 'YYYY-MM-DD' dates). */
const PARSERS = {
  timestampFromMilliseconds: (v: bigint) => BigInt(v) * 1000n,
  timestampFromMicroseconds: (v: bigint) => BigInt(v),
  timestampFromNanoseconds: (v: bigint) => BigInt(v) / 1000n,
  dateFromDays: (days: number) => daysToDate(days),
};

/**
 * Decodes the named columns of a Parquet file into rows of canonical values. Columns absent from the file (added to
 * the schema later) read as null.
 *
 * @example
 * const rows = await readParquet(bytes, fields);
 */
export async function readParquet(bytes: Uint8Array, fields: readonly SchemaField[]): Promise<Record<string, DeltaValue>[]> {
  const { parquetReadObjects, parquetMetadata } = await loadReader();
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const metadata = parquetMetadata(file);
  const present = new Set(metadata.schema.slice(1).map((e) => e.name));
  const wanted = fields.filter((f) => present.has(f.name));
  const compressors = wanted.length === 0 ? undefined : await compressorsFor(metadata);
  const raw = wanted.length === 0 ? [] : await parquetReadObjects({ file, metadata, columns: wanted.map((f) => f.name), parsers: PARSERS, compressors });
  const rows: Record<string, DeltaValue>[] = new Array(wanted.length === 0 ? Number(metadata.num_rows) : raw.length);
  for (let i = 0; i < rows.length; i++) {
    const src = raw[i] as Record<string, unknown> | undefined;
    const row: Record<string, DeltaValue> = {};
    for (const f of fields) {
      const v = src?.[f.name];
      row[f.name] = v === undefined || v === null ? null : f.type === 'long' && typeof v === 'number' ? BigInt(v) : (v as DeltaValue);
    }
    rows[i] = row;
  }
  return rows;
}
