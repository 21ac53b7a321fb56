// The bus semantic suite (bus-suite.ts) through the server: each test's bus is `riffle bus serve`'s server started in
// this process on a free port over the suite's directory and virtual clock, reached through `connectBus` (HTTP and
// the WebSocket streaming pull). Closing the client also stops that server and closes its bus, so the suite's
// restart tests reopen the same directory behind a new server.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
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

describe('bus client connections', () => {
  it('a publish in flight when the client closes still gets its answer; a publish after it is refused', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'riffle-bus-client-'));
    const bus = await openBus({ dir });
    const server = await startBusServer({ bus, port: 0 });
    try {
      const client = await connectBus(server.url);
      await client.createTopic('conn-topic');
      for (let i = 0; i < 20; i++) await client.publish('conn-topic', [{ data: `m${i}` }]);
      const last = client.publish('conn-topic', [{ data: 'last' }]);
      await client.close();
      assert.deepEqual(await last, ['20']);
      assert.equal((await bus.stats({ topic: 'conn-topic' })).topics[0]!.messages, 21);
      await assert.rejects(client.publish('conn-topic', [{ data: 'after' }]), (e: unknown) => (e as { code?: string }).code === 'BUS_CLOSED');
    } finally {
      await server.close();
      await bus.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
