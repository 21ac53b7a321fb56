/**
 * The options of `io.kafka.read` and `io.kafka.write`, checked before anything runs: unknown keys, wrong types and
 * impossible combinations are ConfigErrors naming the option and what is expected.
 */
import { ConfigError, type Coder, type DurationLike } from '../../model/index.ts';
import { durationOption } from '../connector-options.ts';
import { checkPayloadSpec, type KafkaFormat, type PayloadSpec } from './kafka-format.ts';

/** Where each partition starts when the position (a checkpoint) does not say. */
export type KafkaStartOffsets = 'earliest' | 'latest' | Readonly<Record<string, number>> | Readonly<Record<string, Readonly<Record<string, number>>>>;

/** Which time stamps an element: the broker's append time, the producer's create time, or a field of the value. */
export type KafkaTimestampPolicy = 'logAppend' | 'create' | { readonly field: string };

export interface KafkaConnection {
  /** Bootstrap brokers, `host:port` (a list or a comma-separated string). */
  readonly brokers: string | readonly string[];
  /** The client id the brokers see (default `riffle`). */
  readonly clientId?: string;
}

export interface KafkaReadOptions extends KafkaConnection {
  /** A consumer group: completed checkpoints commit its offsets (for monitoring; Riffle's checkpoint is the truth). */
  readonly groupId?: string;
  /** Where partitions absent from the restored position start (default 'earliest'); `{ partition: offset }` with one topic, or `{ topic: { partition: offset } }`. */
  readonly startOffsets?: KafkaStartOffsets;
  /** The value's format (default 'json'). */
  readonly format?: KafkaFormat;
  /** The value's Avro schema (format 'avro'). */
  readonly schema?: unknown;
  /** A Riffle coder for the value (instead of `format`). */
  readonly valueCoder?: Coder<any>;
  /** The key's format (default 'text'). */
  readonly keyFormat?: KafkaFormat;
  readonly keySchema?: unknown;
  readonly keyCoder?: Coder<any>;
  /** Default 'create' (the record's timestamp as the producer set it). */
  readonly timestampPolicy?: KafkaTimestampPolicy;
  /** How far out of order timestamps of one partition may come (default 0; the watermark trails the largest by this). */
  readonly maxDelay?: DurationLike;
  /** A caught-up partition with no record for this long stops holding the watermark back (default '10s'). */
  readonly idleTimeout?: DurationLike;
  /** Default 'read_committed' (records of aborted transactions are never read). */
  readonly isolation?: 'read_committed' | 'read_uncommitted';
  /** 'latest': a bounded read, ending at the end offsets the partitions had when it opened. */
  readonly stopAt?: 'latest';
  /** Most bytes fetched per partition per request (default 1 MiB). */
  readonly maxBytesPerPartition?: number;
}

export interface KafkaWriteOptions<T> extends KafkaConnection {
  /** The value's format (default 'json'). */
  readonly format?: KafkaFormat;
  readonly schema?: unknown;
  readonly valueCoder?: Coder<any>;
  /** The message key of an element (a string, bytes, or null); default none (the client spreads messages). */
  readonly key?: (element: T) => string | Uint8Array | null | undefined;
  /** Headers of an element's message. */
  readonly headers?: (element: T) => Readonly<Record<string, string>> | undefined;
  /** The partition of an element's message (default: by key hash, Kafka's murmur2). */
  readonly partition?: (element: T) => number;
  /** The value written: the element itself by default. */
  readonly value?: (element: T) => unknown;
  /** Transactions committed when a checkpoint completes: exactly-once with read_committed consumers. Default false (idempotent producer, at-least-once). */
  readonly exactlyOnce?: boolean;
  /**
   * The prefix of transactional ids (default `riffle-<topic>-<step name>`): unique among the exactly-once writers of
   * the topic — a job's ids fence (abort) any open transaction under the same ids, so two jobs must not share it.
   */
  readonly transactionalIdPrefix?: string;
  /** How long the broker keeps a transaction open before aborting it (default '5m'; at most the broker's transaction.max.timeout.ms, 15 min by default). */
  readonly transactionTimeout?: DurationLike;
  /** The message timestamp: the element's event time ('element', default; the broker's clock for elements without one) or the broker's clock ('broker'). */
  readonly timestamp?: 'element' | 'broker';
}

