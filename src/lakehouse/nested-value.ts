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

type Leaf = (type: DeltaType, value: unknown) => DeltaValue | { error: string };
const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date) && !(v instanceof Uint8Array) && !(v instanceof Map);
const isError = (v: unknown): v is { error: string } => isPlainObject(v) && typeof v.error === 'string' && Object.keys(v).length === 1;

/**
 * Converts a JS value to the canonical value of a nested type for writing, or says why it does not fit (with the
 * path to the offending part): a struct is an object with only the struct's fields (missing ones null), an array an
 * array, a map a `Map` (or, with string keys, a plain object); leaves go through `leaf` (value-mapping's
 * `toCanonical`); nulls only where the type allows them (map keys never).
 *
 * @example
 * toCanonicalNested({ type: 'array', elementType: 'long', containsNull: false }, [1, null], toCanonical);
 * // { error: 'element 1: null, which the array does not allow' }
 */
export function toCanonicalNested(type: DeltaType | NestedType, value: unknown, leaf: Leaf): DeltaValue | { error: string } {
  if (value === null || value === undefined) return null;
  if (typeof type === 'string') return leaf(type, value);
  const within = (where: string, t: DeltaType | NestedType, v: unknown, nullable: boolean): DeltaValue | { error: string } => {
    if ((v === null || v === undefined) && !nullable) return { error: `${where}: null, which the ${type.type} does not allow` };
    const c = toCanonicalNested(t, v, leaf);
    return isError(c) ? { error: `${where}: ${c.error}` } : c;
  };
  switch (type.type) {
    case 'array': {
      if (!Array.isArray(value)) return { error: `${describe(value)}, not an array` };
      const out: DeltaValue[] = [];
      for (let i = 0; i < value.length; i++) {
        const c = within(`element ${i}`, type.elementType, value[i], type.containsNull);
        if (isError(c)) return c;
        out.push(c);
      }
      return out;
    }
    case 'map': {
      let entries: [unknown, unknown][];
      if (value instanceof Map) entries = [...(value as Map<unknown, unknown>)];
      else if (isPlainObject(value) && type.keyType === 'string') entries = Object.entries(value);
      else return { error: `${describe(value)}, not a Map${type.keyType === 'string' ? ' or an object' : ''}` };
      const out = new Map<DeltaValue, DeltaValue>();
      for (const [k, v] of entries) {
        const key = within('a map key', type.keyType, k, false);
        if (isError(key)) return key;
        const x = within(`the value of key ${String(k)}`, type.valueType, v, type.valueContainsNull);
        if (isError(x)) return x;
        out.set(key, x);
      }
      return out;
    }
    case 'struct': {
      if (!isPlainObject(value)) return { error: `${describe(value)}, not an object of the struct's fields` };
      const names = new Set(type.fields.map((f) => f.name));
      const unknown = Object.keys(value).find((k) => !names.has(k));
      if (unknown !== undefined) return { error: `field '${unknown}' is not in the struct (${[...names].join(', ')})` };
      const out: Record<string, DeltaValue> = {};
      for (const f of type.fields) {
        const c = within(`field '${f.name}'`, f.type, value[f.name], f.nullable);
        if (isError(c)) return c;
        out[f.name] = c;
      }
      return out;
    }
  }
}

function describe(v: unknown): string {
  if (Array.isArray(v)) return 'an array';
  if (v instanceof Map) return 'a Map';
  if (typeof v === 'string') return `string '${v.length > 40 ? `${v.slice(0, 40)}…` : v}'`;
  return typeof v === 'object' ? 'an object' : `${typeof v} ${String(v)}`;
}
