/**
 * Arrow record batches as Riffle's columnar currency: the Arrow type of each Delta type, and the normalisation of a
 * decoded column to it (whatever wrote the file), so that every batch of a table has one schema.
 *
 * | Delta type | Arrow type (values) |
 * |---|---|
 * | long, integer, short, byte | Int64 (BigInt64Array), Int32, Int16, Int8 |
 * | double, float | Float64 (Float64Array), Float32 |
 * | boolean | Bool (bitmap) |
 * | string, binary | Utf8 / Binary (offsets + bytes; a file's dictionary may stay Dictionary<Utf8>) |
 * | date | DateDay (Int32Array of days since 1970-01-01) |
 * | timestamp, timestamp_ntz | Timestamp(µs, 'UTC'), Timestamp(µs) (BigInt64Array) |
 * | decimal(p,s) | Decimal128(p, s) (unscaled, little-endian 128-bit) |
 * | struct, array, map | as the Parquet decoder gives them (Struct, List, Map) |
 *
 * Partition columns hold one value per file: they are Dictionary<T, Int32> columns whose dictionary has that value
 * (4 bytes a row, no copy of the value), or all-null columns. apache-arrow loads lazily on first use.
 */
import type { Data, DataType, RecordBatch, Schema } from 'apache-arrow';
import { bigintFromBytes } from './decimal-value.ts';
import { DeltaTableError } from './errors.ts';
import { decimalOf, type SchemaField } from './schema.ts';
import { dateToDays, type DeltaValue } from './value-mapping.ts';

export type ArrowModule = typeof import('apache-arrow');
let arrowModule: Promise<ArrowModule> | undefined;

/**
 * Loads apache-arrow on first use.
 *
 * @example
 * const A = await loadArrow(); new A.Int64();
 */
export function loadArrow(): Promise<ArrowModule> {
  return (arrowModule ??= import('apache-arrow'));
}

/**
 * The Arrow type of a Delta column (undefined for nested columns: their type is the file's).
 *
 * @example
 * arrowTypeOf(A, { name: 'ts', type: 'timestamp', nullable: true, metadata: {} }); // Timestamp<MICROSECOND, UTC>
 */
export function arrowTypeOf(A: ArrowModule, field: SchemaField): DataType | undefined {
  if (field.nested !== undefined) return undefined;
  switch (field.type) {
    case 'long': return new A.Int64();
    case 'integer': return new A.Int32();
    case 'short': return new A.Int16();
    case 'byte': return new A.Int8();
    case 'double': return new A.Float64();
    case 'float': return new A.Float32();
    case 'boolean': return new A.Bool();
    case 'string': return new A.Utf8();
    case 'binary': return new A.Binary();
    case 'date': return new A.DateDay();
    case 'timestamp': return new A.TimestampMicrosecond('UTC');
    case 'timestamp_ntz': return new A.TimestampMicrosecond();
    default: {
      const d = decimalOf(field.type);
      if (d === undefined) throw new DeltaTableError('DELTA_INVALID_ARGUMENT', `column '${field.name}' has type ${field.type}, which has no Arrow mapping in Riffle`);
      return new A.Decimal(d.scale, d.precision, 128);
    }
  }
}

/** µs per unit of Arrow's TimeUnit (SECOND 0, MILLISECOND 1, MICROSECOND 2, NANOSECOND 3): multiply, or divide when < 1. */
const MICROS_PER_UNIT = [1_000_000n, 1000n, 1n, 0n];

/**
 * A decoded column as the Delta type's Arrow type: buffers shared where the layout already matches (timestamps
 * relabelled to the table's zone, decimals to its precision), converted where the file stored the type another way
 * (milli/nanosecond timestamps, INT96, a long stored as INT32, a string column decoded as LargeUtf8).
 */
