/**
 * The streaming pull on the server: one WebSocket per `Bus.streamingPull`. The server holds the in-process stream, so
 * its flow control (max outstanding messages and bytes) and lease extension run next to the data, and the client's
 * acks, nacks and deadline changes come back on the same connection, each answered with its `AckResponse` (which
 * exactly-once subscriptions need). When the socket closes, the stream closes and the messages it still held are
 * nacked, so they are redelivered.
 *
 * Frames are JSON text (see bus-wire.ts): the server sends `{type:'messages', receivedMessages:[...]}` (as many as are
 * ready, in one frame), `{type:'result', id, result}` and `{type:'error', id?, error}`; the client sends
 * `{type:'acknowledge'|'nack', id, ackIds}` and `{type:'modifyAckDeadline', id, ackIds, ackDeadline}`.
 */
import type { WebSocketLike } from '@hono/node-server';
import type { DurationLike } from '../../../model/index.ts';
import type { WSContext, WSEvents } from 'hono/ws';
import type { AckResponse, Bus, MessageStream, StreamedMessage, StreamingPullOptions } from '../bus-api.ts';
import { BusInvalidArgumentError } from '../bus-errors.ts';
import { errorAnswer } from './error-answer.ts';
import { encodeMessagesFrame } from './binary-batch.ts';
import { describeIssues, parseWire, receivedToWire, streamingClientFrame, streamingPullQuery, type StreamingClientFrame, type StreamingServerFrame } from './bus-wire.ts';

/** Close codes: normal end, server going away (shutdown), a refused request, a server fault. */
export const CLOSE_NORMAL = 1000;
export const CLOSE_GOING_AWAY = 1001;
export const CLOSE_POLICY = 1008;
export const CLOSE_INTERNAL = 1011;

/** Past this many bytes queued on the socket, the server stops taking messages from the stream until it drains. */
const HIGH_WATER_BYTES = 4 * 1024 * 1024;

