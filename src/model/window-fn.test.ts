import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { IntervalWindow, mergeOverlappingIntervals, SlidingWindows, windowFns } from './index.ts';

function slidingReference(t: number, size: number, period: number, offset: number): string[] {
  const out: string[] = [];
  for (let start = Math.floor((t - offset) / period) * period + offset; start > t - size; start -= period) out.push(`${start}:${start + size}`);
  return out;
}

test('sliding windows: every window containing t, for any size/period/offset, with the per-slot cache', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 1, max: 20 }), fc.array(fc.integer({ min: -500, max: 500 }), { maxLength: 60 }), (size, period, ts) => {
      const offset = size % period;
      const fn = new SlidingWindows(size, period, offset % period);
      for (const t of [...ts].sort((a, b) => a - b)) {
        const got = fn.assignWindows(t).map((w) => w.key);
        assert.deepEqual(got, slidingReference(t, size, period, offset % period), `t=${t} size=${size} period=${period}`);
        for (const w of fn.assignWindows(t) as IntervalWindow[]) assert.ok(w.contains(t));
      }
    }),
  );
});

test('fixed windows with an offset', () => {
  const fn = windowFns.fixed(10, { offset: 3 });
  assert.equal(fn.assignWindows(2, null)[0]!.key, '-7:3');
  assert.equal(fn.assignWindows(3, null)[0]!.key, '3:13');
  assert.equal(fn.assignWindows(12, null)[0]!.key, '3:13');
});

test('interval merging: overlapping windows merge transitively, touching ones do not', () => {
  const merges = mergeOverlappingIntervals([new IntervalWindow(0, 10), new IntervalWindow(10, 20), new IntervalWindow(5, 12), new IntervalWindow(30, 40)]);
  assert.deepEqual(
    merges.map((m) => [m.toMerge.map((w) => w.key).sort(), m.result.key]),
    [[['0:10', '10:20', '5:12'], '0:20']],
  );
  assert.deepEqual(mergeOverlappingIntervals([new IntervalWindow(0, 10), new IntervalWindow(10, 20)]), []);
});

test('window functions say what they can do (engines ask these instead of the kind)', () => {
  const rows = [
    [windowFns.global(), { isGlobal: true, isMerging: false, assignsSingleWindow: true, mergesIntersectingIntervals: false }],
    [windowFns.fixed(10), { isGlobal: false, isMerging: false, assignsSingleWindow: true, mergesIntersectingIntervals: false }],
    [windowFns.sliding(10, 10), { isGlobal: false, isMerging: false, assignsSingleWindow: true, mergesIntersectingIntervals: false }],
    [windowFns.sliding(10, 5), { isGlobal: false, isMerging: false, assignsSingleWindow: false, mergesIntersectingIntervals: false }],
    [windowFns.sessions(10), { isGlobal: false, isMerging: true, assignsSingleWindow: true, mergesIntersectingIntervals: true }],
    [windowFns.custom({ name: 'c', assign: () => [], merge: () => [] }), { isGlobal: false, isMerging: true, assignsSingleWindow: false, mergesIntersectingIntervals: false }],
  ] as const;
  for (const [fn, expected] of rows) {
    const { isGlobal, isMerging, assignsSingleWindow, mergesIntersectingIntervals } = fn;
    assert.deepEqual({ isGlobal, isMerging, assignsSingleWindow, mergesIntersectingIntervals }, expected, fn.describe());
  }
});
