/**
 * Row schemas as Beam defines them (`org.apache.beam.model.pipeline.v1.Schema`): named, typed fields that may be
 * nullable, arrays, iterables, maps, nested rows and logical types. `schemaFromProto` reads a serialized Schema
 * proto (the payload of Beam's `beam:coder:row:v1`) with a small protobuf reader; unknown proto fields are skipped.
 * @example
 *   const s: Schema = { fields: [{ name: 'id', type: { kind: 'atomic', type: 'int64' } }] };
 */
import { CoderInputError } from './byte-io.ts';

export type AtomicType = 'byte' | 'int16' | 'int32' | 'int64' | 'float' | 'double' | 'string' | 'boolean' | 'bytes';

export type FieldType = (
  | { readonly kind: 'atomic'; readonly type: AtomicType }
  | { readonly kind: 'array' | 'iterable'; readonly element: FieldType }
  | { readonly kind: 'map'; readonly key: FieldType; readonly value: FieldType }
  | { readonly kind: 'row'; readonly schema: Schema }
  | {
      readonly kind: 'logical';
      readonly urn: string;
      readonly representation: FieldType;
      readonly argumentType?: FieldType;
      /** The argument of a parameterised logical type (the length of fixed_char(5)), when atomic. */
      readonly argument?: unknown;
      readonly payload?: Uint8Array;
    }
) & { readonly nullable?: boolean };

export interface SchemaField {
  readonly name: string;
  readonly type: FieldType;
  /** Where the field is written (Beam's encoding_position); used when the schema sets `encodingPositionsSet`. */
  readonly encodingPosition?: number;
}

export interface Schema {
  readonly fields: readonly SchemaField[];
  readonly id?: string;
  readonly encodingPositionsSet?: boolean;
}

const ATOMIC: readonly (AtomicType | undefined)[] = [undefined, 'byte', 'int16', 'int32', 'int64', 'float', 'double', 'string', 'boolean', 'bytes'];

