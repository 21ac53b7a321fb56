/**
 * The kwargs each expectation type accepts, as zod schemas: an unknown kwarg (a typo such as `min_vaule`, or a GE
 * kwarg Riffle does not implement such as `row_condition`) and a value of the wrong type are errors, found before
 * any data is read — never a check that silently does something else. Semantic checks that span kwargs (min ≤ max,
 * weights summing to 1) live in each expectation's compile function.
 */
import { z } from 'zod';

/**
 * Kwargs every expectation accepts: they shape the result, not the check (as in GE). Kwargs that would change a
 * check and that Riffle does not implement (`row_condition`, `allow_cross_type_comparisons`, ...) are not listed,
 * so they are refused as unknown rather than ignored.
 */
const common = {
  result_format: z.union([z.enum(['BOOLEAN_ONLY', 'BASIC', 'SUMMARY', 'COMPLETE']), z.looseObject({ result_format: z.string() })]).optional(),
  include_config: z.boolean().optional(),
  catch_exceptions: z.boolean().optional(),
};

const column = z.string().min(1);
const mostly = { mostly: z.number().min(0, 'mostly is a fraction between 0 and 1').max(1, 'mostly is a fraction between 0 and 1').optional() };
/** A bound: a number, a string (dates as ISO text, compared as dates on temporal columns), a Date in code, or null (no bound). */
const bound = z.union([z.number(), z.string(), z.date()]).nullable().optional();
const bounds = { min_value: bound, max_value: bound, strict_min: z.boolean().optional(), strict_max: z.boolean().optional() };
const numericBound = z.number().nullable().optional();
const numericBounds = { min_value: numericBound, max_value: numericBound, strict_min: z.boolean().optional(), strict_max: z.boolean().optional() };
const datetimes = { parse_strings_as_datetimes: z.boolean().optional() };
const valueSet = z.array(z.union([z.string(), z.number(), z.boolean(), z.null(), z.date()]));
const columnList = z.array(column).min(1);
const fn = z.custom<(...args: never[]) => unknown>((v) => typeof v === 'function', 'expected a function');

const k = (shape: z.ZodRawShape) => z.strictObject({ ...common, ...shape });
const map = (shape: z.ZodRawShape = {}) => k({ column, ...mostly, ...shape });

