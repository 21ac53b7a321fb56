/**
 * The shapes of configurations and results, in Great Expectations' vocabulary (snake_case keys on purpose: suites
 * and results are exchanged with GE users and tools, and read the same on both sides).
 */

/** One expectation as stored in a suite: `{ expectation_type, kwargs, meta }`. */
export interface ExpectationConfig {
  readonly expectation_type: string;
  readonly kwargs: Readonly<Record<string, unknown>>;
  readonly meta?: Readonly<Record<string, unknown>>;
}

/**
 * The `result` object of one expectation. Column-map expectations fill the counts; aggregate expectations fill
 * `observed_value`. Percentages are 0–100 as in GE.
 */
export interface ExpectationResultDetails {
  observed_value?: unknown;
  element_count?: number;
  missing_count?: number;
  missing_percent?: number | null;
  unexpected_count?: number;
  /** unexpected / non-missing × 100 (GE's `unexpected_percent`, missing values excluded). */
  unexpected_percent?: number | null;
  /** unexpected / all rows × 100. */
  unexpected_percent_total?: number | null;
  unexpected_percent_nonmissing?: number | null;
  /** The first (up to 20) unexpected values, in row order. */
  partial_unexpected_list?: unknown[];
  details?: Record<string, unknown>;
}

/** The outcome of one expectation. `approximate` is Riffle's: set when a sketch stood in for an exact metric. */
export interface ExpectationResult {
  success: boolean;
  expectation_config: ExpectationConfig;
  result: ExpectationResultDetails;
  exception_info: { raised_exception: boolean; exception_message: string | null };
  approximate?: boolean;
}

/** Counts over a validation, as GE's `statistics`. */
export interface ValidationStatistics {
  evaluated_expectations: number;
  successful_expectations: number;
  unsuccessful_expectations: number;
  success_percent: number | null;
}

/** The result of validating rows with a suite. */
export interface ValidationResult {
  success: boolean;
  results: ExpectationResult[];
  statistics: ValidationStatistics;
  meta: {
    expectation_suite_name: string;
    run_id?: string;
    validation_time: string;
    /** Rows read. */
    row_count: number;
    /** Riffle's: whether any result used a sketch. */
    approximate: boolean;
    [k: string]: unknown;
  };
}

/** Builds GE's `statistics` from results. */
export function statisticsOf(results: readonly ExpectationResult[]): ValidationStatistics {
  const successful = results.filter((r) => r.success).length;
  return {
    evaluated_expectations: results.length,
    successful_expectations: successful,
    unsuccessful_expectations: results.length - successful,
    success_percent: results.length === 0 ? null : (successful / results.length) * 100,
  };
}
