/**
 * `startBusServer` as the bus's index exports it: Hono, its Node adapter and the WebSocket library load on the first
 * call, so that importing the bus (or `riffle`) stays light.
 * @example
 *   const server = await startBusServer({ bus: await openBus({ dir }), port: 0 });
 */
import type { BusServer, BusServerOptions } from './bus-server.ts';

export type { BusServer, BusServerOptions } from './bus-server.ts';
export { BUS_TOKEN_ENV } from './bearer-token.ts';

/** The port `riffle bus serve` listens on by default (the Pub/Sub emulator's). */
export const DEFAULT_BUS_PORT = 8085;

/** Starts the bus's HTTP server (see bus-server.ts); resolves once it listens. */
export async function startBusServer(options: BusServerOptions): Promise<BusServer> {
  return (await import('./bus-server.ts')).startBusServer(options);
}
