/**
 * How `riffle sql` prints a result: an aligned table (numbers right-aligned, NULL spelled out), CSV (RFC 4180, a
 * header line, NULL as an empty field) or JSON (one array of row objects).
 */
import type { QueryResult } from '../sql/index.ts';

/** The output formats. */
export type SqlFormat = 'table' | 'csv' | 'json';

const NUMERIC = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|DOUBLE|DECIMAL)/;

function text(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** The rows as objects (a later column of the same name wins, as in DuckDB's JSON output). */
export function rowObjects(result: QueryResult): Record<string, unknown>[] {
  return result.rows.map((r) => Object.fromEntries(result.columns.map((c, i) => [c.name, r[i]])));
}

/**
 * The result in `format`.
 *
 * @example
 * formatResult(result, 'csv'); // 'id,name\n1,a'
 */
export function formatResult(result: QueryResult, format: SqlFormat): string {
  if (format === 'json') return JSON.stringify(rowObjects(result), null, 2);
  if (format === 'csv') {
    const field = (s: string) => (/[",\n\r]/.test(s) || s !== s.trim() ? `"${s.replaceAll('"', '""')}"` : s);
    return [result.columns.map((c) => field(c.name)).join(','), ...result.rows.map((r) => r.map((v) => field(text(v))).join(','))].join('\n');
  }
  const headers = result.columns.map((c) => c.name);
  const cells = result.rows.map((r) => r.map((v) => (v === null || v === undefined ? 'NULL' : text(v).replace(/\s*\n\s*/g, ' '))));
  const widths = headers.map((h, c) => Math.max(h.length, ...cells.map((r) => r[c].length)));
  const right = result.columns.map((c) => NUMERIC.test(c.type));
  const line = (cols: readonly string[]) => cols.map((s, c) => (right[c] ? s.padStart(widths[c]) : c === cols.length - 1 ? s : s.padEnd(widths[c]))).join('  ').trimEnd();
  const out = [line(headers), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)];
  out.push(`(${result.rows.length} row${result.rows.length === 1 ? '' : 's'})`);
  return out.join('\n');
}
