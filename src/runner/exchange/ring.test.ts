import { test } from 'node:test';
import assert from 'node:assert/strict';
import { abortRing, allocateDoorbell, allocateRing, Doorbell, ExchangeAbortedError, RingReader, RingWriter, type Frame } from './ring.ts';

function payload(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
}

/** Reads frames until `count` arrived, waiting on the doorbell when the ring is empty (as an exchange input does). */
async function readFrames(reader: RingReader, bell: Doorbell, count: number): Promise<Frame[]> {
  const out: Frame[] = [];
  while (out.length < count) {
    const seen = bell.current();
    const f = reader.poll();
    if (f) out.push(f);
    else await bell.wait(seen);
  }
  return out;
}

test('frames of any size keep their order and bytes through a small ring, the writer waiting for space', async () => {
  const ring = allocateRing(256);
  const bellBuf = allocateDoorbell();
  const writer = new RingWriter(ring, bellBuf);
  const reader = new RingReader(ring);
  // Sizes around the capacity and the wrap point, and several times the ring (streamed in pieces).
  const sizes = [0, 1, 100, 243, 244, 245, 255, 256, 300, 1000, 5000, 7, 3];
  const reading = readFrames(reader, new Doorbell(bellBuf), sizes.length);
  for (let i = 0; i < sizes.length; i++) await writer.writeFrame(i % 6, i * 1000, payload(sizes[i]!, i));
  const frames = await reading;
  assert.deepEqual(frames.map((f) => f.payload.length), sizes);
  frames.forEach((f, i) => {
    assert.equal(f.kind, i % 6);
    assert.equal(f.aux, i * 1000);
    assert.deepEqual(f.payload, payload(sizes[i]!, i));
  });
});

test('tryWriteFrame writes a whole frame or nothing', () => {
  const ring = allocateRing(64);
  const writer = new RingWriter(ring, allocateDoorbell());
  const reader = new RingReader(ring);
  assert.equal(writer.tryWriteFrame(1, 0, payload(40, 1)), true);
  assert.equal(writer.free(), 64 - 52);
  assert.equal(writer.tryWriteFrame(1, 0, payload(1, 1)), false, '13 bytes do not fit in 12');
  assert.equal(reader.poll()!.payload.length, 40);
  assert.equal(reader.poll(), undefined);
  assert.equal(writer.tryWriteFrame(2, 7, payload(52, 2)), true, 'the whole ring again, across the wrap');
  assert.deepEqual(reader.poll()!.payload, payload(52, 2));
});

test('positions wrap past 2^32 without losing frames', async () => {
  const ring = allocateRing(1024);
  const header = new Int32Array(ring, 0, 4);
  header[0] = -100; // 0xffffff9c: the free-running counters are about to wrap
  header[1] = -100;
  const bell = allocateDoorbell();
  const writer = new RingWriter(ring, bell);
  const reader = new RingReader(ring);
  const reading = readFrames(reader, new Doorbell(bell), 50);
  for (let i = 0; i < 50; i++) await writer.writeFrame(1, i, payload(90, i));
  const frames = await reading;
  assert.deepEqual(frames.map((f) => f.aux), Array.from({ length: 50 }, (_, i) => i));
  assert.deepEqual(frames[49]!.payload, payload(90, 49));
});

test('aborting wakes a writer waiting on a full ring and a reader waiting on its doorbell', async () => {
  const ring = allocateRing(64);
  const bellBuf = allocateDoorbell();
  const writer = new RingWriter(ring, bellBuf);
  assert.ok(writer.tryWriteFrame(1, 0, payload(50, 0)));
  const blocked = writer.writeFrame(1, 0, payload(50, 1));
  const bell = new Doorbell(allocateDoorbell());
  const sleeping = bell.wait(bell.current());
  abortRing(ring);
  bell.abort();
  await assert.rejects(blocked, ExchangeAbortedError);
  await assert.rejects(sleeping, /aborted/);
});

test('capacities are powers of two', () => {
  assert.throws(() => allocateRing(1000), /power of two/);
  assert.throws(() => allocateRing(32), /power of two/);
});
