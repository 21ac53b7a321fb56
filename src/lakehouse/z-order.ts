/**
 * Z-order keys (Morton codes) for clustering rows by up to 4 columns, so that rows close in every column land in the
 * same files and each file's min/max statistics cover a small box — what lets a point or range predicate on any of
 * the columns skip most files.
 *
 * Design (Riffle's own): 1. each column's values are replaced by their rank among the column's distinct values
 * (nulls first, rank 0), so skewed or clustered values still spread over the whole key space and every type
 * (numbers, bigints, strings, dates, timestamps, booleans) is handled the same way; 2. ranks are scaled to `b` bits,
 * b = ⌊52 / columns⌋ (52, 26, 17 or 13 bits), so the interleaved key fits a float64 exactly; 3. the bits are
 * interleaved from the most significant down, one bit of each column in turn; 4. rows sorted by this key follow the
 * Z-curve. Ranking is exact (a sort of each column's distinct values), so the cost is O(n log n) per column: numeric
 * columns (numbers, longs within ±2^53, timestamps) are ranked by a radix sort of their float64s, others through a
 * Set and a Map, strings ranked by UTF-8 bytes (value-order.ts) as their statistics are. The rows are then ordered by
 * a stable radix sort of the keys (radix-sort.ts).
 */
import { radixOrder } from './radix-sort.ts';
import type { DeltaValue } from './value-mapping.ts';
import { compareValues } from './value-order.ts';

const SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** The column as float64s when every non-null value is a number or a bigint float64 holds exactly; else undefined. */
function asDoubles(values: readonly DeltaValue[]): Float64Array | undefined {
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v === 'number') out[i] = v;
    else if (typeof v === 'bigint' && v <= SAFE && v >= -SAFE) out[i] = Number(v);
    else if (v === null) out[i] = NaN; // never read: nulls are ranked 0 from `values`
    else return undefined;
  }
  return out;
}

/** Per-row rank levels of one column scaled to `bits` bits. */
function scaledRanks(values: readonly DeltaValue[], bits: number): Float64Array {
  const out = new Float64Array(values.length);
  const doubles = asDoubles(values);
  if (doubles !== undefined) {
    // Rows in value order (NaN last); equal values share a rank; null is level 0.
    const order = radixOrder(doubles);
    const rank = new Float64Array(values.length);
    let distinct = 0;
    let prev = 0;
    for (let k = 0; k < order.length; k++) {
      const i = order[k];
      if (values[i] === null) continue;
      const d = doubles[i];
      if (distinct === 0 || !(d === prev || (d !== d && prev !== prev))) distinct++;
      prev = d;
      rank[i] = distinct;
    }
    const scale = 2 ** bits / (distinct + 1);
    for (let i = 0; i < values.length; i++) out[i] = Math.floor(rank[i] * scale);
    return out;
  }
  const distinct = [...new Set(values.filter((v): v is Exclude<DeltaValue, null> => v !== null))].sort(compareValues);
  const rank = new Map<DeltaValue, number>();
  distinct.forEach((v, i) => rank.set(v instanceof Date ? v.getTime() : v, i + 1));
  const levels = distinct.length + 1; // null is level 0
  const scale = 2 ** bits / levels;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    const level = v === null ? 0 : (rank.get(v instanceof Date ? v.getTime() : v) as number);
    out[i] = Math.floor(level * scale); // levels spread over (or, past 2^bits, merged into) the bit range
  }
  return out;
}

/**
 * The Z-order key of each row for the given columns (1 to 4).
 *
 * @example
 * const keys = zOrderKeys(rows, ['x', 'y']); rows.sort((a, b) => keys[rows.indexOf(a)] - keys[rows.indexOf(b)]);
 */
export function zOrderKeys(rows: readonly Readonly<Record<string, DeltaValue>>[], columns: readonly string[]): Float64Array {
  const bits = Math.floor(52 / columns.length);
  const ranks = columns.map((c) => scaledRanks(rows.map((r) => r[c] ?? null), bits));
  if (columns.length === 1) return ranks[0];
  const keys = new Float64Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    let z = 0;
    for (let bit = bits - 1; bit >= 0; bit--) {
      for (let k = 0; k < ranks.length; k++) z = z * 2 + ((ranks[k][i] >>> bit) & 1); // bits ≤ 26 here: uint32-safe
    }
    keys[i] = z;
  }
  return keys;
}

/**
 * Rows sorted along the Z-curve of `columns` (stable for equal keys).
 *
 * @example
 * const sorted = sortByZOrder(rows, ['x', 'y']);
 */
export function sortByZOrder<R extends Readonly<Record<string, DeltaValue>>>(rows: readonly R[], columns: readonly string[]): R[] {
  const order = radixOrder(zOrderKeys(rows, columns));
  const out: R[] = new Array(rows.length);
  for (let i = 0; i < rows.length; i++) out[i] = rows[order[i]];
  return out;
}
