import type { FileFormat } from './file-format.ts';

/**
 * One line per value: `String(value)` and '\n'. A value containing a newline spans lines (read back as several).
 *
 * @example
 *   textFormat<string>().encode('hello') === 'hello\n'
 */
export function textFormat<T = string>(opts: { extension?: string } = {}): FileFormat<T> {
  return { extension: opts.extension ?? 'txt', encode: (value) => `${String(value)}\n` };
}
