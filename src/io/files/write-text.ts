import type { PCollection, PTransform } from '../../model/index.ts';
import { textFormat } from './text-format.ts';
import { writeFiles, type WriteFilesOptions, type WrittenFile } from './write-files.ts';

/**
 * Writes one line per element (`String(value)`) to `prefix-00000-of-0000N.txt` files, committed atomically when the
 * input is complete (per window and pane for windowed input): see `writeFiles`.
 *
 * @example
 *   lines.apply(io.files.writeText('out/lines')); // out/lines-00000-of-00001.txt
 */
export function writeText<T = string>(prefix: string, opts: WriteFilesOptions & { extension?: string } = {}): PTransform<PCollection<T>, PCollection<WrittenFile>> {
  return writeFiles(prefix, textFormat<T>({ extension: opts.extension }), opts, 'WriteText');
}
