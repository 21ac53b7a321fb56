import type { ReadTransform } from '../../transforms/index.ts';
import type { CsvColumns, CsvHeader, CsvRow } from './csv-columns.ts';
import { csvSource, type CsvSourceOptions } from './csv-source.ts';
import { fileRead } from './file-read.ts';

/**
 * Reads CSV files (RFC 4180, gzip detected) as typed rows: the options and row types are those of `csvSource`.
 * Malformed rows (bad quoting, a wrong field count, a value not of its declared type, a throwing `parse`) go to the
 * error output with `line N: why`, or, without `.withErrors()`, to the job's dead letters; the read goes on.
 *
 * @example
 *   const { main: sales, errors } = p.apply(
 *     io.files.readCsv('in/sales-*.csv', { header: true, columns: { revenue: 'number', at: 'date' } }).withErrors(),
 *   );
 *   // sales: PCollection<{ revenue: number; at: number } & Record<string, CsvValue>>
 */
export function readCsv<const H extends CsvHeader = true, const C extends CsvColumns = Record<never, never>, T = CsvRow<H, C>>(
  pattern: string | readonly string[],
  opts: CsvSourceOptions<H, C, T> = {},
): ReadTransform<T> {
  return fileRead(csvSource(pattern, opts), 'ReadCsv');
}
