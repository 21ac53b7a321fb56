/** Expectations over several columns of a row: column pair A > B, and multicolumn sums. */
import { mapResult, Outcome, type CompiledExpectation, type Kwargs, type RowCheck } from '../expectation.ts';
import type { ExpectationConfig } from '../result.ts';
import { excerpt } from '../../model/index.ts';
import { Tag } from '../column-batch.ts';
import { isMissing, numericValue, resultValue, type Row } from '../values.ts';

/**
 * A > B (or ≥ with or_equal). GE's default `ignore_row_if: both_values_are_missing`: a row with one missing side
 * is unexpected (the comparison with a missing value is false).
 */
export function pairGreater(config: ExpectationConfig, args: Kwargs): CompiledExpectation {
  const a = args.string('column_A');
  const b = args.string('column_B');
  const orEqual = args.boolean('or_equal', false);
  const ignore = args.optionalString('ignore_row_if') ?? 'both_values_are_missing';
  const mostly = args.mostly();
  const bothIgnored = ignore === 'both_values_are_missing';
  const eitherIgnored = ignore === 'either_value_is_missing';
  const judge = (va: unknown, vb: unknown): Outcome => {
    const ma = isMissing(va);
    const mb = isMissing(vb);
    if (bothIgnored ? ma && mb : eitherIgnored ? ma || mb : false) return Outcome.missing;
    if (ma || mb) return Outcome.unexpected;
    const x = numericValue(va) ?? String(va);
    const y = numericValue(vb) ?? String(vb);
    return (orEqual ? x >= y : x > y) ? Outcome.expected : Outcome.unexpected;
  };
  const rowCheck: RowCheck = {
    rowLocal: true,
    newChecker: () => (row: Row) => judge(row[a], row[b]),
    batch: {
      columns: [a, b],
      newKernel: () => (batches, out) => {
        const { tags: ta, nums: xa, values: va, length } = batches[0]!;
        const { tags: tb, nums: xb, values: vb } = batches[1]!;
        let bad = 0;
        for (let i = 0; i < length; i++) {
          // A number's value is in nums (the batch's values are not written for numbers of a Float64Array).
          const o = ta[i] === Tag.number && tb[i] === Tag.number ? ((orEqual ? xa[i]! >= xb[i]! : xa[i]! > xb[i]!) ? Outcome.expected : Outcome.unexpected) : judge(ta[i] === Tag.number ? xa[i] : va[i], tb[i] === Tag.number ? xb[i] : vb[i]);
          out[i] = o;
          if (o !== Outcome.expected) bad++;
        }
        return bad;
      },
    },
    unexpectedValue: (row) => [resultValue(row[a]), resultValue(row[b])],
    reason: (row) => `${a}=${excerpt(row[a], 40)} is not ${orEqual ? '≥' : '>'} ${b}=${excerpt(row[b], 40)}`,
  };
  return { config, profiles: [], rowCheck, columns: [a, b], evaluate: (m) => mapResult(m.rowCheck(), mostly) };
}

/** The row's sum over `column_list` (missing values count as 0, pandas' skipna) equals `sum_total`. */
export function multicolumnSumEqual(config: ExpectationConfig, args: Kwargs): CompiledExpectation {
  const columns = args.stringList('column_list');
  const total = args.number('sum_total');
  const mostly = args.mostly();
  const ignore = args.optionalString('ignore_row_if') ?? 'all_values_are_missing';
  const sumOf = (row: Row) => {
    let s = 0;
    for (const c of columns) {
      const v = row[c];
      if (!isMissing(v)) s += numericValue(v) ?? NaN;
    }
    return s;
  };
  const rowCheck: RowCheck = {
    rowLocal: true,
    newChecker: () => (row: Row) => {
      let missing = 0;
      for (const c of columns) if (isMissing(row[c])) missing++;
      if ((ignore === 'all_values_are_missing' && missing === columns.length) || (ignore === 'any_value_is_missing' && missing > 0)) return Outcome.missing;
      return sumOf(row) === total ? Outcome.expected : Outcome.unexpected;
    },
    unexpectedValue: (row) => Object.fromEntries(columns.map((c) => [c, resultValue(row[c])])),
    reason: (row) => `${columns.join(' + ')} = ${sumOf(row)}, not ${total}`,
  };
  return { config, profiles: [], rowCheck, columns, evaluate: (m) => mapResult(m.rowCheck(), mostly) };
}
