import type { CsvRecordSink } from './csv-parser.ts';
import { CsvRecordParser } from './csv-parser.ts';
import type { InvalidUtf8, LineError } from './lines.ts';
import { DEFAULT_MAX_LINE_BYTES, isGzipFile, lineStartBefore, readLines } from './lines.ts';

/** Where a record that could not be read came from, besides its line: set for lines that were not text. */
export interface CsvErrorDetail {
  /** 'base64' when `raw` holds the bytes of a line that is not UTF-8. */
  readonly rawEncoding?: 'base64' | 'text';
  /** For a corrupt compressed file: the compressed bytes read when it failed. */
  readonly byteOffset?: number;
}

/** Receives what `readCsvRecords` reads: the header (once), records, and the records it could not read. */
export interface CsvReadSink {
  /**
   * The header record (with `header: true`): its fields name the columns. Return a reason to refuse it (a repeated
   * name...): it is reported through `malformed` and the rest of the file is not read.
   */
  header?(names: string[], line: number, raw: string): string | undefined;
  record(fields: string[], line: number, raw: string): void;
  /** A record that could not be read; `reason` starts with `line N: `. */
  malformed(reason: string, line: number, raw: string, detail?: CsvErrorDetail): void;
}

export interface CsvReadOptions {
  /** One character (default ','). */
  readonly delimiter?: string;
  /** One character (default '"'). */
  readonly quote?: string;
  /**
   * true: the first record is the header (given to `sink.header`, and records must have its field count); a number:
   * no header line is read and records must have that many fields; false: no header, any field count.
   */
  readonly header: boolean | number;
  /** Skip lines that are empty outside a quoted value (default true). */
  readonly skipEmptyLines?: boolean;
  /** Lines a quoted value may span before its quote is taken as unterminated (default 10 000). */
  readonly maxRecordLines?: number;
  /** Longest record in bytes (default 64 MiB): a longer line or record is an error, skipped in bounded memory. */
  readonly maxRecordBytes?: number;
  /** See `ReadLinesOptions.invalidUtf8` (default 'error': a line that is not UTF-8 is an error record). */
  readonly invalidUtf8?: InvalidUtf8;
  /** Lines per read batch (default 4096). */
  readonly batchSize?: number;
  /** Bytes per read (default 256 KiB). */
  readonly chunkSize?: number;
  /** Start reading at this byte offset of an uncompressed file, a record start (default 0). */
  readonly start?: number;
  /** Added to line numbers (the lines before `start`). */
  readonly lineOffset?: number;
  readonly signal?: AbortSignal;
}

/**
 * Where a read stands after a batch: the next unread record starts at byte `offset` (a record boundary the parser
 * reached: the start of a record still open across lines is not passed), after `line` lines of the file. Reading again
 * with `start: offset, lineOffset: line` (and the header's width) goes on with exactly that record. `done`: the read
 * stopped there for good (the header was refused). For a gzip file `offset` counts decompressed bytes (not a place a
 * read can start at).
 */
export interface CsvReadPosition {
  readonly offset: number;
  readonly line: number;
  readonly done?: boolean;
}

/** What a read saw, for the empty-input warnings. */
export interface CsvReadSummary {
  /** Whether a header line was read (always false without `header: true`). */
  readonly headerRead: boolean;
  /** Records given to `sink.record`. */
  readonly records: number;
  /** Records given to `sink.malformed`. */
  readonly malformed: number;
}

/**
 * Reads a CSV file's records through the one tokenizer (`CsvRecordParser`) and the one line reader (`readLines`: LF,
 * CRLF or CR endings, gzip, invalid UTF-8 and over-long lines as errors, a corrupt gzip stream as one error), with the
 * one recovery rule (see csv-parser.ts). Every line of the file ends up in exactly one of `sink.header`,
 * `sink.record`, `sink.malformed`, or is an empty line skipped. It yields after each batch of lines, so the caller can
 * hand on what its sink gathered; it returns a summary.
 *
 * Every CSV reader of Riffle goes through here (the pipeline's `readCsv`, quality's assets and profiles, `riffle
 * contract test`, `riffle table write --from`), or, for quality's columnar fast path, hands its file over to it at the
 * first record that is not plain (see quality/csv-columnar.ts), so they all give the same rows and errors.
 *
 * @example
 *   const rows: string[][] = [];
 *   for await (const _ of readCsvRecords('in.csv', { header: true }, { record: (f) => void rows.push(f), malformed: console.warn })) {}
 */
