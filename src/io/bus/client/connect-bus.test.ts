// The bus semantic suite (bus-suite.ts) through the server: each test's bus is `riffle bus serve`'s server started in
// this process on a free port over the suite's directory and virtual clock, reached through `connectBus` (HTTP and
// the WebSocket streaming pull). Closing the client also stops that server and closes its bus, so the suite's
// restart tests reopen the same directory behind a new server.
import type { Bus } from '../bus-api.ts';
import { runBusSuite } from '../bus-suite.ts';
import { openBus } from '../open-bus.ts';
import { startBusServer } from '../server/bus-server.ts';
import { connectBus } from './connect-bus.ts';

/** `client` with a `close()` that also stops what stands behind it. */
function closingAlso(client: Bus, stop: () => Promise<void>): Bus {
  return new Proxy(client, {
    get(target, prop) {
      if (prop === 'close') {
        return async () => {
          await target.close();
          await stop();
        };
      }
      const value = Reflect.get(target, prop, target) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

runBusSuite('through the server (HTTP + WebSocket)', async ({ dir, clock }) => {
  const bus = await openBus({ dir, clock });
  const server = await startBusServer({ bus, port: 0 });
  const client = await connectBus(server.url);
  return closingAlso(client, async () => {
    await server.close();
    await bus.close();
  });
});