export function normalizeColumn(A: ArrowModule, field: SchemaField, data: Data): Data {
  const want = arrowTypeOf(A, field);
  if (want === undefined) return data;
  const t = data.type;
  // Values are indexed from the column's first row, the validity bitmap from `offset` (apache-arrow's slices: see unsliced).
  const base = { length: data.length, nullCount: data.nullCount, nullBitmap: data.nullBitmap, offset: data.offset };
  if (A.DataType.isTimestamp(t) && A.DataType.isTimestamp(want)) {
    const values = data.values as BigInt64Array;
    if (t.unit === A.TimeUnit.MICROSECOND) return A.makeData({ ...base, type: want, data: values });
    const out = new BigInt64Array(data.length);
    const m = MICROS_PER_UNIT[t.unit];
    for (let i = 0; i < out.length; i++) out[i] = m === 0n ? values[i] / 1000n : values[i] * m;
    return A.makeData({ ...base, type: want, data: out });
  }
  if (A.DataType.isDecimal(t) && A.DataType.isDecimal(want) && t.bitWidth === 128) return A.makeData({ ...base, type: want, data: data.values as Uint32Array });
  if (A.DataType.isInt(t) && A.DataType.isInt(want) && t.bitWidth !== want.bitWidth && want.bitWidth === 64) {
    const out = new BigInt64Array(data.length);
    const values = data.values as Int32Array;
    for (let i = 0; i < out.length; i++) out[i] = BigInt(values[i]);
    return A.makeData({ ...base, type: want, data: out });
  }
  if (field.type === 'string' && A.DataType.isDictionary(t)) return data;
  if (t.typeId === want.typeId) return data;
  if ((field.type === 'string' || field.type === 'binary') && (t.typeId === A.Type.LargeUtf8 || t.typeId === A.Type.LargeBinary)) {
    return A.vectorFromArray(A.makeVector(data).toArray() as unknown[], want).data[0];
  }
  throw new DeltaTableError('DELTA_LOG_INVALID', `column '${field.name}' (${field.type}) decoded as Arrow ${String(t)}, which Riffle does not convert to ${String(want)}`);
}

/** An all-null column of `length` rows. */
export function nullColumn(A: ArrowModule, type: DataType | undefined, length: number): Data {
  if (type === undefined) return A.makeData({ type: new A.Null(), length, nullCount: length });
  return A.makeVector(A.vectorFromArray(new Array<null>(length).fill(null), type)).data[0];
}

/** One value of a primitive Delta type as a one-row Arrow column (the dictionary of a partition column). */
function singleValue(A: ArrowModule, field: SchemaField, type: DataType, v: DeltaValue): Data {
  // makeData's overloads are keyed by the type's class; this builds several, so one loosely typed call.
  const make = A.makeData as unknown as (props: { type: DataType; length: number; nullCount: number; data: ArrayBufferView; valueOffsets?: Int32Array }) => Data;
  const one = { type, length: 1, nullCount: 0 };
  const bytes = (b: Uint8Array) => make({ ...one, valueOffsets: Int32Array.of(0, b.length), data: b });
  switch (field.type) {
    case 'long': case 'timestamp': case 'timestamp_ntz': return make({ ...one, data: BigInt64Array.of(BigInt(v as bigint | number)) });
    case 'integer': return make({ ...one, data: Int32Array.of(v as number) });
    case 'short': return make({ ...one, data: Int16Array.of(v as number) });
    case 'byte': return make({ ...one, data: Int8Array.of(v as number) });
    case 'double': return make({ ...one, data: Float64Array.of(v as number) });
    case 'float': return make({ ...one, data: Float32Array.of(v as number) });
    case 'boolean': return make({ ...one, data: Uint8Array.of(v === true ? 1 : 0) });
    case 'date': return make({ ...one, data: Int32Array.of(dateToDays(v as string)) });
    case 'string': return bytes(new TextEncoder().encode(v as string));
    case 'binary': return bytes(v as Uint8Array);
    default: {
      const d = decimalOf(field.type)!;
      const [whole, frac = ''] = (v as string).split('.');
      const unscaled = BigInt(whole + frac.padEnd(d.scale, '0'));
      const words = new BigInt64Array([BigInt.asIntN(64, unscaled), BigInt.asIntN(64, unscaled >> 64n)]);
      return make({ ...one, data: new Uint32Array(words.buffer) });
    }
  }
}

/**
 * A partition column: `length` rows of one value, as Dictionary<T, Int32> with a one-entry dictionary (null: an
 * all-null column of the Delta type's Arrow type).
 *
 * @example
 * constantColumn(A, { name: 'country', type: 'string', nullable: true, metadata: {} }, 'fr', 1000);
 */
export function constantColumn(A: ArrowModule, field: SchemaField, value: DeltaValue, length: number): Data {
  const type = arrowTypeOf(A, field);
  if (value === null || type === undefined) return nullColumn(A, type, length);
  const dictionary = A.makeVector(singleValue(A, field, type, value));
  return A.makeData({ type: new A.Dictionary(type, new A.Int32()), length, nullCount: 0, data: new Int32Array(length), dictionary });
}

