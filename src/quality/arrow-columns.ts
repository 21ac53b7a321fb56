/**
 * Arrow record batches (the lakehouse's columnar read, `DeltaTable.readBatches`) as the columns validation sees,
 * as pandas would read the table: doubles and 64-bit integers as numbers in a Float64Array with NaN for nulls (no
 * bigint made per value: an Int64 is read as two 32-bit halves, exact up to 2^53; a column holding a larger value
 * keeps bigints for it), strings as JS strings (a dictionary's entries decoded once), timestamps as Dates, other types
 * as the lakehouse's canonical values.
 */
import type { Data, RecordBatch } from 'apache-arrow';
import { valueReader, type SchemaField } from '../lakehouse/index.ts';

const TWO_32 = 4294967296;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** An Int64/timestamp column as float64 numbers (÷ `divisor`), NaN for nulls; undefined when a value passes 2^53. */
function int64AsNumbers(data: Data, divisor: number): Float64Array | undefined {
  const n = data.length;
  const words = new Int32Array((data.values as BigInt64Array).buffer, (data.values as BigInt64Array).byteOffset + data.offset * 8, n * 2);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const hi = words[2 * i + 1];
    if (hi >= 0x200000 || hi < -0x200000) return undefined;
    out[i] = (hi * TWO_32 + (words[2 * i] >>> 0)) / divisor;
  }
  markNulls(data, out);
  return out;
}

function markNulls(data: Data, out: Float64Array): void {
  if (data.nullCount === 0) return;
  for (let i = 0; i < out.length; i++) if (!data.getValid(i)) out[i] = NaN;
}

type Utf8Slice = (this: Buffer, start: number, end: number) => string;
/** Node's Buffer#utf8Slice (what toString('utf8', s, e) ends in, without its argument checks), or toString. */
const utf8Slice: Utf8Slice = (Buffer.prototype as unknown as { utf8Slice?: Utf8Slice }).utf8Slice ?? function (this: Buffer, start: number, end: number) {
  return this.toString('utf8', start, end);
};

/** Values longer than this are not interned (hashing them costs more than the copy it may save). */
const INTERN_MAX_BYTES = 64;

/**
 * A string column's values. A dictionary's entries are decoded once; plain values are interned within the batch
 * while most of them repeat (a status, a country: one string per distinct value instead of one per cell, so fewer
 * allocations and less GC), and decoded one by one once the first 4,096 lookups show mostly distinct values.
 */
function strings(data: Data): (string | null)[] {
  const n = data.length;
  const out: (string | null)[] = new Array(n);
  if (data.dictionary !== undefined) {
    const dict = strings(data.dictionary.data[0]);
    const indices = data.values as Int32Array;
    for (let i = 0; i < n; i++) out[i] = data.getValid(i) ? dict[indices[data.offset + i]] : null;
    return out;
  }
  const offsets = data.valueOffsets as Int32Array;
  const bytes = data.values as Uint8Array;
  // Buffer's utf8Slice: one native call a value, cheaper than TextDecoder.decode on short strings (measured).
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const all = data.nullCount === 0;
  const first = new Map<number, number>(); // hash of a value's bytes → the index of its first cell
  let interning = true;
  let lookups = 0;
  let misses = 0;
  for (let i = 0; i < n; i++) {
    const j = data.offset + i;
    if (!all && !data.getValid(i)) {
      out[i] = null;
      continue;
    }
    const s = offsets[j]!;
    const e = offsets[j + 1]!;
    if (interning && e - s <= INTERN_MAX_BYTES) {
      let h = 0x811c9dc5 ^ (e - s);
      for (let k = s; k < e; k++) h = Math.imul(h ^ bytes[k]!, 0x01000193);
      const at = first.get(h);
      if (at !== undefined) {
        const as = offsets[data.offset + at]!;
        let same = offsets[data.offset + at + 1]! - as === e - s;
        for (let k = 0; same && k < e - s; k++) same = bytes[as + k] === bytes[s + k];
        if (same) {
          out[i] = out[at]!;
          lookups++;
          continue;
        }
      } else if (first.size < 4096) first.set(h, i);
      misses++;
      if (++lookups === 4096 && misses > 2048) interning = false;
    }
    out[i] = utf8Slice.call(buffer, s, e);
  }
  return out;
}

/**
 * One column of a batch as validation reads it.
 *
 * @example
 * const amounts = validationColumn(field, batch.data.children[2]); // Float64Array, NaN where null
 */
export function validationColumn(field: SchemaField, data: Data): ArrayLike<unknown> {
  // An all-null column (a null partition value, a column the file lacks): nulls, as the row path gives them.
  if (data.typeId === 1 || data.nullCount === data.length) return new Array<null>(data.length).fill(null);
  const plain = data.dictionary === undefined;
  switch (field.type) {
    case 'double': case 'float': case 'integer': case 'short': case 'byte': {
      if (!plain) break;
      const v = data.values as Float64Array | Float32Array | Int32Array | Int16Array | Int8Array;
      const out = Float64Array.from(v.subarray(data.offset, data.offset + data.length));
      markNulls(data, out);
      return out;
    }
    case 'long':
      if (plain) {
        const numbers = int64AsNumbers(data, 1);
        if (numbers !== undefined) return numbers;
      }
      break;
    case 'timestamp': case 'timestamp_ntz': {
      if (!plain) break;
      const ms = int64AsNumbers(data, 1000);
      if (ms === undefined) break;
      const out: (Date | null)[] = new Array(data.length);
      for (let i = 0; i < out.length; i++) out[i] = ms[i] === ms[i] ? new Date(Math.floor(ms[i])) : null;
      return out;
    }
    case 'string':
      return strings(data);
    default:
      break;
  }
  const at = valueReader(field, data);
  const out: unknown[] = new Array(data.length);
  const pandas = field.type === 'long' ? (v: unknown) => (typeof v === 'bigint' && v <= MAX_SAFE && v >= -MAX_SAFE ? Number(v) : v)
    : field.type === 'timestamp' || field.type === 'timestamp_ntz' ? (v: unknown) => (typeof v === 'bigint' ? new Date(Number(v / 1000n)) : v) : undefined;
  for (let i = 0; i < out.length; i++) out[i] = pandas ? pandas(at(i)) : at(i);
  return out;
}

/**
 * Every column of a batch as validation reads it, in the batch's order.
 *
 * @example
 * const data = validationColumns(batch, snapshot.schema.fields);
 */
export function validationColumns(batch: RecordBatch, fields: readonly SchemaField[]): ArrayLike<unknown>[] {
  return fields.map((f, k) => validationColumn(f, batch.data.children[k]));
}
