/**
 * Validation of topic and subscription configuration: unknown keys are errors (with a "did you mean"), every range is
 * Pub/Sub's (ack deadline 10–600 s, backoff 10–600 s, dead-letter attempts 5–100, retention 10 min–7 days for a
 * subscription, 10 min–31 days for a topic), and the result has every default filled in, durations in ms.
 */
import { closest } from '../../model/index.ts';
import { parseDuration, type DurationLike } from '../../model/index.ts';
import type { SubscriptionConfig, SubscriptionInfo, SubscriptionUpdate, TopicConfig, TopicInfo } from './bus-api.ts';
import { BusInvalidArgumentError } from './bus-errors.ts';
import { parseFilter } from './filter.ts';
import { validateName } from './names.ts';

const S = 1000;
const MIN = 60 * S;
const DAY = 24 * 60 * MIN;

/** Refuses keys of `obj` not in `allowed`, naming `where` and the closest allowed key. */
export function rejectUnknownKeys(obj: object, allowed: readonly string[], where: string): void {
  for (const k of Object.keys(obj)) {
    if (!allowed.includes(k)) {
      const near = closest(k, allowed)[0];
      throw new BusInvalidArgumentError(`${where}: unknown key '${k}'${near ? ` (did you mean '${near}'?)` : ''}`, { hint: `the keys are: ${allowed.join(', ')}` });
    }
  }
}

function object(v: unknown, where: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new BusInvalidArgumentError(`${where} must be an object`);
  return v as Record<string, unknown>;
}

/** A duration within [min, max] ms, named `where` in errors. */
export function durationIn(v: unknown, where: string, min: number, max: number): number {
  let ms: number;
  try {
    if (typeof v !== 'number' && typeof v !== 'string') throw new RangeError('expected a duration');
    ms = parseDuration(v as DurationLike, where);
  } catch {
    throw new BusInvalidArgumentError(`${where}: ${JSON.stringify(v)} is not a duration`, { hint: "write '10s', '5m', '1h', '7d' or a number of milliseconds" });
  }
  if (ms < min || ms > max) throw new BusInvalidArgumentError(`${where} must be between ${fmt(min)} and ${fmt(max)}, not ${fmt(ms)}`);
  return ms;
}

function fmt(ms: number): string {
  if (ms % DAY === 0 && ms >= DAY) return `${ms / DAY}d`;
  if (ms % MIN === 0 && ms >= MIN) return `${ms / MIN}m`;
  if (ms % S === 0) return `${ms / S}s`;
  return `${ms}ms`;
}

function labels(v: unknown, where: string): Record<string, string> {
  if (v === undefined) return {};
  const o = object(v, where);
  for (const [k, x] of Object.entries(o)) if (typeof x !== 'string') throw new BusInvalidArgumentError(`${where}.${k} must be a string`);
  return { ...(o as Record<string, string>) };
}

function bool(v: unknown, where: string, dflt: boolean): boolean {
  if (v === undefined) return dflt;
  if (typeof v !== 'boolean') throw new BusInvalidArgumentError(`${where} must be true or false, not ${JSON.stringify(v)}`);
  return v;
}

const TOPIC_KEYS = ['messageRetentionDuration', 'retentionBytes', 'schema', 'messageDedup', 'labels'] as const;

