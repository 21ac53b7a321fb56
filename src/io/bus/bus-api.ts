/**
 * The one interface of Riffle's message bus: the embedded, durable in-process bus (`openBus`) and the HTTP client of
 * `riffle bus serve` both implement `Bus`, and one semantic suite (`runBusSuite`) checks both. The semantics are Cloud
 * Pub/Sub's: topics, subscriptions with ack deadlines, retry policies, dead letters, filters, ordering keys, exactly-once
 * delivery, seek and snapshots.
 *
 * Conventions: names follow Pub/Sub's rule (`[A-Za-z][A-Za-z0-9-_.~+%]{2,254}`, not starting with `goog`); durations
 * are `DurationLike` on input ('10s', '5m', or milliseconds) and milliseconds on output (so an output is a valid
 * input); times are `Instant`s (ms since the epoch). This file is stable: changes to it are additive only.
 *
 * @example
 *   const bus = await openBus({ dir: '.riffle/bus' });
 *   await bus.createTopic('readings');
 *   await bus.createSubscription('archive', { topic: 'readings', ackDeadline: '30s' });
 *   const [id] = await bus.publish('readings', [{ data: '{"t":21.5}', attributes: { sensor: 's1' } }]);
 *   for (const m of await bus.pull('archive', { maxMessages: 10 })) await bus.acknowledge('archive', [m.ackId]);
 */
import type { DurationLike, Instant, Millis } from '../../model/index.ts';

// ---------------------------------------------------------------------------------------------------------------
// Topics

/** A topic's schema: every published message's data must match it (JSON text for `json`; Avro binary or JSON). */
export interface SchemaSettings {
  /** `json`: a JSON Schema (draft 2020-12 or 07, checked with ajv); `avro`: an Avro schema (checked with avsc). */
  readonly type: 'json' | 'avro';
  /** The schema itself, as JSON text. */
  readonly definition: string;
  /** For `avro`: whether messages carry Avro's JSON encoding or its binary encoding (default `json`). */
  readonly encoding?: 'json' | 'binary';
}

/** Dedup of republished messages: a second message with the same id attribute within the window is not stored again. */
export interface MessageDedupSettings {
  /** The attribute holding the publisher's message id (e.g. `eventId`). */
  readonly idAttribute: string;
  /** How long an id is remembered (default '10m'). */
  readonly window?: DurationLike;
}

/** What `createTopic` accepts. */
export interface TopicConfig {
  /** How long messages are kept (default '7d'); whole old segments are deleted past it. */
  readonly messageRetentionDuration?: DurationLike;
  /** Past this many bytes the oldest segments are deleted (default: no size bound). */
  readonly retentionBytes?: number;
  readonly schema?: SchemaSettings;
  readonly messageDedup?: MessageDedupSettings;
  readonly labels?: Readonly<Record<string, string>>;
}

/** A topic as the bus reports it (durations in ms). */
export interface TopicInfo {
  readonly name: string;
  readonly messageRetentionDuration: Millis;
  readonly retentionBytes?: number;
  readonly schema?: SchemaSettings;
  readonly messageDedup?: { readonly idAttribute: string; readonly window: Millis };
  readonly labels: Readonly<Record<string, string>>;
  readonly createTime: Instant;
}

// ---------------------------------------------------------------------------------------------------------------
// Subscriptions

/** Redelivery delay after a nack or an expired deadline: exponential between the two bounds (each 10 s – 600 s). */
export interface RetryPolicy {
  /** Default '10s'. */
  readonly minimumBackoff?: DurationLike;
  /** Default '600s'. */
  readonly maximumBackoff?: DurationLike;
}

/** Where a message goes after too many delivery attempts. */
export interface DeadLetterPolicy {
  /** The dead-letter topic (must exist; it must not be the subscription's own topic). */
  readonly deadLetterTopic: string;
  /** 5 – 100, default 5. */
  readonly maxDeliveryAttempts?: number;
}

