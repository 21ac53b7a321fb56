/**
 * Nested column values (struct, array, map) as read: hyparquet assembles them (a struct as an object, a list as an
 * array, a map as an object keyed by the keys' strings); here they become canonical, walking the column's Delta
 * type: every leaf in its canonical form (long → bigint, decimal → exact string, timestamp → µs bigint, binary →
 * Uint8Array …), missing struct fields null, maps as `Map`s with keys of their type.
 */
import { bigintFromBytes, decimalString } from './decimal-value.ts';
import { decimalOf, type DeltaType, type NestedType } from './schema.ts';
import type { DeltaValue } from './value-mapping.ts';

const utf8 = new TextDecoder();

/**
 * The canonical value of a leaf as hyparquet decodes it (decimals with their annotation removed, so raw unscaled
 * integers or bytes; see parquet-io.ts).
 *
 * @example
 * canonicalLeaf('decimal(5,2)', 1230); // '12.30'
 */
export function canonicalLeaf(type: DeltaType, v: unknown): DeltaValue {
  if (v === null || v === undefined) return null;
  const d = decimalOf(type);
  if (d !== undefined) return decimalString(typeof v === 'bigint' ? v : typeof v === 'number' ? BigInt(v) : bigintFromBytes(v as Uint8Array), d.scale);
  switch (type) {
    case 'long': case 'timestamp': case 'timestamp_ntz': return typeof v === 'bigint' ? v : BigInt(v as number);
    case 'string': return v instanceof Uint8Array ? utf8.decode(v) : (v as string);
    case 'date': return v as string;
    default: return v as DeltaValue;
  }
}

/** A map key from the string hyparquet made of it (object keys are strings). */
function mapKey(type: DeltaType | NestedType, key: string): DeltaValue {
  if (typeof type !== 'string') return key; // nested keys (Spark allows them) stay as hyparquet printed them
  const d = decimalOf(type);
  // (a FIXED_LEN_BYTE_ARRAY decimal key was printed as its bytes, '0,1,2')
  if (d !== undefined) return decimalString(key.includes(',') ? bigintFromBytes(Uint8Array.from(key.split(','), Number)) : BigInt(key), d.scale);
  switch (type) {
    case 'long': case 'timestamp': case 'timestamp_ntz': return BigInt(key);
    case 'integer': case 'short': case 'byte': case 'double': case 'float': return Number(key);
    case 'boolean': return key === 'true';
    case 'binary': return key === '' ? new Uint8Array() : Uint8Array.from(key.split(','), Number);
    default: return key;
  }
}

/**
 * The canonical value of a nested column's value.
 *
 * @example
 * canonicalNested({ type: 'map', keyType: 'integer', valueType: 'long', valueContainsNull: true }, { 1: 2n }); // Map { 1 => 2n }
 */
export function canonicalNested(type: DeltaType | NestedType, v: unknown): DeltaValue {
  if (v === null || v === undefined) return null;
  if (typeof type === 'string') return canonicalLeaf(type, v);
  switch (type.type) {
    case 'struct': {
      const o = v as Record<string, unknown>;
      return Object.fromEntries(type.fields.map((f) => [f.name, canonicalNested(f.type, o[f.name])]));
    }
    case 'array':
      return Array.from(v as ArrayLike<unknown>, (e) => canonicalNested(type.elementType, e));
    case 'map': {
      const entries = v instanceof Map ? [...(v as Map<unknown, unknown>)] : Object.entries(v as Record<string, unknown>);
      return new Map(entries.map(([k, x]) => [typeof k === 'string' ? mapKey(type.keyType, k) : canonicalNested(type.keyType, k), canonicalNested(type.valueType, x)]));
    }
  }
}
