/**
 * Row-level custom expectations (Riffle's, no GE equivalent in a suite file): `expect_row_to_satisfy` with a
 * `predicate(row)` and a `description`. A row where the predicate returns false (or throws) is unexpected; in
 * pipelines it is quarantined with the description as its reason. Build them in code with `expect.rowsToSatisfy`.
 */
import { mapResult, Outcome, type CompiledExpectation, type Kwargs, type RowCheck } from '../expectation.ts';
import type { ExpectationConfig } from '../result.ts';
import type { Row } from '../values.ts';

export function rowPredicate(config: ExpectationConfig, args: Kwargs): CompiledExpectation {
  const predicate = args.function<(row: Row) => boolean>('predicate');
  const description = args.optionalString('description') ?? 'row predicate';
  const mostly = args.mostly();
  const columns = args.has('columns') ? args.stringList('columns') : [];
  const test = (row: Row) => {
    try {
      return predicate(row) === true;
    } catch {
      return false;
    }
  };
  const rowCheck: RowCheck = {
    rowLocal: true,
    newChecker: () => (row) => (test(row) ? Outcome.expected : Outcome.unexpected),
    unexpectedValue: (row) => row,
    reason: () => `fails '${description}'`,
  };
  return { config, profiles: [], rowCheck, columns, evaluate: (m) => mapResult(m.rowCheck(), mostly) };
}