/** Validates a topic configuration into a TopicInfo (schemas are compiled separately). */
export function resolveTopicConfig(name: string, config: TopicConfig | undefined, now: number): TopicInfo {
  validateName('topic', name);
  const c = object(config ?? {}, `topic ${name}`);
  rejectUnknownKeys(c, TOPIC_KEYS, `topic ${name}`);
  const retention = c.messageRetentionDuration === undefined ? 7 * DAY : durationIn(c.messageRetentionDuration, 'messageRetentionDuration', 10 * MIN, 31 * DAY);
  let retentionBytes: number | undefined;
  if (c.retentionBytes !== undefined) {
    if (typeof c.retentionBytes !== 'number' || !Number.isSafeInteger(c.retentionBytes) || c.retentionBytes <= 0) {
      throw new BusInvalidArgumentError(`retentionBytes must be a positive whole number of bytes, not ${JSON.stringify(c.retentionBytes)}`);
    }
    retentionBytes = c.retentionBytes;
  }
  let schema: TopicInfo['schema'];
  if (c.schema !== undefined) {
    const s = object(c.schema, 'schema');
    rejectUnknownKeys(s, ['type', 'definition', 'encoding'], 'schema');
    if (s.type !== 'json' && s.type !== 'avro') throw new BusInvalidArgumentError(`schema.type must be "json" or "avro", not ${JSON.stringify(s.type)}`);
    if (typeof s.definition !== 'string') throw new BusInvalidArgumentError('schema.definition must be the schema as JSON text');
    if (s.encoding !== undefined && s.encoding !== 'json' && s.encoding !== 'binary') throw new BusInvalidArgumentError(`schema.encoding must be "json" or "binary", not ${JSON.stringify(s.encoding)}`);
    if (s.encoding !== undefined && s.type === 'json') throw new BusInvalidArgumentError('schema.encoding applies to Avro schemas only');
    schema = s.encoding !== undefined ? { type: s.type, definition: s.definition, encoding: s.encoding } : { type: s.type, definition: s.definition };
  }
  let messageDedup: TopicInfo['messageDedup'];
  if (c.messageDedup !== undefined) {
    const d = object(c.messageDedup, 'messageDedup');
    rejectUnknownKeys(d, ['idAttribute', 'window'], 'messageDedup');
    if (typeof d.idAttribute !== 'string' || d.idAttribute === '') throw new BusInvalidArgumentError('messageDedup.idAttribute must name the attribute that holds the publisher\'s message id');
    messageDedup = { idAttribute: d.idAttribute, window: d.window === undefined ? 10 * MIN : durationIn(d.window, 'messageDedup.window', 1 * S, 7 * DAY) };
  }
  const info: TopicInfo = { name, messageRetentionDuration: retention, labels: labels(c.labels, 'labels'), createTime: now };
  return {
    ...info,
    ...(retentionBytes !== undefined ? { retentionBytes } : {}),
    ...(schema !== undefined ? { schema } : {}),
    ...(messageDedup !== undefined ? { messageDedup } : {}),
  };
}

const SUB_KEYS = [
  'topic', 'ackDeadline', 'retryPolicy', 'deadLetterPolicy', 'filter', 'enableMessageOrdering', 'enableExactlyOnceDelivery',
  'retainAckedMessages', 'messageRetentionDuration', 'labels',
] as const;
const UPDATE_KEYS = ['ackDeadline', 'retryPolicy', 'deadLetterPolicy', 'enableExactlyOnceDelivery', 'retainAckedMessages', 'messageRetentionDuration', 'labels'] as const;

function retryPolicy(v: unknown): SubscriptionInfo['retryPolicy'] {
  const r = object(v, 'retryPolicy');
  rejectUnknownKeys(r, ['minimumBackoff', 'maximumBackoff'], 'retryPolicy');
  const min = r.minimumBackoff === undefined ? 10 * S : durationIn(r.minimumBackoff, 'retryPolicy.minimumBackoff', 0, 600 * S);
  const max = r.maximumBackoff === undefined ? 600 * S : durationIn(r.maximumBackoff, 'retryPolicy.maximumBackoff', 0, 600 * S);
  if (min > max) throw new BusInvalidArgumentError(`retryPolicy.minimumBackoff (${fmt(min)}) is larger than maximumBackoff (${fmt(max)})`);
  return { minimumBackoff: min, maximumBackoff: max };
}

function deadLetterPolicy(v: unknown, topic: string | undefined): SubscriptionInfo['deadLetterPolicy'] {
  const d = object(v, 'deadLetterPolicy');
  rejectUnknownKeys(d, ['deadLetterTopic', 'maxDeliveryAttempts'], 'deadLetterPolicy');
  const t = validateName('topic', d.deadLetterTopic);
  if (topic !== undefined && t === topic) throw new BusInvalidArgumentError(`deadLetterPolicy.deadLetterTopic cannot be the subscription's own topic (${t})`, { hint: 'create a separate topic for dead letters' });
  const n = d.maxDeliveryAttempts === undefined ? 5 : d.maxDeliveryAttempts;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 5 || n > 100) throw new BusInvalidArgumentError(`deadLetterPolicy.maxDeliveryAttempts must be a whole number from 5 to 100, not ${JSON.stringify(n)}`);
  return { deadLetterTopic: t, maxDeliveryAttempts: n };
}

