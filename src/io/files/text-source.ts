import type { BoundedSource } from '../../model/index.ts';
import { FileSource, patternList } from './file-source.ts';
import { readLines } from './lines.ts';

export interface TextSourceOptions {
  /** Lines per batch (default 4096). */
  batchSize?: number;
}

/**
 * Reads text files as one element per line (without its line ending), gzip included. Large uncompressed files split
 * by byte ranges.
 *
 * @example
 *   const lines = textSource('logs/*.log.gz'); // BoundedSource<string>
 */
export function textSource(pattern: string | readonly string[], opts: TextSourceOptions = {}): BoundedSource<string> {
  return new FileSource<string>({
    format: 'text',
    patterns: patternList(pattern),
    splittable: true,
    async *readRange(part, { signal }) {
      for await (const batch of readLines(part.file, { ...part.range, batchSize: opts.batchSize, signal })) {
        yield { values: batch.lines };
      }
    },
  });
}
