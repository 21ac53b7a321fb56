/**
 * The semantic suite every Bus runs (as Hono's router suite does): the in-process bus (open-bus.test.ts) and the
 * HTTP client through `riffle bus serve` (client/connect-bus.test.ts) pass the same tests. Time runs on a
 * VirtualClock that the factory must hand to the bus it builds, so deadlines, backoff and windows take no real time.
 *
 * @example
 *   runBusSuite('in-process', ({ dir, clock }) => openBus({ dir, clock }));
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Bus, ReceivedMessage } from './bus-api.ts';
import { VirtualClock } from './clock.ts';
import { createPublisher } from './publisher.ts';

/** What a factory receives: the directory for the bus and the clock it must use. */
export interface BusSuiteContext {
  readonly dir: string;
  readonly clock: VirtualClock;
}

/** Builds a bus on `dir` with `clock`; called again with the same context to test a restart (after `close()`). */
export type BusSuiteFactory = (ctx: BusSuiteContext) => Promise<Bus>;

const text = (m: { data: Uint8Array }) => Buffer.from(m.data).toString('utf8');
const S = 1000;

function errorCode(code: string): (e: unknown) => boolean {
  return (e: unknown) => {
    assert.equal((e as { code?: string }).code, code, `expected ${code}, got ${(e as Error).message}`);
    return true;
  };
}

