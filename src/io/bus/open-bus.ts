/**
 * The embedded, durable bus: `openBus({ dir })` gives a `Bus` (see bus-api.ts) over a directory of topic logs and
 * subscription journals. One process owns a directory at a time (a lock file); other processes share it through
 * `riffle bus serve`.
 * @example
 *   const bus = await openBus({ dir: '.riffle/bus', fsync: 'interval' });
 *   await bus.createTopic('readings', { messageRetentionDuration: '1d' });
 *   await bus.createSubscription('archive', { topic: 'readings', ackDeadline: '30s' });
 *   await bus.publish('readings', [{ data: 'hello', attributes: { sensor: 's1' } }]);
 *   for await (const m of bus.streamingPull('archive')) { ...; await m.ack(); }
 */
import { join } from 'node:path';
import { parseDuration, type DurationLike } from '../../model/index.ts';
import type {
  AckResponse, Bus, BusStats, Message, MessageStream, PublishMessage, PullOptions, ReceivedMessage, SeekTarget, SnapshotInfo,
  StreamingPullOptions, SubscriptionConfig, SubscriptionInfo, SubscriptionUpdate, TopicConfig, TopicInfo, TopicStats,
} from './bus-api.ts';
import {
  BusAlreadyExistsError, BusClosedError, BusError, BusFailedPreconditionError, BusInvalidArgumentError, BusNotFoundError, BusUnavailableError,
} from './bus-errors.ts';
import { applySubscriptionUpdate, durationIn, rejectUnknownKeys, resolveSubscriptionConfig, resolveTopicConfig } from './bus-config.ts';
import { resolveBusOptions, type BusOptions, type ResolvedBusOptions } from './bus-options.ts';
import { SnapshotCatalog } from './bus-snapshots.ts';
import { BusStore } from './bus-store.ts';
import { systemClock, type Clock, type ClockTimer } from './clock.ts';
import type { FsyncPolicy } from './group-commit.ts';
import { checkAckIds, createMessageStream } from './message-stream.ts';
import { validateName } from './names.ts';
import { OffsetSet } from './offset-set.ts';
import { DELETED_TOPIC, SubscriptionRuntime, type SubscriptionDeps } from './subscription.ts';
import { TopicLog } from './topic-log.ts';
import { TopicRuntime } from './topic-runtime.ts';

/** Opens (or creates) the bus in `options.dir`. */
export async function openBus(options: BusOptions): Promise<InProcessBus> {
  const bus = new InProcessBus(options, resolveBusOptions(options));
  await bus.load();
  return bus;
}

/** The in-process bus. */
export class InProcessBus implements Bus {
  private readonly store: BusStore;
  private readonly clock: Clock;
  private readonly warn: (m: string) => void;
  readonly fsync: FsyncPolicy;
  private readonly subDeps: SubscriptionDeps;
  private topics = new Map<string, TopicRuntime>();
  private subs = new Map<string, SubscriptionRuntime>();
  private snapshots: SnapshotCatalog | undefined;
  private streams = new Set<MessageStream>();
  private maintenanceTimer: ClockTimer | undefined;
  private isClosed = false;
  private closing: Promise<void> | undefined;

  /** @internal use openBus */
  constructor(
    private readonly options: BusOptions,
    private readonly resolved: ResolvedBusOptions,
  ) {
    this.fsync = resolved.fsync;
    this.clock = options.clock ?? systemClock;
    this.warn = options.onWarning ?? ((m) => process.stderr.write(`riffle bus: warning: ${m}\n`));
    this.store = BusStore.open(options.dir);
    this.subDeps = {
      clock: this.clock,
      fsync: resolved.fsync,
      fsyncIntervalMs: resolved.fsyncIntervalMs,
      journalCompactBytes: resolved.journalCompactBytes,
      maxPendingMessages: resolved.maxPendingMessages,
      maxPendingBytes: resolved.maxPendingBytes,
      warn: this.warn,
      deadLetter: (sub, msg, attempts) => this.forwardDeadLetter(sub, msg, attempts),
    };
  }

