import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { expectationRows } from './quality-model.ts';

describe('validation results as expectation rows', () => {
  it('reads type, column, outcome, observed value and unexpected count from GE JSON', () => {
    const rows = expectationRows({
      success: false,
      results: [
        { success: true, expectation_config: { type: 'expect_column_values_to_not_be_null', kwargs: { column: 'id' } }, result: { element_count: 10, unexpected_count: 0, unexpected_percent: 0 } },
        { success: false, expectation_config: { expectation_type: 'expect_column_values_to_be_between', kwargs: { column: 'amount', min_value: 0 } }, result: { unexpected_count: 2, unexpected_percent: 20, partial_unexpected_list: [-1, -5] } },
        { success: true, expectation_config: { type: 'expect_table_row_count_to_be_between', kwargs: {} }, result: { observed_value: 10 } },
        { success: true, expectation_config: { type: 'expect_compound_columns_to_be_unique', kwargs: { column_list: ['a', 'b'] } }, result: {} },
      ],
    });
    assert.deepEqual(rows.map((r) => [r.type.replace('expect_', ''), r.column, r.success, r.observed, r.unexpected]), [
      ['column_values_to_not_be_null', 'id', true, '', '0 (0.00%)'],
      ['column_values_to_be_between', 'amount', false, 'e.g. [-1,-5]', '2 (20.0%)'],
      ['table_row_count_to_be_between', null, true, '10', null],
      ['compound_columns_to_be_unique', 'a, b', true, '', null],
    ]);
  });
  it('has no rows for a document without results', () => {
    assert.deepEqual(expectationRows({}), []);
    assert.deepEqual(expectationRows(null), []);
  });
});