async function withBus(factory: BusSuiteFactory, fn: (bus: Bus, ctx: BusSuiteContext, reopen: () => Promise<Bus>) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'riffle-bus-suite-'));
  const ctx: BusSuiteContext = { dir, clock: new VirtualClock() };
  let bus = await factory(ctx);
  try {
    await fn(bus, ctx, async () => {
      await bus.close();
      bus = await factory(ctx);
      return bus;
    });
  } finally {
    await bus.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function setup(bus: Bus, sub: Record<string, unknown> = {}, topic: Record<string, unknown> = {}): Promise<void> {
  await bus.createTopic('events', topic);
  await bus.createSubscription('events-sub', { topic: 'events', ...sub });
}

async function publishTexts(bus: Bus, texts: string[], extra: { orderingKey?: string; attributes?: Record<string, string> } = {}): Promise<string[]> {
  return bus.publish('events', texts.map((data) => ({ data, ...extra })));
}

/** Runs the bus semantic suite against `factory`'s buses. */
export function runBusSuite(name: string, factory: BusSuiteFactory): void {
  const t = (title: string, fn: (bus: Bus, ctx: BusSuiteContext, reopen: () => Promise<Bus>) => Promise<void>) => it(title, () => withBus(factory, fn));

  describe(`bus semantics: ${name}`, () => {
    describe('topics and subscriptions', () => {
      t('create, get, list, delete; names validated as Pub/Sub does; duplicates and missing ones are typed errors', async (bus) => {
        const info = await bus.createTopic('orders', { labels: { team: 'a' } });
        assert.equal(info.name, 'orders');
        assert.equal(info.messageRetentionDuration, 7 * 24 * 3600 * S);
        assert.deepEqual((await bus.getTopic('orders')).labels, { team: 'a' });
        await bus.createTopic('billing');
        assert.deepEqual((await bus.listTopics()).map((x) => x.name), ['billing', 'orders']);
        await assert.rejects(bus.createTopic('orders'), errorCode('BUS_ALREADY_EXISTS'));
        for (const bad of ['ab', '1abc', '../etc', 'a/b/c', 'googthing', 'x'.repeat(256), 'has space']) {
          await assert.rejects(bus.createTopic(bad), errorCode('BUS_INVALID_ARGUMENT'), bad);
        }
        await assert.rejects(bus.getTopic('nothing'), errorCode('BUS_NOT_FOUND'));
        await assert.rejects(bus.createTopic('tt1', { retention: '1d' } as never), (e: unknown) => errorCode('BUS_INVALID_ARGUMENT')(e) && /did you mean 'retentionBytes'|unknown key 'retention'/.test((e as Error).message));
        await bus.deleteTopic('billing');
        assert.deepEqual((await bus.listTopics()).map((x) => x.name), ['orders']);
        await assert.rejects(bus.deleteTopic('billing'), errorCode('BUS_NOT_FOUND'));
      });

      t('subscription defaults, ranges, update (topic, filter and ordering immutable), list by topic, delete', async (bus) => {
        await bus.createTopic('orders');
        await bus.createTopic('orders-dlq');
        const s = await bus.createSubscription('orders-sub', { topic: 'orders' });
        assert.equal(s.ackDeadline, 10 * S);
        assert.equal(s.enableMessageOrdering, false);
        assert.equal(s.enableExactlyOnceDelivery, false);
        assert.equal(s.retainAckedMessages, false);
        assert.equal(s.messageRetentionDuration, 7 * 24 * 3600 * S);
        assert.equal(s.retryPolicy, undefined);
        await assert.rejects(bus.createSubscription('x-sub', { topic: 'orders', ackDeadline: '5s' }), errorCode('BUS_INVALID_ARGUMENT'));
        await assert.rejects(bus.createSubscription('x-sub', { topic: 'orders', ackDeadline: '601s' }), errorCode('BUS_INVALID_ARGUMENT'));
        await assert.rejects(bus.createSubscription('x-sub', { topic: 'orders', deadLetterPolicy: { deadLetterTopic: 'orders-dlq', maxDeliveryAttempts: 4 } }), errorCode('BUS_INVALID_ARGUMENT'));
        await assert.rejects(bus.createSubscription('x-sub', { topic: 'orders', deadLetterPolicy: { deadLetterTopic: 'no-such-topic' } }), errorCode('BUS_NOT_FOUND'));
        await assert.rejects(bus.createSubscription('x-sub', { topic: 'missing' }), errorCode('BUS_NOT_FOUND'));
        await assert.rejects(bus.createSubscription('orders-sub', { topic: 'orders' }), errorCode('BUS_ALREADY_EXISTS'));
        const u = await bus.updateSubscription('orders-sub', { ackDeadline: '30s', retryPolicy: { minimumBackoff: '10s', maximumBackoff: '60s' } });
        assert.equal(u.ackDeadline, 30 * S);
        assert.deepEqual(u.retryPolicy, { minimumBackoff: 10 * S, maximumBackoff: 60 * S });
        assert.equal((await bus.getSubscription('orders-sub')).ackDeadline, 30 * S);
        assert.equal((await bus.updateSubscription('orders-sub', { retryPolicy: null })).retryPolicy, undefined);
        await assert.rejects(bus.updateSubscription('orders-sub', { filter: 'attributes:x' } as never), errorCode('BUS_INVALID_ARGUMENT'));
        await bus.createSubscription('dlq-watch', { topic: 'orders-dlq' });
        assert.deepEqual((await bus.listSubscriptions('orders')).map((x) => x.name), ['orders-sub']);
        assert.deepEqual((await bus.listSubscriptions()).map((x) => x.name), ['dlq-watch', 'orders-sub']);
        await bus.deleteSubscription('orders-sub');
        await assert.rejects(bus.getSubscription('orders-sub'), errorCode('BUS_NOT_FOUND'));
      });

      t('a subscription receives what is published after it is created; deleting the topic detaches it', async (bus) => {
        await bus.createTopic('events');
        await bus.publish('events', [{ data: 'before' }]);
        await bus.createSubscription('events-sub', { topic: 'events' });
        await bus.publish('events', [{ data: 'after' }]);
        const got = await bus.pull('events-sub', { maxMessages: 10 });
        assert.deepEqual(got.map(text), ['after']);
        await bus.deleteTopic('events');
        const info = await bus.getSubscription('events-sub');
        assert.equal(info.detached, true);
        assert.equal(info.topic, '_deleted-topic_');
        await assert.rejects(bus.pull('events-sub', { maxMessages: 1 }), errorCode('BUS_FAILED_PRECONDITION'));
      });
    });

    describe('publish and pull', () => {
      t('ids in order; data, attributes, ordering key and publish time arrive intact', async (bus, { clock }) => {
        await setup(bus);
        const ids = await bus.publish('events', [
          { data: 'hello', attributes: { kind: 'greeting', 'ü-key': 'välue' } },
          { data: new Uint8Array([0, 255, 1, 254]), orderingKey: 'k1' },
          { data: '', attributes: { onlyAttrs: 'yes' } },
        ]);
        assert.equal(ids.length, 3);
        assert.equal(new Set(ids).size, 3);
        const got = await bus.pull('events-sub', { maxMessages: 10 });
        assert.deepEqual(got.map((m) => m.id), ids);
        assert.equal(text(got[0]!), 'hello');
        assert.deepEqual(got[0]!.attributes, { kind: 'greeting', 'ü-key': 'välue' });
        assert.deepEqual([...got[1]!.data], [0, 255, 1, 254]);
        assert.equal(got[1]!.orderingKey, 'k1');
        assert.equal(got[0]!.orderingKey, undefined);
        assert.deepEqual(got[2]!.attributes, { onlyAttrs: 'yes' });
        for (const m of got) {
          assert.equal(m.publishTime, clock.now());
          assert.equal(m.deliveryAttempt, 1);
        }
        await assert.rejects(bus.publish('events', []), errorCode('BUS_INVALID_ARGUMENT'));
        await assert.rejects(bus.publish('events', [{ data: '' }]), errorCode('BUS_INVALID_ARGUMENT'));
        await assert.rejects(bus.publish('events', [{ data: 'x', attributes: { n: 5 as unknown as string } }]), errorCode('BUS_INVALID_ARGUMENT'));
        await assert.rejects(bus.publish('nope', [{ data: 'x' }]), errorCode('BUS_NOT_FOUND'));
        await assert.rejects(bus.pull('events-sub', { maxMessages: 0 }), errorCode('BUS_INVALID_ARGUMENT'));
      });

      t('pull respects maxMessages and never hands out a leased message twice', async (bus) => {
        await setup(bus);
        await publishTexts(bus, ['a', 'b', 'c', 'd', 'e']);
        const first = await bus.pull('events-sub', { maxMessages: 2 });
        const second = await bus.pull('events-sub', { maxMessages: 10 });
        assert.deepEqual(first.map(text), ['a', 'b']);
        assert.deepEqual(second.map(text), ['c', 'd', 'e']);
        assert.deepEqual(await bus.pull('events-sub', { maxMessages: 10 }), []);
      });

      t('pull with wait resolves when a message is published', async (bus) => {
        await setup(bus);
        const waiting = bus.pull('events-sub', { maxMessages: 5, wait: '30s' });
        await new Promise((r) => setTimeout(r, 20));
        await publishTexts(bus, ['late']);
        assert.deepEqual((await waiting).map(text), ['late']);
      });
    });

    describe('ack deadlines, nack and retry', () => {
      t('an unacked message is redelivered after its deadline (not before), with deliveryAttempt 2', async (bus, { clock }) => {
        await setup(bus);
        await publishTexts(bus, ['m']);
        const [m1] = await bus.pull('events-sub', { maxMessages: 1 });
        await clock.advance('9s');
        assert.deepEqual(await bus.pull('events-sub', { maxMessages: 1 }), []);
        await clock.advance('1s');
        const [m2] = await bus.pull('events-sub', { maxMessages: 1 });
        assert.equal(m2!.id, m1!.id);
        assert.equal(m2!.deliveryAttempt, 2);
        assert.notEqual(m2!.ackId, m1!.ackId);
        assert.deepEqual((await bus.acknowledge('events-sub', [m2!.ackId])).failed, []);
        await clock.advance('20s');
        assert.deepEqual(await bus.pull('events-sub', { maxMessages: 1 }), []);
      });

      t('modifyAckDeadline extends a lease; out-of-range deadlines are refused; an acked message never comes back', async (bus, { clock }) => {
        await setup(bus);
        await publishTexts(bus, ['m']);
        const [m] = await bus.pull('events-sub', { maxMessages: 1 });
        const r = await bus.modifyAckDeadline('events-sub', [m!.ackId], '30s');
        assert.deepEqual(r.succeeded, [m!.ackId]);
        await clock.advance('29s');
        assert.deepEqual(await bus.pull('events-sub', { maxMessages: 1 }), []);
        await clock.advance('2s');
        const [again] = await bus.pull('events-sub', { maxMessages: 1 });
        assert.equal(again!.deliveryAttempt, 2);
        await assert.rejects(bus.modifyAckDeadline('events-sub', [again!.ackId], '601s'), errorCode('BUS_INVALID_ARGUMENT'));
        await bus.acknowledge('events-sub', [again!.ackId]);
        await clock.advance('10m');
        assert.deepEqual(await bus.pull('events-sub', { maxMessages: 1 }), []);
      });

      t('nack without a retry policy redelivers at once; with one, after exponential backoff (10 s, 20 s, 40 s …)', async (bus, { clock }) => {
        await setup(bus);
        await publishTexts(bus, ['now']);
        const [a] = await bus.pull('events-sub', { maxMessages: 1 });
        await bus.nack('events-sub', [a!.ackId]);
        const [b] = await bus.pull('events-sub', { maxMessages: 1 });
        assert.equal(b!.id, a!.id);
        assert.equal(b!.deliveryAttempt, 2);
        await bus.acknowledge('events-sub', [b!.ackId]);

        await bus.createSubscription('backoff-sub', { topic: 'events', retryPolicy: { minimumBackoff: '10s', maximumBackoff: '600s' } });
        await publishTexts(bus, ['later']);
        let [m] = await bus.pull('backoff-sub', { maxMessages: 1 });
        for (const wait of [10, 20, 40, 80]) {
          await bus.nack('backoff-sub', [m!.ackId]);
          await clock.advance(wait * S - 1);
          assert.deepEqual(await bus.pull('backoff-sub', { maxMessages: 1 }), [], `not before ${wait}s`);
          await clock.advance(1);
          [m] = await bus.pull('backoff-sub', { maxMessages: 1 });
          assert.ok(m, `redelivered after ${wait}s`);
        }
        assert.equal(m!.deliveryAttempt, 5);
      });

      t('after maxDeliveryAttempts the message goes to the dead-letter topic with its delivery count', async (bus, { clock }) => {
        await bus.createTopic('events');
        await bus.createTopic('events-dlq');
        await bus.createSubscription('dlq-sub', { topic: 'events-dlq' });
        await bus.createSubscription('events-sub', { topic: 'events', deadLetterPolicy: { deadLetterTopic: 'events-dlq', maxDeliveryAttempts: 5 } });
        await bus.publish('events', [{ data: 'poison', attributes: { a: '1' } }, { data: 'fine' }]);
        const attempts: number[] = [];
        for (let i = 0; i < 5; i++) {
          const got = await bus.pull('events-sub', { maxMessages: 10 });
          const poison = got.find((m) => text(m) === 'poison')!;
          attempts.push(poison.deliveryAttempt);
          const fine = got.find((m) => text(m) === 'fine');
          if (fine) await bus.acknowledge('events-sub', [fine.ackId]);
          if (i % 2 === 0) await bus.nack('events-sub', [poison.ackId]);
          else await clock.advance('11s'); // an expired deadline counts as a failed delivery too
        }
        assert.deepEqual(attempts, [1, 2, 3, 4, 5]);
        await clock.advance('1s');
        assert.deepEqual(await bus.pull('events-sub', { maxMessages: 10 }), []);
        const [dl] = await bus.pull('dlq-sub', { maxMessages: 10, wait: '1s' });
        assert.ok(dl, 'the dead letter arrived');
        assert.equal(text(dl), 'poison');
        assert.equal(dl.attributes.a, '1');
        assert.equal(dl.attributes.CloudPubSubDeadLetterSourceDeliveryCount, '5');
        assert.equal(dl.attributes.CloudPubSubDeadLetterSourceSubscription, 'events-sub');
        const st = await bus.stats({ subscription: 'events-sub' });
        assert.equal(st.subscriptions[0]!.deadLettered, 1);
        assert.equal(st.subscriptions[0]!.backlogMessages, 0);
      });
    });

    describe('filters', () => {
      t('only matching messages are delivered; the others are acked automatically', async (bus) => {
        await setup(bus, { filter: 'attributes.kind = "click" AND (hasPrefix(attributes.region, "eu-") OR NOT attributes:region)' });
        await bus.publish('events', [
          { data: '1', attributes: { kind: 'click', region: 'eu-west' } },
          { data: '2', attributes: { kind: 'click', region: 'us-east' } },
          { data: '3', attributes: { kind: 'click' } },
          { data: '4', attributes: { kind: 'view' } },
          { data: '5' },
        ]);
        const got = await bus.pull('events-sub', { maxMessages: 10 });
        assert.deepEqual(got.map(text), ['1', '3']);
        await bus.acknowledge('events-sub', got.map((m) => m.ackId));
        const st = await bus.stats({ subscription: 'events-sub' });
        assert.equal(st.subscriptions[0]!.backlogMessages, 0);
      });

      t('a filter that does not parse is refused, saying where', async (bus) => {
        await bus.createTopic('events');
        for (const [bad, where] of [
          ['attributes.kind = click', /character 19/],
          ['attributes.a = "x" AND attributes.b = "y" OR attributes:c', /AND and OR cannot be mixed/],
          ['attributes.kind == "x"', /character 18: expected the value/],
          ['hasPrefix(attributes.k "p")', /','/],
          ['(attributes:x', /'\)'/],
          ['attributes.k = "x" and attributes:y', /upper case|AND, OR or the end/],
        ] as const) {
          await assert.rejects(
            bus.createSubscription('bad-sub', { topic: 'events', filter: bad }),
            (e: unknown) => errorCode('BUS_FILTER_SYNTAX')(e) && where.test((e as Error).message),
            bad,
          );
        }
      });
    });

    describe('ordering keys', () => {
      t('one key is delivered in publish order; a nack redelivers it and what followed, in order; other keys go on', async (bus, { clock }) => {
        await setup(bus, { enableMessageOrdering: true });
        await publishTexts(bus, ['a1', 'a2'], { orderingKey: 'A' });
        await publishTexts(bus, ['b1'], { orderingKey: 'B' });
        await publishTexts(bus, ['a3'], { orderingKey: 'A' });
        await publishTexts(bus, ['b2'], { orderingKey: 'B' });
        const first = await bus.pull('events-sub', { maxMessages: 10 });
        assert.deepEqual(first.map(text), ['a1', 'a2', 'b1', 'a3', 'b2']);
        const byText = new Map(first.map((m) => [text(m), m]));
        // Nack a1: a2 and a3 come back with it (acked or not, an ordered key is redelivered from the gap on).
        await bus.acknowledge('events-sub', [byText.get('b1')!.ackId, byText.get('b2')!.ackId]);
        await bus.nack('events-sub', [byText.get('a1')!.ackId]);
        const second = await bus.pull('events-sub', { maxMessages: 10 });
        assert.deepEqual(second.map(text), ['a1', 'a2', 'a3']);
        assert.deepEqual(second.map((m) => m.deliveryAttempt), [2, 2, 2]);
        // While a key has messages out, later messages of it wait; other keys do not.
        await publishTexts(bus, ['a4'], { orderingKey: 'A' });
        await publishTexts(bus, ['b3'], { orderingKey: 'B' });
        assert.deepEqual((await bus.pull('events-sub', { maxMessages: 10 })).map(text), ['b3']);
        await bus.acknowledge('events-sub', second.map((m) => m.ackId));
        assert.deepEqual((await bus.pull('events-sub', { maxMessages: 10 })).map(text), ['a4']);
        await clock.advance('1s');
      });

      t('with a retry policy, a key waits for its nacked message even when later ones are ready', async (bus, { clock }) => {
        await setup(bus, { enableMessageOrdering: true, retryPolicy: { minimumBackoff: '10s', maximumBackoff: '10s' } });
        await publishTexts(bus, ['k1', 'k2', 'k3'], { orderingKey: 'K' });
        const [k1] = await bus.pull('events-sub', { maxMessages: 1 });
        assert.equal(text(k1!), 'k1');
        await bus.nack('events-sub', [k1!.ackId]);
        assert.deepEqual(await bus.pull('events-sub', { maxMessages: 10 }), []);
        await clock.advance('10s');
        assert.deepEqual((await bus.pull('events-sub', { maxMessages: 10 })).map(text), ['k1', 'k2', 'k3']);
      });
    });

    describe('exactly-once delivery', () => {
      t('an ack id succeeds once; an expired one fails; no redelivery before the deadline', async (bus, { clock }) => {
        await setup(bus, { enableExactlyOnceDelivery: true });
        await publishTexts(bus, ['x', 'y']);
        const [x, y] = await bus.pull('events-sub', { maxMessages: 2 });
        const r1 = await bus.acknowledge('events-sub', [x!.ackId]);
        assert.deepEqual(r1, { succeeded: [x!.ackId], failed: [] });
        const r2 = await bus.acknowledge('events-sub', [x!.ackId]);
        assert.deepEqual(r2.failed, [{ ackId: x!.ackId, reason: 'already-acked' }]);
        await clock.advance('9s');
        assert.deepEqual(await bus.pull('events-sub', { maxMessages: 5 }), []);
        await clock.advance('2s');
        const r3 = await bus.acknowledge('events-sub', [y!.ackId]);
        assert.deepEqual(r3.failed, [{ ackId: y!.ackId, reason: 'expired' }]);
        const [y2] = await bus.pull('events-sub', { maxMessages: 5 });
        assert.equal(y2!.id, y!.id);
        assert.equal((await bus.acknowledge('events-sub', [y!.ackId])).failed[0]!.reason, 'expired', 'the old ack id stays dead');
        assert.deepEqual((await bus.acknowledge('events-sub', [y2!.ackId])).succeeded, [y2!.ackId]);
        const bogus = await bus.acknowledge('events-sub', ['not-an-ack-id']);
        assert.deepEqual(bogus.failed, [{ ackId: 'not-an-ack-id', reason: 'invalid' }]);
      });

      t('without exactly-once, a late ack of a message not yet acked still acks it', async (bus, { clock }) => {
        await setup(bus);
        await publishTexts(bus, ['m']);
        const [m] = await bus.pull('events-sub', { maxMessages: 1 });
        await clock.advance('11s');
        assert.deepEqual((await bus.acknowledge('events-sub', [m!.ackId])).succeeded, [m!.ackId]);
        assert.deepEqual(await bus.pull('events-sub', { maxMessages: 1 }), []);
      });
    });

    describe('seek and snapshots', () => {
      t('seek back in time redelivers acked messages when they are retained, and not otherwise', async (bus, { clock }) => {
        await bus.createTopic('events');
        await bus.createSubscription('keep', { topic: 'events', retainAckedMessages: true });
        await bus.createSubscription('drop', { topic: 'events' });
        const t0 = clock.now();
        await publishTexts(bus, ['old']);
        await clock.advance('1m');
        const t1 = clock.now();
        await publishTexts(bus, ['new1', 'new2']);
        for (const sub of ['keep', 'drop']) {
          const got = await bus.pull(sub, { maxMessages: 10 });
          assert.equal(got.length, 3);
          await bus.acknowledge(sub, got.filter((m) => text(m) !== 'new2').map((m) => m.ackId));
        }
        await bus.seek('keep', { time: t1 });
        assert.deepEqual((await bus.pull('keep', { maxMessages: 10 })).map(text), ['new1', 'new2']);
        await bus.seek('drop', { time: t0 });
        assert.deepEqual((await bus.pull('drop', { maxMessages: 10 })).map(text), ['new2'], 'acked ones stay acked; the unacked one is redelivered');
        // Seek forward: everything published before the time counts as acked.
        await bus.seek('keep', { time: clock.now() + 1 });
        assert.deepEqual(await bus.pull('keep', { maxMessages: 10 }), []);
        assert.equal((await bus.stats({ subscription: 'keep' })).subscriptions[0]!.backlogMessages, 0);
      });

      t('a snapshot captures unacked messages; seeking to it redelivers them; ack ids from before a seek are void', async (bus) => {
        await setup(bus, { enableExactlyOnceDelivery: true });
        await bus.createTopic('other');
        await bus.createSubscription('other-sub', { topic: 'other' });
        await publishTexts(bus, ['a', 'b']);
        const snap = await bus.createSnapshot('before-ack', 'events-sub');
        assert.equal(snap.topic, 'events');
        assert.equal(snap.subscription, 'events-sub');
        assert.ok(snap.expireTime > snap.createTime);
        assert.deepEqual((await bus.listSnapshots()).map((s) => s.name), ['before-ack']);
        const got = await bus.pull('events-sub', { maxMessages: 10 });
        await bus.acknowledge('events-sub', [got[0]!.ackId]);
        await bus.seek('events-sub', { snapshot: 'before-ack' });
        assert.equal((await bus.acknowledge('events-sub', [got[1]!.ackId])).failed[0]?.reason, 'invalid');
        assert.deepEqual((await bus.pull('events-sub', { maxMessages: 10 })).map(text), ['a', 'b']);
        await assert.rejects(bus.seek('other-sub', { snapshot: 'before-ack' }), errorCode('BUS_FAILED_PRECONDITION'));
        await assert.rejects(bus.seek('events-sub', { snapshot: 'no-such-snap' }), errorCode('BUS_NOT_FOUND'));
        await assert.rejects(bus.createSnapshot('before-ack', 'events-sub'), errorCode('BUS_ALREADY_EXISTS'));
        await bus.deleteSnapshot('before-ack');
        await assert.rejects(bus.getSnapshot('before-ack'), errorCode('BUS_NOT_FOUND'));
      });
    });

    describe('seek to a snapshot', () => {
      t('restores the acked set at its creation: acked before it stays acked, acked after comes again; an expired one is refused', async (bus, { clock }) => {
        await setup(bus);
        await publishTexts(bus, ['a', 'b', 'c']);
        const first = await bus.pull('events-sub', { maxMessages: 1 });
        await bus.acknowledge('events-sub', first.map((m) => m.ackId));
        await bus.createSnapshot('after-a', 'events-sub');
        const rest = await bus.pull('events-sub', { maxMessages: 10 });
        assert.deepEqual(rest.map(text), ['b', 'c']);
        await bus.acknowledge('events-sub', rest.map((m) => m.ackId));
        assert.equal((await bus.stats({ subscription: 'events-sub' })).subscriptions[0]!.backlogMessages, 0);
        await bus.seek('events-sub', { snapshot: 'after-a' });
        assert.equal((await bus.stats({ subscription: 'events-sub' })).subscriptions[0]!.backlogMessages, 2);
        assert.deepEqual((await bus.pull('events-sub', { maxMessages: 10 })).map(text), ['b', 'c']);
        // A snapshot lives as long as its oldest unacked message could (the topic's retention, 7 days by default).
        await clock.advance('8d');
        await assert.rejects(bus.seek('events-sub', { snapshot: 'after-a' }), (e: unknown) => ['BUS_FAILED_PRECONDITION', 'BUS_NOT_FOUND'].includes((e as { code?: string }).code ?? '') && /after-a/.test((e as Error).message));
      });
    });

    describe('dedup and schemas', () => {
      t('a message republished with the same id within the window is stored once and answered with the first id', async (bus, { clock }) => {
        await setup(bus, {}, { messageDedup: { idAttribute: 'eventId', window: '10m' } });
        const [a] = await bus.publish('events', [{ data: 'first', attributes: { eventId: 'e1' } }]);
        const [b, c] = await bus.publish('events', [{ data: 'retry', attributes: { eventId: 'e1' } }, { data: 'other', attributes: { eventId: 'e2' } }]);
        assert.equal(b, a);
        assert.notEqual(c, a);
        const [d, e] = await bus.publish('events', [{ data: 'x', attributes: { eventId: 'e3' } }, { data: 'x again', attributes: { eventId: 'e3' } }]);
        assert.equal(d, e, 'a repeat within one call');
        assert.deepEqual((await bus.pull('events-sub', { maxMessages: 10 })).map(text), ['first', 'other', 'x']);
        await clock.advance('11m');
        const [f] = await bus.publish('events', [{ data: 'after the window', attributes: { eventId: 'e1' } }]);
        assert.notEqual(f, a);
      });

      t('JSON Schema: a message that does not match is refused with the reason, and nothing of the call is stored', async (bus) => {
        const schema = JSON.stringify({ type: 'object', required: ['sensor', 't'], properties: { sensor: { type: 'string' }, t: { type: 'number' } } });
        await setup(bus, {}, { schema: { type: 'json', definition: schema } });
        await bus.publish('events', [{ data: '{"sensor":"s1","t":21.5}' }]);
        await assert.rejects(
          bus.publish('events', [{ data: '{"sensor":"s2","t":1}' }, { data: '{"sensor":"s3","t":"warm"}' }]),
          (e: unknown) => errorCode('BUS_SCHEMA_VIOLATION')(e) && /message 1/.test((e as Error).message) && /\/t must be number/.test((e as Error).message),
        );
        await assert.rejects(bus.publish('events', [{ data: 'not json' }]), (e: unknown) => errorCode('BUS_SCHEMA_VIOLATION')(e) && /not JSON/.test((e as Error).message));
        assert.deepEqual((await bus.pull('events-sub', { maxMessages: 10 })).map(text), ['{"sensor":"s1","t":21.5}']);
        await assert.rejects(bus.createTopic('bad-schema', { schema: { type: 'json', definition: '{"type": 12}' } }), errorCode('BUS_INVALID_ARGUMENT'));
        await assert.rejects(bus.getTopic('bad-schema'), errorCode('BUS_NOT_FOUND'));
      });

      t('Avro: JSON and binary encodings are checked against the schema', async (bus) => {
        const avsc = (await import('avsc')).default;
        const schema = { type: 'record', name: 'Reading', fields: [{ name: 'sensor', type: 'string' }, { name: 't', type: 'double' }] };
        await bus.createTopic('avro-json', { schema: { type: 'avro', definition: JSON.stringify(schema) } });
        await bus.createTopic('avro-bin', { schema: { type: 'avro', definition: JSON.stringify(schema), encoding: 'binary' } });
        await bus.publish('avro-json', [{ data: '{"sensor":"s1","t":1.5}' }]);
        // The refusal names the field, the type it needs and what the message has.
        await assert.rejects(bus.publish('avro-json', [{ data: '{"sensor":"s1"}' }]), (e: unknown) => errorCode('BUS_SCHEMA_VIOLATION')(e) && /message 0\b.*t: expected double, got nothing \(missing\)/.test((e as Error).message));
        await assert.rejects(bus.publish('avro-json', [{ data: '{"sensor":7,"t":1}' }]), (e: unknown) => errorCode('BUS_SCHEMA_VIOLATION')(e) && /sensor: expected string, got 7/.test((e as Error).message));
        await assert.rejects(bus.publish('avro-json', [{ data: 'nope' }]), (e: unknown) => errorCode('BUS_SCHEMA_VIOLATION')(e) && /not JSON/.test((e as Error).message));
        const type = avsc.Type.forSchema(schema as never);
        await bus.publish('avro-bin', [{ data: type.toBuffer({ sensor: 's1', t: 2.5 }) }]);
        await assert.rejects(bus.publish('avro-bin', [{ data: new Uint8Array([1, 2, 3]) }]), (e: unknown) => errorCode('BUS_SCHEMA_VIOLATION')(e) && /not a binary Avro record of the schema/.test((e as Error).message));
        await assert.rejects(bus.createTopic('avro-bad', { schema: { type: 'avro', definition: '{"type":"record","name":"R"}' } }), errorCode('BUS_INVALID_ARGUMENT'));
      });
    });

    describe('publisher and streaming pull', () => {
      t('a publisher batches and returns every id; a failed publish pauses its ordering key until resumed', async (bus, { clock }) => {
        const schema = JSON.stringify({ type: 'object', required: ['ok'] });
        await setup(bus, { enableMessageOrdering: true }, { schema: { type: 'json', definition: schema } });
        const calls: number[] = [];
        const counting = new Proxy(bus, {
          get: (target, prop, receiver) =>
            prop === 'publish'
              ? (topic: string, msgs: readonly unknown[]) => {
                  calls.push(msgs.length);
                  return target.publish(topic, msgs as never);
                }
              : Reflect.get(target, prop, receiver),
        });
        const pub = createPublisher(counting, 'events', {}, clock); // the defaults: 100 messages, 1 MB, 50 ms
        const pending = Array.from({ length: 250 }, (_, i) => pub.publish({ data: JSON.stringify({ ok: i }) }));
        assert.deepEqual(calls, [100, 100], 'full batches go at once');
        await clock.advance('49ms');
        assert.deepEqual(calls, [100, 100]);
        await clock.advance('1ms'); // the last 50 go when maxLatency passes
        const ids = await Promise.all(pending);
        assert.deepEqual(calls, [100, 100, 50]);
        assert.equal(new Set(ids).size, 250);
        const bySize = createPublisher(counting, 'events', { maxBytes: 1000, maxMessages: 1000 }, clock);
        const big = Array.from({ length: 5 }, () => bySize.publish({ data: JSON.stringify({ ok: 'x'.repeat(300) }) }));
        await bySize.flush();
        await Promise.all(big);
        assert.deepEqual(calls.slice(3), [2, 2, 1], 'a batch goes before it would pass maxBytes');
        const large = Array.from({ length: 4 }, () => pub.publish({ data: JSON.stringify({ ok: 'x'.repeat(300_000) }) }));
        await pub.flush();
        await Promise.all(large);
        assert.deepEqual(calls.slice(6), [3, 1], 'by default a batch goes before it would pass 1 MB');
        calls.length = 0;
        const bad = pub.publish({ data: '{}', orderingKey: 'K' });
        await pub.flush();
        await assert.rejects(bad, errorCode('BUS_SCHEMA_VIOLATION'));
        await assert.rejects(pub.publish({ data: '{"ok":1}', orderingKey: 'K' }), errorCode('BUS_ORDERING_KEY_PAUSED'));
        const other = pub.publish({ data: '{"ok":2}', orderingKey: 'L' });
        await pub.flush();
        assert.ok(await other, 'another key is not paused');
        pub.resumePublish('K');
        const resumed = pub.publish({ data: '{"ok":3}', orderingKey: 'K' });
        await pub.close();
        assert.ok(await resumed);
      });

      t('streaming pull: flow control holds at most maxOutstandingMessages; acks make room', async (bus) => {
        await setup(bus);
        await publishTexts(bus, ['1', '2', '3', '4']);
        const stream = bus.streamingPull('events-sub', { maxOutstandingMessages: 2 });
        const it = stream[Symbol.asyncIterator]();
        const a = (await it.next()).value!;
        const b = (await it.next()).value!;
        let third: IteratorResult<unknown> | undefined;
        const pending = it.next().then((r) => (third = r));
        await new Promise((r) => setTimeout(r, 50));
        assert.equal(third, undefined, 'a third message waits while two are held');
        await a.ack();
        await pending;
        assert.equal(text((third as unknown as IteratorResult<ReceivedMessage>).value), '3');
        await b.ack();
        await stream.close();
        assert.equal(stream.closed, true);
      });

      t('streaming pull: flow control by bytes; one message larger than the bound still goes when nothing is held', async (bus) => {
        await setup(bus);
        await publishTexts(bus, ['12345678', '12345678', 'x'.repeat(50)]);
        const stream = bus.streamingPull('events-sub', { maxOutstandingBytes: 10 });
        const it = stream[Symbol.asyncIterator]();
        const a = (await it.next()).value!;
        let second: IteratorResult<ReceivedMessage> | undefined;
        const p2 = it.next().then((r) => (second = r as IteratorResult<ReceivedMessage>));
        await new Promise((r) => setTimeout(r, 50));
        assert.equal(second, undefined, '8 + 8 bytes would pass the 10-byte bound');
        await a.ack();
        await p2;
        await second!.value.ack();
        const big = (await it.next()).value!;
        assert.equal(big.data.length, 50);
        await big.ack();
        await stream.close();
      });

      t('streaming pull extends the lease of held messages; closing gives them back at once', async (bus, { clock }) => {
        await setup(bus);
        await publishTexts(bus, ['held']);
        const stream = bus.streamingPull('events-sub', { maxOutstandingMessages: 10 });
        const it = stream[Symbol.asyncIterator]();
        const m = (await it.next()).value!;
        for (let i = 0; i < 6; i++) {
          await clock.advance('5s');
          await new Promise((r) => setTimeout(r, 10));
        }
        assert.deepEqual(await bus.pull('events-sub', { maxMessages: 1 }), [], 'held 30 s past a 10 s deadline, not redelivered');
        await stream.close();
        const [again] = await bus.pull('events-sub', { maxMessages: 1, wait: '1s' });
        assert.equal(again?.id, m.id);
      });

      t('closing a stream while its pull waits counts one delivery per redelivery', async (bus) => {
        await setup(bus);
        await publishTexts(bus, ['a']);
        const stream = bus.streamingPull('events-sub');
        const it = stream[Symbol.asyncIterator]();
        const first = (await it.next()).value!;
        assert.equal(first.deliveryAttempt, 1);
        const waiting = it.next(); // a pull now waits for more
        await new Promise((r) => setTimeout(r, 30));
        await stream.close();
        assert.equal((await waiting).done, true);
        const [again] = await bus.pull('events-sub', { maxMessages: 1, wait: '1s' });
        assert.equal(again?.deliveryAttempt, 2);
      });

      t('streaming pull: a batch of acks, nacks or deadline changes in one call; it makes room like single acks', async (bus, { clock }) => {
        await setup(bus);
        await publishTexts(bus, ['1', '2', '3', '4', '5', '6']);
        const stream = bus.streamingPull('events-sub', { maxOutstandingMessages: 3 });
        const it = stream[Symbol.asyncIterator]();
        const first = [(await it.next()).value!, (await it.next()).value!, (await it.next()).value!];
        const extended = await stream.modifyAckDeadline(first.map((m) => m.ackId), '30s');
        assert.deepEqual([...extended.succeeded].sort(), first.map((m) => m.ackId).sort());
        const acked = await stream.acknowledge([...first.map((m) => m.ackId), 'not-an-ack-id']);
        assert.deepEqual([...acked.succeeded].sort(), first.map((m) => m.ackId).sort());
        assert.deepEqual(acked.failed, [{ ackId: 'not-an-ack-id', reason: 'invalid' }]);
        // The three acks released the flow control at once: the next three come without another ack.
        const next = [(await it.next()).value!, (await it.next()).value!, (await it.next()).value!];
        assert.deepEqual(next.map(text), ['4', '5', '6']);
        const nacked = await stream.nack(next.slice(1).map((m) => m.ackId));
        assert.equal(nacked.succeeded.length, 2);
        const again = [(await it.next()).value!, (await it.next()).value!];
        assert.deepEqual(again.map(text), ['5', '6'], 'given back, then redelivered in publish order');
        assert.ok(again.every((m) => m.deliveryAttempt === 2));
        assert.equal((await stream.acknowledge([next[0]!.ackId, ...again.map((m) => m.ackId)])).succeeded.length, 3);
        await assert.rejects(stream.acknowledge('x' as never), errorCode('BUS_INVALID_ARGUMENT'));
        await stream.close();
        await clock.advance('1m');
        const stats = (await bus.stats({ subscription: 'events-sub' })).subscriptions[0]!;
        assert.equal(stats.backlogMessages, 0, 'every message acked by the batches');
      });

      t('messages given back out of order are redelivered in publish order, before newer ones', async (bus, { clock }) => {
        await setup(bus);
        await publishTexts(bus, ['a', 'b', 'c', 'd', 'e']);
        const got = await bus.pull('events-sub', { maxMessages: 4 });
        const byText = new Map(got.map((m) => [text(m), m]));
        await bus.nack('events-sub', [byText.get('d')!.ackId]);
        await bus.nack('events-sub', [byText.get('b')!.ackId]);
        await clock.advance('10s'); // 'a' and 'c' expire, in that order, after the nacks
        const again = await bus.pull('events-sub', { maxMessages: 10 });
        assert.deepEqual(again.map(text), ['a', 'b', 'c', 'd', 'e']);
        assert.deepEqual(again.map((m) => m.deliveryAttempt), [2, 2, 2, 2, 1]);
      });

      t('a streaming pull on a missing subscription fails', async (bus) => {
        await assert.rejects(async () => {
          for await (const _m of bus.streamingPull('no-such-sub')) break;
        }, errorCode('BUS_NOT_FOUND'));
      });
    });

    describe('retention', () => {
      t("a message older than the subscription's retention is dropped from its backlog", async (bus, { clock }) => {
        await setup(bus, { messageRetentionDuration: '10m' });
        await publishTexts(bus, ['stale']);
        await clock.advance('5m');
        await publishTexts(bus, ['fresh']);
        await clock.advance('6m');
        assert.deepEqual((await bus.pull('events-sub', { maxMessages: 10 })).map(text), ['fresh']);
        await assert.rejects(bus.createSubscription('short-sub', { topic: 'events', messageRetentionDuration: '5m' }), errorCode('BUS_INVALID_ARGUMENT'));
      });
    });

    describe('stats and restart', () => {
      t('stats report backlog (messages, bytes), oldest unacked age, outstanding messages, rates and counts', async (bus, { clock }) => {
        await setup(bus);
        await publishTexts(bus, ['a', 'bb', 'ccc']);
        await clock.advance('30s');
        const [m] = await bus.pull('events-sub', { maxMessages: 1 });
        const s = (await bus.stats({ subscription: 'events-sub' })).subscriptions[0]!;
        assert.equal(s.backlogMessages, 3);
        assert.equal(s.backlogBytes, 6);
        assert.equal(s.outstandingMessages, 1);
        assert.equal(s.oldestUnackedAge, 30 * S);
        assert.ok(s.deliveryRate > 0);
        assert.equal(s.ackRate, 0);
        await bus.acknowledge('events-sub', [m!.ackId]);
        const all = await bus.stats();
        const topic = all.topics.find((x) => x.topic === 'events')!;
        assert.equal(topic.messages, 3);
        assert.ok(topic.bytes > 6 && topic.segments === 1 && topic.publishRate > 0, JSON.stringify(topic));
        const after = all.subscriptions[0]!;
        assert.equal(after.backlogMessages, 2);
        assert.equal(after.backlogBytes, 5);
        assert.ok(after.ackRate > 0);
        assert.equal(after.nackRate, 0);
        // A nack counts in nackRate; an expired lease in expiredDeadlines.
        const [n] = await bus.pull('events-sub', { maxMessages: 1 });
        await bus.nack('events-sub', [n!.ackId]);
        await bus.pull('events-sub', { maxMessages: 1 });
        await clock.advance('11s');
        const last = (await bus.stats({ subscription: 'events-sub' })).subscriptions[0]!;
        assert.ok(last.nackRate > 0);
        assert.equal(last.expiredDeadlines, 1);
        assert.equal(last.deadLettered, 0);
        assert.equal(last.outstandingMessages, 0);
      });

      t('after a restart, acked messages stay acked and unacked ones are redelivered with their attempt count', async (bus0, { clock }, reopen) => {
        await setup(bus0);
        await publishTexts(bus0, ['acked', 'unacked', 'never-pulled']);
        const got = await bus0.pull('events-sub', { maxMessages: 2 });
        await bus0.acknowledge('events-sub', [got[0]!.ackId]);
        const bus = await reopen();
        await clock.advance('11s');
        const again = await bus.pull('events-sub', { maxMessages: 10 });
        assert.deepEqual(again.map(text), ['unacked', 'never-pulled']);
        assert.deepEqual(again.map((m) => m.deliveryAttempt), [2, 1]);
        assert.equal((await bus.getSubscription('events-sub')).ackDeadline, 10 * S);
      });
    });
  });
}