/** The open streaming pulls of a server, so that shutdown can end them (their held messages are nacked). */
export class StreamingSessions {
  readonly #open = new Set<{ end(code: number, reason: string): Promise<void> }>();
  add(session: { end(code: number, reason: string): Promise<void> }): void {
    this.#open.add(session);
  }
  delete(session: { end(code: number, reason: string): Promise<void> }): void {
    this.#open.delete(session);
  }
  get size(): number {
    return this.#open.size;
  }
  /** Ends every open stream with "going away". */
  async closeAll(): Promise<void> {
    await Promise.all([...this.#open].map((s) => s.end(CLOSE_GOING_AWAY, 'the bus server is shutting down')));
  }
}

function streamingOptions(query: URLSearchParams): StreamingPullOptions {
  const raw = Object.fromEntries(query.entries());
  const parsed = parseWire(streamingPullQuery, raw);
  if (!parsed.success) throw new BusInvalidArgumentError(`invalid streaming pull parameters: ${describeIssues(parsed.error, 'query')}`, { hint: 'the parameters are maxOutstandingMessages, maxOutstandingBytes and maxExtension' });
  const { maxOutstandingMessages, maxOutstandingBytes, maxExtension } = parsed.data; // `frames` is read by the caller
  return {
    ...(maxOutstandingMessages !== undefined ? { maxOutstandingMessages } : {}),
    ...(maxOutstandingBytes !== undefined ? { maxOutstandingBytes } : {}),
    ...(maxExtension !== undefined ? { maxExtension } : {}),
  };
}

/** The WebSocket events of one streaming pull of `subscription` (query: flow control settings). */
export function streamingPullEvents(bus: Bus, subscription: string, query: URLSearchParams, sessions?: StreamingSessions): WSEvents<WebSocketLike> {
  let socket: WSContext<WebSocketLike> | undefined;
  let stream: MessageStream | undefined;
  let ended = false;
  let batch: StreamedMessage[] = [];
  // `frames=binary`: messages travel as binary frames (binary-batch.ts), without base64; JSON text otherwise.
  const binaryFrames = query.get('frames') === 'binary';
  let flushScheduled = false;

  const send = (frame: StreamingServerFrame): void => {
    if (socket !== undefined && socket.readyState === 1) socket.send(JSON.stringify(frame));
  };
  const flush = (): void => {
    flushScheduled = false;
    if (batch.length === 0) return;
    const messages = batch;
    batch = [];
    if (socket === undefined || socket.readyState !== 1) return;
    if (binaryFrames) socket.raw?.send(encodeMessagesFrame(messages));
    else send({ type: 'messages', receivedMessages: messages.map(receivedToWire) });
  };
  const session = {
    async end(code: number, reason: string): Promise<void> {
      if (ended) return;
      ended = true;
      sessions?.delete(session);
      flush();
      // Closing the stream nacks what it still holds (delivered here or buffered for the client, unacked).
      await stream?.close().catch(() => undefined);
      if (socket !== undefined && socket.readyState <= 1) socket.close(code, reason);
    },
  };
  const fail = (e: unknown, code = CLOSE_INTERNAL): void => {
    const answer = errorAnswer(e);
    send({ type: 'error', error: answer.body.error });
    void session.end(answer.status < 500 ? CLOSE_POLICY : code, answer.body.error.code);
  };

  async function pump(ws: WSContext<WebSocketLike>): Promise<void> {
    const options = streamingOptions(query);
    await bus.getSubscription(subscription);
    if (ended) return;
    stream = bus.streamingPull(subscription, options);
    for await (const m of stream) {
      if (ended) break;
      batch.push(m);
      if (!flushScheduled) {
        flushScheduled = true;
        setImmediate(flush);
      }
      const raw = ws.raw;
      while (raw !== undefined && !ended && (raw as unknown as { bufferedAmount: number }).bufferedAmount > HIGH_WATER_BYTES) {
        await new Promise((r) => setTimeout(r, 2));
      }
    }
    // The stream ended by itself (the bus closed): tell the client the server is going away.
    await session.end(CLOSE_GOING_AWAY, 'the stream ended');
  }

  /**
   * One client frame, one call: the stream releases the ids it holds (flow control) and settles all of them in one
   * subscription call (one journal record). Ids it does not hold (another stream's, or from before) go the same way.
   */
  function settle(frame: StreamingClientFrame): Promise<AckResponse> {
    const target = stream ?? {
      acknowledge: (ids: readonly string[]) => bus.acknowledge(subscription, ids),
      nack: (ids: readonly string[]) => bus.nack(subscription, ids),
      modifyAckDeadline: (ids: readonly string[], d: DurationLike) => bus.modifyAckDeadline(subscription, ids, d),
    };
    if (frame.type === 'acknowledge') return target.acknowledge(frame.ackIds);
    if (frame.type === 'nack') return target.nack(frame.ackIds);
    return target.modifyAckDeadline(frame.ackIds, frame.ackDeadline);
  }

  return {
    onOpen(_evt, ws) {
      socket = ws;
      sessions?.add(session);
      pump(ws).catch((e) => fail(e));
    },
    onMessage(evt) {
      let frame: StreamingClientFrame;
      try {
        const json: unknown = JSON.parse(typeof evt.data === 'string' ? evt.data : Buffer.from(evt.data as ArrayBuffer).toString('utf8'));
        const parsed = parseWire(streamingClientFrame, json);
        if (!parsed.success) {
          const id = typeof (json as { id?: unknown })?.id === 'number' ? (json as { id: number }).id : undefined;
          const error = errorAnswer(new BusInvalidArgumentError(`invalid streaming pull frame: ${describeIssues(parsed.error, 'frame')}`)).body.error;
          send({ type: 'error', ...(id !== undefined ? { id } : {}), error });
          return;
        }
        frame = parsed.data;
      } catch (e) {
        send({ type: 'error', error: errorAnswer(new BusInvalidArgumentError(`a streaming pull frame is not valid JSON: ${(e as Error).message}`)).body.error });
        return;
      }
      settle(frame).then(
        (result) => send({ type: 'result', id: frame.id, result }),
        (e) => send({ type: 'error', id: frame.id, error: errorAnswer(e).body.error }),
      );
    },
    onClose() {
      void session.end(CLOSE_NORMAL, 'closed');
    },
    onError() {
      void session.end(CLOSE_INTERNAL, 'socket error');
    },
  };
}
