/**
 * The bus's HTTP API as a Hono app over any `Bus`: resource paths as Cloud Pub/Sub's REST API (`/v1/topics/{t}`,
 * `/v1/topics/{t}:publish`, `/v1/subscriptions/{s}:pull` ...), JSON bodies validated with zod (unknown fields are
 * errors), errors as `{ "error": { "code", "message", "hint"? } }` with the HTTP status of their code. The streaming
 * pull is a WebSocket on `GET /v1/subscriptions/{s}:streamingPull` (streaming-pull-socket.ts). ../openapi.yaml
 * documents every route.
 * @example
 *   const app = busRoutes(bus, { token: 's3cret', upgradeWebSocket });
 *   await app.request('/v1/topics', { headers: { authorization: 'Bearer s3cret' } });
 */
import type { Context, Hono as HonoApp } from 'hono';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { UpgradeWebSocket } from 'hono/ws';
import type { z } from 'zod';
import type { Bus } from '../bus-api.ts';
import { BusError, BusInvalidArgumentError } from '../bus-errors.ts';
import { errorAnswer, HttpError } from './error-answer.ts';
import { bearerTokenCheck } from './bearer-token.ts';
import { decodeMessageBatch, MESSAGE_BATCH_TYPE } from './binary-batch.ts';
import {
  ackBody,
  describeIssues,
  parseWire,
  modifyAckDeadlineBody,
  publishBody,
  publishMessageFromWire,
  pullBody,
  receivedToWire,
  seekBody,
  snapshotBody,
  snapshotToWire,
  statsQuery,
  statsToWire,
  subscriptionConfigBody,
  subscriptionToWire,
  subscriptionUpdateBody,
  timeFromWire,
  topicConfigBody,
  topicToWire,
  type WireError,
} from './bus-wire.ts';
import { streamingPullEvents, type StreamingSessions } from './streaming-pull-socket.ts';

/** The largest request body accepted (Pub/Sub's publish limit is 10 MB of data; base64 adds a third). */
export const MAX_BODY_BYTES = 16 * 1024 * 1024;

export interface BusRoutesOptions {
  /** Requires `Authorization: Bearer <token>` on every request. */
  readonly token?: string;
  /** From @hono/node-server; without it the streaming pull answers 501. */
  readonly upgradeWebSocket?: UpgradeWebSocket<any>;
  /** Open streaming pulls (so that the server can end them on shutdown). */
  readonly sessions?: StreamingSessions;
  /** Where unexpected errors are reported (default stderr). */
  readonly logError?: (error: unknown) => void;
  /** The server's version, reported by `GET /v1`. */
  readonly version?: string;
}

/**
 * `name` or `name:verb` from a path segment (names cannot hold ':'); `verbs` lists the verbs the route knows.
 * Hono gives the segment percent-decoded.
 */
function splitResource(segment: string, verbs: readonly string[], method: string, kind: string): { name: string; verb: string | undefined } {
  const colon = segment.indexOf(':');
  if (colon < 0) return { name: segment, verb: undefined };
  const verb = segment.slice(colon + 1);
  if (!verbs.includes(verb)) {
    throw new HttpError(404, 'NOT_FOUND', `${method} /v1/${kind}/{name}:${verb} is not an operation of the bus`, verbs.length > 0 ? `the ${kind} operations: ${verbs.map((v) => `:${v}`).join(', ')}` : undefined);
  }
  return { name: segment.slice(0, colon), verb };
}

async function body<S extends z.ZodType>(c: Context, schema: S, what: string): Promise<z.infer<S>> {
  return parseJsonBody(await c.req.text(), schema, what);
}

function parseJsonBody<S extends z.ZodType>(text: string, schema: S, what: string): z.infer<S> {
  let json: unknown;
  try {
    json = text.trim() === '' ? {} : JSON.parse(text);
  } catch (e) {
    throw new HttpError(400, 'BUS_INVALID_ARGUMENT', `the request body is not valid JSON: ${(e as Error).message}`, `send a JSON object (${what})`);
  }
  const parsed = parseWire(schema, json);
  if (!parsed.success) throw new BusInvalidArgumentError(`invalid ${what}: ${describeIssues(parsed.error, 'body')}`, { hint: 'the OpenAPI document (GET /v1/openapi.yaml) lists the fields' });
  return parsed.data;
}

/**
 * A publish request's body (binary batch by content type, else JSON) published to `topic`: the answer of
 * `POST /v1/topics/{t}:publish`, here and on the node:http fast path (fast-publish.ts).
 */
