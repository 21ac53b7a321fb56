import type { BoundedSource, ErrorRecord } from '../../model/index.ts';
import { ConfigError } from '../../model/index.ts';
import type { Converter, CsvColumns, CsvHeader, CsvRow, CsvValue } from './csv-columns.ts';
import { EXPECTED, INVALID, baseType, converterFor, isColumnSpec } from './csv-columns.ts';
import type { CsvErrorDetail, CsvReadPosition, CsvReadSink } from './csv-read.ts';
import { readCsvRecords } from './csv-read.ts';
import { FileSource, fileError, patternList, type FileEventTime, type FileResume } from './file-source.ts';
import { countLinesBefore } from './lines.ts';
import type { InvalidUtf8 } from './lines.ts';

export interface CsvSourceOptions<H extends CsvHeader, C extends CsvColumns, T> {
  /**
   * true (default): the first line of each file names the columns and rows are objects; a list of names: the files
   * have no header line and rows are objects with these keys; false: rows are arrays of strings.
   */
  header?: H;
  /** One character (default ','). */
  delimiter?: string;
  /** One character (default '"'). */
  quote?: string;
  /** Skip lines that are empty outside a quoted value (default true). */
  skipEmptyLines?: boolean;
  /** Typed columns, e.g. `{ revenue: 'number', count: 'integer', at: 'date', note: 'string?' }` (needs named columns). */
  columns?: C;
  /** Converts or validates each row; a throw sends the record to the errors with the thrown message. */
  parse?: (row: CsvRow<H, C>) => T;
  /** Lines a quoted value may span before its quote is taken as unterminated (default 10 000). */
  maxRecordLines?: number;
  /** Longest record in bytes (default 64 MiB): a longer one goes to the errors (with an excerpt) and is skipped. */
  maxRecordBytes?: number;
  /** 'error' (default): a line that is not UTF-8 goes to the errors, its bytes in base64; 'replace': read as U+FFFD. */
  invalidUtf8?: InvalidUtf8;
  /** Lines per batch read (default 4096). */
  batchSize?: number;
  /** Each record's event time, and whether the files are in time order (then windows fire as they are read). */
  eventTime?: FileEventTime<T>;
}

/**
 * Reads CSV files (RFC 4180: quoted delimiters, doubled quotes, quoted newlines; LF, CRLF or CR line ends; gzip; a BOM
 * dropped) through the tokenizer and recovery rule shared by every CSV reader (csv-read.ts, csv-parser.ts).
 * Malformed records go to the batch's `errors` with `line N: why`, their raw text and `{ file, line }`, and the read
 * goes on: an unterminated quote (its line; the next line is read as a new record), a field count that differs from
 * the header, a line that is not UTF-8 (its bytes in base64, `origin.rawEncoding: 'base64'`), a record over
 * `maxRecordBytes`, a corrupt gzip stream (one error with `origin.byteOffset`), a value that is not of its declared
 * type, a throwing `parse`. A header that repeats a name or lacks a declared column is itself an error, and its file
 * is skipped (none of its rows could be read as declared). Empty files and header-only files are counted as
 * warnings (`fileReadWarnings`).
 *
 * Files are never split by byte ranges: a boundary may fall inside a quoted value holding a newline, and nothing
 * local tells whether a given newline is inside quotes. Parallelism comes from reading several files.
 *
 * @example
 *   const sales = csvSource('in/sales-*.csv.gz', { columns: { revenue: 'number', count: 'integer', at: 'date' } });
 *   // BoundedSource<{ revenue: number; count: number; at: number } & Record<string, CsvValue>>
 */
