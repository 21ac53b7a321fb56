/**
 * Per-file statistics (PROTOCOL.md "Per-file Statistics"): numRecords, and per column minValues, maxValues and
 * nullCount, stored as JSON in `add.stats`. Riffle writes them for every data column, and reads them (its own and
 * other writers') for data skipping.
 */
import { compareDecimals } from './decimal-value.ts';
import { decimalOf, type ReadableDeltaType, type SchemaField } from './schema.ts';
import { type DeltaValue, fromStatsValue, stringifyJson, toStatsValue } from './value-mapping.ts';
import { compareUtf8 } from './value-order.ts';

/**
 * Code points of a string bound at most (Spark's default `dataSkippingStringPrefixLength`, 32): longer minima are cut
 * to this prefix, longer maxima cut and rounded up (`stringStatsMax`).
 */
export const STRING_STATS_PREFIX = 32;

/**
 * Statistics of one file, decoded to canonical values. A column missing from `min`/`max`/`nullCount` has no such
 * statistic (nothing may be concluded).
 *
 * @example
 * const s = parseStats('{"numRecords":2,"minValues":{"id":1},"maxValues":{"id":2},"nullCount":{"id":0}}', fields);
 */
export interface FileStats {
  readonly numRecords: number | undefined;
  readonly min: ReadonlyMap<string, DeltaValue>;
  readonly max: ReadonlyMap<string, DeltaValue>;
  readonly nullCount: ReadonlyMap<string, number>;
}

/** UTF-16 length of the first `count` code points of `s` (never splits a surrogate pair), or undefined if `s` is not longer. */
function prefixEnd(s: string, count: number): number | undefined {
  if (s.length <= count) return undefined; // count code points take at least count units
  let end = 0;
  for (let k = 0; k < count; k++) {
    if (end >= s.length) return undefined;
    const unit = s.charCodeAt(end);
    end += unit >= 0xd800 && unit <= 0xdbff && end + 1 < s.length ? 2 : 1;
  }
  return end >= s.length ? undefined : end;
}

/**
 * The minimum statistic of a string column whose true minimum is `s`: its first `STRING_STATS_PREFIX` code points
 * (a prefix is never greater, in UTF-8 order, than the string).
 *
 * @example
 * stringStatsMin('a'.repeat(100)); // 'a'.repeat(32)
 */
export function stringStatsMin(s: string, prefix = STRING_STATS_PREFIX): string {
  const end = prefixEnd(s, prefix);
  return end === undefined ? s : s.slice(0, end);
}

/**
 * The maximum statistic of a string column whose true maximum is `s`: `s` itself when short; else its prefix with
 * the last code point that can be incremented incremented (and what follows dropped), which is greater in UTF-8
 * order than every string starting with the prefix — as Parquet writers round maxima up. A prefix of only U+10FFFF
 * cannot be rounded up: then `s` itself is the bound (never a missing max — delta-rs' pyarrow reader drops files
 * whose bounds are missing).
 *
 * @example
 * stringStatsMax('b'.repeat(100)); // 'b'.repeat(31) + 'c'
 */
export function stringStatsMax(s: string, prefix = STRING_STATS_PREFIX): string {
  const end = prefixEnd(s, prefix);
  if (end === undefined) return s;
  let i = end;
  while (i > 0) {
    const low = s.charCodeAt(i - 1);
    const start = low >= 0xdc00 && low <= 0xdfff && i >= 2 && s.charCodeAt(i - 2) >= 0xd800 && s.charCodeAt(i - 2) <= 0xdbff ? i - 2 : i - 1;
    const cp = s.codePointAt(start) as number;
    // U+10FFFF cannot grow, and a lone surrogate (not Unicode) is stepped over: an earlier code point grows instead.
    if (cp < 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff)) return s.slice(0, start) + String.fromCodePoint(cp === 0xd7ff ? 0xe000 : cp + 1);
    i = start;
  }
  return s;
}

