/**
 * Typed CSV columns: the schema users declare (`{ revenue: 'number', at: 'date', note: 'string?' }`), the row type it
 * gives, and the converters applied to each value. A `?` suffix makes a column nullable: an empty value or one of
 * pandas' NA strings (`NA`, `null`, `NaN`, `N/A`, ... see csv-typing.ts) becomes null (without it, such a value is an
 * error for every type but 'string', which keeps it as written). Numbers follow the shared typing rule: decimals and
 * `inf`/`Infinity` (any case, signed).
 */
import { isMissing, numberOf } from './csv-typing.ts';


export type CsvColumnType = 'string' | 'number' | 'integer' | 'boolean' | 'date';
export type CsvColumnSpec = CsvColumnType | `${CsvColumnType}?`;
export type CsvColumns = Readonly<Record<string, CsvColumnSpec>>;
/** Whether the first line of each file is the header (true), the column names are given (no header line), or rows are arrays (false). */
export type CsvHeader = boolean | readonly string[];
/** Any value a CSV row holds. */
export type CsvValue = string | number | boolean | null;

type BaseValue<B extends CsvColumnType> = B extends 'string' ? string : B extends 'boolean' ? boolean : number;
/** The TypeScript type of a column spec: 'date' is epoch milliseconds. */
export type CsvColumnValue<S extends CsvColumnSpec> = S extends `${infer B extends CsvColumnType}?` ? BaseValue<B> | null : BaseValue<S & CsvColumnType>;
type Typed<C extends CsvColumns> = { -readonly [K in keyof C]: CsvColumnValue<C[K]> };
type Simplify<T> = { [K in keyof T]: T[K] };

/**
 * The row a CSV source gives before `parse`: arrays without a header; with given column names, an object with exactly
 * those keys; with a header line, an object whose declared columns are typed (the others are strings).
 */
export type CsvRow<H extends CsvHeader, C extends CsvColumns> = H extends false
  ? string[]
  : H extends readonly string[]
    ? Simplify<{ [K in Exclude<H[number], keyof C>]: string } & Typed<C>>
    : keyof C extends never
      ? Record<string, string>
      : Typed<C> & Record<string, CsvValue>;

/** Marks a value that does not parse as its column type. */
export const INVALID: unique symbol = Symbol('invalid');
export type Converter = (text: string) => CsvValue | typeof INVALID;

const INTEGER = /^[+-]?\d+$/;

const BASE: Record<CsvColumnType, Converter> = {
  string: (t) => t,
  number: (t) => numberOf(t) ?? INVALID,
  integer: (t) => {
    const s = t.trim();
    if (!INTEGER.test(s)) return INVALID;
    const n = Number(s);
    return Number.isSafeInteger(n) ? n : INVALID;
  },
  boolean: (t) => {
    switch (t.trim().toLowerCase()) {
      case 'true':
      case '1':
      case 'yes':
        return true;
      case 'false':
      case '0':
      case 'no':
        return false;
      default:
        return INVALID;
    }
  },
  date: (t) => parseIsoDate(t.trim()) ?? INVALID,
};

/** What a failed value "is not", for error messages. */
export const EXPECTED: Record<CsvColumnType, string> = {
  string: 'a string',
  number: 'a number',
  integer: 'an integer',
  boolean: 'a boolean (true/false, 1/0, yes/no)',
  date: 'an ISO-8601 date',
};

export function isColumnSpec(spec: unknown): spec is CsvColumnSpec {
  return typeof spec === 'string' && Object.hasOwn(BASE, spec.endsWith('?') ? spec.slice(0, -1) : spec);
}

export function baseType(spec: CsvColumnSpec): CsvColumnType {
  return (spec.endsWith('?') ? spec.slice(0, -1) : spec) as CsvColumnType;
}

/** The converter of a column spec, or undefined for 'string' (kept as is). */
export function converterFor(spec: CsvColumnSpec): Converter | undefined {
  const base = BASE[baseType(spec)];
  if (!spec.endsWith('?')) return spec === 'string' ? undefined : base;
  return (t) => (isMissing(t) || t.trim() === '' ? null : base(t));
}

/**
 * Parses an ISO-8601 date or date-time into epoch milliseconds; undefined when it is not one. Accepted:
 * `YYYY-MM-DD`, then optionally `THH:MM`, `:SS`, `.fraction` (or a space for the T), then optionally `Z` or an offset
 * `±HH`, `±HHMM`, `±HH:MM`. A date-time without an offset is taken as UTC (not local time, unlike `Date.parse`), so
 * results never depend on the machine's zone.
 *
 * It walks character codes rather than using a regular expression: dates are the costliest column type to parse.
 */
export function parseIsoDate(text: string): number | undefined {
  const n = text.length;
  if (n < 10 || text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45) return undefined;
  const year = digits(text, 0, 4);
  const month = digits(text, 5, 2);
  const day = digits(text, 8, 2);
  if (year < 0 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  let hour = 0;
  let minute = 0;
  let second = 0;
  let ms = 0;
  let i = 10;
  if (i < n && (text.charCodeAt(i) === 84 /* T */ || text.charCodeAt(i) === 32)) {
    if (n < 16 || text.charCodeAt(13) !== 58) return undefined;
    hour = digits(text, 11, 2);
    minute = digits(text, 14, 2);
    if (hour < 0 || hour > 23 || minute < 0 || minute > 59) return undefined;
    i = 16;
    if (i < n && text.charCodeAt(i) === 58) {
      second = digits(text, 17, 2);
      if (second < 0 || second > 59) return undefined;
      i = 19;
      const c = text.charCodeAt(i);
      if (i < n && (c === 46 || c === 44)) {
        // Fraction: milliseconds from the first three digits, the rest must be digits too.
        i++;
        const from = i;
        let scale = 100;
        while (i < n && isDigit(text.charCodeAt(i))) {
          if (scale >= 1) ms += (text.charCodeAt(i) - 48) * scale;
          scale /= 10;
          i++;
        }
        if (i === from) return undefined;
      }
    }
  }
  let t = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  if (year < 100) t = new Date(t).setUTCFullYear(year); // Date.UTC maps years 0-99 to 1900-1999
  if (i === n) return t;
  const z = text.charCodeAt(i);
  if ((z === 90 || z === 122) /* Z z */ && i + 1 === n) return t;
  if (z !== 43 && z !== 45) return undefined;
  const oh = digits(text, i + 1, 2);
  let om = 0;
  const rest = n - (i + 3);
  if (rest === 2) om = digits(text, i + 3, 2);
  else if (rest === 3 && text.charCodeAt(i + 3) === 58) om = digits(text, i + 4, 2);
  else if (rest !== 0) return undefined;
  if (oh < 0 || oh > 23 || om < 0 || om > 59) return undefined;
  return t - (z === 45 ? -1 : 1) * (oh * 60 + om) * 60_000;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** The number written by `len` digits at `at`, or -1. */
function digits(text: string, at: number, len: number): number {
  let v = 0;
  for (let k = at; k < at + len; k++) {
    const c = text.charCodeAt(k);
    if (!isDigit(c)) return -1;
    v = v * 10 + (c - 48);
  }
  return v;
}

const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
function daysInMonth(year: number, month: number): number {
  return month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : DAYS[month - 1];
}
