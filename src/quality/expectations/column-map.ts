/**
 * Builds column-map expectations: a test applied to each non-missing value of a column. Missing values are
 * excluded from the unexpected percent (GE's semantics), and `mostly` applies to the non-missing values.
 */
import { columnOf, mapResult, Outcome, type CompiledExpectation, type Kwargs, type RowCheck } from '../expectation.ts';
import type { ExpectationConfig } from '../result.ts';
import { excerpt } from '../../model/index.ts';
import { Tag } from '../column-batch.ts';
import { isMissing, type Row } from '../values.ts';

export interface ColumnMapSpec {
  /** True when the (non-missing) value is as expected. */
  test(value: unknown): boolean;
  /** Why a value is unexpected (for quarantine records), e.g. "not in [a, b]". */
  why: string;
  /** Extra `result` fields. */
  observed?: () => Record<string, unknown>;
  /** The test specialised to numbers and to strings (the batch path; both default to `test`). */
  number?: (x: number) => boolean;
  string?: (s: string) => boolean;
}

/** A column-map expectation from a value test. */
export function columnMap(config: ExpectationConfig, args: Kwargs, spec: ColumnMapSpec): CompiledExpectation {
  const column = columnOf(args);
  const mostly = args.mostly();
  const test = spec.test;
  const testNumber: (x: number) => boolean = spec.number ?? test;
  const testString: (s: string) => boolean = spec.string ?? test;
  const rowCheck: RowCheck = {
    rowLocal: true,
    newChecker: () => (row) => {
      const v = row[column];
      if (v === null || v === undefined || (typeof v === 'number' && v !== v)) return Outcome.missing;
      return test(v) ? Outcome.expected : Outcome.unexpected;
    },
    unexpectedValue: (row) => row[column],
    reason: (row) => `${column}=${excerpt(row[column], 60)} ${spec.why}`,
    batch: {
      columns: [column],
      newKernel: () => (batches, out) => {
        const { tags, nums, values, length } = batches[0]!;
        let bad = 0;
        for (let i = 0; i < length; i++) {
          const t = tags[i];
          const o = t === Tag.missing ? Outcome.missing : (t === Tag.number ? testNumber(nums[i]!) : t === Tag.string ? testString(values[i] as string) : test(values[i])) ? Outcome.expected : Outcome.unexpected;
          out[i] = o;
          if (o !== Outcome.expected) bad++;
        }
        return bad;
      },
    },
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
    batch: {
      columns: [column],
      newKernel: () => (batches, out) => {
        const { tags, length } = batches[0]!;
        let bad = 0;
        for (let i = 0; i < length; i++) {
          const o = (tags[i] === Tag.missing) === wantNull ? Outcome.expected : Outcome.unexpected;
          out[i] = o;
          bad += o;
        }
        return bad;
      },
    },
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
