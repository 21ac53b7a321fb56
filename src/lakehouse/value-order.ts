/**
 * The one order of canonical values that statistics, data skipping, predicates, Z-order and MERGE key ranges share.
 *
 * Strings compare as their UTF-8 bytes (equivalently, by Unicode code point), as Delta readers and writers do
 * (delta-rs, Spark, Parquet's statistics). JavaScript's `<` compares UTF-16 code units instead, and the two orders
 * disagree when a character in U+E000–U+FFFF (fullwidth forms, U+FFFD) meets one above U+FFFF (emoji): `'Ａ' < '😀'`
 * is false in JavaScript and true in UTF-8. A bound computed in one order and read in the other skips files that
 * hold matching rows, so every comparison of stored values goes through here.
 */
import { compareUtf8 } from '../model/index.ts';
import { compareDecimals } from './decimal-value.ts';
import { decimalOf } from './schema.ts';
import type { DeltaValue } from './value-mapping.ts';

export { compareUtf8 };

/**
 * Compares two canonical values of one column (numbers, bigints, strings, booleans, ISO dates, bytes; numbers and
 * bigints may mix): negative, zero or positive, strings by UTF-8 bytes (`compareUtf8`), bytes unsigned
 * lexicographically. Decimal strings need `orderOf(type)` instead. Returns NaN when the values are not
 * comparable (a NaN operand), so `compareValues(a, b) < 0` is exactly `a < b` for numbers (false with NaN) — the
 * predicate semantics — and sorts must keep NaN out (Riffle's sorts rank floats by radix, NaN last).
 *
 * @example
 * compareValues('Ａ', '😀'); // < 0
 * compareValues(2n, 1.5);   // > 0
 */
export function compareValues(a: Exclude<DeltaValue, null>, b: Exclude<DeltaValue, null>): number {
  if (typeof a === 'string' && typeof b === 'string') return compareUtf8(a, b);
  if (a instanceof Uint8Array && b instanceof Uint8Array) return compareBytes(a, b);
  const x = a instanceof Date ? a.getTime() : a;
  const y = b instanceof Date ? b.getTime() : b;
  if (x < y) return -1;
  if (x > y) return 1;
  return x === x && y === y ? 0 : NaN; // only NaN is unequal to itself
}

/** Unsigned lexicographic order of byte strings (Parquet's BYTE_ARRAY order). */
function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

const byDecimal = (a: Exclude<DeltaValue, null>, b: Exclude<DeltaValue, null>): number =>
  typeof a === 'string' && typeof b === 'string' ? compareDecimals(a, b) : compareValues(a, b);

/**
 * The order of a column's canonical values: `compareValues`, except for decimal columns, whose strings compare
 * numerically ('9.50' < '10.00').
 *
 * @example
 * orderOf('decimal(5,2)')('9.50', '10.00'); // < 0
 */
export function orderOf(type: string): (a: Exclude<DeltaValue, null>, b: Exclude<DeltaValue, null>) => number {
  return decimalOf(type) !== undefined ? byDecimal : compareValues;
}
