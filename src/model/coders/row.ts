/**
 * Rows with a schema, byte-compatible with Beam's row coder (`beam:coder:row:v1`): the field count as a varint, a
 * bitmap of null fields (a varint length then the bytes, bit i set when field i is null, trailing zero bytes
 * dropped), then every non-null field nested, in encoding-position order. A row decodes to a plain object with the
 * schema's field names; maps decode to `Map`s; a nullable field is `null` when absent.
 * @example
 *   const c = coders.row({ fields: [{ name: 'id', type: { kind: 'atomic', type: 'int64' } }] });
 *   decodeFromBytes(c, encodeToBytes(c, { id: 7 }))  // { id: 7 }
 */
import { CoderInputError, type ByteReader, type ByteWriter } from './byte-io.ts';
import { iterableCoder, mapCoder } from './collections.ts';
import { composedDeterminism, type Coder } from './core.ts';
import { boolCoder, bytesCoder, decimalCoder, doubleCoder, floatCoder, nullableCoder, stringCoder, varInt64Coder } from './scalars.ts';
import type { AtomicType, FieldType, Schema } from './schema.ts';
import { instantCoder } from './windows.ts';

export type Row = Record<string, unknown>;

const byteCoder: Coder<number> = {
  name: 'byte',
  deterministic: true,
  encode(v, o) {
    if (!Number.isInteger(v) || v < -128 || v > 255) throw new RangeError(`coders.row: ${v} is not a byte`);
    o.byte(v & 0xff);
  },
  decode: (i) => (i.byte() << 24) >> 24,
};

const int16Coder: Coder<number> = {
  name: 'int16',
  deterministic: true,
  encode(v, o) {
    if (!Number.isInteger(v) || v < -32768 || v > 32767) throw new RangeError(`coders.row: ${v} is not a 16-bit integer`);
    o.byte((v >> 8) & 0xff);
    o.byte(v & 0xff);
  },
  decode: (i) => (((i.byte() << 8) | i.byte()) << 16) >> 16,
};

/** Java's VarIntCoder: a 32-bit int as the LEB128 of its unsigned bits (a negative int takes five bytes). */
const int32Coder: Coder<number> = {
  name: 'int32',
  deterministic: true,
  encode(v, o) {
    if (!Number.isInteger(v) || v < -2147483648 || v > 2147483647) throw new RangeError(`coders.row: ${v} is not a 32-bit integer`);
    o.varUint(v >>> 0);
  },
  decode(i) {
    const at = i.position;
    const v = i.varInt64();
    // Java writes negatives as unsigned 32-bit; Python as signed 64-bit. Both read back.
    if (typeof v === 'number' && v >= -2147483648 && v < 4294967296) return v | 0;
    throw new CoderInputError(`coder int32: ${v} at byte ${at} is not a 32-bit integer`);
  },
};

const ATOMIC_CODERS: Record<AtomicType, Coder<unknown>> = {
  byte: byteCoder as Coder<unknown>,
  int16: int16Coder as Coder<unknown>,
  int32: int32Coder as Coder<unknown>,
  int64: varInt64Coder as Coder<unknown>,
  float: floatCoder as Coder<unknown>,
  double: doubleCoder as Coder<unknown>,
  string: stringCoder as Coder<unknown>,
  boolean: boolCoder as Coder<unknown>,
  bytes: bytesCoder as Coder<unknown>,
};

/** Logical types whose encoding differs from their representation's, or that check their values. */
function logicalCoder(t: Extract<FieldType, { kind: 'logical' }>): Coder<unknown> {
  switch (t.urn) {
    case 'beam:logical_type:millis_instant:v1':
      return instantCoder as Coder<unknown>;
    case 'beam:logical_type:decimal:v1':
      return decimalCoder as Coder<unknown>;
    case 'beam:logical_type:fixed_char:v1':
    case 'beam:logical_type:var_char:v1':
    case 'beam:logical_type:fixed_bytes:v1':
    case 'beam:logical_type:var_bytes:v1':
      return sizedCoder(t);
    default:
      // Other logical types (micros_instant, enums, ...) are their representation.
      return fieldCoder(t.representation);
  }
}

