import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { IntervalWindow, mergeOverlappingIntervals, triggers, windowFns, windowingStrategy, type WindowingOptions } from '../model/index.ts';
import { combiningReduceFn } from './reduce-fn.ts';
import type { StateCombineFn } from './state.ts';
import { TriggerTester } from './trigger-tester.ts';

const sum: StateCombineFn<number, number, number> = {
  createAccumulator: () => 0,
  addInput: (a, x) => a + x,
  mergeAccumulators: (as) => as.reduce((a, b) => a + b, 0),
  extractOutput: (a) => a,
};

const fixed = (opts: WindowingOptions = {}) => windowingStrategy(windowFns.fixed(10), opts);

describe('WindowReducer', () => {
  it('clears all state once every window has expired (fixed, sliding, sessions)', () => {
    for (const windowFn of [windowFns.fixed(10), windowFns.sliding(10, 5), windowFns.sessions(10)]) {
      const t = TriggerTester.buffering<number>(windowingStrategy(windowFn, { allowedLateness: 20, trigger: triggers.afterWatermark({ early: triggers.afterCount(1), late: triggers.afterCount(1) }) }));
      t.injectElements(1, 4, 13);
      t.advanceInputWatermark(15);
      t.injectElements(12);
      assert.notEqual(t.extractOutput().length, 0);
      t.advanceInputWatermark(100);
      t.assertCleared();
      assert.equal(t.timers.pending.size, 0, `timers left for ${windowFn.describe()}`);
      assert.equal(t.earliestHold(), undefined);
    }
  });

  it('counts data past the allowed lateness as dropped', () => {
    const t = TriggerTester.buffering<number>(fixed({ allowedLateness: 5 }));
    t.advanceInputWatermark(15);
    t.injectElements(1, 2, 12);
    assert.equal(t.dropped.late, 2);
    t.advanceInputWatermark(100);
    assert.deepEqual(t.extractOutput().map((o) => o.value), [[12]]);
  });

  it('holds the output watermark at the earliest element until the pane fires', () => {
    const t = TriggerTester.buffering<number>(fixed({ timestampCombiner: 'earliest' }));
    t.injectElements(7, 3);
    t.advanceInputWatermark(5);
    assert.equal(t.outputWatermark, 3);
    t.advanceInputWatermark(10);
    assert.equal(t.extractOutput()[0]!.timestamp, 3);
    assert.equal(t.outputWatermark, 10);
  });

  it('holds at the end of the window after an early pane, so the ON_TIME pane is on time', () => {
    const t = TriggerTester.buffering<number>(fixed({ trigger: triggers.afterWatermark({ early: triggers.afterCount(1) }) }));
    t.injectElements(1);
    t.advanceInputWatermark(5);
    assert.equal(t.extractOutput()[0]!.pane.timing, 'EARLY');
    assert.equal(t.outputWatermark, 5);
    assert.equal(t.earliestHold(), 9);
  });

  it('onTimeBehavior fireIfNonEmpty skips the empty ON_TIME pane', () => {
    const t = TriggerTester.buffering<number>(
      fixed({ trigger: triggers.afterWatermark({ early: triggers.afterCount(1) }), accumulation: 'discarding', onTimeBehavior: 'fireIfNonEmpty' }),
    );
    t.injectElements(1);
    t.advanceInputWatermark(100);
    assert.deepEqual(t.extractOutput().map((o) => o.pane.timing), ['EARLY']);
    t.assertCleared();
  });

  it('closingBehavior fireAlways emits an empty final pane at garbage collection', () => {
    const t = TriggerTester.buffering<number>(fixed({ allowedLateness: 10, accumulation: 'discarding', closingBehavior: 'fireAlways' }));
    t.injectElements(1);
    t.advanceInputWatermark(15);
    t.advanceInputWatermark(100);
    const panes = t.extractOutput();
    assert.deepEqual(panes.map((o) => [o.value, o.pane.timing, o.pane.isLast]), [
      [[1], 'ON_TIME', false],
      [[], 'LATE', true],
    ]);
    assert.equal(panes[1]!.timestamp, 9);
  });

  it('combines, also from lifted accumulators, and merges accumulators of sessions', () => {
    const t = new TriggerTester(windowingStrategy(windowFns.sessions(10)), combiningReduceFn(sum));
    t.injectElements({ value: 5, timestamp: 1 }, { value: 7, timestamp: 15 });
    t.injectElements({ value: 100, timestamp: 8 });
    t.advanceInputWatermark(100);
    assert.deepEqual(t.extractOutput().map((o) => [o.window, o.value]), [[new IntervalWindow(1, 25), 112]]);
    const lifted = new TriggerTester(fixed(), combiningReduceFn(sum, { inputsAreAccumulators: true }));
    lifted.injectElements({ value: 40, timestamp: 1 }, { value: 2, timestamp: 2 });
    lifted.advanceInputWatermark(10);
    assert.equal(lifted.extractOutput()[0]!.value, 42);
  });

  it('merges with a custom merging window function', () => {
    // Windows [t, t+5) that merge when they touch or overlap.
    const touching = windowFns.custom<number>({
      name: 'touching',
      assign: (t) => [new IntervalWindow(t, t + 5)],
      merge: (ws) => mergeOverlappingIntervals(ws.map((w) => new IntervalWindow((w as IntervalWindow).start, (w as IntervalWindow).end + 1))).map((m) => ({
        toMerge: m.toMerge.map((w) => new IntervalWindow((w as IntervalWindow).start, (w as IntervalWindow).end - 1)),
        result: new IntervalWindow((m.result as IntervalWindow).start, (m.result as IntervalWindow).end - 1),
      })),
    });
    const t = TriggerTester.buffering<number>(windowingStrategy(touching));
    t.injectElements(0, 5, 20);
    t.advanceInputWatermark(100);
    const out = t.extractOutput().map((o) => [(o.window as IntervalWindow).start, (o.window as IntervalWindow).end, o.value]);
    assert.deepEqual(out.sort(), [[0, 10, [0, 5]], [20, 25, [20]]].sort());
    t.assertCleared();
  });

  it('numbers panes and marks the last one', () => {
    const t = TriggerTester.buffering<number>(
      fixed({ allowedLateness: 20, accumulation: 'accumulating', trigger: triggers.afterWatermark({ early: triggers.afterCount(1), late: triggers.afterCount(1) }) }),
    );
    t.injectElements(1);
    t.injectElements(2);
    t.advanceInputWatermark(10);
    t.injectElements(3);
    t.advanceInputWatermark(100);
    assert.deepEqual(
      t.extractOutput().map((o) => [o.pane.timing, o.pane.index, o.pane.nonSpeculativeIndex, o.pane.isFirst, o.value.length]),
      [
        ['EARLY', 0, -1, true, 1],
        ['EARLY', 1, -1, false, 2],
        ['ON_TIME', 2, 0, false, 2],
        ['LATE', 3, 1, false, 3],
      ],
    );
    t.assertCleared();
  });
});
