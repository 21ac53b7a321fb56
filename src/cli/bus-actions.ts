/**
 * The actions of `riffle bus ...` (definitions in bus-command.ts). Each finds the bus — a server through --server or
 * $RIFFLE_BUS_URL, else the directory --dir opened in this process — does one thing, and prints a table or, with
 * --json, one JSON document (times ISO-8601, durations ms).
 */
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { bus as busIo } from '../io/index.ts';
import { parseDuration } from '../model/index.ts';
import { UsageError, ExitCode } from './cli-error.ts';
import type { CliIO } from './cli-io.ts';
import type { Command } from './command-kit.ts';
import { formatTable } from './table.ts';

type Bus = busIo.Bus;
type ReceivedMessage = busIo.ReceivedMessage;

interface BusOptions {
  server?: string;
  token?: string;
  dir?: string;
  json?: boolean;
}

const DEFAULT_DIR = '.riffle/bus';
const iso = (t: number | undefined): string | undefined => (t === undefined ? undefined : new Date(t).toISOString());

function options<T>(c: Command): BusOptions & T {
  return c.optsWithGlobals() as BusOptions & T;
}

/** The server URL of this command line, if any: --server, else $RIFFLE_BUS_URL. */
function serverOf(o: BusOptions, io: CliIO): string | undefined {
  const url = o.server ?? io.env.RIFFLE_BUS_URL;
  return url === undefined || url.trim() === '' ? undefined : url.trim();
}

const tokenOf = (o: BusOptions, io: CliIO): string | undefined => {
  const token = o.token ?? io.env[busIo.BUS_TOKEN_ENV];
  return token === undefined || token === '' ? undefined : token;
};

/** Runs `fn` on the bus this command line names, and closes it after. */
async function withBus<T>(o: BusOptions, io: CliIO, fn: (bus: Bus) => Promise<T>): Promise<T> {
  const server = serverOf(o, io);
  const token = tokenOf(o, io);
  const bus: Bus = server !== undefined
    ? await busIo.connectBus(server, token !== undefined ? { token } : {})
    : await busIo.openBus({ dir: resolve(io.cwd, o.dir ?? DEFAULT_DIR) });
  try {
    return await fn(bus);
  } finally {
    await bus.close();
  }
}

function intOption(value: string | undefined, flag: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) throw new UsageError(`${flag} must be a whole number from ${min} to ${max} (got '${value}')`);
  return n;
}

function durationOption(value: string | undefined, flag: string): string | undefined {
  if (value === undefined) return undefined;
  try {
    parseDuration(value, flag);
  } catch {
    throw new UsageError(`${flag} must be a duration like '10s', '5m' or '1h' (got '${value}')`);
  }
  return value;
}

function pairs(values: readonly string[], flag: string): Record<string, string> | undefined {
  if (values.length === 0) return undefined;
  const out: Record<string, string> = {};
  for (const v of values) {
    const eq = v.indexOf('=');
    if (eq <= 0) throw new UsageError(`${flag} takes key=value (got '${v}')`);
    out[v.slice(0, eq)] = v.slice(eq + 1);
  }
  return out;
}

const json = (value: unknown): string => JSON.stringify(value, null, 2);

// ---------------------------------------------------------------------------------------------------------------
// serve

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

