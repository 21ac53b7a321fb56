/**
 * The contract between an expectation and the metrics plan. An expectation type compiles its kwargs once into a
 * `CompiledExpectation` that declares what it needs — column profiles (shared by every expectation on the same
 * column), a row check (for column-map and row-level expectations) — and turns the finished metrics into a result.
 * The plan (metrics-plan.ts) makes the single pass.
 */
import type { ColumnBatch } from './column-batch.ts';
import type { ColumnProfile, ProfileNeeds } from './column-profile.ts';
import { SuiteError } from './quality-error.ts';
import type { ExpectationConfig, ExpectationResultDetails } from './result.ts';
import { resultValue, type Row } from './values.ts';

/** A row check's verdict on one row. */
export const Outcome = { expected: 0, unexpected: 1, missing: 2 } as const;
export type Outcome = (typeof Outcome)[keyof typeof Outcome];

/** A request for a profile: `domain` names it (a column, or several joined); `extract` reads it from a row. */
export interface ProfileRequest {
  readonly domain: string;
  readonly extract: (row: Row) => unknown;
  readonly needs: ProfileNeeds;
  /** Set when the domain is one column read as is (`row[column]`): the plan then reads it once per batch. */
  readonly column?: string;
}

/** The profile of one column read as is: what most column expectations ask for. */
export function columnProfile(column: string, needs: ProfileNeeds): ProfileRequest {
  return { domain: column, column, extract: (row: Row) => row[column], needs };
}

/**
 * The batch form of a row check: a kernel that judges a batch of rows from the column batches it reads (each
 * column read once per batch and shared with the other checks and profiles), writing each row's Outcome.
 */
export interface BatchCheck {
  readonly columns: readonly string[];
  /**
   * Called once per accumulator (a kernel may keep state across batches). The kernel returns how many rows were
   * not expected (0 lets the plan skip counting outcomes).
   */
  newKernel(): (batches: readonly ColumnBatch[], out: Uint8Array) => number;
}

/**
 * A per-row test. `newChecker` is called once per accumulator (so an ordered check may keep the previous value in
 * its closure). `rowLocal` says whether a row's verdict depends on that row only — only those quarantine rows in
 * pipelines; the others (ordering) are judged per window as table-level results.
 */
export interface RowCheck {
  readonly rowLocal: boolean;
  newChecker(): (row: Row) => Outcome;
  /** The value shown in `partial_unexpected_list` for an unexpected row. */
  unexpectedValue(row: Row): unknown;
  /** Why a row is unexpected, for quarantine records. */
  reason(row: Row): string;
  /** Whether missing rows count in the percent base (not_be_null and be_null judge every row). */
  readonly percentOfAll?: boolean;
  /** The same check over column batches (the plan's fast path); without it the plan calls the checker per row. */
  readonly batch?: BatchCheck;
}

/** The counts a row check accumulated. */
export interface RowCheckCounts {
  readonly elements: number;
  readonly missing: number;
  readonly unexpected: number;
  readonly partial: readonly unknown[];
}

/** What an expectation reads when it evaluates. */
export interface Metrics {
  readonly rowCount: number;
  readonly columns: readonly string[];
  profile(domain: string): ColumnProfile;
  rowCheck(): RowCheckCounts;
}

export interface Evaluation {
  success: boolean;
  result: ExpectationResultDetails;
  approximate?: boolean;
}

export interface CompiledExpectation {
  readonly config: ExpectationConfig;
  readonly profiles: readonly ProfileRequest[];
  readonly rowCheck?: RowCheck;
  /** Columns the expectation reads: a missing one makes it fail with an exception, as in GE. */
  readonly columns: readonly string[];
  evaluate(metrics: Metrics): Evaluation;
}

/** An expectation type: its GE name and a compiler from kwargs. */
export interface ExpectationType {
  readonly name: string;
  /** One line for docs and reports. */
  readonly description: string;
  compile(config: ExpectationConfig, args: Kwargs): CompiledExpectation;
}

