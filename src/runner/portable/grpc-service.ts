/**
 * gRPC over @grpc/grpc-js with protobuf-es messages: Beam's Job, Artifact and Fn APIs are gRPC services, and
 * protobuf-es generates service *descriptors* (method names, kinds, message schemas) but no transport. This file turns
 * a generated descriptor into a grpc-js service definition (method paths `/<package>.<Service>/<Method>`, binary
 * (de)serialization with the schemas) and into a typed client whose methods follow the descriptor:
 *
 * - unary → `(request) => Promise<response>`
 * - server streaming → `(request) => ServerStream<response>` (async-iterable, cancellable)
 * - client streaming → `() => ClientStream<request, response>` (write…, then `end()` resolves the response)
 * - bidi streaming → `() => BidiStream<request, response>` (write, end, async-iterate the responses)
 *
 * Requests are protobuf-es init shapes (`{ jobId: 'x' }`), responses are protobuf-es messages.
 * @example
 *   const jobs = grpcClient(JobService, '127.0.0.1:8099');
 *   const { preparationId } = await jobs.prepare({ pipeline, jobName: 'demo' });
 */
import * as grpc from '@grpc/grpc-js';
import { create, fromBinary, toBinary, type DescMessage, type DescService, type MessageInitShape, type MessageShape } from '@bufbuild/protobuf';
import type { GenService, GenServiceMethods } from '@bufbuild/protobuf/codegenv2';

/** Per-call options: a deadline in milliseconds from now. */
export interface CallOptions {
  readonly timeoutMs?: number;
}

/** Client options: grpc-js channel options, and metadata sent with every call (Beam's Fn API wants `worker_id`). */
export interface ClientOptions {
  readonly channelOptions?: grpc.ChannelOptions;
  readonly metadata?: Readonly<Record<string, string>>;
}

/** A response stream: async-iterate it; `cancel()` ends the call (the iteration then stops). */
export interface ServerStream<O> extends AsyncIterable<O> {
  cancel(): void;
}

/** A request stream whose single response arrives once it ends. */
export interface ClientStream<I, O> {
  write(request: I): void;
  end(): Promise<O>;
}

/** Both directions at once. */
export interface BidiStream<I, O> extends AsyncIterable<O> {
  write(request: I): void;
  end(): void;
  cancel(): void;
}

type Method = GenServiceMethods[string];
type Req<M extends Method> = MessageInitShape<M['input']>;
type Res<M extends Method> = MessageShape<M['output']>;

/** The typed client of a generated service descriptor. */
export type GrpcClient<S extends GenServiceMethods> = {
  readonly [K in keyof S]: S[K]['methodKind'] extends 'unary'
    ? (request: Req<S[K]>, options?: CallOptions) => Promise<Res<S[K]>>
    : S[K]['methodKind'] extends 'server_streaming'
      ? (request: Req<S[K]>, options?: CallOptions) => ServerStream<Res<S[K]>>
      : S[K]['methodKind'] extends 'client_streaming'
        ? (options?: CallOptions) => ClientStream<Req<S[K]>, Res<S[K]>>
        : (options?: CallOptions) => BidiStream<Req<S[K]>, Res<S[K]>>;
} & { close(): void };

const serializer = (schema: DescMessage) => (message: MessageShape<DescMessage>): Buffer => Buffer.from(toBinary(schema, message));
const deserializer = (schema: DescMessage) => (bytes: Buffer): MessageShape<DescMessage> => fromBinary(schema, bytes);

/** The grpc-js definition of a generated service (for `server.addService` and client constructors). */
export function grpcServiceDefinition(service: DescService): grpc.ServiceDefinition {
  const def: Record<string, grpc.MethodDefinition<MessageShape<DescMessage>, MessageShape<DescMessage>>> = {};
  for (const m of service.methods) {
    def[m.localName] = {
      path: `/${service.typeName}/${m.name}`,
      requestStream: m.methodKind === 'client_streaming' || m.methodKind === 'bidi_streaming',
      responseStream: m.methodKind === 'server_streaming' || m.methodKind === 'bidi_streaming',
      requestSerialize: serializer(m.input),
      requestDeserialize: deserializer(m.input),
      responseSerialize: serializer(m.output),
      responseDeserialize: deserializer(m.output),
      originalName: m.name,
    };
  }
  return def;
}

