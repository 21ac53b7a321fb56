/**
 * The JSON shapes of the bus's HTTP API (documented in ../openapi.yaml), shared by the server (which validates
 * requests with these zod schemas and encodes answers) and the client (which encodes requests and decodes answers).
 *
 * Conventions, as Cloud Pub/Sub's REST API: message data is base64 in JSON; times are RFC 3339 strings
 * (`2026-12-07T01:02:03.456Z`); a received message is `{ ackId, deliveryAttempt, message: { messageId, data,
 * attributes, orderingKey?, publishTime } }`. Configuration bodies are the `Bus` interface's own types (durations as
 * '10s' or milliseconds on input, milliseconds on output), so the HTTP API and the TypeScript API say the same thing.
 * Unknown fields are errors everywhere.
 */
import { z } from 'zod';
import { closest } from '../../../config/index.ts';
import type {
  AckResponse,
  BusStats,
  Message,
  PublishMessage,
  ReceivedMessage,
  SnapshotInfo,
  SubscriptionInfo,
  SubscriptionStats,
  TopicInfo,
  TopicStats,
} from '../bus-api.ts';

// ---------------------------------------------------------------------------------------------------------------
// Requests

const duration = z.union([z.number().finite().nonnegative(), z.string().min(1)], { error: "expected a duration: milliseconds or a string like '10s', '5m'" });
const labels = z.record(z.string(), z.string());
const attributes = z.record(z.string(), z.string());
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const base64 = z.string().regex(BASE64, { error: 'expected base64 (standard alphabet, padded)' });
const rfc3339 = z.iso.datetime({ offset: true, error: 'expected an RFC 3339 time such as 2026-12-07T01:02:03.456Z' });

export const topicConfigBody = z.strictObject({
  messageRetentionDuration: duration.optional(),
  retentionBytes: z.number().int().positive().optional(),
  schema: z
    .strictObject({
      type: z.enum(['json', 'avro']),
      definition: z.string(),
      encoding: z.enum(['json', 'binary']).optional(),
    })
    .optional(),
  messageDedup: z.strictObject({ idAttribute: z.string().min(1), window: duration.optional() }).optional(),
  labels: labels.optional(),
});

const retryPolicy = z.strictObject({ minimumBackoff: duration.optional(), maximumBackoff: duration.optional() });
const deadLetterPolicy = z.strictObject({ deadLetterTopic: z.string().min(1), maxDeliveryAttempts: z.number().int().optional() });

export const subscriptionConfigBody = z.strictObject({
  topic: z.string().min(1),
  ackDeadline: duration.optional(),
  retryPolicy: retryPolicy.optional(),
  deadLetterPolicy: deadLetterPolicy.optional(),
  filter: z.string().optional(),
  enableMessageOrdering: z.boolean().optional(),
  enableExactlyOnceDelivery: z.boolean().optional(),
  retainAckedMessages: z.boolean().optional(),
  messageRetentionDuration: duration.optional(),
  labels: labels.optional(),
});

export const subscriptionUpdateBody = z.strictObject({
  ackDeadline: duration.optional(),
  retryPolicy: retryPolicy.nullable().optional(),
  deadLetterPolicy: deadLetterPolicy.nullable().optional(),
  enableExactlyOnceDelivery: z.boolean().optional(),
  retainAckedMessages: z.boolean().optional(),
  messageRetentionDuration: duration.optional(),
  labels: labels.optional(),
});

/** At most this many messages in one publish request (as Pub/Sub). */
export const MAX_PUBLISH_MESSAGES = 1000;

export const publishBody = z.strictObject({
  messages: z
    .array(z.strictObject({ data: base64, attributes: attributes.optional(), orderingKey: z.string().optional() }))
    .min(1, { error: 'expected at least one message' })
    .max(MAX_PUBLISH_MESSAGES, { error: `expected at most ${MAX_PUBLISH_MESSAGES} messages per request` }),
});

export const pullBody = z.strictObject({
  maxMessages: z.number().int().min(1).max(1000),
  wait: duration.optional(),
});

const ackIds = z.array(z.string());
export const ackBody = z.strictObject({ ackIds });
export const modifyAckDeadlineBody = z.strictObject({ ackIds, ackDeadline: duration });

