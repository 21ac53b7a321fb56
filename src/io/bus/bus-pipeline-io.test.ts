// io.bus.read / io.bus.write in pipelines over the embedded bus: decoding, event times, dedup, malformed messages
// to the error output with their raw bytes, acks only after the pipeline processed a batch (none after a failure),
// ending by drain or maxMessages, the watermark estimate, and publishing through the awaited sink.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { combine, create, kv, map, Pipeline, window, writeTo, type ErrorRecord, type Instant, type KV, type Sink } from '../../index.ts';
import { acquireBus } from './bus-handle.ts';
import { BusSource, read, write, openBus, startBusServer, type Bus, type BusRecord } from './index.ts';

const root = mkdtempSync(join(tmpdir(), 'riffle-bus-io-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = () => join(root, `bus-${n++}`);

interface Got<T> {
  value: T;
  timestamp: Instant;
}

/** A sink that keeps what it was given (in memory), flushed per bundle. */
function memorySink<T>(into: Got<T>[]): Sink<T> {
  return {
    describe: () => 'memory',
    async open() {
      let buffer: Got<T>[] = [];
      return {
        write: (value: T, timestamp: Instant) => void buffer.push({ value, timestamp }),
        flush: () => {
          into.push(...buffer);
          buffer = [];
          return undefined;
        },
        finish: async () => {},
        abort: async () => {},
      };
    },
  };
}

async function backlog(bus: Bus, sub: string): Promise<number> {
  return (await bus.stats({ subscription: sub })).subscriptions[0]!.backlogMessages;
}

async function setup(dir: string, topic = 'readings', sub = 'archive'): Promise<Bus> {
  const bus = await openBus({ dir, fsync: 'never' });
  await bus.createTopic(topic);
  await bus.createSubscription(sub, { topic, ackDeadline: '30s' });
  return bus;
}

describe('io.bus.read', () => {
  it('decodes JSON with event times from an attribute, drops duplicates, sends malformed messages with their raw bytes to the error output, acks everything, and ends when drained', async () => {
    const dir = freshDir();
    const bus = await setup(dir);
    const good = Array.from({ length: 250 }, (_, i) => ({ data: JSON.stringify({ i }), attributes: { ts: String(1_700_000_000_000 + i * 1000), eid: `e${i}` } }));
    await bus.publish('readings', good.slice(0, 200));
    await bus.publish('readings', [
      { data: '{"i": broken', attributes: { ts: '1700000000000', eid: 'bad-json' } },
      { data: new Uint8Array([0xff, 0xfe, 0x00]), attributes: { ts: '1700000000000', eid: 'bad-utf8' } },
      { data: '{"i":-1}', attributes: { ts: 'yesterday', eid: 'bad-ts' } },
      { data: '{"i":-2}', attributes: { eid: 'no-ts' } },
      { data: JSON.stringify({ i: 5 }), attributes: { ts: '2023-11-14T22:13:25Z', eid: 'e5' } }, // a republished duplicate
    ]);
    await bus.publish('readings', good.slice(200));
    await bus.close();

    const got: Got<{ i: number }>[] = [];
    const errors: Got<ErrorRecord<string>>[] = [];
    const p = Pipeline.create();
    const r = p.apply('Read', read<{ i: number }>('archive', { bus: dir, timestampAttribute: 'ts', idAttribute: 'eid', until: 'drained', batchSize: 64 }).withErrors());
    r.main.apply(writeTo(memorySink(got)));
    r.errors.apply(writeTo(memorySink(errors)));
    const result = await p.run();
    assert.equal(result.state, 'DONE');

    assert.deepEqual(got.map((g) => g.value.i).sort((a, b) => a - b), good.map((_, i) => i));
    for (const g of got) assert.equal(g.timestamp, 1_700_000_000_000 + g.value.i * 1000);
    assert.equal(errors.length, 4);
    const byId = new Map(errors.map((e) => [(e.value.origin!.attributes as Record<string, string>).eid, e.value]));
    assert.match(byId.get('bad-json')!.error, /not JSON/);
    assert.equal(byId.get('bad-json')!.element, '{"i": broken');
    assert.match(byId.get('bad-utf8')!.error, /not valid UTF-8/);
    assert.equal(byId.get('bad-utf8')!.origin!.encoding, 'base64');
    assert.deepEqual([...Buffer.from(byId.get('bad-utf8')!.element, 'base64')], [0xff, 0xfe, 0x00]);
    assert.match(byId.get('bad-ts')!.error, /'ts' is "yesterday"/);
    assert.match(byId.get('no-ts')!.error, /'ts' is missing/);

    const again = await openBus({ dir });
    assert.equal(await backlog(again, 'archive'), 0, 'every message (good, malformed, duplicate) is acked');
    await again.close();
  });

  it('acks nothing of a batch the pipeline failed on: the messages stay in the backlog for the next run', async () => {
    const dir = freshDir();
    const bus = await setup(dir);
    await bus.publish('readings', Array.from({ length: 30 }, (_, i) => ({ data: JSON.stringify({ i }) })));
    await bus.close();
    const p = Pipeline.create();
    p.apply(read<{ i: number }>('archive', { bus: dir, until: 'drained' }))
      .apply(map((v: { i: number }) => {
        if (v.i === 17) throw new Error('boom');
        return v;
      }))
      .apply(writeTo(memorySink([])));
    await assert.rejects(p.run(), /boom/);
    const again = await openBus({ dir });
    assert.equal(await backlog(again, 'archive'), 30);
    const redelivered = await again.pull('archive', { maxMessages: 100 });
    assert.equal(redelivered.length, 30, 'the nacked messages are available again at once');
    await again.close();
  });

  it("acks per bundle by default, and nothing before the end with ack 'end': a job failing in its third batch", async () => {
    for (const ack of ['bundle', 'end'] as const) {
      const dir = freshDir();
      const bus = await setup(dir);
      for (let i = 0; i < 30; i += 10) await bus.publish('readings', Array.from({ length: 10 }, (_, j) => ({ data: JSON.stringify({ i: i + j }) })));
      await bus.close();
      let seen = 0;
      const p = Pipeline.create();
      p.apply(read<{ i: number }>('archive', { bus: dir, until: 'drained', batchSize: 10, ack }))
        .apply(map((v: { i: number }) => {
          if (++seen === 25) throw new Error('boom');
          return v;
        }))
        .apply(writeTo(memorySink([])));
      await assert.rejects(p.run(), /boom/);
      const again = await openBus({ dir });
      const left = await backlog(again, 'archive');
      if (ack === 'end') assert.equal(left, 30, 'nothing acked before the end');
      else assert.ok(left >= 10 && left <= 20, `the batches that passed every sink's flush are acked (${30 - left})`);
      await again.close();
    }
  });

  it("with ack 'end', a read that would hold more than the bus delivers unacked fails with the reason instead of waiting forever", async () => {
    const dir = freshDir();
    const bus = await openBus({ dir, fsync: 'never', maxPendingMessages: 10_000 });
    await bus.createTopic('readings');
    await bus.createSubscription('archive', { topic: 'readings', ackDeadline: '60s' });
    for (let i = 0; i < 10_050; i += 1000) await bus.publish('readings', Array.from({ length: Math.min(1000, 10_050 - i) }, (_, j) => ({ data: String(i + j) })));
    const p = Pipeline.create();
    p.apply(read<number>('archive', { bus, until: 'drained', ack: 'end' })).apply(writeTo(memorySink([])));
    await assert.rejects(p.run(), (e: Error & { code?: string }) => e.code === 'BUS_READ_HOLDS_TOO_MANY' && /holds 10000 unacked/.test(e.message));
    assert.equal(await backlog(bus, 'archive'), 10_050, 'nothing acked; the held messages were nacked');
    await bus.close();
  });

  it('ends after maxMessages and leaves the rest unacked', async () => {
    const dir = freshDir();
    const bus = await setup(dir);
    await bus.publish('readings', Array.from({ length: 50 }, (_, i) => ({ data: `line ${i}` })));
    const got: Got<BusRecord<string>>[] = [];
    const p = Pipeline.create();
    p.apply(read<BusRecord<string>>('archive', { bus, format: 'text', maxMessages: 20, batchSize: 8, withMetadata: true })).apply(writeTo(memorySink(got)));
    await p.run();
    assert.equal(got.length, 20);
    assert.deepEqual(got.map((g) => g.value.data).sort(), Array.from({ length: 20 }, (_, i) => `line ${i}`).sort());
    for (const g of got) assert.equal(g.timestamp, g.value.publishTime, 'without a timestamp option, the publish time');
    assert.equal(await backlog(bus, 'archive'), 30);
    await bus.close();
  });

  it('computes event-time windows without dropping data: the watermark stays below unread event times (allowedSkew)', async () => {
    const dir = freshDir();
    const bus = await setup(dir);
    const base = Date.now() - 30 * 60_000;
    const msgs = Array.from({ length: 600 }, (_, i) => ({ data: JSON.stringify({ k: `s${i % 3}`, v: i }), attributes: { ts: String(base + i * 3000) } }));
    for (let i = 0; i < msgs.length; i += 100) await bus.publish('readings', msgs.slice(i, i + 100));
    await bus.close();
    const got: Got<KV<string, number>>[] = [];
    const p = Pipeline.create();
    p.apply(read<{ k: string; v: number }>('archive', { bus: dir, timestampAttribute: 'ts', allowedSkew: '1h', until: 'drained', batchSize: 50 }))
      .apply(map((r: { k: string; v: number }) => kv(r.k, 1)))
      .apply(window.into(window.fixed('5m')))
      .apply(combine.perKey(combine.sum()))
      .apply(writeTo(memorySink(got)));
    const result = await p.run();
    assert.equal(got.reduce((s, g) => s + g.value.value, 0), 600);
    assert.ok(result.metrics.steps.every((s) => s.droppedLate === 0));
  });

  it('estimates the watermark as Dataflow does: the oldest unacked publish time minus the skew, now − skew when idle', async () => {
    const dir = freshDir();
    const bus = await setup(dir);
    const before = Date.now();
    await bus.publish('readings', Array.from({ length: 12 }, (_, i) => ({ data: String(i) })));
    const published = Date.now();
    const reader = await new BusSource<number>('archive', {
      bus, format: 'json', timestampAttribute: undefined, timestampFn: undefined, idAttribute: undefined,
      dedupWindowMs: 600_000, allowedSkewMs: 10_000, untilDrained: false, maxMessages: Infinity, batchSize: 5, withMetadata: false, ack: 'bundle',
    }).open(undefined);
    const b1 = await reader.next(1000);
    assert.equal(b1!.values.length, 5);
    const w1 = reader.watermark();
    assert.ok(w1 <= published - 10_000 && w1 >= before - 10_000 - 1000, `unread backlog holds it at its publish time − skew (${w1 - before})`);
    await reader.next(1000);
    await reader.next(1000);
    assert.equal(await reader.next(50), null);
    const w2 = reader.watermark();
    assert.ok(w2 >= Date.now() - 10_000 - 1000, 'idle with an empty backlog: now − skew');
    assert.ok(w2 >= w1);
    await reader.close();
    await bus.close();
  });

  it('rejects bad options when the pipeline is built', () => {
    assert.throws(() => read('archive', { colour: 'red' } as never), /unknown option 'colour'/);
    assert.throws(() => read('archive', { format: 'xml' as never }), /format' must be json, text or bytes/);
    assert.throws(() => read('archive', { timestampAttribute: 'ts', timestampFn: () => 0 }), /not both/);
    assert.throws(() => read('archive', { until: 'done' as never }), /'until' must be 'drained'/);
    assert.throws(() => read('archive', { allowedSkew: 'soon' }), /allowedSkew/);
    assert.throws(() => read('x'), /subscription/);
    assert.throws(() => read('archive', { ack: 'end' }), /ack 'end' needs a read that ends/);
    assert.throws(() => write('readings', { orderingKey: 'sensor' as never }), /'orderingKey' must be a function/);
  });
});

describe('io.bus through a server', () => {
  it('reads and writes a bus served by `riffle bus serve` (the same semantics over HTTP)', async () => {
    const dir = freshDir();
    const bus = await setup(dir);
    await bus.createTopic('echo');
    await bus.createSubscription('echo-sub', { topic: 'echo' });
    await bus.publish('readings', Array.from({ length: 120 }, (_, i) => ({ data: JSON.stringify({ i }), attributes: { ts: String(1_700_000_000_000 + i) } })));
    await bus.publish('readings', [{ data: 'not json', attributes: { ts: '1' } }]);
    const server = await startBusServer({ bus, port: 0 });
    try {
      const got: Got<{ i: number }>[] = [];
      const errors: Got<ErrorRecord<string>>[] = [];
      const p = Pipeline.create();
      const r = p.apply(read<{ i: number }>('archive', { bus: server.url, timestampAttribute: 'ts', until: 'drained', batchSize: 50 }).withErrors());
      r.main.apply(writeTo(memorySink(got)));
      r.errors.apply(writeTo(memorySink(errors)));
      r.main.apply(write('echo', { bus: server.url }));
      await p.run();
      assert.equal(got.length, 120);
      for (const g of got) assert.equal(g.timestamp, 1_700_000_000_000 + g.value.i);
      assert.equal(errors.length, 1);
      assert.equal(errors[0]!.value.element, 'not json');
      assert.equal(await backlog(bus, 'archive'), 0);
      assert.equal(await backlog(bus, 'echo-sub'), 120);
    } finally {
      await server.close();
      await bus.close();
    }
  });
});

describe('io.bus.write', () => {
  it('publishes through the awaited sink with attributes and ordering keys; a read and a write of one job share the bus directory', async () => {
    const dir = freshDir();
    const bus = await setup(dir);
    await bus.createTopic('doubled');
    await bus.createSubscription('doubled-sub', { topic: 'doubled', enableMessageOrdering: true });
    await bus.publish('readings', Array.from({ length: 40 }, (_, i) => ({ data: JSON.stringify({ k: `k${i % 4}`, v: i }) })));
    await bus.close();

    const p = Pipeline.create();
    p.apply(read<{ k: string; v: number }>('archive', { bus: dir, until: 'drained', batchSize: 16 }))
      .apply(map((r: { k: string; v: number }) => ({ k: r.k, v: r.v * 2 })))
      .apply(write('doubled', { bus: dir, attributes: (r) => ({ key: r.k }), orderingKey: (r) => r.k }));
    await p.run();

    const again = await openBus({ dir });
    const msgs = await again.pull('doubled-sub', { maxMessages: 100 });
    const values = msgs.map((m) => JSON.parse(Buffer.from(m.data).toString('utf8')) as { k: string; v: number });
    assert.deepEqual(values.map((v) => v.v).sort((a, b) => a - b), Array.from({ length: 40 }, (_, i) => i * 2));
    for (const m of msgs) assert.equal(m.attributes.key, m.orderingKey);
    await again.close();
  });

  it('publishes a bounded collection as text, and fails the job with the reason when the topic is missing', async () => {
    const dir = freshDir();
    const bus = await setup(dir, 'lines', 'lines-sub');
    const p = Pipeline.create();
    p.apply(create(['a', 'b', 'c'])).apply(write('lines', { bus, format: 'text' }));
    await p.run();
    const msgs = await bus.pull('lines-sub', { maxMessages: 10 });
    assert.deepEqual(msgs.map((m) => Buffer.from(m.data).toString()).sort(), ['a', 'b', 'c']);
    const q = Pipeline.create();
    q.apply(create(['x'])).apply(write('nowhere', { bus }));
    await assert.rejects(q.run(), /nowhere/);
    await bus.close();
  });

  it('shares one opened bus per directory and closes it with its last user', async () => {
    const dir = freshDir();
    const a = await acquireBus(dir);
    const b = await acquireBus(dir);
    assert.equal(a.bus, b.bus);
    await a.release();
    await a.bus.listTopics(); // still open for b
    await b.release();
    const c = await acquireBus(dir); // the lock was released: a fresh open succeeds
    assert.notEqual(c.bus, a.bus);
    await c.release();
  });
});
