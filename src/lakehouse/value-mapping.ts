/**
 * How JS values map to Delta values and back (see `DeltaType` for the table), plus the two string forms Delta uses:
 * partition values and statistics.
 *
 * Canonical in-memory forms (what reads return and what writes normalize to): long → bigint, timestamp → bigint
 * microseconds since the epoch (UTC), date → 'YYYY-MM-DD'. Canonical forms compare correctly with `<` and `===`.
 */
import type { ReadableDeltaType } from './schema.ts';

/**
 * A value in a table row.
 *
 * @example
 * const v: DeltaValue = 42n;
 */
export type DeltaValue = string | number | bigint | boolean | Date | null;

/**
 * A row: column name → value. Missing keys are nulls.
 *
 * @example
 * const row: Row = { id: 1n, country: 'fr' };
 */
export type Row = Record<string, DeltaValue | undefined>;

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const DAY_MS = 86_400_000;
const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const ISO_RE = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})?$/;

/**
 * Converts a JS value to the canonical form of `type`, or returns an error string describing why it cannot (used by
 * schema enforcement, which names the column). `null`/`undefined` give `null`.
 *
 * @example
 * toCanonical('timestamp', new Date(0)); // 0n
 * toCanonical('integer', 1.5);           // { error: 'number 1.5 is not a 32-bit integer' }
 */
export function toCanonical(type: ReadableDeltaType, value: unknown): DeltaValue | { error: string } {
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
      if (typeof value === 'string') return parseTimestamp(value) ?? { error: `string '${value}' is not an ISO-8601 timestamp with a zone` };
      return { error: describeValue(value) };
    case 'date':
      if (typeof value === 'string') return DATE_RE.test(value) && !Number.isNaN(Date.parse(`${value}T00:00:00Z`)) ? value : { error: `string '${value}' is not a YYYY-MM-DD date` };
      if (value instanceof Date) return Number.isNaN(value.getTime()) ? { error: 'an invalid Date' } : value.toISOString().slice(0, 10);
      return { error: describeValue(value) };
  }
}

/**
 * Whether a `toCanonical` result is the error of a value that does not fit its column.
 *
 * @example
 * const v = toCanonical('long', 'x'); if (isValueError(v)) console.log(v.error); // "string 'x'"
 */
export function isValueError(v: DeltaValue | { error: string }): v is { error: string } {
  return v !== null && typeof v === 'object' && !(v instanceof Date);
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

/** Parses an ISO-8601 / Delta timestamp string to microseconds; a string without a zone is taken as UTC only when `assumeUtc`. */
function parseTimestamp(text: string, assumeUtc = false): bigint | undefined {
  const m = ISO_RE.exec(text.trim());
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac = '', zone] = m;
  if (zone === undefined && !assumeUtc) return undefined;
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  if (Number.isNaN(ms)) return undefined;
  let micros = BigInt(ms) * 1000n + BigInt((frac + '000000').slice(0, 6));
  if (zone !== undefined && zone !== 'Z') {
    const sign = zone[0] === '-' ? -1n : 1n;
    const digits = zone.slice(1).replace(':', '');
    micros -= sign * BigInt(Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4))) * 60_000_000n;
  }
  return micros;
}

/**
 * Days since the epoch of a canonical date.
 *
 * @example
 * dateToDays('1970-01-02'); // 1
 */
export function dateToDays(date: string): number {
  return Math.round(Date.parse(`${date}T00:00:00Z`) / DAY_MS);
}

/**
 * The canonical date of a number of days since the epoch.
 *
 * @example
 * daysToDate(1); // '1970-01-02'
 */
export function daysToDate(days: number): string {
  return new Date(days * DAY_MS).toISOString().slice(0, 10);
}

/**
 * Formats microseconds since the epoch as an ISO-8601 UTC string with microseconds.
 *
 * @example
 * formatTimestamp(1_500_000n); // '1970-01-01T00:00:01.500000Z'
 */
export function formatTimestamp(micros: bigint): string {
  const ms = micros / 1000n - (micros % 1000n < 0n ? 1n : 0n);
  const sub = micros - ms * 1000n;
  const iso = new Date(Number(ms)).toISOString(); // yyyy-mm-ddThh:mm:ss.SSSZ
  return `${iso.slice(0, 23)}${sub.toString().padStart(3, '0')}Z`;
}

