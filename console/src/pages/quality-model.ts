/**
 * A stored validation result (Great Expectations' JSON) as table rows: per expectation its type, column, outcome,
 * observed value and unexpected count/percent, whichever of the fields the result carries.
 */
export interface ExpectationRow {
  type: string;
  column: string | null;
  success: boolean;
  observed: string;
  unexpected: string | null;
}

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});

export function expectationRows(doc: unknown): ExpectationRow[] {
  const results = obj(doc).results;
  if (!Array.isArray(results)) return [];
  return results.map((r) => {
    const config = obj(obj(r).expectation_config);
    const kwargs = obj(config.kwargs);
    const result = obj(obj(r).result);
    const type = String(config.type ?? config.expectation_type ?? '?');
    const column = typeof kwargs.column === 'string' ? kwargs.column : Array.isArray(kwargs.column_list) ? kwargs.column_list.join(', ') : null;
    const observed = result.observed_value !== undefined ? JSON.stringify(result.observed_value) : Array.isArray(result.partial_unexpected_list) && result.partial_unexpected_list.length > 0 ? `e.g. ${JSON.stringify(result.partial_unexpected_list.slice(0, 3))}` : '';
    const n = result.unexpected_count;
    const p = result.unexpected_percent;
    const unexpected = typeof n === 'number' ? `${n}${typeof p === 'number' ? ` (${p.toFixed(p < 1 ? 2 : 1)}%)` : ''}` : null;
    return { type, column, success: obj(r).success === true, observed, unexpected };
  });
}
