/**
 * The auto-profiler: summarises each column of a table in one pass and proposes a suite from what it saw, as the
 * seeds' `automated_data_profiling` (data-engineering-zero-to-hero.md) and GE's UserConfigurableProfiler do:
 *  - table: the ordered column list, and a row count within [n/2, 2n] of the profiled n;
 *  - null rates: no missing values → not_null; under `nullRateThreshold` (5 %, the seed's) → not_null with
 *    `mostly` just under the observed non-null share; all missing → be_null;
 *  - types: int, float, bool, str (of_type); strings that all parse as dates → dateutil_parseable;
 *  - ranges: numbers → values between the observed min and max; strings → lengths between the observed ones;
 *  - small value sets (≤ `valueSetThreshold` distinct values, at most half the values) → in_set with them;
 *  - uniqueness: every non-missing value distinct (and more than one) → unique.
 * Distinct counts come from the same bounded-memory profile as validation (exact up to the limits); a column
 * whose distinct count was estimated gets no unique or in_set proposal.
 */
import { scanAsset, type DataAsset, type MalformedRecords } from './data-asset.ts';
import { ColumnProfile, DEFAULT_LIMITS, type ProfileLimits } from './column-profile.ts';
import { expect } from './expect.ts';
import { isDateutilParseable } from './expectations/dateutil-parse.ts';
import type { ExpectationConfig } from './result.ts';
import { suite as makeSuite, type Suite } from './suite.ts';
import { isMissing, resultValue, type Row } from './values.ts';

export type ProfiledType = 'int' | 'float' | 'bool' | 'str' | 'datetime' | 'mixed' | 'null';

export interface ColumnSummary {
  readonly column: string;
  readonly type: ProfiledType;
  readonly count: number;
  readonly nulls: number;
  /** Missing / all, 0–1. */
  readonly nullRate: number;
  readonly distinct: number;
  readonly distinctApproximate: boolean;
  readonly min?: unknown;
  readonly max?: unknown;
  readonly minLength?: number;
  readonly maxLength?: number;
  /** Whether every string value parses as a date (dateutil subset). */
  readonly dates?: boolean;
  /** The distinct values, sorted, when there are at most `valueSetThreshold`. */
  readonly values?: readonly unknown[];
}

export interface ProfileOptions {
  /** Suite name (default 'profiled'). */
  readonly name?: string;
  /** Column order (default: keys of the first row, then any new ones in order of appearance). */
  readonly columns?: readonly string[];
  /** At most this many distinct values make a value set (default 10). */
  readonly valueSetThreshold?: number;
  /** Columns with a higher null rate get no not_null proposal (default 0.05, the seed's 5 %). */
  readonly nullRateThreshold?: number;
  readonly limits?: Partial<ProfileLimits>;
}

export interface DataProfile {
  readonly rows: number;
  readonly columns: readonly ColumnSummary[];
  readonly suite: Suite;
}

class ColumnState {
  readonly profile: ColumnProfile;
  ints = 0;
  floats = 0;
  bools = 0;
  strings = 0;
  dates = 0;
  others = 0;
  stringDates = true;
  minLength = Infinity;
  maxLength = -Infinity;
  constructor(limits: ProfileLimits, skip: number) {
    this.profile = new ColumnProfile({ extremes: true, distinct: true }, limits);
    // Rows before the column first appeared had it missing.
    for (let i = 0; i < skip; i++) this.profile.add(undefined, i);
  }
  add(v: unknown, index: number): void {
    this.profile.add(v, index);
    if (isMissing(v)) return;
    if (typeof v === 'number') {
      if (Number.isInteger(v)) this.ints++;
      else this.floats++;
    } else if (typeof v === 'bigint') this.ints++;
    else if (typeof v === 'boolean') this.bools++;
    else if (typeof v === 'string') {
      this.strings++;
      let n = v.length;
      for (let i = 0; i < v.length; i++) if ((v.charCodeAt(i) & 0xfc00) === 0xd800) n--;
      if (n < this.minLength) this.minLength = n;
      if (n > this.maxLength) this.maxLength = n;
      if (this.stringDates && !isDateutilParseable(v)) this.stringDates = false;
    } else if (v instanceof Date) this.dates++;
    else this.others++;
  }
}

/** Profiles rows and proposes a suite. */
export function profileRows(rows: Iterable<Row>, options: ProfileOptions = {}): DataProfile {
  const profiler = new Profiler(options);
  for (const row of rows) profiler.add(row);
  return profiler.finish();
}

/**
 * Profiles a data asset (files, globs or a Delta table) streamed in one pass, as `profileRows` does rows in memory.
 * @example const { suite } = await quality.profileAsset(quality.asset.delta('lake/orders'), { name: 'orders' });
 */
export async function profileAsset(a: DataAsset, options: ProfileOptions & { readonly malformed?: MalformedRecords } = {}): Promise<DataProfile> {
  let profiler: Profiler | undefined;
  // Records the reader could not read are counted in `options.malformed` (the caller reports them).
  for await (const batch of scanAsset(a, options.malformed ? { malformed: options.malformed } : {})) {
    profiler ??= new Profiler({ ...options, columns: options.columns ?? batch.columns });
    for (const row of batch.rows) profiler.add(row);
  }
  return (profiler ?? new Profiler(options)).finish();
}

