/**
 * A JSON answer as table rows: the first array found (the document itself or one of its fields), one column per
 * field of its objects (in order of first appearance), values as short text. At most `max` rows.
 */
export function rowsOf(doc: unknown, max = 500): { columns: string[]; rows: string[][]; total: number } {
  const list = Array.isArray(doc) ? doc : doc !== null && typeof doc === 'object' ? Object.values(doc).find(Array.isArray) : undefined;
  if (list === undefined) return { columns: [], rows: [], total: 0 };
  const columns: string[] = [];
  const seen = new Set<string>();
  for (const item of list.slice(0, max)) {
    if (item !== null && typeof item === 'object' && !Array.isArray(item)) {
      for (const k of Object.keys(item)) {
        if (seen.has(k)) continue;
        seen.add(k);
        columns.push(k);
      }
    }
  }
  if (columns.length === 0) return { columns: ['value'], rows: list.slice(0, max).map((v) => [text(v)]), total: list.length };
  const rows = list.slice(0, max).map((item) => columns.map((c) => (item !== null && typeof item === 'object' ? text((item as Record<string, unknown>)[c]) : '')));
  return { columns, rows, total: list.length };
}

function text(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  const s = JSON.stringify(v);
  return s.length > 200 ? `${s.slice(0, 199)}…` : s;
}
