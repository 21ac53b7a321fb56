// Canonical forms of elements, so that "distinct" means the same thing to the exact and the approximate
// counters: primitives are compared by value (SameValueZero: -0 equals 0, NaN equals NaN), and objects,
// arrays, Maps, Sets and Dates by content, through a stable string form with sorted keys.

/** A value usable as a Set/Map key that stands for an element's content. */
export type CanonicalKey = string | number | bigint | boolean | symbol | null | undefined;

/** Prefixed to the string form of an object, so that it never equals a plain string element. */
export const OBJECT_PREFIX = '\u0000';

/**
 * The key that stands for `value`: the value itself if primitive, else its stable string form (prefixed).
 * @example canonicalKey({ b: 1, a: [2n] }) === canonicalKey({ a: [2n], b: 1 }) // true
 */
export function canonicalKey(value: unknown): CanonicalKey {
  if (typeof value !== 'object' || value === null) {
    if (typeof value === 'function') return OBJECT_PREFIX + stableString(value);
    return value as CanonicalKey;
  }
  return OBJECT_PREFIX + stableString(value);
}

/**
 * A deterministic string form of any value: object keys sorted, Map entries and Set members sorted by their
 * own string form, bigints and undefined marked so that they differ from numbers and null.
 * @example stableString({ b: 1, a: 2 }) // '{"a":2,"b":1}'
 */
export function stableString(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      return Object.is(value, -0) ? '0' : Number.isFinite(value) ? String(value) : `#${value}`;
    case 'bigint':
      return `${value}n`;
    case 'boolean':
      return value ? 'true' : 'false';
    case 'undefined':
      return '#undefined';
    case 'symbol':
      return `#${String(value)}`;
    case 'function':
      return `#function:${value.name}`;
  }
  if (value === null) return 'null';
  if (Array.isArray(value)) return `[${value.map(stableString).join(',')}]`;
  if (value instanceof Date) return `#date:${value.getTime()}`;
  if (value instanceof Map) {
    const entries = [...value].map(([k, v]) => `${stableString(k)}=>${stableString(v)}`).sort();
    return `#map{${entries.join(',')}}`;
  }
  if (value instanceof Set) return `#set[${[...value].map(stableString).sort().join(',')}]`;
  if (ArrayBuffer.isView(value)) return `#bytes[${Array.from(new Uint8Array(value.buffer, value.byteOffset, value.byteLength)).join(',')}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj).sort();
  let out = '{';
  for (let i = 0; i < keys.length; i++) {
    if (i > 0) out += ',';
    out += `${JSON.stringify(keys[i])}:${stableString(obj[keys[i]])}`;
  }
  return `${out}}`;
}

/**
 * Whether two values have the same content (their stable string forms are equal); fast for primitives.
 * @example sameContent({ a: 1 }, { a: 1 }) // true
 */
export function sameContent(a: unknown, b: unknown): boolean {
  if (a === b || (a !== a && b !== b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  return stableString(a) === stableString(b);
}
