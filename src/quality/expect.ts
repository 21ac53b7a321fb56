/**
 * Typed builders for expectation configurations, named after GE's types in camelCase.
 * @example expect.columnValuesToBeBetween('amount', { min_value: 0, max_value: 1e6, mostly: 0.99 })
 */
import type { ExpectationConfig } from './result.ts';
import type { Row } from './values.ts';

type Kw = Record<string, unknown>;
const e = (expectation_type: string, kwargs: Kw): ExpectationConfig => ({ expectation_type, kwargs });
interface Bounds { min_value?: number | string; max_value?: number | string; strict_min?: boolean; strict_max?: boolean }
interface Mostly { mostly?: number }

export const expect = {
  tableRowCountToBeBetween: (k: Bounds) => e('expect_table_row_count_to_be_between', { ...k }),
  tableRowCountToEqual: (value: number) => e('expect_table_row_count_to_equal', { value }),
  tableColumnsToMatchOrderedList: (column_list: string[]) => e('expect_table_columns_to_match_ordered_list', { column_list }),
  tableColumnsToMatchSet: (column_set: string[], k: { exact_match?: boolean } = {}) => e('expect_table_columns_to_match_set', { column_set, ...k }),
  columnToExist: (column: string) => e('expect_column_to_exist', { column }),
  columnValuesToNotBeNull: (column: string, k: Mostly = {}) => e('expect_column_values_to_not_be_null', { column, ...k }),
  columnValuesToBeNull: (column: string, k: Mostly = {}) => e('expect_column_values_to_be_null', { column, ...k }),
  columnValuesToBeUnique: (column: string, k: Mostly = {}) => e('expect_column_values_to_be_unique', { column, ...k }),
  compoundColumnsToBeUnique: (column_list: string[], k: Mostly = {}) => e('expect_compound_columns_to_be_unique', { column_list, ...k }),
  columnValuesToBeInSet: (column: string, value_set: unknown[], k: Mostly = {}) => e('expect_column_values_to_be_in_set', { column, value_set, ...k }),
  columnValuesToNotBeInSet: (column: string, value_set: unknown[], k: Mostly = {}) => e('expect_column_values_to_not_be_in_set', { column, value_set, ...k }),
  columnValuesToBeBetween: (column: string, k: Bounds & Mostly) => e('expect_column_values_to_be_between', { column, ...k }),
  columnValuesToBeOfType: (column: string, type_: string, k: Mostly = {}) => e('expect_column_values_to_be_of_type', { column, type_, ...k }),
  columnValuesToMatchRegex: (column: string, regex: string, k: Mostly = {}) => e('expect_column_values_to_match_regex', { column, regex, ...k }),
  columnValuesToNotMatchRegex: (column: string, regex: string, k: Mostly = {}) => e('expect_column_values_to_not_match_regex', { column, regex, ...k }),
  columnValuesToMatchRegexList: (column: string, regex_list: string[], k: Mostly & { match_on?: 'any' | 'all' } = {}) => e('expect_column_values_to_match_regex_list', { column, regex_list, ...k }),
  columnValuesToNotMatchRegexList: (column: string, regex_list: string[], k: Mostly = {}) => e('expect_column_values_to_not_match_regex_list', { column, regex_list, ...k }),
  columnValueLengthsToBeBetween: (column: string, k: Bounds & Mostly) => e('expect_column_value_lengths_to_be_between', { column, ...k }),
  columnValuesToBeJsonParseable: (column: string, k: Mostly = {}) => e('expect_column_values_to_be_json_parseable', { column, ...k }),
  columnValuesToBeDateutilParseable: (column: string, k: Mostly = {}) => e('expect_column_values_to_be_dateutil_parseable', { column, ...k }),
  columnValuesToMatchStrftimeFormat: (column: string, strftime_format: string, k: Mostly = {}) => e('expect_column_values_to_match_strftime_format', { column, strftime_format, ...k }),
  columnValuesToBeIncreasing: (column: string, k: { strictly?: boolean } & Mostly = {}) => e('expect_column_values_to_be_increasing', { column, ...k }),
  columnValuesToBeDecreasing: (column: string, k: { strictly?: boolean } & Mostly = {}) => e('expect_column_values_to_be_decreasing', { column, ...k }),
  columnMinToBeBetween: (column: string, k: Bounds) => e('expect_column_min_to_be_between', { column, ...k }),
  columnMaxToBeBetween: (column: string, k: Bounds) => e('expect_column_max_to_be_between', { column, ...k }),
  columnMeanToBeBetween: (column: string, k: Bounds) => e('expect_column_mean_to_be_between', { column, ...k }),
  columnMedianToBeBetween: (column: string, k: Bounds) => e('expect_column_median_to_be_between', { column, ...k }),
  columnStdevToBeBetween: (column: string, k: Bounds) => e('expect_column_stdev_to_be_between', { column, ...k }),
  columnSumToBeBetween: (column: string, k: Bounds) => e('expect_column_sum_to_be_between', { column, ...k }),
  columnQuantileValuesToBeBetween: (column: string, quantile_ranges: { quantiles: number[]; value_ranges: Array<[number | null, number | null]> }) =>
    e('expect_column_quantile_values_to_be_between', { column, quantile_ranges }),
  columnUniqueValueCountToBeBetween: (column: string, k: Bounds) => e('expect_column_unique_value_count_to_be_between', { column, ...k }),
  columnProportionOfUniqueValuesToBeBetween: (column: string, k: Bounds) => e('expect_column_proportion_of_unique_values_to_be_between', { column, ...k }),
  columnDistinctValuesToBeInSet: (column: string, value_set: unknown[]) => e('expect_column_distinct_values_to_be_in_set', { column, value_set }),
  columnDistinctValuesToEqualSet: (column: string, value_set: unknown[]) => e('expect_column_distinct_values_to_equal_set', { column, value_set }),
  columnDistinctValuesToContainSet: (column: string, value_set: unknown[]) => e('expect_column_distinct_values_to_contain_set', { column, value_set }),
  columnPairValuesAToBeGreaterThanB: (column_A: string, column_B: string, k: { or_equal?: boolean } & Mostly = {}) =>
    e('expect_column_pair_values_A_to_be_greater_than_B', { column_A, column_B, ...k }),
  multicolumnSumToEqual: (column_list: string[], sum_total: number, k: Mostly = {}) => e('expect_multicolumn_sum_to_equal', { column_list, sum_total, ...k }),
  columnKlDivergenceToBeLessThan: (
    column: string,
    partition_object: { values: unknown[]; weights: number[] } | { bins: number[]; weights: number[]; tail_weights?: [number, number] },
    threshold: number,
    k: { tail_weight_holdout?: number; internal_weight_holdout?: number } = {},
  ) => e('expect_column_kl_divergence_to_be_less_than', { column, partition_object, threshold, ...k }),
  /** One-sample KS test against `norm` ({ mean, std_dev }), `uniform` ({ min, max } as GE: loc, scale) or `expon` ({ loc, scale }). */
  columnParameterizedDistributionKsTestPValueToBeGreaterThan: (column: string, distribution: 'norm' | 'uniform' | 'expon', params: Record<string, number> | number[], k: { p_value?: number } = {}) =>
    e('expect_column_parameterized_distribution_ks_test_p_value_to_be_greater_than', { column, distribution, params, ...k }),
  /** Two-sample KS test of the column against a reference sample (Riffle's; p-values as scipy's ks_2samp). */
  columnTwoSampleKsTestPValueToBeGreaterThan: (column: string, reference_sample: number[], k: { p_value?: number } = {}) =>
    e('expect_column_two_sample_ks_test_p_value_to_be_greater_than', { column, reference_sample, ...k }),
  /** A row-level custom expectation: rows where `predicate` is false are unexpected (and quarantined in pipelines). */
  rowsToSatisfy: <R = Row>(description: string, predicate: (row: R) => boolean, k: Mostly & { columns?: string[] } = {}) =>
    e('expect_row_to_satisfy', { description, predicate, ...k }),
};
