import type { BoundedSource, ErrorRecord } from '../../model/index.ts';
import { FileSource, LineNumbering, fileError, patternList } from './file-source.ts';
import { readLines } from './lines.ts';

export interface JsonlSourceOptions<T> {
  /** Validates or converts each parsed value; a throw sends the line to the errors with the thrown message. */
  parse?: (obj: unknown) => T;
  /** Lines per batch (default 4096). */
  batchSize?: number;
}

/**
 * Reads JSON Lines files: one JSON value per line; blank lines are skipped. A line that is not valid JSON (or that
 * `parse` rejects) becomes an error record with its file, line number and raw text, and the read goes on.
 *
 * @example
 *   const events = jsonlSource('in/*.jsonl', { parse: (o) => EventSchema.parse(o) }); // BoundedSource<Event>
 */
export function jsonlSource<T = unknown>(pattern: string | readonly string[], opts: JsonlSourceOptions<T> = {}): BoundedSource<T> {
  const { parse } = opts;
  return new FileSource<T>({
    format: 'jsonl',
    patterns: patternList(pattern),
    splittable: true,
    async *readRange(part, { step, signal }) {
      let numbering: LineNumbering | undefined;
      for await (const batch of readLines(part.file, { ...part.range, batchSize: opts.batchSize, signal })) {
        const values: T[] = [];
        let bad: Array<{ index: number; message: string }> | undefined;
        const { lines } = batch;
        for (let i = 0; i < lines.length; i++) {
          const line = lines[i];
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
        if (bad) {
          numbering ??= new LineNumbering(part.file, batch.rangeStart);
          const base = await numbering.base();
          errors = bad.map(({ index, message }) => {
            const line = base + batch.firstLine + index;
            return fileError(step, `line ${line}: ${message}`, lines[index], part.file, line);
          });
        }
        if (values.length > 0 || errors) yield errors ? { values, errors } : { values };
      }
    },
  });
}