export const READ_KEYS = [
  'brokers', 'clientId', 'groupId', 'startOffsets', 'format', 'schema', 'valueCoder', 'keyFormat', 'keySchema', 'keyCoder',
  'timestampPolicy', 'maxDelay', 'idleTimeout', 'isolation', 'stopAt', 'maxBytesPerPartition',
];
export const WRITE_KEYS = [
  'brokers', 'clientId', 'format', 'schema', 'valueCoder', 'key', 'headers', 'partition', 'value', 'exactlyOnce',
  'transactionalIdPrefix', 'transactionTimeout', 'timestamp',
];

export interface ResolvedRead {
  readonly topics: readonly string[];
  readonly brokers: string[];
  readonly clientId: string;
  readonly groupId: string | undefined;
  readonly startOffsets: 'earliest' | 'latest' | ReadonlyMap<string, number>;
  readonly value: PayloadSpec;
  readonly key: PayloadSpec;
  readonly timestampPolicy: 'logAppend' | 'create' | { readonly field: string };
  readonly maxDelayMs: number;
  readonly idleMs: number;
  readonly readCommitted: boolean;
  readonly stopAtLatest: boolean;
  readonly maxBytesPerPartition: number;
}

export interface ResolvedWrite<T> {
  readonly topic: string;
  readonly brokers: string[];
  readonly clientId: string;
  readonly value: PayloadSpec;
  readonly key: ((element: T) => string | Uint8Array | null | undefined) | undefined;
  readonly headers: ((element: T) => Readonly<Record<string, string>> | undefined) | undefined;
  readonly partition: ((element: T) => number) | undefined;
  readonly valueOf: ((element: T) => unknown) | undefined;
  readonly exactlyOnce: boolean;
  /** Undefined: the default, `riffle-<topic>-<step name>` (the writer knows its step). */
  readonly transactionalIdPrefix: string | undefined;
  readonly transactionTimeoutMs: number;
  readonly elementTimestamp: boolean;
}

/** Kafka's legal topic names: 1–249 of [a-zA-Z0-9._-], not '.' or '..'. */
export function checkTopic(topic: unknown, what: string): string {
  if (typeof topic !== 'string' || !/^[a-zA-Z0-9._-]{1,249}$/.test(topic) || topic === '.' || topic === '..') {
    throw new ConfigError(`${what}: ${JSON.stringify(topic)} is not a Kafka topic name`, { hint: "1 to 249 characters of letters, digits, '.', '_' and '-'" });
  }
  return topic;
}

function checkBrokers(v: unknown, what: string): string[] {
  const list = typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter((s) => s !== '') : v;
  if (!Array.isArray(list) || list.length === 0) throw new ConfigError(`${what}: option 'brokers' is required: the bootstrap brokers, e.g. ['localhost:9092']`);
  for (const b of list) {
    if (typeof b !== 'string' || !/^[^\s:]+:\d{1,5}$/.test(b)) throw new ConfigError(`${what}: broker ${JSON.stringify(b)} is not host:port`);
  }
  return list as string[];
}

function checkKeys(o: object, keys: readonly string[], what: string): void {
  for (const k of Object.keys(o)) if (!keys.includes(k)) throw new ConfigError(`${what}: unknown option '${k}'`, { hint: `options are ${keys.join(', ')}` });
}

function nonEmptyString(v: unknown, key: string, what: string): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v === '') throw new ConfigError(`${what}: option '${key}' must be a non-empty string`);
  return v;
}

function offsetValue(v: unknown, where: string, what: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new ConfigError(`${what}: startOffsets ${where} must be an offset (a whole number ≥ 0), not ${JSON.stringify(v)}`);
  return v;
}

