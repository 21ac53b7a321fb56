/**
 * Thrift's compact protocol (the encoding of Parquet's page headers and footer) read into a generic tree and written
 * back byte for byte: every field is kept with its wire type, including the ones Riffle does not know, so that a
 * structure can be edited (a field set, changed or removed) without losing anything another writer put there.
 * Used by parquet-crc-pass.ts to give another engine's pages their CRCs and move the footer's offsets.
 */

/** Compact protocol wire types. */
export const T = {
  TRUE: 1, FALSE: 2, I8: 3, I16: 4, I32: 5, I64: 6, DOUBLE: 7, BINARY: 8, LIST: 9, SET: 10, MAP: 11, STRUCT: 12,
} as const;

/** A struct: its fields by id (written back in increasing id order, as Thrift writers do). */
export type TStruct = Map<number, TField>;
/** A list or set: its element type and elements. */
export interface TList { readonly elementType: number; readonly items: TValue[] }
/** A map: key and value types and entries. */
export interface TMap { readonly keyType: number; readonly valueType: number; readonly entries: [TValue, TValue][] }
/** A value of any wire type (i64 as bigint; booleans in lists as the raw byte). */
export type TValue = boolean | number | bigint | Uint8Array | TStruct | TList | TMap;
/** A field: wire type and value. */
export interface TField { type: number; value: TValue }

/** A reader over bytes; `offset` advances as values are read. */
export interface ThriftReader { readonly bytes: Uint8Array; offset: number }

/** Thrown on bytes that are not a compact-protocol struct (truncated, unknown wire type). */
export class ThriftError extends Error {}

function varint(r: ThriftReader): bigint {
  let result = 0n;
  let shift = 0n;
  for (;;) {
    if (r.offset >= r.bytes.length) throw new ThriftError('truncated varint');
    const b = r.bytes[r.offset++];
    result |= BigInt(b & 0x7f) << shift;
    if ((b & 0x80) === 0) return result;
    shift += 7n;
    if (shift > 70n) throw new ThriftError('varint too long');
  }
}
const smallVarint = (r: ThriftReader): number => Number(varint(r));
const unzigzag = (v: bigint): bigint => (v >> 1n) ^ -(v & 1n);

function readValue(r: ThriftReader, type: number, inCollection: boolean): TValue {
  switch (type) {
    case T.TRUE: case T.FALSE:
      if (!inCollection) return type === T.TRUE;
      if (r.offset >= r.bytes.length) throw new ThriftError('truncated boolean');
      return r.bytes[r.offset++] === T.TRUE;
    case T.I8:
      if (r.offset >= r.bytes.length) throw new ThriftError('truncated byte');
      return (r.bytes[r.offset++] << 24) >> 24;
    case T.I16: case T.I32: return Number(unzigzag(varint(r)));
    case T.I64: return BigInt.asIntN(64, unzigzag(varint(r)));
    case T.DOUBLE: {
      if (r.offset + 8 > r.bytes.length) throw new ThriftError('truncated double');
      const v = new DataView(r.bytes.buffer, r.bytes.byteOffset + r.offset, 8).getFloat64(0, true);
      r.offset += 8;
      return v;
    }
    case T.BINARY: {
      const n = smallVarint(r);
      if (r.offset + n > r.bytes.length) throw new ThriftError('truncated binary');
      const v = r.bytes.subarray(r.offset, r.offset + n);
      r.offset += n;
      return v;
    }
    case T.LIST: case T.SET: {
      if (r.offset >= r.bytes.length) throw new ThriftError('truncated list');
      const head = r.bytes[r.offset++];
      const size = (head >> 4) === 15 ? smallVarint(r) : head >> 4;
      const elementType = head & 0x0f;
      const items: TValue[] = [];
      for (let i = 0; i < size; i++) items.push(readValue(r, elementType, true));
      return { elementType, items };
    }
    case T.MAP: {
      const size = smallVarint(r);
      if (size === 0) return { keyType: 0, valueType: 0, entries: [] };
      if (r.offset >= r.bytes.length) throw new ThriftError('truncated map');
      const kv = r.bytes[r.offset++];
      const entries: [TValue, TValue][] = [];
      for (let i = 0; i < size; i++) entries.push([readValue(r, kv >> 4, true), readValue(r, kv & 0x0f, true)]);
      return { keyType: kv >> 4, valueType: kv & 0x0f, entries };
    }
    case T.STRUCT: return readStruct(r);
    default: throw new ThriftError(`unknown wire type ${type}`);
  }
}

