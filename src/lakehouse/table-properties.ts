/**
 * Table properties that take durations (`delta.logRetentionDuration`, `delta.deletedFileRetentionDuration`):
 * Spark's interval syntax, `interval <n> <unit>` with unit second, minute, hour, day or week (plural allowed), and
 * their defaults (30 days of log, 1 week of removed files — PROTOCOL.md and delta-rs defaults).
 */
import type { MetadataAction } from './actions.ts';
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
 * Validates the duration properties of a new table (so a typo fails at create, not at the first vacuum).
 *
 * @example
 * checkDurationProperties({ 'delta.logRetentionDuration': 'interval 30 days' });
 */
export function checkDurationProperties(configuration: Readonly<Record<string, string>>): void {
  for (const key of ['delta.logRetentionDuration', 'delta.deletedFileRetentionDuration', 'delta.checkpointRetentionDuration']) {
    const text = configuration[key];
    if (text !== undefined && parseInterval(text) === undefined) {
      throw new DeltaTableError('DELTA_INVALID_ARGUMENT', `table property '${key}' is '${text}', not an interval`, { hint: "write it as 'interval 7 days' (units: second, minute, hour, day, week)" });
    }
  }
  const cleanup = configuration['delta.enableExpiredLogCleanup'];
  if (cleanup !== undefined && cleanup !== 'true' && cleanup !== 'false') {
    throw new DeltaTableError('DELTA_INVALID_ARGUMENT', `table property 'delta.enableExpiredLogCleanup' must be 'true' or 'false', got '${cleanup}'`);
  }
}