  /** @internal Loads topics, subscriptions and snapshots from disk. */
  async load(): Promise<void> {
    try {
      this.store.sweep();
      for (const name of this.store.list('topics')) {
        try {
          validateName('topic', name);
        } catch {
          this.warn(`${join(this.options.dir, 'topics', name)} is not a topic directory (invalid name); ignored`);
          continue;
        }
        const dir = this.store.dirOf('topics', name);
        const info = this.store.readJson<TopicInfo>(join(dir, 'topic.json'));
        if (info === undefined) {
          this.warn(`${dir} has no topic.json (a create cut short?); ignored`);
          continue;
        }
        this.topics.set(name, await TopicRuntime.open(info, dir, await this.openLog(dir), this.clock));
      }
      for (const name of this.store.list('subscriptions')) {
        const dir = this.store.dirOf('subscriptions', name);
        const info = this.store.readJson<SubscriptionInfo>(join(dir, 'subscription.json'));
        if (info === undefined) {
          this.warn(`${dir} has no subscription.json (a create cut short?); ignored`);
          continue;
        }
        const topic = this.topics.get(info.topic);
        const sub = new SubscriptionRuntime(info, dir, topic?.log, this.subDeps);
        if (!topic && !info.detached) {
          sub.detach();
          this.store.writeJson(join(dir, 'subscription.json'), sub.info);
        }
        this.subs.set(name, sub);
      }
      this.snapshots = SnapshotCatalog.load(this.store);
      await this.runMaintenance();
    } catch (e) {
      await this.close().catch(() => undefined);
      throw e;
    }
    this.armMaintenance();
  }

  private openLog(dir: string): Promise<TopicLog> {
    return TopicLog.open(dir, { fsync: this.fsync, fsyncIntervalMs: this.resolved.fsyncIntervalMs, segmentBytes: this.resolved.segmentBytes, clock: this.clock, warn: this.warn });
  }

  private armMaintenance(): void {
    if (this.isClosed) return;
    this.maintenanceTimer = this.clock.setTimer(() => {
      void this.runMaintenance()
        .catch((e: unknown) => this.warn(`maintenance failed: ${(e as Error).message}`))
        .finally(() => this.armMaintenance());
    }, this.resolved.maintenanceMs);
  }

  /** Applies retention to every topic and drops expired snapshots (also runs every `maintenanceInterval`). */
  async runMaintenance(): Promise<void> {
    const now = this.clock.now();
    for (const t of this.topics.values()) await t.enforceRetention(now);
    for (const name of this.catalog().expired(now)) await this.deleteSnapshot(name).catch(() => undefined);
  }

  private open(): void {
    if (this.isClosed) throw new BusClosedError();
  }

  private catalog(): SnapshotCatalog {
    this.open();
    if (this.snapshots === undefined) throw new BusClosedError();
    return this.snapshots;
  }

  private topic(name: string): TopicRuntime {
    this.open();
    const t = this.topics.get(name);
    if (!t) throw new BusNotFoundError(`topic ${JSON.stringify(name)} does not exist`, { hint: `create it first (riffle bus topics create ${name})` });
    return t;
  }

