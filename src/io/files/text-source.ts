import type { BoundedSource } from '../../model/index.ts';
import { FileSource, LineNumbering, afterLines, fileError, lineRange, patternList, type FileEventTime } from './file-source.ts';
import type { InvalidUtf8 } from './lines.ts';
import { readLines } from './lines.ts';

export interface TextSourceOptions {
  /** Lines per batch (default 4096). */
  batchSize?: number;
  /** Longest line in bytes (default 64 MiB): a longer line goes to the errors (with an excerpt) and is skipped. */
  maxLineBytes?: number;
  /** 'error' (default): a line that is not UTF-8 goes to the errors, its bytes in base64; 'replace': read as U+FFFD. */
  invalidUtf8?: InvalidUtf8;
  /** Each line's event time, and whether the files are in time order (then windows fire as they are read). */
  eventTime?: FileEventTime<string>;
}

/**
 * Reads text files as one element per line (without its line ending: LF, CRLF or CR), gzip included. Large
 * uncompressed files split by byte ranges. A line that is not UTF-8 (its bytes in base64), a line over
 * `maxLineBytes` (an excerpt) and a corrupt gzip stream go to the errors with file and line, and the read goes on.
 *
 * @example
 *   const lines = textSource('logs/*.log.gz'); // BoundedSource<string>
 */
export function textSource(pattern: string | readonly string[], opts: TextSourceOptions = {}): BoundedSource<string> {
  return new FileSource<string>({
    format: 'text',
    patterns: patternList(pattern),
    splittable: true,
    eventTime: opts.eventTime,
    async *readRange(part, { step, signal, warn }) {
      let numbering: LineNumbering | undefined;
      let any = false;
      const { linesBefore, ...range } = lineRange(part);
      for await (const batch of readLines(part.file, {
        ...range, batchSize: opts.batchSize, signal,
        ...(opts.maxLineBytes !== undefined ? { maxLineBytes: opts.maxLineBytes } : {}),
        ...(opts.invalidUtf8 !== undefined ? { invalidUtf8: opts.invalidUtf8 } : {}),
      })) {
        any = true;
        if (batch.error === undefined) {
          yield { values: batch.lines, position: afterLines(batch, linesBefore) };
          continue;
        }
        numbering ??= new LineNumbering(part.file, batch.rangeStart, linesBefore);
        const line = (await numbering.base()) + batch.firstLine + batch.lines.length;
        const { reason, raw, rawEncoding, byteOffset } = batch.error;
        const error = fileError(step, `line ${line}: ${reason}`, raw, part.file, line, byteOffset !== undefined ? { rawEncoding, byteOffset } : { rawEncoding });
        yield { values: batch.lines, errors: [error], position: afterLines(batch, linesBefore) };
      }
      if (!any && part.range === undefined && part.resume === undefined) warn({ kind: 'empty-file', file: part.file, message: `${part.file}: empty file (no lines)` });
    },
  });
}