/** One pass's profiling state: `add` rows, then `finish`. */
class Profiler {
  readonly #options: ProfileOptions;
  readonly #limits: ProfileLimits;
  readonly #states = new Map<string, ColumnState>();
  #n = 0;

  constructor(options: ProfileOptions) {
    this.#options = options;
    this.#limits = { ...DEFAULT_LIMITS, ...options.limits };
    for (const c of options.columns ?? []) this.#states.set(c, new ColumnState(this.#limits, 0));
  }

  add(row: Row): void {
    const states = this.#states;
    const n = this.#n;
    for (const key of Object.keys(row)) if (!states.has(key)) states.set(key, new ColumnState(this.#limits, n));
    for (const [column, state] of states) state.add(row[column], n);
    this.#n = n + 1;
  }

  finish(): DataProfile {
    const options = this.#options;
    const n = this.#n;
    const threshold = options.valueSetThreshold ?? 10;
    const columns = [...this.#states].map(([column, s]) => summarise(column, s, threshold));
    const expectations = propose(columns, n, threshold, options.nullRateThreshold ?? 0.05);
    return { rows: n, columns, suite: makeSuite(options.name ?? 'profiled', expectations, { profiled_rows: n, generated_by: 'riffle quality profile' }) };
  }
}

function summarise(column: string, s: ColumnState, threshold: number): ColumnSummary {
  const p = s.profile;
  const present = p.present;
  const kinds = [s.ints + s.floats > 0, s.bools > 0, s.strings > 0, s.dates > 0, s.others > 0].filter(Boolean).length;
  const type: ProfiledType =
    present === 0 ? 'null' : kinds > 1 ? 'mixed' : s.floats > 0 ? 'float' : s.ints > 0 ? 'int' : s.bools > 0 ? 'bool' : s.strings > 0 ? 'str' : s.dates > 0 ? 'datetime' : 'mixed';
  const distinctApproximate = p.hll !== undefined;
  const values = !distinctApproximate && p.distinctCount <= threshold ? p.distinctValues()?.map(resultValue) : undefined;
  return {
    column,
    type,
    count: p.elements,
    nulls: p.missing,
    nullRate: p.elements === 0 ? 0 : p.missing / p.elements,
    distinct: p.distinctCount,
    distinctApproximate,
    ...(present > 0 && type !== 'mixed' ? { min: resultValue(p.min), max: resultValue(p.max) } : {}),
    ...(s.strings > 0 ? { minLength: s.minLength, maxLength: s.maxLength } : {}),
    ...(type === 'str' ? { dates: s.stringDates } : {}),
    ...(values !== undefined ? { values } : {}),
  };
}

function propose(columns: readonly ColumnSummary[], rows: number, threshold: number, nullRateThreshold: number): ExpectationConfig[] {
  const out: ExpectationConfig[] = [];
  if (rows > 0) out.push(expect.tableRowCountToBeBetween({ min_value: Math.floor(rows / 2), max_value: rows * 2 }));
  out.push(expect.tableColumnsToMatchOrderedList(columns.map((c) => c.column)));
  for (const c of columns) {
    const present = c.count - c.nulls;
    if (present === 0) {
      if (c.count > 0) out.push(expect.columnValuesToBeNull(c.column));
      continue;
    }
    if (c.nulls === 0) out.push(expect.columnValuesToNotBeNull(c.column));
    else if (c.nullRate <= nullRateThreshold) out.push(expect.columnValuesToNotBeNull(c.column, { mostly: Math.floor((1 - c.nullRate) * 1000) / 1000 }));
    if (c.type === 'mixed') continue;
    if (c.type !== 'datetime') out.push(expect.columnValuesToBeOfType(c.column, c.type));
    const unique = !c.distinctApproximate && present > 1 && c.distinct === present;
    if (unique) out.push(expect.columnValuesToBeUnique(c.column));
    // A value set only when values repeat (at most half as many distinct values as values).
    const valueSet = c.values !== undefined && !unique && c.distinct <= threshold && c.distinct * 2 <= present ? c.values : undefined;
    if (valueSet !== undefined && c.type !== 'float') out.push(expect.columnValuesToBeInSet(c.column, [...valueSet]));
    if ((c.type === 'int' || c.type === 'float') && typeof c.min === 'number' && typeof c.max === 'number') {
      out.push(expect.columnValuesToBeBetween(c.column, { min_value: c.min, max_value: c.max }));
    } else if (c.type === 'str') {
      if (c.dates === true) out.push(expect.columnValuesToBeDateutilParseable(c.column));
      if (valueSet === undefined && c.minLength !== undefined && c.maxLength !== undefined) out.push(expect.columnValueLengthsToBeBetween(c.column, { min_value: c.minLength, max_value: c.maxLength }));
    }
  }
  return out;
}
