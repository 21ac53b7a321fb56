/**
 * Builds column-map expectations: a test applied to each non-missing value of a column. Missing values are
 * excluded from the unexpected percent (GE's semantics), and `mostly` applies to the non-missing values.
 */
import { columnOf, mapResult, Outcome, type CompiledExpectation, type Kwargs, type RowCheck } from '../expectation.ts';
import type { ExpectationConfig } from '../result.ts';
import { excerpt } from '../../model/index.ts';
import { Tag, type ColumnBatch } from '../column-batch.ts';
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

type Kernel = (batches: readonly ColumnBatch[], out: Uint8Array) => number;

/** The batch loop of a column-map expectation (the generic form; `mapKernel` compiles one per expectation). */
const KERNEL_SOURCE = `return function columnMapKernel(batches, out) {
  const b = batches[0];
  const tags = b.tags, nums = b.nums, values = b.values, length = b.length;
  let bad = 0;
  for (let i = 0; i < length; i++) {
    const t = tags[i];
    const o = t === MISSING_TAG ? MISSING : (t === NUMBER_TAG ? testNumber(nums[i]) : t === STRING_TAG ? testString(values[i]) : test(values[i])) ? EXPECTED : UNEXPECTED;
    out[i] = o;
    if (o !== EXPECTED) bad++;
  }
  return bad;
};`;

/**
 * The batch loop of one column-map expectation, compiled for it alone: a loop shared by every expectation calls a
 * different test at the same call site (megamorphic: no inlining, a dispatch per value), one of its own calls one
 * test, which V8 inlines. Where code generation is disabled, a shared closure (same results).
 */
function mapKernel(testNumber: (x: number) => boolean, testString: (s: string) => boolean, test: (v: unknown) => boolean): Kernel {
  try {
    const make = new Function('testNumber', 'testString', 'test', 'MISSING_TAG', 'NUMBER_TAG', 'STRING_TAG', 'MISSING', 'EXPECTED', 'UNEXPECTED', KERNEL_SOURCE) as (...args: unknown[]) => Kernel;
    return make(testNumber, testString, test, Tag.missing, Tag.number, Tag.string, Outcome.missing, Outcome.expected, Outcome.unexpected);
  } catch {
    return (batches, out) => {
      const { tags, nums, values, length } = batches[0]!;
      let bad = 0;
      for (let i = 0; i < length; i++) {
        const t = tags[i];
        const o = t === Tag.missing ? Outcome.missing : (t === Tag.number ? testNumber(nums[i]!) : t === Tag.string ? testString(values[i] as string) : test(values[i])) ? Outcome.expected : Outcome.unexpected;
        out[i] = o;
        if (o !== Outcome.expected) bad++;
      }
      return bad;
    };
  }
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
      newKernel: () => mapKernel(testNumber, testString, test),
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
