import type { ReadTransform } from '../../transforms/index.ts';
import { fileRead } from './file-read.ts';
import { textSource, type TextSourceOptions } from './text-source.ts';

/**
 * Reads text files, one element per line (without its line ending); gzip is detected. The pattern (a file, a
 * directory or a glob, or a list of them) is expanded when the job runs; one that matches nothing fails the job before
 * any data is read.
 *
 * @example
 *   const lines = p.apply(io.files.readText('logs/*.log.gz')); // PCollection<string>
 */
export function readText(pattern: string | readonly string[], opts: TextSourceOptions = {}): ReadTransform<string> {
  return fileRead(textSource(pattern, opts), 'ReadText');
}
