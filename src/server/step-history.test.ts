// The server's step history: latest point per step, throughput from consecutive points, watermark lag while the
// watermark is behind the clock (none at the end of the input), a bounded history.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StepHistory, WATERMARK_END } from './step-history.ts';

const snap = (step: string, n: number, wm: number | null) => ({ step, elementsIn: n, elementsOut: n, errors: 0, droppedLate: 0, inputWatermark: wm, outputWatermark: wm });

describe('step history', () => {
  it('derives throughput and watermark lag, and keeps the last N points', () => {
    const h = new StepHistory(3);
    h.add(10_000, [snap('A', 0, null)]);
    h.add(11_000, [snap('A', 500, 4_000)]);
    h.add(13_000, [snap('A', 1500, 12_500)]);
    const a = h.latest().get('A')!;
    assert.deepEqual([a.inPerSecond, a.outPerSecond, a.watermarkLagMs], [500, 500, 500]);
    assert.deepEqual(h.history('A')[0]!.points.map((p) => p.watermarkLagMs), [null, 7_000, 500]);
    h.add(14_000, [snap('A', 1500, 8.64e15)]);
    assert.equal(h.history('A')[0]!.points.length, 3);
    assert.equal(h.latest().get('A')!.watermarkLagMs, null, 'no lag once the input ended');
    assert.ok(h.latest().get('A')!.outputWatermark! >= WATERMARK_END);
    h.add(12_000, [snap('A', 9, null)]);
    assert.equal(h.latest().get('A')!.elementsIn, 1500, 'an older snapshot is ignored');
    assert.deepEqual(h.history('B'), []);
    assert.equal(h.history(undefined, 1)[0]!.points.length, 1);
  });
});
