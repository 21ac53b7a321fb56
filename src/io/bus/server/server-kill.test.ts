// Durability through the server: `riffle bus serve --fsync always` is killed with SIGKILL while 4 publishers publish
// and a subscriber receives; after a restart on the same directory, every publish the server had answered is there
// (0 lost), and every message received but not acknowledged is delivered again. Messages in flight at the kill
// (sent, not answered) may or may not be there: they are counted, not required. Prints the counts.
//
// npm test runs one round; the tier (.ci/tiers/bus-server.sh) runs RIFFLE_BUS_KILL_ROUNDS rounds.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { it } from 'node:test';
import type { Bus, ReceivedMessage } from '../bus-api.ts';
import { connectBus } from '../client/connect-bus.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
const ROUNDS = Number(process.env.RIFFLE_BUS_KILL_ROUNDS ?? 1);
const PUBLISHERS = 4;
const ENTRY = join(root, 'src/cli/main.ts');

function serve(dir: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', ENTRY, 'bus', 'serve', '--dir', dir, '--port', '0', '--fsync', 'always', '--json'], { cwd: root, env: { ...process.env, RIFFLE_BUS_TOKEN: '', RIFFLE_BUS_URL: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line !== undefined) resolve({ child, url: (JSON.parse(line) as { url: string }).url });
    });
    child.once('exit', (code) => reject(new Error(`riffle bus serve exited with ${code}: ${err}`)));
  });
}

/** Everything the subscription holds now (acked as it is read). */
async function drain(bus: Bus, subscription: string): Promise<ReceivedMessage[]> {
  const all: ReceivedMessage[] = [];
  for (;;) {
    const got = await bus.pull(subscription, { maxMessages: 1000 });
    if (got.length === 0) return all;
    all.push(...got);
    await bus.acknowledge(subscription, got.map((m) => m.ackId));
  }
}

const text = (m: { data: Uint8Array }) => Buffer.from(m.data).toString('utf8');

it(`kill -9 of the server while ${PUBLISHERS} publishers publish (fsync always): 0 acknowledged messages lost, unacked deliveries come again (${ROUNDS} round(s))`, { timeout: 120_000 * ROUNDS }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'riffle-bus-kill-'));
  try {
    let server = await serve(dir);
    let bus = await connectBus(server.url);
    await bus.createTopic('kill-topic');
    await bus.createSubscription('audit', { topic: 'kill-topic', ackDeadline: '600s' });
    // Leases survive a restart (a message leased before it waits for its deadline): the shortest deadline, 10 s.
    await bus.createSubscription('work', { topic: 'kill-topic', ackDeadline: '10s' });
    const acknowledged = new Set<string>();
    const maybe = new Set<string>();
    const unacked = new Set<string>();
    for (let round = 0; round < ROUNDS; round++) {
      let stop = false;
      const publishers = Array.from({ length: PUBLISHERS }, async (_x, p) => {
        for (let seq = 0; !stop; seq++) {
          const batch = Array.from({ length: 1 + (seq % 20) }, (_y, i) => `r${round}-p${p}-${seq}-${i}`);
          for (const d of batch) maybe.add(d);
          try {
            await bus.publish('kill-topic', batch.map((data) => ({ data })));
          } catch {
            return; // the server is gone: this batch stays "maybe"
          }
          for (const d of batch) {
            maybe.delete(d);
            acknowledged.add(d);
          }
        }
      });
      // A subscriber that receives and keeps some messages unacknowledged.
      const subscriber = (async () => {
        while (!stop) {
          try {
            for (const m of await bus.pull('work', { maxMessages: 50, wait: '200ms' })) unacked.add(text(m));
          } catch {
            return;
          }
        }
      })();
      await new Promise((r) => setTimeout(r, 1500));
      server.child.kill('SIGKILL');
      await new Promise((r) => server.child.once('exit', r));
      stop = true;
      await Promise.all([...publishers, subscriber]);
      await bus.close();

      server = await serve(dir);
      bus = await connectBus(server.url);
      console.log(`round ${round + 1}: acknowledged publishes so far ${acknowledged.size}, in flight at the kill ${maybe.size}; received and not acknowledged so far ${unacked.size}`);
      assert.ok(acknowledged.size > 0, 'the publishers published something before the kill');
    }
    // Every message received and never acknowledged comes again once its lease (10 s) runs out.
    const redelivered = new Set<string>();
    const until = Date.now() + 40_000;
    while (Date.now() < until && [...unacked].some((d) => !redelivered.has(d))) {
      const got = await bus.pull('work', { maxMessages: 1000, wait: '1s' });
      for (const m of got) redelivered.add(text(m));
      if (got.length > 0) await bus.acknowledge('work', got.map((m) => m.ackId));
    }
    const missingRedelivery = [...unacked].filter((d) => !redelivered.has(d));
    console.log(`received and not acknowledged before the kills: ${unacked.size}, delivered again: ${unacked.size - missingRedelivery.length}`);
    assert.deepEqual(missingRedelivery.slice(0, 10), [], `${missingRedelivery.length} unacknowledged messages not delivered again`);
    const found = new Set((await drain(bus, 'audit')).map(text));
    const lost = [...acknowledged].filter((d) => !found.has(d));
    const inFlightKept = [...maybe].filter((d) => found.has(d)).length;
    console.log(`after ${ROUNDS} kill(s): ${acknowledged.size} acknowledged, ${lost.length} lost; ${maybe.size} in flight at the kills, ${inFlightKept} of them kept`);
    assert.deepEqual(lost.slice(0, 10), [], `${lost.length} acknowledged messages lost`);
    await bus.close();
    server.child.kill('SIGTERM');
    await new Promise((r) => server.child.once('exit', r));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
