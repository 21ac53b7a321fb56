// Step figures across workers: counters summed, watermarks the least of the workers' (none while any has none),
// a read's backlog summed over the workers that tell one.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeStepSnapshots, sumStepSnapshots } from './step-snapshots.ts';

const s = (step: string, n: number, wm: number | null) => ({ step, elementsIn: n, elementsOut: n - 1, errors: 1, droppedLate: 0, inputWatermark: wm, outputWatermark: wm });

describe('step snapshots on workers', () => {
  it('sum counters and take the least watermark', () => {
    const a = encodeStepSnapshots([s('Parse', 10, 5_000), s('Write', 3, null)]);
    const b = encodeStepSnapshots([s('Parse', 20, 2_000), s('Write', 4, 9_000)]);
    assert.deepEqual(sumStepSnapshots([a, undefined, b]), [
      { step: 'Parse', elementsIn: 30, elementsOut: 28, errors: 2, droppedLate: 0, inputWatermark: 2_000, outputWatermark: 2_000 },
      { step: 'Write', elementsIn: 7, elementsOut: 5, errors: 2, droppedLate: 0, inputWatermark: null, outputWatermark: null },
    ]);
    assert.equal(a.stepMetrics, 1);
  });

  it("sum a read's backlog over the workers that tell one", () => {
    const a = encodeStepSnapshots([{ ...s('Read', 5, 1), backlog: { amount: 40, unit: 'elements' } }]);
    const b = encodeStepSnapshots([{ ...s('Read', 5, 1), backlog: { amount: 2, unit: 'elements' } }]);
    const c = encodeStepSnapshots([s('Read', 5, 1)]);
    assert.deepEqual(sumStepSnapshots([a, b, c])[0]!.backlog, { amount: 42, unit: 'elements' });
    assert.equal(sumStepSnapshots([c])[0]!.backlog, undefined);
    assert.deepEqual(sumStepSnapshots([encodeStepSnapshots([{ ...s('Read', 1, 1), backlog: { amount: 9, unit: 'bytes' } }])])[0]!.backlog, { amount: 9, unit: 'bytes' });
  });
});
