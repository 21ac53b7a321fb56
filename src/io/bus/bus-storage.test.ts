// Storage: torn tails cut on open (never served), damage mid-file refused naming file and byte, retention by time and
// size, journal compaction and torn journal lines, index rebuild, links refused, one process per directory.
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { VirtualClock } from './clock.ts';
import { openBus, type BusOptions } from './open-bus.ts';

let dir: string;
let warnings: string[];
const text = (m: { data: Uint8Array }) => Buffer.from(m.data).toString('utf8');

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'riffle-bus-storage-'));
  warnings = [];
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const open = (o: Partial<BusOptions> = {}) => openBus({ dir, onWarning: (m) => warnings.push(m), ...o });
const segmentsOf = (topic: string) => readdirSync(join(dir, 'topics', topic)).filter((n) => n.endsWith('.log')).sort();
const pullAll = async (bus: Awaited<ReturnType<typeof open>>, sub: string) => {
  const out = [];
  for (;;) {
    const got = await bus.pull(sub, { maxMessages: 1000 });
    if (got.length === 0) return out;
    out.push(...got);
  }
};

describe('bus storage', () => {
  it('cuts a torn write at the tail on open, with a warning, and never serves it', async () => {
    let bus = await open();
    await bus.createTopic('tp1');
    await bus.createSubscription('sb1', { topic: 'tp1' });
    for (let i = 0; i < 5; i++) await bus.publish('tp1', [{ data: `m${i}` }]);
    await bus.close();
    const seg = join(dir, 'topics', 'tp1', segmentsOf('tp1')[0]!);
    const size = statSync(seg).size;
    truncateSync(seg, size - 7); // the last batch loses its end, as a crash mid-write leaves it
    bus = await open();
    assert.match(warnings.join('\n'), /cut a torn write at byte \d+/);
    const firstFour = await pullAll(bus, 'sb1');
    assert.deepEqual(firstFour.map(text), ['m0', 'm1', 'm2', 'm3']);
    await bus.acknowledge('sb1', firstFour.map((m) => m.ackId));
    const [id] = await bus.publish('tp1', [{ data: 'next' }]);
    assert.equal(id, '4', 'the torn message was never acknowledged, so its offset is taken again');
    await bus.close();
    // Garbage (zeros, as a file system may leave after a crash) at the tail is cut too.
    appendFileSync(seg, Buffer.alloc(300));
    warnings = [];
    bus = await open();
    assert.match(warnings.join('\n'), /cut a torn write/);
    assert.deepEqual((await pullAll(bus, 'sb1')).map(text), ['next']);
    await bus.close();
  });

  it('refuses damage in the middle of the active segment, naming the file and byte', async () => {
    let bus = await open();
    await bus.createTopic('tp1');
    for (let i = 0; i < 5; i++) await bus.publish('tp1', [{ data: `message number ${i}` }]);
    await bus.close();
    const seg = join(dir, 'topics', 'tp1', segmentsOf('tp1')[0]!);
    const bytes = readFileSync(seg);
    const at = Math.floor(bytes.length / 2);
    bytes[at] = bytes[at]! ^ 0xff;
    writeFileSync(seg, bytes);
    await assert.rejects(open(), (e: unknown) => {
      assert.equal((e as { code?: string }).code, 'BUS_STORAGE_CORRUPT');
      assert.match((e as Error).message, new RegExp(`${seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: damaged record batch at byte \\d+`));
      assert.match((e as Error).message, /a valid batch follows/);
      return true;
    });
    // The failed open released the directory.
    bus = await open().catch(() => undefined as never);
    assert.equal(bus, undefined);
  });

  it('refuses a damaged batch in a sealed segment when a reader reaches it', async () => {
    let bus = await open({ segmentBytes: 1024 });
    await bus.createTopic('tp1');
    await bus.createSubscription('sb1', { topic: 'tp1' });
    for (let i = 0; i < 40; i++) await bus.publish('tp1', [{ data: `message ${i} `.padEnd(60, '.') }]);
    await bus.close();
    const first = join(dir, 'topics', 'tp1', segmentsOf('tp1')[0]!);
    assert.ok(segmentsOf('tp1').length > 2);
    const bytes = readFileSync(first);
    bytes[100] = bytes[100]! ^ 0x01;
    writeFileSync(first, bytes);
    bus = await open({ segmentBytes: 1024 });
    await assert.rejects(bus.pull('sb1', { maxMessages: 100 }), (e: unknown) => {
      assert.equal((e as { code?: string }).code, 'BUS_STORAGE_CORRUPT');
      assert.match((e as Error).message, /00000000000000000000\.log: damaged record batch at byte \d+ \((CRC mismatch|no batch magic)/);
      return true;
    });
    await bus.close();
  });

  it('the pending window refills as soon as a whole read fits beside the leased messages, and stays bounded', async () => {
    const bus = await open({ maxPendingMessages: 100 });
    await bus.createTopic('tw1');
    await bus.createSubscription('sw1', { topic: 'tw1', ackDeadline: '60s' });
    await bus.publish('tw1', Array.from({ length: 300 }, (_x, i) => ({ data: `m${i}` })));
    const first = await bus.pull('sw1', { maxMessages: 1000 });
    assert.equal(first.length, 100, 'at most maxPendingMessages unacked');
    assert.deepEqual(await bus.pull('sw1', { maxMessages: 10 }), [], 'the window is full of leased messages');
    await bus.acknowledge('sw1', first.slice(0, 40).map((m) => m.ackId));
    // 60 leased, nothing ready, room for 40: delivery goes on (it waited until at most half the window was pending).
    const next = await bus.pull('sw1', { maxMessages: 1000 });
    assert.deepEqual(next.map(text), Array.from({ length: 40 }, (_x, i) => `m${100 + i}`));
    await bus.close();
  });

  it('retention by size deletes whole old segments; subscriptions skip what is gone', async () => {
    const bus = await open({ segmentBytes: 2048 });
    await bus.createTopic('tp1', { retentionBytes: 5000 });
    await bus.createSubscription('sb1', { topic: 'tp1' });
    for (let i = 0; i < 100; i++) await bus.publish('tp1', [{ data: `m${i}`.padEnd(100, '-') }]);
    const before = segmentsOf('tp1').length;
    await bus.runMaintenance();
    const after = segmentsOf('tp1');
    assert.ok(after.length < before && after.length >= 2, `${before} → ${after.length} segments`);
    const st = (await bus.stats({ topic: 'tp1' })).topics[0]!;
    assert.ok(st.bytes <= 5000 + 2048, `kept ${st.bytes} bytes`);
    const got = await pullAll(bus, 'sb1');
    assert.equal(got.length, st.messages);
    assert.equal(got[got.length - 1]!.id, '99');
    assert.equal(Number(got[0]!.id), 100 - st.messages);
    await bus.close();
  });

  it('retention by time deletes segments whose newest message is older than the retention', async () => {
    const clock = new VirtualClock();
    const bus = await open({ segmentBytes: 1024, clock });
    await bus.createTopic('tp1', { messageRetentionDuration: '10m' });
    for (let i = 0; i < 30; i++) await bus.publish('tp1', [{ data: `old${i}`.padEnd(100, '.') }]);
    await clock.advance('5m');
    for (let i = 0; i < 30; i++) await bus.publish('tp1', [{ data: `new${i}`.padEnd(100, '.') }]);
    await clock.advance('6m'); // the old ones are 11 minutes old, the new ones 6
    await bus.runMaintenance();
    await bus.createSubscription('late', { topic: 'tp1', retainAckedMessages: true });
    await bus.seek('late', { time: 0 });
    const got = await pullAll(bus, 'late');
    assert.ok(got.every((m) => text(m).startsWith('new') || text(m).startsWith('old')));
    assert.ok(got.filter((m) => text(m).startsWith('old')).length < 30, 'old segments went');
    assert.equal(got.filter((m) => text(m).startsWith('new')).length, 30, 'every new message stays');
    await bus.close();
  });

  it('a subscription journal compacts into state.json; a torn journal line is cut; acked stays acked', async () => {
    let bus = await open({ journalCompactBytes: 300 });
    await bus.createTopic('tp1');
    await bus.createSubscription('sb1', { topic: 'tp1' });
    await bus.publish('tp1', Array.from({ length: 50 }, (_, i) => ({ data: `m${i}` })));
    for (let round = 0; round < 5; round++) {
      const got = await bus.pull('sb1', { maxMessages: 5 });
      for (const m of got) await bus.acknowledge('sb1', [m.ackId]);
    }
    await bus.close();
    const subDir = join(dir, 'subscriptions', 'sb1');
    const state = JSON.parse(readFileSync(join(subDir, 'state.json'), 'utf8')) as { gen: number };
    assert.ok(state.gen >= 2, `compacted ${state.gen} times`);
    appendFileSync(join(subDir, `journal-${state.gen}.log`), '0badc0de {"a":[[40,');
    bus = await open({ journalCompactBytes: 300 });
    assert.match(warnings.join('\n'), /cut a torn journal write/);
    const rest = await pullAll(bus, 'sb1');
    assert.deepEqual(rest.map(text), Array.from({ length: 25 }, (_, i) => `m${i + 25}`));
    await bus.close();
  });

  it('a sealed segment without its index is read after a rebuild (with a warning)', async () => {
    let bus = await open({ segmentBytes: 1024 });
    await bus.createTopic('tp1');
    await bus.createSubscription('sb1', { topic: 'tp1' });
    for (let i = 0; i < 40; i++) await bus.publish('tp1', [{ data: `m${i}`.padEnd(50, '.') }]);
    await bus.close();
    rmSync(join(dir, 'topics', 'tp1', '00000000000000000000.index'));
    bus = await open({ segmentBytes: 1024 });
    assert.match(warnings.join('\n'), /index files are missing or inconsistent; rebuilt/);
    assert.equal((await pullAll(bus, 'sb1')).length, 40);
    await bus.close();
  });

  it('refuses store paths that are symbolic links, and a second opener of one directory', async () => {
    const bus = await open();
    await assert.rejects(open(), (e: unknown) => (e as { code?: string }).code === 'BUS_FAILED_PRECONDITION' && /already open in this process/.test((e as Error).message));
    await bus.close();
    const elsewhere = mkdtempSync(join(tmpdir(), 'riffle-bus-elsewhere-'));
    try {
      mkdirSync(join(dir, 'topics'), { recursive: true });
      symlinkSync(elsewhere, join(dir, 'topics', 'linked'));
      await assert.rejects(open(), (e: unknown) => (e as { code?: string }).code === 'STORE_PATH_UNSAFE');
      rmSync(join(dir, 'topics', 'linked'));
      const b2 = await open();
      await b2.createTopic('tp2');
      await b2.close();
      const seg = join(dir, 'topics', 'tp2', '00000000000000000000.log');
      rmSync(seg);
      writeFileSync(join(elsewhere, 'target'), 'do not touch');
      symlinkSync(join(elsewhere, 'target'), seg);
      await assert.rejects(open(), (e: unknown) => (e as { code?: string }).code === 'STORE_PATH_UNSAFE');
      assert.equal(readFileSync(join(elsewhere, 'target'), 'utf8'), 'do not touch');
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });

  it('a lock left by a dead process is taken over; a live one is refused', async () => {
    writeFileSync(join(dir, 'bus.lock'), '999999999\n');
    const bus = await open();
    await bus.close();
    writeFileSync(join(dir, 'bus.lock'), `${process.ppid}\n`);
    await assert.rejects(open(), (e: unknown) => /in use by process/.test((e as Error).message));
    rmSync(join(dir, 'bus.lock'));
  });

  it('fsync policies: each acknowledges only what it promises; group commit shares fsyncs across publishers', async () => {
    for (const fsync of ['always', 'interval', 'never'] as const) {
      const sub = join(dir, fsync);
      const bus = await openBus({ dir: sub, fsync });
      await bus.createTopic('tp1');
      await Promise.all(Array.from({ length: 8 }, (_, p) => (async () => {
        for (let i = 0; i < 25; i++) await bus.publish('tp1', [{ data: `p${p}-${i}` }]);
      })()));
      const syncs = bus.fsyncCount();
      if (fsync === 'never') assert.equal(syncs, 0);
      else assert.ok(syncs > 0 && syncs < 200, `${fsync}: ${syncs} fsyncs for 200 publishes`);
      assert.equal((await bus.stats({ topic: 'tp1' })).topics[0]!.messages, 200);
      await bus.close();
    }
  });
});
