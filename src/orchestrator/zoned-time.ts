/**
 * Wall-clock time in an IANA time zone, with Intl only (no tz database of our own): converting a local date-time to
 * an instant and back. Used to read DAG start dates written as local dates and to format `ds` in the DAG's zone.
 * @example
 *   parseDateIn('2024-01-01', 'Europe/Paris') === Date.UTC(2023, 11, 31, 23)
 *   formatDateIn(Date.UTC(2023, 11, 31, 23), 'Europe/Paris') === '2024-01-01'
 */
import { DagDefinitionError } from './errors.ts';

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timezone: string): Intl.DateTimeFormat {
  let f = formatters.get(timezone);
  if (f === undefined) {
    try {
      f = new Intl.DateTimeFormat('en-US', {
        timeZone: timezone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
      });
    } catch {
      throw new DagDefinitionError(`unknown time zone '${timezone}'`, { hint: "use an IANA name such as 'UTC', 'Europe/Paris' or 'America/New_York'" });
    }
    formatters.set(timezone, f);
  }
  return f;
}

/** The local calendar fields of instant `t` in `timezone`. */
export interface WallTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  millisecond: number;
}

/** The wall time of instant `t` (ms since epoch) in `timezone`. */
export function wallTimeIn(t: number, timezone: string): WallTime {
  const parts: Record<string, number> = {};
  for (const p of formatter(timezone).formatToParts(new Date(t))) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  return { year: parts.year!, month: parts.month!, day: parts.day!, hour: parts.hour!, minute: parts.minute!, second: parts.second!, millisecond: ((t % 1000) + 1000) % 1000 };
}

/** The zone's offset from UTC at instant `t`, in ms (positive east of Greenwich). */
export function offsetAt(t: number, timezone: string): number {
  const w = wallTimeIn(t, timezone);
  return Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second, w.millisecond) - t;
}

/**
 * The instant at which the wall clock of `timezone` shows the given time. In a spring-forward gap the time does not
 * exist and the instant after the gap is returned; in a fall-back overlap the earlier instant is returned.
 */
export function instantOfWallTime(w: Omit<WallTime, 'millisecond'> & { millisecond?: number }, timezone: string): number {
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second, w.millisecond ?? 0);
  // The offsets a day either side bracket any change near this time; a candidate is valid if it maps back to itself.
  const before = offsetAt(asUtc - 86_400_000, timezone);
  const after = offsetAt(asUtc + 86_400_000, timezone);
  const valid = [asUtc - before, asUtc - after].filter((t) => offsetAt(t, timezone) === asUtc - t);
  // No valid candidate: the time is in a gap; read it with the offset from before the gap (lands after the gap).
  return valid.length > 0 ? Math.min(...valid) : asUtc - before;
}

const LOCAL_DATE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?)?$/;

/** A date as users write it: a Date, ms since epoch, an ISO string with an offset, or a local date(-time) in `timezone`. */
export type DateLike = Date | number | string;

/** Reads a DateLike; strings without an offset (`'2024-01-01'`, `'2024-01-01T06:00'`) are wall times in `timezone`. */
export function parseDateIn(value: DateLike, timezone: string, what = 'date'): number {
  if (value instanceof Date) return checked(value.getTime(), value, what);
  if (typeof value === 'number') return checked(value, value, what);
  const m = LOCAL_DATE.exec(value.trim());
  if (m) {
    return instantOfWallTime(
      { year: +m[1]!, month: +m[2]!, day: +m[3]!, hour: +(m[4] ?? 0), minute: +(m[5] ?? 0), second: +(m[6] ?? 0), millisecond: +(m[7] ?? '0').padEnd(3, '0') },
      timezone,
    );
  }
  return checked(Date.parse(value), value, what);
}

function checked(t: number, original: unknown, what: string): number {
  if (!Number.isFinite(t)) throw new DagDefinitionError(`${what}: cannot read '${String(original)}' as a date`, { hint: "write '2024-01-01', '2024-01-01T06:00' (local to the DAG's time zone) or an ISO date with an offset" });
  return t;
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** `YYYY-MM-DD` of instant `t` in `timezone`. */
export function formatDateIn(t: number, timezone: string): string {
  const w = wallTimeIn(t, timezone);
  return `${pad(w.year, 4)}-${pad(w.month)}-${pad(w.day)}`;
}

/** ISO 8601 of instant `t` with the zone's offset, e.g. `2024-01-01T00:00:00+01:00`. */
export function formatIsoIn(t: number, timezone: string): string {
  const w = wallTimeIn(t, timezone);
  const off = Math.round(offsetAt(t, timezone) / 60_000);
  const sign = off < 0 ? '-' : '+';
  const abs = Math.abs(off);
  return `${formatDateIn(t, timezone)}T${pad(w.hour)}:${pad(w.minute)}:${pad(w.second)}${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}