  private sub(name: string): SubscriptionRuntime {
    this.open();
    const s = this.subs.get(name);
    if (!s) throw new BusNotFoundError(`subscription ${JSON.stringify(name)} does not exist`, { hint: `create it first (riffle bus subscriptions create ${name} --topic T)` });
    return s;
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Topics

  async createTopic(name: string, config?: TopicConfig): Promise<TopicInfo> {
    this.open();
    const info = resolveTopicConfig(name, config, this.clock.now());
    if (this.topics.has(name)) throw new BusAlreadyExistsError(`topic ${name} exists already`);
    this.store.remove('topics', name); // leftovers of a create cut short
    const dir = this.store.dirOf('topics', name);
    const log = await this.openLog(dir);
    try {
      const t = await TopicRuntime.open(info, dir, log, this.clock); // compiles the schema: an invalid one is refused here
      this.store.writeJson(join(dir, 'topic.json'), info);
      this.topics.set(name, t);
      return info;
    } catch (e) {
      await log.close();
      this.store.remove('topics', name);
      throw e;
    }
  }

  async getTopic(name: string): Promise<TopicInfo> {
    validateName('topic', name);
    return this.topic(name).info;
  }

  async listTopics(): Promise<TopicInfo[]> {
    this.open();
    return [...this.topics.values()].map((t) => t.info).sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  async deleteTopic(name: string): Promise<void> {
    validateName('topic', name);
    const t = this.topic(name);
    this.topics.delete(name);
    for (const s of this.subs.values()) {
      if (s.info.topic === name && !s.detached) {
        s.detach();
        this.store.writeJson(join(s.dir, 'subscription.json'), s.info);
      }
    }
    await t.log.close();
    this.store.remove('topics', name);
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Subscriptions

  private requireDeadLetterTopic(info: SubscriptionInfo): void {
    const dl = info.deadLetterPolicy?.deadLetterTopic;
    if (dl !== undefined && !this.topics.has(dl)) {
      throw new BusNotFoundError(`dead-letter topic ${dl} does not exist`, { hint: `create it first (riffle bus topics create ${dl})` });
    }
  }

  async createSubscription(name: string, config: SubscriptionConfig): Promise<SubscriptionInfo> {
    this.open();
    const info = resolveSubscriptionConfig(name, config, this.clock.now());
    if (this.subs.has(name)) throw new BusAlreadyExistsError(`subscription ${name} exists already`);
    const topic = this.topic(info.topic);
    this.requireDeadLetterTopic(info);
    this.store.remove('subscriptions', name);
    const dir = this.store.dirOf('subscriptions', name);
    // A new subscription starts at the end of its topic: it receives what is published from now on (as Pub/Sub).
    const sub = new SubscriptionRuntime(info, dir, topic.log, this.subDeps);
    const end = topic.log.endOffset;
    if (end > 0) await sub.resetTo(OffsetSet.fromRanges([[0, end]]));
    this.store.writeJson(join(dir, 'subscription.json'), info);
    this.subs.set(name, sub);
    return info;
  }

  async getSubscription(name: string): Promise<SubscriptionInfo> {
    validateName('subscription', name);
    return this.sub(name).info;
  }

  async listSubscriptions(topic?: string): Promise<SubscriptionInfo[]> {
    this.open();
    if (topic !== undefined) this.topic(topic);
    return [...this.subs.values()]
      .map((s) => s.info)
      .filter((i) => topic === undefined || i.topic === topic)
      .sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  async updateSubscription(name: string, update: SubscriptionUpdate): Promise<SubscriptionInfo> {
    validateName('subscription', name);
    const s = this.sub(name);
    const next = applySubscriptionUpdate(s.info, update);
    this.requireDeadLetterTopic(next);
    this.store.writeJson(join(s.dir, 'subscription.json'), next);
    s.info = next;
    return next;
  }

  async deleteSubscription(name: string): Promise<void> {
    validateName('subscription', name);
    const s = this.sub(name);
    this.subs.delete(name);
    await s.close();
    this.store.remove('subscriptions', name);
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Publish and receive

  async publish(topic: string, messages: readonly PublishMessage[]): Promise<string[]> {
    validateName('topic', topic);
    const t = this.topic(topic);
    try {
      return await t.publish(messages);
    } catch (e) {
      if (e instanceof BusError) throw e;
      throw new BusUnavailableError(`could not store the publish to topic ${topic}: ${(e as Error).message}`, {
        cause: e,
        hint: 'check the disk (space, permissions); the messages of this call were not acknowledged',
      });
    }
  }

  private async forwardDeadLetter(sub: SubscriptionRuntime, msg: Message, attempts: number): Promise<void> {
    const dl = sub.info.deadLetterPolicy?.deadLetterTopic;
    const t = dl !== undefined ? this.topics.get(dl) : undefined;
    if (!t) throw new BusNotFoundError(`dead-letter topic ${dl} does not exist`);
    const attributes = {
      ...msg.attributes,
      CloudPubSubDeadLetterSourceDeliveryCount: String(attempts),
      CloudPubSubDeadLetterSourceSubscription: sub.info.name,
      CloudPubSubDeadLetterSourceTopicPublishTime: new Date(msg.publishTime).toISOString(),
    };
    await t.publishRaw([msg.orderingKey !== undefined ? { data: msg.data, attributes, orderingKey: msg.orderingKey } : { data: msg.data, attributes }]);
  }

  async pull(subscription: string, options: PullOptions): Promise<ReceivedMessage[]> {
    validateName('subscription', subscription);
    const s = this.sub(subscription);
    if (typeof options !== 'object' || options === null) throw new BusInvalidArgumentError('pull needs { maxMessages }');
    rejectUnknownKeys(options, ['maxMessages', 'wait'], 'pull options');
    const max = options.maxMessages;
    if (!Number.isInteger(max) || max < 1 || max > 1000) throw new BusInvalidArgumentError(`maxMessages must be a whole number from 1 to 1000, not ${JSON.stringify(max)}`);
    const wait = options.wait === undefined ? 0 : durationIn(options.wait, 'wait', 0, 600_000);
    return s.pull(max, wait);
  }

  streamingPull(subscription: string, options: StreamingPullOptions = {}): MessageStream {
    validateName('subscription', subscription);
    const s = this.sub(subscription);
    const stream = createMessageStream(
      {
        pull: (max, waitMs, signal) => s.pull(max, waitMs, signal),
        acknowledge: (ids) => s.acknowledge(ids),
        nack: (ids) => s.nack(ids),
        modifyAckDeadline: (ids, ms) => s.modifyAckDeadline(ids, ms),
        ackDeadline: async () => s.info.ackDeadline,
      },
      this.clock,
      options,
    );
    for (const st of this.streams) if (st.closed) this.streams.delete(st);
    this.streams.add(stream);
    return stream;
  }

  async acknowledge(subscription: string, ackIds: readonly string[]): Promise<AckResponse> {
    validateName('subscription', subscription);
    return this.sub(subscription).acknowledge(checkAckIds(ackIds));
  }

  async modifyAckDeadline(subscription: string, ackIds: readonly string[], deadline: DurationLike): Promise<AckResponse> {
    validateName('subscription', subscription);
    const s = this.sub(subscription);
    let ms: number;
    try {
      ms = parseDuration(deadline, 'deadline');
    } catch (e) {
      throw new BusInvalidArgumentError((e as Error).message);
    }
    return s.modifyAckDeadline(checkAckIds(ackIds), ms);
  }

  async nack(subscription: string, ackIds: readonly string[]): Promise<AckResponse> {
    validateName('subscription', subscription);
    return this.sub(subscription).nack(checkAckIds(ackIds));
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Seek and snapshots

  async seek(subscription: string, target: SeekTarget): Promise<void> {
    validateName('subscription', subscription);
    const s = this.sub(subscription);
    if (typeof target !== 'object' || target === null) throw new BusInvalidArgumentError('seek needs { time } or { snapshot }');
    if ('time' in target && !('snapshot' in target)) {
      if (typeof target.time !== 'number' || !Number.isFinite(target.time)) throw new BusInvalidArgumentError('seek time must be a number of ms since the epoch');
      await s.seekToTime(target.time);
      return;
    }
    if ('snapshot' in target && !('time' in target)) {
      const snap = this.catalog().get(validateName('snapshot', target.snapshot));
      if (!snap) throw new BusNotFoundError(`snapshot ${target.snapshot} does not exist`);
      if (snap.info.topic !== s.info.topic) {
        throw new BusFailedPreconditionError(`snapshot ${target.snapshot} is of topic ${snap.info.topic}, subscription ${subscription} of topic ${s.info.topic}`, {
          hint: 'seek to a snapshot taken on the same topic',
        });
      }
      if (snap.info.expireTime <= this.clock.now()) throw new BusFailedPreconditionError(`snapshot ${target.snapshot} has expired`);
      await s.resetTo(OffsetSet.fromRanges(snap.acked));
      return;
    }
    throw new BusInvalidArgumentError('seek needs exactly one of { time } or { snapshot }');
  }

  async createSnapshot(name: string, subscription: string, options: { labels?: Readonly<Record<string, string>> } = {}): Promise<SnapshotInfo> {
    validateName('snapshot', name);
    validateName('subscription', subscription);
    this.open();
    if (this.catalog().has(name)) throw new BusAlreadyExistsError(`snapshot ${name} exists already`);
    const s = this.sub(subscription);
    if (s.detached) throw new BusFailedPreconditionError(`subscription ${subscription} is detached (its topic was deleted): nothing to snapshot`);
    const t = this.topic(s.info.topic);
    const now = this.clock.now();
    const st = await s.stats();
    const oldest = now - (st.oldestUnackedAge ?? 0);
    const info: SnapshotInfo = {
      name,
      topic: s.info.topic,
      subscription,
      createTime: now,
      expireTime: oldest + t.info.messageRetentionDuration,
      labels: { ...(options.labels ?? {}) },
    };
    this.catalog().add({ info, acked: s.ackedRanges() });
    return info;
  }

  async getSnapshot(name: string): Promise<SnapshotInfo> {
    validateName('snapshot', name);
    this.open();
    const s = this.catalog().get(name);
    if (!s) throw new BusNotFoundError(`snapshot ${name} does not exist`);
    return s.info;
  }

  async listSnapshots(): Promise<SnapshotInfo[]> {
    return this.catalog().list();
  }

  async deleteSnapshot(name: string): Promise<void> {
    validateName('snapshot', name);
    this.open();
    if (!this.catalog().delete(name)) throw new BusNotFoundError(`snapshot ${name} does not exist`);
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Stats and lifecycle

  async stats(filter: { topic?: string; subscription?: string } = {}): Promise<BusStats> {
    this.open();
    if (filter.topic !== undefined) this.topic(filter.topic);
    if (filter.subscription !== undefined) this.sub(filter.subscription);
    const now = this.clock.now();
    const topics: TopicStats[] = [];
    for (const t of this.topics.values()) {
      if (filter.subscription !== undefined || (filter.topic !== undefined && t.info.name !== filter.topic)) continue;
      const oldest = t.log.oldestPublishTime;
      const base = { topic: t.info.name, messages: t.log.endOffset - t.log.startOffset, bytes: t.log.bytes, segments: t.log.segmentCount, publishRate: t.publishRate.perSecond(now) };
      topics.push(oldest !== undefined ? { ...base, oldestPublishTime: oldest } : base);
    }
    const subscriptions = [];
    for (const s of this.subs.values()) {
      if (filter.subscription !== undefined && s.info.name !== filter.subscription) continue;
      if (filter.topic !== undefined && s.info.topic !== filter.topic) continue;
      subscriptions.push(await s.stats());
    }
    return { topics: topics.sort((a, b) => (a.topic < b.topic ? -1 : 1)), subscriptions: subscriptions.sort((a, b) => (a.subscription < b.subscription ? -1 : 1)) };
  }

  /** fsyncs made by the topic logs so far (group commit: far fewer than publishes). */
  fsyncCount(): number {
    let n = 0;
    for (const t of this.topics.values()) n += t.log.syncCount;
    return n;
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.isClosed = true;
      this.maintenanceTimer?.cancel();
      for (const st of this.streams) await st.close().catch(() => undefined);
      for (const s of this.subs.values()) await s.close().catch((e: unknown) => this.warn(`closing subscription ${s.info.name}: ${(e as Error).message}`));
      for (const t of this.topics.values()) await t.log.close().catch((e: unknown) => this.warn(`closing topic ${t.info.name}: ${(e as Error).message}`));
      this.store.release();
    })();
    return this.closing;
  }
}

export { DELETED_TOPIC };
export type { BusOptions };