/** `riffle bus serve`: serves until SIGINT/SIGTERM, then shuts down gracefully and exits 0. */
export async function serveAction(c: Command, io: CliIO): Promise<number> {
  const o = options<{ port?: string; host?: string; fsync: 'always' | 'interval' | 'never' }>(c);
  if (o.server !== undefined) throw new UsageError('riffle bus serve serves a directory: --server does not apply', { hint: 'pass --dir (default .riffle/bus)' });
  const port = intOption(o.port, '--port', 0, 65535) ?? busIo.DEFAULT_BUS_PORT;
  const host = o.host ?? '127.0.0.1';
  const token = tokenOf(o, io);
  const dir = resolve(io.cwd, o.dir ?? DEFAULT_DIR);
  if (!LOOPBACK.has(host) && token === undefined) io.err(`riffle bus: warning: serving on ${host} without a token: whoever reaches it can read and write the bus (pass --token or set ${busIo.BUS_TOKEN_ENV})`);

  const bus = await busIo.openBus({ dir, fsync: o.fsync });
  let server: Awaited<ReturnType<typeof busIo.startBusServer>>;
  try {
    server = await busIo.startBusServer({ bus, port, host, ...(token !== undefined ? { token } : {}), logError: (e) => io.err(`riffle bus: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`) });
  } catch (e) {
    await bus.close();
    throw e;
  }
  // Listen for signals before saying where the server is: whoever reads that line may stop it at once.
  const stopped = new Promise<NodeJS.Signals>((done) => {
    process.once('SIGINT', () => done('SIGINT'));
    process.once('SIGTERM', () => done('SIGTERM'));
  });
  if (o.json) io.out(JSON.stringify({ url: server.url, dir, fsync: o.fsync, token: token !== undefined }));
  else io.out(`riffle bus: serving ${dir} at ${server.url} (fsync ${o.fsync}${token !== undefined ? ', bearer token required' : ''}); Ctrl-C stops`);

  const signal = await stopped;
  // A second signal stops at once.
  const now = (s: NodeJS.Signals) => process.exit(s === 'SIGTERM' ? ExitCode.terminated : ExitCode.cancelled);
  process.once('SIGINT', now);
  process.once('SIGTERM', now);
  if (!o.json) io.err(`riffle bus: ${signal}: shutting down (finishing requests in flight; again to stop at once)`);
  await server.close();
  await bus.close();
  if (!o.json) io.err('riffle bus: stopped');
  return ExitCode.ok;
}

// ---------------------------------------------------------------------------------------------------------------
// topics

const topicJson = (t: busIo.TopicInfo) => ({ ...t, createTime: iso(t.createTime) });
const subscriptionJson = (s: busIo.SubscriptionInfo) => ({ ...s, createTime: iso(s.createTime) });

export async function topicsCreateAction(c: Command, io: CliIO): Promise<number> {
  const [name] = c.processedArgs as [string];
  const o = options<{ retention?: string; retentionBytes?: string; schemaType?: 'json' | 'avro'; schemaFile?: string; schemaEncoding?: 'json' | 'binary'; dedupAttribute?: string; dedupWindow?: string; label: string[] }>(c);
  if ((o.schemaType === undefined) !== (o.schemaFile === undefined)) throw new UsageError('--schema-type and --schema-file go together', { hint: 'e.g. --schema-type json --schema-file reading.schema.json' });
  if (o.schemaEncoding !== undefined && o.schemaType !== 'avro') throw new UsageError('--schema-encoding applies to --schema-type avro');
  if (o.dedupWindow !== undefined && o.dedupAttribute === undefined) throw new UsageError('--dedup-window needs --dedup-attribute');
  let definition: string | undefined;
  if (o.schemaFile !== undefined) {
    const { readFile } = await import('node:fs/promises');
    definition = await readFile(resolve(io.cwd, o.schemaFile), 'utf8');
  }
  const retention = durationOption(o.retention, '--retention');
  const retentionBytes = intOption(o.retentionBytes, '--retention-bytes', 1, Number.MAX_SAFE_INTEGER);
  const dedupWindow = durationOption(o.dedupWindow, '--dedup-window');
  const labels = pairs(o.label, '--label');
  const config: busIo.TopicConfig = {
    ...(retention !== undefined ? { messageRetentionDuration: retention } : {}),
    ...(retentionBytes !== undefined ? { retentionBytes } : {}),
    ...(o.schemaType !== undefined && definition !== undefined ? { schema: { type: o.schemaType, definition, ...(o.schemaEncoding !== undefined ? { encoding: o.schemaEncoding } : {}) } } : {}),
    ...(o.dedupAttribute !== undefined ? { messageDedup: { idAttribute: o.dedupAttribute, ...(dedupWindow !== undefined ? { window: dedupWindow } : {}) } } : {}),
    ...(labels !== undefined ? { labels } : {}),
  };
  const topic = await withBus(o, io, (bus) => bus.createTopic(name, config));
  io.out(o.json ? json(topicJson(topic)) : `created topic ${topic.name}`);
  return ExitCode.ok;
}

