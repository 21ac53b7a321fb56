// The bus server's own behaviour over real HTTP and WebSocket connections, on a real bus in a temporary directory:
// authentication, request validation (400 naming the field, unknown fields refused), error codes and statuses, the
// streaming pull's acks and redelivery on close, and graceful shutdown. The Pub/Sub semantics themselves are checked
// by bus-suite.ts through the client (../client/connect-bus.test.ts).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import type { Bus } from '../bus-api.ts';
import { BusNotFoundError, BusUnavailableError } from '../bus-errors.ts';
import { connectBus } from '../client/connect-bus.ts';
import { openBus } from '../open-bus.ts';
import { startBusServer, type BusServer } from './bus-server.ts';

const TOKEN = 'test-token-0123456789';

async function call(server: BusServer, method: string, path: string, body?: unknown, token: string | null = TOKEN): Promise<{ status: number; json: any }> {
  const response = await fetch(new URL(path, server.url), {
    method,
    headers: { ...(token !== null ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, json: text === '' ? undefined : JSON.parse(text) };
}

describe('bus server', () => {
  let dir: string;
  let bus: Bus;
  let server: BusServer;
  let client: Bus;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'riffle-bus-server-'));
    bus = await openBus({ dir });
    server = await startBusServer({ bus, port: 0, token: TOKEN });
    client = await connectBus(server.url, { token: TOKEN });
    await client.createTopic('orders');
    await client.createSubscription('orders-sub', { topic: 'orders', ackDeadline: '10s' });
  });
  after(async () => {
    await client.close();
    await server.close();
    await bus.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('listens on loopback by default', () => {
    assert.equal(server.host, '127.0.0.1');
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
  });

  it('refuses requests without the bearer token, or with a wrong one, as 401 JSON that does not echo the token', async () => {
    for (const token of [null, 'wrong', `${TOKEN}x`, TOKEN.slice(0, -1)]) {
      const r = await call(server, 'GET', 'v1/topics', undefined, token);
      assert.equal(r.status, 401, `token ${token}`);
      assert.equal(r.json.error.code, 'UNAUTHENTICATED');
      assert.doesNotMatch(JSON.stringify(r.json), new RegExp(TOKEN));
    }
    assert.equal((await call(server, 'GET', 'v1/topics')).status, 200);
    await assert.rejects(connectBus(server.url), (e: unknown) => e instanceof BusUnavailableError && /bearer token/.test(e.message));
    await assert.rejects(connectBus(server.url, { token: 'nope' }), BusUnavailableError);
  });

  it('refuses the streaming pull without the token', async () => {
    const noToken = await connectBus(server.url, { token: TOKEN });
    // A client that sends no token: the upgrade is refused with 401 and the stream fails with a clear error.
    const raw = new WebSocket(new URL('v1/subscriptions/orders-sub:streamingPull', server.url.replace('http', 'ws')));
    raw.on('error', () => undefined);
    const status = await new Promise<number>((resolve) => raw.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)));
    assert.equal(status, 401);
    raw.terminate();
    await noToken.close();
  });

  it('validates bodies: 400 naming the field, unknown fields refused, bad JSON and bad base64 refused', async () => {
    let r = await call(server, 'POST', 'v1/topics/orders:publish', { messages: [{ data: 'aGk=', color: 'red' }] });
    assert.equal(r.status, 400);
    assert.equal(r.json.error.code, 'BUS_INVALID_ARGUMENT');
    assert.match(r.json.error.message, /messages\[0\]: unknown key 'color'/);

    r = await call(server, 'POST', 'v1/topics/orders:publish', { messages: [{ data: 'not base64!' }] });
    assert.equal(r.status, 400);
    assert.match(r.json.error.message, /messages\[0\]\.data: expected base64/);

    r = await call(server, 'POST', 'v1/topics/orders:publish', '{"messages": [');
    assert.equal(r.status, 400);
    assert.match(r.json.error.message, /not valid JSON/);

    r = await call(server, 'POST', 'v1/subscriptions/orders-sub:pull', { maxMessages: 0 });
    assert.equal(r.status, 400);
    assert.match(r.json.error.message, /maxMessages/);

    r = await call(server, 'PUT', 'v1/subscriptions/s2', { topic: 'orders', ackDeadlineSeconds: 10 });
    assert.equal(r.status, 400);
    assert.match(r.json.error.message, /unknown key 'ackDeadlineSeconds' \(did you mean 'ackDeadline'\?\)/);

    r = await call(server, 'POST', 'v1/subscriptions/orders-sub:seek', { time: 'yesterday' });
    assert.equal(r.status, 400);
    assert.match(r.json.error.message, /RFC 3339|time/);
  });

  it('answers errors with their code and status: 404, 409, 405, unknown operations, a plain GET of the streaming pull', async () => {
    let r = await call(server, 'GET', 'v1/topics/nope');
    assert.equal(r.status, 404);
    assert.equal(r.json.error.code, 'BUS_NOT_FOUND');
    r = await call(server, 'PUT', 'v1/topics/orders', {});
    assert.equal(r.status, 409);
    assert.equal(r.json.error.code, 'BUS_ALREADY_EXISTS');
    r = await call(server, 'POST', 'v1/topics/orders:explode', {});
    assert.equal(r.status, 404);
    assert.match(r.json.error.message, /not an operation/);
    r = await call(server, 'PATCH', 'v1/topics/orders', {});
    assert.equal(r.status, 405);
    r = await call(server, 'GET', 'v1/subscriptions/orders-sub:streamingPull');
    assert.equal(r.status, 426);
    r = await call(server, 'GET', 'v2/anything');
    assert.equal(r.status, 404);
    assert.equal(r.json.error.code, 'NOT_FOUND');
    // The client rebuilds the same error class.
    await assert.rejects(client.getSubscription('missing-sub'), BusNotFoundError);
  });

  it('publishes base64 data and pulls it back with RFC 3339 publish times (Pub/Sub shapes)', async () => {
    const data = Buffer.from([0, 1, 2, 255, 254]).toString('base64');
    const published = await call(server, 'POST', 'v1/topics/orders:publish', { messages: [{ data, attributes: { k: 'v' }, orderingKey: 'o1' }] });
    assert.equal(published.status, 200);
    assert.equal(published.json.messageIds.length, 1);
    const pulled = await call(server, 'POST', 'v1/subscriptions/orders-sub:pull', { maxMessages: 10 });
    assert.equal(pulled.status, 200);
    const [m] = pulled.json.receivedMessages;
    assert.equal(m.message.data, data);
    assert.deepEqual(m.message.attributes, { k: 'v' });
    assert.equal(m.message.orderingKey, 'o1');
    assert.equal(m.message.messageId, published.json.messageIds[0]);
    assert.match(m.message.publishTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.equal(m.deliveryAttempt, 1);
    const acked = await call(server, 'POST', 'v1/subscriptions/orders-sub:acknowledge', { ackIds: [m.ackId] });
    assert.deepEqual(acked.json, { succeeded: [m.ackId], failed: [] });
  });

  it('serves its OpenAPI document', async () => {
    const response = await fetch(new URL('v1/openapi.yaml', server.url), { headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(response.status, 200);
    assert.match(await response.text(), /^openapi: 3\.1/);
  });

  it('streams messages over the WebSocket, takes acks on the same connection, and redelivers what a closed stream held', async () => {
    await client.createTopic('stream-t');
    await client.createSubscription('stream-s', { topic: 'stream-t', ackDeadline: '60s' });
    await client.publish('stream-t', [{ data: 'one' }, { data: 'two' }, { data: 'three' }]);
    const stream = client.streamingPull('stream-s', { maxOutstandingMessages: 10 });
    const seen: string[] = [];
    for await (const m of stream) {
      seen.push(Buffer.from(m.data).toString());
      if (seen.length === 1) assert.deepEqual(await m.ack(), { succeeded: [m.ackId], failed: [] });
      if (seen.length === 3) break; // two held, unacked: closing the stream nacks them
    }
    assert.deepEqual(seen.sort(), ['one', 'three', 'two']);
    assert.equal(stream.closed, true);
    const again = await client.pull('stream-s', { maxMessages: 10, wait: '2s' });
    const more = again.length < 2 ? await client.pull('stream-s', { maxMessages: 10, wait: '2s' }) : [];
    const redelivered = [...again, ...more];
    assert.deepEqual(redelivered.map((m) => Buffer.from(m.data).toString()).sort(), seen.filter((d) => d !== seen[0]).sort());
    assert.ok(redelivered.every((m) => m.deliveryAttempt >= 2));
    await client.acknowledge('stream-s', redelivered.map((m) => m.ackId));
  });

  // Known fault of the in-process stream (src/io/bus/subscription.ts, pull): closing a stream whose pull is waiting
  // wakes that pull, which takes the messages close() just nacked and nacks them again, so they come back with
  // deliveryAttempt 3, not 2. The server always has such a pull waiting. Fix: return [] when the signal is aborted
  // before pulling again after waitForChange.
  it('counts one delivery attempt per redelivery after a streaming pull closes', async () => {
    await client.createTopic('attempt-t');
    await client.createSubscription('attempt-s', { topic: 'attempt-t', ackDeadline: '60s' });
    await client.publish('attempt-t', [{ data: 'a' }]);
    const stream = client.streamingPull('attempt-s');
    for await (const m of stream) {
      assert.equal(m.deliveryAttempt, 1);
      break;
    }
    const [again] = await client.pull('attempt-s', { maxMessages: 1, wait: '2s' });
    assert.equal(again?.deliveryAttempt, 2);
    await client.acknowledge('attempt-s', [again!.ackId]);
  });

  it('speaks JSON text frames to a plain WebSocket client (the default, for browsers): messages, then an ack answered by id', async () => {
    await client.createTopic('json-frames');
    await client.createSubscription('json-frames-sub', { topic: 'json-frames', ackDeadline: '60s' });
    await client.publish('json-frames', [{ data: 'héllo', attributes: { a: '1' } }]);
    const raw = new WebSocket(new URL('v1/subscriptions/json-frames-sub:streamingPull?maxOutstandingMessages=5', server.url.replace('http', 'ws')), { headers: { authorization: `Bearer ${TOKEN}` } });
    const frames: any[] = [];
    const next = () => new Promise<any>((resolve) => raw.once('message', (data: Buffer, isBinary: boolean) => resolve(isBinary ? { binary: true } : JSON.parse(data.toString()))));
    let frame = await next();
    frames.push(frame);
    assert.equal(frame.type, 'messages');
    const [m] = frame.receivedMessages;
    assert.equal(Buffer.from(m.message.data, 'base64').toString(), 'héllo');
    assert.deepEqual(m.message.attributes, { a: '1' });
    raw.send(JSON.stringify({ type: 'acknowledge', id: 7, ackIds: [m.ackId] }));
    frame = await next();
    assert.deepEqual(frame, { type: 'result', id: 7, result: { succeeded: [m.ackId], failed: [] } });
    raw.send(JSON.stringify({ type: 'acknowledge', id: 8, ackIds: [m.ackId], extra: true }));
    frame = await next();
    assert.equal(frame.type, 'error');
    assert.equal(frame.id, 8);
    assert.match(frame.error.message, /unknown key 'extra'/);
    raw.close();
    await new Promise((r) => raw.once('close', r));
  });

  it('refuses a binary publish body that is cut short, naming the message and the byte', async () => {
    const { encodeMessageBatch, MESSAGE_BATCH_TYPE } = await import('./binary-batch.ts');
    const body = encodeMessageBatch([{ data: 'first' }, { data: 'second', attributes: { k: 'v' } }]);
    const response = await fetch(new URL('v1/topics/orders:publish', server.url), { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': MESSAGE_BATCH_TYPE }, body: body.subarray(0, body.length - 3) });
    assert.equal(response.status, 400);
    const error = ((await response.json()) as { error: { message: string } }).error;
    assert.match(error.message, /messages\[1\]: the body ends inside its data \(byte \d+ of \d+\)/);
  });

  it('answers publishes on its node:http fast path exactly as the Hono route does (statuses, bodies, token, 413)', async () => {
    const { busRoutes, MAX_BODY_BYTES } = await import('./bus-routes.ts');
    const { encodeMessageBatch, MESSAGE_BATCH_TYPE } = await import('./binary-batch.ts');
    const app = busRoutes(bus, { token: TOKEN });
    const cases: Array<{ what: string; path: string; headers: Record<string, string>; body: string | Uint8Array }> = [
      { what: 'JSON publish', path: 'v1/topics/orders:publish', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ messages: [{ data: 'aGk=' }] }) },
      { what: 'binary publish', path: 'v1/topics/orders:publish', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': MESSAGE_BATCH_TYPE }, body: encodeMessageBatch([{ data: 'x', attributes: { k: 'v' } }]) },
      { what: 'percent-encoded name', path: 'v1/topics/%6Frders:publish', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ messages: [{ data: 'aGk=' }] }) },
      { what: 'no token', path: 'v1/topics/orders:publish', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ messages: [{ data: 'aGk=' }] }) },
      { what: 'wrong token', path: 'v1/topics/orders:publish', headers: { authorization: 'Bearer nope', 'content-type': 'application/json' }, body: '{}' },
      { what: 'unknown topic', path: 'v1/topics/nowhere:publish', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ messages: [{ data: 'aGk=' }] }) },
      { what: 'bad JSON', path: 'v1/topics/orders:publish', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: '{"messages": [' },
      { what: 'unknown field', path: 'v1/topics/orders:publish', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ messages: [{ data: 'aGk=', color: 1 }] }) },
      { what: 'empty body', path: 'v1/topics/orders:publish', headers: { authorization: `Bearer ${TOKEN}` }, body: '' },
      { what: 'too large', path: 'v1/topics/orders:publish', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: 'x'.repeat(MAX_BODY_BYTES + 1) },
    ];
    const shape = (json: any): unknown => (Array.isArray(json?.messageIds) ? { messageIds: json.messageIds.map((id: unknown) => typeof id) } : json);
    for (const c of cases) {
      const viaServer = await fetch(new URL(c.path, server.url), { method: 'POST', headers: c.headers, body: c.body });
      const viaHono = await app.request(`/${c.path}`, { method: 'POST', headers: c.headers, body: c.body });
      assert.equal(viaServer.status, viaHono.status, c.what);
      assert.deepEqual(shape(await viaServer.json()), shape(await viaHono.json()), c.what);
      assert.equal(viaServer.headers.get('www-authenticate'), viaHono.headers.get('www-authenticate'), c.what);
      assert.match(viaServer.headers.get('content-type') ?? '', /^application\/json/, c.what);
    }
    // The keep-alive connection still serves requests after a refused oversize body.
    assert.equal((await call(server, 'GET', 'v1/topics')).status, 200);
  });

  it('a streaming pull of an unknown subscription fails with BusNotFoundError', async () => {
    const stream = client.streamingPull('no-such-sub');
    await assert.rejects(stream[Symbol.asyncIterator]().next(), BusNotFoundError);
  });
});