export async function publishRequest(bus: Bus, topic: string, contentType: string | undefined, bytes: Uint8Array): Promise<{ messageIds: string[] }> {
  const messages = contentType?.startsWith(MESSAGE_BATCH_TYPE) === true
    ? decodeMessageBatch(bytes)
    : parseJsonBody(new TextDecoder().decode(bytes), publishBody, 'publish request').messages.map(publishMessageFromWire);
  return { messageIds: await bus.publish(topic, messages) };
}

/** The answer to a request without the bearer token. */
export function unauthenticatedAnswer(): { status: 401; body: { error: WireError }; headers: Record<string, string> } {
  return {
    status: 401,
    body: { error: { code: 'UNAUTHENTICATED', message: 'this bus server needs a bearer token', hint: 'pass --token or set RIFFLE_BUS_TOKEN (the header is Authorization: Bearer <token>)' } },
    headers: { 'WWW-Authenticate': 'Bearer realm="riffle-bus"' },
  };
}

/** The answer to a request body over MAX_BODY_BYTES. */
export function tooLargeAnswer(): { status: 413; body: { error: WireError } } {
  return { status: 413, body: { error: { code: 'BUS_INVALID_ARGUMENT', message: `the request body is larger than ${MAX_BODY_BYTES} bytes`, hint: 'publish in smaller batches' } } };
}

function noBody(method: string, path: string): never {
  throw new HttpError(405, 'METHOD_NOT_ALLOWED', `${method} is not allowed on ${path}`);
}