/**
 * Reads one struct at `r.offset` (advancing past its stop byte).
 *
 * @example
 * const header = readStruct({ bytes, offset: pageStart }); header.get(3)?.value; // compressed_page_size
 */
export function readStruct(r: ThriftReader): TStruct {
  const out: TStruct = new Map();
  let last = 0;
  for (;;) {
    if (r.offset >= r.bytes.length) throw new ThriftError('truncated struct');
    const head = r.bytes[r.offset++];
    if (head === 0) return out;
    const type = head & 0x0f;
    const delta = head >> 4;
    const id = delta === 0 ? Number(unzigzag(varint(r))) : last + delta;
    out.set(id, { type, value: readValue(r, type, false) });
    last = id;
  }
}

/** A growable byte buffer for writing. */
export class ThriftWriter {
  private buf = new Uint8Array(256);
  length = 0;
  private ensure(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.length + n));
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }
  byte(b: number): void { this.ensure(1); this.buf[this.length++] = b & 0xff; }
  bytes(b: Uint8Array): void { this.ensure(b.length); this.buf.set(b, this.length); this.length += b.length; }
  varint(v: bigint): void {
    let x = BigInt.asUintN(64, v);
    while (x >= 0x80n) { this.byte(Number(x & 0x7fn) | 0x80); x >>= 7n; }
    this.byte(Number(x));
  }
  zigzag(v: bigint): void { this.varint((v << 1n) ^ (v >> 63n)); }
  /** The bytes written so far (a view). */
  result(): Uint8Array { return this.buf.subarray(0, this.length); }
}

function writeValue(w: ThriftWriter, type: number, v: TValue, inCollection: boolean): void {
  switch (type) {
    case T.TRUE: case T.FALSE: if (inCollection) w.byte(v === true ? T.TRUE : T.FALSE); return;
    case T.I8: w.byte(v as number); return;
    case T.I16: case T.I32: w.zigzag(BigInt(v as number)); return;
    case T.I64: w.zigzag(BigInt.asIntN(64, v as bigint)); return;
    case T.DOUBLE: { const b = new Uint8Array(8); new DataView(b.buffer).setFloat64(0, v as number, true); w.bytes(b); return; }
    case T.BINARY: w.varint(BigInt((v as Uint8Array).length)); w.bytes(v as Uint8Array); return;
    case T.LIST: case T.SET: {
      const { elementType, items } = v as TList;
      if (items.length < 15) w.byte((items.length << 4) | elementType);
      else { w.byte(0xf0 | elementType); w.varint(BigInt(items.length)); }
      for (const item of items) writeValue(w, elementType, item, true);
      return;
    }
    case T.MAP: {
      const { keyType, valueType, entries } = v as TMap;
      w.varint(BigInt(entries.length));
      if (entries.length === 0) return;
      w.byte((keyType << 4) | valueType);
      for (const [k, x] of entries) { writeValue(w, keyType, k, true); writeValue(w, valueType, x, true); }
      return;
    }
    case T.STRUCT: writeStruct(w, v as TStruct); return;
    default: throw new ThriftError(`unknown wire type ${type}`);
  }
}

/**
 * Writes a struct (fields in increasing id order, booleans in their field headers) and its stop byte.
 *
 * @example
 * const w = new ThriftWriter(); writeStruct(w, header); w.result();
 */
export function writeStruct(w: ThriftWriter, s: TStruct): void {
  let last = 0;
  for (const id of [...s.keys()].sort((a, b) => a - b)) {
    const { type, value } = s.get(id) as TField;
    const wireType = type === T.TRUE || type === T.FALSE ? (value === true ? T.TRUE : T.FALSE) : type;
    const delta = id - last;
    if (delta > 0 && delta <= 15) w.byte((delta << 4) | wireType);
    else { w.byte(wireType); w.zigzag(BigInt(id)); }
    writeValue(w, type, value, false);
    last = id;
  }
  w.byte(0);
}
