/**
 * io.bus.read acking at checkpoints (`finalizeCheckpoint`), driven directly as the checkpoint coordinator would:
 * nothing is acked before a checkpoint holding it completes; a reader restored at an earlier position reads again
 * what was not acked, and acks (without reading twice) what that position held.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { SourceContext } from '../../model/index.ts';
import { connectBus, openBus, readSource, startBusServer, type Bus, type BusReader } from './index.ts';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function freshDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'riffle-bus-chk-'));
  dirs.push(d);
  return d;
}

async function setup(bus: Bus, n: number): Promise<void> {
  await bus.createTopic('readings');
  await bus.createSubscription('archive', { topic: 'readings', ackDeadline: '10s' });
  await bus.publish('readings', Array.from({ length: n }, (_x, i) => ({ data: JSON.stringify(i) })));
}

const backlog = async (bus: Bus): Promise<number> => (await bus.stats({ subscription: 'archive' })).subscriptions[0]!.backlogMessages;
const checkpointed: SourceContext = { worker: 0, workers: 1, checkpoints: true };

/** Polls as the engine does until `n` values came (or 5 s passed). */
async function readValues(reader: BusReader<number>, n: number): Promise<number[]> {
  const out: number[] = [];
  const until = Date.now() + 5_000;
  while (out.length < n && Date.now() < until) {
    const b = await reader.next(200);
    if (b !== null) out.push(...b.values);
  }
  return out;
}

for (const where of ['in-process', 'through the server'] as const) {
  describe(`io.bus.read acks at checkpoints (${where})`, () => {
    async function open(n: number): Promise<{ bus: Bus; done: () => Promise<void> }> {
      const local = await openBus({ dir: freshDir() });
      await setup(local, n);
      if (where === 'in-process') return { bus: local, done: () => local.close() };
      const server = await startBusServer({ bus: local, port: 0 });
      const bus = await connectBus(server.url);
      return { bus, done: async () => (await bus.close(), await server.close(), await local.close()) };
    }

    it('acks nothing before finalizeCheckpoint, then exactly what the checkpoint position held', async () => {
      const { bus, done } = await open(30);
      const source = readSource<number>('archive', { bus, batchSize: 10 });
      const reader = await source.open(undefined, undefined, checkpointed);
      assert.equal(reader.ackMode, 'checkpoint', 'a run that takes checkpoints acks at them');
      const first = await readValues(reader, 20);
      assert.deepEqual(first, Array.from({ length: 20 }, (_x, i) => i));
      const p1 = reader.position();
      assert.deepEqual(p1, { messages: 20, unacked: [[0, 20]] });
      assert.equal(await backlog(bus), 30, 'bundles passed, no checkpoint yet: nothing acked');
      const more = await readValues(reader, 10);
      assert.equal(more.length, 10);
      await reader.finalizeCheckpoint(p1);
      assert.equal(reader.counts.acked, 20);
      assert.equal(await backlog(bus), 10, 'the 20 read before the checkpoint are acked; the 10 after it are not');
      assert.deepEqual(reader.position(), { messages: 30, unacked: [[20, 30]] });
      await reader.finalizeCheckpoint(reader.position());
      assert.equal(await backlog(bus), 0);
      await reader.close();
      await done();
    });

    it('a reader reopened at an earlier position after a crash reads the unacked messages again, and acks what the position held', async () => {
      const { bus, done } = await open(30);
      const source = readSource<number>('archive', { bus, batchSize: 10 });
      const reader = await source.open(undefined, undefined, checkpointed);
      await readValues(reader, 10);
      const p1 = reader.position(); // checkpoint 1: messages 0–9
      await reader.finalizeCheckpoint(p1);
      await readValues(reader, 10);
      const p2 = reader.position(); // checkpoint 2 completes (10–19 in its state) but the process dies before finalize
      await readValues(reader, 10); // 20–29: after the last checkpoint
      assert.deepEqual(p2, { messages: 20, unacked: [[10, 20]] });
      // The crash: the job fails; its reader acks nothing more and what it held is given back.
      await reader.close();
      assert.equal(await backlog(bus), 20);
      const restored = await source.open(p2);
      assert.equal(restored.ackMode, 'checkpoint', 'a reader restored from a checkpoint acks at checkpoints');
      const again = await readValues(restored, 10);
      assert.deepEqual(again.sort((a, b) => a - b), [20, 21, 22, 23, 24, 25, 26, 27, 28, 29], 'read again: only what came after the restored checkpoint');
      assert.equal(restored.counts.restored, 10, "10–19 were in checkpoint 2's state: acked when they came again, not read twice");
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(await backlog(bus), 10, 'the restored ones are acked; the ones read again wait for a checkpoint');
      const p3 = restored.position();
      assert.equal(p3.messages, 30);
      await restored.finalizeCheckpoint(p3);
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(await backlog(bus), 0);
      await restored.close();
      await done();
    });
  });
}