/**
 * A record batch of Delta columns from their Arrow data (all of `length` rows); each field's Arrow type is its data's.
 *
 * @example
 * const batch = recordBatch(A, fields, [idData, amountData], 1000);
 */
export function recordBatch(A: ArrowModule, fields: readonly SchemaField[], columns: readonly Data[], length: number): RecordBatch {
  const schema = new A.Schema(fields.map((f, i) => new A.Field(f.name, columns[i].type, f.nullable)));
  const struct = A.makeData({ type: new A.Struct(schema.fields), length, nullCount: 0, children: columns as Data[] });
  return new A.RecordBatch(schema, struct);
}

/**
 * The Arrow schema of Delta columns (nested columns take the type `nestedTypes` gives, e.g. from the first file).
 *
 * @example
 * arrowSchema(A, snapshot.schema.fields);
 */
export function arrowSchema(A: ArrowModule, fields: readonly SchemaField[], types: readonly (DataType | undefined)[] = []): Schema {
  return new A.Schema(fields.map((f, i) => new A.Field(f.name, types[i] ?? arrowTypeOf(A, f) ?? new A.Null(), f.nullable)));
}

/** The unscaled value of row i of a Decimal128 column (its two's-complement words). */
export function decimal128At(values: Uint32Array, i: number): bigint {
  const bytes = new Uint8Array(values.buffer, values.byteOffset + i * 16, 16);
  return bigintFromBytes(Uint8Array.from(bytes).reverse());
}

/** Bits [offset, offset + length) of a bitmap, from bit 0 (a new bitmap; the same one when offset is 0). */
export function bitsFrom(bitmap: Uint8Array, offset: number, length: number): Uint8Array {
  if (offset === 0) return bitmap;
  const out = new Uint8Array((length + 7) >> 3);
  for (let i = 0; i < length; i++) { const j = offset + i; if ((bitmap[j >> 3] & (1 << (j & 7))) !== 0) out[i >> 3] |= 1 << (i & 7); }
  return out;
}

/**
 * A primitive column of a sliced batch as a column of its own (offset 0). apache-arrow slices a column by viewing its
 * values (and a string column's offsets) from the slice's first row, but keeps the validity bitmap (and a boolean
 * column's bits) whole and the slice's start in `offset`: code that indexes values by `offset + i`, as the Arrow
 * format's own offset means, reads the wrong rows. Columns whose `offset` is 0 are returned as they are.
 *
 * @example
 * const whole = unsliced(A, batch.slice(3).data.children[0]); // whole.offset === 0
 */
export function unsliced(A: ArrowModule, d: Data): Data {
  if (d.offset === 0 || d.children.length > 0) return d;
  const bitmap = d.nullCount > 0 && d.nullBitmap !== undefined && d.nullBitmap.length > 0 ? bitsFrom(d.nullBitmap, d.offset, d.length) : undefined;
  const base = { type: d.type, length: d.length, nullCount: d.nullCount, nullBitmap: bitmap } as const;
  if (d.typeId === A.Type.Null) return A.makeData({ type: d.type as import('apache-arrow').Null, length: d.length, nullCount: d.length });
  if (d.dictionary !== undefined) return A.makeData({ ...base, type: d.type as import('apache-arrow').Dictionary, data: d.values as Int32Array, dictionary: d.dictionary });
  if (d.valueOffsets !== undefined) return A.makeData({ ...base, type: d.type as import('apache-arrow').Utf8, data: d.values as Uint8Array, valueOffsets: d.valueOffsets as Int32Array });
  if (d.typeId === A.Type.Bool) return A.makeData({ ...base, type: d.type as import('apache-arrow').Bool, data: bitsFrom(d.values as Uint8Array, d.offset, d.length) });
  return A.makeData({ ...base, type: d.type as import('apache-arrow').Int32, data: d.values as Int32Array });
}

/**
 * A batch whose primitive columns all start at offset 0 (`unsliced`); the batch itself when they do already.
 *
 * @example
 * const whole = unslicedBatch(A, batch.slice(100, 200));
 */
export function unslicedBatch(A: ArrowModule, batch: RecordBatch): RecordBatch {
  const children = batch.data.children;
  if (batch.data.offset === 0 && children.every((d) => d.offset === 0)) return batch;
  const fixed = children.map((d) => unsliced(A, d));
  return new A.RecordBatch(batch.schema, A.makeData({ type: new A.Struct(batch.schema.fields), length: batch.numRows, nullCount: 0, children: fixed }));
}
