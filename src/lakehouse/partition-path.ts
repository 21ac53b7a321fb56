/**
 * Hive-style partition directories (`col=value/…`) and the URI encoding of `add.path`.
 *
 * Two layers, as Spark and delta-rs do: a partition value is first escaped Hive-style for the directory name
 * (`%XX` for characters unsafe in paths, `__HIVE_DEFAULT_PARTITION__` for null), then the relative path is
 * URI-encoded for `add.path` (so a directory `d=a%3Ab` is logged as `d=a%253Ab`). Readers decode `add.path` once.
 */
import { type DataPathOptions, resolveDataPath } from './data-path.ts';

/**
 * The directory value of a null partition.
 *
 * @example
 * partitionDir(['c'], { c: null }) === `c=${NULL_PARTITION}`; // true
 */
export const NULL_PARTITION = '__HIVE_DEFAULT_PARTITION__';

// Characters Hive escapes in partition directory names (plus control characters).
const HIVE_UNSAFE = new Set([...'"#%\'*/:=?\\\x7F{[]^']);

/**
 * Escapes a partition column name or value for a directory name.
 *
 * @example
 * escapePathPart('a:b'); // 'a%3Ab'
 */
export function escapePathPart(text: string): string {
  let out = '';
  for (const ch of text) {
    const code = ch.charCodeAt(0);
    out += code < 0x20 || HIVE_UNSAFE.has(ch) ? `%${code.toString(16).toUpperCase().padStart(2, '0')}` : ch;
  }
  return out;
}

/**
 * The partition directory (relative, `/`-separated) for serialized partition values, in partition-column order.
 *
 * @example
 * partitionDir(['country', 'day'], { country: 'fr', day: null }); // 'country=fr/day=__HIVE_DEFAULT_PARTITION__'
 */
export function partitionDir(columns: readonly string[], values: Readonly<Record<string, string | null>>): string {
  return columns.map((c) => `${escapePathPart(c)}=${values[c] === null || values[c] === '' ? NULL_PARTITION : escapePathPart(values[c] as string)}`).join('/');
}

/**
 * URI-encodes a relative file path for `add.path` (each segment percent-encoded; `/` kept; `=` kept, as Spark does).
 *
 * @example
 * toLogPath('d=a%3Ab/part-0.parquet'); // 'd=a%253Ab/part-0.parquet'
 */
export function toLogPath(relative: string): string {
  return relative.split('/').map((s) => encodeURIComponent(s).replace(/%3D/g, '=')).join('/');
}

/**
 * The filesystem path of a data file from its `add.path` (relative and URI-encoded), through `resolveDataPath`:
 * paths leaving the table and absolute URIs are refused (see data-path.ts).
 *
 * @example
 * dataFilePath('/t', 'd=a%253Ab/part-0.parquet'); // '/t/d=a%3Ab/part-0.parquet'
 */
export function dataFilePath(tablePath: string, logPath: string, options: DataPathOptions = {}): string {
  return resolveDataPath(tablePath, logPath, options);
}
