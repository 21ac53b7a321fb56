/**
 * expect_column_values_to_be_increasing / _decreasing: each non-missing value compared with the previous
 * non-missing one (GE's pandas `diff()` over the non-null values; the first value is always expected). Row order
 * matters, so in pipelines these are table-level results, never a reason to quarantine a row.
 */
import { columnOf, mapResult, Outcome, type CompiledExpectation, type Kwargs, type RowCheck } from '../expectation.ts';
import type { ExpectationConfig } from '../result.ts';
import { compareUtf8, excerpt } from '../../model/index.ts';
import { isMissing, numericValue } from '../values.ts';
import { parseDatetime } from './temporal-bounds.ts';

export function monotonic(config: ExpectationConfig, args: Kwargs, direction: 1 | -1): CompiledExpectation {
  const column = columnOf(args);
  const strictly = args.boolean('strictly', false);
  const mostly = args.mostly();
  // GE's parse_strings_as_datetimes: string values compare as the datetimes they write (one that does not parse is
  // compared as text, after every datetime).
  const parseStrings = args.boolean('parse_strings_as_datetimes', false);
  const read = (v: unknown) => (parseStrings && typeof v === 'string' ? parseDatetime(v) ?? v : v);
  const order = (a0: unknown, b0: unknown): number => {
    const a = read(a0);
    const b = read(b0);
    const x = numericValue(a);
    const y = numericValue(b);
    if (x !== undefined && y !== undefined) return x - y;
    return compareUtf8(String(a), String(b)); // code point order, as Python compares strings
  };
  const rowCheck: RowCheck = {
    rowLocal: false,
    newChecker: () => {
      let previous: unknown = undefined;
      return (row) => {
        const v = row[column];
        if (isMissing(v)) return Outcome.missing;
        const prev = previous;
        previous = v;
        if (prev === undefined) return Outcome.expected;
        const d = order(v, prev) * direction;
        return (strictly ? d > 0 : d >= 0) ? Outcome.expected : Outcome.unexpected;
      };
    },
    unexpectedValue: (row) => row[column],
    reason: (row) => `${column}=${excerpt(row[column], 60)} is not ${strictly ? 'strictly ' : ''}${direction === 1 ? 'increasing' : 'decreasing'}`,
  };
  return { config, profiles: [], rowCheck, columns: [column], evaluate: (m) => mapResult(m.rowCheck(), mostly) };
}