/** Typed access to kwargs with messages that name the expectation and the argument. */
export class Kwargs {
  readonly type: string;
  readonly raw: Readonly<Record<string, unknown>>;
  constructor(type: string, raw: Readonly<Record<string, unknown>>) {
    this.type = type;
    this.raw = raw;
  }
  private fail(name: string, what: string): never {
    throw new SuiteError(`${this.type}: '${name}' ${what}, got ${JSON.stringify(this.raw[name])}`, { hint: `see the kwargs of ${this.type} in Great Expectations' gallery` });
  }
  has(name: string): boolean {
    return this.raw[name] !== undefined && this.raw[name] !== null;
  }
  string(name: string): string {
    const v = this.raw[name];
    if (typeof v !== 'string' || v === '') this.fail(name, 'must be a non-empty string');
    return v;
  }
  optionalString(name: string): string | undefined {
    return this.has(name) ? this.string(name) : undefined;
  }
  number(name: string): number {
    const v = this.raw[name];
    if (typeof v !== 'number' || Number.isNaN(v)) this.fail(name, 'must be a number');
    return v;
  }
  optionalNumber(name: string): number | undefined {
    return this.has(name) ? this.number(name) : undefined;
  }
  /** A bound: a number, or a string (dates and strings compare as strings, as pandas does). */
  optionalBound(name: string): number | string | undefined {
    if (!this.has(name)) return undefined;
    const v = this.raw[name];
    if (v instanceof Date) return v.getTime();
    if (typeof v !== 'number' && typeof v !== 'string') this.fail(name, 'must be a number or a string');
    return v;
  }
  boolean(name: string, fallback: boolean): boolean {
    if (!this.has(name)) return fallback;
    const v = this.raw[name];
    if (typeof v !== 'boolean') this.fail(name, 'must be true or false');
    return v;
  }
  list(name: string): unknown[] {
    const v = this.raw[name];
    if (!Array.isArray(v)) this.fail(name, 'must be a list');
    return v;
  }
  stringList(name: string): string[] {
    const v = this.list(name);
    if (!v.every((x) => typeof x === 'string')) this.fail(name, 'must be a list of strings');
    return v as string[];
  }
  /** GE's `mostly`: the fraction of non-missing values that must be expected (default 1). */
  mostly(): number {
    const m = this.optionalNumber('mostly') ?? 1;
    if (m < 0 || m > 1) this.fail('mostly', 'must be between 0 and 1');
    return m;
  }
  function<F>(name: string): F {
    const v = this.raw[name];
    if (typeof v !== 'function') this.fail(name, 'must be a function');
    return v as F;
  }
}

const pct = (part: number, whole: number) => (whole === 0 ? null : (part / whole) * 100);

/**
 * GE's result for map expectations: unexpected percent over non-missing values; success when the expected share
 * of non-missing values reaches `mostly` (vacuously true when every value is missing).
 */
export function mapResult(counts: RowCheckCounts, mostly: number, percentOfAll = false): Evaluation {
  const { elements, missing, unexpected } = counts;
  const nonMissing = elements - missing;
  const base = percentOfAll ? elements : nonMissing;
  const success = base === 0 ? true : (base - unexpected) / base >= mostly;
  const result: ExpectationResultDetails = {
    element_count: elements,
    unexpected_count: unexpected,
    unexpected_percent: pct(unexpected, base),
    partial_unexpected_list: counts.partial.map(resultValue),
  };
  if (!percentOfAll) {
    result.missing_count = missing;
    result.missing_percent = pct(missing, elements);
    result.unexpected_percent_total = pct(unexpected, elements);
    result.unexpected_percent_nonmissing = pct(unexpected, nonMissing);
  }
  return { success, result };
}

/**
 * GE's element/missing counts of a column (the `result` fields every column aggregate reports).
 *
 * @example
 * const result = { observed_value: 3, ...missingCounts(m.profile('amount')) };
 */
export function missingCounts(p: { readonly elements: number; readonly missing: number }): Pick<ExpectationResultDetails, 'element_count' | 'missing_count' | 'missing_percent'> {
  return { element_count: p.elements, missing_count: p.missing, missing_percent: pct(p.missing, p.elements) };
}

/** GE's metric-between test: inclusive unless strict; an absent bound does not constrain. */
export function withinBounds(observed: number | string | null | undefined, min: number | string | undefined, max: number | string | undefined, strictMin: boolean, strictMax: boolean): boolean {
  if (observed === null || observed === undefined || (typeof observed === 'number' && Number.isNaN(observed))) return false;
  if (min !== undefined && (typeof min !== typeof observed ? true : strictMin ? !(observed > min) : !(observed >= min))) return false;
  if (max !== undefined && (typeof max !== typeof observed ? true : strictMax ? !(observed < max) : !(observed <= max))) return false;
  return true;
}

/** Builds a `CompiledExpectation` for expectations that read one column. */
export function columnOf(args: Kwargs): string {
  return args.string('column');
}