/** The kwargs schema of each expectation type, by GE name. */
export const KWARGS: Readonly<Record<string, z.ZodType>> = {
  expect_table_row_count_to_be_between: k(numericBounds),
  expect_table_row_count_to_equal: k({ value: z.number().int().min(0) }),
  expect_table_column_count_to_be_between: k(numericBounds),
  expect_table_columns_to_match_ordered_list: k({ column_list: z.array(column) }),
  expect_table_columns_to_match_set: k({ column_set: z.array(column), exact_match: z.boolean().nullable().optional() }),
  expect_column_to_exist: k({ column, column_index: z.number().int().min(0).nullable().optional() }),
  expect_column_values_to_not_be_null: map(),
  expect_column_values_to_be_null: map(),
  expect_column_values_to_be_unique: map(),
  expect_compound_columns_to_be_unique: k({ column_list: columnList, ...mostly, ignore_row_if: z.enum(['all_values_are_missing', 'any_value_is_missing', 'never']).optional() }),
  expect_column_values_to_be_in_set: map({ value_set: valueSet }),
  expect_column_values_to_not_be_in_set: map({ value_set: valueSet }),
  expect_column_values_to_be_between: map({ ...bounds, ...datetimes, output_strftime_format: z.string().nullable().optional() }),
  expect_column_values_to_be_of_type: map({ type_: z.string().min(1) }),
  expect_column_values_to_be_in_type_list: map({ type_list: z.array(z.string().min(1)).min(1) }),
  expect_column_values_to_match_regex: map({ regex: z.string() }),
  expect_column_values_to_not_match_regex: map({ regex: z.string() }),
  expect_column_values_to_match_regex_list: map({ regex_list: z.array(z.string()).min(1), match_on: z.enum(['any', 'all']).optional() }),
  expect_column_values_to_not_match_regex_list: map({ regex_list: z.array(z.string()).min(1) }),
  expect_column_values_to_match_like_pattern: map({ like_pattern: z.string() }),
  expect_column_values_to_not_match_like_pattern: map({ like_pattern: z.string() }),
  expect_column_value_lengths_to_be_between: map(numericBounds),
  expect_column_value_lengths_to_equal: map({ value: z.number().int().min(0) }),
  expect_column_values_to_be_json_parseable: map(),
  expect_column_values_to_be_dateutil_parseable: map(),
  expect_column_values_to_match_strftime_format: map({ strftime_format: z.string().min(1) }),
  expect_column_values_to_be_increasing: map({ strictly: z.boolean().nullable().optional(), ...datetimes }),
  expect_column_values_to_be_decreasing: map({ strictly: z.boolean().nullable().optional(), ...datetimes }),
  expect_column_min_to_be_between: k({ column, ...bounds, ...datetimes, output_strftime_format: z.string().nullable().optional() }),
  expect_column_max_to_be_between: k({ column, ...bounds, ...datetimes, output_strftime_format: z.string().nullable().optional() }),
  expect_column_mean_to_be_between: k({ column, ...numericBounds }),
  expect_column_median_to_be_between: k({ column, ...numericBounds }),
  expect_column_quantile_values_to_be_between: k({
    column,
    quantile_ranges: z.strictObject({ quantiles: z.array(z.number().min(0).max(1)).min(1), value_ranges: z.array(z.tuple([z.number().nullable(), z.number().nullable()])) }),
    allow_relative_error: z.union([z.boolean(), z.number(), z.string()]).optional(),
  }),
  expect_column_stdev_to_be_between: k({ column, ...numericBounds }),
  expect_column_sum_to_be_between: k({ column, ...numericBounds }),
  expect_column_unique_value_count_to_be_between: k({ column, ...numericBounds }),
  expect_column_proportion_of_unique_values_to_be_between: k({ column, ...numericBounds }),
  expect_column_distinct_values_to_be_in_set: k({ column, value_set: valueSet }),
  expect_column_distinct_values_to_equal_set: k({ column, value_set: valueSet }),
  expect_column_distinct_values_to_contain_set: k({ column, value_set: valueSet }),
  expect_column_pair_values_A_to_be_greater_than_B: k({ column_A: column, column_B: column, or_equal: z.boolean().nullable().optional(), ...mostly, ignore_row_if: z.enum(['both_values_are_missing', 'either_value_is_missing', 'neither']).optional() }),
  expect_multicolumn_sum_to_equal: k({ column_list: columnList, sum_total: z.number(), ...mostly, ignore_row_if: z.enum(['all_values_are_missing', 'any_value_is_missing', 'never']).optional() }),
  expect_column_kl_divergence_to_be_less_than: k({
    column,
    partition_object: z.union([
      z.strictObject({ values: valueSet.min(1), weights: z.array(z.number().min(0)).min(1) }),
      z.strictObject({ bins: z.array(z.number()).min(2), weights: z.array(z.number().min(0)).min(1), tail_weights: z.tuple([z.number().min(0), z.number().min(0)]).optional() }),
    ]),
    threshold: z.number().min(0).nullable().optional(),
    tail_weight_holdout: z.number().min(0).max(1).optional(),
    internal_weight_holdout: z.number().min(0).max(1).optional(),
  }),
  expect_column_parameterized_distribution_ks_test_p_value_to_be_greater_than: k({
    column,
    distribution: z.enum(['norm', 'uniform', 'expon']),
    params: z.union([z.record(z.string(), z.number()), z.array(z.number())]).nullable().optional(),
    p_value: z.number().min(0).max(1).optional(),
  }),
  expect_column_two_sample_ks_test_p_value_to_be_greater_than: k({ column, reference_sample: z.array(z.number()).min(1), p_value: z.number().min(0).max(1).optional() }),
  expect_row_to_satisfy: k({ predicate: fn, description: z.string().optional(), ...mostly, columns: z.array(column).optional() }),
};
