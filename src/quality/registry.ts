/** Every expectation type Riffle implements, by its Great Expectations name. */
import { Kwargs, type CompiledExpectation, type ExpectationType } from './expectation.ts';
import * as agg from './expectations/aggregate.ts';
import { columnMap, nullCheck } from './expectations/column-map.ts';
import { rowPredicate } from './expectations/custom.ts';
import { klDivergenceLessThan } from './expectations/kl-divergence.ts';
import { parameterizedKsTest, twoSampleKsTest } from './expectations/ks-test.ts';
import { multicolumnSumEqual, pairGreater } from './expectations/multicolumn.ts';
import { monotonic } from './expectations/ordering.ts';
import * as table from './expectations/table.ts';
import { compoundUnique, unique } from './expectations/uniqueness.ts';
import * as v from './expectations/value-tests.ts';
import { closest, ConfigCheck, configFromValue, formatConfigIssue, type ConfigPath } from '../config/index.ts';
import { KWARGS } from './kwargs-schema.ts';
import { SuiteError } from './quality-error.ts';
import type { ExpectationConfig } from './result.ts';

type Compile = (config: ExpectationConfig, args: Kwargs) => CompiledExpectation;
const map = (spec: (args: Kwargs) => Parameters<typeof columnMap>[2]): Compile => (c, a) => columnMap(c, a, spec(a));

const TYPES: Record<string, [string, Compile]> = {
  expect_table_row_count_to_be_between: ['row count within bounds', table.rowCountBetween],
  expect_table_row_count_to_equal: ['row count equals a value', table.rowCountEqual],
  expect_table_column_count_to_be_between: ['column count within bounds', table.columnCountBetween],
  expect_table_columns_to_match_ordered_list: ['columns are exactly these, in order', table.columnsMatchOrderedList],
  expect_table_columns_to_match_set: ['columns are these (any order)', table.columnsMatchSet],
  expect_column_to_exist: ['the column exists', table.columnToExist],
  expect_column_values_to_not_be_null: ['no missing values', (c, a) => nullCheck(c, a, false)],
  expect_column_values_to_be_null: ['only missing values', (c, a) => nullCheck(c, a, true)],
  expect_column_values_to_be_unique: ['no repeated values', unique],
  expect_compound_columns_to_be_unique: ['no repeated tuples of values', compoundUnique],
  expect_column_values_to_be_in_set: ['values in a set', map((a) => v.inSet(a, false))],
  expect_column_values_to_not_be_in_set: ['values not in a set', map((a) => v.inSet(a, true))],
  expect_column_values_to_be_between: ['values within bounds', map(v.between)],
  expect_column_values_to_be_of_type: ['values of a type', map((a) => v.ofType(a, 'type_'))],
  expect_column_values_to_be_in_type_list: ['values of one of the types', map((a) => v.ofType(a, 'type_list'))],
  expect_column_values_to_match_regex: ['values match a regex (search)', map((a) => v.regex(a, false))],
  expect_column_values_to_not_match_regex: ['values do not match a regex', map((a) => v.regex(a, true))],
  expect_column_values_to_match_regex_list: ['values match any (or all) of the regexes', map((a) => v.regexList(a, false))],
  expect_column_values_to_not_match_regex_list: ['values match none of the regexes', map((a) => v.regexList(a, true))],
  expect_column_values_to_match_like_pattern: ['values match a SQL LIKE pattern', map((a) => v.like(a, false))],
  expect_column_values_to_not_match_like_pattern: ['values do not match a SQL LIKE pattern', map((a) => v.like(a, true))],
  expect_column_value_lengths_to_be_between: ['string lengths within bounds', map(v.lengthBetween)],
  expect_column_value_lengths_to_equal: ['string lengths equal a value', map(v.lengthEqual)],
  expect_column_values_to_be_json_parseable: ['values are JSON', map(v.jsonParseable)],
  expect_column_values_to_be_dateutil_parseable: ['values are dates (dateutil subset)', map(v.dateutilParseable)],
  expect_column_values_to_match_strftime_format: ['values match a strftime format', map(v.strftimeFormat)],
  expect_column_values_to_be_increasing: ['values increase in row order', (c, a) => monotonic(c, a, 1)],
  expect_column_values_to_be_decreasing: ['values decrease in row order', (c, a) => monotonic(c, a, -1)],
  expect_column_min_to_be_between: ['minimum within bounds', agg.minBetween],
  expect_column_max_to_be_between: ['maximum within bounds', agg.maxBetween],
  expect_column_mean_to_be_between: ['mean within bounds', agg.meanBetween],
  expect_column_median_to_be_between: ['median within bounds', agg.medianBetween],
  expect_column_quantile_values_to_be_between: ['quantiles within ranges', agg.quantileValuesBetween],
  expect_column_stdev_to_be_between: ['sample standard deviation within bounds', agg.stdevBetween],
  expect_column_sum_to_be_between: ['sum within bounds', agg.sumBetween],
  expect_column_unique_value_count_to_be_between: ['number of distinct values within bounds', agg.uniqueValueCountBetween],
  expect_column_proportion_of_unique_values_to_be_between: ['distinct / non-missing within bounds', agg.proportionOfUniqueValuesBetween],
  expect_column_distinct_values_to_be_in_set: ['distinct values within a set', agg.distinctValuesInSet],
  expect_column_distinct_values_to_equal_set: ['distinct values equal a set', agg.distinctValuesEqualSet],
  expect_column_distinct_values_to_contain_set: ['distinct values include a set', agg.distinctValuesContainSet],
  expect_column_pair_values_A_to_be_greater_than_B: ['column A > column B per row', pairGreater],
  expect_multicolumn_sum_to_equal: ['row sum over columns equals a total', multicolumnSumEqual],
  expect_column_kl_divergence_to_be_less_than: ['KL divergence from a categorical or binned distribution below a threshold', klDivergenceLessThan],
  expect_column_parameterized_distribution_ks_test_p_value_to_be_greater_than: ['KS test against a normal, uniform or exponential distribution: p-value above a threshold', parameterizedKsTest],
  expect_column_two_sample_ks_test_p_value_to_be_greater_than: ['two-sample KS test against a reference sample: p-value above a threshold (Riffle)', twoSampleKsTest],
  expect_row_to_satisfy: ['a row-level predicate (Riffle)', rowPredicate],
};