function resolveStartOffsets(v: unknown, topics: readonly string[], what: string): ResolvedRead['startOffsets'] {
  if (v === undefined || v === 'earliest' || v === 'latest') return v ?? 'earliest';
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new ConfigError(`${what}: option 'startOffsets' must be 'earliest', 'latest', { partition: offset } or { topic: { partition: offset } }`);
  const out = new Map<string, number>();
  const entries = Object.entries(v as Record<string, unknown>);
  const perPartition = entries.every(([k]) => /^\d+$/.test(k));
  if (perPartition) {
    if (topics.length !== 1) throw new ConfigError(`${what}: startOffsets { partition: offset } needs a single topic; give { topic: { partition: offset } }`);
    for (const [p, o] of entries) out.set(`${topics[0]}:${Number(p)}`, offsetValue(o, `partition ${p}`, what));
    return out;
  }
  for (const [t, parts] of entries) {
    if (!topics.includes(t)) throw new ConfigError(`${what}: startOffsets names topic '${t}', which the read does not read`, { hint: `topics are ${topics.join(', ')}` });
    if (parts === null || typeof parts !== 'object') throw new ConfigError(`${what}: startOffsets['${t}'] must be { partition: offset }`);
    for (const [p, o] of Object.entries(parts as Record<string, unknown>)) {
      if (!/^\d+$/.test(p)) throw new ConfigError(`${what}: startOffsets['${t}'] key '${p}' is not a partition number`);
      out.set(`${t}:${Number(p)}`, offsetValue(o, `['${t}'][${p}]`, what));
    }
  }
  return out;
}

export function resolveRead(topicsIn: string | readonly string[], o: KafkaReadOptions): ResolvedRead {
  const list = typeof topicsIn === 'string' ? [topicsIn] : topicsIn;
  const what = `io.kafka.read(${JSON.stringify(typeof topicsIn === 'string' ? topicsIn : list)})`;
  if (!Array.isArray(list) || list.length === 0) throw new ConfigError(`${what}: give a topic or a non-empty list of topics`);
  const topics = list.map((t) => checkTopic(t, what));
  if (new Set(topics).size !== topics.length) throw new ConfigError(`${what}: a topic is listed twice`);
  if (o === null || typeof o !== 'object') throw new ConfigError(`${what}: options must be an object with at least 'brokers'`);
  checkKeys(o, READ_KEYS, what);
  const value: PayloadSpec = { format: o.format ?? 'json', ...(o.schema !== undefined ? { schema: o.schema } : {}), ...(o.valueCoder ? { coder: o.valueCoder } : {}) };
  const key: PayloadSpec = { format: o.keyFormat ?? 'text', ...(o.keySchema !== undefined ? { schema: o.keySchema } : {}), ...(o.keyCoder ? { coder: o.keyCoder } : {}) };
  if (o.valueCoder && o.format !== undefined) throw new ConfigError(`${what}: give format or valueCoder, not both`);
  if (o.keyCoder && o.keyFormat !== undefined) throw new ConfigError(`${what}: give keyFormat or keyCoder, not both`);
  checkPayloadSpec(value, what, 'format', 'schema');
  checkPayloadSpec(key, what, 'keyFormat', 'keySchema');
  const tp = o.timestampPolicy ?? 'create';
  if (tp !== 'logAppend' && tp !== 'create' && !(tp !== null && typeof tp === 'object' && typeof (tp as { field?: unknown }).field === 'string' && (tp as { field: string }).field !== '' && Object.keys(tp).length === 1)) {
    throw new ConfigError(`${what}: option 'timestampPolicy' must be 'logAppend', 'create' or { field: 'name' }, not ${JSON.stringify(tp)}`);
  }
  if (typeof tp === 'object' && value.format !== 'json' && value.format !== 'avro' && !value.coder) {
    throw new ConfigError(`${what}: timestampPolicy { field } reads a field of the value: use format 'json' or 'avro' (or a valueCoder giving objects)`);
  }
  if (o.isolation !== undefined && o.isolation !== 'read_committed' && o.isolation !== 'read_uncommitted') {
    throw new ConfigError(`${what}: option 'isolation' must be 'read_committed' or 'read_uncommitted'`);
  }
  if (o.stopAt !== undefined && o.stopAt !== 'latest') throw new ConfigError(`${what}: option 'stopAt' must be 'latest' (a bounded read), not ${JSON.stringify(o.stopAt)}`);
  const maxBytes = o.maxBytesPerPartition ?? 1 << 20;
  if (!Number.isInteger(maxBytes) || maxBytes < 1024) throw new ConfigError(`${what}: option 'maxBytesPerPartition' must be a whole number ≥ 1024`);
  return {
    topics,
    brokers: checkBrokers(o.brokers, what),
    clientId: nonEmptyString(o.clientId, 'clientId', what) ?? 'riffle',
    groupId: nonEmptyString(o.groupId, 'groupId', what),
    startOffsets: resolveStartOffsets(o.startOffsets, topics, what),
    value,
    key,
    timestampPolicy: tp,
    maxDelayMs: durationOption(o.maxDelay, 'maxDelay', 0, what),
    idleMs: durationOption(o.idleTimeout, 'idleTimeout', 10_000, what),
    readCommitted: (o.isolation ?? 'read_committed') === 'read_committed',
    stopAtLatest: o.stopAt === 'latest',
    maxBytesPerPartition: maxBytes,
  };
}

