/**
 * Typed CSV columns: the schema users declare (`{ revenue: 'number', at: 'date', note: 'string?' }`), the row type it
 * gives, and the converters applied to each value. A `?` suffix makes a column nullable: an empty value becomes null
 * (without it, an empty value is an error for every type but 'string').
 */

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
type Simplify<T> = { [K in keyof T]: T[K] } & {};

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

const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const INTEGER = /^[+-]?\d+$/;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?(Z|z|[+-]\d{2}(?::?\d{2})?)?$/;

const BASE: Record<CsvColumnType, Converter> = {
  string: (t) => t,
  number: (t) => {
    const s = t.trim();
    return NUMBER.test(s) ? Number(s) : INVALID;
  },
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
  return (t) => (t.trim() === '' ? null : base(t));
}

/**
 * Parses an ISO-8601 date or date-time into epoch milliseconds; undefined when it is not one. A date-time without an
 * offset is taken as UTC (not local time, unlike `Date.parse`), so results never depend on the machine's zone.
 */
export function parseIsoDate(text: string): number | undefined {
  const m = ISO_DATE.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac, zone] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) return undefined;
  const ms = frac === undefined ? 0 : Number(`${frac}00`.slice(0, 3));
  let t = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  if (year < 100) t = new Date(t).setUTCFullYear(year); // Date.UTC maps years 0-99 to 1900-1999
  if (new Date(t).getUTCDate() !== day) return undefined; // 2024-02-30
  if (zone === undefined || zone === 'Z' || zone === 'z') return t;
  const sign = zone[0] === '-' ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  const offsetMin = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || '0');
  return t - sign * offsetMin * 60_000;
}
