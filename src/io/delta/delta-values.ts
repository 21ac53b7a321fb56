/**
 * Delta values on the pipeline side of the table: checking a row's values against column types before they reach
 * the table (so a bad row goes to the error output instead of failing the whole commit), inferring column types
 * from rows, and converting predicate operands to canonical values. The accepted values are those of the table's
 * schema enforcement (see `DeltaType` in src/lakehouse): long takes bigint or a safe integer, timestamp a bigint of
 * µs, a Date or an ISO-8601 string with a zone, date a 'YYYY-MM-DD' string or a Date.
 */
import type { DeltaType, DeltaValue } from '../../lakehouse/index.ts';

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;
const ISO_RE = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})$/;

/** Column types Riffle can read (foreign tables may hold short, byte and float). */
export type ColumnType = DeltaType | 'short' | 'byte' | 'float';

/**
 * The canonical value of `value` in a column of `type`, or `{ error }` saying why it does not fit; null/undefined
 * give null.
 *
 * @example
 * canonicalValue('long', 5);          // 5n
 * canonicalValue('integer', 1.5);     // { error: 'number 1.5 is not a 32-bit integer' }
 */
export function canonicalValue(type: ColumnType, value: unknown): DeltaValue | { error: string } {
  if (value === null || value === undefined) return null;
  switch (type) {
    case 'string':
      return typeof value === 'string' ? value : { error: describeValue(value) };
    case 'long':
      if (typeof value === 'bigint') return value >= INT64_MIN && value <= INT64_MAX ? value : { error: `bigint ${value} is out of the 64-bit range` };
      if (typeof value === 'number') return Number.isSafeInteger(value) ? BigInt(value) : { error: `number ${value} is not a safe integer (pass a bigint)` };
      return { error: describeValue(value) };
    case 'integer': case 'short': case 'byte': {
      const bits = type === 'integer' ? 31 : type === 'short' ? 15 : 7;
      if (typeof value === 'number' && Number.isInteger(value) && value >= -(2 ** bits) && value < 2 ** bits) return value;
      return { error: typeof value === 'number' ? `number ${value} is not a ${bits + 1}-bit integer` : describeValue(value) };
    }
    case 'double': case 'float':
      return typeof value === 'number' ? value : { error: describeValue(value) };
    case 'boolean':
      return typeof value === 'boolean' ? value : { error: describeValue(value) };
    case 'timestamp':
      if (typeof value === 'bigint') return value >= INT64_MIN && value <= INT64_MAX ? value : { error: `bigint ${value} is out of the 64-bit range` };
      if (value instanceof Date) return Number.isNaN(value.getTime()) ? { error: 'an invalid Date' } : BigInt(value.getTime()) * 1000n;
      if (typeof value === 'string') return parseTimestampMicros(value) ?? { error: `string '${value}' is not an ISO-8601 timestamp with a zone` };
      return { error: describeValue(value) };
    case 'date':
      if (typeof value === 'string') return DATE_RE.test(value) && !Number.isNaN(Date.parse(`${value}T00:00:00Z`)) ? value : { error: `string '${value}' is not a YYYY-MM-DD date` };
      if (value instanceof Date) return Number.isNaN(value.getTime()) ? { error: 'an invalid Date' } : value.toISOString().slice(0, 10);
      return { error: describeValue(value) };
  }
}

/**
 * Whether a canonicalValue result is an error.
 *
 * @example
 * const v = canonicalValue('long', 'x'); if (isValueError(v)) console.log(v.error);
 */
export function isValueError(v: DeltaValue | { error: string }): v is { error: string } {
  return v !== null && typeof v === 'object' && !(v instanceof Date);
}

/**
 * Parses an ISO-8601 timestamp with a zone (`2024-05-01T10:00:00Z`, `…+02:00`) to µs since the epoch.
 *
 * @example
 * parseTimestampMicros('1970-01-01T00:00:01.5Z'); // 1_500_000n
 */
export function parseTimestampMicros(text: string): bigint | undefined {
  const m = ISO_RE.exec(text.trim());
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac = '', zone] = m;
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  if (Number.isNaN(ms)) return undefined;
  let micros = BigInt(ms) * 1000n + BigInt((frac + '000000').slice(0, 6));
  if (zone !== 'Z') {
    const sign = zone![0] === '-' ? -1n : 1n;
    const digits = zone!.slice(1).replace(':', '');
    micros -= sign * BigInt(Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4))) * 60_000_000n;
  }
  return micros;
}

/**
 * The Delta type a JS value suggests, or undefined for null/undefined (no evidence). Numbers are doubles (a JS
 * number is one; pass bigints, or a schema, for long columns); Dates are timestamps; strings stay strings.
 *
 * @example
 * typeOfValue(5n);          // 'long'
 * typeOfValue(new Date());  // 'timestamp'
 */
export function typeOfValue(value: unknown): DeltaType | undefined | { error: string } {
  if (value === null || value === undefined) return undefined;
  switch (typeof value) {
    case 'string': return 'string';
    case 'bigint': return 'long';
    case 'number': return 'double';
    case 'boolean': return 'boolean';
    default: return value instanceof Date ? 'timestamp' : { error: `${describeValue(value)} has no Delta column type` };
  }
}

/**
 * A short description of a value for error messages.
 *
 * @example
 * describeValue('abc'); // "string 'abc'"
 */
export function describeValue(value: unknown): string {
  if (value instanceof Date) return 'Date';
  if (typeof value === 'string') return `string '${value.length > 40 ? `${value.slice(0, 40)}…` : value}'`;
  if (value === null) return 'null';
  if (typeof value === 'object') return Array.isArray(value) ? 'array' : 'object';
  return `${typeof value} ${String(value)}`;
}