/** The least and greatest of int64 values, compared as pairs of 32-bit words (a bigint made for the two bounds only). */
function int64Bounds(values: BigInt64Array): [bigint, bigint] | undefined {
  if (values.length === 0) return undefined;
  const hi = new Int32Array(values.buffer, values.byteOffset, values.length * 2);
  const lo = new Uint32Array(values.buffer, values.byteOffset, values.length * 2);
  let minAt = 0;
  let maxAt = 0;
  for (let r = 1; r < values.length; r++) {
    const h = hi[2 * r + 1];
    const l = lo[2 * r];
    const mh = hi[2 * minAt + 1];
    if (h < mh || (h === mh && l < lo[2 * minAt])) minAt = r;
    const xh = hi[2 * maxAt + 1];
    if (h > xh || (h === xh && l > lo[2 * maxAt])) maxAt = r;
  }
  return [values[minAt], values[maxAt]];
}

/**
 * Computes the stats JSON of a file from its columns of canonical values (partition columns excluded), as delta-rs
 * writes them: min/max over the non-null values (floats over the non-NaN ones; a zero minimum is written -0.0 and
 * a zero maximum 0.0, Parquet's rule; booleans false/true), strings ordered by UTF-8 bytes and cut to
 * `STRING_STATS_PREFIX` code points (the max rounded up), decimals ordered numerically and written as exact JSON
 * numbers, no bounds for binary columns (as Delta writers), nullCount for every column. One pass per column.
 *
 * @example
 * computeStats([{ name: 'id', type: 'long', nullable: true, metadata: {} }], [[1n, null, 3n]], 3);
 * // '{"numRecords":3,"minValues":{"id":1},"maxValues":{"id":3},"nullCount":{"id":1}}'
 */
export function computeStats(fields: readonly SchemaField[], columns: readonly (ArrayLike<DeltaValue>)[], numRecords: number): string {
  const minValues: Record<string, unknown> = {};
  const maxValues: Record<string, unknown> = {};
  const nullCount: Record<string, number> = {};
  fields.forEach((field, i) => {
    const values = columns[i] as ArrayLike<number | string | bigint | boolean | null>;
    const floating = field.type === 'double' || field.type === 'float';
    const strings = field.type === 'string';
    const decimals = decimalOf(field.type) !== undefined;
    if (field.nested !== undefined) return; // no statistics for nested columns (none of their leaves is skipped on)
    if (field.type === 'binary') {
      let nulls = 0;
      for (let r = 0; r < values.length; r++) if (values[r] === null) nulls++;
      nullCount[field.name] = nulls;
      return;
    }
    let nulls = 0;
    let min: number | string | bigint | boolean | null = null;
    let max: number | string | bigint | boolean | null = null;
    if (values instanceof BigInt64Array) [min, max] = int64Bounds(values) ?? [null, null]; // no nulls, no bigint per value
    else for (let r = 0; r < values.length; r++) {
      const v = values[r];
      if (v === null) { nulls++; continue; }
      if (floating && v !== v) continue; // NaN has no place in an order: bounds are over the other values
      if (min === null) { min = v; max = v; continue; }
      if (strings) {
        if (compareUtf8(v as string, min as string) < 0) min = v;
        else if (compareUtf8(v as string, max as string) > 0) max = v;
      } else if (decimals) {
        if (compareDecimals(v as string, min as string) < 0) min = v;
        else if (compareDecimals(v as string, max as string) > 0) max = v;
      } else if (v < min) min = v;
      else if (v > (max as typeof v)) max = v;
    }
    nullCount[field.name] = nulls;
    if (min === null || max === null) return;
    if (floating) {
      if (min === 0) min = -0; // -0 and 0 are equal: the bounds must hold both
      if (max === 0) max = 0;
    }
    if (strings) {
      min = stringStatsMin(min as string);
      max = stringStatsMax(max as string);
    }
    const lo = toStatsValue(field.type, min);
    const hi = toStatsValue(field.type, max);
    // ±Infinity has no JSON form: that side stays absent (readers then do not skip on it), the other is still written.
    if (lo !== undefined) minValues[field.name] = lo;
    if (hi !== undefined) maxValues[field.name] = hi;
  });
  return stringifyJson({ numRecords, minValues, maxValues, nullCount });
}