export const seekBody = z.union(
  [z.strictObject({ time: rfc3339 }), z.strictObject({ snapshot: z.string().min(1) })],
  { error: 'expected either {"time": "<RFC 3339 time>"} or {"snapshot": "<name>"}' },
);

export const snapshotBody = z.strictObject({ subscription: z.string().min(1), labels: labels.optional() });

export const statsQuery = z.strictObject({ topic: z.string().min(1).optional(), subscription: z.string().min(1).optional() });

/** Query parameters of the streaming pull's WebSocket (`GET /v1/subscriptions/{s}:streamingPull`). */
export const streamingPullQuery = z.strictObject({
  maxOutstandingMessages: z.coerce.number().int().positive().optional(),
  maxOutstandingBytes: z.coerce.number().int().positive().optional(),
  maxExtension: z.union([z.string().regex(/^\d+$/).transform(Number), z.string().min(1)]).optional(),
  /** `binary`: messages come as binary frames (binary-batch.ts); default `json` text frames. */
  frames: z.enum(['json', 'binary']).optional(),
});

/** What a streaming-pull client sends on its WebSocket: an ack, nack or deadline change, answered by its `id`. */
export const streamingClientFrame = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('acknowledge'), id: z.number().int(), ackIds }),
  z.strictObject({ type: z.literal('nack'), id: z.number().int(), ackIds }),
  z.strictObject({ type: z.literal('modifyAckDeadline'), id: z.number().int(), ackIds, ackDeadline: duration }),
]);
export type StreamingClientFrame = z.infer<typeof streamingClientFrame>;

/** What the server sends on a streaming pull's WebSocket. */
export type StreamingServerFrame =
  | { readonly type: 'messages'; readonly receivedMessages: readonly WireReceivedMessage[] }
  | { readonly type: 'result'; readonly id: number; readonly result: AckResponse }
  | { readonly type: 'error'; readonly id?: number; readonly error: WireError };

// ---------------------------------------------------------------------------------------------------------------
// Answers

/** An error answer: `{ "error": { "code", "message", "hint"? } }`; `code` is a BusErrorCode or one of the HTTP ones. */
export interface WireError {
  readonly code: string;
  readonly message: string;
  readonly hint?: string;
}

export interface WireMessage {
  readonly messageId: string;
  readonly data: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly orderingKey?: string;
  readonly publishTime: string;
}

export interface WireReceivedMessage {
  readonly ackId: string;
  readonly deliveryAttempt: number;
  readonly message: WireMessage;
}

type WithTimes<T, K extends keyof T> = Omit<T, K> & { readonly [P in K]: string };
export type WireTopic = WithTimes<TopicInfo, 'createTime'>;
export type WireSubscription = WithTimes<SubscriptionInfo, 'createTime'>;
export type WireSnapshot = WithTimes<SnapshotInfo, 'createTime' | 'expireTime'>;
export type WireTopicStats = Omit<TopicStats, 'oldestPublishTime'> & { readonly oldestPublishTime?: string };
export interface WireStats {
  readonly topics: readonly WireTopicStats[];
  readonly subscriptions: readonly SubscriptionStats[];
}

// ---------------------------------------------------------------------------------------------------------------
// Conversions

/** An Instant as RFC 3339 (milliseconds, UTC). */
export const timeToWire = (t: number): string => new Date(t).toISOString();
/** RFC 3339 back to an Instant. */
export const timeFromWire = (s: string): number => Date.parse(s);

export function bytesToBase64(data: Uint8Array): string {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64');
}

