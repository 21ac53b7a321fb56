import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ReceivedMessage } from './bus-api.ts';
import { VirtualClock } from './clock.ts';
import { createMessageStream, type StreamTransport } from './message-stream.ts';

/** A transport over `n` messages that records every call. */
function recordingTransport(n: number): { t: StreamTransport; calls: Array<[string, readonly string[]]> } {
  const calls: Array<[string, readonly string[]]> = [];
  let left = Array.from({ length: n }, (_x, i): ReceivedMessage => ({ id: String(i), data: new Uint8Array([i]), attributes: {}, publishTime: 0, ackId: `ack-${i}`, deliveryAttempt: 1 }));
  const answer = (ids: readonly string[]) => ({ succeeded: ids.filter((id) => id !== 'ack-3'), failed: ids.includes('ack-3') ? [{ ackId: 'ack-3', reason: 'expired' as const }] : [] });
  const t: StreamTransport = {
    pull: async (max) => {
      const got = left.slice(0, max);
      left = left.slice(max);
      return got;
    },
    acknowledge: async (ids) => (calls.push(['acknowledge', ids]), answer(ids)),
    nack: async (ids) => (calls.push(['nack', ids]), answer(ids)),
    modifyAckDeadline: async (ids) => (calls.push(['modifyAckDeadline', ids]), answer(ids)),
    ackDeadline: async () => 10_000,
  };
  return { t, calls };
}

describe('message stream', () => {
  it("gathers the per-message acks of a tick into one call, and gives each message its part of the answer", async () => {
    const { t, calls } = recordingTransport(10);
    const stream = createMessageStream(t, new VirtualClock(), { maxOutstandingMessages: 100 });
    const it = stream[Symbol.asyncIterator]();
    const msgs = [];
    for (let i = 0; i < 10; i++) msgs.push((await it.next()).value!);
    const answers = await Promise.all(msgs.map((m) => (m.id === '9' ? m.nack() : m.ack())));
    assert.deepEqual(calls, [
      ['acknowledge', msgs.slice(0, 9).map((m) => m.ackId)],
      ['nack', ['ack-9']],
    ]);
    assert.deepEqual(answers[0], { succeeded: ['ack-0'], failed: [] });
    assert.deepEqual(answers[3], { succeeded: [], failed: [{ ackId: 'ack-3', reason: 'expired' }] });
    assert.deepEqual(answers[9], { succeeded: ['ack-9'], failed: [] });
    await stream.close();
  });

  it('sends a batch as one call and releases its flow control at once', async () => {
    const { t, calls } = recordingTransport(6);
    const stream = createMessageStream(t, new VirtualClock(), { maxOutstandingMessages: 3 });
    const it = stream[Symbol.asyncIterator]();
    const held = [(await it.next()).value!, (await it.next()).value!, (await it.next()).value!];
    const fourth: { m?: ReceivedMessage } = {};
    const waiting = it.next().then((r) => (fourth.m = r.value as ReceivedMessage));
    await new Promise((r) => setTimeout(r, 20));
    assert.ok(fourth.m === undefined, 'three held: the fourth waits');
    const r = await stream.acknowledge(held.map((m) => m.ackId));
    assert.deepEqual(r.failed, []);
    const got = await waiting;
    assert.equal(got.id, '3');
    assert.deepEqual(calls, [['acknowledge', ['ack-0', 'ack-1', 'ack-2']]]);
    await assert.rejects(stream.modifyAckDeadline(['ack-3'], 'soon'), (e: unknown) => (e as { code?: string }).code === 'BUS_INVALID_ARGUMENT');
    await stream.close();
  });
});
