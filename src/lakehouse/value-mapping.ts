/**
 * How JS values map to Delta values and back (see `DeltaType` for the table), plus the two string forms Delta uses:
 * partition values and statistics.
 *
 * Canonical in-memory forms (what reads return and what writes normalize to): long → bigint, timestamp and
 * timestamp_ntz → bigint microseconds since the epoch (UTC; wall-clock for ntz), date → 'YYYY-MM-DD', decimal → its
 * exact string with the column's scale, binary → Uint8Array, float → a float32 value. Canonical forms of one column
 * are equal exactly when `===` says so (binary: by bytes, `sameValue`); their order is `compareValues` (value-order.ts),
 * decimals by `compareDecimals`.
 */
import { toCanonicalDecimal } from './decimal-value.ts';
import { toCanonicalNested } from './nested-value.ts';
import { decimalOf, type NestedType, parseTypeName, type ReadableDeltaType } from './schema.ts';

/**
 * A value in a table row.
 *
 * @example
 * const v: DeltaValue = 42n;
 */
export type DeltaValue = string | number | bigint | boolean | Date | Uint8Array | NestedValue | null;

/**
 * A value of a nested column (read only): a struct is an object of its fields, an array an array, a map a `Map`
 * (keys of any type), each holding canonical values.
 *
 * @example
 * const v: NestedValue = { a: 1n, tags: ['x'], attrs: new Map([['k', 2n]]) };
 */
export type NestedValue = readonly DeltaValue[] | ReadonlyMap<DeltaValue, DeltaValue> | { readonly [field: string]: DeltaValue };

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
const isDate = (text: string): boolean => DATE_RE.test(text) && !Number.isNaN(Date.parse(`${text}T00:00:00Z`)) && new Date(`${text}T00:00:00Z`).toISOString().startsWith(text);

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
    case 'double':
      return typeof value === 'number' ? value : { error: describeValue(value) };
    case 'float':
      return typeof value === 'number' ? Math.fround(value) : { error: describeValue(value) };
    case 'binary':
      return value instanceof Uint8Array ? value : { error: describeValue(value) };
    case 'timestamp_ntz':
      if (typeof value === 'bigint') return value >= INT64_MIN && value <= INT64_MAX ? value : { error: `bigint ${value} is out of the 64-bit range` };
      if (value instanceof Date) return Number.isNaN(value.getTime()) ? { error: 'an invalid Date' } : BigInt(value.getTime()) * 1000n;
      if (typeof value === 'string') return parseLocalTimestamp(value) ?? { error: `string '${value}' is not an ISO-8601 timestamp without a zone` };
      return { error: describeValue(value) };
    case 'boolean':
      return typeof value === 'boolean' ? value : { error: describeValue(value) };
    case 'timestamp':
      if (typeof value === 'bigint') return value >= INT64_MIN && value <= INT64_MAX ? value : { error: `bigint ${value} is out of the 64-bit range` };
      if (value instanceof Date) return Number.isNaN(value.getTime()) ? { error: 'an invalid Date' } : BigInt(value.getTime()) * 1000n;
      if (typeof value === 'string') return parseTimestamp(value) ?? { error: `string '${value}' is not an ISO-8601 timestamp with a zone` };
      return { error: describeValue(value) };
    case 'date':
      if (typeof value === 'string') return isDate(value) ? value : { error: `string '${value}' is not a YYYY-MM-DD date (years 0001 to 9999)` };
      if (value instanceof Date) {
        if (Number.isNaN(value.getTime())) return { error: 'an invalid Date' };
        const day = value.toISOString().slice(0, 10);
        return isDate(day) ? day : { error: `Date ${value.toISOString()} is outside years 0001 to 9999` };
      }
      return { error: describeValue(value) };
    default: {
      const d = decimalOf(type);
      if (d === undefined) {
        const nested = nestedTypeNamed(type);
        return nested === undefined ? { error: `unsupported type ${String(type)}` } : toCanonicalNested(nested, value, toCanonical);
      }
      if (typeof value !== 'string' && typeof value !== 'bigint' && typeof value !== 'number') return { error: describeValue(value) };
      return toCanonicalDecimal(value, d.precision, d.scale);
    }
  }
}

