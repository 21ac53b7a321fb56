/**
 * Builds column-map expectations: a test applied to each non-missing value of a column. Missing values are
 * excluded from the unexpected percent (GE's semantics), and `mostly` applies to the non-missing values.
 */
import { columnOf, mapResult, Outcome, type CompiledExpectation, type Kwargs, type RowCheck } from '../expectation.ts';
import type { ExpectationConfig } from '../result.ts';
import { excerpt } from '../../model/index.ts';
import { isMissing, type Row } from '../values.ts';

export interface ColumnMapSpec {
  /** True when the (non-missing) value is as expected. */
  test(value: unknown): boolean;
  /** Why a value is unexpected (for quarantine records), e.g. "not in [a, b]". */
  why: string;
  /** Extra `result` fields. */
  observed?: () => Record<string, unknown>;
}

/** A column-map expectation from a value test. */
export function columnMap(config: ExpectationConfig, args: Kwargs, spec: ColumnMapSpec): CompiledExpectation {
  const column = columnOf(args);
  const mostly = args.mostly();
  const test = spec.test;
  const rowCheck: RowCheck = {
    rowLocal: true,
    newChecker: () => (row) => {
      const v = row[column];
      if (v === null || v === undefined || (typeof v === 'number' && v !== v)) return Outcome.missing;
      return test(v) ? Outcome.expected : Outcome.unexpected;
    },
    unexpectedValue: (row) => row[column],
    reason: (row) => `${column}=${excerpt(row[column], 60)} ${spec.why}`,
  };
  return {
    config,
    profiles: [],
    rowCheck,
    columns: [column],
    evaluate: (m) => mapResult(m.rowCheck(), mostly),
  };
}

/** not_be_null / be_null: every row is judged; GE leaves the partial list empty for these two. */
export function nullCheck(config: ExpectationConfig, args: Kwargs, wantNull: boolean): CompiledExpectation {
  const column = columnOf(args);
  const mostly = args.mostly();
  const rowCheck: RowCheck = {
    rowLocal: true,
    percentOfAll: true,
    newChecker: () => (row: Row) => (isMissing(row[column]) === wantNull ? Outcome.expected : Outcome.unexpected),
    unexpectedValue: (row) => row[column],
    reason: (row) => (wantNull ? `${column}=${excerpt(row[column], 60)} is not null` : `${column} is null`),
  };
  return {
    config,
    profiles: [],
    rowCheck,
    columns: [column],
    evaluate: (m) => {
      const counts = m.rowCheck();
      const out = mapResult({ ...counts, partial: [] }, mostly, true);
      out.result.unexpected_percent_total = out.result.unexpected_percent;
      return out;
    },
  };
}
