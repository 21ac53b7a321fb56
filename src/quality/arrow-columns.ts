/**
 * Arrow record batches (the lakehouse's columnar read, `DeltaTable.readBatches`) as the columns validation sees,
 * as pandas would read the table: doubles and 64-bit integers as numbers in a Float64Array with NaN for nulls (no
 * bigint made per value: an Int64 is read as two 32-bit halves, exact up to 2^53; a column holding a larger value
 * keeps bigints for it), strings as JS strings (a dictionary's entries decoded once), timestamps as Dates, other types
 * as the lakehouse's canonical values.
 */
import type { Data, RecordBatch } from 'apache-arrow';
import { valueReader, type SchemaField } from '../lakehouse/index.ts';
import { decodeUtf8, fnv1a, INTERN_MAX_BYTES, StringInterner } from './string-interner.ts';

const TWO_32 = 4294967296;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * Rows [start, end) of an Int64/timestamp column as float64 numbers (÷ `divisor`), NaN for nulls; undefined when a
 * value passes 2^53.
 */
function int64AsNumbers(data: Data, divisor: number, start: number, end: number): Float64Array | undefined {
  const n = end - start;
  const values = data.values as BigInt64Array;
  const words = new Int32Array(values.buffer, values.byteOffset + start * 8, n * 2);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const hi = words[2 * i + 1];
    if (hi >= 0x200000 || hi < -0x200000) return undefined;
    out[i] = (hi * TWO_32 + (words[2 * i] >>> 0)) / divisor;
  }
  markNulls(data, out, start);
  return out;
}

/**
 * The validity bits of a column with nulls (bit `data.offset + row`), or undefined when every row is valid. Read
 * directly: Data#getValid costs a type check and two getters per call.
 */
function nullBits(data: Data): Uint8Array | undefined {
  if (data.nullCount === 0) return undefined;
  const bits = data.nullBitmap;
  return bits === undefined || bits.length === 0 ? undefined : bits;
}

/** NaN in out[i] where row start + i is null. */
function markNulls(data: Data, out: Float64Array, start: number): void {
  const bits = nullBits(data);
  if (bits === undefined) return;
  const from = data.offset + start;
  for (let i = 0; i < out.length; i++) {
    const j = from + i;
    if ((bits[j >> 3]! & (1 << (j & 7))) === 0) out[i] = NaN;
  }
}

/** A dictionary's decoded entries, while its Data lives. */
const decodedDictionaries = new WeakMap<Data, (string | null)[]>();

/**
 * Rows [start, end) of a string column. A dictionary's entries are decoded once; plain values go through the
 * column's interner (string-interner.ts: one string per distinct value across the read while most values repeat,
 * decoded one by one in a high-cardinality column).
 */
function strings(data: Data, start: number, end: number, interner: StringInterner): (string | null)[] {
  const n = end - start;
  const out: (string | null)[] = new Array(n);
  if (data.dictionary !== undefined) {
    const entries = data.dictionary.data[0];
    // Slices of one batch share its dictionary: decoded once for all of them.
    let dict = decodedDictionaries.get(entries);
    if (dict === undefined) decodedDictionaries.set(entries, (dict = strings(entries, 0, entries.length, new StringInterner())));
    const indices = data.values as Int32Array;
    const bits = nullBits(data);
    const from = data.offset + start;
    for (let i = 0; i < n; i++) {
      const j = from + i;
      out[i] = bits === undefined || (bits[j >> 3]! & (1 << (j & 7))) !== 0 ? dict[indices[start + i]!]! : null;
    }
    return out;
  }
  const offsets = data.valueOffsets as Int32Array;
  const bytes = data.values as Uint8Array;
  // A Buffer view: utf8Slice is one native call a value, cheaper than TextDecoder.decode on short strings (measured).
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const bits = nullBits(data);
  const bitFrom = data.offset;
  for (let i = 0; i < n; i++) {
    const j = start + i;
    const bit = bitFrom + j;
    if (bits !== undefined && (bits[bit >> 3]! & (1 << (bit & 7))) === 0) {
      out[i] = null;
      continue;
    }
    const s = offsets[j]!;
    const e = offsets[j + 1]!;
    out[i] = interner.enabled && e - s <= INTERN_MAX_BYTES ? interner.intern(buffer, s, e, fnv1a(buffer, s, e)) : decodeUtf8(buffer, s, e);
  }
  return out;
}

