import type { FileFormat } from './file-format.ts';

/**
 * JSON Lines: `JSON.stringify(value)` and '\n' (undefined is written as null, so every value is one line).
 *
 * @example
 *   jsonlFormat().encode({ a: 1 }) === '{"a":1}\n'
 */
export function jsonlFormat<T = unknown>(opts: { extension?: string } = {}): FileFormat<T> {
  return { extension: opts.extension ?? 'jsonl', encode: (value) => `${JSON.stringify(value) ?? 'null'}\n` };
}
