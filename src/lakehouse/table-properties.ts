/**
 * Table properties that take durations (`delta.logRetentionDuration`, `delta.deletedFileRetentionDuration`):
 * Spark's interval syntax, `interval <n> <unit>` with unit second, minute, hour, day or week (plural allowed), and
 * their defaults (30 days of log, 1 week of removed files — PROTOCOL.md and delta-rs defaults).
 */
import type { MetadataAction } from './actions.ts';
import { didYouMean } from '../config/index.ts';
import { DeltaTableError } from './errors.ts';

const UNIT_MS: Record<string, number> = { millisecond: 1, second: 1e3, minute: 6e4, hour: 3.6e6, day: 8.64e7, week: 6.048e8 };
const INTERVAL_RE = /^(?:interval\s+)?(\d+)\s+(millisecond|second|minute|hour|day|week)s?$/i;

/**
 * Milliseconds of a property's interval, or undefined if the text is not one.
 *
 * @example
 * parseInterval('interval 7 days'); // 604800000
 */
export function parseInterval(text: string): number | undefined {
  const m = INTERVAL_RE.exec(text.trim());
  return m ? Number(m[1]) * UNIT_MS[m[2].toLowerCase()] : undefined;
}

function durationProperty(metadata: MetadataAction, key: string, fallback: number): number {
  const text = metadata.configuration[key];
  if (text === undefined) return fallback;
  const ms = parseInterval(text);
  if (ms === undefined) {
    throw new DeltaTableError('DELTA_INVALID_ARGUMENT', `table property '${key}' is '${text}', not an interval`, { hint: "write it as 'interval 7 days' (units: second, minute, hour, day, week)" });
  }
  return ms;
}

/**
 * How long removed data files stay referenced by time travel (`delta.deletedFileRetentionDuration`, default 1 week):
 * vacuum's default retention and its safety minimum; tombstones older than this leave checkpoints.
 *
 * @example
 * deletedFileRetentionMs(metadata); // 604800000 by default
 */
export function deletedFileRetentionMs(metadata: MetadataAction): number {
  return durationProperty(metadata, 'delta.deletedFileRetentionDuration', 7 * UNIT_MS.day);
}

/**
 * How long log entries are kept (`delta.logRetentionDuration`, default 30 days).
 *
 * @example
 * logRetentionMs(metadata); // 2592000000 by default
 */
export function logRetentionMs(metadata: MetadataAction): number {
  return durationProperty(metadata, 'delta.logRetentionDuration', 30 * UNIT_MS.day);
}

/**
 * How many data columns get statistics (`delta.dataSkippingNumIndexedCols`): -1 (every column) when the property is
 * absent — Riffle indexes every column unless told otherwise (more statistics only skip more).
 *
 * @example
 * numIndexedCols(metadata); // -1 by default
 */
export function numIndexedCols(metadata: MetadataAction): number {
  const text = metadata.configuration['delta.dataSkippingNumIndexedCols'];
  const n = text === undefined ? -1 : Number(text);
  return Number.isInteger(n) && n >= -1 ? n : -1;
}

const isBoolean = (v: string): boolean => v === 'true' || v === 'false';
const isInterval = (v: string): boolean => parseInterval(v) !== undefined;

/**
 * The `delta.*` table properties Riffle honours, and the values each takes (Delta's meaning and syntax); any other
 * `delta.*` key is refused, since Riffle would silently not do what it asks. Other keys are the user's own.
 *
 * @example
 * TABLE_PROPERTIES['delta.checkpointInterval'].expects; // 'a positive integer (commits between checkpoints)'
 */
export const TABLE_PROPERTIES: Readonly<Record<string, { readonly expects: string; readonly valid: (value: string) => boolean }>> = {
  'delta.appendOnly': { expects: "'true' or 'false'", valid: isBoolean },
  'delta.checkpointInterval': { expects: 'a positive integer (commits between checkpoints)', valid: (v) => /^[1-9]\d{0,8}$/.test(v) },
  'delta.checkpointRetentionDuration': { expects: "an interval such as 'interval 2 days'", valid: isInterval },
  'delta.dataSkippingNumIndexedCols': { expects: 'an integer ≥ -1 (-1: every column)', valid: (v) => /^(-1|0|[1-9]\d{0,8})$/.test(v) },
  'delta.deletedFileRetentionDuration': { expects: "an interval such as 'interval 7 days'", valid: isInterval },
  'delta.enableChangeDataFeed': { expects: "'true' or 'false'", valid: isBoolean },
  'delta.enableExpiredLogCleanup': { expects: "'true' or 'false'", valid: isBoolean },
  'delta.logRetentionDuration': { expects: "an interval such as 'interval 30 days'", valid: isInterval },
  'delta.targetFileSize': { expects: "a size in bytes, optionally with kb, mb or gb ('134217728', '128mb')", valid: (v) => parseByteSize(v) !== undefined },
};

