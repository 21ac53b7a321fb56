/**
 * Per-file statistics (PROTOCOL.md "Per-file Statistics"): numRecords, and per column minValues, maxValues and
 * nullCount, stored as JSON in `add.stats`. Riffle writes them for every data column, and reads them (its own and
 * other writers') for data skipping.
 */
import type { ReadableDeltaType, SchemaField } from './schema.ts';
import { type DeltaValue, fromStatsValue, stringifyJson, toStatsValue } from './value-mapping.ts';

/** Strings longer than this get no min/max (a truncated max would be wrong; a missing one only skips less). */
const MAX_STRING_STAT = 64;

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

/**
 * Computes the stats JSON of a file from its columns of canonical values (partition columns excluded). One pass per
 * column; canonical values of one column compare with `<` (numbers, bigints, ISO dates and strings alike).
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
    const values = columns[i] as ArrayLike<number | string | bigint | null>;
    const floating = field.type === 'double' || field.type === 'float';
    let nulls = 0;
    let min: number | string | bigint | null = null;
    let max: number | string | bigint | null = null;
    let bounded = true;
    for (let r = 0; r < values.length; r++) {
      const v = values[r];
      if (v === null) { nulls++; continue; }
      if (floating && v !== v) { bounded = false; continue; } // NaN has no place in an order
      if (min === null) { min = v; max = v; continue; }
      if (v < min) min = v;
      else if (v > (max as typeof v)) max = v;
    }
    nullCount[field.name] = nulls;
    if (!bounded || min === null || max === null || field.type === 'boolean') return;
    if (field.type === 'string' && ((max as string).length > MAX_STRING_STAT || (min as string).length > MAX_STRING_STAT)) return;
    const lo = toStatsValue(field.type, min);
    const hi = toStatsValue(field.type, max);
    if (lo === undefined || hi === undefined) return;
    minValues[field.name] = lo;
    maxValues[field.name] = hi;
  });
  return stringifyJson({ numRecords, minValues, maxValues, nullCount });
}

/**
 * Decodes a stats JSON string (from any writer) for the given columns. Malformed or absent stats give empty stats.
 * Timestamp maxima are widened by 999 µs, since the protocol truncates them to milliseconds.
 *
 * @example
 * parseStats(add.stats, dataFields).max.get('id'); // 99n
 */
export function parseStats(json: string | null | undefined, fields: readonly SchemaField[]): FileStats {
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
  for (const f of fields) {
    const type: ReadableDeltaType = f.type;
    const lo = fromStatsValue(type, raw.minValues?.[f.name]);
    const hi = fromStatsValue(type, raw.maxValues?.[f.name]);
    if (lo !== undefined && lo !== null) min.set(f.name, lo);
    if (hi !== undefined && hi !== null) max.set(f.name, type === 'timestamp' ? (hi as bigint) + 999n : hi);
    const n = raw.nullCount?.[f.name];
    if (typeof n === 'number') nullCount.set(f.name, n);
  }
  return { numRecords: typeof raw.numRecords === 'number' ? raw.numRecords : undefined, min, max, nullCount };
}