function sizedCoder(t: Extract<FieldType, { kind: 'logical' }>): Coder<unknown> {
  const inner = fieldCoder(t.representation);
  const size = typeof t.argument === 'number' ? t.argument : undefined;
  const fixed = t.urn.includes(':fixed_');
  const name = `${t.urn.split(':')[2]}(${size ?? ''})`;
  const check = (v: unknown): void => {
    if (size === undefined) return;
    const n = typeof v === 'string' ? [...v].length : (v as Uint8Array).length;
    if (fixed ? n !== size : n > size) throw new RangeError(`coders.row: ${name} holds ${fixed ? 'exactly' : 'at most'} ${size}, got ${n}`);
  };
  return {
    name,
    deterministic: inner.deterministic,
    encode(v, o) {
      check(v);
      inner.encode(v, o);
    },
    decode: (i) => inner.decode(i),
  };
}

const coderCache = new WeakMap<FieldType, Coder<unknown>>();

/** The coder of one field type (nullable types included). */
export function fieldCoder(t: FieldType): Coder<unknown> {
  const cached = coderCache.get(t);
  if (cached) return cached;
  let c: Coder<unknown>;
  switch (t.kind) {
    case 'atomic':
      c = ATOMIC_CODERS[t.type];
      break;
    case 'array':
    case 'iterable':
      c = iterableCoder(fieldCoder(t.element)) as Coder<unknown>;
      break;
    case 'map':
      c = objectOrMap(mapCoder(fieldCoder(t.key), fieldCoder(t.value), false));
      break;
    case 'row':
      c = rowCoder(t.schema) as Coder<unknown>;
      break;
    case 'logical':
      c = logicalCoder(t);
      break;
  }
  if (t.nullable) c = nullableCoder(c) as Coder<unknown>;
  coderCache.set(t, c);
  return c;
}

/** A map field accepts a Map or a plain object (string keys) and decodes to a Map. */
function objectOrMap(inner: Coder<Map<unknown, unknown>>): Coder<unknown> {
  return {
    ...inner,
    encode: (v, o) => inner.encode(v instanceof Map ? v : new Map(Object.entries(v as object)), o),
    decode: (i) => inner.decode(i),
  };
}

/** The row coder of a schema. */
export function rowCoder(schema: Schema): Coder<Row> {
  const order = schema.fields.map((f, k) => ({ f, k, pos: schema.encodingPositionsSet ? (f.encodingPosition ?? 0) : k }));
  // A proto3 field without encoding_position has position 0; ties keep the schema's order.
  order.sort((a, b) => a.pos - b.pos || a.k - b.k);
  const names = order.map((e) => e.f.name);
  const nullable = order.map((e) => e.f.type.nullable === true);
  const fieldCoders = order.map((e) => fieldCoder(e.f.type.nullable ? stripNullable(e.f.type) : e.f.type));
  const n = order.length;
  const slotOf = schema.fields.map((f) => names.indexOf(f.name));
  const bitmap = new Uint8Array((n + 7) >> 3);
  const name = `row(${schema.fields.map((f) => f.name).join(', ')})`;
  return {
    name,
    ...composedDeterminism(fieldCoders),
    encode(v: Row, o: ByteWriter) {
      o.varUint(n);
      bitmap.fill(0);
      let used = 0;
      for (let k = 0; k < n; k++) {
        const x = v[names[k]!];
        if (x === null || x === undefined) {
          if (!nullable[k]) throw new RangeError(`coders.row: field '${names[k]}' is not nullable but is ${x}`);
          bitmap[k >> 3]! |= 1 << (k & 7);
          used = (k >> 3) + 1;
        }
      }
      o.varUint(used);
      for (let b = 0; b < used; b++) o.byte(bitmap[b]!);
      for (let k = 0; k < n; k++) {
        const x = v[names[k]!];
        if (x !== null && x !== undefined) fieldCoders[k]!.encode(x, o);
      }
    },
    decode(i: ByteReader) {
      const at = i.position;
      const count = i.varUint();
      if (count > n) throw new CoderInputError(`coder ${name}: ${count} fields at byte ${at}, the schema has ${n}`);
      const nulls = i.raw(i.count('a null bitmap'));
      const values: unknown[] = new Array<unknown>(n);
      for (let k = 0; k < n; k++) {
        const isNull = k >= count || ((k >> 3) < nulls.length && (nulls[k >> 3]! & (1 << (k & 7))) !== 0);
        if (isNull) {
          if (!nullable[k]) throw new CoderInputError(`coder ${name}: field '${names[k]}' is null (byte ${at}) but not nullable`);
          values[k] = null;
        } else values[k] = fieldCoders[k]!.decode(i);
      }
      const row: Row = {};
      for (let k = 0; k < schema.fields.length; k++) row[schema.fields[k]!.name] = values[slotOf[k]!];
      return row;
    },
  };
}

function stripNullable(t: FieldType): FieldType {
  const { nullable: _nullable, ...rest } = t;
  return rest as FieldType;
}
