/**
 * Uniqueness: every occurrence of a repeated value (or tuple of values) is unexpected, as in GE. Computed from the
 * shared profile's counts (exact within the distinct budget, estimated past it), so it adds no second pass.
 */
import { columnOf, columnProfile, mapResult, type CompiledExpectation, type Kwargs } from '../expectation.ts';
import type { ExpectationConfig } from '../result.ts';
import { isMissing, valueKey, type Row } from '../values.ts';

export function unique(config: ExpectationConfig, args: Kwargs): CompiledExpectation {
  const column = columnOf(args);
  const mostly = args.mostly();
  return {
    config,
    columns: [column],
    profiles: [columnProfile(column, { duplicates: true })],
    evaluate: (m) => {
      const p = m.profile(column);
      const d = p.duplicates();
      const out = mapResult({ elements: p.elements, missing: p.missing, unexpected: d.unexpected, partial: d.partial }, mostly);
      if (d.approximate) out.approximate = true;
      return out;
    },
  };
}

/** GE's default `ignore_row_if: all_values_are_missing`; a tuple with some missing values is still compared. */
export function compoundUnique(config: ExpectationConfig, args: Kwargs): CompiledExpectation {
  const columns = args.stringList('column_list');
  const mostly = args.mostly();
  const ignore = (args.optionalString('ignore_row_if') ?? 'all_values_are_missing') as 'all_values_are_missing' | 'any_value_is_missing' | 'never';
  const domain = `(${columns.join(',')})`;
  const extract = (row: Row): unknown => {
    let missing = 0;
    let key = '';
    for (let i = 0; i < columns.length; i++) {
      const v = row[columns[i]!];
      if (isMissing(v)) missing++;
      const k = valueKey(v);
      key += `${typeof k === 'string' ? 's' : 'n'}${String(k)}\u0001`;
    }
    if ((ignore === 'all_values_are_missing' && missing === columns.length) || (ignore === 'any_value_is_missing' && missing > 0)) return null;
    return key;
  };
  return {
    config,
    columns,
    profiles: [{ domain, extract, needs: { duplicates: true } }],
    evaluate: (m) => {
      const p = m.profile(domain);
      const d = p.duplicates();
      const partial = d.partial.map((k) => decodeTuple(String(k), columns));
      const out = mapResult({ elements: p.elements, missing: p.missing, unexpected: d.unexpected, partial }, mostly);
      if (d.approximate) out.approximate = true;
      return out;
    },
  };
}

function decodeTuple(key: string, columns: readonly string[]): Record<string, unknown> {
  const parts = key.split('\u0001');
  const out: Record<string, unknown> = {};
  columns.forEach((c, i) => {
    const part = parts[i] ?? '';
    const body = part.slice(1);
    out[c] = part[0] === 's' ? body : body === 'null' || body === 'undefined' || body === 'NaN' ? null : body === 'true' || body === 'false' ? body === 'true' : Number(body);
  });
  return out;
}
