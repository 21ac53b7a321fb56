// The bus's small parts: the filter parser and evaluator, the acked-offset set, record batches and their checksum,
// names, the virtual clock, group commit with overlapping fsyncs.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { crc32, crc32Portable } from './checksum.ts';
import { VirtualClock } from './clock.ts';
import { parseFilter } from './filter.ts';
import { validateName } from './names.ts';
import { GroupCommitter } from './group-commit.ts';
import { OffsetSet } from './offset-set.ts';
import { checkBatch, decodeBatch, encodeBatch } from './record-batch.ts';

describe('bus filter', () => {
  const m = (f: string, a: Record<string, string>) => parseFilter(f).matches(a);
  it('evaluates =, !=, :, hasPrefix, NOT, -, AND, OR and parentheses', () => {
    assert.equal(m('attributes.k = "v"', { k: 'v' }), true);
    assert.equal(m('attributes.k = "v"', { k: 'w' }), false);
    assert.equal(m('attributes.k != "v"', {}), true, '!= matches a message without the key');
    assert.equal(m('attributes:k', { k: '' }), true);
    assert.equal(m('NOT attributes:k', { k: '' }), false);
    assert.equal(m('-attributes:k', {}), true);
    assert.equal(m('hasPrefix(attributes.region, "eu-")', { region: 'eu-west' }), true);
    assert.equal(m('hasPrefix(attributes.region, "eu-")', {}), false);
    assert.equal(m('attributes:a AND attributes:b AND attributes:c', { a: '1', b: '1' }), false);
    assert.equal(m('attributes:a OR attributes:b OR attributes:c', { c: '1' }), true);
    assert.equal(m('(attributes:a OR attributes:b) AND NOT (attributes:c)', { b: '1' }), true);
    assert.equal(m('attributes."build.id" = "7"', { 'build.id': '7' }), true);
    assert.equal(m('attributes.ce-type = "a\\"b\\u00e9"', { 'ce-type': 'a"bé' }), true);
  });
  it('refuses malformed filters with the position and what was expected', () => {
    for (const [f, re] of [
      ['', /empty/],
      ['attributes', /expected '\.' .* or ':'/],
      ['attributes.k = "x', /not closed/],
      ['attributes.k = "v" OR', /expected attributes, hasPrefix\(, NOT or '\('/],
      ['attributes.k = "\\q"', /unknown escape/],
      ['foo.k = "v"', /character 1: expected attributes/],
      ['attributes.k = "v" attributes.j = "w"', /expected AND, OR or the end/],
      [`attributes.k = "${'x'.repeat(300)}"`, /at most 256 bytes/],
    ] as const) {
      assert.throws(() => parseFilter(f), (e: unknown) => (e as { code?: string }).code === 'BUS_FILTER_SYNTAX' && re.test((e as Error).message), f);
    }
  });
});

describe('bus offset set', () => {
  it('behaves as a set of integers (property test against a Set)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 60 }), fc.integer({ min: 0, max: 8 })), { maxLength: 60 }), (ops) => {
        const s = new OffsetSet();
        const ref = new Set<number>();
        for (const [add, a, len] of ops) {
          if (add) {
            s.addRange(a, a + len);
            for (let i = a; i < a + len; i++) ref.add(i);
          } else {
            s.removeRange(a, a + len);
            for (let i = a; i < a + len; i++) ref.delete(i);
          }
        }
        for (let i = 0; i < 75; i++) {
          assert.equal(s.has(i), ref.has(i), `has(${i})`);
          let next = i;
          while (ref.has(next)) next++;
          assert.equal(s.nextAbsent(i), next);
        }
        assert.equal(s.countIn(10, 50), [...ref].filter((x) => x >= 10 && x < 50).length);
        const ranges = s.ranges();
        for (let i = 1; i < ranges.length; i++) assert.ok(ranges[i]![0] > ranges[i - 1]![1], 'ranges are disjoint and not adjacent');
      }),
      { seed: 4242, numRuns: 300 },
    );
  });
});

describe('bus record batch', () => {
  it('round-trips messages and detects every single-byte change', () => {
    const buf = encodeBatch(7, 1_700_000_000_000, [
      { data: Buffer.from('hello'), attributes: { a: '1', ü: 'ß' } },
      { data: new Uint8Array(0), attributes: { only: 'attrs' }, orderingKey: 'key-1' },
    ]);
    const c = checkBatch(buf, 0);
    assert.ok(c.ok);
    const msgs = decodeBatch(buf, 0, c.header);
    assert.deepEqual(msgs.map((x) => [x.id, Buffer.from(x.data).toString(), x.attributes, x.orderingKey, x.publishTime]), [
      ['7', 'hello', { a: '1', ü: 'ß' }, undefined, 1_700_000_000_000],
      ['8', '', { only: 'attrs' }, 'key-1', 1_700_000_000_000],
    ]);
    for (let i = 0; i < buf.length; i++) {
      const bad = Buffer.from(buf);
      bad[i] = bad[i]! ^ 0x40;
      assert.equal(checkBatch(bad, 0).ok, false, `byte ${i}`);
    }
    assert.deepEqual(checkBatch(buf.subarray(0, buf.length - 1), 0), { ok: false, kind: 'incomplete', reason: `batch of ${buf.length} bytes, ${buf.length - 1} present` });
  });
  it('the native and portable CRC-32 agree', () => {
    const data = Buffer.from(Array.from({ length: 1000 }, (_, i) => (i * 31) & 0xff));
    assert.equal(crc32(data), crc32Portable(data));
    assert.equal(crc32(Buffer.from('123456789')), 0xcbf43926);
    assert.equal(crc32(data, 10, 500), crc32Portable(data, 10, 500));
  });
});

