import type { PCollection, PTransform } from '../../model/index.ts';
import { jsonlFormat } from './jsonl-format.ts';
import { writeFiles, type WriteFilesOptions, type WrittenFile } from './write-files.ts';

/**
 * Writes one JSON value per line to `prefix-00000-of-0000N.jsonl` files, committed atomically when the input is
 * complete (per window and pane for windowed input): see `writeFiles`.
 *
 * @example
 *   errors.apply(io.files.writeJsonl('out/errors'));
 *   revenue.apply(io.files.writeJsonl('out/revenue', { numShards: 4, compression: 'gzip' }));
 */
export function writeJsonl<T = unknown>(prefix: string, opts: WriteFilesOptions = {}): PTransform<PCollection<T>, PCollection<WrittenFile>> {
  return writeFiles(prefix, jsonlFormat<T>(), opts, 'WriteJsonl');
}
