/**
 * The client side of a streaming pull: a `MessageStream` over one WebSocket to `riffle bus serve`. The server holds
 * the subscription's in-process stream (flow control, lease extension); this side queues the messages it sends and
 * sends acks, nacks and deadline changes back on the same socket. A batch (`stream.acknowledge(ids)`) is one frame;
 * per-message calls made in the same tick travel in one frame too (one per kind and deadline, `AckGatherer`), and
 * each message's promise gets its own part of the answer.
 */
import WebSocket from 'ws';
import { parseDuration, type DurationLike } from '../../../model/index.ts';
import type { AckResponse, MessageStream, StreamedMessage, StreamingPullOptions } from '../bus-api.ts';
import { BusClosedError, BusInvalidArgumentError, BusUnavailableError, busErrorFromCode, type BusError } from '../bus-errors.ts';
import { AckGatherer, checkAckIds } from '../message-stream.ts';
import { decodeMessagesFrame } from '../server/binary-batch.ts';
import { receivedFromWire, type StreamingServerFrame, type WireError } from '../server/bus-wire.ts';

type Kind = 'acknowledge' | 'nack' | 'modifyAckDeadline';
interface PendingCall {
  resolve(r: AckResponse): void;
  reject(e: unknown): void;
}

const wireError = (e: WireError): BusError => busErrorFromCode(e.code, e.message, e.hint);

export interface RemoteStreamTarget {
  /** The server's base URL (http or https). */
  readonly baseUrl: URL;
  readonly headers: Record<string, string>;
  readonly subscription: string;
}

/** A streaming pull through the server's WebSocket (what `connectBus(url).streamingPull` returns). */
export class RemoteMessageStream implements MessageStream {
  readonly #socket: WebSocket;
  readonly #ready: StreamedMessage[] = [];
  #waiter: { resolve(r: IteratorResult<StreamedMessage>): void; reject(e: unknown): void } | undefined;
  #failure: unknown;
  #ended = false;
  #closing: Promise<void> | undefined;
  readonly #socketClosed: Promise<void>;
  #nextId = 1;
  readonly #inFlight = new Map<number, PendingCall>();
  /** Per-message calls of this tick, sent as one frame per kind (and deadline). */
  readonly #gathered = new AckGatherer((kind, ackIds, ms) => this.#request(kind, ackIds, ms));
  readonly #onEnd: (stream: RemoteMessageStream) => void;

