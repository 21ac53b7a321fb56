import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IntervalWindow, windowFns, windowingStrategy, type TimestampCombiner } from '../model/index.ts';
import { bufferingFold, combiningFold, elementOutputTime, paneOutputTime } from './pane-fold.ts';
import { bufferingReduceFn, combiningReduceFn } from './reduce-fn.ts';

const sum = { createAccumulator: () => 0, addInput: (a: number, x: number) => a + x, mergeAccumulators: (as: number[]) => as.reduce((x, y) => x + y, 0), extractOutput: (a: number) => a };

test('one fold per reduce function: buffering keeps arrival order, combining adds inputs or merges accumulators', () => {
  const b = bufferingFold<number>();
  assert.deepEqual(b.output(b.add(b.add(b.create(), 2), 1)), [2, 1]);
  const c = combiningFold(sum);
  assert.equal(c.output(c.add(c.add(c.create(), 2), 3)), 5);
  const lifted = combiningFold(sum, { inputsAreAccumulators: true });
  assert.equal(lifted.output(lifted.add(lifted.add(lifted.create(), 10), 5)), 15);
  assert.ok(bufferingReduceFn().fold !== undefined && combiningReduceFn(sum).fold !== undefined, 'the reducer\'s reduce functions carry their fold');
});

test('the output time rule: per element, and for a whole on-time pane', () => {
  const w = new IntervalWindow(0, 100);
  const strategy = (timestampCombiner: TimestampCombiner) => windowingStrategy(windowFns.fixed(100), { timestampCombiner });
  assert.equal(elementOutputTime(strategy('endOfWindow'), w, 5), 99);
  assert.equal(elementOutputTime(strategy('earliest'), w, 5), 5);
  assert.equal(paneOutputTime(strategy('earliest'), w, 5, 50), 5);
  assert.equal(paneOutputTime(strategy('latest'), w, 5, 50), 50);
  assert.equal(paneOutputTime(strategy('endOfWindow'), w, 5, 50), 99);
  assert.equal(paneOutputTime(strategy('earliestTransformed'), w, 5, 50), 5);
});

test('the sole on-time pane of a bounded watermark-only grouping: last unless lateness leaves room for a late pane', async () => {
  const { soleOnTimePane } = await import('./pane-tracker.ts');
  const fixed = windowFns.fixed(100);
  assert.deepEqual({ ...soleOnTimePane(windowingStrategy(fixed)) }, { isFirst: true, isLast: true, timing: 'ON_TIME', index: 0, nonSpeculativeIndex: 0 });
  assert.equal(soleOnTimePane(windowingStrategy(fixed, { allowedLateness: 10 })).isLast, false);
});