describe('bus server shutdown', () => {
  it('ends streaming pulls as "going away", finishes requests in flight, then stops listening', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'riffle-bus-shutdown-'));
    const bus = await openBus({ dir });
    const server = await startBusServer({ bus, port: 0 });
    try {
      const client = await connectBus(server.url);
      await client.createTopic('topic-1');
      await client.createSubscription('sub-1', { topic: 'topic-1' });
      const stream = client.streamingPull('sub-1');
      const next = stream[Symbol.asyncIterator]().next();
      const publishing = client.publish('topic-1', Array.from({ length: 200 }, (_x, i) => ({ data: `m${i}` })));
      const first = await next;
      assert.equal(first.done, false);
      assert.equal((await publishing).length, 200);
      // A long pull in flight when the shutdown starts is answered (empty: nothing new was published).
      await client.createSubscription('sub-2', { topic: 'topic-1' });
      const waiting = client.pull('sub-2', { maxMessages: 1, wait: '1s' });
      await new Promise((r) => setTimeout(r, 100));
      await server.close();
      assert.deepEqual(await waiting, []);
      // The stream ended with an error that says the server went away.
      await assert.rejects(
        (async () => {
          for await (const _m of stream) void 0;
        })(),
        (e: unknown) => e instanceof BusUnavailableError && /ended the streaming pull/.test(e.message),
      );
      await assert.rejects(client.listTopics(), (e: unknown) => e instanceof BusUnavailableError && /cannot reach the bus server/.test(e.message));
      await client.close();
    } finally {
      await server.close();
      await bus.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names the port when it cannot listen', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'riffle-bus-port-'));
    const bus = await openBus({ dir });
    const first = await startBusServer({ bus, port: 0 });
    try {
      await assert.rejects(startBusServer({ bus, port: first.port }), (e: unknown) => e instanceof BusUnavailableError && /port is in use/.test(e.message));
    } finally {
      await first.close();
      await bus.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