export async function topicsListAction(c: Command, io: CliIO): Promise<number> {
  const o = options(c);
  const topics = await withBus(o, io, (bus) => bus.listTopics());
  if (o.json) io.out(json({ topics: topics.map(topicJson) }));
  else if (topics.length === 0) io.out('no topics');
  else io.out(formatTable(['TOPIC', 'RETENTION', 'SCHEMA', 'CREATED'], topics.map((t) => [t.name, formatMs(t.messageRetentionDuration), t.schema?.type ?? '', iso(t.createTime)])));
  return ExitCode.ok;
}

export async function topicsDeleteAction(c: Command, io: CliIO): Promise<number> {
  const [name] = c.processedArgs as [string];
  const o = options(c);
  await withBus(o, io, (bus) => bus.deleteTopic(name));
  io.out(o.json ? json({ deleted: name }) : `deleted topic ${name}`);
  return ExitCode.ok;
}

// ---------------------------------------------------------------------------------------------------------------
// subscriptions

export async function subscriptionsCreateAction(c: Command, io: CliIO): Promise<number> {
  const [name] = c.processedArgs as [string];
  const o = options<{
    topic: string; ackDeadline?: string; minBackoff?: string; maxBackoff?: string; deadLetterTopic?: string; maxDeliveryAttempts?: string;
    filter?: string; ordering?: boolean; exactlyOnce?: boolean; retainAcked?: boolean; retention?: string; label: string[];
  }>(c);
  if (o.maxDeliveryAttempts !== undefined && o.deadLetterTopic === undefined) throw new UsageError('--max-delivery-attempts needs --dead-letter-topic');
  const ackDeadline = durationOption(o.ackDeadline, '--ack-deadline');
  const minimumBackoff = durationOption(o.minBackoff, '--min-backoff');
  const maximumBackoff = durationOption(o.maxBackoff, '--max-backoff');
  const retention = durationOption(o.retention, '--retention');
  const maxDeliveryAttempts = intOption(o.maxDeliveryAttempts, '--max-delivery-attempts', 5, 100);
  const labels = pairs(o.label, '--label');
  const config: busIo.SubscriptionConfig = {
    topic: o.topic,
    ...(ackDeadline !== undefined ? { ackDeadline } : {}),
    ...(minimumBackoff !== undefined || maximumBackoff !== undefined ? { retryPolicy: { ...(minimumBackoff !== undefined ? { minimumBackoff } : {}), ...(maximumBackoff !== undefined ? { maximumBackoff } : {}) } } : {}),
    ...(o.deadLetterTopic !== undefined ? { deadLetterPolicy: { deadLetterTopic: o.deadLetterTopic, ...(maxDeliveryAttempts !== undefined ? { maxDeliveryAttempts } : {}) } } : {}),
    ...(o.filter !== undefined ? { filter: o.filter } : {}),
    ...(o.ordering ? { enableMessageOrdering: true } : {}),
    ...(o.exactlyOnce ? { enableExactlyOnceDelivery: true } : {}),
    ...(o.retainAcked ? { retainAckedMessages: true } : {}),
    ...(retention !== undefined ? { messageRetentionDuration: retention } : {}),
    ...(labels !== undefined ? { labels } : {}),
  };
  const sub = await withBus(o, io, (bus) => bus.createSubscription(name, config));
  io.out(o.json ? json(subscriptionJson(sub)) : `created subscription ${sub.name} to ${sub.topic} (ack deadline ${formatMs(sub.ackDeadline)})`);
  return ExitCode.ok;
}

export async function subscriptionsListAction(c: Command, io: CliIO): Promise<number> {
  const o = options<{ topic?: string }>(c);
  const subs = await withBus(o, io, (bus) => bus.listSubscriptions(o.topic));
  if (o.json) io.out(json({ subscriptions: subs.map(subscriptionJson) }));
  else if (subs.length === 0) io.out('no subscriptions');
  else {
    const features = (s: busIo.SubscriptionInfo) =>
      [s.enableMessageOrdering && 'ordering', s.enableExactlyOnceDelivery && 'exactly-once', s.retainAckedMessages && 'retain-acked', s.deadLetterPolicy && `dead-letter ${s.deadLetterPolicy.deadLetterTopic} after ${s.deadLetterPolicy.maxDeliveryAttempts}`, s.detached && 'detached']
        .filter(Boolean)
        .join(', ');
    io.out(formatTable(['SUBSCRIPTION', 'TOPIC', 'ACK DEADLINE', 'FILTER', 'OPTIONS'], subs.map((s) => [s.name, s.topic, formatMs(s.ackDeadline), s.filter ?? '', features(s)])));
  }
  return ExitCode.ok;
}

