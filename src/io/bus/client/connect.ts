/**
 * `connectBus` as the bus's index exports it: the HTTP client and the WebSocket library load on the first call, so
 * that importing the bus (or `riffle`) stays light.
 * @example
 *   const bus = await connectBus(process.env.RIFFLE_BUS_URL!, { token: process.env.RIFFLE_BUS_TOKEN });
 */
import type { Bus } from '../bus-api.ts';
import type { ConnectBusOptions } from './connect-bus.ts';

export type { ConnectBusOptions } from './connect-bus.ts';

/** A `Bus` served by `riffle bus serve` at `url` (see connect-bus.ts); resolves once the server answered. */
export async function connectBus(url: string | URL, options: ConnectBusOptions = {}): Promise<Bus> {
  return (await import('./connect-bus.ts')).connectBus(url, options);
}