/** The Hono app of the bus's HTTP API over `bus`. */
export function busRoutes(bus: Bus, options: BusRoutesOptions = {}): HonoApp {
  const app = new Hono();
  const logError = options.logError ?? ((e: unknown) => console.error('riffle bus: internal error:', e));

  app.onError((e, c) => {
    const answer = errorAnswer(e);
    if (answer.status >= 500 && !(e instanceof BusError)) logError(e);
    return c.json(answer.body, answer.status);
  });
  app.notFound((c) => c.json({ error: { code: 'NOT_FOUND', message: `no route ${c.req.method} ${new URL(c.req.url).pathname}`, hint: 'the API is under /v1 (GET /v1/openapi.yaml describes it)' } }, 404));

  if (options.token !== undefined) {
    const check = bearerTokenCheck(options.token);
    app.use('*', async (c, next) => {
      if (!check(c.req.header('authorization'))) {
        const a = unauthenticatedAnswer();
        for (const [k, v] of Object.entries(a.headers)) c.header(k, v);
        return c.json(a.body, a.status);
      }
      await next();
    });
  }
  app.use(
    '*',
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: (c) => {
        const a = tooLargeAnswer();
        return c.json(a.body, a.status);
      },
    }),
  );

  app.get('/v1', (c) => c.json({ name: 'riffle-bus', version: options.version ?? 'unknown', streamingPull: 'websocket' }));
  app.get('/v1/openapi.yaml', async (c) => {
    const { readFile } = await import('node:fs/promises');
    const text = await readFile(new URL('../openapi.yaml', import.meta.url), 'utf8').catch(() => undefined);
    if (text === undefined) throw new HttpError(404, 'NOT_FOUND', 'this build of the server does not ship its OpenAPI document');
    return c.body(text, 200, { 'content-type': 'application/yaml; charset=utf-8' });
  });

  // Topics
  app.get('/v1/topics', async (c) => c.json({ topics: (await bus.listTopics()).map(topicToWire) }));
  app.on(['PUT', 'GET', 'DELETE', 'POST'], '/v1/topics/:res', async (c) => {
    const method = c.req.method;
    const { name, verb } = splitResource(c.req.param('res'), method === 'POST' ? ['publish'] : [], method, 'topics');
    if (method === 'POST') {
      if (verb === undefined) noBody(method, `/v1/topics/${name}`);
      return c.json(await publishRequest(bus, name, c.req.header('content-type'), new Uint8Array(await c.req.arrayBuffer())));
    }
    if (method === 'PUT') return c.json(topicToWire(await bus.createTopic(name, await body(c, topicConfigBody, 'topic configuration'))));
    if (method === 'GET') return c.json(topicToWire(await bus.getTopic(name)));
    await bus.deleteTopic(name);
    return c.json({});
  });
  app.get('/v1/topics/:res/subscriptions', async (c) => {
    const topic = c.req.param('res');
    await bus.getTopic(topic);
    return c.json({ subscriptions: (await bus.listSubscriptions(topic)).map(subscriptionToWire) });
  });

  // Subscriptions
  app.get('/v1/subscriptions', async (c) => c.json({ subscriptions: (await bus.listSubscriptions()).map(subscriptionToWire) }));
  const SUBSCRIPTION_VERBS = ['pull', 'acknowledge', 'modifyAckDeadline', 'nack', 'seek'];
  app.on(['PUT', 'GET', 'PATCH', 'DELETE', 'POST'], '/v1/subscriptions/:res', async (c) => {
    const method = c.req.method;
    const { name, verb } = splitResource(c.req.param('res'), method === 'POST' ? SUBSCRIPTION_VERBS : method === 'GET' ? ['streamingPull'] : [], method, 'subscriptions');
    if (verb === 'streamingPull') {
      if (options.upgradeWebSocket === undefined) throw new HttpError(501, 'NOT_IMPLEMENTED', 'this server has no WebSocket support');
      if (c.req.header('upgrade')?.toLowerCase() !== 'websocket') {
        throw new HttpError(426, 'UPGRADE_REQUIRED', `${name}:streamingPull is a WebSocket`, 'open it with a WebSocket client (connectBus(url).streamingPull does)');
      }
      const events = streamingPullEvents(bus, name, new URL(c.req.url).searchParams, options.sessions);
      return options.upgradeWebSocket(c, events);
    }
    switch (method) {
      case 'PUT':
        return c.json(subscriptionToWire(await bus.createSubscription(name, await body(c, subscriptionConfigBody, 'subscription configuration'))));
      case 'GET':
        return c.json(subscriptionToWire(await bus.getSubscription(name)));
      case 'PATCH':
        return c.json(subscriptionToWire(await bus.updateSubscription(name, await body(c, subscriptionUpdateBody, 'subscription update'))));
      case 'DELETE':
        await bus.deleteSubscription(name);
        return c.json({});
    }
    switch (verb) {
      case 'pull': {
        const req = await body(c, pullBody, 'pull request');
        const messages = await bus.pull(name, { maxMessages: req.maxMessages, ...(req.wait !== undefined ? { wait: req.wait } : {}) });
        return c.json({ receivedMessages: messages.map(receivedToWire) });
      }
      case 'acknowledge':
        return c.json(await bus.acknowledge(name, (await body(c, ackBody, 'acknowledge request')).ackIds));
      case 'nack':
        return c.json(await bus.nack(name, (await body(c, ackBody, 'nack request')).ackIds));
      case 'modifyAckDeadline': {
        const req = await body(c, modifyAckDeadlineBody, 'modifyAckDeadline request');
        return c.json(await bus.modifyAckDeadline(name, req.ackIds, req.ackDeadline));
      }
      case 'seek': {
        const req = await body(c, seekBody, 'seek request');
        await bus.seek(name, 'time' in req ? { time: timeFromWire(req.time) } : { snapshot: req.snapshot });
        return c.json({});
      }
      default:
        return noBody(method, `/v1/subscriptions/${name}`);
    }
  });

  // Snapshots
  app.get('/v1/snapshots', async (c) => c.json({ snapshots: (await bus.listSnapshots()).map(snapshotToWire) }));
  app.on(['PUT', 'GET', 'DELETE'], '/v1/snapshots/:res', async (c) => {
    const name = c.req.param('res');
    if (name.includes(':')) throw new HttpError(404, 'NOT_FOUND', `snapshots have no operations (got '${name}')`);
    if (c.req.method === 'PUT') {
      const req = await body(c, snapshotBody, 'snapshot request');
      return c.json(snapshotToWire(await bus.createSnapshot(name, req.subscription, req.labels !== undefined ? { labels: req.labels } : {})));
    }
    if (c.req.method === 'GET') return c.json(snapshotToWire(await bus.getSnapshot(name)));
    await bus.deleteSnapshot(name);
    return c.json({});
  });

  // Statistics
  app.get('/v1/stats', async (c) => {
    const parsed = parseWire(statsQuery, c.req.query());
    if (!parsed.success) throw new BusInvalidArgumentError(`invalid stats query: ${describeIssues(parsed.error, 'query')}`, { hint: 'the query parameters are topic and subscription' });
    return c.json(statsToWire(await bus.stats(parsed.data)));
  });

  // Any other method on a known path: 405 rather than 404.
  app.all('/v1/*', (c) => {
    const path = new URL(c.req.url).pathname;
    if (/^\/v1\/(topics|subscriptions|snapshots)(\/[^/]+)?$/.test(path) || path === '/v1/stats') noBody(c.req.method, path);
    throw new HttpError(404, 'NOT_FOUND', `no route ${c.req.method} ${path}`, 'the API is under /v1 (GET /v1/openapi.yaml describes it)');
  });
  return app;
}