export function csvSource<const H extends CsvHeader = true, const C extends CsvColumns = Record<never, never>, T = CsvRow<H, C>>(
  pattern: string | readonly string[],
  opts: CsvSourceOptions<H, C, T> = {},
): BoundedSource<T> {
  const header: CsvHeader = opts.header ?? true;
  const delimiter = opts.delimiter ?? ',';
  const quote = opts.quote ?? '"';
  const skipEmpty = opts.skipEmptyLines ?? true;
  const columns: CsvColumns = opts.columns ?? {};
  const parse = opts.parse as ((row: unknown) => T) | undefined;
  validate(header, delimiter, quote, columns);

  return new FileSource<T>({
    format: 'csv',
    patterns: patternList(pattern),
    splittable: false,
    eventTime: opts.eventTime,
    async *readRange(part, { step, signal, warn }) {
      const file = part.file;
      let values: T[] = [];
      let errors: ErrorRecord<string>[] = [];
      const resume = part.resume !== undefined && part.resume.offset > 0 ? part.resume : undefined;
      // A read resumed past the header line knows the header from its position.
      let names: readonly string[] | undefined = Array.isArray(header) ? header : header === true ? resume?.header : undefined;
      let converters = names ? convertersFor(names, columns) : [];

      const fail = (reason: string, line: number, raw: string, detail?: CsvErrorDetail) => void errors.push(fileError(step, reason, raw, file, line, detail));
      const emit = (row: unknown, line: number, raw: string) => {
        if (parse === undefined) {
          values.push(row as T);
          return;
        }
        try {
          values.push(parse(row));
        } catch (e) {
          fail(`line ${line}: ${e instanceof Error ? e.message : String(e)}`, line, raw);
        }
      };
      const sink: CsvReadSink = {
        malformed: fail,
        header(fields) {
          const problem = headerProblem(fields, columns);
          if (problem) {
            if (problem.startsWith('the header lacks')) warn({ kind: 'missing-column', file, message: `${file}: ${problem}; the file is skipped` });
            return `${problem}; the file is skipped`;
          }
          names = fields;
          converters = convertersFor(fields, columns);
          return undefined;
        },
        record(fields, line, raw) {
          if (names === undefined) return emit(fields, line, raw);
          const row: Record<string, CsvValue> = {};
          for (let i = 0; i < fields.length; i++) {
            const convert = converters[i];
            if (convert === undefined) {
              row[names[i]] = fields[i];
              continue;
            }
            const v = convert(fields[i]);
            if (v === INVALID) {
              const spec = columns[names[i]];
              return fail(`line ${line}: column '${names[i]}': ${quoteValue(fields[i])} is not ${EXPECTED[baseType(spec)]}`, line, raw);
            }
            row[names[i]] = v;
          }
          emit(row, line, raw);
        },
      };

      const flush = (at: CsvReadPosition) => {
        const position: FileResume = { offset: at.offset, line: at.line, ...(header === true && names !== undefined ? { header: names } : {}), ...(at.done ? { done: true } : {}) };
        const batch = errors.length > 0 ? { values, errors, position } : { values, position };
        values = [];
        errors = [];
        return batch;
      };
      const records = readCsvRecords(
        file,
        {
          header: header === true && names === undefined ? true : names ? names.length : false,
          ...(resume !== undefined ? { start: resume.offset, lineOffset: resume.line ?? (await countLinesBefore(file, resume.offset)) } : {}),
          delimiter, quote, skipEmptyLines: skipEmpty,
          ...(opts.maxRecordLines !== undefined ? { maxRecordLines: opts.maxRecordLines } : {}),
          ...(opts.maxRecordBytes !== undefined ? { maxRecordBytes: opts.maxRecordBytes } : {}),
          ...(opts.invalidUtf8 !== undefined ? { invalidUtf8: opts.invalidUtf8 } : {}),
          ...(opts.batchSize !== undefined ? { batchSize: opts.batchSize } : {}),
          ...(signal !== undefined ? { signal } : {}),
        },
        sink,
      );
      while (true) {
        const next = await records.next();
        if (!next.done && (values.length > 0 || errors.length > 0)) yield flush(next.value);
        if (next.done) {
          const { headerRead, records: read, malformed } = next.value;
          if (resume !== undefined) break; // the file's start was read before the resume point
          if (!headerRead && read === 0 && malformed === 0) warn({ kind: 'empty-file', file, message: `${file}: empty file (no lines)` });
          else if (headerRead && read === 0 && malformed === 0) warn({ kind: 'header-only', file, message: `${file}: a header and no records` });
          break;
        }
      }
    },
  });
}

function validate(header: CsvHeader, delimiter: string, quote: string, columns: CsvColumns): void {
  for (const [what, ch] of [['delimiter', delimiter], ['quote', quote]] as const) {
    if (ch.length !== 1 || ch === '\n' || ch === '\r') {
      throw new ConfigError(`csv ${what} must be one character other than a newline, got ${JSON.stringify(ch)}`);
    }
  }
  if (delimiter === quote) throw new ConfigError(`csv delimiter and quote are both ${JSON.stringify(quote)}`, { hint: 'choose two different characters' });
  for (const [name, spec] of Object.entries(columns)) {
    if (!isColumnSpec(spec)) {
      throw new ConfigError(`csv column '${name}': unknown type ${JSON.stringify(spec)}`, {
        hint: "use 'string', 'number', 'integer', 'boolean' or 'date', with a '?' suffix for nullable",
      });
    }
  }
  if (header === false && Object.keys(columns).length > 0) {
    throw new ConfigError('csv columns need named columns, but header is false', { hint: 'set header: true (a header line) or header: [names]' });
  }
  if (Array.isArray(header)) {
    const problem = headerProblem(header, columns);
    if (problem) throw new ConfigError(`csv header: ${problem}`);
  }
}

/** Why a header cannot be used (a repeated or reserved name, a declared column missing), or undefined. */
function headerProblem(names: readonly string[], columns: CsvColumns): string | undefined {
  const seen = new Set<string>();
  for (const name of names) {
    if (seen.has(name)) return `the header names column '${name}' twice`;
    if (name === '__proto__') return "the header has a column named '__proto__'";
    seen.add(name);
  }
  for (const name of Object.keys(columns)) if (!seen.has(name)) return `the header lacks the declared column '${name}'`;
  return undefined;
}

function convertersFor(names: readonly string[], columns: CsvColumns): Array<Converter | undefined> {
  return names.map((name) => (Object.hasOwn(columns, name) ? converterFor(columns[name]) : undefined));
}

function quoteValue(text: string): string {
  const shown = text.length > 60 ? `${text.slice(0, 59)}…` : text;
  return `'${shown.replace(/\n/g, '\\n')}'`;
}