export function resolveWrite<T>(topic: string, o: KafkaWriteOptions<T>): ResolvedWrite<T> {
  const what = `io.kafka.write(${JSON.stringify(topic)})`;
  checkTopic(topic, what);
  if (o === null || typeof o !== 'object') throw new ConfigError(`${what}: options must be an object with at least 'brokers'`);
  checkKeys(o, WRITE_KEYS, what);
  if (o.valueCoder && o.format !== undefined) throw new ConfigError(`${what}: give format or valueCoder, not both`);
  const value: PayloadSpec = { format: o.format ?? 'json', ...(o.schema !== undefined ? { schema: o.schema } : {}), ...(o.valueCoder ? { coder: o.valueCoder } : {}) };
  checkPayloadSpec(value, what, 'format', 'schema');
  for (const k of ['key', 'headers', 'partition', 'value'] as const) {
    if (o[k] !== undefined && typeof o[k] !== 'function') throw new ConfigError(`${what}: option '${k}' must be a function of the element`);
  }
  if (o.exactlyOnce !== undefined && typeof o.exactlyOnce !== 'boolean') throw new ConfigError(`${what}: option 'exactlyOnce' must be true or false`);
  if (o.timestamp !== undefined && o.timestamp !== 'element' && o.timestamp !== 'broker') throw new ConfigError(`${what}: option 'timestamp' must be 'element' or 'broker'`);
  const prefix = nonEmptyString(o.transactionalIdPrefix, 'transactionalIdPrefix', what);
  if (o.transactionalIdPrefix !== undefined && !o.exactlyOnce) throw new ConfigError(`${what}: option 'transactionalIdPrefix' is for exactlyOnce: true`);
  const timeout = durationOption(o.transactionTimeout, 'transactionTimeout', 5 * 60_000, what);
  if (timeout < 1000) throw new ConfigError(`${what}: option 'transactionTimeout' must be at least 1s`);
  return {
    topic,
    brokers: checkBrokers(o.brokers, what),
    clientId: nonEmptyString(o.clientId, 'clientId', what) ?? 'riffle',
    value,
    key: o.key,
    headers: o.headers,
    partition: o.partition,
    valueOf: o.value,
    exactlyOnce: o.exactlyOnce ?? false,
    transactionalIdPrefix: prefix,
    transactionTimeoutMs: timeout,
    elementTimestamp: (o.timestamp ?? 'element') === 'element',
  };
}
