/**
 * The options of `io.bus.read` (bus-source.ts): their types, and their resolution — every key checked before the
 * read starts (unknown keys, types, ranges, combinations), durations parsed, defaults applied.
 * @example
 *   resolveRead('archive', { until: 'drained', allowedSkew: '2h' }).allowedSkewMs // 7200000
 */
import { ConfigError, type DurationLike, type Instant } from '../../model/index.ts';
import { durationOption } from '../connector-options.ts';
import { checkBusLocation, type BusLocation } from './bus-handle.ts';
import { validateName } from './names.ts';

/** When `io.bus.read` acknowledges what it read (see `BusReadOptions.ack`). */
export type BusAckMode = 'bundle' | 'end' | 'checkpoint';

/** How a message's data becomes an element. */
export type BusDataFormat = 'json' | 'text' | 'bytes';

/** A message as `withMetadata` gives it. */
export interface BusRecord<T> {
  readonly data: T;
  readonly attributes: Readonly<Record<string, string>>;
  readonly id: string;
  readonly publishTime: Instant;
  readonly orderingKey?: string;
}

/** What `timestampFn` sees besides the decoded value. */
export interface BusMessageInfo {
  readonly id: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly publishTime: Instant;
}

export interface BusReadOptions<T = unknown> {
  /** A bus directory, a server URL, or an opened Bus (default $RIFFLE_BUS_URL, else `.riffle/bus`). */
  readonly bus?: BusLocation;
  /** `json` (default): JSON.parse of the UTF-8 data; `text`: the UTF-8 string; `bytes`: the Uint8Array. */
  readonly format?: BusDataFormat;
  /** The attribute holding the event time (ms since the epoch, or RFC 3339). Default: the publish time. */
  readonly timestampAttribute?: string;
  /** The event time from the decoded value (instead of `timestampAttribute`). */
  readonly timestampFn?: (value: T, message: BusMessageInfo) => Instant;
  /** The attribute holding the publisher's id: a message whose id was seen within `dedupWindow` is dropped. */
  readonly idAttribute?: string;
  /** How long ids are remembered for dedup (default '10m'). */
  readonly dedupWindow?: DurationLike;
  /** How far before its publish time a message's event time may be (default 0). */
  readonly allowedSkew?: DurationLike;
  /** `drained`: end at the first poll that finds no message and an empty backlog. Default: never end. */
  readonly until?: 'drained';
  /** End after this many messages (counting malformed and duplicate ones). */
  readonly maxMessages?: number;
  /** Messages per batch (bundle) at most, and held unacked at most (default 1000). */
  readonly batchSize?: number;
  /** Elements are `BusRecord`s (data with attributes, id, publish time) instead of the data alone. */
  readonly withMetadata?: boolean;
  /**
   * When messages are acked. `checkpoint`: in `finalizeCheckpoint`, once a checkpoint holding them completed (the
   * mode of every run that takes checkpoints, whatever this says). Without checkpoints: `bundle` (default): a batch
   * once it passed every step and every sink's flush (when the next batch is asked for). `end`: all of them once a
   * read that ends (`until`, `maxMessages`) ended and its final watermark fired the windows — at-least-once for
   * windowed output too, but every message stays held (leased, in memory) until then: for jobs that catch up on a
   * bounded backlog.
   */
  readonly ack?: BusAckMode;
}

const READ_KEYS = ['bus', 'format', 'timestampAttribute', 'timestampFn', 'idAttribute', 'dedupWindow', 'allowedSkew', 'until', 'maxMessages', 'batchSize', 'withMetadata', 'ack'];

export interface ResolvedRead {
  readonly bus: BusLocation | undefined;
  readonly format: BusDataFormat;
  readonly timestampAttribute: string | undefined;
  readonly timestampFn: ((value: any, message: BusMessageInfo) => Instant) | undefined;
  readonly idAttribute: string | undefined;
  readonly dedupWindowMs: number;
  readonly allowedSkewMs: number;
  readonly untilDrained: boolean;
  readonly maxMessages: number;
  readonly batchSize: number;
  readonly withMetadata: boolean;
  readonly ack: BusAckMode;
}

function positiveInt(v: unknown, key: string, dflt: number, what: string): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new ConfigError(`${what}: option '${key}' must be a whole number ≥ 1, not ${JSON.stringify(v)}`);
  return v;
}

function attributeName(v: unknown, key: string, what: string): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v === '') throw new ConfigError(`${what}: option '${key}' must be an attribute name, not ${JSON.stringify(v)}`);
  return v;
}

/** The checked options of a read of `subscription`, with defaults. */
export function resolveRead(subscription: string, o: BusReadOptions<any>): ResolvedRead {
  const what = `io.bus.read('${subscription}')`;
  try {
    validateName('subscription', subscription);
  } catch (e) {
    throw new ConfigError(`${what}: ${(e as Error).message}`);
  }
  if (o === null || typeof o !== 'object') throw new ConfigError(`${what}: options must be an object`);
  for (const k of Object.keys(o)) if (!READ_KEYS.includes(k)) throw new ConfigError(`${what}: unknown option '${k}'`, { hint: `options are ${READ_KEYS.join(', ')}` });
  checkBusLocation(o.bus, what);
  const format = o.format ?? 'json';
  if (!['json', 'text', 'bytes'].includes(format)) throw new ConfigError(`${what}: option 'format' must be json, text or bytes, not ${JSON.stringify(format)}`);
  if (o.timestampAttribute !== undefined && o.timestampFn !== undefined) throw new ConfigError(`${what}: give timestampAttribute or timestampFn, not both`);
  if (o.timestampFn !== undefined && typeof o.timestampFn !== 'function') throw new ConfigError(`${what}: option 'timestampFn' must be a function`);
  if (o.until !== undefined && o.until !== 'drained') throw new ConfigError(`${what}: option 'until' must be 'drained', not ${JSON.stringify(o.until)}`);
  if (o.withMetadata !== undefined && typeof o.withMetadata !== 'boolean') throw new ConfigError(`${what}: option 'withMetadata' must be true or false`);
  if (o.ack !== undefined && o.ack !== 'bundle' && o.ack !== 'end' && o.ack !== 'checkpoint') throw new ConfigError(`${what}: option 'ack' must be 'bundle', 'end' or 'checkpoint', not ${JSON.stringify(o.ack)}`);
  if (o.ack === 'end' && o.until === undefined && o.maxMessages === undefined) {
    throw new ConfigError(`${what}: ack 'end' needs a read that ends`, { hint: "give until: 'drained' or maxMessages, or ack: 'bundle'" });
  }
  return {
    bus: o.bus,
    format,
    timestampAttribute: attributeName(o.timestampAttribute, 'timestampAttribute', what),
    timestampFn: o.timestampFn,
    idAttribute: attributeName(o.idAttribute, 'idAttribute', what),
    dedupWindowMs: durationOption(o.dedupWindow, 'dedupWindow', 10 * 60_000, what),
    allowedSkewMs: durationOption(o.allowedSkew, 'allowedSkew', 0, what),
    untilDrained: o.until === 'drained',
    maxMessages: o.maxMessages === undefined ? Infinity : positiveInt(o.maxMessages, 'maxMessages', 1, what),
    batchSize: positiveInt(o.batchSize, 'batchSize', 1000, what),
    withMetadata: o.withMetadata ?? false,
    ack: o.ack ?? 'bundle',
  };
}