/**
 * The `parquet.*` table properties Riffle honours (how its data files are encoded; names after parquet-mr's
 * `parquet.compression`); any other `parquet.*` key is refused like an unknown `delta.*` key.
 *
 * @example
 * PARQUET_PROPERTIES['parquet.compression'].expects; // "'snappy', 'zstd' or 'uncompressed'"
 */
export const PARQUET_PROPERTIES: Readonly<Record<string, { readonly expects: string; readonly valid: (value: string) => boolean }>> = {
  'parquet.compression': { expects: "'snappy', 'zstd' or 'uncompressed'", valid: (v) => /^(snappy|zstd|uncompressed)$/i.test(v) },
  'parquet.rowGroupRows': { expects: 'a positive integer (rows per row group, at least 2048)', valid: (v) => /^\d{1,10}$/.test(v) && Number(v) >= 2048 },
};

const SIZE_RE = /^(\d+)\s*(b|kb|mb|gb)?$/i;
const SIZE_UNIT: Readonly<Record<string, number>> = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 };

/**
 * Bytes of a size property (`'134217728'`, `'128mb'`; units b, kb, mb, gb in powers of 1024), or undefined when the
 * text is not a positive size.
 *
 * @example
 * parseByteSize('128mb'); // 134217728
 */
export function parseByteSize(text: string): number | undefined {
  const m = SIZE_RE.exec(text.trim());
  if (!m) return undefined;
  const bytes = Number(m[1]) * SIZE_UNIT[(m[2] ?? 'b').toLowerCase()];
  return Number.isSafeInteger(bytes) && bytes > 0 ? bytes : undefined;
}

/**
 * How a table's data files are written, from its properties: `parquet.compression` (default snappy),
 * `parquet.rowGroupRows` (default 131,072) and `delta.targetFileSize` (default: files of at most 1M rows). Values
 * were validated when set; an invalid one written by another tool is refused here, naming it.
 *
 * @example
 * dataFileOptions(metadata); // { compression: 'zstd', rowGroupRows: 131072, targetFileSize: undefined }
 */
export function dataFileOptions(metadata: MetadataAction): DataFileOptions {
  const config = metadata.configuration;
  checkTableProperties(Object.fromEntries(['parquet.compression', 'parquet.rowGroupRows', 'delta.targetFileSize'].filter((k) => config[k] !== undefined).map((k) => [k, config[k]])));
  const compression = config['parquet.compression']?.toLowerCase() as DataFileOptions['compression'];
  const rowGroupRows = config['parquet.rowGroupRows'] !== undefined ? Number(config['parquet.rowGroupRows']) : undefined;
  const targetFileSize = config['delta.targetFileSize'] !== undefined ? parseByteSize(config['delta.targetFileSize']) : undefined;
  return { compression, rowGroupRows, targetFileSize };
}

/**
 * How data files are written: page codec, rows per row group, and the size files aim at (bytes; rows per file are
 * estimated from the bytes per row of the files written so far).
 *
 * @example
 * await table.append(rows, { parquet: { compression: 'zstd', rowGroupRows: 1 << 20, targetFileSize: 256 << 20 } });
 */
export interface DataFileOptions {
  readonly compression?: 'snappy' | 'zstd' | 'uncompressed';
  readonly rowGroupRows?: number;
  readonly targetFileSize?: number;
}

/**
 * Validates table properties before they are committed (at create, or set on an existing table): values are
 * strings; `delta.*` and `parquet.*` keys are ones Riffle honours (else the error names the closest one) with a valid
 * value.
 *
 * @example
 * checkTableProperties({ 'delta.enableChangeDataFeed': 'true', owner: 'data-team' });
 * checkTableProperties({ 'delta.enableChangeDataFed': 'true' }); // throws: did you mean `delta.enableChangeDataFeed`?
 */