/** A minimal protobuf wire-format reader: what the Schema proto needs. */
class ProtoReader {
  pos = 0;
  constructor(
    private readonly buf: Uint8Array,
    private readonly what: string,
  ) {}
  get done(): boolean {
    return this.pos >= this.buf.length;
  }
  varint(): bigint {
    let v = 0n;
    let shift = 0n;
    for (let k = 0; k < 10; k++) {
      if (this.pos >= this.buf.length) throw new CoderInputError(`${this.what}: truncated varint at byte ${this.pos}`);
      const b = this.buf[this.pos++]!;
      v |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return v;
      shift += 7n;
    }
    throw new CoderInputError(`${this.what}: varint longer than 10 bytes at byte ${this.pos}`);
  }
  /** The next field's number and wire type, or undefined at the end. */
  tag(): [number, number] | undefined {
    if (this.done) return undefined;
    const t = Number(this.varint());
    return [t >>> 3, t & 7];
  }
  bytes(): Uint8Array {
    const n = Number(this.varint());
    if (this.pos + n > this.buf.length) throw new CoderInputError(`${this.what}: a ${n}-byte field at byte ${this.pos} runs past the end`);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
  fixed(n: number): Uint8Array {
    if (this.pos + n > this.buf.length) throw new CoderInputError(`${this.what}: truncated fixed field at byte ${this.pos}`);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.fixed(8);
    else if (wire === 2) this.bytes();
    else if (wire === 5) this.fixed(4);
    else throw new CoderInputError(`${this.what}: unsupported wire type ${wire} at byte ${this.pos}`);
  }
  /** Calls `f` for each field; `f` returns false for fields it does not read (they are skipped). */
  each(f: (field: number, wire: number) => boolean): void {
    for (let t = this.tag(); t !== undefined; t = this.tag()) if (!f(t[0], t[1])) this.skip(t[1]);
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Reads a serialized `Schema` proto. */
export function schemaFromProto(bytes: Uint8Array): Schema {
  const r = new ProtoReader(bytes, 'schema proto');
  const fields: SchemaField[] = [];
  let id: string | undefined;
  let encodingPositionsSet = false;
  r.each((f, w) => {
    if (f === 1 && w === 2) fields.push(fieldFromProto(r.bytes()));
    else if (f === 2 && w === 2) id = utf8.decode(r.bytes());
    else if (f === 4 && w === 0) encodingPositionsSet = r.varint() !== 0n;
    else return false;
    return true;
  });
  return { fields, ...(id !== undefined ? { id } : {}), ...(encodingPositionsSet ? { encodingPositionsSet } : {}) };
}

function fieldFromProto(bytes: Uint8Array): SchemaField {
  const r = new ProtoReader(bytes, 'schema field');
  let name = '';
  let type: FieldType | undefined;
  let encodingPosition: number | undefined;
  r.each((f, w) => {
    if (f === 1 && w === 2) name = utf8.decode(r.bytes());
    else if (f === 3 && w === 2) type = fieldTypeFromProto(r.bytes());
    else if (f === 5 && w === 0) encodingPosition = Number(r.varint());
    else return false;
    return true;
  });
  if (!type) throw new CoderInputError(`schema proto: field '${name}' has no type`);
  return { name, type, ...(encodingPosition !== undefined ? { encodingPosition } : {}) };
}

function fieldTypeFromProto(bytes: Uint8Array): FieldType {
  const r = new ProtoReader(bytes, 'schema field type');
  let nullable = false;
  let type: FieldType | undefined;
  r.each((f, w) => {
    if (f === 1 && w === 0) nullable = r.varint() !== 0n;
    else if (f === 2 && w === 0) {
      const code = Number(r.varint());
      const atomic = ATOMIC[code];
      if (!atomic) throw new CoderInputError(`schema proto: unknown atomic type ${code}`);
      type = { kind: 'atomic', type: atomic };
    } else if ((f === 3 || f === 4) && w === 2) type = { kind: f === 3 ? 'array' : 'iterable', element: elementOf(r.bytes()) };
    else if (f === 5 && w === 2) type = mapFromProto(r.bytes());
    else if (f === 6 && w === 2) type = { kind: 'row', schema: rowTypeFromProto(r.bytes()) };
    else if (f === 7 && w === 2) type = logicalFromProto(r.bytes());
    else return false;
    return true;
  });
  if (!type) throw new CoderInputError('schema proto: a field type names no type');
  return nullable ? { ...type, nullable } : type;
}

function elementOf(bytes: Uint8Array): FieldType {
  const r = new ProtoReader(bytes, 'array type');
  let element: FieldType | undefined;
  r.each((f, w) => (f === 1 && w === 2 ? ((element = fieldTypeFromProto(r.bytes())), true) : false));
  if (!element) throw new CoderInputError('schema proto: an array type has no element type');
  return element;
}

function mapFromProto(bytes: Uint8Array): FieldType {
  const r = new ProtoReader(bytes, 'map type');
  let key: FieldType | undefined;
  let value: FieldType | undefined;
  r.each((f, w) => {
    if (f === 1 && w === 2) key = fieldTypeFromProto(r.bytes());
    else if (f === 2 && w === 2) value = fieldTypeFromProto(r.bytes());
    else return false;
    return true;
  });
  if (!key || !value) throw new CoderInputError('schema proto: a map type needs key and value types');
  return { kind: 'map', key, value };
}

function rowTypeFromProto(bytes: Uint8Array): Schema {
  const r = new ProtoReader(bytes, 'row type');
  let schema: Schema | undefined;
  r.each((f, w) => (f === 1 && w === 2 ? ((schema = schemaFromProto(r.bytes())), true) : false));
  if (!schema) throw new CoderInputError('schema proto: a row type has no schema');
  return schema;
}

function logicalFromProto(bytes: Uint8Array): FieldType {
  const r = new ProtoReader(bytes, 'logical type');
  let urn = '';
  let payload: Uint8Array | undefined;
  let representation: FieldType | undefined;
  let argumentType: FieldType | undefined;
  let argument: unknown;
  r.each((f, w) => {
    if (f === 1 && w === 2) urn = utf8.decode(r.bytes());
    else if (f === 2 && w === 2) payload = r.bytes().slice();
    else if (f === 3 && w === 2) representation = fieldTypeFromProto(r.bytes());
    else if (f === 4 && w === 2) argumentType = fieldTypeFromProto(r.bytes());
    else if (f === 5 && w === 2) argument = atomicFieldValue(r.bytes());
    else return false;
    return true;
  });
  if (!representation) throw new CoderInputError(`schema proto: logical type '${urn}' has no representation type`);
  return {
    kind: 'logical',
    urn,
    representation,
    ...(argumentType ? { argumentType } : {}),
    ...(argument !== undefined ? { argument } : {}),
    ...(payload && payload.length > 0 ? { payload } : {}),
  };
}

/** The atomic value of a FieldValue proto (other kinds of argument are kept undefined). */
function atomicFieldValue(bytes: Uint8Array): unknown {
  let value: unknown;
  const r = new ProtoReader(bytes, 'field value');
  r.each((f, w) => {
    if (f !== 1 || w !== 2) return false;
    const a = new ProtoReader(r.bytes(), 'atomic value');
    a.each((af, aw) => {
      if (aw === 0 && af >= 1 && af <= 4) value = Number(BigInt.asIntN(64, a.varint()));
      else if (aw === 0 && af === 8) value = a.varint() !== 0n;
      else if (aw === 2 && af === 7) value = utf8.decode(a.bytes());
      else if (aw === 2 && af === 9) value = a.bytes().slice();
      else return false;
      return true;
    });
    return true;
  });
  return value;
}
