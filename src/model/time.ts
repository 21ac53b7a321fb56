/**
 * Event time and durations. An `Instant` is milliseconds since the Unix epoch. Like Beam, the representable range is
 * bounded: `MIN_TIMESTAMP` is "before any data" (the initial watermark, the timestamp of `create` elements) and
 * `MAX_TIMESTAMP` is "after all data" (the watermark of a finished bounded source, i.e. +∞).
 *
 * @example
 *   parseDuration('5m') === 300_000; parseDuration(250) === 250
 */
export type Instant = number;
export type Millis = number;

/** The smallest timestamp: −∞ for watermarks. (±8.64e15 ms is the range of a JS Date.) */
export const MIN_TIMESTAMP: Instant = -8.64e15;
/** The largest timestamp: +∞ for watermarks. A bounded source that is done moves its watermark here. */
export const MAX_TIMESTAMP: Instant = 8.64e15;
/** The end of the global window: one day before MAX_TIMESTAMP, as in Beam, so that +∞ still passes it. */
export const END_OF_GLOBAL_WINDOW: Instant = MAX_TIMESTAMP - 86_400_000;

/** A duration as users write it: milliseconds, or a string such as '250ms', '10s', '5m', '1h', '2d', '1h30m'. */
export type DurationLike = number | string;

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses a duration into milliseconds; throws a RangeError naming the accepted forms otherwise. */
export function parseDuration(d: DurationLike, what = 'duration'): Millis {
  if (typeof d === 'number') {
    if (!Number.isFinite(d)) throw new RangeError(`${what}: expected a finite number of milliseconds, got ${d}`);
    return d;
  }
  const text = d.trim();
  const re = /(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)/gy;
  let total = 0;
  let matched = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) {
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    matched = re.lastIndex;
  }
  if (matched === 0 || matched !== text.length) {
    throw new RangeError(`${what}: cannot parse '${d}'; write milliseconds or a string like '500ms', '10s', '5m', '1h', '1h30m'`);
  }
  return total;
}

/** Formats a timestamp for messages and file names: ISO-8601, or −∞/+∞ at the bounds. */
export function formatInstant(t: Instant): string {
  if (t <= MIN_TIMESTAMP) return '-inf';
  if (t >= MAX_TIMESTAMP) return '+inf';
  if (t >= END_OF_GLOBAL_WINDOW) return 'end-of-global-window';
  return new Date(t).toISOString();
}
