/**
 * Datetime bounds, as GE compares them: on a temporal column (values are Dates) a string bound is parsed as a
 * datetime; with `parse_strings_as_datetimes: true` string values are parsed too, and a bound that does not parse is
 * a configuration error. Datetimes without a zone are read as UTC (Riffle's timestamps are UTC instants).
 * Deliberate difference: GE parses with dateutil, which also takes forms such as `1/5/2024` or `Jan 5 2024`; Riffle
 * reads ISO 8601 only (dates, datetimes with `T` or a space, optional fraction and zone), so a value in another form
 * is unexpected and a bound in another form is refused — never guessed (is 1/5 January or May?).
 */
import type { Kwargs } from '../expectation.ts';
import { SuiteError } from '../quality-error.ts';

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?)?\s*(Z|[+-]\d{2}:?\d{2}|UTC)?$/i;

/** Milliseconds since the epoch of an ISO-8601 date or datetime (naive = UTC), or undefined when it is not one. */
export function parseDatetime(text: string): number | undefined {
  const m = ISO.exec(text.trim());
  if (m === null) return undefined;
  const [, y, mo, d, h = '00', mi = '00', s = '00', frac = '', zone] = m;
  const z = zone === undefined || /^(z|utc)$/i.test(zone) ? 'Z' : zone.length === 5 ? `${zone.slice(0, 3)}:${zone.slice(3)}` : zone;
  const ms = Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${s}${frac.slice(0, 4)}${z}`);
  if (Number.isNaN(ms)) return undefined;
  // Date.parse rolls 2023-02-30 over to March; a real date round-trips.
  const check = new Date(Date.UTC(+y!, +mo! - 1, +d!));
  return check.getUTCMonth() === +mo! - 1 && check.getUTCDate() === +d! ? ms : undefined;
}

/** A bound read for comparison with values that may be datetimes. */
export interface Bound {
  /** As written (a number or string), for numbers and strings. */
  readonly value: number | string | undefined;
  /** As a datetime (ms), when it is one or parses as one. */
  readonly time: number | undefined;
}

/** The bound `name` of an expectation; `strict` (parse_strings_as_datetimes) makes an unparseable bound an error. */
export function readBound(args: Kwargs, name: string, strict: boolean): Bound {
  if (!args.has(name)) return { value: undefined, time: undefined };
  const raw = args.raw[name];
  if (raw instanceof Date) return { value: raw.getTime(), time: raw.getTime() };
  const value = args.optionalBound(name)!;
  const time = typeof value === 'string' ? parseDatetime(value) : undefined;
  if (strict && time === undefined) throw new SuiteError(`${args.type}: '${name}' ${JSON.stringify(value)} is not a datetime (parse_strings_as_datetimes is true)`, { hint: 'write datetimes as ISO 8601, e.g. 2024-01-31 or 2024-01-31T12:00:00Z' });
  return { value, time };
}

/** Whether a datetime (ms) lies within the bounds; a bound that is not a datetime makes it fail (with `why`). */
export function timeWithin(t: number, min: Bound, max: Bound, strictMin: boolean, strictMax: boolean): boolean {
  if (min.value !== undefined) {
    if (min.time === undefined) return false;
    if (strictMin ? !(t > min.time) : !(t >= min.time)) return false;
  }
  if (max.value !== undefined) {
    if (max.time === undefined) return false;
    if (strictMax ? !(t < max.time) : !(t <= max.time)) return false;
  }
  return true;
}

/** Why a bound cannot be compared with datetimes, or ''. */
export function unparseableBounds(min: Bound, max: Bound): string {
  const bad = [min, max].filter((b) => typeof b.value === 'string' && b.time === undefined).map((b) => JSON.stringify(b.value));
  return bad.length === 0 ? '' : ` (the bound ${bad.join(' and ')} is not a datetime, so datetimes cannot be compared with it)`;
}
