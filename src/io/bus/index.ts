/**
 * Riffle's message bus: Pub/Sub semantics, embedded and durable (`openBus`), the same interface through a server
 * (`riffle bus serve`, the HTTP client). Importing this module loads no server, schema or WebSocket library: those
 * load when first used.
 * @example
 *   import { openBus } from 'riffle/io/bus';
 *   const bus = await openBus({ dir: '.riffle/bus' });
 */
export type * from './bus-api.ts';
export * from './bus-errors.ts';
export { openBus, InProcessBus, type BusOptions } from './open-bus.ts';
export { createPublisher } from './publisher.ts';
export { createMessageStream, type StreamTransport } from './message-stream.ts';
export { systemClock, VirtualClock, type Clock, type ClockTimer } from './clock.ts';
export { parseFilter, type MessageFilter, type FilterExpr } from './filter.ts';
export { validateName } from './names.ts';
export type { FsyncPolicy } from './group-commit.ts';
export { connectBus, type ConnectBusOptions } from './client/connect.ts';
export { startBusServer, DEFAULT_BUS_PORT, BUS_TOKEN_ENV, type BusServer, type BusServerOptions } from './server/serve.ts';
export { read, readSource, BusSource, BusReader, type BusAckMode, type BusReadOptions, type BusRecord, type BusMessageInfo, type BusDataFormat, type BusReadPosition } from './bus-source.ts';
export { write, BusSink, type BusWriteOptions } from './bus-sink.ts';
export type { BusLocation } from './bus-handle.ts';