/**
 * Rows [start, end) of one column of a batch (default all of them) as validation reads it. Buffers are indexed as
 * Arrow JS does (values and offsets by row, `offset` only for the validity bits).
 *
 * @example
 * const amounts = validationColumn(field, batch.data.children[2]); // Float64Array, NaN where null
 */
export function validationColumn(field: SchemaField, data: Data, start = 0, end = data.length, interner = new StringInterner()): ArrayLike<unknown> {
  const n = end - start;
  // An all-null column (a null partition value, a column the file lacks): nulls, as the row path gives them.
  if (data.typeId === 1 || data.nullCount === data.length) return new Array<null>(n).fill(null);
  const plain = data.dictionary === undefined;
  switch (field.type) {
    case 'double': case 'float': case 'integer': case 'short': case 'byte': {
      if (!plain) break;
      const v = data.values as Float64Array | Float32Array | Int32Array | Int16Array | Int8Array;
      // Doubles without nulls: a view of the batch's buffer (read only downstream), no copy.
      if (v instanceof Float64Array && nullBits(data) === undefined) return v.subarray(start, end);
      const out = Float64Array.from(v.subarray(start, end));
      markNulls(data, out, start);
      return out;
    }
    case 'long':
      if (plain) {
        const numbers = int64AsNumbers(data, 1, start, end);
        if (numbers !== undefined) return numbers;
      }
      break;
    case 'timestamp': case 'timestamp_ntz': {
      if (!plain) break;
      const ms = int64AsNumbers(data, 1000, start, end);
      if (ms === undefined) break;
      const out: (Date | null)[] = new Array(n);
      for (let i = 0; i < out.length; i++) out[i] = ms[i] === ms[i] ? new Date(Math.floor(ms[i])) : null;
      return out;
    }
    case 'string':
      return strings(data, start, end, interner);
    default:
      break;
  }
  const at = valueReader(field, data);
  const out: unknown[] = new Array(n);
  const pandas = field.type === 'long' ? (v: unknown) => (typeof v === 'bigint' && v <= MAX_SAFE && v >= -MAX_SAFE ? Number(v) : v)
    : field.type === 'timestamp' || field.type === 'timestamp_ntz' ? (v: unknown) => (typeof v === 'bigint' ? new Date(Number(v / 1000n)) : v) : undefined;
  for (let i = 0; i < n; i++) out[i] = pandas ? pandas(at(start + i)) : at(start + i);
  return out;
}

/**
 * Reads the batches of one scan as validation columns, keeping per column what outlives a batch (the interner of
 * a string column), so repeated strings are decoded once for the whole read.
 *
 * @example
 * const reader = new ValidationColumnReader(snapshot.schema.fields);
 * for await (const batch of batches) accumulator.addColumns(names, reader.read(batch, 0, batch.numRows), batch.numRows);
 */
export class ValidationColumnReader {
  readonly fields: readonly SchemaField[];
  readonly #interners: StringInterner[];

  constructor(fields: readonly SchemaField[]) {
    this.fields = fields;
    this.#interners = fields.map(() => new StringInterner());
  }

  /** Rows [start, end) (default all) of every column of a batch, in the fields' order. */
  read(batch: RecordBatch, start = 0, end = batch.numRows): ArrayLike<unknown>[] {
    return this.fields.map((f, k) => validationColumn(f, batch.data.children[k], start, end, this.#interners[k]));
  }
}

/**
 * Rows [start, end) (default all) of every column of a batch as validation reads it, in the batch's order.
 *
 * @example
 * const data = validationColumns(batch, snapshot.schema.fields, 0, 16_384);
 */
export function validationColumns(batch: RecordBatch, fields: readonly SchemaField[], start = 0, end = batch.numRows): ArrayLike<unknown>[] {
  return new ValidationColumnReader(fields).read(batch, start, end);
}
