/** Table-level expectations: row counts and the set and order of columns. */
import { type CompiledExpectation, type Kwargs, withinBounds } from '../expectation.ts';
import { SuiteError } from '../quality-error.ts';
import type { ExpectationConfig } from '../result.ts';

export function rowCountBetween(config: ExpectationConfig, args: Kwargs): CompiledExpectation {
  const min = args.optionalNumber('min_value');
  const max = args.optionalNumber('max_value');
  if (min === undefined && max === undefined) throw new SuiteError(`${args.type}: give min_value, max_value or both`);
  const strictMin = args.boolean('strict_min', false);
  const strictMax = args.boolean('strict_max', false);
  if (min !== undefined && max !== undefined && (min > max || (min === max && (strictMin || strictMax)))) throw new SuiteError(`${args.type}: no row count can be within [${min}, ${max}]${strictMin || strictMax ? ' with strict bounds' : ''}`, { hint: 'min_value must be below max_value' });
  return { config, profiles: [], columns: [], evaluate: (m) => ({ success: withinBounds(m.rowCount, min, max, strictMin, strictMax), result: { observed_value: m.rowCount } }) };
}

export function rowCountEqual(config: ExpectationConfig, args: Kwargs): CompiledExpectation {
  const value = args.number('value');
  return { config, profiles: [], columns: [], evaluate: (m) => ({ success: m.rowCount === value, result: { observed_value: m.rowCount } }) };
}

export function columnCountBetween(config: ExpectationConfig, args: Kwargs): CompiledExpectation {
  const min = args.optionalNumber('min_value');
  const max = args.optionalNumber('max_value');
  return { config, profiles: [], columns: [], evaluate: (m) => ({ success: withinBounds(m.columns.length, min, max, false, false), result: { observed_value: m.columns.length } }) };
}

export function columnsMatchOrderedList(config: ExpectationConfig, args: Kwargs): CompiledExpectation {
  const expected = args.stringList('column_list');
  return {
    config,
    profiles: [],
    columns: [],
    evaluate: (m) => {
      const observed = [...m.columns];
      const mismatched: Array<Record<string, string | number | null>> = [];
      for (let i = 0; i < Math.max(observed.length, expected.length); i++) {
        if (observed[i] !== expected[i]) mismatched.push({ 'Expected Column Position': i, Expected: expected[i] ?? null, Found: observed[i] ?? null });
      }
      return { success: mismatched.length === 0, result: { observed_value: observed, ...(mismatched.length > 0 ? { details: { mismatched } } : {}) } };
    },
  };
}

export function columnsMatchSet(config: ExpectationConfig, args: Kwargs): CompiledExpectation {
  const expected = args.stringList('column_set');
  const exact = args.boolean('exact_match', true);
  return {
    config,
    profiles: [],
    columns: [],
    evaluate: (m) => {
      const observed = [...m.columns];
      const unexpected = observed.filter((c) => !expected.includes(c));
      const missing = expected.filter((c) => !observed.includes(c));
      const success = missing.length === 0 && (!exact || unexpected.length === 0);
      const mismatched: Record<string, string[]> = {};
      if (unexpected.length > 0) mismatched.unexpected = unexpected;
      if (missing.length > 0) mismatched.missing = missing;
      return { success, result: { observed_value: observed.sort(), ...(Object.keys(mismatched).length > 0 ? { details: { mismatched } } : {}) } };
    },
  };
}

export function columnToExist(config: ExpectationConfig, args: Kwargs): CompiledExpectation {
  const column = args.string('column');
  const index = args.optionalNumber('column_index');
  return {
    config,
    profiles: [],
    columns: [],
    evaluate: (m) => ({ success: index === undefined ? m.columns.includes(column) : m.columns[index] === column, result: {} }),
  };
}