function deadline(options: CallOptions | undefined): grpc.CallOptions {
  return options?.timeoutMs !== undefined ? { deadline: Date.now() + options.timeoutMs } : {};
}

/**
 * A typed client of `service` at `address` (host:port, plaintext: Beam's job server and runner-side Fn API services
 * listen on loopback or a private network without TLS).
 */
export function grpcClient<S extends GenServiceMethods>(service: GenService<S>, address: string, opts: ClientOptions = {}): GrpcClient<S> {
  const desc = service as unknown as DescService;
  const client = new grpc.Client(address, grpc.credentials.createInsecure(), { 'grpc.max_receive_message_length': -1, 'grpc.max_send_message_length': -1, ...(opts.channelOptions ?? {}) });
  const metadata = () => {
    const m = new grpc.Metadata();
    for (const [k, v] of Object.entries(opts.metadata ?? {})) m.set(k, v);
    return m;
  };
  const out: Record<string, unknown> = { close: () => client.close() };
  for (const m of desc.methods) {
    const path = `/${desc.typeName}/${m.name}`;
    const ser = (init: unknown) => Buffer.from(toBinary(m.input, create(m.input, init as MessageInitShape<DescMessage>)));
    const de = deserializer(m.output);
    switch (m.methodKind) {
      case 'unary':
        out[m.localName] = (request: unknown, options?: CallOptions) =>
          new Promise((resolve, reject) => {
            client.makeUnaryRequest(path, ser, de, request, metadata(), deadline(options), (err, res) => (err ? reject(withMethod(err, path)) : resolve(res)));
          });
        break;
      case 'server_streaming':
        out[m.localName] = (request: unknown, options?: CallOptions) => readable(client.makeServerStreamRequest(path, ser, de, request, metadata(), deadline(options)), path);
        break;
      case 'client_streaming':
        out[m.localName] = (options?: CallOptions) => {
          let settle!: { resolve: (v: unknown) => void; reject: (e: unknown) => void };
          const done = new Promise((resolve, reject) => (settle = { resolve, reject }));
          const call = client.makeClientStreamRequest(path, ser, de, metadata(), deadline(options), (err, res) => (err ? settle.reject(withMethod(err, path)) : settle.resolve(res)));
          return { write: (r: unknown) => void call.write(r), end: () => (call.end(), done) };
        };
        break;
      case 'bidi_streaming':
        out[m.localName] = (options?: CallOptions) => {
          const call = client.makeBidiStreamRequest(path, ser, de, metadata(), deadline(options));
          return { ...readable(call, path), write: (r: unknown) => void call.write(r), end: () => void call.end() };
        };
        break;
    }
  }
  return out as GrpcClient<S>;
}

/** A call's response stream as an async iterable that ends quietly when the call is cancelled by us. */
function readable<O>(call: grpc.ClientReadableStream<O> | grpc.ClientDuplexStream<unknown, O>, path: string): ServerStream<O> {
  let cancelled = false;
  return {
    cancel() {
      cancelled = true;
      call.cancel();
    },
    async *[Symbol.asyncIterator]() {
      try {
        for await (const message of call) yield message as O;
      } catch (err) {
        if (cancelled && (err as grpc.ServiceError).code === grpc.status.CANCELLED) return;
        throw withMethod(err, path);
      }
    },
  };
}

/** A gRPC failure with the method it happened in, e.g. `/…JobService/Prepare: 14 UNAVAILABLE: No connection established`. */
export class GrpcCallError extends Error {
  readonly code: number | undefined;
  constructor(
    readonly method: string,
    cause: unknown,
  ) {
    super(`${method}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'GrpcCallError';
    this.code = (cause as Partial<grpc.ServiceError>).code;
  }
}

function withMethod(err: unknown, path: string): GrpcCallError {
  return err instanceof GrpcCallError ? err : new GrpcCallError(path, err);
}
