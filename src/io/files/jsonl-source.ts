import type { BoundedSource, ErrorRecord } from '../../model/index.ts';
import { FileSource, LineNumbering, afterLines, fileError, lineRange, patternList, type FileEventTime } from './file-source.ts';
import type { InvalidUtf8 } from './lines.ts';
import { readLines } from './lines.ts';

export interface JsonlSourceOptions<T> {
  /** Validates or converts each parsed value; a throw sends the line to the errors with the thrown message. */
  parse?: (obj: unknown) => T;
  /** Lines per batch (default 4096). */
  batchSize?: number;
  /** Deepest nesting of arrays and objects in a record (default 1000): a deeper record goes to the errors. */
  maxDepth?: number;
  /** Longest record in bytes (default 64 MiB): a longer line goes to the errors (with an excerpt) and is skipped. */
  maxRecordBytes?: number;
  /** 'error' (default): a line that is not UTF-8 goes to the errors, its bytes in base64; 'replace': read as U+FFFD. */
  invalidUtf8?: InvalidUtf8;
  /** Each record's event time, and whether the files are in time order (then windows fire as they are read). */
  eventTime?: FileEventTime<T>;
}

/** Default deepest nesting of a JSON record. */
export const DEFAULT_MAX_JSON_DEPTH = 1000;

/**
 * Reads JSON Lines files: one JSON value per line; blank lines are skipped. A line that is not valid JSON (or that
 * `parse` rejects), is nested deeper than `maxDepth`, is longer than `maxRecordBytes` or is not UTF-8 becomes an error
 * record with its file, line number and raw text (a bounded excerpt, or base64 bytes), and the read goes on; a corrupt
 * gzip stream is one error record. Line ends may be LF, CRLF or CR.
 *
 * @example
 *   const events = jsonlSource('in/*.jsonl', { parse: (o) => EventSchema.parse(o) }); // BoundedSource<Event>
 */
export function jsonlSource<T = unknown>(pattern: string | readonly string[], opts: JsonlSourceOptions<T> = {}): BoundedSource<T> {
  const { parse } = opts;
  const maxDepth = opts.maxDepth ?? DEFAULT_MAX_JSON_DEPTH;
  return new FileSource<T>({
    format: 'jsonl',
    patterns: patternList(pattern),
    splittable: true,
    eventTime: opts.eventTime,
    async *readRange(part, { step, signal, warn }) {
      let numbering: LineNumbering | undefined;
      let any = false;
      const { linesBefore, ...range } = lineRange(part);
      for await (const batch of readLines(part.file, {
        ...range, batchSize: opts.batchSize, signal,
        ...(opts.maxRecordBytes !== undefined ? { maxLineBytes: opts.maxRecordBytes } : {}),
        ...(opts.invalidUtf8 !== undefined ? { invalidUtf8: opts.invalidUtf8 } : {}),
      })) {
        const values: T[] = [];
        let bad: Array<{ index: number; message: string }> | undefined;
        const { lines } = batch;
        if (lines.length > 0 || batch.error) any = true;
        for (let i = 0; i < lines.length; i++) {
          const line = lines[i];
          if (line.length > maxDepth && jsonDepthOver(line, maxDepth)) {
            (bad ??= []).push({ index: i, message: `nested deeper than ${maxDepth} levels (maxDepth raises the limit)` });
            continue;
          }
          let value: unknown;
          try {
            value = JSON.parse(line);
          } catch (e) {
            if (line.trim() === '') continue;
            (bad ??= []).push({ index: i, message: `invalid JSON: ${(e as Error).message}` });
            continue;
          }
          if (parse) {
            try {
              value = parse(value);
            } catch (e) {
              (bad ??= []).push({ index: i, message: e instanceof Error ? e.message : String(e) });
              continue;
            }
          }
          values.push(value as T);
        }
        let errors: ErrorRecord<string>[] | undefined;
        if (bad || batch.error) {
          numbering ??= new LineNumbering(part.file, batch.rangeStart, linesBefore);
          const base = await numbering.base();
          errors = (bad ?? []).map(({ index, message }) => {
            const line = base + batch.firstLine + index;
            return fileError(step, `line ${line}: ${message}`, excerpt(lines[index]), part.file, line);
          });
          if (batch.error) {
            const line = base + batch.firstLine + lines.length;
            const { reason, raw, rawEncoding, byteOffset } = batch.error;
            errors.push(fileError(step, `line ${line}: ${reason}`, raw, part.file, line, byteOffset !== undefined ? { rawEncoding, byteOffset } : { rawEncoding }));
          }
        }
        if (values.length > 0 || errors) yield errors ? { values, errors, position: afterLines(batch, linesBefore) } : { values, position: afterLines(batch, linesBefore) };
      }
      if (!any && part.range === undefined && part.resume === undefined) warn({ kind: 'empty-file', file: part.file, message: `${part.file}: empty file (no lines)` });
    },
  });
}

/** Error records keep at most this much of a bad line (a huge line must not be copied into every error output). */
const MAX_EXCERPT = 64 * 1024;

function excerpt(line: string): string {
  return line.length <= MAX_EXCERPT ? line : `${line.slice(0, MAX_EXCERPT)}… (${line.length} characters)`;
}

/**
 * Whether a JSON text nests arrays/objects deeper than `max` (brackets inside strings do not count). Only lines longer
 * than `max` can, so short lines skip this walk.
 */
export function jsonDepthOver(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++; // backslash: skip the escaped character
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 91 || c === 123) {
      if (++depth > max) return true;
    } else if (c === 93 || c === 125) depth--;
  }
  return false;
}
