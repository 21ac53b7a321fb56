/**
 * The metrics plan of a suite: every expectation compiled once, its profile requests merged per column (so ten
 * expectations on `amount` share one profile), and its row checks listed. An accumulator then makes ONE pass over
 * the rows, can merge with another (bundles, workers, windows) and finishes into a validation result.
 *
 * Strategy per row (the hot path): for each profile, extract the value and add it; for each row check, call its
 * checker and count the outcome, keeping the first 20 unexpected values. No allocation unless a value is kept.
 */
import { ColumnProfile, DEFAULT_LIMITS, type ProfileLimits, type ProfileNeeds } from './column-profile.ts';
import { Outcome, type CompiledExpectation, type Metrics, type ProfileRequest, type RowCheckCounts } from './expectation.ts';
import { compileExpectation } from './registry.ts';
import { statisticsOf, type ExpectationResult, type ValidationResult } from './result.ts';
import type { Suite } from './suite.ts';
import type { Row } from './values.ts';

const PARTIAL = 20;

/** A failed row-level expectation for one row, as quarantine records carry it. */
export interface RowFailure {
  readonly expectation: string;
  readonly column?: string;
  readonly reason: string;
}

export interface PlanOptions {
  readonly limits?: Partial<ProfileLimits>;
  /** The table's columns in order (default: the keys of the first row). */
  readonly columns?: readonly string[];
}

/** A compiled suite: build once, then `newAccumulator()` per pass. */
export class MetricsPlan {
  readonly suite: Suite;
  readonly expectations: readonly CompiledExpectation[];
  readonly profiles: ReadonlyArray<{ domain: string; extract: ProfileRequest['extract']; needs: ProfileNeeds }>;
  readonly limits: ProfileLimits;
  readonly columns: readonly string[] | undefined;
  /** Index of each expectation's row check in the accumulator's counters (-1 when it has none). */
  readonly checkIndex: readonly number[];

  constructor(suite: Suite, options: PlanOptions = {}) {
    this.suite = suite;
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.columns = options.columns;
    this.expectations = suite.expectations.map((e) => compileExpectation(e));
    const byDomain = new Map<string, { domain: string; extract: ProfileRequest['extract']; needs: ProfileNeeds }>();
    for (const e of this.expectations) {
      for (const r of e.profiles) {
        const have = byDomain.get(r.domain);
        if (have === undefined) byDomain.set(r.domain, { domain: r.domain, extract: r.extract, needs: { ...r.needs } });
        else Object.assign(have.needs, Object.fromEntries(Object.entries(r.needs).filter(([, v]) => v)));
      }
    }
    this.profiles = [...byDomain.values()];
    let n = 0;
    this.checkIndex = this.expectations.map((e) => (e.rowCheck ? n++ : -1));
  }

  newAccumulator(): SuiteAccumulator {
    return new SuiteAccumulator(this);
  }

  /**
   * The row-local expectations a row fails (empty when it passes): what quarantines a row in a pipeline.
   * Ordering expectations and aggregates are not row-local and never appear here.
   */
  rowFailures(row: Row): RowFailure[] {
    let failures: RowFailure[] | undefined;
    const checkers = (this.#rowCheckers ??= this.expectations.map((e) => (e.rowCheck?.rowLocal ? e.rowCheck.newChecker() : undefined)));
    for (let i = 0; i < checkers.length; i++) {
      const check = checkers[i];
      if (check === undefined || check(row) !== Outcome.unexpected) continue;
      const e = this.expectations[i]!;
      const column = e.config.kwargs.column;
      (failures ??= []).push({ expectation: e.config.expectation_type, ...(typeof column === 'string' ? { column } : {}), reason: e.rowCheck!.reason(row) });
    }
    return failures ?? [];
  }
  #rowCheckers: Array<((row: Row) => number) | undefined> | undefined;
}

/** One pass's state: profiles, row-check counters, row count. */
export class SuiteAccumulator {
  readonly plan: MetricsPlan;
  rowCount = 0;
  columns: string[] | undefined;
  readonly profiles: ColumnProfile[];
  readonly checkers: Array<(row: Row) => number>;
  readonly checkOfs: number[];
  readonly missing: number[];
  readonly unexpected: number[];
  readonly partial: unknown[][];
  readonly #extracts: Array<(row: Row) => unknown>;