/**
 * Serializes a canonical value as a Delta partition value (PROTOCOL.md "Partition Value Serialization"); `null` stays
 * `null`. Timestamps use the ISO-8601 UTC form the protocol recommends.
 *
 * @example
 * toPartitionString('date', '2024-01-31'); // '2024-01-31'
 */
export function toPartitionString(type: ReadableDeltaType, value: DeltaValue): string | null {
  if (value === null) return null;
  if (type === 'timestamp') return formatTimestamp(value as bigint);
  return String(value);
}

/**
 * Parses a Delta partition value to the canonical form (empty string and null are null). Accepts every timestamp
 * form of the protocol; one without a zone is read as UTC.
 *
 * @example
 * fromPartitionString('long', '42'); // 42n
 */
export function fromPartitionString(type: ReadableDeltaType, text: string | null | undefined): DeltaValue {
  if (text === null || text === undefined || text === '') return null;
  switch (type) {
    case 'string': return text;
    case 'long': return BigInt(text);
    case 'integer': case 'short': case 'byte': case 'double': case 'float': return Number(text);
    case 'boolean': return text === 'true';
    case 'date': return text;
    case 'timestamp': {
      const micros = parseTimestamp(text, true);
      if (micros === undefined) throw new Error(`invalid timestamp partition value '${text}'`);
      return micros;
    }
  }
}

/**
 * Encodes a canonical value for `stats.minValues`/`maxValues` JSON (timestamps as ISO-8601 with milliseconds,
 * truncated down as the protocol specifies). Returns undefined for values JSON cannot hold (NaN, ±Infinity).
 *
 * @example
 * toStatsValue('timestamp', 1_999n); // '1970-01-01T00:00:00.001Z'
 */
export function toStatsValue(type: ReadableDeltaType, value: DeltaValue): string | number | boolean | bigint | undefined {
  if (value === null) return undefined;
  if (type === 'timestamp') {
    const micros = value as bigint;
    const ms = micros / 1000n - (micros % 1000n < 0n ? 1n : 0n);
    return new Date(Number(ms)).toISOString();
  }
  if (typeof value === 'number' && !Number.isFinite(value)) return undefined;
  return value as string | number | boolean | bigint;
}

/**
 * Decodes a stats JSON value to the canonical form; undefined when absent or not exact (a long past 2^53 that JSON
 * parsing rounded), so data skipping never relies on an inexact bound.
 *
 * @example
 * fromStatsValue('long', 2 ** 60); // undefined
 */
export function fromStatsValue(type: ReadableDeltaType, value: unknown): DeltaValue | undefined {
  if (value === null || value === undefined) return undefined;
  switch (type) {
    case 'long':
      return typeof value === 'number' && Number.isSafeInteger(value) ? BigInt(value) : undefined;
    case 'timestamp':
      return typeof value === 'string' ? parseTimestamp(value, true) : undefined;
    case 'date':
      return typeof value === 'string' && DATE_RE.test(value) ? value : undefined;
    case 'string':
      return typeof value === 'string' ? value : undefined;
    case 'boolean':
      return typeof value === 'boolean' ? value : undefined;
    default:
      return typeof value === 'number' ? value : undefined;
  }
}

/**
 * JSON.stringify that writes bigints as exact JSON numbers (Delta stats and versions are JSON numbers) and -0 as -0.0.
 *
 * @example
 * stringifyJson({ n: 2n ** 60n }); // '{"n":1152921504606846976}'
 */
export function stringifyJson(value: unknown): string {
  const marks: string[] = [];
  const text = JSON.stringify(value, (_k, v: unknown) => {
    if (typeof v !== 'bigint' && !Object.is(v, -0)) return v;
    marks.push(typeof v === 'bigint' ? v.toString() : '-0.0'); // JSON.stringify(-0) is '0': keep the sign (a -0.0 min)
    return `\u0000big${marks.length - 1}\u0000`;
  });
  return marks.length === 0 ? text : text.replace(/"\\u0000big(\d+)\\u0000"/g, (_m, i: string) => marks[Number(i)]);
}