export async function subscriptionsDeleteAction(c: Command, io: CliIO): Promise<number> {
  const [name] = c.processedArgs as [string];
  const o = options(c);
  await withBus(o, io, (bus) => bus.deleteSubscription(name));
  io.out(o.json ? json({ deleted: name }) : `deleted subscription ${name}`);
  return ExitCode.ok;
}

// ---------------------------------------------------------------------------------------------------------------
// publish

/** A batch goes out at 1000 messages or 1 MB, whichever comes first (the server's per-request bounds). */
const BATCH_MESSAGES = 1000;
const BATCH_BYTES = 1024 * 1024;

/**
 * `riffle bus publish T`: one message per line of standard input (without its line ending). Batches are published in
 * order, one at a time while the next is read; the command exits 0 only once every batch is durable.
 */
export async function publishAction(c: Command, io: CliIO, input: NodeJS.ReadableStream = process.stdin): Promise<number> {
  const [topic] = c.processedArgs as [string];
  const o = options<{ attribute: string[]; orderingKey?: string }>(c);
  const attributes = pairs(o.attribute, '--attribute');
  if ((input as { isTTY?: boolean }).isTTY === true) io.err('reading messages from standard input, one per line (Ctrl-D ends)');
  return withBus(o, io, async (bus) => {
    await bus.getTopic(topic);
    let published = 0;
    let firstId: string | undefined;
    let lastId: string | undefined;
    let inFlight: Promise<void> = Promise.resolve();
    let batch: busIo.PublishMessage[] = [];
    let bytes = 0;
    const send = async (messages: busIo.PublishMessage[]) => {
      await inFlight;
      inFlight = bus.publish(topic, messages).then((ids) => {
        firstId ??= ids[0];
        lastId = ids.at(-1) ?? lastId;
        published += ids.length;
      });
      // Keep the rejection for the next await (a failure stops the reading); mark it handled meanwhile.
      inFlight.catch(() => undefined);
    };
    try {
      const lines = createInterface({ input, crlfDelay: Infinity });
      for await (const line of lines) {
        const data = Buffer.from(line, 'utf8');
        if (batch.length > 0 && (batch.length >= BATCH_MESSAGES || bytes + data.length > BATCH_BYTES)) {
          await send(batch);
          batch = [];
          bytes = 0;
        }
        batch.push({ data, ...(attributes !== undefined ? { attributes } : {}), ...(o.orderingKey !== undefined ? { orderingKey: o.orderingKey } : {}) });
        bytes += data.length;
      }
      if (batch.length > 0) await send(batch);
      await inFlight;
    } catch (e) {
      io.err(`riffle bus publish: ${published} message(s) were published to ${topic} before the failure; the rest were not`);
      throw e;
    }
    if (o.json) io.out(json({ topic, published, ...(firstId !== undefined ? { firstMessageId: firstId, lastMessageId: lastId } : {}) }));
    else io.out(`published ${published} message(s) to ${topic}`);
    return ExitCode.ok;
  });
}

// ---------------------------------------------------------------------------------------------------------------
// pull

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** A message for people and JSON: data as text when it is valid UTF-8, else base64 with `encoding: 'base64'`. */
export function messageJson(m: ReceivedMessage, acked: boolean): Record<string, unknown> {
  let data: string;
  let encoding: string | undefined;
  try {
    data = utf8.decode(m.data);
  } catch {
    data = Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength).toString('base64');
    encoding = 'base64';
  }
  return {
    messageId: m.id,
    data,
    ...(encoding !== undefined ? { encoding } : {}),
    attributes: m.attributes,
    ...(m.orderingKey !== undefined ? { orderingKey: m.orderingKey } : {}),
    publishTime: iso(m.publishTime),
    deliveryAttempt: m.deliveryAttempt,
    ...(acked ? { acked: true } : { ackId: m.ackId }),
  };
}