export function base64ToBytes(text: string): Uint8Array {
  const b = Buffer.from(text, 'base64');
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

export function publishMessageToWire(m: PublishMessage): { data: string; attributes?: Record<string, string>; orderingKey?: string } {
  const data = typeof m.data === 'string' ? Buffer.from(m.data, 'utf8').toString('base64') : bytesToBase64(m.data);
  return { data, ...(m.attributes !== undefined ? { attributes: { ...m.attributes } } : {}), ...(m.orderingKey !== undefined ? { orderingKey: m.orderingKey } : {}) };
}

export function publishMessageFromWire(m: z.infer<typeof publishBody>['messages'][number]): PublishMessage {
  return { data: base64ToBytes(m.data), ...(m.attributes !== undefined ? { attributes: m.attributes } : {}), ...(m.orderingKey !== undefined ? { orderingKey: m.orderingKey } : {}) };
}

export function messageToWire(m: Message): WireMessage {
  return { messageId: m.id, data: bytesToBase64(m.data), attributes: m.attributes, ...(m.orderingKey !== undefined ? { orderingKey: m.orderingKey } : {}), publishTime: timeToWire(m.publishTime) };
}

export function receivedToWire(m: ReceivedMessage): WireReceivedMessage {
  return { ackId: m.ackId, deliveryAttempt: m.deliveryAttempt, message: messageToWire(m) };
}

export function receivedFromWire(w: WireReceivedMessage): ReceivedMessage {
  const m = w.message;
  return {
    id: m.messageId,
    data: base64ToBytes(m.data),
    attributes: m.attributes ?? {},
    ...(m.orderingKey !== undefined ? { orderingKey: m.orderingKey } : {}),
    publishTime: timeFromWire(m.publishTime),
    ackId: w.ackId,
    deliveryAttempt: w.deliveryAttempt,
  };
}

export const topicToWire = (t: TopicInfo): WireTopic => ({ ...t, createTime: timeToWire(t.createTime) });
export const topicFromWire = (t: WireTopic): TopicInfo => ({ ...t, createTime: timeFromWire(t.createTime) });
export const subscriptionToWire = (s: SubscriptionInfo): WireSubscription => ({ ...s, createTime: timeToWire(s.createTime) });
export const subscriptionFromWire = (s: WireSubscription): SubscriptionInfo => ({ ...s, createTime: timeFromWire(s.createTime) });
export const snapshotToWire = (s: SnapshotInfo): WireSnapshot => ({ ...s, createTime: timeToWire(s.createTime), expireTime: timeToWire(s.expireTime) });
export const snapshotFromWire = (s: WireSnapshot): SnapshotInfo => ({ ...s, createTime: timeFromWire(s.createTime), expireTime: timeFromWire(s.expireTime) });

export function statsToWire(s: BusStats): WireStats {
  return {
    topics: s.topics.map(({ oldestPublishTime, ...t }) => ({ ...t, ...(oldestPublishTime !== undefined ? { oldestPublishTime: timeToWire(oldestPublishTime) } : {}) })),
    subscriptions: s.subscriptions,
  };
}

export function statsFromWire(s: WireStats): BusStats {
  return {
    topics: s.topics.map(({ oldestPublishTime, ...t }) => ({ ...t, ...(oldestPublishTime !== undefined ? { oldestPublishTime: timeFromWire(oldestPublishTime) } : {}) })),
    subscriptions: s.subscriptions,
  };
}

/**
 * Parses `value` with `schema`; unknown keys are named with the closest known key, as the in-process bus does
 * (`unknown key 'retention' (did you mean 'retentionBytes'?)`).
 */
export function parseWire<S extends z.ZodType>(schema: S, value: unknown): z.ZodSafeParseResult<z.infer<S>> {
  return schema.safeParse(value, { error: unknownKeyMessage }) as z.ZodSafeParseResult<z.infer<S>>;
}

function unknownKeyMessage(iss: z.core.$ZodRawIssue): string | undefined {
  if (iss.code !== 'unrecognized_keys') return undefined;
  const shape = (iss.inst as { _zod?: { def?: { shape?: Record<string, unknown> } } } | undefined)?._zod?.def?.shape;
  const known = shape !== undefined ? Object.keys(shape) : [];
  return (iss as unknown as { keys: string[] }).keys
    .map((k) => {
      const [near] = closest(k, known);
      return `unknown key '${k}'${near !== undefined ? ` (did you mean '${near}'?)` : ''}`;
    })
    .join(', ');
}

/** A zod error as one line naming each field: `messages[2].data: expected base64 (standard alphabet, padded)`. */
export function describeIssues(error: z.ZodError, what: string): string {
  const parts = error.issues.map((issue) => {
    const path = issue.path.reduce<string>((acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : acc === '' ? String(p) : `${acc}.${String(p)}`), '');
    return `${path === '' ? what : path}: ${issue.message}`;
  });
  return parts.join('; ');
}
