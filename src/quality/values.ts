/**
 * How quality checks see values: what counts as missing, how values are keyed for distinct counts and how they
 * are ordered. These follow pandas as Great Expectations uses it: `null`, `undefined` and `NaN` are missing
 * (pandas' NaN/None/NaT), everything else — including the empty string — is a value.
 */
import { compareUtf8 } from '../model/index.ts';

/** A row as expectations read it: column name → value. */
export type Row = Readonly<Record<string, unknown>>;

/** Whether a value is missing (null, undefined or NaN), as pandas' `isnull`. */
export function isMissing(value: unknown): boolean {
  return value === null || value === undefined || (typeof value === 'number' && value !== value);
}

/**
 * A key under which equal values meet in a Map: primitives stand for themselves (so 1 and '1' stay apart); dates
 * become their time; other objects their JSON, tagged so they never collide with a string.
 */
export function valueKey(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (value instanceof Date) return value.getTime();
  return `\u0000${JSON.stringify(value)}`;
}

/** The numeric reading of a value for aggregates: numbers, bigints, dates (ms), or undefined if not numeric. */
export function numericValue(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (value instanceof Date) return value.getTime();
  if (typeof value === 'boolean') return value ? 1 : 0;
  return undefined;
}

/** Total order for min/max/sorting: numbers before strings, each in natural order. */
export function compareValues(a: unknown, b: unknown): number {
  const na = numericValue(a);
  const nb = numericValue(b);
  if (na !== undefined && nb !== undefined) return na < nb ? -1 : na > nb ? 1 : 0;
  if (na !== undefined) return -1;
  if (nb !== undefined) return 1;
  // Strings in code point order, as Python (Great Expectations) compares them.
  return compareUtf8(String(a), String(b));
}

/** Values as they appear in results (JSON-safe: dates as ISO strings, bigints as numbers). */
export function resultValue(value: unknown): unknown {
  if (value === undefined) return null;
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'number' && !Number.isFinite(value)) return value !== value ? null : value;
  return value;
}
