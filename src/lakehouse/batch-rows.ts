/**
 * Arrow record batches back to canonical values (see `DeltaType`), for row-at-a-time users of the columnar path and
 * for checks: a column's value at a row, read from its buffers by the Delta type (not by Arrow JS's `get`, which
 * turns 64-bit timestamps into float milliseconds).
 */
import type { Data, RecordBatch } from 'apache-arrow';
import { decimal128At } from './arrow-batch.ts';
import { decimalString } from './decimal-value.ts';
import { DeltaTableError } from './errors.ts';
import { decimalOf, type SchemaField } from './schema.ts';
import { daysToDate, type DeltaValue } from './value-mapping.ts';

/** A reader of one column's canonical value at a row of its Data (dictionaries resolved). */
export type ValueAt = (i: number) => DeltaValue;

function isValid(data: Data, i: number): boolean {
  const bitmap = data.nullBitmap;
  if (data.nullCount === 0 || bitmap === undefined || bitmap.length === 0) return data.typeId !== 1 /* Null */;
  const j = data.offset + i;
  return (bitmap[j >> 3] & (1 << (j & 7))) !== 0;
}

/**
 * The canonical value reader of one column of a batch.
 *
 * @example
 * const at = valueReader(field, batch.data.children[0]); at(0); // 1n
 */
export function valueReader(field: SchemaField, data: Data): ValueAt {
  if (data.typeId === 1) return () => null; // an all-null column
  if (data.dictionary !== undefined) {
    const dictionary = data.dictionary.data[0];
    const inner = valueReader(field, dictionary);
    const indices = data.values as Int32Array;
    return (i) => (isValid(data, i) ? inner(indices[i]) : null);
  }
  // apache-arrow views a sliced column's values (and string offsets) from the slice's first row; only the validity
  // bitmap and boolean bits are indexed from `offset` (see unsliced in arrow-batch.ts).
  const o = data.offset;
  const values = data.values as ArrayLike<number | bigint>;
  const valid = (i: number) => isValid(data, i);
  if (field.nested !== undefined) {
    throw new DeltaTableError('DELTA_INVALID_ARGUMENT', `column '${field.name}' (${field.type}): nested columns are not converted from Arrow batches to rows yet`, { hint: 'read it with DeltaTable.read, or use the batch\'s Arrow vector' });
  }
  switch (field.type) {
    case 'long': case 'timestamp': case 'timestamp_ntz': case 'integer': case 'short': case 'byte': case 'double': case 'float':
      return (i) => (valid(i) ? values[i] : null);
    case 'boolean': {
      const bits = data.values as Uint8Array;
      return (i) => (valid(i) ? ((bits[(o + i) >> 3] >> ((o + i) & 7)) & 1) === 1 : null);
    }
    case 'date':
      return (i) => (valid(i) ? daysToDate(values[i] as number) : null);
    case 'string': case 'binary': {
      const offsets = data.valueOffsets as Int32Array;
      const bytes = data.values as Uint8Array;
      const decoder = new TextDecoder();
      return (i) => {
        if (!valid(i)) return null;
        const b = bytes.subarray(offsets[i], offsets[i + 1]);
        return field.type === 'string' ? decoder.decode(b) : Uint8Array.from(b);
      };
    }
    default: {
      const d = decimalOf(field.type);
      if (d === undefined) throw new TypeError(`column '${field.name}': type ${field.type} has no reader`);
      const words = data.values as Uint32Array;
      return (i) => (valid(i) ? decimalString(decimal128At(words, i), d.scale) : null);
    }
  }
}

/**
 * The rows of a batch as objects of canonical values (what `DeltaTable.read` returns), keys in field order.
 *
 * @example
 * const rows = batchRows(batch, snapshot.schema.fields);
 */
export function batchRows(batch: RecordBatch, fields: readonly SchemaField[]): Record<string, DeltaValue>[] {
  const readers = fields.map((f) => {
    const k = batch.schema.fields.findIndex((x) => x.name === f.name);
    if (k < 0) throw new TypeError(`the batch has no column '${f.name}'`);
    return valueReader(f, batch.data.children[k]);
  });
  const out: Record<string, DeltaValue>[] = new Array(batch.numRows);
  for (let i = 0; i < batch.numRows; i++) {
    const row: Record<string, DeltaValue> = {};
    for (let k = 0; k < fields.length; k++) row[fields[k].name] = readers[k](i);
    out[i] = row;
  }
  return out;
}

/**
 * The Delta fields of a batch's columns, from their Arrow types (the inverse of arrowTypeOf; dictionaries by their
 * value type): what `batchRows` needs for a batch that did not come with a table schema.
 *
 * @example
 * batchRows(batch, batchFields(batch));
 */
export function batchFields(batch: RecordBatch): SchemaField[] {
  return batch.schema.fields.map((f, k) => {
    const data = batch.data.children[k];
    const type = String((data.dictionary?.type ?? f.type) as unknown);
    const decimal = /^Decimal\[(\d+)e([+-]\d+)\]$/.exec(type);
    const delta = decimal ? `decimal(${decimal[1]},${Number(decimal[2])})` : ARROW_TO_DELTA[type] ?? (/^Timestamp<MICROSECOND, .+>$/.test(type) ? 'timestamp' : undefined);
    if (delta === undefined) throw new DeltaTableError('DELTA_INVALID_ARGUMENT', `batch column '${f.name}' has Arrow type ${type}, which has no Delta type in Riffle`, { hint: 'cast it to one of the types DeltaTable.readBatches gives' });
    return { name: f.name, type: delta, nullable: f.nullable, metadata: {} } as SchemaField;
  });
}

const ARROW_TO_DELTA: Readonly<Record<string, string>> = {
  Int64: 'long', Int32: 'integer', Int16: 'short', Int8: 'byte', Float64: 'double', Float32: 'float', Bool: 'boolean', Utf8: 'string',
  Binary: 'binary', 'Date32<DAY>': 'date', 'Timestamp<MICROSECOND>': 'timestamp_ntz',
};