/** What `createSubscription` accepts. */
export interface SubscriptionConfig {
  readonly topic: string;
  /** Time to ack a delivered message before it is redelivered: 10 s – 600 s, default '10s'. */
  readonly ackDeadline?: DurationLike;
  /** Without one, a nacked or expired message is redelivered at once (as Pub/Sub does). */
  readonly retryPolicy?: RetryPolicy;
  readonly deadLetterPolicy?: DeadLetterPolicy;
  /** An attribute filter in Pub/Sub's syntax, e.g. `attributes.kind = "click" AND NOT attributes:test`. Immutable. */
  readonly filter?: string;
  /** Messages with the same ordering key are delivered in publish order, one outstanding at a time. Immutable. */
  readonly enableMessageOrdering?: boolean;
  /** An ack id succeeds at most once; an expired one fails; no redelivery before the deadline expires. */
  readonly enableExactlyOnceDelivery?: boolean;
  /** Keep acked messages so that a seek back in time delivers them again (default false). */
  readonly retainAckedMessages?: boolean;
  /** How long an unacked (or retained acked) message stays in the backlog: 10 min – 7 days, default '7d'. */
  readonly messageRetentionDuration?: DurationLike;
  readonly labels?: Readonly<Record<string, string>>;
}

/** What `updateSubscription` may change (topic, filter and ordering cannot change); `null` clears a policy. */
export interface SubscriptionUpdate {
  readonly ackDeadline?: DurationLike;
  readonly retryPolicy?: RetryPolicy | null;
  readonly deadLetterPolicy?: DeadLetterPolicy | null;
  readonly enableExactlyOnceDelivery?: boolean;
  readonly retainAckedMessages?: boolean;
  readonly messageRetentionDuration?: DurationLike;
  readonly labels?: Readonly<Record<string, string>>;
}

/** A subscription as the bus reports it (durations in ms, defaults filled in). */
export interface SubscriptionInfo {
  readonly name: string;
  /** The topic's name; `_deleted-topic_` once its topic was deleted (the subscription is then detached). */
  readonly topic: string;
  readonly ackDeadline: Millis;
  readonly retryPolicy?: { readonly minimumBackoff: Millis; readonly maximumBackoff: Millis };
  readonly deadLetterPolicy?: { readonly deadLetterTopic: string; readonly maxDeliveryAttempts: number };
  readonly filter?: string;
  readonly enableMessageOrdering: boolean;
  readonly enableExactlyOnceDelivery: boolean;
  readonly retainAckedMessages: boolean;
  readonly messageRetentionDuration: Millis;
  readonly labels: Readonly<Record<string, string>>;
  readonly detached: boolean;
  readonly createTime: Instant;
}

// ---------------------------------------------------------------------------------------------------------------
// Messages

/** A message to publish. String data is stored as its UTF-8 bytes. */
export interface PublishMessage {
  readonly data: Uint8Array | string;
  readonly attributes?: Readonly<Record<string, string>>;
  /** Messages with the same key reach an ordering subscription in publish order. */
  readonly orderingKey?: string;
}

/** A stored message. */
export interface Message {
  /** Unique within its topic (the decimal offset in the topic's log). */
  readonly id: string;
  readonly data: Uint8Array;
  readonly attributes: Readonly<Record<string, string>>;
  readonly orderingKey?: string;
  /** When the bus accepted it. */
  readonly publishTime: Instant;
}

/** A message delivered to a subscriber, with what it needs to acknowledge it. */
export interface ReceivedMessage extends Message {
  /** Opaque; valid for this delivery only. */
  readonly ackId: string;
  /** 1 on the first delivery, then 2, 3 ... (counts nacks and expired deadlines). */
  readonly deliveryAttempt: number;
}

/** Why one ack id of an acknowledge/modifyAckDeadline/nack call failed. */
export type AckFailureReason =
  /** Not an ack id this subscription issued (malformed, another subscription's, or from before a seek). */
  | 'invalid'
  /** Its deadline passed (exactly-once subscriptions refuse it; the message is or will be redelivered). */
  | 'expired'
  /** The message was acked already (exactly-once: an ack id succeeds once). */
  | 'already-acked';