export async function* readCsvRecords(path: string, opts: CsvReadOptions, sink: CsvReadSink): AsyncGenerator<CsvReadPosition, CsvReadSummary> {
  const maxBytes = opts.maxRecordBytes ?? DEFAULT_MAX_LINE_BYTES;
  const parser = new CsvRecordParser({
    delimiter: opts.delimiter ?? ',',
    quote: opts.quote ?? '"',
    maxRecordChars: maxBytes,
    ...(opts.maxRecordLines !== undefined ? { maxRecordLines: opts.maxRecordLines } : {}),
    ...(opts.skipEmptyLines !== undefined ? { skipEmptyLines: opts.skipEmptyLines } : {}),
  });
  const offset = opts.lineOffset ?? 0;
  let wantHeader = opts.header === true;
  if (typeof opts.header === 'number') parser.width = opts.header;
  let headerRead = false;
  let records = 0;
  let malformed = 0;
  let stop = false;
  const inner: CsvRecordSink = {
    record(fields, line, raw) {
      if (stop) return;
      if (wantHeader) {
        wantHeader = false;
        headerRead = true;
        const problem = sink.header?.(fields, line, raw);
        if (problem !== undefined) {
          malformed++;
          sink.malformed(`line ${line}: ${problem}`, line, raw);
          stop = true;
          return;
        }
        parser.width = fields.length;
        return;
      }
      records++;
      sink.record(fields, line, raw);
    },
    malformed(reason, line, raw) {
      if (stop) return;
      malformed++;
      sink.malformed(reason, line, raw);
    },
  };
  // The read's progress: bytes and lines (from `start`) of the lines taken so far.
  let end = opts.start ?? 0;
  let linesRead = 0;
  let gzip: boolean | undefined;
  /** The start of the record the parser holds open, else the end of the lines taken. */
  const resumePoint = async (terminator: '\n' | '\r'): Promise<CsvReadPosition> => {
    const pending = parser.pendingLines;
    if (pending.length === 0) return { offset: end, line: linesRead + offset };
    const line = parser.pendingFirstLine - 1;
    if (line === offset) return { offset: opts.start ?? 0, line }; // the read's first line (a BOM before it)
    // Each pending line is a whole line (its '\r' kept) plus one terminator byte. Text read with invalid bytes
    // replaced does not measure its bytes: count the lines back in the file instead.
    if (opts.invalidUtf8 === 'replace' && pending.some((l) => l.includes('\uFFFD'))) {
      gzip ??= await isGzipFile(path);
      if (!gzip) return { offset: await lineStartBefore(path, end, pending.length, terminator), line };
    }
    let bytes = 0;
    for (const l of pending) bytes += Buffer.byteLength(l) + 1;
    return { offset: end - bytes, line };
  };
  const lineError = (error: LineError, line: number) => {
    parser.end(inner); // a record open across the unreadable line cannot close
    if (stop) return;
    malformed++;
    const detail: CsvErrorDetail = error.byteOffset !== undefined ? { rawEncoding: error.rawEncoding, byteOffset: error.byteOffset } : { rawEncoding: error.rawEncoding };
    sink.malformed(`line ${line}: ${error.reason}`, line, error.raw, detail);
  };
  for await (const batch of readLines(path, {
    keepCarriageReturn: true,
    maxLineBytes: maxBytes,
    ...(opts.start !== undefined ? { start: opts.start } : {}),
    ...(opts.batchSize !== undefined ? { batchSize: opts.batchSize } : {}),
    ...(opts.chunkSize !== undefined ? { chunkSize: opts.chunkSize } : {}),
    ...(opts.invalidUtf8 !== undefined ? { invalidUtf8: opts.invalidUtf8 } : {}),
    ...(opts.signal !== undefined ? { signal: opts.signal } : {}),
  })) {
    parser.newline = batch.terminator;
    const { lines, firstLine } = batch;
    // Line numbers of the file: the parser's messages name them (a record's first line, the line it closes on).
    const first = firstLine + offset;
    for (let i = 0; i < lines.length && !stop; i++) parser.push(lines[i]!, first + i, inner);
    if (batch.error && !stop) lineError(batch.error, first + lines.length);
    end = batch.end;
    linesRead = firstLine - 1 + lines.length + (batch.error ? 1 : 0);
    yield stop ? { offset: end, line: linesRead + offset, done: true } : await resumePoint(batch.terminator);
    if (stop) break;
  }
  if (!stop) {
    parser.end(inner);
    yield { offset: end, line: linesRead + offset };
  }
  return { headerRead, records, malformed };
}