/** Code units where UTF-16 and UTF-8 orders can part: surrogates and U+E000–U+FFFF. */
const ORDER_SENSITIVE = /[\uD800-\uFFFF]/;

/**
 * The `add.tags` entry Riffle writes on files whose string bounds hold characters from U+E000 up (where UTF-16 and
 * UTF-8 orders part): it vouches that the bounds are in UTF-8 order. Riffle before this tag ordered bounds by UTF-16
 * code units, so untagged bounds holding such characters are not trusted (see `parseStats`).
 *
 * @example
 * add.tags?.[UTF8_BOUNDS_TAG] === 'true';
 */
export const UTF8_BOUNDS_TAG = 'riffle.utf8Bounds';

/**
 * The `add.tags` for a file with these stats: the UTF-8 tag when a bound (or anything in the stats) holds an
 * order-sensitive character, else none.
 *
 * @example
 * statsTags(computeStats(fields, columns, n)); // { 'riffle.utf8Bounds': 'true' } for ['Ａ', '😀']
 */
export function statsTags(stats: string): Record<string, string> | undefined {
  return ORDER_SENSITIVE.test(stats) ? { [UTF8_BOUNDS_TAG]: 'true' } : undefined;
}

/**
 * Decodes a stats JSON string (from any writer) for the given columns. Malformed or absent stats give empty stats.
 * Timestamp maxima are widened by 999 µs, since the protocol truncates them to milliseconds. A string bound holding
 * a character from U+E000 up is dropped (no skipping on it) unless `tags` carry `UTF8_BOUNDS_TAG`: earlier Riffle
 * versions wrote such bounds in UTF-16 order, which UTF-8 comparisons would misread, skipping files that match. A
 * bound without such characters compares alike in both orders and is always used.
 *
 * @example
 * parseStats(add.stats, dataFields, add.tags).max.get('id'); // 99n
 */
export function parseStats(json: string | null | undefined, fields: readonly SchemaField[], tags?: Readonly<Record<string, string>> | null): FileStats {
  const empty: FileStats = { numRecords: undefined, min: new Map(), max: new Map(), nullCount: new Map() };
  if (!json) return empty;
  let raw: { numRecords?: unknown; minValues?: Record<string, unknown>; maxValues?: Record<string, unknown>; nullCount?: Record<string, unknown> };
  try {
    raw = JSON.parse(json);
  } catch {
    return empty; // stats are an optimisation: unreadable stats only mean no skipping
  }
  const min = new Map<string, DeltaValue>();
  const max = new Map<string, DeltaValue>();
  const nullCount = new Map<string, number>();
  const utf8Tagged = tags?.[UTF8_BOUNDS_TAG] === 'true';
  for (const f of fields) {
    const type: ReadableDeltaType = f.type;
    const lo = fromStatsValue(type, raw.minValues?.[f.name]);
    const hi = fromStatsValue(type, raw.maxValues?.[f.name]);
    const trusted = (b: DeltaValue): boolean => typeof b !== 'string' || type !== 'string' || utf8Tagged || !ORDER_SENSITIVE.test(b);
    if (lo !== undefined && lo !== null && trusted(lo)) min.set(f.name, lo);
    if (hi !== undefined && hi !== null && trusted(hi)) max.set(f.name, type === 'timestamp' || type === 'timestamp_ntz' ? (hi as bigint) + 999n : hi);
    const n = raw.nullCount?.[f.name];
    if (typeof n === 'number') nullCount.set(f.name, n);
  }
  return { numRecords: typeof raw.numRecords === 'number' ? raw.numRecords : undefined, min, max, nullCount };
}