/** The result of an acknowledge, modifyAckDeadline or nack call, per ack id. */
export interface AckResponse {
  readonly succeeded: readonly string[];
  readonly failed: ReadonlyArray<{ readonly ackId: string; readonly reason: AckFailureReason }>;
}

/** `pull` options. */
export interface PullOptions {
  /** At most this many messages (1 – 1000). */
  readonly maxMessages: number;
  /** Wait up to this long for a first message when none is available (default 0: return at once, maybe empty). */
  readonly wait?: DurationLike;
}

/** Flow control of a streaming pull (the client library's settings of Pub/Sub). */
export interface StreamingPullOptions {
  /** Messages held by the receiver (yielded, not yet acked or nacked) at most (default 1000). */
  readonly maxOutstandingMessages?: number;
  /** Bytes of data held at most (default 100 MB). A single larger message is still delivered when nothing is held. */
  readonly maxOutstandingBytes?: number;
  /** Held messages' deadlines are extended automatically up to this long after delivery (default '60m'; 0 = never). */
  readonly maxExtension?: DurationLike;
  /** Stops the stream when aborted (as `close()`). */
  readonly signal?: AbortSignal;
}

/** A message from a streaming pull: held (its lease extended) until acked or nacked. */
export interface StreamedMessage extends ReceivedMessage {
  ack(): Promise<AckResponse>;
  /** Redelivery after the retry policy's backoff (at once without one). */
  nack(): Promise<AckResponse>;
  modifyAckDeadline(deadline: DurationLike): Promise<AckResponse>;
}

/**
 * A streaming pull: an async iterable of messages under flow control. Breaking out of the loop or `close()` stops it;
 * messages still held are nacked so that they are redelivered.
 */
export interface MessageStream extends AsyncIterable<StreamedMessage> {
  /**
   * Acknowledges many messages in one call (one request, one frame, one journal record; a message's own `ack()`
   * gathers the acks of a tick the same way): what a receiver that acks a whole batch at once calls.
   */
  acknowledge(ackIds: readonly string[]): Promise<AckResponse>;
  /** Gives many messages back in one call (as each one's `nack()`). */
  nack(ackIds: readonly string[]): Promise<AckResponse>;
  /** Changes many messages' deadlines in one call (as each one's `modifyAckDeadline`; 0 gives them back). */
  modifyAckDeadline(ackIds: readonly string[], deadline: DurationLike): Promise<AckResponse>;
  close(): Promise<void>;
  readonly closed: boolean;
}

// ---------------------------------------------------------------------------------------------------------------
// Seek and snapshots

/** Where to seek a subscription: a time (messages published before it count as acked, after it as unacked), or a snapshot. */
export type SeekTarget = { readonly time: Instant } | { readonly snapshot: string };

export interface SnapshotInfo {
  readonly name: string;
  readonly topic: string;
  /** The subscription it was taken from. */
  readonly subscription: string;
  readonly createTime: Instant;
  /** When it stops being usable (its oldest unacked message leaves the topic's retention). */
  readonly expireTime: Instant;
  readonly labels: Readonly<Record<string, string>>;
}

// ---------------------------------------------------------------------------------------------------------------
// Statistics

export interface TopicStats {
  readonly topic: string;
  /** Messages and bytes retained in the log. */
  readonly messages: number;
  readonly bytes: number;
  readonly segments: number;
  /** Messages published per second over the last minute. */
  readonly publishRate: number;
  readonly oldestPublishTime?: Instant;
}

export interface SubscriptionStats {
  readonly subscription: string;
  readonly topic: string;
  /** Unacked messages (those the filter selects) and their bytes. */
  readonly backlogMessages: number;
  readonly backlogBytes: number;
  /** Age of the oldest unacked message, ms (undefined when the backlog is empty). */
  readonly oldestUnackedAge?: Millis;
  /** Delivered and not yet acked, nacked or expired. */
  readonly outstandingMessages: number;
  /** Per second over the last minute. */
  readonly deliveryRate: number;
  readonly ackRate: number;
  readonly nackRate: number;
  /** Since the bus opened: deadlines that expired, messages sent to the dead-letter topic. */
  readonly expiredDeadlines: number;
  readonly deadLettered: number;
}