/** `riffle bus pull S`: up to --max messages, printed, then acknowledged with --ack. */
export async function pullAction(c: Command, io: CliIO): Promise<number> {
  const [subscription] = c.processedArgs as [string];
  const o = options<{ max?: string; wait?: string; ack?: boolean }>(c);
  const max = intOption(o.max, '--max', 1, 1000) ?? 1;
  const wait = durationOption(o.wait, '--wait');
  return withBus(o, io, async (bus) => {
    // One pull may return fewer than are ready (the bus returns what it has at hand): pull again until --max or
    // until a pull comes back empty. Only the first pull waits.
    const messages: ReceivedMessage[] = [];
    for (let first = true; messages.length < max; first = false) {
      const got = await bus.pull(subscription, { maxMessages: max - messages.length, ...(first && wait !== undefined ? { wait } : {}) });
      if (got.length === 0) break;
      messages.push(...got);
    }
    // Print first, then acknowledge: a failure between the two redelivers rather than loses.
    const acked = o.ack === true && messages.length > 0;
    if (o.json) io.out(json(messages.map((m) => messageJson(m, acked))));
    else if (messages.length === 0) io.out('no messages');
    else {
      const rows = messages.map((m) => {
        const j = messageJson(m, acked);
        const attrs = Object.entries(m.attributes).map(([k, v]) => `${k}=${v}`).join(' ');
        return [m.id, j.publishTime as string, m.deliveryAttempt, attrs, m.orderingKey ?? '', j.encoding === 'base64' ? `(base64) ${j.data as string}` : (j.data as string)];
      });
      io.out(formatTable(['ID', 'PUBLISHED', 'ATTEMPT', 'ATTRIBUTES', 'ORDERING KEY', 'DATA'], rows));
    }
    if (acked) {
      const result = await bus.acknowledge(subscription, messages.map((m) => m.ackId));
      if (result.failed.length > 0) {
        io.err(`riffle bus pull: ${result.failed.length} of ${messages.length} acknowledgement(s) failed (${[...new Set(result.failed.map((f) => f.reason))].join(', ')}): those messages will be delivered again`);
        return ExitCode.failed;
      }
      if (!o.json) io.err(`acknowledged ${messages.length} message(s)`);
    }
    return ExitCode.ok;
  });
}

// ---------------------------------------------------------------------------------------------------------------
// seek and snapshots

export async function seekAction(c: Command, io: CliIO): Promise<number> {
  const [subscription] = c.processedArgs as [string];
  const o = options<{ time?: string; snapshot?: string }>(c);
  if ((o.time === undefined) === (o.snapshot === undefined)) throw new UsageError('riffle bus seek needs exactly one of --time and --snapshot', { hint: 'e.g. --time 2026-12-07T00:00:00Z' });
  let target: busIo.SeekTarget;
  if (o.time !== undefined) {
    const t = Date.parse(o.time);
    if (!/^\d{4}-\d{2}-\d{2}/.test(o.time) || Number.isNaN(t)) throw new UsageError(`--time must be an ISO-8601 time such as 2026-12-07T00:00:00Z (got '${o.time}')`);
    target = { time: t };
  } else target = { snapshot: o.snapshot! };
  await withBus(o, io, (bus) => bus.seek(subscription, target));
  const where = 'time' in target ? iso(target.time) : `snapshot ${target.snapshot}`;
  io.out(o.json ? json({ subscription, ...('time' in target ? { time: iso(target.time) } : { snapshot: target.snapshot }) }) : `${subscription}: sought to ${where}`);
  return ExitCode.ok;
}

const snapshotJson = (s: busIo.SnapshotInfo) => ({ ...s, createTime: iso(s.createTime), expireTime: iso(s.expireTime) });

export async function snapshotsCreateAction(c: Command, io: CliIO): Promise<number> {
  const [name] = c.processedArgs as [string];
  const o = options<{ subscription: string }>(c);
  const snap = await withBus(o, io, (bus) => bus.createSnapshot(name, o.subscription));
  io.out(o.json ? json(snapshotJson(snap)) : `created snapshot ${snap.name} of ${snap.subscription} (usable until ${iso(snap.expireTime)})`);
  return ExitCode.ok;
}

