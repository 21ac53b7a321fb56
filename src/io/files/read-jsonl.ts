import type { ReadTransform } from '../../transforms/index.ts';
import { fileRead } from './file-read.ts';
import { jsonlSource, type JsonlSourceOptions } from './jsonl-source.ts';

/**
 * Reads JSON Lines files, one element per line (blank lines skipped). Lines that are not JSON, or that `parse` rejects,
 * go to the error output (`.withErrors()`) or else to the job's dead letters, with file, line and raw text.
 *
 * @example
 *   const { main: events, errors } = p.apply(io.files.readJsonl('in/*.jsonl', { parse: toEvent }).withErrors());
 *   // events: PCollection<Event>; errors: PCollection<ErrorRecord<string>>
 */
export function readJsonl<T = unknown>(pattern: string | readonly string[], opts: JsonlSourceOptions<T> = {}): ReadTransform<T> {
  return fileRead(jsonlSource(pattern, opts), 'ReadJsonl');
}