export interface BusStats {
  readonly topics: readonly TopicStats[];
  readonly subscriptions: readonly SubscriptionStats[];
}

// ---------------------------------------------------------------------------------------------------------------
// The bus

/** Riffle's message bus: in-process (`openBus`) or through a server (the HTTP client); both behave the same. */
export interface Bus {
  createTopic(name: string, config?: TopicConfig): Promise<TopicInfo>;
  getTopic(name: string): Promise<TopicInfo>;
  listTopics(): Promise<TopicInfo[]>;
  /** Deletes the topic and its messages; its subscriptions stay, detached (topic `_deleted-topic_`). */
  deleteTopic(name: string): Promise<void>;

  createSubscription(name: string, config: SubscriptionConfig): Promise<SubscriptionInfo>;
  getSubscription(name: string): Promise<SubscriptionInfo>;
  /** All subscriptions, or those of one topic. */
  listSubscriptions(topic?: string): Promise<SubscriptionInfo[]>;
  updateSubscription(name: string, update: SubscriptionUpdate): Promise<SubscriptionInfo>;
  deleteSubscription(name: string): Promise<void>;

  /**
   * Publishes a batch; resolves with the message ids in order once the batch is durable per the bus's fsync policy.
   * All or nothing: a message that fails the schema refuses the whole call, naming it and the reason. Messages whose
   * dedup id was seen within the window get the id of the first one and are not stored again.
   */
  publish(topic: string, messages: readonly PublishMessage[]): Promise<string[]>;

  /** Up to `maxMessages` messages whose turn it is; each leased for the subscription's ack deadline. */
  pull(subscription: string, options: PullOptions): Promise<ReceivedMessage[]>;
  /** A flow-controlled stream of messages with automatic lease extension. */
  streamingPull(subscription: string, options?: StreamingPullOptions): MessageStream;
  acknowledge(subscription: string, ackIds: readonly string[]): Promise<AckResponse>;
  /** Sets the remaining deadline of delivered messages (0 – 600 s; 0 makes them available again at once). */
  modifyAckDeadline(subscription: string, ackIds: readonly string[], deadline: DurationLike): Promise<AckResponse>;
  /** Gives messages back: redelivered after the retry policy's backoff, or dead-lettered past the maximum attempts. */
  nack(subscription: string, ackIds: readonly string[]): Promise<AckResponse>;

  seek(subscription: string, target: SeekTarget): Promise<void>;
  /** Captures the subscription's acknowledgment state (which messages are unacked) under a new name. */
  createSnapshot(name: string, subscription: string, options?: { labels?: Readonly<Record<string, string>> }): Promise<SnapshotInfo>;
  getSnapshot(name: string): Promise<SnapshotInfo>;
  listSnapshots(): Promise<SnapshotInfo[]>;
  deleteSnapshot(name: string): Promise<void>;

  /** Backlogs, oldest unacked ages and rates: all topics and subscriptions, or the named ones. */
  stats(filter?: { topic?: string; subscription?: string }): Promise<BusStats>;

  /** Finishes pending writes (their publishes resolve), ends streams, releases files. Idempotent. */
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------------------------
// Publisher (client-side batching over any Bus)

/** When a publisher sends a batch: whichever bound is reached first (defaults 1 MB, 50 ms, 100 messages). */
export interface PublisherBatching {
  readonly maxBytes?: number;
  readonly maxLatency?: DurationLike;
  readonly maxMessages?: number;
}

/**
 * Batches single publishes into `Bus.publish` calls. With ordering keys, a failed publish pauses its key: later
 * publishes with that key fail (BusOrderingKeyPausedError) until `resumePublish(key)`.
 */
export interface Publisher {
  /** Resolves with the id once the batch holding the message is durable. */
  publish(message: PublishMessage): Promise<string>;
  resumePublish(orderingKey: string): void;
  /** Sends what is buffered now and waits for it. */
  flush(): Promise<void>;
  /** Flushes, then refuses further publishes. */
  close(): Promise<void>;
}