/**
 * Validates a subscription configuration into a SubscriptionInfo. Pub/Sub's ranges apply, except that the backoff
 * bounds accept 0 – 600 s (a backoff below Pub/Sub's 10 s minimum is useful in tests; documented).
 */
export function resolveSubscriptionConfig(name: string, config: SubscriptionConfig, now: number): SubscriptionInfo {
  validateName('subscription', name);
  const c = object(config, `subscription ${name}`);
  rejectUnknownKeys(c, SUB_KEYS, `subscription ${name}`);
  const topic = validateName('topic', c.topic);
  let filter: string | undefined;
  if (c.filter !== undefined && c.filter !== '') {
    if (typeof c.filter !== 'string') throw new BusInvalidArgumentError('filter must be a string');
    parseFilter(c.filter);
    filter = c.filter;
  }
  const info: SubscriptionInfo = {
    name,
    topic,
    ackDeadline: c.ackDeadline === undefined ? 10 * S : durationIn(c.ackDeadline, 'ackDeadline', 10 * S, 600 * S),
    enableMessageOrdering: bool(c.enableMessageOrdering, 'enableMessageOrdering', false),
    enableExactlyOnceDelivery: bool(c.enableExactlyOnceDelivery, 'enableExactlyOnceDelivery', false),
    retainAckedMessages: bool(c.retainAckedMessages, 'retainAckedMessages', false),
    messageRetentionDuration: c.messageRetentionDuration === undefined ? 7 * DAY : durationIn(c.messageRetentionDuration, 'messageRetentionDuration', 10 * MIN, 7 * DAY),
    labels: labels(c.labels, 'labels'),
    detached: false,
    createTime: now,
  };
  return {
    ...info,
    ...(c.retryPolicy !== undefined && c.retryPolicy !== null ? { retryPolicy: retryPolicy(c.retryPolicy) } : {}),
    ...(c.deadLetterPolicy !== undefined && c.deadLetterPolicy !== null ? { deadLetterPolicy: deadLetterPolicy(c.deadLetterPolicy, topic) } : {}),
    ...(filter !== undefined ? { filter } : {}),
  };
}

/** Applies an update to a subscription (topic, filter and ordering cannot change: those keys are refused). */
export function applySubscriptionUpdate(info: SubscriptionInfo, update: SubscriptionUpdate): SubscriptionInfo {
  const u = object(update, `update of subscription ${info.name}`);
  for (const k of ['topic', 'filter', 'enableMessageOrdering']) {
    if (k in u) throw new BusInvalidArgumentError(`${k} of a subscription cannot change after it is created`, { hint: 'create a new subscription with the value you want' });
  }
  rejectUnknownKeys(u, UPDATE_KEYS, `update of subscription ${info.name}`);
  let next: SubscriptionInfo = { ...info };
  if (u.ackDeadline !== undefined) next = { ...next, ackDeadline: durationIn(u.ackDeadline, 'ackDeadline', 10 * S, 600 * S) };
  if (u.enableExactlyOnceDelivery !== undefined) next = { ...next, enableExactlyOnceDelivery: bool(u.enableExactlyOnceDelivery, 'enableExactlyOnceDelivery', false) };
  if (u.retainAckedMessages !== undefined) next = { ...next, retainAckedMessages: bool(u.retainAckedMessages, 'retainAckedMessages', false) };
  if (u.messageRetentionDuration !== undefined) next = { ...next, messageRetentionDuration: durationIn(u.messageRetentionDuration, 'messageRetentionDuration', 10 * MIN, 7 * DAY) };
  if (u.labels !== undefined) next = { ...next, labels: labels(u.labels, 'labels') };
  if (u.retryPolicy === null) {
    const { retryPolicy: _r, ...rest } = next;
    next = rest;
  } else if (u.retryPolicy !== undefined) next = { ...next, retryPolicy: retryPolicy(u.retryPolicy) };
  if (u.deadLetterPolicy === null) {
    const { deadLetterPolicy: _d, ...rest } = next;
    next = rest;
  } else if (u.deadLetterPolicy !== undefined) next = { ...next, deadLetterPolicy: deadLetterPolicy(u.deadLetterPolicy, info.topic) };
  return next;
}
