/**
 * The options of `openBus` (open-bus.ts): their type, and their resolution — unknown keys refused, the fsync policy,
 * durations and sizes checked, defaults applied — before anything is opened.
 * @example
 *   resolveBusOptions({ dir: '.riffle/bus', fsyncInterval: '2ms' }).fsyncIntervalMs // 2
 */
import type { DurationLike } from '../../model/index.ts';
import { BusInvalidArgumentError } from './bus-errors.ts';
import { durationIn, rejectUnknownKeys } from './bus-config.ts';
import type { Clock } from './clock.ts';
import { FSYNC_POLICIES, type FsyncPolicy } from './group-commit.ts';

/** Options of `openBus`. */
export interface BusOptions {
  /** The bus directory (created if missing; must be yours and not writable by others). */
  readonly dir: string;
  /** Durability of a publish (and of an ack) before it is answered; default `interval`. See README.md. */
  readonly fsync?: FsyncPolicy;
  /** With `interval`: the least time between two fsyncs of one file (default '5ms'). */
  readonly fsyncInterval?: DurationLike;
  /** A segment is sealed past this size (default 64 MB). */
  readonly segmentBytes?: number;
  /** Time for deadlines, backoff, retention and publish times (default: the system clock). */
  readonly clock?: Clock;
  /** Warnings (a torn tail cut, an index rebuilt, a dead letter that could not be forwarded); default: stderr. */
  readonly onWarning?: (message: string) => void;
  /** How often retention runs (default '1m'). */
  readonly maintenanceInterval?: DurationLike;
  /** A subscription journal is compacted into a snapshot past this size (default 1 MB). */
  readonly journalCompactBytes?: number;
  /** Messages (and bytes) a subscription keeps loaded from its log at most (default 10,000 and 64 MB). */
  readonly maxPendingMessages?: number;
  readonly maxPendingBytes?: number;
}

const OPTION_KEYS = ['dir', 'fsync', 'fsyncInterval', 'segmentBytes', 'clock', 'onWarning', 'maintenanceInterval', 'journalCompactBytes', 'maxPendingMessages', 'maxPendingBytes'];

/** The checked options, with defaults (the clock and warning sink stay as given; open-bus.ts defaults them). */
export interface ResolvedBusOptions {
  readonly fsync: FsyncPolicy;
  readonly fsyncIntervalMs: number;
  readonly segmentBytes: number;
  readonly maintenanceMs: number;
  readonly journalCompactBytes: number;
  readonly maxPendingMessages: number;
  readonly maxPendingBytes: number;
}

/** Checks `options` (BUS_INVALID_ARGUMENT naming the option) and applies the defaults. */
export function resolveBusOptions(options: BusOptions): ResolvedBusOptions {
  if (typeof options !== 'object' || options === null || typeof options.dir !== 'string' || options.dir === '') {
    throw new BusInvalidArgumentError('openBus needs { dir: <the bus directory> }');
  }
  rejectUnknownKeys(options, OPTION_KEYS, 'openBus options');
  const fsync = options.fsync ?? 'interval';
  if (!FSYNC_POLICIES.includes(fsync)) throw new BusInvalidArgumentError(`fsync must be one of ${FSYNC_POLICIES.join(', ')}, not ${JSON.stringify(fsync)}`);
  const fsyncIntervalMs = options.fsyncInterval === undefined ? 5 : durationIn(options.fsyncInterval, 'fsyncInterval', 0, 10_000);
  const segmentBytes = options.segmentBytes ?? 64 * 1024 * 1024;
  if (!Number.isInteger(segmentBytes) || segmentBytes < 1024 || segmentBytes > 2 ** 31) {
    throw new BusInvalidArgumentError(`segmentBytes must be a whole number from 1024 to 2 GiB, not ${segmentBytes}`);
  }
  const maintenanceMs = options.maintenanceInterval === undefined ? 60_000 : durationIn(options.maintenanceInterval, 'maintenanceInterval', 10, 24 * 3_600_000);
  return {
    fsync,
    fsyncIntervalMs,
    segmentBytes,
    maintenanceMs,
    journalCompactBytes: options.journalCompactBytes ?? 1024 * 1024,
    maxPendingMessages: options.maxPendingMessages ?? 10_000,
    maxPendingBytes: options.maxPendingBytes ?? 64 * 1024 * 1024,
  };
}