  constructor(target: RemoteStreamTarget, options: StreamingPullOptions, onEnd: (stream: RemoteMessageStream) => void) {
    this.#onEnd = onEnd;
    const url = new URL(`v1/subscriptions/${encodeURIComponent(target.subscription)}:streamingPull`, target.baseUrl);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    if (options.maxOutstandingMessages !== undefined) url.searchParams.set('maxOutstandingMessages', String(options.maxOutstandingMessages));
    if (options.maxOutstandingBytes !== undefined) url.searchParams.set('maxOutstandingBytes', String(options.maxOutstandingBytes));
    if (options.maxExtension !== undefined) url.searchParams.set('maxExtension', String(parseDuration(options.maxExtension, 'maxExtension')));
    url.searchParams.set('frames', 'binary');
    this.#socket = new WebSocket(url, { headers: target.headers, perMessageDeflate: false });
    this.#socketClosed = new Promise((resolve) => this.#socket.once('close', () => resolve()));
    this.#socket.on('message', (data: Buffer, isBinary: boolean) => (isBinary ? this.#onMessagesFrame(data) : this.#onFrame(data.toString())));
    this.#socket.on('unexpected-response', (_req, res) => {
      const status = res.statusCode ?? 0;
      res.resume();
      this.#fail(
        status === 401
          ? new BusUnavailableError('the bus server refused the streaming pull: it needs a bearer token', { hint: 'pass --token or set RIFFLE_BUS_TOKEN' })
          : new BusUnavailableError(`the bus server refused the streaming pull of '${target.subscription}' (HTTP ${status})`),
      );
      this.#socket.terminate();
    });
    this.#socket.on('error', (e: NodeJS.ErrnoException) => {
      this.#fail(new BusUnavailableError(`the streaming pull's connection to ${target.baseUrl.href} failed: ${e.code === 'ECONNREFUSED' ? 'connection refused' : e.message}`, { hint: "start the server with 'riffle bus serve' or check --server / RIFFLE_BUS_URL", cause: e }));
    });
    this.#socket.on('close', (code, reason) => {
      if (this.#closing !== undefined || code === 1000) this.#end();
      else this.#fail(new BusUnavailableError(`the bus server ended the streaming pull of '${target.subscription}' (${code}${reason.length > 0 ? `: ${reason.toString()}` : ''})`, { hint: 'open a new streaming pull (connectBus again if the server restarted)' }));
    });
    if (options.signal !== undefined) {
      if (options.signal.aborted) void this.close();
      else options.signal.addEventListener('abort', () => void this.close(), { once: true });
    }
  }

  get closed(): boolean {
    return this.#ended || this.#closing !== undefined;
  }

  [Symbol.asyncIterator](): AsyncIterator<StreamedMessage> {
    return {
      next: () => this.#next(),
      return: async () => {
        await this.close();
        return { done: true, value: undefined };
      },
    };
  }

  /** Waits for answers to the acks already sent (so that none is lost), then closes; the server nacks what is held. */
  close(): Promise<void> {
    return (this.#closing ??= (async () => {
      this.#gathered.flush();
      const deadline = Date.now() + 5_000;
      while (this.#inFlight.size > 0 && this.#socket.readyState === WebSocket.OPEN && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      if (this.#socket.readyState === WebSocket.CONNECTING || this.#socket.readyState === WebSocket.OPEN) this.#socket.close(1000, 'closed by the client');
      if (this.#socket.readyState !== WebSocket.CLOSED) await Promise.race([this.#socketClosed, new Promise((r) => setTimeout(r, 5_000).unref())]);
      this.#end();
    })());
  }

  #next(): Promise<IteratorResult<StreamedMessage>> {
    const m = this.#ready.shift();
    if (m !== undefined) return Promise.resolve({ done: false, value: m });
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    if (this.#ended || this.#closing !== undefined) return Promise.resolve({ done: true, value: undefined });
    return new Promise((resolve, reject) => (this.#waiter = { resolve, reject }));
  }

  #onFrame(text: string): void {
    let frame: StreamingServerFrame;
    try {
      frame = JSON.parse(text) as StreamingServerFrame;
    } catch {
      this.#fail(new BusUnavailableError('the bus server sent a frame that is not JSON'));
      return;
    }
    switch (frame.type) {
      case 'messages':
        for (const w of frame.receivedMessages) this.#deliver(this.#streamed(receivedFromWire(w)));
        return;
      case 'result': {
        const call = this.#inFlight.get(frame.id);
        this.#inFlight.delete(frame.id);
        call?.resolve(frame.result);
        return;
      }
      case 'error': {
        const error = wireError(frame.error);
        if (frame.id === undefined) {
          this.#fail(error);
          return;
        }
        const call = this.#inFlight.get(frame.id);
        this.#inFlight.delete(frame.id);
        call?.reject(error);
      }
    }
  }

  #onMessagesFrame(frame: Buffer): void {
    let messages: ReturnType<typeof decodeMessagesFrame>;
    try {
      messages = decodeMessagesFrame(frame);
    } catch (e) {
      this.#fail(new BusUnavailableError(`the bus server sent a damaged messages frame: ${(e as Error).message}`));
      return;
    }
    for (const m of messages) {
      this.#deliver(new RemoteStreamedMessage(this, m.ackId, m.deliveryAttempt, m.messageId, m.data, m.attributes, m.orderingKey, m.publishTime));
    }
  }

  #deliver(m: StreamedMessage): void {
    const waiter = this.#waiter;
    if (waiter !== undefined) {
      this.#waiter = undefined;
      waiter.resolve({ done: false, value: m });
    } else this.#ready.push(m);
  }

  #streamed(m: ReturnType<typeof receivedFromWire>): StreamedMessage {
    return new RemoteStreamedMessage(this, m.ackId, m.deliveryAttempt, m.id, m.data, m.attributes, m.orderingKey, m.publishTime);
  }

  /** One message's ack, nack or deadline change (RemoteStreamedMessage's methods): gathered with the others of this tick. */
  call(kind: Kind, ackId: string, deadline?: DurationLike): Promise<AckResponse> {
    let ms = 0;
    if (kind === 'modifyAckDeadline') {
      try {
        ms = parseDuration(deadline!, 'deadline');
      } catch (e) {
        return Promise.reject(new BusInvalidArgumentError((e as Error).message));
      }
    }
    const closed = this.#closedError();
    if (closed !== undefined) return Promise.reject(closed);
    return this.#gathered.add(kind, ackId, ms);
  }

  acknowledge(ackIds: readonly string[]): Promise<AckResponse> {
    return this.#batch('acknowledge', ackIds, 0);
  }

  nack(ackIds: readonly string[]): Promise<AckResponse> {
    return this.#batch('nack', ackIds, 0);
  }

  modifyAckDeadline(ackIds: readonly string[], deadline: DurationLike): Promise<AckResponse> {
    let ms: number;
    try {
      ms = parseDuration(deadline, 'deadline');
    } catch (e) {
      return Promise.reject(new BusInvalidArgumentError((e as Error).message));
    }
    return this.#batch('modifyAckDeadline', ackIds, ms);
  }

  #batch(kind: Kind, ackIds: readonly string[], ms: number): Promise<AckResponse> {
    try {
      checkAckIds(ackIds);
    } catch (e) {
      return Promise.reject(e);
    }
    if (ackIds.length === 0) return Promise.resolve({ succeeded: [], failed: [] });
    return this.#request(kind, ackIds, ms);
  }

  #closedError(): unknown {
    if (this.#failure !== undefined) return this.#failure;
    if (this.#ended || this.#socket.readyState !== WebSocket.OPEN) return new BusClosedError('the streaming pull is closed', { hint: 'ack a message before closing its stream, or with bus.acknowledge(subscription, [ackId])' });
    return undefined;
  }

  /** One frame of ack ids, answered by the server's `result` (or `error`) frame with the same id. */
  #request(kind: Kind, ackIds: readonly string[], ms: number): Promise<AckResponse> {
    const closed = this.#closedError();
    if (closed !== undefined) return Promise.reject(closed);
    return new Promise((resolve, reject) => {
      const id = this.#nextId++;
      this.#inFlight.set(id, { resolve, reject });
      const frame = { type: kind, id, ackIds, ...(kind === 'modifyAckDeadline' ? { ackDeadline: ms } : {}) };
      try {
        this.#socket.send(JSON.stringify(frame));
      } catch (e) {
        this.#inFlight.delete(id);
        reject(new BusUnavailableError(`cannot send to the bus server: ${(e as Error).message}`));
      }
    });
  }

  #fail(error: unknown): void {
    if (this.#failure === undefined && !this.#ended) this.#failure = error;
    this.#end();
  }

  #end(): void {
    if (this.#ended) return;
    this.#ended = true;
    const failure = this.#failure;
    const lost = failure ?? new BusClosedError('the streaming pull closed before the bus server answered');
    for (const call of this.#inFlight.values()) call.reject(lost);
    this.#inFlight.clear();
    if (failure !== undefined) this.#ready.length = 0;
    const waiter = this.#waiter;
    this.#waiter = undefined;
    if (waiter !== undefined) {
      if (failure !== undefined) waiter.reject(failure);
      else waiter.resolve({ done: true, value: undefined });
    }
    if (this.#socket.readyState === WebSocket.OPEN) this.#socket.close(1000, 'closed by the client');
    this.#onEnd(this);
  }
}

/** A message of a remote streaming pull: its acks go back on the stream's socket. (A class: one per message, no closures.) */
class RemoteStreamedMessage implements StreamedMessage {
  readonly #stream: RemoteMessageStream;
  readonly orderingKey?: string;
  constructor(
    stream: RemoteMessageStream,
    readonly ackId: string,
    readonly deliveryAttempt: number,
    readonly id: string,
    readonly data: Uint8Array,
    readonly attributes: Readonly<Record<string, string>>,
    orderingKey: string | undefined,
    readonly publishTime: number,
  ) {
    this.#stream = stream;
    if (orderingKey !== undefined) this.orderingKey = orderingKey;
  }
  ack(): Promise<AckResponse> {
    return this.#stream.call('acknowledge', this.ackId);
  }
  nack(): Promise<AckResponse> {
    return this.#stream.call('nack', this.ackId);
  }
  modifyAckDeadline(deadline: DurationLike): Promise<AckResponse> {
    return this.#stream.call('modifyAckDeadline', this.ackId, deadline);
  }
}
