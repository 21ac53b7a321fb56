import { ConfigError } from '../../model/index.ts';
import type { FileFormat } from './file-format.ts';

export interface CsvFormatOptions<K extends string> {
  /** Column names, in order: the header, and the keys read from object rows. Omit for array rows without a header. */
  columns?: readonly K[];
  /** Write the header line (default: true when columns are given). */
  header?: boolean;
  /** One character (default ','). */
  delimiter?: string;
  /** One character (default '"'). */
  quote?: string;
  /** '\n' (default) or '\r\n' (RFC 4180 strictly). */
  lineEnding?: '\n' | '\r\n';
}

/** A row the CSV format can write: an object (with `columns`) or an array of values. */
export type CsvWritableRow<K extends string> = { readonly [P in K]?: unknown } | readonly unknown[];

/**
 * CSV with RFC 4180 quoting: a value is quoted when it holds the delimiter, the quote, '\r' or '\n', or starts or ends
 * with a space (doubling its quotes). null and undefined are empty; Dates are ISO-8601; objects are JSON.
 *
 * @example
 *   const f = csvFormat({ columns: ['name', 'revenue'] });
 *   f.header() === 'name,revenue\n'; f.encode({ name: 'a, b', revenue: 1.5 }) === '"a, b",1.5\n'
 */
export function csvFormat<K extends string = string>(opts: CsvFormatOptions<K> = {}): FileFormat<CsvWritableRow<K>> & { header(): string } {
  const delimiter = opts.delimiter ?? ',';
  const quote = opts.quote ?? '"';
  const eol = opts.lineEnding ?? '\n';
  if (delimiter.length !== 1 || quote.length !== 1 || delimiter === quote || /[\r\n]/.test(delimiter + quote)) {
    throw new ConfigError(`csv format: delimiter and quote must be two different single characters other than newlines, got ${JSON.stringify(delimiter)} and ${JSON.stringify(quote)}`);
  }
  const columns = opts.columns;
  const writeHeader = opts.header ?? columns !== undefined;
  if (writeHeader && columns === undefined) throw new ConfigError('csv format: header: true needs columns', { hint: 'pass columns: [names]' });
  const doubled = quote + quote;
  const field = (value: unknown): string => {
    const text = cellText(value);
    if (text.length === 0) return text;
    if (
      text.indexOf(delimiter) === -1 &&
      text.indexOf(quote) === -1 &&
      text.indexOf('\n') === -1 &&
      text.indexOf('\r') === -1 &&
      text.charCodeAt(0) !== 32 &&
      text.charCodeAt(text.length - 1) !== 32
    ) {
      return text;
    }
    return quote + text.split(quote).join(doubled) + quote;
  };
  return {
    extension: 'csv',
    header: () => (writeHeader && columns ? columns.map(field).join(delimiter) + eol : ''),
    encode(row) {
      if (Array.isArray(row)) return row.map(field).join(delimiter) + eol;
      if (columns === undefined) throw new ConfigError('csv format: object rows need columns', { hint: 'pass columns: [names] to csvFormat' });
      const obj = row as Record<string, unknown>;
      let line = '';
      for (let i = 0; i < columns.length; i++) line += (i === 0 ? '' : delimiter) + field(obj[columns[i]]);
      return line + eol;
    },
  };
}

function cellText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}