/** The expectation types, by GE name. */
export const expectationTypes: ReadonlyMap<string, ExpectationType> = new Map(
  Object.entries(TYPES).map(([name, [description, compile]]) => [name, { name, description, compile: (config: ExpectationConfig, args: Kwargs) => compile(config, args) }]),
);

function unknownType(type: string): SuiteError {
  const close = closest(type, expectationTypes.keys(), 3);
  return new SuiteError(`unknown expectation type '${type}'`, { hint: close.length > 0 ? `did you mean ${close.join(', ')}?` : `known types: riffle's quality.expectationTypes` });
}

/**
 * Compiles one expectation configuration: its kwargs are checked against the type's schema first (an unknown kwarg
 * or a wrong type is an error, with a did-you-mean), then the type's own checks run (min ≤ max and the like).
 */
export function compileExpectation(config: ExpectationConfig): CompiledExpectation {
  const type = expectationTypes.get(config.expectation_type);
  if (type === undefined) throw unknownType(config.expectation_type);
  const check = new ConfigCheck(configFromValue(config.kwargs ?? {}, config.expectation_type));
  check.validate(KWARGS[config.expectation_type]!);
  if (!check.ok) throw new SuiteError(check.issues.map((i) => formatConfigIssue({ ...i, path: ['kwargs', ...i.path] })).join('; '));
  return type.compile(config, new Kwargs(config.expectation_type, config.kwargs ?? {}));
}

/**
 * Checks one expectation of a configuration file at `path` (its kwargs at `path.kwargs`), reporting every problem to
 * `check` with its line; returns the compiled expectation when it is valid.
 */
export function checkExpectation(check: ConfigCheck, path: ConfigPath, config: ExpectationConfig, typeKey = 'expectation_type'): CompiledExpectation | undefined {
  const type = expectationTypes.get(config.expectation_type);
  if (type === undefined) {
    const close = closest(config.expectation_type, expectationTypes.keys(), 3);
    check.report([...path, typeKey], `unknown expectation type \`${config.expectation_type}\`${close.length > 0 ? ` (did you mean ${close.map((c) => `\`${c}\``).join(', ')}?)` : ''}`);
    return undefined;
  }
  const before = check.issues.length;
  check.validate(KWARGS[config.expectation_type]!, config.kwargs ?? {}, [...path, 'kwargs']);
  if (check.issues.length > before) return undefined;
  return check.attempt([...path, 'kwargs'], () => type.compile(config, new Kwargs(config.expectation_type, config.kwargs ?? {})));
}