describe('bus names and clock', () => {
  it('accepts Pub/Sub names and refuses the rest', () => {
    for (const ok of ['abc', 'orders.v1', 'A-b_c~d+e%f', 'x'.repeat(255)]) assert.equal(validateName('topic', ok), ok);
    for (const bad of ['ab', '1ab', '.ab', 'a/bc', 'a\\bc', 'goog-x', 'x'.repeat(256), 'a bc', 'ab\u0000']) assert.throws(() => validateName('topic', bad), /invalid topic name/);
  });
  it('the virtual clock fires timers in time order and only when advanced past them', async () => {
    const c = new VirtualClock(1000);
    const fired: number[] = [];
    c.setTimer(() => fired.push(c.now()), 300);
    c.setTimer(() => fired.push(c.now()), 100);
    const t = c.setTimer(() => fired.push(-1), 200);
    t.cancel();
    await c.advance(99);
    assert.deepEqual(fired, []);
    await c.advance('1s');
    assert.deepEqual(fired, [1100, 1300]);
    assert.equal(c.now(), 2099);
  });
});

describe('group commit with overlapping fsyncs', () => {
  /** A committer whose fsyncs finish when the test says; records what happened in order. */
  function harness(failSync?: number) {
    const events: string[] = [];
    const syncs: Array<{ round: number; done: () => void; fail: (e: Error) => void }> = [];
    let round = 0;
    const gc = new GroupCommitter<string>({
      policy: 'interval',
      intervalMs: 0,
      overlap: true,
      write: async (items) => {
        events.push(`write ${items.join(',')}`);
      },
      sync: (items) =>
        new Promise<void>((resolve, reject) => {
          const r = ++round;
          events.push(`sync ${items.join(',')}`);
          syncs.push({ round: r, done: resolve, fail: reject });
          if (r === failSync) reject(new Error(`fsync ${r} failed`));
        }),
      onDurable: (items) => events.push(`durable ${items.join(',')}`),
    });
    const tick = () => new Promise((r) => setTimeout(r, 5));
    return { gc, events, syncs, tick };
  }

  it('writes the next round while an fsync runs; answers rounds in order, each only after its own fsync', async () => {
    const { gc, events, syncs, tick } = harness();
    const answered: string[] = [];
    const a = gc.submit('a').then(() => answered.push('a'));
    await tick();
    const b = gc.submit('b').then(() => answered.push('b'));
    await tick();
    // b was written and its fsync started while a's fsync still runs.
    assert.deepEqual(events, ['write a', 'sync a', 'write b', 'sync b']);
    syncs[1]!.done(); // b's fsync ends first: b still waits for a
    await tick();
    assert.deepEqual(answered, []);
    syncs[0]!.done();
    await Promise.all([a, b]);
    assert.deepEqual(answered, ['a', 'b']);
    assert.deepEqual(events.slice(4), ['durable a', 'durable b']);
    assert.equal(gc.syncs, 2);
    await gc.drain();
  });

  it('runs at most two fsyncs at once: a third round is written once the first fsync ended', async () => {
    const { gc, events, syncs, tick } = harness();
    const all = [gc.submit('a')];
    await tick();
    all.push(gc.submit('b'));
    await tick();
    all.push(gc.submit('c'));
    await tick();
    assert.deepEqual(events, ['write a', 'sync a', 'write b', 'sync b']);
    syncs[0]!.done();
    await tick();
    assert.deepEqual(events.slice(4), ['durable a', 'write c', 'sync c']);
    syncs[1]!.done();
    syncs[2]!.done();
    await Promise.all(all);
    await gc.drain();
  });

  it('a failed fsync fails its round and every later one; an earlier round stays answered', async () => {
    const { gc, syncs, tick } = harness(2);
    const a = gc.submit('a');
    await tick();
    const b = gc.submit('b');
    const bFailed = assert.rejects(b, /fsync 2 failed/);
    await tick();
    const c = gc.submit('c');
    const cFailed = assert.rejects(c, /fsync 2 failed/);
    syncs[0]!.done();
    await a;
    await bFailed;
    await tick();
    for (const s of syncs.slice(2)) s.done();
    await cFailed;
    await assert.rejects(gc.submit('d'), /fsync 2 failed/);
    assert.ok(gc.failed instanceof Error);
  });
});