export async function snapshotsListAction(c: Command, io: CliIO): Promise<number> {
  const o = options(c);
  const snaps = await withBus(o, io, (bus) => bus.listSnapshots());
  if (o.json) io.out(json({ snapshots: snaps.map(snapshotJson) }));
  else if (snaps.length === 0) io.out('no snapshots');
  else io.out(formatTable(['SNAPSHOT', 'SUBSCRIPTION', 'TOPIC', 'CREATED', 'EXPIRES'], snaps.map((s) => [s.name, s.subscription, s.topic, iso(s.createTime), iso(s.expireTime)])));
  return ExitCode.ok;
}

export async function snapshotsDeleteAction(c: Command, io: CliIO): Promise<number> {
  const [name] = c.processedArgs as [string];
  const o = options(c);
  await withBus(o, io, (bus) => bus.deleteSnapshot(name));
  io.out(o.json ? json({ deleted: name }) : `deleted snapshot ${name}`);
  return ExitCode.ok;
}

// ---------------------------------------------------------------------------------------------------------------
// stats

export async function statsAction(c: Command, io: CliIO): Promise<number> {
  const [subscription] = c.processedArgs as [string | undefined];
  const o = options<{ topic?: string }>(c);
  if (subscription !== undefined && o.topic !== undefined) throw new UsageError('riffle bus stats takes a subscription or --topic, not both');
  const stats = await withBus(o, io, (bus) => bus.stats({ ...(subscription !== undefined ? { subscription } : {}), ...(o.topic !== undefined ? { topic: o.topic } : {}) }));
  if (o.json) {
    io.out(json({ topics: stats.topics.map((t) => ({ ...t, ...(t.oldestPublishTime !== undefined ? { oldestPublishTime: iso(t.oldestPublishTime) } : {}) })), subscriptions: stats.subscriptions }));
    return ExitCode.ok;
  }
  const parts: string[] = [];
  if (subscription === undefined) {
    parts.push(stats.topics.length === 0 ? 'no topics' : formatTable(['TOPIC', 'MESSAGES', 'BYTES', 'SEGMENTS', 'PUBLISH/S', 'OLDEST'], stats.topics.map((t) => [t.topic, t.messages, t.bytes, t.segments, round(t.publishRate), iso(t.oldestPublishTime) ?? ''])));
  }
  parts.push(
    stats.subscriptions.length === 0
      ? 'no subscriptions'
      : formatTable(
          ['SUBSCRIPTION', 'TOPIC', 'BACKLOG', 'BYTES', 'OLDEST UNACKED', 'OUTSTANDING', 'DELIVER/S', 'ACK/S', 'NACK/S', 'EXPIRED', 'DEAD-LETTERED'],
          stats.subscriptions.map((s) => [s.subscription, s.topic, s.backlogMessages, s.backlogBytes, s.oldestUnackedAge === undefined ? '' : formatMs(s.oldestUnackedAge), s.outstandingMessages, round(s.deliveryRate), round(s.ackRate), round(s.nackRate), s.expiredDeadlines, s.deadLettered]),
        ),
  );
  io.out(parts.join('\n\n'));
  return ExitCode.ok;
}

const round = (n: number): number => Math.round(n * 10) / 10;

/** 600000 → '10m', 10500 → '10.5s', 250 → '250ms'. */
export function formatMs(ms: number): string {
  if (ms >= 86_400_000 && ms % 3_600_000 === 0) return ms % 86_400_000 === 0 ? `${ms / 86_400_000}d` : `${ms / 3_600_000}h`;
  if (ms >= 3_600_000 && ms % 60_000 === 0) return ms % 3_600_000 === 0 ? `${ms / 3_600_000}h` : `${ms / 60_000}m`;
  if (ms >= 60_000 && ms % 1000 === 0) return ms % 60_000 === 0 ? `${ms / 60_000}m` : `${ms / 1000}s`;
  if (ms >= 1000) return `${Math.round(ms / 100) / 10}s`;
  return `${Math.round(ms)}ms`;
}

