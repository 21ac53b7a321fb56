import type { PCollection, PTransform } from '../../model/index.ts';
import { csvFormat, type CsvFormatOptions, type CsvWritableRow } from './csv-format.ts';
import { writeFiles, type WriteFilesOptions, type WrittenFile } from './write-files.ts';

/** Options of `writeCsv`: the CSV format's (columns, header, delimiter …) and the write's (shards, compression). */
export type WriteCsvOptions<K extends string> = WriteFilesOptions & CsvFormatOptions<K>;

/**
 * Writes CSV files (RFC 4180 quoting), each with the header line when `columns` are given. Object rows need
 * `columns` (their order is the file's); array rows are written as they are. Committed atomically: see `writeFiles`.
 *
 * @example
 *   sales.apply(io.files.writeCsv('out/sales', { columns: ['country', 'revenue'] }));
 *   // out/sales-00000-of-00001.csv: "country,revenue\nFR,7\n…"
 */
export function writeCsv<const K extends string = string>(prefix: string, opts: WriteCsvOptions<K> = {}): PTransform<PCollection<CsvWritableRow<K>>, PCollection<WrittenFile>> {
  return writeFiles(prefix, csvFormat<K>(opts), opts, 'WriteCsv');
}