  constructor(plan: MetricsPlan) {
    this.plan = plan;
    this.columns = plan.columns ? [...plan.columns] : undefined;
    this.profiles = plan.profiles.map((p) => new ColumnProfile(p.needs, plan.limits));
    this.#extracts = plan.profiles.map((p) => p.extract);
    const withChecks = plan.expectations.filter((e) => e.rowCheck !== undefined);
    this.checkers = withChecks.map((e) => e.rowCheck!.newChecker());
    this.checkOfs = withChecks.map((_, i) => i);
    this.missing = withChecks.map(() => 0);
    this.unexpected = withChecks.map(() => 0);
    this.partial = withChecks.map(() => []);
  }

  /** Adds one row. */
  add(row: Row): void {
    if (this.columns === undefined) this.columns = Object.keys(row);
    const index = this.rowCount++;
    const profiles = this.profiles;
    const extracts = this.#extracts;
    for (let i = 0; i < profiles.length; i++) profiles[i]!.add(extracts[i]!(row), index);
    const checkers = this.checkers;
    for (let i = 0; i < checkers.length; i++) {
      const outcome = checkers[i]!(row);
      if (outcome === Outcome.expected) continue;
      if (outcome === Outcome.missing) this.missing[i]!++;
      else {
        this.unexpected[i]!++;
        const partial = this.partial[i]!;
        if (partial.length < PARTIAL) partial.push(this.#checkExpectation(i).rowCheck!.unexpectedValue(row));
      }
    }
  }

  /** Adds every row of an iterable. */
  addAll(rows: Iterable<Row>): this {
    for (const row of rows) this.add(row);
    return this;
  }

  #checkExpectation(i: number): CompiledExpectation {
    return this.plan.expectations[this.plan.checkIndex.indexOf(i)]!;
  }

  /** Folds another accumulator of the same plan into this one. */
  merge(other: SuiteAccumulator): this {
    this.rowCount += other.rowCount;
    this.columns ??= other.columns;
    for (let i = 0; i < this.profiles.length; i++) this.profiles[i]!.merge(other.profiles[i]!);
    for (let i = 0; i < this.checkers.length; i++) {
      this.missing[i]! += other.missing[i]!;
      this.unexpected[i]! += other.unexpected[i]!;
      const partial = this.partial[i]!;
      for (const v of other.partial[i]!) if (partial.length < PARTIAL) partial.push(v);
    }
    return this;
  }

  /** Evaluates every expectation. */
  finish(meta: { run_id?: string; [k: string]: unknown } = {}): ValidationResult {
    const plan = this.plan;
    const columns = this.columns ?? [];
    const domains = new Map(plan.profiles.map((p, i) => [p.domain, this.profiles[i]!]));
    const results: ExpectationResult[] = plan.expectations.map((e, i) => {
      const ci = plan.checkIndex[i]!;
      const metrics: Metrics = {
        rowCount: this.rowCount,
        columns,
        profile: (domain) => domains.get(domain)!,
        rowCheck: (): RowCheckCounts => ({ elements: this.rowCount, missing: this.missing[ci]!, unexpected: this.unexpected[ci]!, partial: this.partial[ci]! }),
      };
      const absent = this.columns === undefined && this.rowCount === 0 ? [] : e.columns.filter((c) => !columns.includes(c));
      if (absent.length > 0) return failed(e, `The column "${absent[0]}" in BatchData does not exist.`);
      try {
        const { success, result, approximate } = e.evaluate(metrics);
        return { success, expectation_config: e.config, result, exception_info: { raised_exception: false, exception_message: null }, ...(approximate ? { approximate: true } : {}) };
      } catch (err) {
        return failed(e, err instanceof Error ? err.message : String(err));
      }
    });
    const statistics = statisticsOf(results);
    return {
      success: results.every((r) => r.success),
      results,
      statistics,
      meta: {
        expectation_suite_name: plan.suite.expectation_suite_name,
        validation_time: new Date().toISOString(),
        row_count: this.rowCount,
        approximate: results.some((r) => r.approximate === true),
        ...meta,
      },
    };
  }
}

function failed(e: CompiledExpectation, message: string): ExpectationResult {
  return { success: false, expectation_config: e.config, result: {}, exception_info: { raised_exception: true, exception_message: message } };
}
