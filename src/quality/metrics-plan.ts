/**
 * The metrics plan of a suite: every expectation compiled once, its profile requests merged per column (so ten
 * expectations on `amount` share one profile), and its row checks listed. An accumulator then makes ONE pass over
 * the rows, can merge with another (bundles, workers, windows) and finishes into a validation result.
 *
 * Strategy (the hot path): rows are taken in batches of 2048. Each column the suite reads is read once per batch
 * into a ColumnBatch (raw values, kind tags, numbers in a Float64Array); each profile then runs one typed loop per
 * metric over its column, and each row check a kernel over its columns that writes one outcome byte per row.
 * Outcomes are counted in a tight loop, keeping the first 20 unexpected values. Checks without a batch kernel
 * (ordering, custom predicates, multicolumn sums) are called per row. No allocation unless a value is kept.
 */
import { BATCH_SIZE, ColumnBatch } from './column-batch.ts';
import { ColumnProfile, DEFAULT_LIMITS, type ProfileLimits, type ProfileNeeds } from './column-profile.ts';
import { Outcome, type CompiledExpectation, type Metrics, type ProfileRequest, type RowCheckCounts } from './expectation.ts';
import { closest } from '../config/index.ts';
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
  readonly profiles: ReadonlyArray<{ domain: string; extract: ProfileRequest['extract']; needs: ProfileNeeds; column?: string }>;
  /** The columns read once per batch (by profiles with a plain column and by batch checks). */
  readonly batchColumns: readonly string[];
  readonly limits: ProfileLimits;
  readonly columns: readonly string[] | undefined;
  /** Index of each expectation's row check in the accumulator's counters (-1 when it has none). */
  readonly checkIndex: readonly number[];
  /**
   * The only columns a columnar pass reads (`batchColumns`) when no check or profile needs whole rows, so a reader
   * may decode just these; undefined when some do (a check without a batch kernel, a profile over a computed domain).
   */
  readonly columnarColumns: readonly string[] | undefined;

  constructor(suite: Suite, options: PlanOptions = {}) {
    this.suite = suite;
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.columns = options.columns;
    this.expectations = suite.expectations.map((e) => compileExpectation(e));
    const byDomain = new Map<string, { domain: string; extract: ProfileRequest['extract']; needs: ProfileNeeds; column?: string }>();
    for (const e of this.expectations) {
      for (const r of e.profiles) {
        const have = byDomain.get(r.domain);
        if (have === undefined) byDomain.set(r.domain, { domain: r.domain, extract: r.extract, needs: { ...r.needs }, ...(r.column !== undefined ? { column: r.column } : {}) });
        else Object.assign(have.needs, Object.fromEntries(Object.entries(r.needs).filter(([, v]) => v)));
      }
    }
    this.profiles = [...byDomain.values()];
    const columns = new Set<string>();
    for (const p of this.profiles) if (p.column !== undefined) columns.add(p.column);
    for (const e of this.expectations) for (const c of e.rowCheck?.batch?.columns ?? []) columns.add(c);
    this.batchColumns = [...columns];
    let n = 0;
    this.checkIndex = this.expectations.map((e) => (e.rowCheck ? n++ : -1));
    const rowsNeeded = this.expectations.some((e) => e.rowCheck !== undefined && e.rowCheck.batch === undefined) || this.profiles.some((p) => p.column === undefined);
    this.columnarColumns = rowsNeeded ? undefined : this.batchColumns;
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

/** One pass's state: profiles, row-check counters, row count. Rows are buffered and processed in batches. */
export class SuiteAccumulator {
  readonly plan: MetricsPlan;
  #rows = 0;
  columns: string[] | undefined;
  readonly profiles: ColumnProfile[];
  readonly checkers: Array<(row: Row) => number>;
  readonly missing: number[];
  readonly unexpected: number[];
  readonly partial: unknown[][];
  readonly #checks: CompiledExpectation[];
  /** One batch per column read, then one per profile over a computed domain. */
  readonly #batches: ColumnBatch[];
  /** Per profile: its batch. */
  readonly #profileBatch: ColumnBatch[];
  /** Per profile over a computed domain: its extract (undefined for plain columns). */
  readonly #extracts: Array<((row: Row) => unknown) | undefined>;
  /** Per check: its kernel and the batches it reads (undefined: called per row). */
  readonly #kernels: Array<((batches: readonly ColumnBatch[], out: Uint8Array) => number) | undefined>;
  readonly #kernelBatches: ColumnBatch[][];
  readonly #outcomes = new Uint8Array(BATCH_SIZE);
  #pending: Row[] = [];

  constructor(plan: MetricsPlan) {
    this.plan = plan;
    this.columns = plan.columns ? [...plan.columns] : undefined;
    this.profiles = plan.profiles.map((p) => new ColumnProfile(p.needs, plan.limits));
    const byColumn = new Map(plan.batchColumns.map((c) => [c, new ColumnBatch()]));
    this.#batches = [...byColumn.values()];
    this.#extracts = plan.profiles.map((p) => (p.column === undefined ? p.extract : undefined));
    this.#profileBatch = plan.profiles.map((p) => {
      if (p.column !== undefined) return byColumn.get(p.column)!;
      const own = new ColumnBatch();
      this.#batches.push(own);
      return own;
    });
    this.#checks = plan.expectations.filter((e) => e.rowCheck !== undefined);
    this.checkers = this.#checks.map((e) => e.rowCheck!.newChecker());
    this.#kernels = this.#checks.map((e) => e.rowCheck!.batch?.newKernel());
    this.#kernelBatches = this.#checks.map((e) => (e.rowCheck!.batch?.columns ?? []).map((c) => byColumn.get(c)!));
    this.missing = this.#checks.map(() => 0);
    this.unexpected = this.#checks.map(() => 0);
    this.partial = this.#checks.map(() => []);
  }

  /** Rows added so far. */
  get rowCount(): number {
    return this.#rows + this.#pending.length;
  }

  /** Adds one row (buffered: rows must not be mutated after they are added). */
  add(row: Row): void {
    const pending = this.#pending;
    pending.push(row);
    if (pending.length === BATCH_SIZE) this.#flush();
  }

  /** Adds every row of an iterable (arrays are read in place, batch by batch). */
  addAll(rows: Iterable<Row>): this {
    if (Array.isArray(rows)) {
      this.#flush();
      const all = rows as readonly Row[];
      for (let start = 0; start < all.length; start += BATCH_SIZE) this.#process(all, start, Math.min(all.length, start + BATCH_SIZE));
      this.#release();
    } else for (const row of rows) this.add(row);
    return this;
  }

  #flush(): void {
    const pending = this.#pending;
    if (pending.length === 0) return;
    this.#pending = [];
    this.#process(pending, 0, pending.length);
  }

  /** Drops the batches' references to rows' values. */
  #release(): void {
    for (const b of this.#batches) b.clear();
  }

  /** Runs every profile and check over rows[start, end). */
  #process(rows: readonly Row[], start: number, end: number): void {
    if (start >= end) return;
    if (this.columns === undefined) this.columns = Object.keys(rows[start]!);
    const columns = this.plan.batchColumns;
    for (let c = 0; c < columns.length; c++) this.#batches[c]!.fillColumn(rows, start, end, columns[c]!);
    this.#compute(end - start, (j) => rows[start + j]!, rows, start);
  }

  /**
   * Adds rows given as columns — `data[c][i]` is the value of column `names[c]` in row i, for i < length — without
   * building row objects when the suite needs none (every check has a batch kernel and every profile reads a plain
   * column): the path of columnar sources (Parquet, Delta, CSV). Otherwise rows are built batch by batch.
   */
  addColumns(names: readonly string[], data: ReadonlyArray<ArrayLike<unknown>>, length: number): this {
    this.#flush();
    if (this.columns === undefined) this.columns = [...names];
    const index = new Map(names.map((n, i) => [n, i]));
    const rowAt = (i: number): Row => {
      const row: Record<string, unknown> = {};
      for (let c = 0; c < names.length; c++) row[names[c]!] = data[c]![i] ?? null;
      return row;
    };
    if (this.#needsRows) {
      for (let start = 0; start < length; start += BATCH_SIZE) {
        const end = Math.min(length, start + BATCH_SIZE);
        const rows: Row[] = new Array(end - start);
        for (let i = start; i < end; i++) rows[i - start] = rowAt(i);
        this.#process(rows, 0, rows.length);
      }
      this.#release();
      return this;
    }
    const columns = this.plan.batchColumns;
    const sources = columns.map((c) => {
      const k = index.get(c);
      return k === undefined ? undefined : data[k]!;
    });
    for (let start = 0; start < length; start += BATCH_SIZE) {
      const end = Math.min(length, start + BATCH_SIZE);
      for (let c = 0; c < columns.length; c++) this.#batches[c]!.fillArray(sources[c], start, end);
      this.#compute(end - start, (j) => rowAt(start + j));
    }
    this.#release();
    return this;
  }

  /** Whether some check or profile reads whole rows (no batch kernel, or a computed domain). */
  get #needsRows(): boolean {
    return this.#kernels.some((k) => k === undefined) || this.#extracts.some((e) => e !== undefined);
  }

  /**
   * Runs profiles and checks over the batches just filled (n rows). `rowAt(j)` gives row j of the batch (built on
   * demand for the partial lists); `rows`/`start` are the rows themselves when the batch came as rows.
   */
  #compute(n: number, rowAt: (j: number) => Row, rows?: readonly Row[], start = 0): void {
    const base = this.#rows;
    this.#rows += n;
    const profiles = this.profiles;
    for (let p = 0; p < profiles.length; p++) {
      const extract = this.#extracts[p];
      const batch = this.#profileBatch[p]!;
      if (extract !== undefined) batch.fillExtract(rows!, start, start + n, extract);
      profiles[p]!.addBatch(batch, base);
    }
    const out = this.#outcomes;
    for (let i = 0; i < this.#kernels.length; i++) {
      const kernel = this.#kernels[i];
      let bad = 0;
      if (kernel !== undefined) bad = kernel(this.#kernelBatches[i]!, out);
      else {
        const check = this.checkers[i]!;
        for (let j = 0; j < n; j++) if ((out[j] = check(rows![start + j]!)) !== Outcome.expected) bad++;
      }
      if (bad === 0) continue;
      let missing = 0;
      let unexpected = 0;
      for (let j = 0; j < n; j++) {
        const o = out[j];
        if (o === Outcome.expected) continue;
        if (o === Outcome.missing) missing++;
        else {
          unexpected++;
          const partial = this.partial[i]!;
          if (partial.length < PARTIAL) partial.push(this.#checks[i]!.rowCheck!.unexpectedValue(rowAt(j)));
        }
      }
      this.missing[i]! += missing;
      this.unexpected[i]! += unexpected;
    }
  }

  /** Folds another accumulator of the same plan into this one. */
  merge(other: SuiteAccumulator): this {
    this.#flush();
    other.#flush();
    this.#rows += other.#rows;
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
    this.#flush();
    this.#release();
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
      if (absent.length > 0) {
        const found = columns.length === 0 ? 'no columns were found (is it a data file of a known format, or a Delta table?)' : `columns found: ${columns.slice(0, 20).join(', ')}${columns.length > 20 ? `, ... (${columns.length})` : ''}`;
        return failed(e, `column "${absent[0]}" does not exist in the data${closestColumn(absent[0]!, columns)}; ${found}`);
      }
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

/** ` (did you mean "x"?)` for a missing column, or ''. */
function closestColumn(name: string, columns: readonly string[]): string {
  const best = closest(name, columns, 1);
  return best.length > 0 ? ` (did you mean "${best[0]}"?)` : '';
}