const nestedTypes = new Map<string, NestedType | undefined>();

/** The nested type of a simple-string name (parsed once per name; nested elements nullable). */
function nestedTypeNamed(name: string): NestedType | undefined {
  if (!nestedTypes.has(name)) {
    const t = parseTypeName(name);
    nestedTypes.set(name, typeof t === 'object' ? t : undefined);
  }
  return nestedTypes.get(name);
}

/**
 * Whether two canonical values of one column are the same value (`===`, and byte equality for binary).
 *
 * @example
 * sameValue(new Uint8Array([1]), new Uint8Array([1])); // true
 */
export function sameValue(a: DeltaValue, b: DeltaValue): boolean {
  if (a === b) return true;
  if (!(a instanceof Uint8Array) || !(b instanceof Uint8Array) || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Whether a `toCanonical` result is the error of a value that does not fit its column.
 *
 * @example
 * const v = toCanonical('long', 'x'); if (isValueError(v)) console.log(v.error); // "string 'x'"
 */
export function isValueError(v: DeltaValue | { error: string }): v is { error: string } {
  if (v === null || typeof v !== 'object' || v instanceof Date || v instanceof Uint8Array || v instanceof Map || Array.isArray(v)) return false;
  // A struct value is an object too: an error is the object with only a string `error`.
  const keys = Object.keys(v);
  return keys.length === 1 && keys[0] === 'error' && typeof (v as { error?: unknown }).error === 'string';
}

/**
 * A short description of a value for error messages.
 *
 * @example
 * describeValue('abc'); // "string 'abc'"
 */
export function describeValue(value: unknown): string {
  if (value instanceof Date) return 'Date';
  if (value instanceof Uint8Array) return `Uint8Array(${value.length})`;
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
  // Date.parse of the ISO form, not Date.UTC: that one reads years 0–99 as 1900–1999.
  const ms = Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${s}Z`);
  if (Number.isNaN(ms)) return undefined;
  let micros = BigInt(ms) * 1000n + BigInt((frac + '000000').slice(0, 6));
  if (zone !== undefined && zone !== 'Z') {
    const sign = zone[0] === '-' ? -1n : 1n;
    const digits = zone.slice(1).replace(':', '');
    micros -= sign * BigInt(Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4))) * 60_000_000n;
  }
  return micros;
}

/** Parses a timestamp without a zone ('2024-05-06 07:08:09.123456', 'T' or space) to wall-clock microseconds. */
function parseLocalTimestamp(text: string): bigint | undefined {
  const m = ISO_RE.exec(text.trim());
  return m && m[8] === undefined ? parseTimestamp(text, true) : undefined;
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
 * Formats wall-clock microseconds (timestamp_ntz) as 'YYYY-MM-DD HH:MM:SS.ffffff', Delta's partition form of a
 * timestamp without a zone (with `separator` 'T', the ISO-8601 form).
 *
 * @example
 * formatLocalTimestamp(1_500_000n); // '1970-01-01 00:00:01.500000'
 */
export function formatLocalTimestamp(micros: bigint, separator: ' ' | 'T' = ' '): string {
  const iso = formatTimestamp(micros);
  return `${iso.slice(0, 10)}${separator}${iso.slice(11, -1)}`;
}

/** A binary value as a Delta partition string: one character per byte (U+0000–U+00FF), as Spark serializes it. */
const bytesToLatin1 = (bytes: Uint8Array): string => Array.from(bytes, (b) => String.fromCharCode(b)).join('');

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
  if (type === 'timestamp_ntz') return formatLocalTimestamp(value as bigint);
  if (value instanceof Uint8Array) return bytesToLatin1(value);
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
    case 'binary': return Uint8Array.from(text, (c) => c.charCodeAt(0) & 0xff);
    case 'timestamp': case 'timestamp_ntz': {
      const micros = parseTimestamp(text, true);
      if (micros === undefined) throw new Error(`invalid ${type} partition value '${text}'`);
      return micros;
    }
    default: {
      const d = decimalOf(type);
      const v = d === undefined ? undefined : toCanonicalDecimal(text, d.precision, d.scale);
      if (typeof v !== 'string') throw new Error(`invalid ${type} partition value '${text}'`);
      return v;
    }
  }
}

/**
 * A number written into JSON as its exact text (a decimal bound: `stringifyJson` writes `text` unquoted).
 *
 * @example
 * stringifyJson({ d: new JsonNumber('12345678901234567.89') }); // '{"d":12345678901234567.89}'
 */
export class JsonNumber {
  constructor(readonly text: string) {}
}

/**
 * Encodes a canonical value for `stats.minValues`/`maxValues` JSON (timestamps as ISO-8601 with milliseconds,
 * truncated down as the protocol specifies; timestamp_ntz as delta-rs writes it, 'YYYY-MM-DD HH:MM:SS.mmm';
 * decimals as exact JSON numbers, as Spark writes them). Returns undefined for values JSON cannot hold (NaN,
 * ±Infinity, timestamps past a Date's range) and for binary (Delta keeps no binary bounds).
 *
 * @example
 * toStatsValue('timestamp', 1_999n); // '1970-01-01T00:00:00.001Z'
 */
export function toStatsValue(type: ReadableDeltaType, value: DeltaValue): string | number | boolean | bigint | JsonNumber | undefined {
  if (value === null || value instanceof Uint8Array) return undefined;
  if (type === 'timestamp' || type === 'timestamp_ntz') {
    const micros = value as bigint;
    const ms = micros / 1000n - (micros % 1000n < 0n ? 1n : 0n);
    // Past ±8.64e15 ms (about ±275,760 years) a Date has no ISO form: that side keeps no bound, as ±Infinity.
    if (ms > 8_640_000_000_000_000n || ms < -8_640_000_000_000_000n) return undefined;
    const iso = new Date(Number(ms)).toISOString();
    return type === 'timestamp' ? iso : `${iso.slice(0, 10)} ${iso.slice(11, 23)}`;
  }
  if (decimalOf(type) !== undefined) return new JsonNumber(value as string);
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
    case 'timestamp': case 'timestamp_ntz':
      return typeof value === 'string' ? parseTimestamp(value, true) : undefined;
    case 'date':
      return typeof value === 'string' && DATE_RE.test(value) ? value : undefined;
    case 'binary':
      return undefined;
    case 'string':
      return typeof value === 'string' ? value : undefined;
    case 'boolean':
      return typeof value === 'boolean' ? value : undefined;
    case 'integer': case 'short': case 'byte': case 'double': case 'float':
      return typeof value === 'number' ? value : undefined;
    default: {
      // A decimal bound arrives as a JSON number, parsed to a float64: exact only for up to 15 digits (delta-rs even
      // writes wider ones rounded), and an inexact bound could skip a matching file.
      const d = decimalOf(type);
      if (d === undefined || typeof value !== 'number' || d.precision > 15) return undefined;
      const v = toCanonicalDecimal(value, d.precision, d.scale);
      return typeof v === 'string' ? v : undefined;
    }
  }
}

/**
 * JSON.stringify that writes bigints and `JsonNumber`s as exact JSON numbers (Delta stats and versions are JSON
 * numbers) and -0 as -0.0.
 *
 * @example
 * stringifyJson({ n: 2n ** 60n }); // '{"n":1152921504606846976}'
 */
export function stringifyJson(value: unknown): string {
  const marks: string[] = [];
  const text = JSON.stringify(value, (_k, v: unknown) => {
    if (typeof v !== 'bigint' && !Object.is(v, -0) && !(v instanceof JsonNumber)) return v;
    // JSON.stringify(-0) is '0': keep the sign (a -0.0 min)
    marks.push(typeof v === 'bigint' ? v.toString() : v instanceof JsonNumber ? v.text : '-0.0');
    return `\u0000big${marks.length - 1}\u0000`;
  });
  return marks.length === 0 ? text : text.replace(/"\\u0000big(\d+)\\u0000"/g, (_m, i: string) => marks[Number(i)]);
}