export function checkTableProperties(properties: Readonly<Record<string, unknown>>): void {
  const known = Object.keys(TABLE_PROPERTIES);
  const knownParquet = Object.keys(PARQUET_PROPERTIES);
  for (const [key, value] of Object.entries(properties)) {
    if (key === '') throw new DeltaTableError('DELTA_INVALID_ARGUMENT', 'a table property needs a name', { hint: 'write properties as key=value' });
    if (typeof value !== 'string') throw new DeltaTableError('DELTA_INVALID_ARGUMENT', `table property '${key}' must be a string, got ${typeof value}`);
    if (key.toLowerCase().startsWith('parquet.')) {
      const parquetRule = PARQUET_PROPERTIES[key];
      if (!parquetRule) throw new DeltaTableError('DELTA_INVALID_ARGUMENT', `table property '${key}' is not supported by Riffle${didYouMean(key, knownParquet)}`, { hint: `supported parquet.* properties: ${knownParquet.join(', ')}` });
      if (!parquetRule.valid(value)) throw new DeltaTableError('DELTA_INVALID_ARGUMENT', `table property '${key}' is '${value}', not ${parquetRule.expects}`);
      continue;
    }
    const rule = TABLE_PROPERTIES[key];
    if (!rule) {
      if (!key.toLowerCase().startsWith('delta.')) continue;
      throw new DeltaTableError('DELTA_INVALID_ARGUMENT', `table property '${key}' is not supported by Riffle yet${didYouMean(key, known)}`, { hint: `supported delta.* properties: ${known.join(', ')}` });
    }
    if (!rule.valid(value)) {
      throw new DeltaTableError('DELTA_INVALID_ARGUMENT', `table property '${key}' is '${value}', not ${rule.expects}`);
    }
  }
}

/**
 * Validates the duration properties of a new table (so a typo fails at create, not at the first vacuum); kept for
 * callers of the narrower check — `checkTableProperties` checks every key.
 *
 * @example
 * checkDurationProperties({ 'delta.logRetentionDuration': 'interval 30 days' });
 */
export function checkDurationProperties(configuration: Readonly<Record<string, string>>): void {
  const keys = ['delta.logRetentionDuration', 'delta.deletedFileRetentionDuration', 'delta.checkpointRetentionDuration', 'delta.enableExpiredLogCleanup'];
  checkTableProperties(Object.fromEntries(Object.entries(configuration).filter(([k]) => keys.includes(k))));
}

const FILE_OPTION_KEYS: readonly string[] = ['compression', 'rowGroupRows', 'targetFileSize'];

/**
 * Validates data file options given in code (`append(rows, { parquet })`): known keys only, a known codec, positive
 * integers; the error names the key and what it expects.
 *
 * @example
 * checkDataFileOptions({ compression: 'zstd' });
 * checkDataFileOptions({ compresion: 'zstd' }); // throws: did you mean `compression`?
 */
export function checkDataFileOptions(options: DataFileOptions): void {
  for (const [key, value] of Object.entries(options)) {
    if (!FILE_OPTION_KEYS.includes(key)) {
      throw new DeltaTableError('DELTA_INVALID_ARGUMENT', `parquet option '${key}' is not known${didYouMean(key, FILE_OPTION_KEYS)}`, { hint: `options: ${FILE_OPTION_KEYS.join(', ')}` });
    }
    if (value === undefined) continue;
    if (key === 'compression' && value !== 'snappy' && value !== 'zstd' && value !== 'uncompressed') {
      throw new DeltaTableError('DELTA_INVALID_ARGUMENT', `parquet option 'compression' is ${JSON.stringify(value)}, not 'snappy', 'zstd' or 'uncompressed'`);
    }
    if (key !== 'compression' && !(Number.isSafeInteger(value) && (value as number) > 0)) {
      throw new DeltaTableError('DELTA_INVALID_ARGUMENT', `parquet option '${key}' is ${JSON.stringify(value)}, not a positive integer`);
    }
  }
}

/**
 * The options without their undefined keys (so that spreading them does not erase a default).
 *
 * @example
 * ({ ...{ compression: 'zstd' }, ...definedOnly({ compression: undefined }) }); // { compression: 'zstd' }
 */
export function definedOnly<T extends object>(options: T | undefined): Partial<T> {
  return Object.fromEntries(Object.entries(options ?? {}).filter(([, v]) => v !== undefined)) as Partial<T>;
}
